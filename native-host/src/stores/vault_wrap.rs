//! The vault's data key wrapped in software, where no TPM seals it: under a key derived from the PIN with Argon2id
//! (at least 250 ms of one core per guess), and, where the operating system's secret store keeps a device secret
//! (os_secret/), under that key and the device secret together, so a copied data folder needs both.

use std::sync::Mutex;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::os_secret::DeviceSecret;
use super::StoreError;
use crate::metadata::{now_ms, VaultRecord};

pub(super) const DATA_KEY_LEN: usize = 32;
pub(super) type DataKey = Zeroizing<[u8; DATA_KEY_LEN]>;

/// The `kdf` of a record wrapped under the PIN alone.
pub(super) const PIN_ONLY: &str = "argon2id-v19";
/// The `kdf` of a record wrapped under the PIN and the OS store's device secret (`os_secret` holds its handle).
pub(super) const OS_SEALED: &str = "argon2id-v19+os-secret-v1";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const PIN_ONLY_AAD: &[u8] = b"keyplace vault data key v1";
const OS_SEALED_AAD: &[u8] = b"keyplace vault data key v1, PIN and OS secret";
/// HKDF's info when the Argon2id key and the device secret are mixed.
const MIX_INFO: &[u8] = b"keyplace vault wrapping key: Argon2id(PIN) and OS device secret v1";

/// Argon2id's cost, as written into each record.
#[derive(Clone, Copy, Debug)]
pub(super) struct KdfCost {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

/// A device secret and the handle the record keeps to find it again.
pub(super) struct Device<'a> {
    pub handle: &'a [u8],
    pub secret: &'a DeviceSecret,
}

/// A record holding `data_key` wrapped under `pin` (fresh salt and nonce), and under `device`'s secret if given.
pub(super) fn wrap(
    pin: &str,
    data_key: &DataKey,
    cost: KdfCost,
    device: Option<Device<'_>>,
) -> Result<VaultRecord, StoreError> {
    let mut salt = vec![0; SALT_LEN];
    OsRng.fill_bytes(&mut salt);
    let mut nonce = vec![0; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let (kdf, aad) = match device {
        Some(_) => (OS_SEALED, OS_SEALED_AAD),
        None => (PIN_ONLY, PIN_ONLY_AAD),
    };
    let wrapping_key = wrapping_key(pin, &salt, cost, device.as_ref().map(|d| d.secret))?;
    let wrapped_key = XChaCha20Poly1305::new(wrapping_key.as_ref().into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: data_key.as_ref(),
                aad,
            },
        )
        .map_err(|_| StoreError::Internal("cannot wrap the vault key".into()))?;
    Ok(VaultRecord {
        kdf: kdf.into(),
        kdf_m_kib: cost.m_kib,
        kdf_t: cost.t,
        kdf_p: cost.p,
        salt,
        nonce,
        wrapped_key,
        tpm_sealed: None,
        os_secret: device.map(|d| d.handle.to_vec()),
        created_at: now_ms(),
    })
}

/// The data key of a software-wrapped `record`; `secret` is the OS store's device secret, which an OS-sealed
/// record needs and a PIN-only one must not get. A wrong PIN (or secret) is `WrongPin`.
pub(super) fn unwrap(
    record: &VaultRecord,
    pin: &str,
    secret: Option<&DeviceSecret>,
) -> Result<DataKey, StoreError> {
    let aad = match (record.kdf.as_str(), secret.is_some()) {
        (PIN_ONLY, false) => PIN_ONLY_AAD,
        (OS_SEALED, true) => OS_SEALED_AAD,
        _ => return Err(unknown_format(record)),
    };
    if record.nonce.len() != NONCE_LEN {
        return Err(unknown_format(record));
    }
    let cost = KdfCost {
        m_kib: record.kdf_m_kib,
        t: record.kdf_t,
        p: record.kdf_p,
    };
    let wrapping_key = wrapping_key(pin, &record.salt, cost, secret)?;
    let plain = Zeroizing::new(
        XChaCha20Poly1305::new(wrapping_key.as_ref().into())
            .decrypt(
                XNonce::from_slice(&record.nonce),
                Payload {
                    msg: &record.wrapped_key,
                    aad,
                },
            )
            .map_err(|_| StoreError::WrongPin)?,
    );
    data_key_from(&plain)
}

pub(super) fn unknown_format(record: &VaultRecord) -> StoreError {
    StoreError::Internal(format!(
        "the vault uses an unknown key format ({})",
        record.kdf
    ))
}

pub(super) fn data_key_from(secret: &[u8]) -> Result<DataKey, StoreError> {
    if secret.len() != DATA_KEY_LEN {
        return Err(StoreError::Internal(
            "the vault key has the wrong length".into(),
        ));
    }
    let mut data_key: DataKey = Zeroizing::new([0; DATA_KEY_LEN]);
    data_key.copy_from_slice(secret);
    Ok(data_key)
}

/// Argon2id of the PIN; with a device secret, HKDF-SHA256 over both (the secret first), so that neither the PIN
/// nor the secret alone gives the key: whoever lacks the secret has nothing to try PINs against.
fn wrapping_key(
    pin: &str,
    salt: &[u8],
    cost: KdfCost,
    secret: Option<&DeviceSecret>,
) -> Result<DataKey, StoreError> {
    let pin_key = derive_pin_key(pin, salt, cost)?;
    let Some(secret) = secret else {
        return Ok(pin_key);
    };
    let mut input = Zeroizing::new([0u8; 2 * DATA_KEY_LEN]);
    input[..DATA_KEY_LEN].copy_from_slice(secret.as_ref());
    input[DATA_KEY_LEN..].copy_from_slice(pin_key.as_ref());
    let mut key: DataKey = Zeroizing::new([0; DATA_KEY_LEN]);
    Hkdf::<Sha256>::new(Some(salt), input.as_ref())
        .expand(MIX_INFO, key.as_mut())
        .map_err(|_| StoreError::Internal("vault key mixing failed".into()))?;
    Ok(key)
}

/// One Argon2 derivation at a time per process: each takes ~19 MiB, and a flood of PIN guesses should queue.
static KDF_GATE: Mutex<()> = Mutex::new(());

fn derive_pin_key(pin: &str, salt: &[u8], cost: KdfCost) -> Result<DataKey, StoreError> {
    let _one_at_a_time = KDF_GATE.lock().unwrap_or_else(|e| e.into_inner());
    let params = Params::new(cost.m_kib, cost.t, cost.p, Some(DATA_KEY_LEN))
        .map_err(|e| StoreError::Internal(format!("bad vault KDF parameters: {e}")))?;
    let mut key: DataKey = Zeroizing::new([0; DATA_KEY_LEN]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(pin.as_bytes(), salt, key.as_mut())
        .map_err(|e| StoreError::Internal(format!("vault key derivation failed: {e}")))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: KdfCost = KdfCost {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    fn secret(byte: u8) -> DeviceSecret {
        Zeroizing::new([byte; DATA_KEY_LEN])
    }

    #[test]
    fn an_os_sealed_key_needs_both_the_pin_and_the_device_secret() {
        let data_key: DataKey = Zeroizing::new([9; DATA_KEY_LEN]);
        let device_secret = secret(1);
        let device = Device {
            handle: b"handle",
            secret: &device_secret,
        };
        let record = wrap("4711", &data_key, CHEAP, Some(device)).unwrap();
        assert_eq!(record.kdf, OS_SEALED);
        assert_eq!(record.os_secret.as_deref(), Some(&b"handle"[..]));
        assert!(record.tpm_sealed.is_none());

        let opened = unwrap(&record, "4711", Some(&device_secret)).unwrap();
        assert_eq!(opened.as_ref(), data_key.as_ref());
        assert!(matches!(
            unwrap(&record, "4712", Some(&device_secret)),
            Err(StoreError::WrongPin)
        ));
        // Another computer's secret, with the right PIN.
        assert!(matches!(
            unwrap(&record, "4711", Some(&secret(2))),
            Err(StoreError::WrongPin)
        ));
        // The PIN alone is not even tried.
        assert!(matches!(
            unwrap(&record, "4711", None),
            Err(StoreError::Internal(_))
        ));
    }

    #[test]
    fn a_pin_only_key_opens_with_the_pin_alone() {
        let data_key: DataKey = Zeroizing::new([7; DATA_KEY_LEN]);
        let record = wrap("correct horse", &data_key, CHEAP, None).unwrap();
        assert_eq!(record.kdf, PIN_ONLY);
        assert!(record.os_secret.is_none());
        let opened = unwrap(&record, "correct horse", None).unwrap();
        assert_eq!(opened.as_ref(), data_key.as_ref());
        assert!(matches!(
            unwrap(&record, "wrong horse", None),
            Err(StoreError::WrongPin)
        ));
        assert!(matches!(
            unwrap(&record, "correct horse", Some(&secret(1))),
            Err(StoreError::Internal(_))
        ));
    }

    /// The device secret changes the wrapping key: the same PIN and salt give another key with another secret.
    #[test]
    fn the_device_secret_is_mixed_into_the_wrapping_key() {
        let salt = [3u8; SALT_LEN];
        let pin_only = wrapping_key("4711", &salt, CHEAP, None).unwrap();
        let one = wrapping_key("4711", &salt, CHEAP, Some(&secret(1))).unwrap();
        let two = wrapping_key("4711", &salt, CHEAP, Some(&secret(2))).unwrap();
        assert_ne!(one.as_ref(), pin_only.as_ref());
        assert_ne!(one.as_ref(), two.as_ref());
        assert_eq!(
            one.as_ref(),
            wrapping_key("4711", &salt, CHEAP, Some(&secret(1)))
                .unwrap()
                .as_ref()
        );
    }
}
