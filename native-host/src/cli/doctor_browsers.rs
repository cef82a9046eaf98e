//! `doctor`'s browser lines: where each browser finds the host's manifest (as the browser looks: this user's
//! folder or, on Windows, the registry key first, then the system folder), what that manifest allows, and whether
//! the Keyplace extension each profile actually has is one of those.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::browsers::{allowed_ids, Browser, Target, HOST_NAME};
use super::places::Places;
use super::profiles::{self, Installed};
use super::registry::Registry;
use crate::caller::{chromium_origin, AllowedExtensions, Caller};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Pass,
    /// Worth knowing; the host works without it.
    Note,
    /// Keyplace cannot work (in that browser) until it is fixed.
    Fail,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub level: Level,
    pub text: String,
    pub fix: String,
}

impl Line {
    fn new(level: Level, text: impl Into<String>, fix: impl Into<String>) -> Self {
        Line {
            level,
            text: text.into(),
            fix: fix.into(),
        }
    }
}

/// What the browser lines depend on.
pub struct Setting<'a> {
    pub places: &'a Places,
    /// `doctor --profile-dir`: a Chromium started with `--user-data-dir DIR`.
    pub profile_dir: Option<&'a Path>,
    pub registry: &'a dyn Registry,
    pub present: &'a dyn Fn(Browser) -> bool,
    /// The host's own list (the user's and the system's together).
    pub host_allows: &'a AllowedExtensions,
}

/// One browser as started one way: where it reads manifests, where its profiles are.
struct Instance {
    browser: Browser,
    label: String,
    /// In the order the browser reads them.
    manifests: Vec<Target>,
    profiles: PathBuf,
    /// The options that name this instance to `install`.
    install_options: String,
}

fn instances(setting: &Setting) -> Vec<Instance> {
    let places = setting.places;
    let mut list: Vec<Instance> = Browser::ALL
        .into_iter()
        .map(|browser| Instance {
            browser,
            label: browser.name().to_owned(),
            manifests: std::iter::once(Target::user(browser, places))
                .chain(Target::system(browser, places))
                .collect(),
            profiles: if browser.is_firefox() {
                places.firefox_profiles_dir()
            } else {
                places.user_data_dir(browser)
            },
            install_options: format!("--browser {}", browser.flag()),
        })
        .collect();
    if let Some(dir) = setting.profile_dir {
        list.push(Instance {
            browser: Browser::Chromium,
            label: format!("Chromium with --user-data-dir {}", dir.display()),
            manifests: std::iter::once(Target::profile(Browser::Chromium, dir))
                .chain(Target::system(Browser::Chromium, places))
                .collect(),
            profiles: dir.to_path_buf(),
            install_options: format!("--browser chromium --profile-dir {}", dir.display()),
        });
    }
    list
}

pub fn check_browsers(setting: &Setting) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut registered = 0;
    for instance in instances(setting) {
        let manifest = effective_manifest(&instance, setting.registry);
        let installed = if instance.browser.is_firefox() {
            profiles::firefox(&instance.profiles)
        } else {
            profiles::chromium(&instance.profiles)
        };
        let allowed = match &manifest {
            Some((path, system)) => match check_manifest(
                path,
                instance.browser,
                system.then_some(&setting.places.system_root),
            ) {
                Ok((summary, ids)) => {
                    registered += 1;
                    let whose = if *system { "for every user " } else { "" };
                    lines.push(Line::new(
                        Level::Pass,
                        format!(
                            "{}: registered {whose}in {} ({summary})",
                            instance.label,
                            path.display()
                        ),
                        "",
                    ));
                    Some((path.clone(), ids))
                }
                Err(problem) => {
                    lines.push(Line::new(
                        Level::Fail,
                        format!("{}: {} {problem}", instance.label, path.display()),
                        format!(
                            "Run `keyplace-host install {}` again.",
                            instance.install_options
                        ),
                    ));
                    continue;
                }
            },
            None => {
                if (setting.present)(instance.browser) || !installed.is_empty() {
                    lines.push(Line::new(
                        Level::Note,
                        format!(
                            "{}: Keyplace is not registered ({} is missing)",
                            instance.label,
                            instance.manifests[0].manifest.display()
                        ),
                        format!("Run `keyplace-host install {}`.", instance.install_options),
                    ));
                }
                None
            }
        };
        lines.extend(compare(
            &instance,
            &installed,
            allowed.as_ref(),
            setting.host_allows,
        ));
    }
    if registered == 0 {
        lines.push(Line::new(
            Level::Fail,
            "Keyplace is not registered with any browser",
            "Run `keyplace-host install` (or `install --browser NAME`).",
        ));
    }
    lines
}

/// The manifest the browser will read (and whether it is a system one): on Windows the file the registry key
/// names, elsewhere the first that exists.
fn effective_manifest(instance: &Instance, registry: &dyn Registry) -> Option<(PathBuf, bool)> {
    instance
        .manifests
        .iter()
        .find_map(|target| match &target.registry_key {
            Some(key) => registry
                .default_value(key)
                .ok()
                .flatten()
                .map(|path| (PathBuf::from(path), false)),
            None => target
                .manifest
                .exists()
                .then(|| (target.manifest.clone(), target.system)),
        })
}

/// The profiles' Keyplace ids against the manifest's and the host's.
fn compare(
    instance: &Instance,
    installed: &[Installed],
    manifest: Option<&(PathBuf, Vec<String>)>,
    host_allows: &AllowedExtensions,
) -> Vec<Line> {
    let mut ids: Vec<&str> = installed.iter().map(|i| i.id.as_str()).collect();
    ids.dedup();
    let option = if instance.browser.is_firefox() {
        "--firefox-id"
    } else {
        "--extension-id"
    };
    let with_ids: Vec<String> = ids.iter().map(|id| format!("{option} {id}")).collect();
    let fix = format!(
        "Run `keyplace-host install {} {}`.",
        instance.install_options,
        with_ids.join(" ")
    );
    let mut lines = Vec::new();
    for found in installed {
        let has = format!(
            "{} (profile {}) has Keyplace as {}",
            instance.label, found.profile, found.id
        );
        let caller = if instance.browser.is_firefox() {
            Caller::Firefox {
                addon_id: found.id.clone(),
            }
        } else {
            Caller::Chromium {
                origin: chromium_origin(&found.id),
            }
        };
        let line = match manifest {
            None => Line::new(
                Level::Fail,
                format!("{has}, but Keyplace is not registered with it"),
                fix.clone(),
            ),
            Some((path, allowed)) if !allowed.contains(&found.id) => Line::new(
                Level::Fail,
                format!(
                    "{has}, but {} allows only {}",
                    path.display(),
                    allowed.join(", ")
                ),
                fix.clone(),
            ),
            Some(_) if !host_allows.allows(&caller) => Line::new(
                Level::Fail,
                format!(
                    "{has}, but the host's list of allowed extensions does not have it (it has {})",
                    super::install::describe(host_allows)
                ),
                fix.clone(),
            ),
            Some(_) if !found.enabled => Line::new(
                Level::Note,
                format!("{has}, allowed by the host, but turned off in that profile"),
                if instance.browser.is_firefox() {
                    "Turn it on in about:addons."
                } else {
                    "Turn it on in chrome://extensions."
                },
            ),
            Some(_) => Line::new(Level::Pass, format!("{has}, and the host allows it"), ""),
        };
        lines.push(line);
    }
    if installed.is_empty() && manifest.is_some() && instance.profiles.is_dir() {
        lines.push(Line::new(
            Level::Note,
            format!(
                "{}: no profile in {} has the Keyplace extension yet",
                instance.label,
                instance.profiles.display()
            ),
            "Load it as the README's Install section says, then run `keyplace-host doctor` again.",
        ));
    }
    lines
}

/// What the manifest allows (in words, and the ids), or what is wrong with it. A system manifest read under a
/// staging root (`KEYPLACE_SYSTEM_ROOT`) names its program as installed, so the program is looked for there too.
fn check_manifest(
    path: &Path,
    browser: Browser,
    system_root: Option<&PathBuf>,
) -> Result<(String, Vec<String>), String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot be read: {e}"))?;
    let manifest: Value =
        serde_json::from_slice(&text).map_err(|e| format!("is not valid JSON: {e}"))?;
    if manifest["name"] != HOST_NAME {
        return Err(format!("names another host ({})", manifest["name"]));
    }
    let host = manifest["path"].as_str().ok_or("has no host path")?;
    let program = match system_root {
        Some(root) => root.join(Path::new(host).strip_prefix("/").unwrap_or(Path::new(host))),
        None => PathBuf::from(host),
    };
    if !is_executable(&program) {
        return Err(format!(
            "points to {host}, which is not an executable program"
        ));
    }
    let ids = allowed_ids(&manifest, browser);
    if ids.is_empty() {
        return Err("allows no extension".into());
    }
    Ok((format!("starts {host}, allows {}", ids.join(", ")), ids))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}
