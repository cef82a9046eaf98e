//! The vault's data key sealed by a TPM (each test its own swtpm): a copied database opens on no other TPM, wrong
//! PINs count toward the chip's lockout, older PIN-wrapped vaults are sealed at their next unlock without losing a
//! passkey; without a TPM, the host makes wrong PINs wait, across restarts; `doctor` reads whether the TPM's
//! lockout has an owner password. Skipped only when the swtpm binary is not installed.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use keyplace_host::metadata::Metadata;
use keyplace_host::stores::protection::{VaultProtection, LOCKOUT_AUTH_MISSING, LOCKOUT_AUTH_SET};
use keyplace_host::stores::vault::{Vault, FREE_WRONG_PINS};
use keyplace_host::stores::vault_seal::DeviceSeal;
use keyplace_host::stores::{KeyStore, NewKey, Purpose, StoreError};
use keyplace_host::test_support::swtpm::Swtpm;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};

const PIN: &str = "471100";
const WRONG_PIN: &str = "0000";

fn open_vault(database: &Path, seal: DeviceSeal) -> Vault {
    Vault::with_seal(Arc::new(Metadata::open(database).unwrap()), seal)
}

fn create_key(vault: &Vault, credential_id: &[u8]) -> NewKey {
    let authorization = vault.authorize(Some(PIN), true, Purpose::Create).unwrap();
    vault.create_key(&authorization, credential_id).unwrap()
}

/// Unlocks with `PIN` (the unlocked state forgotten first) and checks a signature with `key`.
fn sign_and_verify(vault: &Vault, credential_id: &[u8], key: &NewKey) {
    vault.lock();
    let authorization = vault.authorize(Some(PIN), true, Purpose::Sign).unwrap();
    let der = vault
        .sign(&authorization, credential_id, &key.key_blob, b"message")
        .unwrap();
    VerifyingKey::from_sec1_bytes(&key.public_key)
        .unwrap()
        .verify(b"message", &Signature::from_der(&der).unwrap())
        .expect("the vault key's signature verifies");
}

fn unlock(vault: &Vault, pin: &str) -> Result<(), StoreError> {
    vault.lock();
    vault.authorize(Some(pin), true, Purpose::Sign).map(|_| ())
}

#[test]
fn a_sealed_vault_copied_to_another_tpm_cannot_be_opened_even_with_the_right_pin() {
    let (Some(tpm), Some(other_tpm)) =
        (Swtpm::start("sealed copy A"), Swtpm::start("sealed copy B"))
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("keyplace.db");
    let key = {
        let vault = open_vault(&database, DeviceSeal::tpm(tpm.tcti()));
        let key = create_key(&vault, b"cred-1");
        assert_eq!(
            vault.protection().unwrap(),
            Some(VaultProtection::TpmSealed)
        );
        key
    };
    // The data folder copied elsewhere (the connection closed first, so the file holds everything).
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("keyplace.db");
    std::fs::copy(&database, &copy).unwrap();

    let elsewhere = open_vault(&copy, DeviceSeal::tpm(other_tpm.tcti()));
    match unlock(&elsewhere, PIN) {
        Err(StoreError::Unavailable(reason)) => {
            assert!(reason.contains("another computer's TPM"), "{reason}")
        }
        other => panic!("another TPM must not open the vault: {:?}", other.err()),
    }
    let without_tpm = open_vault(&copy, DeviceSeal::none());
    assert!(matches!(
        unlock(&without_tpm, PIN),
        Err(StoreError::Unavailable(_))
    ));
    drop((elsewhere, without_tpm));

    // The host restarted on the original computer: the right PIN works, and the passkey signs.
    let restarted = open_vault(&database, DeviceSeal::tpm(tpm.tcti()));
    sign_and_verify(&restarted, b"cred-1", &key);
    drop(restarted);
    other_tpm.stop();
    tpm.stop();
}

#[test]
fn wrong_pins_on_a_sealed_vault_count_toward_the_tpm_lockout() {
    let Some(tpm) = Swtpm::start("sealed lockout") else {
        return;
    };
    tpm.set_da_parameters(3, 1000, 1000);
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(&dir.path().join("keyplace.db"), DeviceSeal::tpm(tpm.tcti()));
    create_key(&vault, b"cred-1");
    for expected_left in [2, 1, 0] {
        match unlock(&vault, WRONG_PIN) {
            Err(StoreError::WrongDevicePin(wrong)) => {
                assert_eq!(wrong.tries_left, Some(expected_left))
            }
            other => panic!("a wrong PIN must be counted by the chip: {:?}", other.err()),
        }
    }
    match unlock(&vault, PIN) {
        Err(StoreError::Locked(wrong)) => assert_eq!(wrong.retry_after_seconds, Some(1000)),
        other => panic!(
            "the locked chip refuses even the right PIN: {:?}",
            other.err()
        ),
    }
    drop(vault);
    tpm.stop();
}

#[test]
fn a_pin_wrapped_vault_is_sealed_at_its_next_unlock_and_keeps_every_passkey() {
    let Some(tpm) = Swtpm::start("sealed migration") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("keyplace.db");
    let ids: [&[u8]; 3] = [b"cred-1", b"cred-2", b"cred-3"];
    let (keys, old_record) = {
        let vault = open_vault(&database, DeviceSeal::none());
        let keys: Vec<NewKey> = ids.iter().map(|id| create_key(&vault, id)).collect();
        assert_eq!(vault.protection().unwrap(), Some(VaultProtection::PinOnly));
        let metadata = Metadata::open(&database).unwrap();
        (keys, metadata.vault_record().unwrap().unwrap())
    };
    assert!(old_record.tpm_sealed.is_none());

    let vault = open_vault(&database, DeviceSeal::tpm(tpm.tcti()));
    // A wrong PIN changes nothing (and is counted by the host: the record is still PIN-wrapped).
    assert!(matches!(
        unlock(&vault, WRONG_PIN),
        Err(StoreError::WrongPin)
    ));
    assert_eq!(vault.protection().unwrap(), Some(VaultProtection::PinOnly));
    unlock(&vault, PIN).unwrap();
    assert_eq!(
        vault.protection().unwrap(),
        Some(VaultProtection::TpmSealed)
    );
    let new_record = Metadata::open(&database)
        .unwrap()
        .vault_record()
        .unwrap()
        .unwrap();
    assert!(new_record.tpm_sealed.is_some());
    assert!(
        new_record.wrapped_key.is_empty(),
        "no PIN-wrapped copy stays to guess against"
    );
    assert_ne!(new_record.salt, old_record.salt);
    for (id, key) in ids.iter().zip(&keys) {
        sign_and_verify(&vault, id, key);
    }
    // Nothing of the PIN-wrapped key stays in the files to guess against.
    let mut on_disk = Vec::new();
    for name in ["keyplace.db", "keyplace.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(name)) {
            on_disk.extend_from_slice(&bytes);
        }
    }
    let wrapped = &old_record.wrapped_key;
    assert!(
        !on_disk
            .windows(wrapped.len())
            .any(|window| window == &wrapped[..]),
        "the PIN-wrapped data key is still in the database files"
    );
    // From now on the chip checks the PIN.
    assert!(matches!(
        unlock(&vault, WRONG_PIN),
        Err(StoreError::WrongDevicePin(_))
    ));
    drop(vault);
    tpm.stop();
}

#[test]
fn without_a_tpm_wrong_pins_make_the_next_wait_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("keyplace.db");
    {
        let vault = open_vault(&database, DeviceSeal::none());
        create_key(&vault, b"cred-1");
        for _ in 1..FREE_WRONG_PINS {
            assert!(matches!(
                unlock(&vault, WRONG_PIN),
                Err(StoreError::WrongPin)
            ));
        }
        match unlock(&vault, WRONG_PIN) {
            Err(StoreError::PinWait(seconds)) => assert_eq!(seconds, 30),
            other => panic!("the fifth wrong PIN makes the next wait: {:?}", other.err()),
        }
    }
    // A new host on the same database still waits, and does not even try the right PIN meanwhile.
    let restarted = open_vault(&database, DeviceSeal::none());
    match unlock(&restarted, PIN) {
        Err(StoreError::PinWait(seconds)) => assert!((1..=30).contains(&seconds), "{seconds}"),
        other => panic!("the wait survives a restart: {:?}", other.err()),
    }
}

#[test]
fn doctor_says_whether_the_tpm_lockout_has_an_owner_password() {
    let Some(tpm) = Swtpm::start("doctor lockout auth") else {
        return;
    };
    let texts = || -> Vec<(bool, String)> {
        keyplace_host::stores::tpm::diagnose(&tpm.tcti())
            .into_iter()
            .map(|line| (line.ok, line.text))
            .collect()
    };
    let fresh = texts();
    assert!(
        fresh.contains(&(false, LOCKOUT_AUTH_MISSING.to_owned())),
        "{fresh:?}"
    );

    let mut context =
        tss_esapi::Context::new(tss_esapi::tcti_ldr::TctiNameConf::from_str(&tpm.tcti()).unwrap())
            .unwrap();
    context
        .execute_with_session(
            Some(tss_esapi::interface_types::session_handles::AuthSession::Password),
            |c| {
                c.hierarchy_change_auth(
                    tss_esapi::handles::AuthHandle::Lockout,
                    tss_esapi::structures::Auth::try_from(b"lockout secret".to_vec()).unwrap(),
                )
            },
        )
        .unwrap();
    drop(context);
    let protected = texts();
    assert!(
        protected.contains(&(true, LOCKOUT_AUTH_SET.to_owned())),
        "{protected:?}"
    );
    tpm.stop();
}

/// The PIN policy per case: a new vault takes 4 characters where the TPM counts wrong ones, 6 where only the host
/// slows guessing (the consent window asks the same).
#[test]
fn a_short_pin_is_enough_only_where_the_tpm_counts_wrong_ones() {
    let dir = tempfile::tempdir().unwrap();
    let without_tpm = open_vault(&dir.path().join("plain.db"), DeviceSeal::none());
    assert_eq!(without_tpm.min_new_pin_chars(), 6);
    assert!(matches!(
        without_tpm.authorize(Some("4711"), true, Purpose::Create),
        Err(StoreError::BadPin(message)) if message.contains("6 characters")
    ));
    assert!(!without_tpm.is_initialized().unwrap(), "nothing was set");
    assert!(without_tpm
        .authorize(Some("471100"), true, Purpose::Create)
        .is_ok());
    let Some(tpm) = Swtpm::start("short pin") else {
        return;
    };
    let sealed = open_vault(&dir.path().join("sealed.db"), DeviceSeal::tpm(tpm.tcti()));
    assert_eq!(sealed.min_new_pin_chars(), 4);
    assert!(sealed
        .authorize(Some("4711"), true, Purpose::Create)
        .is_ok());
}
