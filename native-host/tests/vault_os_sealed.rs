//! Without a TPM, the vault's data key is wrapped under the PIN and a device secret kept in the OS secret store
//! (here a real Secret Service: gnome-keyring-daemon on a D-Bus of each test's own). A copied data folder opens
//! with no other secret store, even with the right PIN; older PIN-only vaults are sealed at their next unlock
//! without losing a passkey; with no secret store reachable, the vault keeps working on the PIN alone.
//! ARCHITECTURE.md rule 5. Skipped only when dbus-daemon or gnome-keyring-daemon (or swtpm) is not installed.
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use keyplace_host::metadata::{Metadata, VaultRecord};
use keyplace_host::stores::os_secret::OsSecretStore;
use keyplace_host::stores::protection::{VaultProtection, SEALED_ELSEWHERE};
use keyplace_host::stores::vault::Vault;
use keyplace_host::stores::vault_seal::DeviceSeal;
use keyplace_host::stores::{KeyStore, NewKey, Purpose, StoreError};
use keyplace_host::test_support::secret_service::SecretServiceDaemon;
use keyplace_host::test_support::swtpm::Swtpm;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};

const PIN: &str = "471100";
const WRONG_PIN: &str = "0000";
const NO_BUS: &str = "unix:path=/nonexistent/keyplace-test-bus";

fn os_seal(store: OsSecretStore) -> DeviceSeal {
    DeviceSeal::none().with_os_secrets(store)
}

fn open_vault(database: &Path, seal: DeviceSeal) -> Vault {
    Vault::with_seal(Arc::new(Metadata::open(database).unwrap()), seal)
}

fn record(database: &Path) -> VaultRecord {
    Metadata::open(database)
        .unwrap()
        .vault_record()
        .unwrap()
        .unwrap()
}

fn create_key(vault: &Vault, credential_id: &[u8]) -> NewKey {
    let authorization = vault.authorize(Some(PIN), true, Purpose::Create).unwrap();
    vault.create_key(&authorization, credential_id).unwrap()
}

fn unlock(vault: &Vault, pin: &str) -> Result<(), StoreError> {
    vault.lock();
    vault.authorize(Some(pin), true, Purpose::Sign).map(|_| ())
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

/// The data folder copied elsewhere (every connection closed first, so the file holds everything).
fn copy_of(database: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("keyplace.db");
    std::fs::copy(database, &copy).unwrap();
    (dir, copy)
}

fn files_hold(dir: &Path, bytes: &[u8]) -> bool {
    let mut on_disk = Vec::new();
    for name in ["keyplace.db", "keyplace.db-wal"] {
        if let Ok(file) = std::fs::read(dir.join(name)) {
            on_disk.extend_from_slice(&file);
        }
    }
    on_disk.windows(bytes.len()).any(|window| window == bytes)
}

#[test]
fn without_a_tpm_the_vault_key_is_wrapped_with_the_os_secret_and_a_copy_opens_nowhere_else() {
    let (Some(keyring), Some(other_keyring)) = (
        SecretServiceDaemon::start("os seal: this computer"),
        SecretServiceDaemon::start("os seal: another computer"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("keyplace.db");
    let key = {
        let vault = open_vault(&database, os_seal(keyring.store()));
        assert_eq!(vault.available_protection(), VaultProtection::OsSealed);
        let key = create_key(&vault, b"cred-1");
        assert_eq!(vault.protection().unwrap(), Some(VaultProtection::OsSealed));
        key
    };
    // The sealed record says so: wrapped under the PIN and the OS secret, whose handle it keeps.
    let sealed = record(&database);
    assert_eq!(sealed.kdf, "argon2id-v19+os-secret-v1");
    assert!(sealed.os_secret.is_some() && sealed.tpm_sealed.is_none());
    assert_eq!(keyring.keyplace_items(), 1);
    assert_eq!(other_keyring.keyplace_items(), 0);

    let (_copy_dir, copy) = copy_of(&database);
    // Another computer's secret store, the right PIN: refused in words, and no PIN tried or counted.
    let elsewhere = open_vault(&copy, os_seal(other_keyring.store()));
    match unlock(&elsewhere, PIN) {
        Err(StoreError::SealedElsewhere(reason)) => assert_eq!(reason, SEALED_ELSEWHERE),
        other => panic!("another secret store must not open the vault: {other:?}"),
    }
    let copied = Metadata::open(&copy).unwrap();
    assert_eq!(copied.wrong_vault_pins().unwrap().count, 0);
    // Nor with a secret of the same length planted under the same id: the key needs this very secret.
    other_keyring.plant(sealed.os_secret.as_deref().unwrap(), &[7; 32]);
    assert!(matches!(unlock(&elsewhere, PIN), Err(StoreError::WrongPin)));
    // No secret store at all: the vault cannot be opened either, and the error says why.
    let without_store = open_vault(&copy, os_seal(OsSecretStore::secret_service_at(NO_BUS)));
    match unlock(&without_store, PIN) {
        Err(StoreError::Unavailable(reason)) => {
            assert!(reason.contains("cannot reach now"), "{reason}")
        }
        other => panic!("no secret store must not open the vault: {other:?}"),
    }
    let pin_only = open_vault(&copy, DeviceSeal::none());
    assert!(matches!(
        unlock(&pin_only, PIN),
        Err(StoreError::Unavailable(_))
    ));
    drop((elsewhere, without_store, pin_only));

    // The host restarted on the original computer: a wrong PIN is refused, the right one opens and signs.
    let restarted = open_vault(&database, os_seal(keyring.store()));
    assert!(matches!(
        unlock(&restarted, WRONG_PIN),
        Err(StoreError::WrongPin)
    ));
    sign_and_verify(&restarted, b"cred-1", &key);
    assert_eq!(record(&database), sealed, "nothing to migrate");
    drop(restarted);
    other_keyring.stop();
    keyring.stop();
}

#[test]
fn a_pin_only_vault_is_sealed_with_the_os_secret_at_its_next_unlock_and_keeps_every_passkey() {
    let (Some(keyring), Some(other_keyring)) = (
        SecretServiceDaemon::start("os seal migration"),
        SecretServiceDaemon::start("os seal migration: another computer"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("keyplace.db");
    let ids: [&[u8]; 3] = [b"cred-1", b"cred-2", b"cred-3"];
    let keys: Vec<NewKey> = {
        let vault = open_vault(&database, DeviceSeal::none());
        let keys = ids.iter().map(|id| create_key(&vault, id)).collect();
        assert_eq!(vault.protection().unwrap(), Some(VaultProtection::PinOnly));
        keys
    };
    let old_record = record(&database);
    assert!(old_record.os_secret.is_none());

    let vault = open_vault(&database, os_seal(keyring.store()));
    // A wrong PIN changes nothing.
    assert!(matches!(
        unlock(&vault, WRONG_PIN),
        Err(StoreError::WrongPin)
    ));
    assert_eq!(vault.protection().unwrap(), Some(VaultProtection::PinOnly));
    assert_eq!(keyring.keyplace_items(), 0);
    unlock(&vault, PIN).unwrap();
    assert_eq!(vault.protection().unwrap(), Some(VaultProtection::OsSealed));
    let new_record = record(&database);
    assert!(new_record.os_secret.is_some());
    assert_ne!(new_record.salt, old_record.salt);
    assert_eq!(keyring.keyplace_items(), 1);
    for (id, key) in ids.iter().zip(&keys) {
        sign_and_verify(&vault, id, key);
    }
    assert!(
        !files_hold(dir.path(), &old_record.wrapped_key),
        "the PIN-only wrapped data key is still in the database files"
    );
    drop(vault);

    // From now on a copy of the folder needs this computer's secret store.
    let (_copy_dir, copy) = copy_of(&database);
    let elsewhere = open_vault(&copy, os_seal(other_keyring.store()));
    assert!(matches!(
        unlock(&elsewhere, PIN),
        Err(StoreError::SealedElsewhere(_))
    ));
    drop(elsewhere);
    other_keyring.stop();
    keyring.stop();
}

#[test]
fn with_no_secret_store_reachable_the_vault_works_on_the_pin_alone() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("keyplace.db");
    let vault = open_vault(&database, os_seal(OsSecretStore::secret_service_at(NO_BUS)));
    assert_eq!(vault.available_protection(), VaultProtection::PinOnly);
    let reason = vault.os_secret_store().unwrap_err();
    assert!(reason.contains("no D-Bus session"), "{reason}");
    let key = create_key(&vault, b"cred-1");
    assert_eq!(vault.protection().unwrap(), Some(VaultProtection::PinOnly));
    assert!(record(&database).os_secret.is_none());
    sign_and_verify(&vault, b"cred-1", &key);
    assert!(matches!(
        unlock(&vault, WRONG_PIN),
        Err(StoreError::WrongPin)
    ));
}

#[test]
fn an_os_sealed_vault_waits_for_its_secret_store() {
    let Some(keyring) = SecretServiceDaemon::start("os seal: the store goes away") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("keyplace.db");
    create_key(&open_vault(&database, os_seal(keyring.store())), b"cred-1");
    let address = keyring.address().to_owned();
    keyring.stop();
    let vault = open_vault(
        &database,
        os_seal(OsSecretStore::secret_service_at(&address)),
    );
    match unlock(&vault, PIN) {
        Err(StoreError::Unavailable(reason)) => {
            assert!(reason.contains("cannot reach now"), "{reason}")
        }
        other => panic!("the vault needs its secret store: {other:?}"),
    }
    // It stays sealed with the secret store, never falls back to the PIN alone.
    assert_eq!(vault.protection().unwrap(), Some(VaultProtection::OsSealed));
}

#[test]
fn a_locked_keyring_leaves_a_new_vault_on_the_pin_alone_and_an_os_sealed_one_waiting() {
    let Some(keyring) = SecretServiceDaemon::start("os seal: a locked keyring") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sealed = dir.path().join("sealed.db");
    create_key(&open_vault(&sealed, os_seal(keyring.store())), b"cred-1");
    keyring.lock();

    // The sealed vault waits for its keyring, in words, and asks for nothing.
    let vault = open_vault(&sealed, os_seal(keyring.store()));
    match unlock(&vault, PIN) {
        Err(StoreError::Unavailable(reason)) => assert!(reason.contains("locked"), "{reason}"),
        other => panic!("a locked keyring must not open the vault: {other:?}"),
    }
    // A new vault meanwhile works on the PIN alone, and says why.
    let fresh = dir.path().join("fresh.db");
    let vault = open_vault(&fresh, os_seal(keyring.store()));
    assert_eq!(vault.available_protection(), VaultProtection::PinOnly);
    let reason = vault.os_secret_store().unwrap_err();
    assert!(reason.contains("locked"), "{reason}");
    let key = create_key(&vault, b"cred-2");
    assert_eq!(vault.protection().unwrap(), Some(VaultProtection::PinOnly));
    sign_and_verify(&vault, b"cred-2", &key);
    assert_eq!(keyring.keyplace_items(), 1, "only the first vault's secret");
    drop(vault);
    keyring.stop();
}

#[test]
fn a_tpm_seals_before_the_os_secret_store_and_takes_over_an_os_sealed_vault() {
    let (Some(keyring), Some(tpm)) = (
        SecretServiceDaemon::start("os seal and TPM"),
        Swtpm::start("os seal and TPM"),
    ) else {
        return;
    };
    // With both, a new vault is sealed by the TPM and files nothing in the keyring.
    let dir = tempfile::tempdir().unwrap();
    let with_tpm = dir.path().join("keyplace.db");
    let vault = open_vault(
        &with_tpm,
        DeviceSeal::tpm(tpm.tcti()).with_os_secrets(keyring.store()),
    );
    assert_eq!(vault.available_protection(), VaultProtection::TpmSealed);
    create_key(&vault, b"cred-1");
    unlock(&vault, PIN).unwrap();
    assert_eq!(
        vault.protection().unwrap(),
        Some(VaultProtection::TpmSealed)
    );
    assert_eq!(keyring.keyplace_items(), 0);
    drop(vault);

    // An OS-sealed vault where a TPM becomes reachable: sealed by the TPM, its OS secret deleted.
    let os_sealed = dir.path().join("other.db");
    let key = create_key(&open_vault(&os_sealed, os_seal(keyring.store())), b"cred-2");
    assert_eq!(keyring.keyplace_items(), 1);
    let vault = open_vault(
        &os_sealed,
        DeviceSeal::tpm(tpm.tcti()).with_os_secrets(keyring.store()),
    );
    sign_and_verify(&vault, b"cred-2", &key);
    assert_eq!(
        vault.protection().unwrap(),
        Some(VaultProtection::TpmSealed)
    );
    assert_eq!(keyring.keyplace_items(), 0);
    sign_and_verify(&vault, b"cred-2", &key);
    drop(vault);
    tpm.stop();
    keyring.stop();
}
