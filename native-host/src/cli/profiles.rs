//! Which Keyplace extension each browser profile has installed, read from the profile's own files: Chromium-family
//! `Preferences` and `Secure Preferences` (`extensions.settings`, keyed by extension id), Firefox `extensions.json`
//! (`addons`). `doctor` compares these ids with the ones the host is registered for.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::browsers::DEFAULT_FIREFOX_ID;

/// The name in Keyplace's manifest (manifests/*.json).
const KEYPLACE_NAME: &str = "Keyplace";

/// Keyplace as one profile has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installed {
    /// The profile's folder name ("Default", "Profile 1", "abcd1234.default-esr").
    pub profile: String,
    pub id: String,
    pub enabled: bool,
}

/// Profile folders in a Chromium user data directory (those with a `Preferences` file), by name.
fn chromium_profile_dirs(user_data_dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(user_data_dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|dir| dir.join("Preferences").is_file())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// Keyplace in every profile of a Chromium-family user data directory.
pub fn chromium(user_data_dir: &Path) -> Vec<Installed> {
    let mut found: Vec<Installed> = Vec::new();
    for profile_dir in chromium_profile_dirs(user_data_dir) {
        let profile = folder_name(&profile_dir);
        // Command-line and unpacked extensions are in Preferences; store ones may be in Secure Preferences.
        for file in ["Preferences", "Secure Preferences"] {
            let Some(prefs) = read_json(&profile_dir.join(file)) else {
                continue;
            };
            let Some(settings) = prefs["extensions"]["settings"].as_object() else {
                continue;
            };
            for (id, entry) in settings {
                let seen = found.iter().any(|f| f.profile == profile && &f.id == id);
                if !seen && is_keyplace_in_chromium(entry, &profile_dir) {
                    found.push(Installed {
                        profile: profile.clone(),
                        id: id.clone(),
                        enabled: chromium_enabled(entry),
                    });
                }
            }
        }
    }
    found
}

/// Keyplace in every profile of a Firefox profiles folder.
pub fn firefox(profiles_dir: &Path) -> Vec<Installed> {
    let mut profile_dirs: Vec<PathBuf> = std::fs::read_dir(profiles_dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .collect()
        })
        .unwrap_or_default();
    profile_dirs.sort();
    let mut found = Vec::new();
    for profile_dir in profile_dirs {
        let Some(extensions) = read_json(&profile_dir.join("extensions.json")) else {
            continue;
        };
        for addon in extensions["addons"].as_array().into_iter().flatten() {
            let Some(id) = addon["id"].as_str() else {
                continue;
            };
            let named_keyplace = addon["defaultLocale"]["name"] == KEYPLACE_NAME;
            if addon["type"] == "extension" && (id == DEFAULT_FIREFOX_ID || named_keyplace) {
                found.push(Installed {
                    profile: folder_name(&profile_dir),
                    id: id.to_owned(),
                    enabled: addon["active"].as_bool().unwrap_or(true)
                        && !addon["userDisabled"].as_bool().unwrap_or(false),
                });
            }
        }
    }
    found
}

fn folder_name(dir: &Path) -> String {
    dir.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Chromium keeps why an extension is off in `disable_reasons` (a list, or a bit field in older versions) and,
/// in older versions, `state` 0.
fn chromium_enabled(entry: &Value) -> bool {
    let reasons = &entry["disable_reasons"];
    let disabled_by_reason = match reasons {
        Value::Array(list) => !list.is_empty(),
        Value::Number(bits) => bits.as_u64().unwrap_or(0) != 0,
        _ => false,
    };
    !disabled_by_reason && entry["state"] != 0
}

/// The settings may carry the manifest (store extensions); otherwise it is read from where the extension lives:
/// an absolute `path` (unpacked, command line) or one under the profile's `Extensions` folder.
fn is_keyplace_in_chromium(entry: &Value, profile_dir: &Path) -> bool {
    let dir = entry["path"].as_str().map(|path| {
        let path = Path::new(path);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            profile_dir.join("Extensions").join(path)
        }
    });
    let manifest = match entry.get("manifest") {
        Some(manifest) if manifest.is_object() => Some(manifest.clone()),
        _ => dir
            .as_ref()
            .and_then(|dir| read_json(&dir.join("manifest.json"))),
    };
    manifest.is_some_and(|manifest| manifest_name(&manifest, dir.as_deref()) == KEYPLACE_NAME)
}

/// The manifest's name, with a `__MSG_key__` looked up in the default locale's messages.
fn manifest_name(manifest: &Value, dir: Option<&Path>) -> String {
    let name = manifest["name"].as_str().unwrap_or_default();
    let key = name
        .strip_prefix("__MSG_")
        .and_then(|rest| rest.strip_suffix("__"));
    match (key, dir, manifest["default_locale"].as_str()) {
        (Some(key), Some(dir), Some(locale)) => {
            read_json(&dir.join("_locales").join(locale).join("messages.json"))
                .and_then(|messages| {
                    // Message keys are case-insensitive.
                    messages.as_object().and_then(|map| {
                        map.iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case(key))
                            .and_then(|(_, v)| v["message"].as_str().map(str::to_owned))
                    })
                })
                .unwrap_or_default()
        }
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(path: &Path, value: &Value) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_vec(value).unwrap()).unwrap();
    }

    #[test]
    fn chromium_command_line_store_and_localized_extensions() {
        let root = tempfile::tempdir().unwrap();
        let unpacked = root.path().join("dist/chromium");
        write(
            &unpacked.join("manifest.json"),
            &json!({"name": "Keyplace"}),
        );
        let localized = root.path().join("dist/localized");
        write(
            &localized.join("manifest.json"),
            &json!({"name": "__MSG_extName__", "default_locale": "en"}),
        );
        write(
            &localized.join("_locales/en/messages.json"),
            &json!({"extname": {"message": "Keyplace"}}),
        );
        let other = root.path().join("dist/other");
        write(&other.join("manifest.json"), &json!({"name": "Other"}));
        let user_data = root.path().join("chromium");
        // What Chromium 14x writes for --load-extension (location 8): the path, no manifest.
        write(
            &user_data.join("Default/Preferences"),
            &json!({"extensions": {"settings": {
                "ipdamncjijplhbkhipddgambbnginfmp": {"location": 8, "path": unpacked, "disable_reasons": []},
                "mhjfbmdgcfjbbpaeojofohoefgiehjai": {"location": 5, "path": "/usr/lib/chromium/resources/pdf"},
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": {"location": 4, "path": other},
            }}}),
        );
        // A store install: the manifest in Secure Preferences, the files under Extensions/.
        write(
            &user_data.join("Profile 1/Preferences"),
            &json!({"profile": {"name": "Work"}}),
        );
        write(
            &user_data.join("Profile 1/Secure Preferences"),
            &json!({"extensions": {"settings": {
                "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": {"location": 1, "path": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/0.1.0_0",
                    "manifest": {"name": "Keyplace"}, "disable_reasons": [1]},
                "cccccccccccccccccccccccccccccccc": {"location": 4, "path": localized},
            }}}),
        );
        write(
            &user_data.join("Local State"),
            &json!({"profile": {"info_cache": {}}}),
        );
        assert_eq!(
            chromium(&user_data),
            vec![
                Installed {
                    profile: "Default".into(),
                    id: "ipdamncjijplhbkhipddgambbnginfmp".into(),
                    enabled: true
                },
                Installed {
                    profile: "Profile 1".into(),
                    id: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb".into(),
                    enabled: false
                },
                Installed {
                    profile: "Profile 1".into(),
                    id: "cccccccccccccccccccccccccccccccc".into(),
                    enabled: true
                },
            ]
        );
        assert!(chromium(&root.path().join("missing")).is_empty());
    }

    #[test]
    fn chromium_damaged_preferences_are_skipped() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("Default")).unwrap();
        std::fs::write(root.path().join("Default/Preferences"), b"{oops").unwrap();
        assert!(chromium(root.path()).is_empty());
    }

    #[test]
    fn firefox_by_id_or_name() {
        let root = tempfile::tempdir().unwrap();
        write(
            &root.path().join("abcd.default-esr/extensions.json"),
            &json!({"schemaVersion": 36, "addons": [
                {"id": "keyplace@keyplace.dev", "type": "extension", "active": true, "userDisabled": false,
                 "location": "app-profile", "defaultLocale": {"name": "Keyplace"}},
                {"id": "default-theme@mozilla.org", "type": "theme", "active": true},
                {"id": "other@example.com", "type": "extension", "active": true, "defaultLocale": {"name": "Other"}},
            ]}),
        );
        write(
            &root.path().join("wxyz.work/extensions.json"),
            &json!({"addons": [
                {"id": "{0f6c2a4e-1111-2222-3333-444455556666}", "type": "extension", "active": false,
                 "userDisabled": true, "defaultLocale": {"name": "Keyplace"}},
            ]}),
        );
        assert_eq!(
            firefox(root.path()),
            vec![
                Installed {
                    profile: "abcd.default-esr".into(),
                    id: "keyplace@keyplace.dev".into(),
                    enabled: true
                },
                Installed {
                    profile: "wxyz.work".into(),
                    id: "{0f6c2a4e-1111-2222-3333-444455556666}".into(),
                    enabled: false
                },
            ]
        );
    }
}
