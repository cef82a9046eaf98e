//! Who started the host. Chromium passes the calling extension's origin as argv[1]; Firefox passes the manifest
//! path and the add-on id. Only the ids `install` recorded in `allowed-extensions.json` may use the host (the user's
//! own list, or the system-wide one a package installed under /etc/keyplace), and this is checked before a single
//! frame is read.

use std::ffi::OsString;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data_dir::{
    system_allowed_extensions_file, system_root, write_private_file, ALLOWED_EXTENSIONS_FILE,
};

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
        Self::load_file(&data_dir.join(ALLOWED_EXTENSIONS_FILE))
    }

    /// The system-wide list under `root` (see `system_allowed_extensions_file`), `Ok(None)` when there is none.
    pub fn load_system(root: &Path) -> Result<Option<Self>, String> {
        match system_allowed_extensions_file(root) {
            Some(path) => Self::load_file(&path),
            None => Ok(None),
        }
    }

    pub fn load_file(path: &Path) -> Result<Option<Self>, String> {
        match std::fs::read(path) {
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

    /// Both lists in one: the user's and the system's allow independently.
    pub fn merged(user: Option<Self>, system: Option<Self>) -> Option<Self> {
        match (user, system) {
            (None, None) => None,
            (one, None) | (None, one) => one,
            (Some(mut user), Some(system)) => {
                for origin in system.chromium_origins {
                    Self::add(&mut user.chromium_origins, origin);
                }
                for id in system.firefox_ids {
                    Self::add(&mut user.firefox_ids, id);
                }
                Some(user)
            }
        }
    }
}

/// Why `caller` may not use the host, in words for the person reading stderr.
pub fn check(caller: &Caller, data_dir: &Path) -> Result<(), String> {
    check_under(caller, data_dir, &system_root())
}

/// `check` with the system-wide list read under `root`.
pub fn check_under(caller: &Caller, data_dir: &Path, root: &Path) -> Result<(), String> {
    let user = AllowedExtensions::load(data_dir)?;
    let system = AllowedExtensions::load_system(root)?;
    let allowed = AllowedExtensions::merged(user, system)
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
        // An empty system root: a package installed on this machine must not change the answer.
        let no_system = tempfile::tempdir().unwrap();
        let ours = Caller::Chromium {
            origin: chromium_origin("ipdamncjijplhbkhipddgambbnginfmp"),
        };
        assert!(
            check_under(&ours, dir.path(), no_system.path()).is_err(),
            "nothing installed yet"
        );
        let allowed = AllowedExtensions {
            chromium_origins: vec![chromium_origin("ipdamncjijplhbkhipddgambbnginfmp")],
            firefox_ids: vec!["keyplace@keyplace.dev".into()],
        };
        allowed.save(dir.path()).unwrap();
        assert!(check_under(&ours, dir.path(), no_system.path()).is_ok());
        let no_slash = Caller::Chromium {
            origin: "chrome-extension://ipdamncjijplhbkhipddgambbnginfmp".into(),
        };
        assert!(check_under(&no_slash, dir.path(), no_system.path()).is_ok());
        let other = Caller::Chromium {
            origin: chromium_origin("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        };
        assert!(check_under(&other, dir.path(), no_system.path()).is_err());
        let prefix = Caller::Chromium {
            origin: "chrome-extension://ipdamncjijplhbkhipddgambbnginfmp/x/".into(),
        };
        assert!(check_under(&prefix, dir.path(), no_system.path()).is_err());
        let firefox = Caller::Firefox {
            addon_id: "keyplace@keyplace.dev".into(),
        };
        assert!(check_under(&firefox, dir.path(), no_system.path()).is_ok());
        let other_addon = Caller::Firefox {
            addon_id: "evil@example.com".into(),
        };
        assert!(check_under(&other_addon, dir.path(), no_system.path()).is_err());
        std::fs::write(dir.path().join(ALLOWED_EXTENSIONS_FILE), b"{oops").unwrap();
        assert!(check_under(&ours, dir.path(), no_system.path()).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_system_wide_list_allows_for_every_user() {
        let data = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let ours = Caller::Chromium {
            origin: chromium_origin("ipdamncjijplhbkhipddgambbnginfmp"),
        };
        let mine = Caller::Firefox {
            addon_id: "mine@example.com".into(),
        };
        assert!(check_under(&ours, data.path(), root.path()).is_err());
        let system = system_allowed_extensions_file(root.path()).unwrap();
        std::fs::create_dir_all(system.parent().unwrap()).unwrap();
        std::fs::write(
            &system,
            br#"{"chromium_origins": ["chrome-extension://ipdamncjijplhbkhipddgambbnginfmp/"]}"#,
        )
        .unwrap();
        assert!(check_under(&ours, data.path(), root.path()).is_ok());
        assert!(check_under(&mine, data.path(), root.path()).is_err());
        // The user's own list adds to the system's, and takes nothing away from it.
        AllowedExtensions {
            chromium_origins: vec![],
            firefox_ids: vec!["mine@example.com".into()],
        }
        .save(data.path())
        .unwrap();
        assert!(check_under(&ours, data.path(), root.path()).is_ok());
        assert!(check_under(&mine, data.path(), root.path()).is_ok());
        std::fs::write(&system, b"{oops").unwrap();
        assert!(
            check_under(&ours, data.path(), root.path()).is_err(),
            "a damaged list fails closed"
        );
    }
}
