//! Who started the host. Chromium passes the calling extension's origin as argv[1]; Firefox passes the manifest
//! path and the add-on id. Only the ids `install` recorded in `allowed-extensions.json` may use the host, and this
//! is checked before a single frame is read.

use std::ffi::OsString;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data_dir::{write_private_file, ALLOWED_EXTENSIONS_FILE};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    Chromium { origin: String },
    Firefox { addon_id: String },
}

/// What the command line says about how the binary was started.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    Browser(Caller),
    /// No arguments at all: nobody to check, so nobody to serve.
    NoCaller,
    Cli,
}

pub fn invocation(args: &[OsString]) -> Invocation {
    let text: Vec<Option<&str>> = args.iter().map(|a| a.to_str()).collect();
    match text.as_slice() {
        [_] | [] => Invocation::NoCaller,
        [_, Some(origin), ..] if origin.starts_with("chrome-extension://") => {
            Invocation::Browser(Caller::Chromium {
                origin: (*origin).to_owned(),
            })
        }
        [_, Some(manifest), Some(addon_id), ..]
            if manifest.ends_with(".json") && !addon_id.starts_with('-') =>
        {
            Invocation::Browser(Caller::Firefox {
                addon_id: (*addon_id).to_owned(),
            })
        }
        _ => Invocation::Cli,
    }
}

pub fn chromium_origin(extension_id: &str) -> String {
    format!("chrome-extension://{extension_id}/")
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedExtensions {
    #[serde(default)]
    pub chromium_origins: Vec<String>,
    #[serde(default)]
    pub firefox_ids: Vec<String>,
}

impl AllowedExtensions {
    /// `Ok(None)` when `install` has not written the file yet.
    pub fn load(data_dir: &Path) -> Result<Option<Self>, String> {
        let path = data_dir.join(ALLOWED_EXTENSIONS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                format!(
                    "{} is damaged ({e}); run `keyplace-host install` again",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        crate::data_dir::ensure_private_dir(data_dir)?;
        let mut json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        json.push(b'\n');
        write_private_file(&data_dir.join(ALLOWED_EXTENSIONS_FILE), &json)
    }

    pub fn allows(&self, caller: &Caller) -> bool {
        match caller {
            Caller::Chromium { origin } => {
                // Chromium sends "chrome-extension://ID/"; tolerate a missing trailing slash, nothing else.
                let origin = if origin.ends_with('/') {
                    origin.clone()
                } else {
                    format!("{origin}/")
                };
                self.chromium_origins.contains(&origin)
            }
            Caller::Firefox { addon_id } => self.firefox_ids.contains(addon_id),
        }
    }

    pub fn add(list: &mut Vec<String>, value: String) {
        if !list.contains(&value) {
            list.push(value);
        }
    }
}

/// Why `caller` may not use the host, in words for the person reading stderr.
pub fn check(caller: &Caller, data_dir: &Path) -> Result<(), String> {
    let allowed = AllowedExtensions::load(data_dir)?
        .ok_or_else(|| "no extension is allowed yet; run `keyplace-host install`".to_owned())?;
    if allowed.allows(caller) {
        Ok(())
    } else {
        Err(match caller {
            Caller::Chromium { origin } => format!(
                "{origin} is not an extension Keyplace was installed for; \
                 run `keyplace-host install --extension-id ID` to allow it"
            ),
            Caller::Firefox { addon_id } => format!(
                "the add-on {addon_id} is not one Keyplace was installed for; \
                 run `keyplace-host install --firefox-id ID` to allow it"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn routes_argv() {
        assert_eq!(invocation(&args(&["host"])), Invocation::NoCaller);
        assert_eq!(
            invocation(&args(&[
                "host",
                "chrome-extension://abc/",
                "--parent-window=0"
            ])),
            Invocation::Browser(Caller::Chromium {
                origin: "chrome-extension://abc/".into()
            })
        );
        assert_eq!(
            invocation(&args(&[
                "host",
                "/x/com.keyplace.host.json",
                "keyplace@keyplace.dev"
            ])),
            Invocation::Browser(Caller::Firefox {
                addon_id: "keyplace@keyplace.dev".into()
            })
        );
        assert_eq!(
            invocation(&args(&["host", "install", "--browser", "firefox"])),
            Invocation::Cli
        );
        assert_eq!(invocation(&args(&["host", "--help"])), Invocation::Cli);
    }

    #[test]
    fn checks_against_the_installed_list() {
        let dir = tempfile::tempdir().unwrap();
        let ours = Caller::Chromium {
            origin: chromium_origin("ipdamncjijplhbkhipddgambbnginfmp"),
        };
        assert!(check(&ours, dir.path()).is_err(), "nothing installed yet");
        let allowed = AllowedExtensions {
            chromium_origins: vec![chromium_origin("ipdamncjijplhbkhipddgambbnginfmp")],
            firefox_ids: vec!["keyplace@keyplace.dev".into()],
        };
        allowed.save(dir.path()).unwrap();
        assert!(check(&ours, dir.path()).is_ok());
        let no_slash = Caller::Chromium {
            origin: "chrome-extension://ipdamncjijplhbkhipddgambbnginfmp".into(),
        };
        assert!(check(&no_slash, dir.path()).is_ok());
        let other = Caller::Chromium {
            origin: chromium_origin("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        };
        assert!(check(&other, dir.path()).is_err());
        let prefix = Caller::Chromium {
            origin: "chrome-extension://ipdamncjijplhbkhipddgambbnginfmp/x/".into(),
        };
        assert!(check(&prefix, dir.path()).is_err());
        let firefox = Caller::Firefox {
            addon_id: "keyplace@keyplace.dev".into(),
        };
        assert!(check(&firefox, dir.path()).is_ok());
        let other_addon = Caller::Firefox {
            addon_id: "evil@example.com".into(),
        };
        assert!(check(&other_addon, dir.path()).is_err());
        std::fs::write(dir.path().join(ALLOWED_EXTENSIONS_FILE), b"{oops").unwrap();
        assert!(check(&ours, dir.path()).is_err());
    }
}
