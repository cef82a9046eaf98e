//! `import FILE`: passkeys from another manager's Credential Exchange Format (CXF 1.0) export into the vault. Without
//! a choice it lists them, numbered; `--all`, `--pick 1,3` or `--site example.com` choose, and the vault PIN imports.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use zeroize::Zeroizing;

use crate::data_dir::{data_dir, DATABASE_FILE};
use crate::import::{self, ImportReport, PasskeyReport, Status, MAX_EXPORT_BYTES};
use crate::metadata::Metadata;
use crate::stores::vault::{Vault, MIN_PIN_CHARS};

/// The consent window's policy for a new vault PIN (ARCHITECTURE.md rule 5): more characters where no TPM counts
/// wrong ones.

#[derive(Args)]
pub struct ImportArgs {
    /// The export another passkey manager wrote (CXF 1.0 JSON).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Import every passkey that can be imported.
    #[arg(long, conflicts_with_all = ["pick", "sites"])]
    all: bool,
    /// Import these, by their numbers in the list (e.g. 1,3).
    #[arg(long, value_name = "N,…", value_delimiter = ',')]
    pick: Vec<usize>,
    /// Import every passkey of this site (its RP ID, e.g. example.com); repeatable.
    #[arg(long = "site", value_name = "RP_ID")]
    sites: Vec<String>,
    /// Read the vault PIN from the first line of standard input instead of asking.
    #[arg(long)]
    pin_stdin: bool,
    /// Do not ask to confirm the passkeys chosen.
    #[arg(long)]
    yes: bool,
}

pub fn run(args: &ImportArgs) -> Result<(), String> {
    let text = read_file(args)?;
    let database = data_dir().map_err(|e| e.to_string())?.join(DATABASE_FILE);
    let metadata = Arc::new(
        Metadata::open(&database)
            .map_err(|e| format!("cannot open {}: {e}", database.display()))?,
    );
    let listed = import::inspect(&metadata, &text).map_err(|e| say(&args.file, e))?;
    println!(
        "{} from {}:",
        passkeys(listed.passkeys.len()),
        listed.exporter
    );
    for (n, passkey) in listed.passkeys.iter().enumerate() {
        println!("  {}. {}", n + 1, line(passkey));
    }
    if !(args.all || !args.pick.is_empty() || !args.sites.is_empty()) {
        println!(
            "Choose what to import with --all, --pick 1,3 or --site {}.",
            listed
                .passkeys
                .first()
                .map_or("example.com", |p| p.rp_id.as_str())
        );
        return Ok(());
    }
    let chosen = chosen(args, &listed)?;
    if chosen.is_empty() {
        println!("Nothing you chose can be imported.");
        return Ok(());
    }
    confirm(args, chosen.len(), &listed.exporter)?;
    let vault = Vault::new(metadata.clone());
    let new_vault = !vault.is_initialized().map_err(|e| e.to_string())?;
    let pin = read_pin(args.pin_stdin, new_vault)?;
    let shortest = vault.min_new_pin_chars();
    if new_vault && pin.chars().count() < shortest {
        return Err(format!(
            "A new vault PIN needs at least {shortest} characters here; nothing was imported."
        ));
    }
    eprintln!("Checking the PIN and importing…");
    let done =
        import::import(&metadata, &vault, &text, &chosen, &pin).map_err(|e| say(&args.file, e))?;
    summary(&done);
    Ok(())
}

fn read_file(args: &ImportArgs) -> Result<Zeroizing<String>, String> {
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", args.file.display());
    let size = std::fs::metadata(&args.file).map_err(cannot)?.len();
    if size > MAX_EXPORT_BYTES as u64 {
        return Err(format!(
            "{} has {size} bytes, more than an export may have ({MAX_EXPORT_BYTES})",
            args.file.display()
        ));
    }
    Ok(Zeroizing::new(
        std::fs::read_to_string(&args.file).map_err(cannot)?,
    ))
}

fn say(file: &std::path::Path, error: import::ImportError) -> String {
    format!("{}: {error}", file.display())
}

/// "example.com — jane_smith (Jane Smith), account jane@example.com: cannot import: …"
fn line(passkey: &PasskeyReport) -> String {
    let mut who = passkey.user_name.clone();
    if !passkey.user_display_name.is_empty() && passkey.user_display_name != passkey.user_name {
        who.push_str(&format!(" ({})", passkey.user_display_name));
    }
    let status = match &passkey.status {
        Status::Ready => String::new(),
        Status::Imported => ": imported".into(),
        Status::NotChosen => ": not chosen".into(),
        Status::AlreadyHere => ": already in Keyplace, skipped".into(),
        Status::CannotImport(reason) => format!(": cannot import: {reason}"),
    };
    format!(
        "{} — {who}, in the account {}{status}",
        passkey.rp_id, passkey.account
    )
}

/// The credential ids chosen by number or site, of the passkeys that can be imported.
fn chosen(args: &ImportArgs, listed: &ImportReport) -> Result<Vec<Vec<u8>>, String> {
    if let Some(&n) = args
        .pick
        .iter()
        .find(|&&n| n == 0 || n > listed.passkeys.len())
    {
        return Err(format!(
            "there is no passkey {n} in the list (1 to {})",
            listed.passkeys.len()
        ));
    }
    if let Some(site) = args.sites.iter().find(|site| {
        !listed
            .passkeys
            .iter()
            .any(|p| p.rp_id.eq_ignore_ascii_case(site))
    }) {
        return Err(format!("the file has no passkey for {site}"));
    }
    Ok(listed
        .passkeys
        .iter()
        .enumerate()
        .filter(|(i, p)| {
            args.all
                || args.pick.contains(&(i + 1))
                || args.sites.iter().any(|s| p.rp_id.eq_ignore_ascii_case(s))
        })
        .filter(|(_, p)| p.status == Status::Ready)
        .map(|(_, p)| p.credential_id.clone())
        .collect())
}

fn confirm(args: &ImportArgs, count: usize, exporter: &str) -> Result<(), String> {
    if args.yes {
        return Ok(());
    }
    if args.pin_stdin || !std::io::stdin().is_terminal() {
        return Err("Check the list, then run this again with --yes.".into());
    }
    let question = format!(
        "Import {} from {exporter} into the Keyplace vault?",
        passkeys(count)
    );
    if super::secret_input::ask_yes(&question)? {
        Ok(())
    } else {
        Err("Nothing was imported.".into())
    }
}

/// The vault PIN, asked without echo (twice when it is a new one), or the first line of standard input.
fn read_pin(pin_stdin: bool, new_vault: bool) -> Result<Zeroizing<String>, String> {
    let pin = if pin_stdin {
        super::secret_input::read_secret(true, "")?
    } else if new_vault {
        let prompt =
            format!("Choose a vault PIN for this computer (at least {MIN_PIN_CHARS} characters): ");
        let pin = Zeroizing::new(rpassword::prompt_password(prompt).map_err(|e| e.to_string())?);
        let again = Zeroizing::new(
            rpassword::prompt_password("The same PIN again: ").map_err(|e| e.to_string())?,
        );
        if pin != again {
            return Err("The two PINs differ; nothing was imported.".into());
        }
        pin
    } else {
        Zeroizing::new(
            rpassword::prompt_password("Vault PIN of this computer: ")
                .map_err(|e| e.to_string())?,
        )
    };
    if pin.is_empty() {
        return Err("A PIN is needed.".into());
    }
    Ok(pin)
}

fn summary(done: &ImportReport) {
    println!(
        "Imported {} from {} into the Keyplace vault on this computer.",
        passkeys(done.count(&Status::Imported)),
        done.exporter
    );
    for passkey in done
        .passkeys
        .iter()
        .filter(|p| matches!(p.status, Status::AlreadyHere | Status::CannotImport(_)))
    {
        println!("  Skipped {}", line(passkey));
    }
    println!(
        "The export holds your passkeys' private keys unencrypted: delete it once you no longer need it."
    );
}

fn passkeys(n: usize) -> String {
    format!("{n} passkey{}", if n == 1 { "" } else { "s" })
}
