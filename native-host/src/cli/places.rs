//! Where each browser keeps its profiles and reads host manifests (and, on Windows, which registry key names the
//! manifest), on Linux, macOS and Windows. Everything is computed from a few folders given in `Places`, so the
//! answers for every platform are unit-tested on Linux.

use std::path::{Path, PathBuf};

use super::browsers::{Browser, HOST_NAME};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Linux,
    MacOs,
    Windows,
}

impl Platform {
    pub const CURRENT: Platform = if cfg!(windows) {
        Platform::Windows
    } else if cfg!(target_os = "macos") {
        Platform::MacOs
    } else {
        Platform::Linux
    };
}

/// The folders the answers depend on.
#[derive(Clone, Debug)]
pub struct Places {
    pub platform: Platform,
    pub home: PathBuf,
    /// Linux: `$XDG_CONFIG_HOME`, else `~/.config` (where Chromium-family browsers keep their profiles).
    pub config_home: PathBuf,
    /// Windows: `%LOCALAPPDATA%` (Chromium-family profiles).
    pub local_app_data: PathBuf,
    /// Windows: `%APPDATA%` (Firefox profiles).
    pub roaming_app_data: PathBuf,
    /// Keyplace's data folder. On Windows the manifests are written here and the registry points at them.
    pub keyplace_data: PathBuf,
    /// `/`, or a staging folder (`KEYPLACE_SYSTEM_ROOT`) that system-wide paths are read and written under.
    pub system_root: PathBuf,
}

impl Places {
    /// This computer's folders for the person running the command.
    pub fn current() -> Result<Places, String> {
        let home = home_dir()?;
        let config_home = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|dir| dir.is_absolute())
            .unwrap_or_else(|| home.join(".config"));
        let keyplace_data = crate::data_dir::data_dir().map_err(|e| e.to_string())?;
        Ok(Places {
            platform: Platform::CURRENT,
            local_app_data: dirs::data_local_dir().unwrap_or_else(|| home.join("AppData/Local")),
            roaming_app_data: dirs::data_dir().unwrap_or_else(|| home.join("AppData/Roaming")),
            home,
            config_home,
            keyplace_data,
            system_root: crate::data_dir::system_root(),
        })
    }

    /// The browser's own folder of profiles (Chromium's "user data directory"; Firefox's profiles folder). It
    /// existing means the browser has been used here.
    pub fn user_data_dir(&self, browser: Browser) -> PathBuf {
        match self.platform {
            Platform::Linux => match browser {
                Browser::Chrome => self.config_home.join("google-chrome"),
                Browser::Chromium => self.config_home.join("chromium"),
                Browser::Brave => self.config_home.join("BraveSoftware/Brave-Browser"),
                Browser::Edge => self.config_home.join("microsoft-edge"),
                Browser::Firefox => self.home.join(".mozilla/firefox"),
            },
            Platform::MacOs => {
                let support = self.home.join("Library/Application Support");
                match browser {
                    Browser::Chrome => support.join("Google/Chrome"),
                    Browser::Chromium => support.join("Chromium"),
                    Browser::Brave => support.join("BraveSoftware/Brave-Browser"),
                    Browser::Edge => support.join("Microsoft Edge"),
                    Browser::Firefox => support.join("Firefox"),
                }
            }
            Platform::Windows => {
                let local = &self.local_app_data;
                match browser {
                    Browser::Chrome => local.join("Google").join("Chrome").join("User Data"),
                    Browser::Chromium => local.join("Chromium").join("User Data"),
                    Browser::Brave => local
                        .join("BraveSoftware")
                        .join("Brave-Browser")
                        .join("User Data"),
                    Browser::Edge => local.join("Microsoft").join("Edge").join("User Data"),
                    Browser::Firefox => self.roaming_app_data.join("Mozilla").join("Firefox"),
                }
            }
        }
    }

    /// Firefox keeps its profiles one level further down on macOS and Windows.
    pub fn firefox_profiles_dir(&self) -> PathBuf {
        let dir = self.user_data_dir(Browser::Firefox);
        match self.platform {
            Platform::Linux => dir,
            Platform::MacOs | Platform::Windows => dir.join("Profiles"),
        }
    }

    /// Where this user's manifest for `browser` goes. Linux and macOS browsers look in these folders; on Windows
    /// the folder is Keyplace's own and `registry_key` tells the browser where the file is.
    pub fn user_manifest_dir(&self, browser: Browser) -> PathBuf {
        match (self.platform, browser) {
            (Platform::Linux, Browser::Firefox) => {
                self.home.join(".mozilla/native-messaging-hosts")
            }
            (Platform::MacOs, Browser::Firefox) => self
                .home
                .join("Library/Application Support/Mozilla/NativeMessagingHosts"),
            (Platform::Linux | Platform::MacOs, _) => {
                self.user_data_dir(browser).join("NativeMessagingHosts")
            }
            (Platform::Windows, _) => self
                .keyplace_data
                .join("native-messaging-hosts")
                .join(browser.flag()),
        }
    }

    /// Windows: the key under HKEY_CURRENT_USER whose default value is the manifest's full path.
    pub fn registry_key(&self, browser: Browser) -> Option<String> {
        if self.platform != Platform::Windows {
            return None;
        }
        let vendor = match browser {
            Browser::Chrome => r"Google\Chrome",
            Browser::Chromium => "Chromium",
            Browser::Brave => r"BraveSoftware\Brave-Browser",
            Browser::Edge => r"Microsoft\Edge",
            Browser::Firefox => "Mozilla",
        };
        Some(format!(
            r"Software\{vendor}\NativeMessagingHosts\{HOST_NAME}"
        ))
    }

    /// Where a system-wide install (`install --system`, the `.deb`) puts the manifest for every user, under
    /// `system_root`. None where that is not written yet (Brave on Linux, which reads Chrome's; Windows: HKLM).
    pub fn system_manifest_dir(&self, browser: Browser) -> Option<PathBuf> {
        let relative = match (self.platform, browser) {
            (Platform::Linux, Browser::Chromium) => "etc/chromium/native-messaging-hosts",
            (Platform::Linux, Browser::Chrome) => "etc/opt/chrome/native-messaging-hosts",
            (Platform::Linux, Browser::Edge) => "etc/opt/edge/native-messaging-hosts",
            (Platform::Linux, Browser::Firefox) => "usr/lib/mozilla/native-messaging-hosts",
            (Platform::MacOs, Browser::Chrome) => "Library/Google/Chrome/NativeMessagingHosts",
            (Platform::MacOs, Browser::Chromium) => {
                "Library/Application Support/Chromium/NativeMessagingHosts"
            }
            (Platform::MacOs, Browser::Edge) => "Library/Microsoft/Edge/NativeMessagingHosts",
            (Platform::MacOs, Browser::Firefox) => {
                "Library/Application Support/Mozilla/NativeMessagingHosts"
            }
            _ => return None,
        };
        Some(self.system_root.join(relative))
    }
}

/// The user's home directory; `HOME` wins so tests and sandboxes can move it.
pub fn home_dir() -> Result<PathBuf, String> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .or_else(dirs::home_dir)
        .ok_or_else(|| "cannot tell where your home directory is; set HOME".to_owned())
}

/// The manifest file in a folder: `<host name>.json`, the name browsers look for.
pub fn manifest_in(dir: &Path) -> PathBuf {
    dir.join(format!("{HOST_NAME}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn places(platform: Platform) -> Places {
        Places {
            platform,
            home: PathBuf::from("/home/ada"),
            config_home: PathBuf::from("/home/ada/.config"),
            local_app_data: PathBuf::from("/C/Users/ada/AppData/Local"),
            roaming_app_data: PathBuf::from("/C/Users/ada/AppData/Roaming"),
            keyplace_data: PathBuf::from("/C/Users/ada/AppData/Roaming/keyplace"),
            system_root: PathBuf::from("/stage"),
        }
    }

    #[test]
    fn linux_user_and_system_folders() {
        let linux = places(Platform::Linux);
        assert_eq!(
            manifest_in(&linux.user_manifest_dir(Browser::Chromium)),
            Path::new("/home/ada/.config/chromium/NativeMessagingHosts/com.keyplace.host.json")
        );
        assert_eq!(
            linux.user_manifest_dir(Browser::Firefox),
            Path::new("/home/ada/.mozilla/native-messaging-hosts")
        );
        let system = |b| linux.system_manifest_dir(b);
        assert_eq!(
            system(Browser::Chromium).unwrap(),
            Path::new("/stage/etc/chromium/native-messaging-hosts")
        );
        assert_eq!(
            system(Browser::Chrome).unwrap(),
            Path::new("/stage/etc/opt/chrome/native-messaging-hosts")
        );
        assert_eq!(
            system(Browser::Edge).unwrap(),
            Path::new("/stage/etc/opt/edge/native-messaging-hosts")
        );
        assert_eq!(
            system(Browser::Firefox).unwrap(),
            Path::new("/stage/usr/lib/mozilla/native-messaging-hosts")
        );
        assert!(Browser::ALL
            .iter()
            .all(|&b| linux.registry_key(b).is_none()));
    }

    #[test]
    fn macos_folders() {
        let mac = places(Platform::MacOs);
        let support = "/home/ada/Library/Application Support";
        let expected = [
            (Browser::Chrome, "Google/Chrome/NativeMessagingHosts"),
            (Browser::Chromium, "Chromium/NativeMessagingHosts"),
            (
                Browser::Brave,
                "BraveSoftware/Brave-Browser/NativeMessagingHosts",
            ),
            (Browser::Edge, "Microsoft Edge/NativeMessagingHosts"),
            (Browser::Firefox, "Mozilla/NativeMessagingHosts"),
        ];
        for (browser, dir) in expected {
            assert_eq!(
                mac.user_manifest_dir(browser),
                Path::new(support).join(dir),
                "{browser:?}"
            );
            assert!(mac.registry_key(browser).is_none());
        }
        assert_eq!(
            mac.firefox_profiles_dir(),
            Path::new(support).join("Firefox/Profiles")
        );
        assert_eq!(
            mac.system_manifest_dir(Browser::Chrome).unwrap(),
            Path::new("/stage/Library/Google/Chrome/NativeMessagingHosts")
        );
    }

    #[test]
    fn windows_keys_point_at_manifests_in_keyplaces_folder() {
        let windows = places(Platform::Windows);
        let expected = [
            (
                Browser::Chrome,
                r"Software\Google\Chrome\NativeMessagingHosts\com.keyplace.host",
            ),
            (
                Browser::Edge,
                r"Software\Microsoft\Edge\NativeMessagingHosts\com.keyplace.host",
            ),
            (
                Browser::Chromium,
                r"Software\Chromium\NativeMessagingHosts\com.keyplace.host",
            ),
            (
                Browser::Brave,
                r"Software\BraveSoftware\Brave-Browser\NativeMessagingHosts\com.keyplace.host",
            ),
            (
                Browser::Firefox,
                r"Software\Mozilla\NativeMessagingHosts\com.keyplace.host",
            ),
        ];
        for (browser, key) in expected {
            assert_eq!(windows.registry_key(browser).as_deref(), Some(key));
            let dir = windows.user_manifest_dir(browser);
            assert!(dir.starts_with(&windows.keyplace_data), "{}", dir.display());
            assert!(windows.system_manifest_dir(browser).is_none());
        }
        assert_ne!(
            windows.user_manifest_dir(Browser::Chrome),
            windows.user_manifest_dir(Browser::Firefox),
            "Firefox's manifest differs (allowed_extensions), so it needs a file of its own"
        );
        assert_eq!(
            windows.user_data_dir(Browser::Edge),
            Path::new("/C/Users/ada/AppData/Local/Microsoft/Edge/User Data")
        );
        assert_eq!(
            windows.firefox_profiles_dir(),
            Path::new("/C/Users/ada/AppData/Roaming/Mozilla/Firefox/Profiles")
        );
    }
}
