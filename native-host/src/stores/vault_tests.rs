use super::*;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::VerifyingKey;

fn vault() -> (tempfile::TempDir, Arc<Metadata>, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let metadata = Arc::new(Metadata::open(&dir.path().join("keyplace.db")).unwrap());
    let vault = Vault::with_cheap_kdf(metadata.clone());
    (dir, metadata, vault)
}

#[test]
fn pin_states() {
    let (_dir, metadata, vault) = vault();
    assert!(matches!(
        vault.authorize(None, false, Purpose::Sign),
        Err(StoreError::PinRequired(PinReason::SetPin))
    ));
    assert!(matches!(
        vault.authorize(Some("123"), false, Purpose::Sign),
        Err(StoreError::BadPin(_))
    ));
    assert!(
        vault
            .authorize(Some("123456"), false, Purpose::Sign)
            .unwrap()
            .user_verified
    );
    // Unlocked for a while: no PIN needed, but no user verification either.
    assert!(
        !vault
            .authorize(None, false, Purpose::Sign)
            .unwrap()
            .user_verified
    );
    assert!(matches!(
        vault.authorize(None, true, Purpose::Sign),
        Err(StoreError::PinRequired(PinReason::UserVerification))
    ));
    assert!(matches!(
        vault.authorize(Some("432100"), false, Purpose::Sign),
        Err(StoreError::WrongPin)
    ));
    vault.lock();
    assert!(matches!(
        vault.authorize(None, false, Purpose::Sign),
        Err(StoreError::PinRequired(PinReason::Unlock))
    ));
    metadata.set_vault_unlock_seconds(0).unwrap();
    assert!(
        vault
            .authorize(Some("123456"), false, Purpose::Sign)
            .unwrap()
            .user_verified
    );
    assert!(matches!(
        vault.authorize(None, false, Purpose::Sign),
        Err(StoreError::PinRequired(PinReason::Unlock))
    ));
}

#[test]
fn keys_sign_and_are_bound_to_their_credential() {
    let (_dir, _metadata, vault) = vault();
    let authorization = vault
        .authorize(Some("correct horse"), false, Purpose::Sign)
        .unwrap();
    let key = vault.create_key(&authorization, b"credential-1").unwrap();
    assert_eq!(key.public_key.len(), 65);
    let der = vault
        .sign(&authorization, b"credential-1", &key.key_blob, b"message")
        .unwrap();
    let verifying_key = VerifyingKey::from_sec1_bytes(&key.public_key).unwrap();
    verifying_key
        .verify(b"message", &Signature::from_der(&der).unwrap())
        .unwrap();
    assert!(vault
        .sign(&authorization, b"credential-2", &key.key_blob, b"m")
        .is_err());
    assert!(vault
        .sign(&authorization, b"credential-1", &key.key_blob[..10], b"m")
        .is_err());
}

#[test]
fn a_second_vault_on_the_same_database_needs_the_same_pin() {
    let (_dir, metadata, vault) = vault();
    vault
        .authorize(Some("123456"), false, Purpose::Sign)
        .unwrap();
    let other = Vault::with_cheap_kdf(metadata);
    assert!(matches!(
        other.authorize(None, false, Purpose::Sign),
        Err(StoreError::PinRequired(PinReason::Unlock))
    ));
    assert!(matches!(
        other.authorize(Some("9999"), false, Purpose::Sign),
        Err(StoreError::WrongPin)
    ));
    assert!(other
        .authorize(Some("123456"), false, Purpose::Sign)
        .is_ok());
}

fn verify(public_key: &[u8], message: &[u8], der: &[u8]) {
    VerifyingKey::from_sec1_bytes(public_key)
        .unwrap()
        .verify(message, &Signature::from_der(der).unwrap())
        .expect("the signature verifies with the key's public key");
}

#[test]
fn cached_keys_sign_verifiably_and_go_with_lock() {
    let (_dir, _metadata, vault) = vault();
    let authorization = vault
        .authorize(Some("123456"), false, Purpose::Sign)
        .unwrap();
    let key = vault.create_key(&authorization, b"credential-1").unwrap();
    assert_eq!(vault.cached_keys(), 0, "filled only by a decryption");
    for round in 0..3u8 {
        // No PIN: the vault is unlocked; the first sign decrypts, the others use the cached key.
        let authorization = vault.authorize(None, false, Purpose::Sign).unwrap();
        let der = vault
            .sign(&authorization, b"credential-1", &key.key_blob, &[round])
            .unwrap();
        assert_eq!(vault.cached_keys(), 1);
        verify(&key.public_key, &[round], &der);
    }
    // The cache is no way around the binding of a blob to its credential, nor around a damaged blob.
    let authorization = vault.authorize(None, false, Purpose::Sign).unwrap();
    assert!(vault
        .sign(&authorization, b"credential-2", &key.key_blob, b"m")
        .is_err());
    let mut damaged = key.key_blob.clone();
    *damaged.last_mut().unwrap() ^= 1;
    assert!(vault
        .sign(&authorization, b"credential-1", &damaged, b"m")
        .is_err());
    // Nor around the data key: an authorization holding another secret gets nothing from it.
    let forged = Authorization::new(true, &[7; DATA_KEY_LEN]);
    assert!(vault
        .sign(&forged, b"credential-1", &key.key_blob, b"m")
        .is_err());
    assert_eq!(vault.cached_keys(), 1);

    vault.lock();
    assert_eq!(vault.cached_keys(), 0, "lock forgets the cached keys");
    assert!(matches!(
        vault.authorize(None, false, Purpose::Sign),
        Err(StoreError::PinRequired(PinReason::Unlock))
    ));
    // Unlocking again starts with an empty cache.
    let authorization = vault
        .authorize(Some("123456"), false, Purpose::Sign)
        .unwrap();
    assert_eq!(vault.cached_keys(), 0);
    let der = vault
        .sign(&authorization, b"credential-1", &key.key_blob, b"again")
        .unwrap();
    verify(&key.public_key, b"again", &der);
    assert_eq!(vault.cached_keys(), 1);
    vault.shutdown();
    assert_eq!(vault.cached_keys(), 0, "shutdown forgets the cached keys");
}

#[test]
fn a_cached_key_never_skips_the_pin() {
    let (_dir, _metadata, vault) = vault();
    let authorization = vault
        .authorize(Some("123456"), false, Purpose::Sign)
        .unwrap();
    let key = vault.create_key(&authorization, b"credential-1").unwrap();
    vault
        .sign(&authorization, b"credential-1", &key.key_blob, b"m")
        .unwrap();
    assert_eq!(vault.cached_keys(), 1);
    assert!(matches!(
        vault.authorize(Some("432100"), true, Purpose::Sign),
        Err(StoreError::WrongPin)
    ));
    assert!(matches!(
        vault.authorize(Some("432100"), false, Purpose::Sign),
        Err(StoreError::WrongPin)
    ));
    assert!(matches!(
        vault.authorize(None, true, Purpose::Sign),
        Err(StoreError::PinRequired(PinReason::UserVerification))
    ));
    // The right PIN is still checked (user verified) and keeps the cache.
    let verified = vault
        .authorize(Some("123456"), true, Purpose::Sign)
        .unwrap();
    assert!(verified.user_verified);
    assert_eq!(vault.cached_keys(), 1);
    let der = vault
        .sign(&verified, b"credential-1", &key.key_blob, b"uv")
        .unwrap();
    verify(&key.public_key, b"uv", &der);
}

#[test]
fn cached_keys_go_when_the_unlock_time_ends() {
    let (_dir, metadata, vault) = vault();
    metadata.set_vault_unlock_seconds(1).unwrap();
    let authorization = vault
        .authorize(Some("123456"), false, Purpose::Sign)
        .unwrap();
    let key = vault.create_key(&authorization, b"credential-1").unwrap();
    vault
        .sign(&authorization, b"credential-1", &key.key_blob, b"m")
        .unwrap();
    assert_eq!(vault.cached_keys(), 1);
    std::thread::sleep(Duration::from_millis(1100));
    assert!(!vault.is_unlocked().unwrap());
    assert_eq!(vault.cached_keys(), 0);
    assert!(matches!(
        vault.authorize(None, false, Purpose::Sign),
        Err(StoreError::PinRequired(PinReason::Unlock))
    ));

    // A sign that was authorized just before the time ended still signs, and caches nothing.
    let authorization = vault
        .authorize(Some("123456"), false, Purpose::Sign)
        .unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let der = vault
        .sign(&authorization, b"credential-1", &key.key_blob, b"late")
        .unwrap();
    verify(&key.public_key, b"late", &der);
    assert_eq!(vault.cached_keys(), 0);

    // Unlock time 0: nothing is kept, not even for a moment.
    metadata.set_vault_unlock_seconds(0).unwrap();
    let authorization = vault
        .authorize(Some("123456"), false, Purpose::Sign)
        .unwrap();
    vault
        .sign(&authorization, b"credential-1", &key.key_blob, b"m")
        .unwrap();
    assert_eq!(vault.cached_keys(), 0);
}

#[test]
fn the_cache_keeps_the_most_recently_used_keys() {
    let (_dir, _metadata, vault) = vault();
    let authorization = vault
        .authorize(Some("123456"), false, Purpose::Sign)
        .unwrap();
    let keys: Vec<(Vec<u8>, NewKey)> = (0..KEY_CACHE_ENTRIES + 1)
        .map(|i| {
            let id = format!("credential-{i}").into_bytes();
            let key = vault.create_key(&authorization, &id).unwrap();
            (id, key)
        })
        .collect();
    for (id, key) in &keys[..KEY_CACHE_ENTRIES] {
        vault.sign(&authorization, id, &key.key_blob, b"m").unwrap();
    }
    assert_eq!(vault.cached_keys(), KEY_CACHE_ENTRIES);
    // Use the first again, then one more key: the second (least recently used) goes, not the first.
    vault
        .sign(&authorization, &keys[0].0, &keys[0].1.key_blob, b"m")
        .unwrap();
    let (id, key) = &keys[KEY_CACHE_ENTRIES];
    vault.sign(&authorization, id, &key.key_blob, b"m").unwrap();
    assert_eq!(vault.cached_keys(), KEY_CACHE_ENTRIES);
    let mut unlocked = vault.unlocked();
    let cache = &mut unlocked.as_mut().unwrap().keys;
    assert!(cache.get(&keys[0].0, &keys[0].1.key_blob).is_some());
    assert!(cache.get(&keys[1].0, &keys[1].1.key_blob).is_none());
    assert!(cache.get(id, &key.key_blob).is_some());
}

/// ARCHITECTURE.md rule 5: the private scalar never reaches the database file or its WAL in the clear.
#[test]
fn private_keys_are_not_stored_in_the_clear() {
    let (dir, metadata, vault) = vault();
    let authorization = vault
        .authorize(Some("836100"), false, Purpose::Sign)
        .unwrap();
    let signing_key = SigningKey::random(&mut OsRng);
    let scalar = signing_key.to_bytes();
    let key = seal_key(&authorization, b"credential-1", &signing_key).unwrap();
    let mut record = crate::test_support::sample_credential(b"credential-1", "example.com");
    record.key_blob = key.key_blob.clone();
    record.public_key = key.public_key.clone();
    metadata.insert_credential(&record).unwrap();

    let mut on_disk = Vec::new();
    for name in ["keyplace.db", "keyplace.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(name)) {
            on_disk.extend_from_slice(&bytes);
        }
    }
    let contains = |needle: &[u8]| on_disk.windows(needle.len()).any(|window| window == needle);
    assert!(
        contains(&key.public_key),
        "the test must be reading the files the record went to"
    );
    assert!(!contains(&scalar), "private scalar found in the clear");
    assert!(
        !contains(&scalar[..16]) && !contains(&scalar[16..]),
        "half a private scalar found"
    );
    assert!(!contains(b"836100"), "PIN found in the clear");
    let der = vault
        .sign(&authorization, b"credential-1", &key.key_blob, b"m")
        .unwrap();
    assert!(!der.is_empty());
}

#[test]
fn without_a_tpm_wrong_pins_wait_longer_and_longer() {
    assert_eq!(wrong_pin_delay_ms(1), None);
    assert_eq!(wrong_pin_delay_ms(FREE_WRONG_PINS - 1), None);
    assert_eq!(wrong_pin_delay_ms(FREE_WRONG_PINS), Some(30_000));
    assert_eq!(wrong_pin_delay_ms(FREE_WRONG_PINS + 1), Some(60_000));
    assert_eq!(wrong_pin_delay_ms(FREE_WRONG_PINS + 6), Some(1_920_000));
    assert_eq!(wrong_pin_delay_ms(FREE_WRONG_PINS + 7), Some(MAX_DELAY_MS));
    assert_eq!(wrong_pin_delay_ms(u32::MAX), Some(MAX_DELAY_MS));
}

/// The usual computer without a TPM device: the vault works on the PIN alone, without waiting for the TPM.
#[cfg(target_os = "linux")]
#[test]
fn a_missing_tpm_leaves_the_vault_on_the_pin_alone() {
    let dir = tempfile::tempdir().unwrap();
    let metadata = Arc::new(Metadata::open(&dir.path().join("keyplace.db")).unwrap());
    let vault = Vault::with_cheap_kdf_and_seal(
        metadata.clone(),
        DeviceSeal::tpm("device:/nonexistent/tpmrm0".into()),
    );
    assert_eq!(vault.available_protection(), VaultProtection::PinOnly);
    assert_eq!(vault.protection().unwrap(), None);
    let started = Instant::now();
    vault
        .authorize(Some("836100"), true, Purpose::Create)
        .unwrap();
    vault.lock();
    vault
        .authorize(Some("836100"), true, Purpose::Sign)
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(vault.protection().unwrap(), Some(VaultProtection::PinOnly));
    let record = metadata.vault_record().unwrap().unwrap();
    assert_eq!(record.kdf, vault_wrap::PIN_ONLY);
    assert!(record.tpm_sealed.is_none());
}

/// The right PIN after wrong ones starts the host's count again.
#[test]
fn the_right_pin_clears_the_count_of_wrong_ones() {
    let (_dir, metadata, vault) = vault();
    vault
        .authorize(Some("836100"), true, Purpose::Create)
        .unwrap();
    for _ in 1..FREE_WRONG_PINS {
        assert!(matches!(
            vault.authorize(Some("0000"), true, Purpose::Sign),
            Err(StoreError::WrongPin)
        ));
    }
    assert_eq!(
        metadata.wrong_vault_pins().unwrap().count,
        FREE_WRONG_PINS - 1
    );
    vault
        .authorize(Some("836100"), true, Purpose::Sign)
        .unwrap();
    assert_eq!(metadata.wrong_vault_pins().unwrap().count, 0);
    assert!(matches!(
        vault.authorize(Some("0000"), true, Purpose::Sign),
        Err(StoreError::WrongPin)
    ));
}
