//! `devices` and `copy`: enroll this computer among your devices, and copy vault passkeys with another device's
//! approval. What travels between computers is a file (or, for a join request, a text code) you carry yourself.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use super::list::format_time;
use crate::data_dir::{data_dir, write_private_file, DATABASE_FILE};
use crate::devices::{CopySummary, DeviceError, DeviceInfo, Devices};
use crate::protocol::{B64u, StoreId};

#[derive(Subcommand)]
pub enum DevicesCommand {
    /// Start your ring of devices with this computer as the first one.
    Init {
        /// What to call this computer (e.g. "desktop").
        #[arg(long)]
        name: String,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// On a new computer: ask to join your devices (prints a code; carry it or the file to an enrolled device).
    JoinRequest {
        #[arg(long)]
        name: String,
        /// Also write the request to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// On an enrolled computer: approve a join request (its code, or its file) after comparing the short code.
    Approve {
        #[arg(value_name = "CODE_OR_FILE")]
        request: String,
        /// Where to write the approval for the new computer (default: keyplace-ring.json here).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// On the new computer: take the approval (or any ring file from another of your devices).
    Accept {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Show your devices.
    List,
    /// Give a device another name.
    Rename {
        device: String,
        new_name: String,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Remove a device from your ring; it can then no longer approve, send or receive copies.
    Remove {
        device: String,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Write the ring as this computer knows it, for `devices accept` on your other devices.
    RingExport {
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum CopyCommand {
    /// On the computer that has the passkeys: ask to copy them to another of your devices.
    Request {
        /// The device to copy to (its name, or the start of its id).
        #[arg(long)]
        to: String,
        /// A site (all its vault passkeys) or a passkey's id; repeatable.
        #[arg(long = "passkey", value_name = "SITE_OR_ID", required = true)]
        passkeys: Vec<String>,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// On another of your devices (not the one the passkeys come from): approve a copy request.
    Approve {
        #[arg(value_name = "REQUEST_FILE")]
        request: PathBuf,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// On the computer that has the passkeys, when they are held by its TPM: its chip copies them for the target,
    /// with the approval (the chip checks it). Makes the copy package to import on the target.
    Release {
        #[arg(value_name = "APPROVAL_FILE")]
        approval: PathBuf,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// On the device the copy is for: import it, with the approval (or a copy package, which holds both).
    Import {
        #[arg(value_name = "REQUEST_OR_PACKAGE_FILE")]
        request: PathBuf,
        #[arg(long, value_name = "FILE")]
        approval: Option<PathBuf>,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// The copies this computer asked for, approved or received.
    Log,
}

#[derive(Args, Clone)]
pub struct PinArgs {
    /// Read the vault PIN from the first line of standard input instead of asking.
    #[arg(long)]
    pub(super) pin_stdin: bool,
    /// Do not ask to confirm the short code (you compared it already).
    #[arg(long)]
    yes: bool,
}

impl PinArgs {
    /// The PIN from standard input (after other lines read there), or asked for.
    pub(super) fn stdin(from_stdin: bool) -> PinArgs {
        PinArgs {
            pin_stdin: from_stdin,
            yes: true,
        }
    }
}

pub fn run_devices(command: DevicesCommand) -> Result<(), String> {
    let devices = open()?;
    match command {
        DevicesCommand::Init { name, pin } => {
            let pin = read_pin(&pin)?;
            step("Making this computer's device keys");
            let device = devices.init(&name, &pin).map_err(say)?;
            println!(
                "Your ring of devices starts with this computer, \"{}\" ({}).",
                device.name, device.short_id
            );
            println!("To add another computer, run `keyplace-host devices join-request --name NAME` there.");
        }
        DevicesCommand::JoinRequest { name, out, pin } => {
            let pin = read_pin(&pin)?;
            step("Making this computer's device keys");
            let request = devices.join_request(&name, &pin).map_err(say)?;
            if let Some(out) = &out {
                write(out, &request.file)?;
            }
            println!("Carry this code (or the file) to one of your enrolled devices and run");
            println!(
                "`keyplace-host devices approve CODE` there:\n\n{}\n",
                request.code
            );
            println!("Short code: {}", request.short_code);
            println!("The approving device must show the same short code. Then run `keyplace-host devices accept FILE` here.");
        }
        DevicesCommand::Approve { request, out, pin } => {
            let text = code_or_file(&request)?;
            let summary = devices.inspect_join(&text).map_err(say)?;
            println!(
                "\"{}\" ({}) asks to join your devices.",
                summary.name, summary.short_id
            );
            println!("Short code: {}", summary.short_code);
            confirm(&pin, "Does the new computer show exactly this short code?")?;
            let pin = read_pin(&pin)?;
            step("Checking the PIN and signing the approval");
            let ring = devices.approve_join(&text, &pin).map_err(say)?;
            let out = out.unwrap_or_else(|| PathBuf::from("keyplace-ring.json"));
            write(&out, &ring)?;
            println!(
                "Approved. Carry {} to \"{}\" and run `keyplace-host devices accept` with it.",
                out.display(),
                summary.name
            );
            println!(
                "Ring code: {} (the new computer shows the same one after accepting)",
                devices.ring_code().map_err(say)?
            );
        }
        DevicesCommand::Accept { file } => {
            let listed = devices.accept(&read(&file)?).map_err(say)?;
            println!("Your devices:");
            print_devices(&listed);
            println!(
                "Ring code: {} (the device that approved shows the same one)",
                devices.ring_code().map_err(say)?
            );
        }
        DevicesCommand::List => {
            let listed = devices.list().map_err(say)?;
            print_devices(&listed);
        }
        DevicesCommand::Rename {
            device,
            new_name,
            out,
            pin,
        } => {
            let pin = read_pin(&pin)?;
            let ring = devices.rename(&device, &new_name, &pin).map_err(say)?;
            finish_ring_change(
                &ring,
                out,
                &format!("\"{device}\" is now called \"{new_name}\"."),
            )?;
        }
        DevicesCommand::Remove { device, out, pin } => {
            confirm(&pin, &format!("Remove \"{device}\" from your devices? It can then no longer approve, send or receive copies."))?;
            let pin = read_pin(&pin)?;
            let ring = devices.remove(&device, &pin).map_err(say)?;
            finish_ring_change(&ring, out, &format!("\"{device}\" is removed."))?;
        }
        DevicesCommand::RingExport { out } => {
            let ring = devices.ring_export().map_err(say)?;
            let out = out.unwrap_or_else(|| PathBuf::from("keyplace-ring.json"));
            write(&out, &ring)?;
            println!(
                "Wrote {}; run `keyplace-host devices accept` with it on your other devices.",
                out.display()
            );
        }
    }
    Ok(())
}

pub fn run_copy(command: CopyCommand) -> Result<(), String> {
    let devices = open()?;
    match command {
        CopyCommand::Request {
            to,
            passkeys,
            out,
            pin,
        } => {
            let ids = passkey_ids(&devices, &passkeys)?;
            let pin = read_pin(&pin)?;
            step(&format!(
                "Encrypting {} passkey{} to \"{to}\"",
                ids.len(),
                plural(ids.len())
            ));
            let request = devices.request_copy(&to, &ids, &pin).map_err(say)?;
            let out = out.unwrap_or_else(|| PathBuf::from("keyplace-copy-request.json"));
            write(&out, &request.file)?;
            println!(
                "Wrote {}. Short code: {}",
                out.display(),
                request.short_code
            );
            println!("Approve it on another of your devices (not this one) with `keyplace-host copy approve`, then bring");
            println!("the request and the approval to \"{to}\" and run `keyplace-host copy import` there.");
        }
        CopyCommand::Approve { request, out, pin } => {
            let text = read(&request)?;
            let summary = devices.inspect_copy(&text).map_err(say)?;
            print_copy(&summary);
            println!("Short code: {}", summary.short_code);
            confirm(
                &pin,
                "Does the source show exactly this short code, and do you want this copy?",
            )?;
            let pin = read_pin(&pin)?;
            step("Checking the PIN and signing the approval");
            let approval = devices.approve_copy(&text, &pin).map_err(say)?;
            let out = out.unwrap_or_else(|| PathBuf::from("keyplace-copy-approval.json"));
            write(&out, &approval)?;
            if summary.chip_held {
                println!(
                    "Approved. These passkeys are held by the TPM of \"{}\": bring {} back there and run",
                    summary.source,
                    out.display()
                );
                println!(
                    "`keyplace-host copy release` to make the copy package for \"{}\".",
                    summary.target
                );
            } else {
                println!(
                    "Approved. Bring {} with the request to \"{}\".",
                    out.display(),
                    summary.target
                );
            }
        }
        CopyCommand::Release { approval, out } => {
            let text = read(&approval)?;
            step("The TPM checks the approval and copies the passkeys for their target");
            let released = devices.release_copy(&text).map_err(say)?;
            let out = out.unwrap_or_else(|| PathBuf::from("keyplace-copy-package.json"));
            write(&out, &released.file)?;
            println!("Released for \"{}\":", released.target);
            for (site, account) in &released.passkeys {
                println!("  {site}: {account}");
            }
            println!(
                "Bring {} to \"{}\" and run `keyplace-host copy import {}` there.",
                out.display(),
                released.target,
                out.display()
            );
        }
        CopyCommand::Import {
            request,
            approval,
            pin,
        } => {
            let request = read(&request)?;
            let approval = approval.as_deref().map(read).transpose()?;
            let pin = read_pin(&pin)?;
            step("Checking the approval and decrypting the copy");
            let imported = devices
                .import_copy(&request, approval.as_deref(), &pin)
                .map_err(say)?;
            println!("Imported into this computer's vault:");
            for passkey in imported {
                println!(
                    "  {}: {} ({})",
                    passkey.rp_id,
                    passkey.user_name,
                    B64u::encode(&passkey.credential_id)
                );
            }
        }
        CopyCommand::Log => {
            let log = devices.copy_log().map_err(say)?;
            if log.is_empty() {
                println!("No copies yet.");
            }
            for entry in log {
                let approver = entry
                    .approver
                    .map(|a| format!(", approved by {a}"))
                    .unwrap_or_default();
                println!(
                    "{} {} {}: {} -> {}{approver} ({})",
                    format_time(entry.at),
                    entry.rp_id,
                    entry.user_name,
                    entry.source,
                    entry.target,
                    entry.role
                );
            }
        }
    }
    Ok(())
}

pub(super) fn open() -> Result<Devices, String> {
    let database = data_dir().map_err(|e| e.to_string())?.join(DATABASE_FILE);
    Devices::open(&database).map_err(say)
}

pub(super) fn say(error: DeviceError) -> String {
    error.to_string()
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Progress on work that takes a moment (the PIN check, the chip), on standard error.
pub(super) fn step(what: &str) {
    eprintln!("{what}…");
}

fn finish_ring_change(ring: &str, out: Option<PathBuf>, done: &str) -> Result<(), String> {
    let out = out.unwrap_or_else(|| PathBuf::from("keyplace-ring.json"));
    write(&out, ring)?;
    println!(
        "{done} Tell your other devices with `keyplace-host devices accept {}`.",
        out.display()
    );
    Ok(())
}

pub(super) fn print_devices(devices: &[DeviceInfo]) {
    for device in devices {
        println!("{}", device_line(device));
    }
}

/// One device as `devices list` shows it: name, short id, what it is, who approved it and when it joined.
fn device_line(device: &DeviceInfo) -> String {
    let mut notes = Vec::new();
    if device.this_device {
        notes.push("this computer".to_owned());
    }
    if device.recovery_sheet {
        notes.push("recovery sheet".to_owned());
    }
    match &device.approved_by {
        Some(by) => notes.push(format!("approved by {by}")),
        None => notes.push("started the ring".to_owned()),
    }
    if let Some(by) = &device.removed_by {
        notes.push(format!("removed by {by}"));
    }
    format!(
        "  {} ({}): {}, since {}",
        device.name,
        device.short_id,
        notes.join(", "),
        format_time(device.added_at)
    )
}

/// Vault passkeys by site, or by id.
fn passkey_ids(devices: &Devices, wanted: &[String]) -> Result<Vec<Vec<u8>>, String> {
    let credentials = devices
        .metadata()
        .credentials(None)
        .map_err(|e| e.to_string())?;
    let mut ids = Vec::new();
    for want in wanted {
        let by_site: Vec<Vec<u8>> = credentials
            .iter()
            .filter(|c| c.rp_id == *want && c.store == StoreId::Vault)
            .map(|c| c.credential_id.clone())
            .collect();
        if !by_site.is_empty() {
            ids.extend(by_site);
        } else {
            let id = keyplace_core::bytes::b64u_decode(want)
                .ok_or_else(|| say(DeviceError::UnknownPasskey(want.clone())))?;
            ids.push(id);
        }
    }
    ids.dedup();
    Ok(ids)
}

pub(super) fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|error| {
        say(DeviceError::File {
            path: path.display().to_string(),
            error,
        })
    })
}

pub(super) fn write(path: &Path, contents: &str) -> Result<(), String> {
    write_private_file(path, contents.as_bytes()).map_err(|error| {
        say(DeviceError::File {
            path: path.display().to_string(),
            error,
        })
    })
}

pub(super) fn code_or_file(value: &str) -> Result<String, String> {
    let path = Path::new(value);
    if path.is_file() {
        read(path)
    } else {
        Ok(value.to_owned())
    }
}

/// Asks yes/no on the terminal unless `--yes`; refuses when nobody can answer.
/// Who asks to copy what to whom, as the approving device shows it.
pub(super) fn print_copy(summary: &CopySummary) {
    println!(
        "\"{}\" asks to copy to \"{}\":",
        summary.source, summary.target
    );
    for (site, account) in &summary.passkeys {
        println!("  {site}: {account}");
    }
}

pub(super) fn confirm(args: &PinArgs, question: &str) -> Result<(), String> {
    if args.yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() || args.pin_stdin {
        return Err("Compare the short code, then run this again with --yes.".into());
    }
    if super::secret_input::ask_yes(question)? {
        Ok(())
    } else {
        Err("Nothing was approved.".into())
    }
}

pub(super) fn read_pin(args: &PinArgs) -> Result<Zeroizing<String>, String> {
    let pin = super::secret_input::read_secret(args.pin_stdin, "Vault PIN of this computer: ")?;
    if pin.is_empty() {
        return Err("A PIN is needed.".into());
    }
    Ok(pin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recovery_sheet_is_listed_as_one() {
        let mut sheet = DeviceInfo {
            id: vec![1],
            short_id: "AB12".into(),
            name: "paper".into(),
            this_device: false,
            enrolled: true,
            approved_by: Some("desktop".into()),
            added_at: 0,
            removed_by: None,
            recovery_sheet: true,
        };
        assert!(device_line(&sheet).contains("paper (AB12): recovery sheet, approved by desktop"));
        sheet.recovery_sheet = false;
        assert!(!device_line(&sheet).contains("recovery sheet"));
    }
}
