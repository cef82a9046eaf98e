//! `uninstall`: remove the manifests (and, on Windows, the registry keys) `install` wrote and forget the extension
//! ids it allowed.

use std::io::Write;

use super::browsers::{chosen_ids, targets};
use super::install::{allowed_file, cannot, describe, save_allowed};
use super::places::Places;
use super::registry::{self, Registry};
use super::RegistrationArgs;
use crate::caller::{chromium_origin, AllowedExtensions};

pub fn run(args: &RegistrationArgs) -> Result<(), String> {
    let places = Places::current()?;
    let mut registry = registry::this_computer();
    let stdout = std::io::stdout();
    uninstall(args, &places, registry.as_mut(), &mut stdout.lock())
}

pub fn uninstall(
    args: &RegistrationArgs,
    places: &Places,
    registry: &mut dyn Registry,
    out: &mut dyn Write,
) -> Result<(), String> {
    let (chromium_ids, firefox_ids) = chosen_ids(args)?;
    let targets = targets(args, places, |_| true)?;
    let mut removed_any = false;
    for target in &targets {
        if let Some(key) = &target.registry_key {
            if registry.remove_key(key)? {
                removed_any = true;
                let _ = writeln!(out, "Removed HKEY_CURRENT_USER\\{key}.");
            }
        }
        match std::fs::remove_file(&target.manifest) {
            Ok(()) => {
                removed_any = true;
                let _ = writeln!(
                    out,
                    "Removed Keyplace from {} ({}).",
                    target.browser.name(),
                    target.manifest.display()
                );
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(cannot("remove", &target.manifest, &e, args.system)),
        }
    }
    if !removed_any {
        let _ = writeln!(
            out,
            "Keyplace was not registered with any of those browsers."
        );
    }

    let allowed_file = allowed_file(args, places)?;
    if let Some(mut allowed) = AllowedExtensions::load_file(&allowed_file)? {
        if targets.iter().any(|t| !t.browser.is_firefox()) {
            let origins: Vec<String> = chromium_ids.iter().map(|id| chromium_origin(id)).collect();
            allowed
                .chromium_origins
                .retain(|origin| !origins.contains(origin));
        }
        if targets.iter().any(|t| t.browser.is_firefox()) {
            allowed.firefox_ids.retain(|id| !firefox_ids.contains(id));
        }
        save_allowed(&allowed, &allowed_file, args.system)?;
        let _ = writeln!(
            out,
            "Keyplace's host now answers these extensions: {} ({}).",
            describe(&allowed),
            allowed_file.display()
        );
    }
    if !args.system {
        let _ = writeln!(
            out,
            "Your passkeys stay in {}; delete that folder to remove them too.",
            places.keyplace_data.display()
        );
    }
    Ok(())
}
