//! `uninstall`: remove the manifests `install` wrote and forget the extension ids it allowed.

use super::browsers::{chosen_ids, home_dir, targets};
use super::RegistrationArgs;
use crate::caller::{chromium_origin, AllowedExtensions};
use crate::data_dir::data_dir;

pub fn run(args: &RegistrationArgs) -> Result<(), String> {
    let home = home_dir()?;
    let (chromium_ids, firefox_ids) = chosen_ids(args)?;
    let targets = targets(args, &home, false)?;
    let mut removed_any = false;
    for target in &targets {
        match std::fs::remove_file(&target.manifest) {
            Ok(()) => {
                removed_any = true;
                println!(
                    "Removed Keyplace from {} ({}).",
                    target.browser.name(),
                    target.manifest.display()
                );
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", target.manifest.display())),
        }
    }
    if !removed_any {
        println!("Keyplace was not registered with any of those browsers.");
    }

    let data_dir = data_dir().map_err(|e| e.to_string())?;
    if let Some(mut allowed) = AllowedExtensions::load(&data_dir)? {
        if targets.iter().any(|t| !t.browser.is_firefox()) {
            let origins: Vec<String> = chromium_ids.iter().map(|id| chromium_origin(id)).collect();
            allowed
                .chromium_origins
                .retain(|origin| !origins.contains(origin));
        }
        if targets.iter().any(|t| t.browser.is_firefox()) {
            allowed.firefox_ids.retain(|id| !firefox_ids.contains(id));
        }
        allowed.save(&data_dir).map_err(|e| e.to_string())?;
        println!(
            "Keyplace now answers these extensions: {}.",
            super::install::describe(&allowed)
        );
    }
    println!(
        "Your passkeys stay in {}; delete that folder to remove them too.",
        data_dir.display()
    );
    Ok(())
}
