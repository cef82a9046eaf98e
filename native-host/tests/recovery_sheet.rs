//! The recovery sheet (ARCHITECTURE.md rule 10): a person with one computer enrolls a printed sheet as their second
//! device. The sheet, typed in, approves a copy addressed to itself (a backup useless without it) and, when that
//! computer is lost, a new computer joins the ring by the sheet's approval and restores the passkey, which signs with
//! its original key. Where a TPM holds the passkeys, the sheet is among the devices the chip accepts as approvers.

mod ring;

use keyplace_host::devices::DeviceError;
use ring::*;

const SHEET: &str = "recovery sheet";

#[test]
fn one_computer_and_its_sheet_back_a_passkey_up_and_restore_it_on_a_new_computer() {
    let desktop = device(false);
    desktop.devices.init("desktop", PIN).unwrap();
    let sheet = desktop.devices.make_recovery_sheet(SHEET, PIN).unwrap();
    assert!(sheet.code.starts_with("KPRS1-"));
    let passkey = vault_passkey(&desktop, b"cred-1");
    let listed = desktop
        .metadata
        .listed_by_ids(&[b"cred-1".to_vec()])
        .unwrap();
    assert!(!listed[0].held_by_tpm, "no TPM here: a software vault key");

    // The backup: a copy addressed to the sheet, approved by the sheet typed in on the desktop itself.
    let request = desktop
        .devices
        .request_copy(SHEET, &[b"cred-1".to_vec()], PIN)
        .unwrap();
    let mut typo = sheet.code.to_string();
    typo.replace_range(10..11, if &typo[10..11] == "A" { "B" } else { "A" });
    assert!(matches!(
        desktop
            .devices
            .approve_copy_with_sheet(&request.file, &typo),
        Err(DeviceError::BadRecoveryCode)
    ));
    let approval = desktop
        .devices
        .approve_copy_with_sheet(&request.file, &sheet.code)
        .unwrap();

    // Another person's sheet is not one of these devices.
    let stranger = device(false);
    stranger.devices.init("elsewhere", PIN).unwrap();
    let foreign = stranger.devices.make_recovery_sheet(SHEET, PIN).unwrap();
    let new_desktop = device(false);
    assert!(matches!(
        new_desktop.devices.restore_with_sheet(
            "new-desktop",
            &foreign.code,
            &request.file,
            Some(&approval),
            PIN
        ),
        Err(DeviceError::NotASheetOfThisRing)
    ));

    // The desktop is lost: a new computer, the sheet and the two files bring the passkey back.
    drop(desktop);
    let (devices, imported) = new_desktop
        .devices
        .restore_with_sheet(
            "new-desktop",
            &sheet.code,
            &request.file,
            Some(&approval),
            PIN,
        )
        .unwrap();
    assert_eq!(imported.len(), 1);
    let this = devices.iter().find(|d| d.this_device).unwrap();
    assert!(this.enrolled);
    assert_eq!(this.approved_by.as_deref(), Some(SHEET));
    signs_for(&new_desktop, b"cred-1", &passkey.public_key);
    let copy = new_desktop.metadata.credential(b"cred-1").unwrap().unwrap();
    assert!(copy.backup_eligible && copy.backup_state);
}

#[test]
#[cfg(target_os = "linux")]
fn the_sheet_approves_copies_of_passkeys_the_tpm_holds() {
    use keyplace_host::stores::vault_chip::is_chip_blob;
    let desktop = device(true);
    if desktop._tpm.is_none() {
        eprintln!("SKIPPED: swtpm is not installed");
        return;
    }
    desktop.devices.init("desktop", PIN).unwrap();
    let sheet = desktop.devices.make_recovery_sheet(SHEET, PIN).unwrap();
    let passkey = vault_passkey(&desktop, b"cred-1");
    assert!(
        is_chip_blob(&passkey.key_blob),
        "the sheet is a device that can approve"
    );
    assert!(matches!(
        desktop
            .devices
            .request_copy(SHEET, &[b"cred-1".to_vec()], PIN),
        Err(DeviceError::TargetHasNoTpm { .. })
    ));

    // A new laptop joins by the sheet's approval, typed in on the desktop.
    let laptop = device(true);
    let join = laptop.devices.join_request("laptop", PIN).unwrap();
    let ring = desktop
        .devices
        .approve_join_with_sheet(&join.code, &sheet.code)
        .unwrap();
    laptop.devices.accept(&ring).unwrap();

    // The sheet approves the copy (on the desktop: the sheet, not the desktop, is the second device), the desktop's
    // chip releases it, the laptop's chip imports it.
    let request = desktop
        .devices
        .request_copy("laptop", &[b"cred-1".to_vec()], PIN)
        .unwrap();
    let approval = desktop
        .devices
        .approve_copy_with_sheet(&request.file, &sheet.code)
        .unwrap();
    let package = desktop.devices.release_copy(&approval).unwrap();
    laptop
        .devices
        .import_copy(&package.file, None, PIN)
        .unwrap();
    signs_for(&laptop, b"cred-1", &passkey.public_key);
}
