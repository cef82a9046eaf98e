//! `install`, `uninstall` and `doctor`'s browser lines for Linux, a system-wide install and Windows, run on Linux:
//! the Windows registry is a `MemoryRegistry` and every folder is a temporary one.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::browsers::{Browser, DEFAULT_CHROMIUM_EXTENSION_ID};
use super::doctor_browsers::{check_browsers, Level, Line, Setting};
use super::install::install;
use super::places::{Places, Platform};
use super::registry::{MemoryRegistry, Registry};
use super::uninstall::uninstall;
use super::RegistrationArgs;
use crate::caller::AllowedExtensions;

const STORE_ID: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

struct Fixture {
    root: tempfile::TempDir,
    places: Places,
    host: PathBuf,
}

impl Fixture {
    fn new(platform: Platform) -> Self {
        let root = tempfile::tempdir().unwrap();
        let at = |dir: &str| root.path().join(dir);
        let places = Places {
            platform,
            home: at("home"),
            config_home: at("home/.config"),
            local_app_data: at("home/AppData/Local"),
            roaming_app_data: at("home/AppData/Roaming"),
            keyplace_data: at("data"),
            system_root: at("system"),
        };
        let host = at("bin/keyplace-host");
        std::fs::create_dir_all(host.parent().unwrap()).unwrap();
        std::fs::write(&host, b"#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&host, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Fixture { root, places, host }
    }

    fn args(&self, extra: &[&str]) -> RegistrationArgs {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: RegistrationArgs,
        }
        let mut argv = vec!["install"];
        if !extra.contains(&"--host-path") {
            argv.extend(["--host-path", self.host.to_str().unwrap()]);
        }
        argv.extend(extra);
        Wrapper::parse_from(argv).args
    }

    /// `install` with Chromium and Firefox found; its output.
    fn install(&self, extra: &[&str], registry: &mut dyn Registry) -> Result<String, String> {
        let mut out = Vec::new();
        let found = |browser: Browser| {
            matches!(browser, Browser::Chromium | Browser::Firefox).then(|| "a test".to_owned())
        };
        install(&self.args(extra), &self.places, found, registry, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn uninstall(&self, extra: &[&str], registry: &mut dyn Registry) -> String {
        let mut out = Vec::new();
        uninstall(&self.args(extra), &self.places, registry, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn doctor(&self, registry: &dyn Registry, host_allows: &AllowedExtensions) -> Vec<Line> {
        let present = |browser: Browser| matches!(browser, Browser::Chromium | Browser::Firefox);
        check_browsers(&Setting {
            places: &self.places,
            profile_dir: None,
            registry,
            present: &present,
            host_allows,
        })
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn line_with<'a>(lines: &'a [Line], words: &str) -> &'a Line {
    lines
        .iter()
        .find(|line| line.text.contains(words))
        .unwrap_or_else(|| panic!("no line with {words:?} in {lines:#?}"))
}

#[test]
fn windows_install_writes_manifests_in_the_data_folder_and_names_them_in_the_registry() {
    let fixture = Fixture::new(Platform::Windows);
    let mut registry = MemoryRegistry::default();
    let said = fixture.install(&[], &mut registry).unwrap();
    let chromium_key = r"Software\Chromium\NativeMessagingHosts\com.keyplace.host";
    let firefox_key = r"Software\Mozilla\NativeMessagingHosts\com.keyplace.host";
    assert_eq!(
        registry.keys.keys().collect::<Vec<_>>(),
        [chromium_key, firefox_key],
        "only the browsers found"
    );
    for (key, field, id) in [
        (
            chromium_key,
            "allowed_origins",
            "chrome-extension://ipdamncjijplhbkhipddgambbnginfmp/",
        ),
        (firefox_key, "allowed_extensions", "keyplace@keyplace.dev"),
    ] {
        let manifest = PathBuf::from(&registry.keys[key]);
        assert!(
            manifest.starts_with(&fixture.places.keyplace_data),
            "{}",
            manifest.display()
        );
        let manifest = read_json(&manifest);
        assert_eq!(manifest[field], json!([id]));
        assert_eq!(manifest["path"], fixture.host.to_str().unwrap());
    }
    assert!(
        said.contains(r"HKEY_CURRENT_USER\Software\Chromium\NativeMessagingHosts"),
        "{said}"
    );

    // doctor follows the registry to the files.
    let allowed = AllowedExtensions::load(&fixture.places.keyplace_data)
        .unwrap()
        .unwrap();
    let lines = fixture.doctor(&registry, &allowed);
    assert_eq!(
        line_with(&lines, "Chromium: registered in").level,
        Level::Pass
    );
    assert_eq!(
        line_with(&lines, "Firefox: registered in").level,
        Level::Pass
    );

    let said = fixture.uninstall(&[], &mut registry);
    assert!(registry.keys.is_empty(), "{:?}", registry.keys);
    assert!(
        said.contains(r"Removed HKEY_CURRENT_USER\Software\Mozilla"),
        "{said}"
    );
    let lines = fixture.doctor(&registry, &AllowedExtensions::default());
    assert_eq!(
        line_with(&lines, "not registered with any browser").level,
        Level::Fail
    );
}

#[test]
fn linux_install_says_each_step_and_what_comes_next() {
    let fixture = Fixture::new(Platform::Linux);
    let mut registry = MemoryRegistry::default();
    let said = fixture.install(&[], &mut registry).unwrap();
    let expected_in_order = [
        "Looking for browsers…",
        "  found Chromium (a test)",
        "  found Firefox (a test)",
        "  not found: Google Chrome, Brave, Microsoft Edge",
        "Writing the host manifests",
        "  Chromium: ",
        "home/.config/chromium/NativeMessagingHosts/com.keyplace.host.json (allows ipdamncjijplhbkhipddgambbnginfmp)",
        "  Firefox: ",
        "home/.mozilla/native-messaging-hosts/com.keyplace.host.json (allows keyplace@keyplace.dev)",
        "Keyplace's host now answers these extensions: chrome-extension://ipdamncjijplhbkhipddgambbnginfmp/, keyplace@keyplace.dev",
        "Next: load the Keyplace extension in Chromium, Firefox",
        "keyplace-host doctor",
    ];
    let mut rest = said.as_str();
    for words in expected_in_order {
        let at = rest
            .find(words)
            .unwrap_or_else(|| panic!("{words:?} not next in:\n{said}"));
        rest = &rest[at + words.len()..];
    }
    assert!(registry.keys.is_empty(), "no registry on Linux");
}

#[test]
fn install_with_no_browser_found_says_what_to_do() {
    let fixture = Fixture::new(Platform::Linux);
    let mut out = Vec::new();
    let error = install(
        &fixture.args(&[]),
        &fixture.places,
        |_| None,
        &mut MemoryRegistry::default(),
        &mut out,
    )
    .unwrap_err();
    assert!(
        error.contains("found none of Google Chrome, Chromium"),
        "{error}"
    );
    assert!(error.contains("--browser"), "{error}");
}

#[test]
fn system_install_writes_every_system_folder_and_a_readable_list() {
    let fixture = Fixture::new(Platform::Linux);
    let said = fixture
        .install(
            &["--system", "--host-path", "/usr/bin/keyplace-host"],
            &mut MemoryRegistry::default(),
        )
        .unwrap();
    let system = &fixture.places.system_root;
    for (dir, field) in [
        ("etc/chromium/native-messaging-hosts", "allowed_origins"),
        ("etc/opt/chrome/native-messaging-hosts", "allowed_origins"),
        ("etc/opt/edge/native-messaging-hosts", "allowed_origins"),
        (
            "usr/lib/mozilla/native-messaging-hosts",
            "allowed_extensions",
        ),
    ] {
        let path = system.join(dir).join("com.keyplace.host.json");
        let manifest = read_json(&path);
        assert_eq!(manifest["path"], "/usr/bin/keyplace-host", "{dir}");
        assert!(manifest[field].is_array(), "{dir}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o644, "{dir}");
        }
    }
    let list = AllowedExtensions::load_system(system).unwrap().unwrap();
    assert_eq!(list.firefox_ids, ["keyplace@keyplace.dev"]);
    assert!(said.contains("for every user of this computer"), "{said}");
    assert!(
        !fixture.places.keyplace_data.exists(),
        "a system install leaves the user's own folder alone"
    );
    // The system folder has no Brave: a user install covers it.
    assert!(fixture
        .install(
            &["--system", "--browser", "brave"],
            &mut MemoryRegistry::default()
        )
        .unwrap_err()
        .contains("no system-wide folder"));
}

#[test]
fn doctor_compares_the_profiles_extension_ids_with_the_registered_ones() {
    let fixture = Fixture::new(Platform::Linux);
    let mut registry = MemoryRegistry::default();
    fixture.install(&[], &mut registry).unwrap();
    let allowed = AllowedExtensions::load(&fixture.places.keyplace_data)
        .unwrap()
        .unwrap();
    // Chromium's Default profile has Keyplace from a store (another id); a second profile the development one.
    let chromium = fixture.places.user_data_dir(Browser::Chromium);
    let write = |path: PathBuf, value: Value| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, value.to_string()).unwrap();
    };
    write(
        chromium.join("Default/Preferences"),
        json!({"extensions": {"settings": {STORE_ID: {"manifest": {"name": "Keyplace"}, "path": "x"}}}}),
    );
    write(
        chromium.join("Profile 1/Preferences"),
        json!({"extensions": {"settings": {DEFAULT_CHROMIUM_EXTENSION_ID: {"manifest": {"name": "Keyplace"}}}}}),
    );
    let lines = fixture.doctor(&registry, &allowed);
    let stale = line_with(
        &lines,
        &format!("(profile Default) has Keyplace as {STORE_ID}"),
    );
    assert_eq!(stale.level, Level::Fail);
    assert!(
        stale
            .text
            .contains("allows only ipdamncjijplhbkhipddgambbnginfmp"),
        "{stale:?}"
    );
    assert_eq!(
        stale.fix,
        format!(
            "Run `keyplace-host install --browser chromium --extension-id {STORE_ID} --extension-id {DEFAULT_CHROMIUM_EXTENSION_ID}`."
        )
    );
    let fine = line_with(
        &lines,
        "(profile Profile 1) has Keyplace as ipdamncjijplhbkhipddgambbnginfmp",
    );
    assert_eq!(fine.level, Level::Pass);

    // Following the advice fixes it.
    fixture
        .install(
            &[
                "--browser",
                "chromium",
                "--extension-id",
                STORE_ID,
                "--extension-id",
                DEFAULT_CHROMIUM_EXTENSION_ID,
            ],
            &mut registry,
        )
        .unwrap();
    let allowed = AllowedExtensions::load(&fixture.places.keyplace_data)
        .unwrap()
        .unwrap();
    let lines = fixture.doctor(&registry, &allowed);
    assert_eq!(
        line_with(&lines, &format!("has Keyplace as {STORE_ID}")).level,
        Level::Pass
    );

    // Firefox: registered for keyplace@keyplace.dev, but the host's own list lost it.
    write(
        fixture
            .places
            .firefox_profiles_dir()
            .join("abcd.default-esr/extensions.json"),
        json!({"addons": [{"id": "keyplace@keyplace.dev", "type": "extension", "active": true}]}),
    );
    let only_chromium = AllowedExtensions {
        chromium_origins: allowed.chromium_origins.clone(),
        firefox_ids: vec![],
    };
    let lines = fixture.doctor(&registry, &only_chromium);
    let firefox = line_with(
        &lines,
        "Firefox (profile abcd.default-esr) has Keyplace as keyplace@keyplace.dev",
    );
    assert_eq!(firefox.level, Level::Fail);
    assert!(
        firefox
            .text
            .contains("host's list of allowed extensions does not have it"),
        "{firefox:?}"
    );
    assert!(
        firefox
            .fix
            .contains("--browser firefox --firefox-id keyplace@keyplace.dev"),
        "{firefox:?}"
    );
}

#[test]
fn doctor_reads_the_system_manifest_when_the_user_has_none() {
    let fixture = Fixture::new(Platform::Linux);
    let host = fixture.root.path().join("system/usr/bin/keyplace-host");
    std::fs::create_dir_all(host.parent().unwrap()).unwrap();
    std::fs::copy(&fixture.host, &host).unwrap();
    fixture
        .install(
            &["--system", "--host-path", "/usr/bin/keyplace-host"],
            &mut MemoryRegistry::default(),
        )
        .unwrap();
    let allowed = AllowedExtensions::load_system(&fixture.places.system_root)
        .unwrap()
        .unwrap();
    let lines = fixture.doctor(&MemoryRegistry::default(), &allowed);
    let chromium = line_with(&lines, "Chromium: registered for every user in");
    assert_eq!(chromium.level, Level::Pass, "{lines:#?}");
    assert!(
        chromium
            .text
            .contains("system/etc/chromium/native-messaging-hosts"),
        "{chromium:?}"
    );
    assert!(
        lines.iter().all(|line| line.level != Level::Fail),
        "{lines:#?}"
    );
}
