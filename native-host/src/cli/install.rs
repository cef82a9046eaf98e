//! `install`: write the host manifest for each browser (on Windows also the registry key that names it) and
//! record which extensions may call the host, saying each step as it goes.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::browsers::{chosen_ids, manifest_json, manifest_text, targets, Browser};
use super::places::Places;
use super::registry::{self, Registry};
use super::RegistrationArgs;
use crate::caller::{chromium_origin, AllowedExtensions};
use crate::data_dir::{system_allowed_extensions_file, ALLOWED_EXTENSIONS_FILE};

pub fn run(args: &RegistrationArgs) -> Result<(), String> {
    let places = Places::current()?;
    let mut registry = registry::this_computer();
    let stdout = std::io::stdout();
    install(
        args,
        &places,
        |browser| browser.found(&places),
        registry.as_mut(),
        &mut stdout.lock(),
    )
}

/// `found` says why a browser seems to be here (None: not found).
pub fn install(
    args: &RegistrationArgs,
    places: &Places,
    found: impl Fn(Browser) -> Option<String>,
    registry: &mut dyn Registry,
    out: &mut dyn Write,
) -> Result<(), String> {
    let (chromium_ids, firefox_ids) = chosen_ids(args)?;
    let host_path = host_path(args)?;
    if args.system {
        say(
            out,
            format!(
                "Registering Keyplace for every user of this computer (system folders under {}).",
                places.system_root.display()
            ),
        );
    } else if args.browser.is_none() {
        say(out, "Looking for browsers…");
        let mut missing = Vec::new();
        for browser in Browser::ALL {
            match found(browser) {
                Some(why) => say(out, format!("  found {} ({why})", browser.name())),
                None => missing.push(browser.name()),
            }
        }
        if !missing.is_empty() {
            say(out, format!("  not found: {}", missing.join(", ")));
        }
    }
    let targets = targets(args, places, |browser| found(browser).is_some())?;
    if targets.is_empty() {
        let names: Vec<&str> = Browser::ALL.iter().map(|b| b.name()).collect();
        return Err(format!(
            "found none of {} on this computer. Install one (or start it once), then run this again, \
             or name one with --browser",
            names.join(", ")
        ));
    }
    if !host_path.is_file() {
        say(
            out,
            format!(
                "Note: {} does not exist yet; browsers will fail to start the host until it does.",
                host_path.display()
            ),
        );
    }

    say(
        out,
        "Writing the host manifests (each tells a browser which program to start, and for which extension):",
    );
    for target in &targets {
        let manifest = manifest_json(target.browser, &host_path, &chromium_ids, &firefox_ids);
        write_file(
            &target.manifest,
            manifest_text(&manifest).as_bytes(),
            args.system,
        )?;
        let allowed = if target.browser.is_firefox() {
            firefox_ids.join(", ")
        } else {
            chromium_ids.join(", ")
        };
        say(
            out,
            format!(
                "  {}: {} (allows {allowed})",
                target.browser.name(),
                target.manifest.display()
            ),
        );
        if let Some(key) = &target.registry_key {
            let value = target.manifest.to_string_lossy();
            registry.set_default(key, &value).map_err(|e| {
                format!("{e}. Run this again as the same user; nothing else is needed.")
            })?;
            say(
                out,
                format!("    and HKEY_CURRENT_USER\\{key} names that file"),
            );
        }
    }

    let allowed_file = allowed_file(args, places)?;
    let mut allowed = AllowedExtensions::load_file(&allowed_file)?.unwrap_or_default();
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
    save_allowed(&allowed, &allowed_file, args.system)?;
    say(
        out,
        format!(
            "Keyplace's host now answers these extensions: {} (recorded in {}).",
            describe(&allowed),
            allowed_file.display()
        ),
    );
    let browsers: Vec<&str> = targets.iter().map(|t| t.browser.name()).collect();
    say(
        out,
        format!(
            "Done. Browsers start {} when the extension needs it. Next: load the Keyplace extension in {} \
             (see the README), then run `keyplace-host doctor` to check everything.",
            host_path.display(),
            browsers.join(", ")
        ),
    );
    Ok(())
}

fn say(out: &mut dyn Write, line: impl AsRef<str>) {
    // Progress only: a closed stdout must not stop the install.
    let _ = writeln!(out, "{}", line.as_ref());
}

/// The allowed-extensions list this install adds to: the user's, or with --system the one for every user.
pub fn allowed_file(args: &RegistrationArgs, places: &Places) -> Result<PathBuf, String> {
    if args.system {
        system_allowed_extensions_file(&places.system_root)
            .ok_or_else(|| "--system is not written for this platform yet".to_owned())
    } else {
        Ok(places.keyplace_data.join(ALLOWED_EXTENSIONS_FILE))
    }
}

/// The user's list stays private to them (0600); the system's is root's, readable by all (0644).
pub fn save_allowed(allowed: &AllowedExtensions, file: &Path, system: bool) -> Result<(), String> {
    if system {
        let mut json = serde_json::to_vec_pretty(allowed).map_err(|e| e.to_string())?;
        json.push(b'\n');
        write_file(file, &json, true)
    } else {
        let dir = file.parent().unwrap_or(Path::new("."));
        allowed
            .save(dir)
            .map_err(|e| cannot("write", file, &e, false))
    }
}

/// Writes a manifest or a system list; system files are 0644 in 0755 folders whatever the umask.
fn write_file(file: &Path, contents: &[u8], system: bool) -> Result<(), String> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| cannot("create", dir, &e, system))?;
    }
    std::fs::write(file, contents).map_err(|e| cannot("write", file, &e, system))?;
    #[cfg(unix)]
    if system {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644))
            .map_err(|e| cannot("set the mode of", file, &e, system))?;
    }
    Ok(())
}

/// A failure, with what to do about it.
pub fn cannot(what: &str, path: &Path, error: &std::io::Error, system: bool) -> String {
    let fix = match (error.kind(), system) {
        (std::io::ErrorKind::PermissionDenied, true) => {
            " System folders belong to root: run it with sudo, or leave out --system to register for yourself only."
        }
        (std::io::ErrorKind::PermissionDenied, false) => {
            " Check that you own that folder (ls -ld), or set KEYPLACE_DATA_DIR / HOME to one you do."
        }
        _ => "",
    };
    format!("cannot {what} {}: {error}.{fix}", path.display())
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
        // Not canonicalized on Windows: that gives a verbatim \\?\ path, not the plain one browsers expect.
        None => std::env::current_exe()
            .and_then(|exe| {
                if cfg!(windows) {
                    Ok(exe)
                } else {
                    exe.canonicalize()
                }
            })
            .map_err(|e| format!("cannot tell where this program is: {e}; pass --host-path")),
    }
}
