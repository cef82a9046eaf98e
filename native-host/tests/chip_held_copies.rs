//! ★ Copies enforced by the chip, through the host (ARCHITECTURE.md rule 10): three or four data folders, each with
//! its own software TPM, act as your devices. A vault passkey made while other devices are enrolled lives in the
//! source's TPM as a key the chip duplicates only with another enrolled device's signature; the copy is released
//! by the source's chip and imported by the target's, and both sign for one credential; the target, holding a
//! copy, passes it on only with another device's approval. Skipped only when swtpm is not installed (the software
//! path is in devices_copies.rs).
#![cfg(target_os = "linux")]

mod ring;

use keyplace_host::devices::DeviceError;
use keyplace_host::stores::tpm::TpmStore;
use keyplace_host::stores::vault_chip::{is_chip_blob, ChipBlob};
use keyplace_host::stores::StoreError;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use ring::*;

/// Three devices with TPMs, or none when swtpm is missing (the test is then skipped, saying so).
fn three_with_tpms() -> Option<(Device, Device, Device)> {
    let (a, b, c) = ring_of_three(true);
    if a._tpm.is_none() {
        eprintln!("SKIPPED: swtpm is not installed");
        return None;
    }
    Some((a, b, c))
}

fn tpm_of(device: &Device) -> TpmStore {
    TpmStore::new(device._tpm.as_ref().unwrap().tcti())
}

#[test]
fn a_chip_held_passkey_is_copied_only_through_the_chips_and_signs_on_both_devices() {
    let Some((desktop, laptop, phone)) = three_with_tpms() else {
        return;
    };
    let passkey = vault_passkey(&desktop, b"cred-1");
    assert!(
        is_chip_blob(&passkey.key_blob),
        "made in the TPM: other devices are enrolled"
    );
    let listed = desktop
        .metadata
        .listed_by_ids(&[b"cred-1".to_vec()])
        .unwrap();
    assert!(listed[0].held_by_tpm, "the listing says the TPM holds it");
    signs_for(&desktop, b"cred-1", &passkey.public_key);

    let request = desktop
        .devices
        .request_copy("laptop", &[b"cred-1".to_vec()], PIN)
        .unwrap();
    assert!(
        !request.file.contains("\"duplicate\""),
        "no key leaves before approval"
    );
    let summary = phone.devices.inspect_copy(&request.file).unwrap();
    assert!(summary.chip_held);
    assert!(matches!(
        desktop.devices.approve_copy(&request.file, PIN),
        Err(DeviceError::ApprovedBySource)
    ));
    let approval = phone.devices.approve_copy(&request.file, PIN).unwrap();

    // The request and approval alone are not a copy: only the desktop's chip can make one.
    assert!(matches!(
        laptop.devices.import_copy(&request.file, Some(&approval), PIN),
        Err(DeviceError::NeedsRelease(source)) if source == "desktop"
    ));
    assert!(matches!(
        laptop.devices.release_copy(&approval),
        Err(DeviceError::NotTheSource(source)) if source == "desktop"
    ));
    let released = desktop.devices.release_copy(&approval).unwrap();
    assert_eq!(released.target, "laptop");

    // Brought to the phone, it is refused (addressed to the laptop), and the phone's chip could not open it anyway.
    assert!(matches!(
        phone.devices.import_copy(&released.file, None, PIN),
        Err(DeviceError::AddressedToAnotherDevice(name)) if name == "laptop"
    ));
    let imported = laptop
        .devices
        .import_copy(&released.file, None, PIN)
        .unwrap();
    assert_eq!(imported.len(), 1);
    let copy = laptop.metadata.credential(b"cred-1").unwrap().unwrap();
    assert!(is_chip_blob(&copy.key_blob), "held by the laptop's TPM");
    assert_eq!(copy.public_key, passkey.public_key);
    assert!(copy.backup_eligible && copy.backup_state);
    signs_for(&laptop, b"cred-1", &passkey.public_key);
    signs_for(&desktop, b"cred-1", &passkey.public_key);
    assert!(matches!(
        laptop.devices.import_copy(&released.file, None, PIN),
        Err(DeviceError::Replayed)
    ));

    // The laptop now holds a copy, under the same rule as the source: its own approval is refused (in words here;
    // tpm_duplication.rs shows the chip refuses it too), the desktop's releases a copy from the laptop's chip.
    let onward = laptop
        .devices
        .request_copy("phone", &[b"cred-1".to_vec()], PIN)
        .unwrap();
    assert!(matches!(
        laptop.devices.approve_copy(&onward.file, PIN),
        Err(DeviceError::ApprovedBySource)
    ));
    let approval = desktop.devices.approve_copy(&onward.file, PIN).unwrap();
    let released = laptop.devices.release_copy(&approval).unwrap();
    phone
        .devices
        .import_copy(&released.file, None, PIN)
        .unwrap();
    signs_for(&phone, b"cred-1", &passkey.public_key);
}

#[test]
fn the_sources_chip_refuses_a_duplicate_without_the_approvers_signature() {
    let Some((desktop, laptop, phone)) = three_with_tpms() else {
        return;
    };
    let passkey = vault_passkey(&desktop, b"cred-1");
    let parts = ChipBlob::decode(&passkey.key_blob).unwrap();
    let laptop_storage_key = tpm_of(&laptop).storage_key_public().unwrap();
    let phone_key = phone.devices.list().unwrap();
    assert!(phone_key.iter().any(|d| d.this_device));
    let phone_card = phone.metadata.this_device().unwrap().unwrap();

    // A signature by a key that is not the phone's, presented as the phone's: the chip checks it and refuses.
    let stranger = SigningKey::random(&mut rand_core::OsRng);
    let forged: Signature = stranger.sign(b"any policy at all");
    let refused = tpm_of(&desktop).duplicate_copyable(
        parts.tpm_blob,
        &parts.branches,
        &laptop_storage_key,
        &phone_card.signing_public,
        forged.to_der().as_bytes(),
    );
    assert!(
        matches!(refused, Err(StoreError::Internal(ref m)) if m.contains("TPM")),
        "{:?}",
        refused.err()
    );
}

#[test]
fn a_passkey_made_before_other_devices_joined_is_a_software_vault_key() {
    let lonely = device(true);
    if lonely._tpm.is_none() {
        return;
    }
    lonely.devices.init("desktop", PIN).unwrap();
    let passkey = vault_passkey(&lonely, b"cred-1");
    assert!(
        !is_chip_blob(&passkey.key_blob),
        "no other device could approve its copies: a software vault key"
    );
    signs_for(&lonely, b"cred-1", &passkey.public_key);
}

#[test]
fn a_device_without_a_tpm_cannot_receive_a_chip_held_passkey() {
    let Some((desktop, _laptop, phone)) = three_with_tpms() else {
        return;
    };
    let old = device(false);
    enroll(&phone, &old, "old-laptop");
    let ring = phone.devices.ring_export().unwrap();
    desktop.devices.accept(&ring).unwrap();
    vault_passkey(&desktop, b"cred-1");
    assert!(matches!(
        desktop.devices.request_copy("old-laptop", &[b"cred-1".to_vec()], PIN),
        Err(DeviceError::TargetHasNoTpm { target, .. }) if target == "old-laptop"
    ));
}

#[test]
fn a_device_enrolled_after_the_passkey_was_made_cannot_approve_its_copy() {
    let Some((desktop, laptop, phone)) = three_with_tpms() else {
        return;
    };
    vault_passkey(&desktop, b"cred-1");
    let tablet = device(true);
    enroll(&desktop, &tablet, "tablet");
    let ring = desktop.devices.ring_export().unwrap();
    laptop.devices.accept(&ring).unwrap();
    phone.devices.accept(&ring).unwrap();
    let request = desktop
        .devices
        .request_copy("laptop", &[b"cred-1".to_vec()], PIN)
        .unwrap();
    let approval = tablet.devices.approve_copy(&request.file, PIN).unwrap();
    match desktop.devices.release_copy(&approval) {
        Err(DeviceError::NotAnApproverOfThisKey {
            approver, allowed, ..
        }) => {
            assert_eq!(approver, "tablet");
            assert_eq!(allowed, "laptop, phone");
        }
        other => panic!("released: {:?}", other.map(|r| r.target)),
    }
}
