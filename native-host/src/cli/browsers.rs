//! Where each browser looks for native messaging host manifests, and what goes in one.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use serde_json::{json, Value};

use super::places::{manifest_in, Places, Platform};
use super::RegistrationArgs;

pub const HOST_NAME: &str = "com.keyplace.host";
pub const DEFAULT_CHROMIUM_EXTENSION_ID: &str = "ipdamncjijplhbkhipddgambbnginfmp";
pub const DEFAULT_FIREFOX_ID: &str = "keyplace@keyplace.dev";
const MANIFEST_DESCRIPTION: &str =
    "Keyplace passkeys: keeps private keys in secure hardware or a local vault";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Browser {
    Chrome,
    Chromium,
    Brave,
    Edge,
    Firefox,
}

impl Browser {
    pub const ALL: [Browser; 5] = [
        Browser::Chrome,
        Browser::Chromium,
        Browser::Brave,
        Browser::Edge,
        Browser::Firefox,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Browser::Chrome => "Google Chrome",
            Browser::Chromium => "Chromium",
            Browser::Brave => "Brave",
            Browser::Edge => "Microsoft Edge",
            Browser::Firefox => "Firefox",
        }
    }

    pub fn is_firefox(self) -> bool {
        self == Browser::Firefox
    }

    /// The value of `--browser` that names it.
    pub fn flag(self) -> &'static str {
        match self {
            Browser::Chrome => "chrome",
            Browser::Chromium => "chromium",
            Browser::Brave => "brave",
            Browser::Edge => "edge",
            Browser::Firefox => "firefox",
        }
    }

    fn executables(self) -> &'static [&'static str] {
        match self {
            Browser::Chrome => &["google-chrome", "google-chrome-stable"],
            Browser::Chromium => &["chromium", "chromium-browser"],
            Browser::Brave => &["brave-browser", "brave"],
            Browser::Edge => &["microsoft-edge", "microsoft-edge-stable"],
            Browser::Firefox => &["firefox", "firefox-esr"],
        }
    }

    /// Why the browser seems to be on this computer (its profiles folder, or its program on PATH), if it does.
    pub fn found(self, places: &Places) -> Option<String> {
        let profiles = places.user_data_dir(self);
        if profiles.is_dir() {
            return Some(format!("its profiles in {}", profiles.display()));
        }
        self.executables()
            .iter()
            .find_map(|name| on_path(name))
            .map(|program| format!("{} on PATH", program.display()))
    }
}

fn on_path(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// One manifest location to write, remove or check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub browser: Browser,
    pub manifest: PathBuf,
    /// Windows: the HKEY_CURRENT_USER key whose default value must be `manifest`.
    pub registry_key: Option<String>,
    /// A system-wide manifest (every user of this computer), not this user's.
    pub system: bool,
}

impl Target {
    /// This user's registration with `browser`.
    pub fn user(browser: Browser, places: &Places) -> Self {
        Target {
            browser,
            manifest: manifest_in(&places.user_manifest_dir(browser)),
            registry_key: places.registry_key(browser),
            system: false,
        }
    }

    /// The system-wide registration with `browser`, where this platform has one.
    pub fn system(browser: Browser, places: &Places) -> Option<Self> {
        places.system_manifest_dir(browser).map(|dir| Target {
            browser,
            manifest: manifest_in(&dir),
            registry_key: None,
            system: true,
        })
    }

    /// A Chromium-family browser started with `--user-data-dir DIR` reads manifests in DIR too.
    pub fn profile(browser: Browser, user_data_dir: &Path) -> Self {
        Target {
            browser,
            manifest: manifest_in(&user_data_dir.join("NativeMessagingHosts")),
            registry_key: None,
            system: false,
        }
    }
}

/// The locations the options name: one browser (maybe in a test profile), or every browser `present` says is
/// here; `--system`: the system-wide locations of every browser that has one, present or not (a package is
/// installed before or after the browsers).
pub fn targets(
    args: &RegistrationArgs,
    places: &Places,
    present: impl Fn(Browser) -> bool,
) -> Result<Vec<Target>, String> {
    let chosen: Vec<Browser> = match args.browser {
        Some(browser) => vec![browser],
        None => Browser::ALL.to_vec(),
    };
    if args.system {
        if args.profile_dir.is_some() {
            return Err("--profile-dir and --system do not go together".into());
        }
        let system: Vec<Target> = chosen
            .iter()
            .filter_map(|&browser| Target::system(browser, places))
            .collect();
        if system.is_empty() {
            return Err(match places.platform {
                Platform::Windows => "--system is not written for Windows yet; \
                                      run `keyplace-host install` as each user"
                    .into(),
                _ => format!(
                    "{} has no system-wide folder for host manifests; run `keyplace-host install` as each user",
                    chosen[0].name()
                ),
            });
        }
        return Ok(system);
    }
    match (args.browser, &args.profile_dir) {
        (_, Some(_)) if places.platform == Platform::Windows => Err(
            "--profile-dir: on Windows browsers find the host through the registry, not the profile folder".into(),
        ),
        (Some(Browser::Firefox), Some(_)) => Err(
            "--profile-dir is for Chromium-family browsers; Firefox reads $HOME/.mozilla".into(),
        ),
        (None, Some(_)) => {
            Err("--profile-dir needs --browser (chrome, chromium, brave or edge)".into())
        }
        (Some(browser), Some(dir)) => Ok(vec![Target::profile(browser, dir)]),
        (Some(browser), None) => Ok(vec![Target::user(browser, places)]),
        (None, None) => Ok(chosen
            .into_iter()
            .filter(|&browser| present(browser))
            .map(|browser| Target::user(browser, places))
            .collect()),
    }
}

/// Chromium extension ids are 32 letters from a to p.
pub fn check_chromium_id(id: &str) -> Result<(), String> {
    if id.len() == 32 && id.bytes().all(|b| (b'a'..=b'p').contains(&b)) {
        Ok(())
    } else {
        Err(format!(
            "\"{id}\" is not a Chromium extension id (32 letters from a to p)"
        ))
    }
}

pub fn check_firefox_id(id: &str) -> Result<(), String> {
    let plausible = !id.is_empty()
        && id.len() <= 256
        && !id.starts_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
    if plausible {
        Ok(())
    } else {
        Err(format!("\"{id}\" is not a Firefox add-on id"))
    }
}

/// The ids the options name, or the development defaults.
pub fn chosen_ids(args: &RegistrationArgs) -> Result<(Vec<String>, Vec<String>), String> {
    let chromium = if args.extension_ids.is_empty() {
        vec![DEFAULT_CHROMIUM_EXTENSION_ID.to_owned()]
    } else {
        args.extension_ids.clone()
    };
    let firefox = if args.firefox_ids.is_empty() {
        vec![DEFAULT_FIREFOX_ID.to_owned()]
    } else {
        args.firefox_ids.clone()
    };
    chromium.iter().try_for_each(|id| check_chromium_id(id))?;
    firefox.iter().try_for_each(|id| check_firefox_id(id))?;
    Ok((chromium, firefox))
}

pub fn manifest_json(
    browser: Browser,
    host_path: &Path,
    chromium_ids: &[String],
    firefox_ids: &[String],
) -> Value {
    let mut manifest = json!({
        "name": HOST_NAME,
        "description": MANIFEST_DESCRIPTION,
        "path": host_path,
        "type": "stdio",
    });
    if browser.is_firefox() {
        manifest["allowed_extensions"] = json!(firefox_ids);
    } else {
        let origins: Vec<String> = chromium_ids
            .iter()
            .map(|id| crate::caller::chromium_origin(id))
            .collect();
        manifest["allowed_origins"] = json!(origins);
    }
    manifest
}

/// The manifest as written to disk: pretty JSON and a final newline.
pub fn manifest_text(manifest: &Value) -> String {
    let mut text = serde_json::to_string_pretty(manifest).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// The extension ids a manifest allows: Chromium's origins without `chrome-extension://` and `/`, Firefox's ids.
pub fn allowed_ids(manifest: &Value, browser: Browser) -> Vec<String> {
    let key = if browser.is_firefox() {
        "allowed_extensions"
    } else {
        "allowed_origins"
    };
    manifest[key]
        .as_array()
        .map(|list| list.iter().filter_map(Value::as_str).map(id_of).collect())
        .unwrap_or_default()
}

/// `chrome-extension://ID/` → `ID`; anything else as it is.
pub fn id_of(origin_or_id: &str) -> String {
    origin_or_id
        .strip_prefix("chrome-extension://")
        .map(|rest| rest.trim_end_matches('/'))
        .unwrap_or(origin_or_id)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_ids() {
        assert!(check_chromium_id(DEFAULT_CHROMIUM_EXTENSION_ID).is_ok());
        assert!(check_chromium_id("ipdamncjijplhbkhipddgambbnginfmz").is_err());
        assert!(check_chromium_id("short").is_err());
        assert!(check_firefox_id(DEFAULT_FIREFOX_ID).is_ok());
        assert!(check_firefox_id("{0f6c2a4e-1111-2222-3333-444455556666}").is_ok());
        assert!(check_firefox_id("has space").is_err());
    }

    #[test]
    fn manifests_per_family() {
        let chromium = manifest_json(
            Browser::Chromium,
            Path::new("/bin/h"),
            &["a".into()],
            &["f".into()],
        );
        assert_eq!(
            chromium["allowed_origins"],
            json!(["chrome-extension://a/"])
        );
        assert!(chromium.get("allowed_extensions").is_none());
        let firefox = manifest_json(
            Browser::Firefox,
            Path::new("/bin/h"),
            &["a".into()],
            &["f".into()],
        );
        assert_eq!(firefox["allowed_extensions"], json!(["f"]));
        assert_eq!(firefox["path"], "/bin/h");
        assert_eq!(firefox["type"], "stdio");
    }
}
