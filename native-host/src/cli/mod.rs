//! The command line a person uses: install, uninstall, list, doctor, devices, copy, recovery, import.

mod browsers;
mod devices;
mod doctor;
mod doctor_browsers;
mod import;
mod install;
mod list;
mod places;
mod profiles;
mod recovery;
#[cfg(test)]
mod registration_tests;
mod registry;
mod secret_input;
mod uninstall;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use browsers::Browser;

#[derive(Parser)]
#[command(
    name = "keyplace-host",
    version,
    about = "Keyplace's native messaging host: keeps your passkeys' private keys on this computer.",
    long_about = "Keyplace's native messaging host. Browsers start it for the Keyplace extension; \
                  you use these commands to register it with your browsers and see what it keeps."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Register the host with your browsers and allow the Keyplace extension to use it.
    Install(RegistrationArgs),
    /// Remove what `install` wrote (use the same options).
    Uninstall(RegistrationArgs),
    /// Show the passkeys Keyplace keeps and where each one is.
    List,
    /// Check that everything Keyplace needs is in place, and say what to do if not.
    Doctor(DoctorArgs),
    /// Your devices: start a ring, join it, approve, list, rename, remove.
    #[command(subcommand)]
    Devices(devices::DevicesCommand),
    /// Copy vault passkeys to another of your devices, with the approval of a third (or the target).
    #[command(subcommand)]
    Copy(devices::CopyCommand),
    /// A recovery sheet: a printed key that counts as one of your devices (make it, approve with it, restore with it).
    #[command(subcommand)]
    Recovery(recovery::RecoveryCommand),
    /// Bring passkeys from another passkey manager: its Credential Exchange Format (CXF) export, into the vault.
    Import(import::ImportArgs),
}

#[derive(Args, Clone)]
pub struct RegistrationArgs {
    /// Only this browser (default: every browser found on this computer).
    #[arg(long, value_enum)]
    pub browser: Option<Browser>,
    /// A Chromium-family user data directory (as given to --user-data-dir); needs --browser.
    #[arg(long, value_name = "DIR")]
    pub profile_dir: Option<PathBuf>,
    /// Chromium-family extension id to allow (repeatable; default: Keyplace's development id).
    #[arg(long = "extension-id", value_name = "ID")]
    pub extension_ids: Vec<String>,
    /// Firefox add-on id to allow (repeatable; default: keyplace@keyplace.dev).
    #[arg(long = "firefox-id", value_name = "ID")]
    pub firefox_ids: Vec<String>,
    /// The host program browsers should start (default: this program).
    #[arg(long, value_name = "PATH")]
    pub host_path: Option<PathBuf>,
    /// For every user of this computer: the browsers' system folders (/etc/chromium, /etc/opt/chrome,
    /// /etc/opt/edge, /usr/lib/mozilla) and /etc/keyplace; needs root. KEYPLACE_SYSTEM_ROOT=DIR writes under DIR.
    #[arg(long)]
    pub system: bool,
}

#[derive(Args)]
pub struct DoctorArgs {
    /// Also check the manifest in this Chromium-family user data directory.
    #[arg(long, value_name = "DIR")]
    pub profile_dir: Option<PathBuf>,
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Install(args) => install::run(&args),
        Command::Uninstall(args) => uninstall::run(&args),
        Command::List => list::run(),
        Command::Doctor(args) => return doctor::run(&args),
        Command::Devices(command) => devices::run_devices(command),
        Command::Copy(command) => devices::run_copy(command),
        Command::Recovery(command) => recovery::run(command),
        Command::Import(args) => import::run(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("keyplace-host: {message}");
            ExitCode::FAILURE
        }
    }
}
