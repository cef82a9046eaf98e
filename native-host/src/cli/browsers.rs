//! Where each browser looks for native messaging host manifests, and what goes in one.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use serde_json::{json, Value};

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

    /// The browser's own configuration directory (its existence means the browser has been used here).
    fn config_dir(self, home: &Path) -> PathBuf {
        if cfg!(target_os = "macos") {
            let support = home.join("Library/Application Support");
            match self {
                Browser::Chrome => support.join("Google/Chrome"),
                Browser::Chromium => support.join("Chromium"),
                Browser::Brave => support.join("BraveSoftware/Brave-Browser"),
                Browser::Edge => support.join("Microsoft Edge"),
                Browser::Firefox => support.join("Mozilla"),
            }
        } else {
            match self {
                Browser::Chrome => home.join(".config/google-chrome"),
                Browser::Chromium => home.join(".config/chromium"),
                Browser::Brave => home.join(".config/BraveSoftware/Brave-Browser"),
                Browser::Edge => home.join(".config/microsoft-edge"),
                Browser::Firefox => home.join(".mozilla"),
            }
        }
    }

    /// Where this browser reads host manifests for this user.
    pub fn manifest_dir(self, home: &Path) -> PathBuf {
        match (self, cfg!(target_os = "macos")) {
            (Browser::Firefox, false) => home.join(".mozilla/native-messaging-hosts"),
            (_, _) => self.config_dir(home).join("NativeMessagingHosts"),
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

    /// Whether the browser seems to be on this computer: its config directory exists or it is on PATH.
    pub fn is_present(self, home: &Path) -> bool {
        self.config_dir(home).is_dir() || self.executables().iter().any(|name| on_path(name))
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// The user's home directory; `HOME` wins so tests and sandboxes can move it.
pub fn home_dir() -> Result<PathBuf, String> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .or_else(dirs::home_dir)
        .ok_or_else(|| "cannot tell where your home directory is; set HOME".to_owned())
}

/// One manifest location to write, remove or check.
#[derive(Clone, Debug)]
pub struct Target {
    pub browser: Browser,
    pub manifest: PathBuf,
}

impl Target {
    pub fn new(browser: Browser, manifest_dir: &Path) -> Self {
        Target {
            browser,
            manifest: manifest_dir.join(format!("{HOST_NAME}.json")),
        }
    }
}

/// The locations the options name: one browser (maybe in a test profile), or `all` of them.
pub fn targets(
    args: &RegistrationArgs,
    home: &Path,
    only_present: bool,
) -> Result<Vec<Target>, String> {
    if cfg!(windows) {
        return Err(
            "on Windows the host is registered in the registry, which this version cannot do yet"
                .into(),
        );
    }
    match (args.browser, &args.profile_dir) {
        (Some(Browser::Firefox), Some(_)) => Err(
            "--profile-dir is for Chromium-family browsers; Firefox reads $HOME/.mozilla".into(),
        ),
        (None, Some(_)) => {
            Err("--profile-dir needs --browser (chrome, chromium, brave or edge)".into())
        }
        (Some(browser), Some(dir)) => Ok(vec![Target::new(
            browser,
            &dir.join("NativeMessagingHosts"),
        )]),
        (Some(browser), None) => Ok(vec![Target::new(browser, &browser.manifest_dir(home))]),
        (None, None) => Ok(Browser::ALL
            .into_iter()
            .filter(|browser| !only_present || browser.is_present(home))
            .map(|browser| Target::new(browser, &browser.manifest_dir(home)))
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
