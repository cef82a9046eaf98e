//! `install`: write the host manifest for each browser and record which extensions may call the host.

use std::path::PathBuf;

use super::browsers::{chosen_ids, home_dir, manifest_json, targets, Browser};
use super::RegistrationArgs;
use crate::caller::{chromium_origin, AllowedExtensions};
use crate::data_dir::{data_dir, ALLOWED_EXTENSIONS_FILE};

pub fn run(args: &RegistrationArgs) -> Result<(), String> {
    let home = home_dir()?;
    let (chromium_ids, firefox_ids) = chosen_ids(args)?;
    let host_path = host_path(args)?;
    let targets = targets(args, &home, true)?;
    if targets.is_empty() {
        let names: Vec<&str> = Browser::ALL.iter().map(|b| b.name()).collect();
        return Err(format!(
            "found none of {} on this computer; name one with --browser",
            names.join(", ")
        ));
    }
    if !host_path.is_file() {
        println!(
            "Note: {} does not exist yet; browsers will fail to start the host until it does.",
            host_path.display()
        );
    }

    for target in &targets {
        let manifest = manifest_json(target.browser, &host_path, &chromium_ids, &firefox_ids);
        if let Some(dir) = target.manifest.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let mut text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
        text.push('\n');
        std::fs::write(&target.manifest, text)
            .map_err(|e| format!("cannot write {}: {e}", target.manifest.display()))?;
        let allowed = if target.browser.is_firefox() {
            firefox_ids.join(", ")
        } else {
            chromium_ids.join(", ")
        };
        println!(
            "Registered Keyplace with {} in {} (extension {allowed}).",
            target.browser.name(),
            target.manifest.display()
        );
    }

    let data_dir = data_dir().map_err(|e| e.to_string())?;
    let mut allowed = AllowedExtensions::load(&data_dir)?.unwrap_or_default();
    if targets.iter().any(|t| !t.browser.is_firefox()) {
        for id in &chromium_ids {
            AllowedExtensions::add(&mut allowed.chromium_origins, chromium_origin(id));
        }
    }
    if targets.iter().any(|t| t.browser.is_firefox()) {
        for id in &firefox_ids {
            AllowedExtensions::add(&mut allowed.firefox_ids, id.clone());
        }
    }
    allowed.save(&data_dir).map_err(|e| {
        format!(
            "cannot write {}: {e}",
            data_dir.join(ALLOWED_EXTENSIONS_FILE).display()
        )
    })?;
    println!(
        "Keyplace now answers these extensions: {} (recorded in {}).",
        describe(&allowed),
        data_dir.join(ALLOWED_EXTENSIONS_FILE).display()
    );
    println!(
        "Browsers start {} when the extension needs it.",
        host_path.display()
    );
    Ok(())
}

pub fn describe(allowed: &AllowedExtensions) -> String {
    let all: Vec<&str> = allowed
        .chromium_origins
        .iter()
        .chain(&allowed.firefox_ids)
        .map(String::as_str)
        .collect();
    if all.is_empty() {
        "none".into()
    } else {
        all.join(", ")
    }
}

/// An absolute path: browsers start the host without our working directory.
fn host_path(args: &RegistrationArgs) -> Result<PathBuf, String> {
    match &args.host_path {
        Some(path) if path.is_absolute() => Ok(path.clone()),
        Some(path) => std::env::current_dir()
            .map(|dir| dir.join(path))
            .map_err(|e| format!("cannot resolve {}: {e}", path.display())),
        None => std::env::current_exe()
            .and_then(|exe| exe.canonicalize())
            .map_err(|e| format!("cannot tell where this program is: {e}; pass --host-path")),
    }
}
