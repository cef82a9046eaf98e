//! Devices for the copy tests: each a data folder with its own vault, sealed by its own software TPM where swtpm
//! is installed and asked for, by the PIN alone otherwise; a ring of three enrolled with approval.
#![allow(dead_code)] // each test file uses a different part of this

use std::sync::Arc;

use keyplace_host::devices::Devices;
use keyplace_host::metadata::{CredentialRecord, Metadata};
use keyplace_host::protocol::StoreId;
use keyplace_host::stores::vault::{Vault, VAULT_AAGUID};
use keyplace_host::stores::vault_seal::DeviceSeal;
use keyplace_host::stores::{KeyStore, Purpose};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};

pub const PIN: &str = "471100";

pub struct Device {
    _dir: tempfile::TempDir,
    pub devices: Devices,
    pub metadata: Arc<Metadata>,
    #[cfg(target_os = "linux")]
    pub _tpm: Option<keyplace_host::test_support::swtpm::Swtpm>,
}

pub fn vault(metadata: &Arc<Metadata>, seal: DeviceSeal) -> Vault {
    Vault::with_seal(metadata.clone(), seal)
}

/// A device whose vault is sealed by its own swtpm when `with_tpm` and swtpm is installed, else by the PIN only.
pub fn device(with_tpm: bool) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let metadata = Arc::new(Metadata::open(&dir.path().join("keyplace.db")).unwrap());
    #[cfg(target_os = "linux")]
    {
        let tpm = if with_tpm {
            keyplace_host::test_support::swtpm::Swtpm::start("devices")
        } else {
            None
        };
        // With a TPM, the vault is sealed by it and the device's signing key is made in it.
        let devices = match &tpm {
            Some(tpm) => Devices::with_tpm(
                metadata.clone(),
                vault(&metadata, DeviceSeal::tpm(tpm.tcti())),
                tpm.tcti(),
            ),
            None => Devices::new(metadata.clone(), vault(&metadata, DeviceSeal::none())),
        };
        Device {
            devices,
            metadata,
            _dir: dir,
            _tpm: tpm,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = with_tpm;
        Device {
            devices: Devices::new(metadata.clone(), vault(&metadata, DeviceSeal::none())),
            metadata,
            _dir: dir,
        }
    }
}

/// Three devices in one ring: `a` started it and approved `b` and `c`; every device has the whole ring.
pub fn ring_of_three(with_tpm: bool) -> (Device, Device, Device) {
    let (a, b, c) = (device(with_tpm), device(with_tpm), device(with_tpm));
    a.devices.init("desktop", PIN).unwrap();
    enroll(&a, &b, "laptop");
    enroll(&a, &c, "phone");
    let ring = a.devices.ring_export().unwrap();
    b.devices.accept(&ring).unwrap();
    (a, b, c)
}

/// `new` asks to join with a text code; `by` shows the same short code and approves with its PIN.
pub fn enroll(by: &Device, new: &Device, name: &str) {
    let request = new.devices.join_request(name, PIN).unwrap();
    let summary = by.devices.inspect_join(&request.code).unwrap();
    assert_eq!(
        summary.short_code, request.short_code,
        "both screens show one code"
    );
    assert_eq!(summary.name, name);
    let ring = by.devices.approve_join(&request.code, PIN).unwrap();
    let shown = by.devices.ring_code().unwrap();
    new.devices.accept(&ring).unwrap();
    assert_eq!(
        new.devices.ring_code().unwrap(),
        shown,
        "both show one ring code"
    );
}

/// A vault passkey of example.com made on `device`.
pub fn vault_passkey(device: &Device, credential_id: &[u8]) -> CredentialRecord {
    assert!(
        device.metadata.vault_record().unwrap().is_some(),
        "the vault has its PIN from enrollment"
    );
    let authorization = device_vault(device)
        .authorize(Some(PIN), true, Purpose::Create)
        .unwrap();
    let key = device_vault(device)
        .create_key(&authorization, credential_id)
        .unwrap();
    let record = CredentialRecord {
        credential_id: credential_id.to_vec(),
        rp_id: "example.com".into(),
        user_id: b"user-1".to_vec(),
        user_name: "alice".into(),
        user_display_name: "Alice".into(),
        store: StoreId::Vault,
        aaguid: VAULT_AAGUID.into(),
        key_blob: key.key_blob,
        public_key: key.public_key,
        sign_count: 7,
        created_at: 1,
        last_used_at: None,
        backup_eligible: true,
        backup_state: false,
        resident_key: true,
    };
    device.metadata.insert_credential(&record).unwrap();
    record
}

/// The device's own vault (the same seal the devices module uses: its `Devices` owns that one, so a second handle
/// on the same database and seal).
pub fn device_vault(device: &Device) -> Vault {
    #[cfg(target_os = "linux")]
    if let Some(tpm) = &device._tpm {
        return vault(&device.metadata, DeviceSeal::tpm(tpm.tcti()));
    }
    vault(&device.metadata, DeviceSeal::none())
}

/// Signs with the passkey as stored on `device`, and checks the signature with `public_key`.
pub fn signs_for(device: &Device, credential_id: &[u8], public_key: &[u8]) {
    let record = device.metadata.credential(credential_id).unwrap().unwrap();
    let vault = device_vault(device);
    let authorization = vault.authorize(Some(PIN), true, Purpose::Sign).unwrap();
    let der = vault
        .sign(
            &authorization,
            credential_id,
            &record.key_blob,
            b"assertion",
        )
        .unwrap();
    VerifyingKey::from_sec1_bytes(public_key)
        .unwrap()
        .verify(b"assertion", &Signature::from_der(&der).unwrap())
        .expect("the copy signs with the original key");
}
