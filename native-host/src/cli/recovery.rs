//! `recovery`: a printed recovery sheet that counts as one of your devices (devices/recovery.rs). Make it on an
//! enrolled computer; type its code to approve a copy or a new computer; restore a backup (a copy addressed to the
//! sheet) on a new computer when the old one is lost.

use std::path::PathBuf;

use clap::Subcommand;
use zeroize::Zeroizing;

use super::devices::{
    code_or_file, open, print_copy, print_devices, read, read_pin, say, step, write, PinArgs,
};

#[derive(Subcommand)]
pub enum RecoveryCommand {
    /// Make a recovery sheet and enroll it as one of your devices (prints its code once: print or write it down).
    Make {
        /// What to call the sheet among your devices.
        #[arg(long, default_value = "recovery sheet")]
        name: String,
        /// Where to write the ring for your other devices (`keyplace-host devices accept`).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Approve a copy request with the sheet (on any of your computers, this one included).
    ApproveCopy {
        #[arg(value_name = "REQUEST_FILE")]
        request: PathBuf,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Read the code from the first line of standard input instead of asking.
        #[arg(long)]
        code_stdin: bool,
    },
    /// Approve a new computer's join request with the sheet.
    ApproveJoin {
        #[arg(value_name = "CODE_OR_FILE")]
        request: String,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long)]
        code_stdin: bool,
    },
    /// On a new computer: join your devices with the sheet and restore a backup (a copy made for the sheet).
    Restore {
        /// What to call this computer.
        #[arg(long)]
        name: String,
        #[arg(value_name = "REQUEST_FILE")]
        request: PathBuf,
        #[arg(long, value_name = "FILE")]
        approval: Option<PathBuf>,
        /// Read the code, then the new vault PIN, from the first two lines of standard input.
        #[arg(long)]
        code_stdin: bool,
    },
}

/// The sheet's code, typed without echo or read from standard input.
fn read_code(from_stdin: bool) -> Result<Zeroizing<String>, String> {
    let code = super::secret_input::read_secret(from_stdin, "Code from your recovery sheet: ")?;
    if code.is_empty() {
        return Err("The recovery sheet's code is needed.".into());
    }
    Ok(code)
}

pub fn run(command: RecoveryCommand) -> Result<(), String> {
    let devices = open()?;
    match command {
        RecoveryCommand::Make { name, out, pin } => {
            let pin = read_pin(&pin)?;
            step("Making the sheet's keys and enrolling it, approved by this computer");
            let sheet = devices.make_recovery_sheet(&name, &pin).map_err(say)?;
            println!(
                "Your recovery sheet \"{}\" ({}) is one of your devices now.",
                sheet.name, sheet.short_id
            );
            println!("Print or write down this code and keep it away from your computers. It is shown only once:\n");
            println!("    {}\n", sheet.code.as_str());
            println!("Typed into one of your computers, it approves a copy or a new computer as any device would;");
            println!("with a copy made for it (`keyplace-host copy request --to \"{}\"`), it restores your", sheet.name);
            println!("passkeys on a new computer if this one is lost (`keyplace-host recovery restore`).");
            let out = out.unwrap_or_else(|| PathBuf::from("keyplace-ring.json"));
            write(&out, &sheet.ring)?;
            println!(
                "Wrote {}: run `keyplace-host devices accept` with it on your other devices.",
                out.display()
            );
        }
        RecoveryCommand::ApproveCopy {
            request,
            out,
            code_stdin,
        } => {
            let text = read(&request)?;
            print_copy(&devices.inspect_copy(&text).map_err(say)?);
            let code = read_code(code_stdin)?;
            step("Signing the approval with the recovery sheet");
            let approval = devices.approve_copy_with_sheet(&text, &code).map_err(say)?;
            let out = out.unwrap_or_else(|| PathBuf::from("keyplace-copy-approval.json"));
            write(&out, &approval)?;
            println!("Approved with the recovery sheet: wrote {}.", out.display());
        }
        RecoveryCommand::ApproveJoin {
            request,
            out,
            code_stdin,
        } => {
            let text = code_or_file(&request)?;
            let summary = devices.inspect_join(&text).map_err(say)?;
            println!(
                "\"{}\" ({}) asks to join your devices. Short code: {}",
                summary.name, summary.short_id, summary.short_code
            );
            let code = read_code(code_stdin)?;
            let ring = devices.approve_join_with_sheet(&text, &code).map_err(say)?;
            let out = out.unwrap_or_else(|| PathBuf::from("keyplace-ring.json"));
            write(&out, &ring)?;
            println!("Approved with the recovery sheet. Carry {} to \"{}\" and run `keyplace-host devices accept` there.", out.display(), summary.name);
            println!(
                "Ring code: {} (the new computer shows the same one after accepting)",
                devices.ring_code().map_err(say)?
            );
        }
        RecoveryCommand::Restore {
            name,
            request,
            approval,
            code_stdin,
        } => {
            let request = read(&request)?;
            let approval = approval.as_deref().map(read).transpose()?;
            let code = read_code(code_stdin)?;
            let pin = read_pin(&PinArgs::stdin(code_stdin))?;
            step("Joining your devices with the sheet's approval and restoring the copy");
            let (listed, imported) = devices
                .restore_with_sheet(&name, &code, &request, approval.as_deref(), &pin)
                .map_err(say)?;
            println!("Restored into this computer's vault:");
            for passkey in imported {
                println!("  {}: {}", passkey.rp_id, passkey.user_name);
            }
            println!("Your devices:");
            print_devices(&listed);
        }
    }
    Ok(())
}
