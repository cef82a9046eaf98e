//! Your devices and copies (ARCHITECTURE.md rule 10): three data folders act as three devices (source, approver,
//! target), each with its own vault, sealed by its own software TPM where swtpm is installed and by the PIN alone
//! otherwise (the software path runs in every case). Enrollment needs an enrolled device's approval; a copy is
//! imported only when approved by an enrolled device other than the source, once, at the device it is addressed
//! to, and the copy signs with the original key.

mod ring;

use keyplace_host::devices::DeviceError;
use keyplace_host::protocol::StoreId;
use keyplace_host::stores::vault_chip::is_chip_blob;
use ring::*;

fn copy_approved_by_a_second_device_signs_with_the_original_key(with_tpm: bool) {
    let (a, b, c) = ring_of_three(with_tpm);
    #[cfg(target_os = "linux")]
    if a._tpm.is_some() {
        for device in [&a, &b, &c] {
            assert!(
                device.devices.signing_key_in_tpm(PIN).unwrap(),
                "the device key is in its TPM"
            );
        }
    }
    let passkey = vault_passkey(&a, b"cred-1");
    let request = a
        .devices
        .request_copy("laptop", &[b"cred-1".to_vec()], PIN)
        .unwrap();
    assert!(
        a.metadata
            .credential(b"cred-1")
            .unwrap()
            .unwrap()
            .backup_state,
        "BS is 1 on the source now"
    );

    // The approver shows the same code as the source, and what is copied where.
    let summary = c.devices.inspect_copy(&request.file).unwrap();
    assert_eq!(summary.short_code, request.short_code);
    assert_eq!(
        (summary.source.as_str(), summary.target.as_str()),
        ("desktop", "laptop")
    );
    assert_eq!(
        summary.passkeys,
        [("example.com".to_owned(), "alice".to_owned())]
    );
    let approval = c.devices.approve_copy(&request.file, PIN).unwrap();

    // With TPMs, the passkey is held by the desktop's chip (the laptop and the phone were enrolled when it was
    // made): the approval goes back to the desktop, whose chip duplicates it for the laptop's (chip_held_copies.rs).
    let chip_held = is_chip_blob(&passkey.key_blob);
    #[cfg(target_os = "linux")]
    assert_eq!(
        chip_held,
        a._tpm.is_some(),
        "held by the TPM where there is one"
    );
    let (copy_file, copy_approval) = if chip_held {
        assert!(matches!(
            b.devices.import_copy(&request.file, Some(&approval), PIN),
            Err(DeviceError::NeedsRelease(name)) if name == "desktop"
        ));
        (a.devices.release_copy(&approval).unwrap().file, None)
    } else {
        (request.file.clone(), Some(approval.clone()))
    };
    let imported = b
        .devices
        .import_copy(&copy_file, copy_approval.as_deref(), PIN)
        .unwrap();
    assert_eq!(imported.len(), 1);
    let copy = b.metadata.credential(b"cred-1").unwrap().unwrap();
    assert_eq!(copy.public_key, passkey.public_key);
    assert!(
        copy.backup_eligible && copy.backup_state,
        "BE and BS are 1 on the copy"
    );
    assert_eq!(
        copy.sign_count, 7,
        "the copy counts on from the source's count"
    );
    assert_ne!(
        copy.key_blob, passkey.key_blob,
        "sealed under the target's own vault key"
    );
    signs_for(&b, b"cred-1", &passkey.public_key);
    signs_for(&a, b"cred-1", &passkey.public_key);

    // What the relying party sees from both devices: counters increase across them when uses are a second apart.
    let now = keyplace_host::metadata::now_ms();
    let counts: Vec<u32> = [(&a, 0), (&b, 1_000), (&a, 2_000), (&b, 3_000)]
        .iter()
        .map(|(device, later)| {
            device
                .metadata
                .next_sign_count(b"cred-1", now + later)
                .unwrap()
                .unwrap()
        })
        .collect();
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");

    let log = b.devices.copy_log().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].source.as_str(),
            log[0].target.as_str(),
            log[0].approver.as_deref()
        ),
        ("desktop", "laptop", Some("phone"))
    );

    // Replayed: the same copy a second time.
    assert!(matches!(
        b.devices
            .import_copy(&copy_file, copy_approval.as_deref(), PIN),
        Err(DeviceError::Replayed)
    ));
}

#[test]
fn copy_approved_by_a_second_device_software_path() {
    copy_approved_by_a_second_device_signs_with_the_original_key(false);
}

#[test]
fn copy_approved_by_a_second_device_three_tpms() {
    copy_approved_by_a_second_device_signs_with_the_original_key(true);
}

#[test]
fn enrollment_is_refused_without_an_enrolled_devices_approval() {
    let (a, b, outsider) = (device(false), device(false), device(false));
    a.devices.init("desktop", PIN).unwrap();
    let request = b.devices.join_request("laptop", PIN).unwrap();
    // The new device cannot approve itself: it is in no ring.
    assert!(matches!(
        b.devices.approve_join(&request.code, PIN),
        Err(DeviceError::NotEnrolled)
    ));
    // A ring made by a device that is not in the person's ring does not enroll it there.
    outsider.devices.init("stranger", PIN).unwrap();
    let foreign = outsider.devices.approve_join(&request.code, PIN).unwrap();
    assert!(matches!(
        a.devices.accept(&foreign),
        Err(DeviceError::OtherRing)
    ));
    // A ring file that does not contain the new device.
    let ring = a.devices.ring_export().unwrap();
    assert!(matches!(
        b.devices.accept(&ring),
        Err(DeviceError::NotInApproval)
    ));
    // A changed join request (another name under the same signature).
    let forged = request.file.replace("laptop", "lapt0p");
    assert!(matches!(
        a.devices.approve_join(&forged, PIN),
        Err(DeviceError::BadSignature(_))
    ));
    // A wrong PIN on the approving device approves nothing.
    assert!(a.devices.approve_join(&request.code, "9999").is_err());
    assert_eq!(a.devices.list().unwrap().len(), 1);
    // A ring file whose add was signed by a device that is not enrolled: tampered signer.
    let approved = a.devices.approve_join(&request.code, PIN).unwrap();
    let mut file: serde_json::Value = serde_json::from_str(&approved).unwrap();
    file["changes"][1]["signer"] = file["changes"][1]["body"].clone();
    assert!(b.devices.accept(&file.to_string()).is_err());
    b.devices.accept(&approved).unwrap();
    let listed = b.devices.list().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed[0].this_device && listed[0].enrolled);
    assert_eq!(listed[0].approved_by.as_deref(), Some("desktop"));
}

#[test]
fn copies_are_refused_unapproved_self_approved_misaddressed_or_after_a_removal() {
    let (a, b, c) = ring_of_three(false);
    vault_passkey(&a, b"cred-1");
    let request = a
        .devices
        .request_copy("laptop", &[b"cred-1".to_vec()], PIN)
        .unwrap();

    assert!(matches!(
        b.devices.import_copy(&request.file, None, PIN),
        Err(DeviceError::Unapproved)
    ));
    assert!(matches!(
        a.devices.approve_copy(&request.file, PIN),
        Err(DeviceError::ApprovedBySource)
    ));
    // Even a hand-made approval signed by the source is refused at the target.
    let approval = c.devices.approve_copy(&request.file, PIN).unwrap();
    let approval_json: serde_json::Value = serde_json::from_str(&approval).unwrap();
    let request_json: serde_json::Value = serde_json::from_str(&request.file).unwrap();
    let mut by_source = approval_json.clone();
    by_source["approval"]["signer"] = request_json["request"]["signer"].clone();
    assert!(matches!(
        b.devices
            .import_copy(&request.file, Some(&by_source.to_string()), PIN),
        Err(DeviceError::ApprovedBySource)
    ));
    // Addressed to the laptop, brought to the phone.
    assert!(matches!(
        c.devices.import_copy(&request.file, Some(&approval), PIN),
        Err(DeviceError::AddressedToAnotherDevice(name)) if name == "laptop"
    ));
    // An approval of another request.
    let other = a
        .devices
        .request_copy("laptop", &[b"cred-1".to_vec()], PIN)
        .unwrap();
    assert!(matches!(
        b.devices.import_copy(&other.file, Some(&approval), PIN),
        Err(DeviceError::ApprovalForAnotherRequest)
    ));

    // The phone is removed on the desktop; the laptop learns of it from the desktop's ring, and the phone's
    // approval no longer counts.
    let ring = a.devices.remove("phone", PIN).unwrap();
    b.devices.accept(&ring).unwrap();
    assert!(matches!(
        b.devices.import_copy(&request.file, Some(&approval), PIN),
        Err(DeviceError::ApproverRemoved(name)) if name == "phone"
    ));
    // The removed phone learns it too, and can no longer approve.
    c.devices.accept(&ring).unwrap();
    assert!(matches!(
        c.devices.approve_copy(&other.file, PIN),
        Err(DeviceError::ThisDeviceRemoved)
    ));
    // Nothing was imported.
    assert!(b.metadata.credential(b"cred-1").unwrap().is_none());
}

#[test]
fn a_removed_device_can_no_longer_receive() {
    let (a, b, c) = ring_of_three(false);
    vault_passkey(&a, b"cred-1");
    let request = a
        .devices
        .request_copy("laptop", &[b"cred-1".to_vec()], PIN)
        .unwrap();
    let ring = c.devices.remove("laptop", PIN).unwrap();
    // The source can no longer address it.
    a.devices.accept(&ring).unwrap();
    assert!(matches!(
        a.devices.request_copy("laptop", &[b"cred-1".to_vec()], PIN),
        Err(DeviceError::UnknownDevice(_))
    ));
    // An earlier request is not approved for it, nor imported there.
    assert!(matches!(
        c.devices.approve_copy(&request.file, PIN),
        Err(DeviceError::TargetRemoved(name)) if name == "laptop"
    ));
    b.devices.accept(&ring).unwrap();
    assert!(matches!(
        b.devices.import_copy(&request.file, None, PIN),
        Err(DeviceError::TargetRemoved(_))
    ));
}

#[test]
fn hardware_passkeys_and_the_last_device_stay_where_they_are() {
    let (a, b, _c) = ring_of_three(false);
    let mut hardware = vault_passkey(&a, b"cred-1");
    hardware.credential_id = b"cred-hw".to_vec();
    hardware.store = StoreId::Hardware;
    a.metadata.insert_credential(&hardware).unwrap();
    assert!(matches!(
        a.devices
            .request_copy("laptop", &[b"cred-hw".to_vec()], PIN),
        Err(DeviceError::NotCopyable(_))
    ));
    assert!(matches!(
        a.devices
            .request_copy("desktop", &[b"cred-1".to_vec()], PIN),
        Err(DeviceError::CopyToSelf)
    ));
    let lonely = device(false);
    lonely.devices.init("only", PIN).unwrap();
    assert!(matches!(
        lonely.devices.remove("only", PIN),
        Err(DeviceError::LastDevice)
    ));
    drop(b);
}
