//! `doctor`: what works and what to do about what does not, in plain words.

use std::path::Path;
use std::process::ExitCode;

use super::browsers::Browser;
use super::doctor_browsers::{check_browsers, Level, Setting};
use super::places::Places;
use super::registry;
use super::DoctorArgs;
use crate::caller::AllowedExtensions;
use crate::data_dir::{
    data_dir, system_allowed_extensions_file, system_root, ALLOWED_EXTENSIONS_FILE, DATABASE_FILE,
};
use crate::metadata::{Metadata, LATEST_VERSION};
use crate::stores::protection::{self, VaultProtection};
use crate::stores::vault::Vault;
use crate::stores::StoreError;

#[derive(Default)]
struct Report {
    failed: bool,
}

impl Report {
    fn pass(&mut self, what: impl AsRef<str>) {
        println!("✓ {}", what.as_ref());
    }

    /// A problem that stops the host from working.
    fn fail(&mut self, what: impl AsRef<str>, fix: impl AsRef<str>) {
        self.failed = true;
        self.note(what, fix);
    }

    /// Worth knowing, but the host works without it.
    fn note(&mut self, what: impl AsRef<str>, fix: impl AsRef<str>) {
        println!("✗ {}", what.as_ref());
        println!("    → {}", fix.as_ref());
    }
}

pub fn run(args: &DoctorArgs) -> ExitCode {
    let mut report = Report::default();
    let host_allows = check_storage(&mut report);
    check_manifests(&mut report, args, &host_allows);
    report.pass(public_suffix_list());
    // Hardware is optional: problems with it are notes, never failures.
    for line in crate::stores::hardware::diagnose() {
        if line.ok {
            report.pass(line.text);
        } else {
            report.note(line.text, line.fix);
        }
    }
    if report.failed {
        println!("Keyplace cannot work yet: fix the ✗ lines marked above with →.");
        ExitCode::FAILURE
    } else {
        println!("Keyplace is ready.");
        ExitCode::SUCCESS
    }
}

/// Which Public Suffix List this build carries (the extension's WASM core is built from the same file): it decides
/// which names are one site, for the RP ID check and for site rules.
fn public_suffix_list() -> String {
    use keyplace_core::public_suffix::LIST_VERSION;
    let date = LIST_VERSION.get(..10).unwrap_or(LIST_VERSION);
    format!("Public Suffix List of {date} built in (which names count as one site)")
}

/// The data folder, the database, the vault and the host's list of allowed extensions (returned).
fn check_storage(report: &mut Report) -> AllowedExtensions {
    let dir = match data_dir() {
        Ok(dir) => dir,
        Err(e) => {
            report.fail(
                format!("Data folder: {e}"),
                "Set KEYPLACE_DATA_DIR to a folder you own.",
            );
            return AllowedExtensions::default();
        }
    };
    match crate::data_dir::ensure_private_dir(&dir) {
        Ok(()) => report.pass(format!(
            "Data folder {} is there and private to you",
            dir.display()
        )),
        Err(e) => {
            report.fail(
                format!("Data folder {} cannot be used: {e}", dir.display()),
                "Check that you own it, or set KEYPLACE_DATA_DIR to another folder.",
            );
            return AllowedExtensions::default();
        }
    }

    let database = dir.join(DATABASE_FILE);
    match Metadata::open(&database) {
        Ok(metadata) => {
            let version = metadata.schema_version().unwrap_or(0);
            let count = metadata.list_count(&Default::default()).unwrap_or(0);
            report.pass(format!(
                "Database {} opens (schema {version} of {LATEST_VERSION}, {count} passkey{})",
                database.display(),
                if count == 1 { "" } else { "s" }
            ));
            let vault = Vault::new(std::sync::Arc::new(metadata));
            check_vault(report, &vault);
        }
        Err(e) => report.fail(
            format!("Database {} cannot be opened: {e}", database.display()),
            "Close the browsers and run doctor again; if it persists, move the file away (your passkeys are in it).",
        ),
    }

    check_allowed(report, &dir)
}

/// The user's list and the system-wide one (a package's) together decide which extensions the host serves.
fn check_allowed(report: &mut Report, dir: &Path) -> AllowedExtensions {
    let user_path = dir.join(ALLOWED_EXTENSIONS_FILE);
    let root = system_root();
    let system_path = system_allowed_extensions_file(&root);
    let (user, system) = match (
        AllowedExtensions::load(dir),
        AllowedExtensions::load_system(&root),
    ) {
        (Ok(user), Ok(system)) => (user, system),
        (Err(e), _) | (_, Err(e)) => {
            report.fail(e, "Run `keyplace-host install` to write it again.");
            return AllowedExtensions::default();
        }
    };
    // The files that are there, or the user's (the one `install` writes) when neither is.
    let mut files: Vec<String> = Vec::new();
    if user.is_some() {
        files.push(user_path.display().to_string());
    }
    if let (Some(_), Some(path)) = (&system, &system_path) {
        files.push(path.display().to_string());
    }
    if files.is_empty() {
        files.push(format!("{} is missing", user_path.display()));
    }
    let allowed = AllowedExtensions::merged(user, system).unwrap_or_default();
    if allowed.chromium_origins.is_empty() && allowed.firefox_ids.is_empty() {
        report.fail(
            format!(
                "No extension is allowed yet (none in {})",
                files.join(" or ")
            ),
            "Run `keyplace-host install`.",
        );
    } else {
        report.pass(format!(
            "Allowed extensions ({}): {}",
            files.join(" and "),
            super::install::describe(&allowed)
        ));
    }
    allowed
}

/// How the vault is protected, what this computer can seal it with, and why not better.
fn check_vault(report: &mut Report, vault: &Vault) {
    let available = vault.available_protection();
    match vault.protection() {
        Ok(Some(VaultProtection::TpmSealed)) if available != VaultProtection::TpmSealed => report
            .fail(
                VaultProtection::SEALED_BUT_NO_TPM,
                VaultProtection::SEALED_BUT_NO_TPM_FIX,
            ),
        // Asks the store for the vault's secret (no PIN): a copied folder is said here, not at the next sign-in.
        Ok(Some(VaultProtection::OsSealed)) => match vault.check_os_secret() {
            Ok(()) => report.pass(VaultProtection::OsSealed.describe()),
            Err(StoreError::SealedElsewhere(words)) => {
                report.fail(words, protection::SEALED_ELSEWHERE_FIX)
            }
            Err(_) => report.fail(
                VaultProtection::SEALED_BUT_NO_OS_STORE,
                VaultProtection::SEALED_BUT_NO_OS_STORE_FIX,
            ),
        },
        Ok(Some(protection)) => match protection.advice() {
            None => report.pass(protection.describe()),
            Some(advice) => report.note(protection.describe(), advice),
        },
        Ok(None) => report.pass(available.describe_future()),
        Err(e) => report.fail(
            format!("Vault cannot be read: {e}"),
            "Run doctor again; if it persists, report it.",
        ),
    }
    report.pass(available.describe_available());
    if available == VaultProtection::PinOnly {
        if let Err(reason) = vault.os_secret_store() {
            report.note(
                protection::no_os_store(&reason),
                protection::NO_OS_STORE_FIX,
            );
        }
    }
}

fn check_manifests(report: &mut Report, args: &DoctorArgs, host_allows: &AllowedExtensions) {
    let places = match Places::current() {
        Ok(places) => places,
        Err(e) => return report.fail(e, "Set HOME (and KEYPLACE_DATA_DIR if need be)."),
    };
    let registry = registry::this_computer();
    let present = |browser: Browser| browser.found(&places).is_some();
    let setting = Setting {
        places: &places,
        profile_dir: args.profile_dir.as_deref(),
        registry: registry.as_ref(),
        present: &present,
        host_allows,
    };
    for line in check_browsers(&setting) {
        match line.level {
            Level::Pass => report.pass(line.text),
            Level::Note => report.note(line.text, line.fix),
            Level::Fail => report.fail(line.text, line.fix),
        }
    }
}
