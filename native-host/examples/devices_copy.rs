//! Times of enrolling a device and copying a vault passkey, without the person (no typing, no carrying files):
//! three devices in temporary data folders, each vault sealed by its own swtpm (Linux, when swtpm is installed)
//! and, separately, by the PIN alone (Argon2id, the software path). Prints medians of `ROUNDS` rounds as plain
//! lines. Run with `cargo run --release -p keyplace-host --example devices_copy`. No assertions on time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyplace_host::devices::Devices;
use keyplace_host::metadata::{CredentialRecord, Metadata};
use keyplace_host::protocol::StoreId;
use keyplace_host::stores::vault::{Vault, VAULT_AAGUID};
use keyplace_host::stores::vault_seal::DeviceSeal;
use keyplace_host::stores::{KeyStore, Purpose};

const PIN: &str = "4711";
const ROUNDS: usize = 5;

struct Device {
    _dir: tempfile::TempDir,
    metadata: Arc<Metadata>,
    devices: Devices,
    seal: Box<dyn Fn() -> DeviceSeal>,
    #[cfg(target_os = "linux")]
    _tpm: Option<keyplace_host::test_support::swtpm::Swtpm>,
}

fn device(tpm: bool) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let metadata = Arc::new(Metadata::open(&dir.path().join("keyplace.db")).unwrap());
    #[cfg(target_os = "linux")]
    {
        let swtpm = if tpm {
            keyplace_host::test_support::swtpm::Swtpm::start("bench")
        } else {
            None
        };
        let tcti = swtpm.as_ref().map(|s| s.tcti());
        let seal: Box<dyn Fn() -> DeviceSeal> = match tcti {
            Some(tcti) => Box::new(move || DeviceSeal::tpm(tcti.clone())),
            None => Box::new(DeviceSeal::none),
        };
        Device {
            devices: Devices::new(metadata.clone(), Vault::with_seal(metadata.clone(), seal())),
            metadata,
            seal,
            _dir: dir,
            _tpm: swtpm,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = tpm;
        Device {
            devices: Devices::new(
                metadata.clone(),
                Vault::with_seal(metadata.clone(), DeviceSeal::none()),
            ),
            metadata,
            seal: Box::new(DeviceSeal::none),
            _dir: dir,
        }
    }
}

fn passkey(device: &Device, id: &[u8]) {
    let vault = Vault::with_seal(device.metadata.clone(), (device.seal)());
    let authorization = vault.authorize(Some(PIN), true, Purpose::Create).unwrap();
    let key = vault.create_key(&authorization, id).unwrap();
    device
        .metadata
        .insert_credential(&CredentialRecord {
            credential_id: id.to_vec(),
            rp_id: "example.com".into(),
            user_id: b"u".to_vec(),
            user_name: "alice".into(),
            user_display_name: "Alice".into(),
            store: StoreId::Vault,
            aaguid: VAULT_AAGUID.into(),
            key_blob: key.key_blob,
            public_key: key.public_key,
            sign_count: 0,
            created_at: 0,
            last_used_at: None,
            backup_eligible: true,
            backup_state: false,
            resident_key: true,
        })
        .unwrap();
}

#[derive(Default)]
struct Times {
    enroll: Vec<Duration>,
    request: Vec<Duration>,
    approve: Vec<Duration>,
    import: Vec<Duration>,
}

fn round(tpm: bool, times: &mut Times) {
    let (a, b, c) = (device(tpm), device(tpm), device(tpm));
    a.devices.init("desktop", PIN).unwrap();
    // Vault PINs set beforehand: enrolling is timed from the join request on.
    b.devices.join_request("laptop", PIN).unwrap();
    let started = Instant::now();
    let join = b.devices.join_request("laptop", PIN).unwrap();
    a.devices.inspect_join(&join.code).unwrap();
    let ring = a.devices.approve_join(&join.code, PIN).unwrap();
    b.devices.accept(&ring).unwrap();
    times.enroll.push(started.elapsed());
    let join = c.devices.join_request("phone", PIN).unwrap();
    let ring = a.devices.approve_join(&join.code, PIN).unwrap();
    c.devices.accept(&ring).unwrap();

    passkey(&a, b"cred-1");
    let started = Instant::now();
    let request = a
        .devices
        .request_copy("laptop", &[b"cred-1".to_vec()], PIN)
        .unwrap();
    times.request.push(started.elapsed());
    let started = Instant::now();
    let approval = c.devices.approve_copy(&request.file, PIN).unwrap();
    times.approve.push(started.elapsed());
    let started = Instant::now();
    b.devices
        .import_copy(&request.file, Some(&approval), PIN)
        .unwrap();
    times.import.push(started.elapsed());
}

fn median(values: &mut [Duration]) -> String {
    values.sort();
    format!("{:.1} ms", values[values.len() / 2].as_secs_f64() * 1000.0)
}

fn main() {
    std::env::set_var("TSS2_LOG", "all+none");
    for (label, tpm) in [
        ("vault sealed by swtpm", true),
        ("vault wrapped under the PIN (Argon2id)", false),
    ] {
        #[cfg(target_os = "linux")]
        if tpm && !keyplace_host::test_support::swtpm::Swtpm::installed() {
            println!("{label}: skipped (swtpm is not installed)");
            continue;
        }
        #[cfg(not(target_os = "linux"))]
        if tpm {
            continue;
        }
        let mut times = Times::default();
        for _ in 0..ROUNDS {
            round(tpm, &mut times);
        }
        println!("{label}, medians of {ROUNDS}:");
        println!(
            "  enroll (join request, approve, accept): {}",
            median(&mut times.enroll)
        );
        println!(
            "  copy request (1 passkey):               {}",
            median(&mut times.request)
        );
        println!(
            "  copy approve:                           {}",
            median(&mut times.approve)
        );
        println!(
            "  copy import:                            {}",
            median(&mut times.import)
        );
    }
}
