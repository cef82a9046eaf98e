//! A Secret Service of its own for a test: a private D-Bus daemon (its own socket, no service activation, so
//! nothing of the session's leaks in) and gnome-keyring-daemon on it with an unlocked login keyring in a temporary
//! folder. Each test owns one, so a "fresh" one is another computer's store.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::collections::HashMap;

use secret_service::blocking::SecretService;
use secret_service::EncryptionType;

use crate::stores::os_secret::secret_service::{APPLICATION, ID_ATTRIBUTE};
use crate::stores::os_secret::{account_of, OsSecretStore};

const START_DEADLINE: Duration = Duration::from_secs(20);
const DAEMONS: [&str; 2] = ["dbus-daemon", "gnome-keyring-daemon"];

pub struct SecretServiceDaemon {
    bus: Option<Child>,
    keyring: Option<Child>,
    address: String,
    pub dir: tempfile::TempDir,
}

impl SecretServiceDaemon {
    /// A fresh bus and keyring, or `None` (with a message) when dbus-daemon or gnome-keyring-daemon is not
    /// installed.
    pub fn start(test: &str) -> Option<SecretServiceDaemon> {
        if let Some(missing) = DAEMONS.into_iter().find(|daemon| !installed(daemon)) {
            eprintln!(
                "SKIPPED {test}: {missing} is not installed (apt-get install dbus-daemon gnome-keyring)"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("bus");
        let config = dir.path().join("bus.conf");
        std::fs::write(&config, bus_config(&socket.display().to_string())).unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn dbus-daemon");
        // dbus-daemon prints its address once it listens.
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(!address.is_empty(), "dbus-daemon did not start");

        let data = dir.path().join("data");
        let runtime = dir.path().join("run");
        for folder in [&data, &runtime] {
            std::fs::create_dir_all(folder).unwrap();
            set_private(folder);
        }
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", &data)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn gnome-keyring-daemon");
        // The login keyring's password, on standard input; closing it ends the password.
        keyring
            .stdin
            .take()
            .unwrap()
            .write_all(b"keyplace test keyring")
            .unwrap();
        let mut daemon = SecretServiceDaemon {
            bus: Some(bus),
            keyring: Some(keyring),
            address,
            dir,
        };
        daemon.wait_until_serving();
        Some(daemon)
    }

    /// The bus address, for `DBUS_SESSION_BUS_ADDRESS` of a host process.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The Secret Service on this bus, as the vault uses it.
    pub fn store(&self) -> OsSecretStore {
        OsSecretStore::secret_service_at(&self.address)
    }

    fn connect(&self) -> SecretService<'static> {
        let connection = zbus::blocking::connection::Builder::address(self.address.as_str())
            .unwrap()
            .build()
            .unwrap();
        SecretService::connect_with_existing(EncryptionType::Plain, connection).unwrap()
    }

    /// How many items Keyplace filed in this keyring.
    pub fn keyplace_items(&self) -> usize {
        let service = self.connect();
        let found = service.search_items(HashMap::from([APPLICATION])).unwrap();
        found.unlocked.len() + found.locked.len()
    }

    /// Locks the login keyring, as a screen lock or the keyring app would (unlocking it again would prompt).
    pub fn lock(&self) {
        let service = self.connect();
        service.get_default_collection().unwrap().lock().unwrap();
    }

    /// Files `secret` where Keyplace would look for the device secret of `handle` (an attacker's own store, made to
    /// look like the original).
    pub fn plant(&self, handle: &[u8], secret: &[u8]) {
        let service = self.connect();
        let collection = service.get_default_collection().unwrap();
        let id = account_of(handle);
        let attributes = HashMap::from([APPLICATION, (ID_ATTRIBUTE, id.as_str())]);
        collection
            .create_item(
                "planted",
                attributes,
                secret,
                true,
                "application/octet-stream",
            )
            .unwrap();
    }

    /// Until the keyring owns its name on the bus and its default keyring is unlocked (checked every few ms,
    /// up to a deadline).
    fn wait_until_serving(&mut self) {
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if self.store().available().is_ok() {
                return;
            }
            if let Some(status) = self.keyring.as_mut().unwrap().try_wait().unwrap() {
                panic!("gnome-keyring-daemon exited: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not start serving"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        for child in [self.keyring.take(), self.bus.take()].into_iter().flatten() {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for SecretServiceDaemon {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

fn installed(program: &str) -> bool {
    !matches!(Command::new(program).arg("--version").output(),
              Err(e) if e.kind() == std::io::ErrorKind::NotFound)
}

fn set_private(folder: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// A session bus on `socket` alone: no service directories (nothing is activated), anyone of this user may talk.
fn bus_config(socket: &str) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
    )
}
