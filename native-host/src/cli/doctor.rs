//! `doctor`: what works and what to do about what does not, in plain words.

use std::path::Path;
use std::process::ExitCode;

use serde_json::Value;

use super::browsers::{home_dir, Browser, Target, HOST_NAME};
use super::DoctorArgs;
use crate::caller::AllowedExtensions;
use crate::data_dir::{data_dir, ALLOWED_EXTENSIONS_FILE, DATABASE_FILE};
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
    check_storage(&mut report);
    check_manifests(&mut report, args);
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

fn check_storage(report: &mut Report) {
    let dir = match data_dir() {
        Ok(dir) => dir,
        Err(e) => {
            return report.fail(
                format!("Data folder: {e}"),
                "Set KEYPLACE_DATA_DIR to a folder you own.",
            )
        }
    };
    match crate::data_dir::ensure_private_dir(&dir) {
        Ok(()) => report.pass(format!(
            "Data folder {} is there and private to you",
            dir.display()
        )),
        Err(e) => {
            return report.fail(
                format!("Data folder {} cannot be used: {e}", dir.display()),
                "Check that you own it, or set KEYPLACE_DATA_DIR to another folder.",
            )
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

    let allowed_path = dir.join(ALLOWED_EXTENSIONS_FILE);
    match AllowedExtensions::load(&dir) {
        Ok(Some(allowed))
            if !allowed.chromium_origins.is_empty() || !allowed.firefox_ids.is_empty() =>
        {
            report.pass(format!(
                "Allowed extensions ({}): {}",
                allowed_path.display(),
                super::install::describe(&allowed)
            ))
        }
        Ok(Some(_)) => report.fail(
            format!("{} allows no extension", allowed_path.display()),
            "Run `keyplace-host install`.",
        ),
        Ok(None) => report.fail(
            format!(
                "No extension is allowed yet ({} is missing)",
                allowed_path.display()
            ),
            "Run `keyplace-host install`.",
        ),
        Err(e) => report.fail(e, "Run `keyplace-host install` to write it again."),
    }
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

fn check_manifests(report: &mut Report, args: &DoctorArgs) {
    let home = match home_dir() {
        Ok(home) => home,
        Err(e) => return report.fail(e, "Set HOME."),
    };
    let mut targets: Vec<Target> = Browser::ALL
        .into_iter()
        .map(|browser| Target::new(browser, &browser.manifest_dir(&home)))
        .collect();
    if let Some(profile) = &args.profile_dir {
        targets.push(Target::new(
            Browser::Chromium,
            &profile.join("NativeMessagingHosts"),
        ));
    }
    let mut registered = 0;
    for target in &targets {
        let name = target.browser.name();
        if !target.manifest.exists() {
            if target.browser.is_present(&home) {
                report.note(
                    format!(
                        "{name}: Keyplace is not registered ({} is missing)",
                        target.manifest.display()
                    ),
                    format!(
                        "Run `keyplace-host install --browser {}`.",
                        browser_flag(target.browser)
                    ),
                );
            }
            continue;
        }
        match check_manifest(&target.manifest, target.browser) {
            Ok(summary) => {
                registered += 1;
                report.pass(format!(
                    "{name}: registered in {} ({summary})",
                    target.manifest.display()
                ));
            }
            Err(problem) => report.fail(
                format!("{name}: {} {problem}", target.manifest.display()),
                format!(
                    "Run `keyplace-host install --browser {}` again.",
                    browser_flag(target.browser)
                ),
            ),
        }
    }
    if registered == 0 {
        report.fail(
            "Keyplace is not registered with any browser",
            "Run `keyplace-host install` (or `install --browser NAME`).",
        );
    }
}

fn browser_flag(browser: Browser) -> &'static str {
    match browser {
        Browser::Chrome => "chrome",
        Browser::Chromium => "chromium",
        Browser::Brave => "brave",
        Browser::Edge => "edge",
        Browser::Firefox => "firefox",
    }
}

/// What the manifest allows, or what is wrong with it.
fn check_manifest(path: &Path, browser: Browser) -> Result<String, String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot be read: {e}"))?;
    let manifest: Value =
        serde_json::from_slice(&text).map_err(|e| format!("is not valid JSON: {e}"))?;
    if manifest["name"] != HOST_NAME {
        return Err(format!("names another host ({})", manifest["name"]));
    }
    let host = manifest["path"].as_str().ok_or("has no host path")?;
    if !is_executable(Path::new(host)) {
        return Err(format!(
            "points to {host}, which is not an executable program"
        ));
    }
    let key = if browser.is_firefox() {
        "allowed_extensions"
    } else {
        "allowed_origins"
    };
    let ids: Vec<&str> = manifest[key]
        .as_array()
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(format!("allows no extension ({key} is empty)"));
    }
    Ok(format!("starts {host}, allows {}", ids.join(", ")))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}
