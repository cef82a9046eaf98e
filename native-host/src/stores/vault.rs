//! The software vault. A random 32-byte data key encrypts every private scalar (XChaCha20-Poly1305, AAD = the
//! credential id, so a blob cannot be moved to another credential). The data key itself is stored only sealed:
//! by this computer's TPM where one is reachable (the PIN, hashed with a salt, is the sealed object's
//! authorization: the chip checks it and counts wrong ones toward its lockout, and the object loads on no other
//! chip), else wrapped under a key derived from the PIN with Argon2id together with a device secret kept in the
//! operating system's secret store (vault_wrap.rs, os_secret/), else, where no such store is reachable, under the
//! PIN-derived key alone; without a TPM, the host makes wrong PINs wait. A PIN-only key is sealed by the TPM, or
//! else with the OS store's secret, at the first unlock where one is reachable; an OS-sealed key is sealed by the
//! TPM where one becomes reachable. While unlocked, the data key
//! stays in this process's memory for `vault_unlock_seconds` (0 = never kept), and is wiped when dropped. While it
//! is kept, the signing keys decrypted with it are kept beside it (`KeyCache`, vault_cache.rs) and forgotten with
//! it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::subtle::ConstantTimeEq;
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use super::os_secret::{DeviceSecret, OsSecretError};
use super::protection::{VaultProtection, SEALED_ELSEWHERE};
use super::vault_aead;
use super::vault_cache::KeyCache;
#[cfg(test)]
use super::vault_cache::KEY_CACHE_ENTRIES;
use super::vault_chip::{is_chip_blob, prf_outputs as chip_prf_outputs, ChipBlob};
#[cfg(target_os = "linux")]
use super::vault_chip::{key_auth, new_seed, seal_chip_key};
use super::vault_prf::prf_outputs;
use super::vault_seal::{seal_auth, DeviceSeal};
use super::vault_wrap::{
    self, data_key_from, unknown_format, DataKey, Device, KdfCost, DATA_KEY_LEN, OS_SEALED,
};
use super::{Authorization, KeyStore, NewKey, PinReason, Purpose, StoreError};
use crate::metadata::{now_ms, Metadata, VaultRecord};
use crate::protocol::{StoreId, StoreStatus};

pub const VAULT_STORE_ID: &str = StoreId::Vault.as_str();
pub const VAULT_AAGUID: &str = "62ee5665-1fea-485b-9a24-9ccac93787c2";
/// The shortest new vault PIN where the TPM seals the vault (the chip counts wrong PINs and locks).
pub const MIN_PIN_CHARS: usize = 4;
/// The shortest new vault PIN without a TPM: only the host's own wait and the Argon2 cost slow guessing.
pub const MIN_PIN_CHARS_WITHOUT_TPM: usize = 6;
const MAX_PIN_BYTES: usize = 256;

/// Argon2id at 19 MiB (its memory counts toward the host's RSS budget, so more passes rather than more memory):
/// these passes make one guess cost at least 250 ms of one core (measured by examples/vault_unlock.rs).
const KDF_M_KIB: u32 = 19_456;
pub const KDF_PASSES: u32 = 24;
const KDF_P: u32 = 1;
/// The `kdf` of a record whose data key is sealed by the TPM.
const TPM_SEALED: &str = "tpm-sealed-v1";
/// Without a TPM: wrong PINs the host lets through before it makes the next one wait.
pub const FREE_WRONG_PINS: u32 = 5;
/// The first wait, doubled at every further wrong PIN up to MAX_DELAY_MS.
const FIRST_DELAY_MS: i64 = 30_000;
const MAX_DELAY_MS: i64 = 3_600_000;
const SALT_LEN: usize = 16;
const KEY_BLOB_VERSION: u8 = 1;

/// The vault while it is unlocked in this process. Dropping it (lock, the end of `vault_unlock_seconds`, shutdown)
/// forgets the data key and every cached signing key together: both are wiped on drop.
struct Unlocked {
    data_key: DataKey,
    at: Instant,
    /// `vault_unlock_seconds` as last read from the database (each `authorize` reads it again).
    keep_for: Duration,
    keys: KeyCache,
}

impl Unlocked {
    fn expired(&self) -> bool {
        self.at.elapsed() >= self.keep_for
    }

    /// Whether `secret` (an authorization's) is this unlocked data key.
    fn holds(&self, secret: &[u8]) -> bool {
        bool::from(self.data_key.as_slice().ct_eq(secret))
    }
}

pub struct Vault {
    metadata: Arc<Metadata>,
    unlocked: Mutex<Option<Unlocked>>,
    /// This computer's TPM and secret store, where it has them.
    seal: DeviceSeal,
    /// Lower KDF cost for unit tests only; records carry their own parameters, so this never affects reading.
    kdf_m_kib: u32,
    kdf_t: u32,
}

impl Vault {
    /// The vault with this computer's device seal (the TPM of `KEYPLACE_TPM_TCTI`, else /dev/tpmrm0, if any; the
    /// user's secret store).
    pub fn new(metadata: Arc<Metadata>) -> Self {
        Vault::with_seal(metadata, DeviceSeal::from_env())
    }

    pub fn with_seal(metadata: Arc<Metadata>, seal: DeviceSeal) -> Self {
        Vault {
            metadata,
            unlocked: Mutex::new(None),
            seal,
            kdf_m_kib: KDF_M_KIB,
            kdf_t: KDF_PASSES,
        }
    }

    #[cfg(test)]
    fn with_cheap_kdf(metadata: Arc<Metadata>) -> Self {
        Vault::with_cheap_kdf_and_seal(metadata, DeviceSeal::none())
    }

    #[cfg(test)]
    fn with_cheap_kdf_and_seal(metadata: Arc<Metadata>, seal: DeviceSeal) -> Self {
        Vault {
            kdf_m_kib: 64,
            kdf_t: 1,
            ..Vault::with_seal(metadata, seal)
        }
    }

    /// How the data key is kept now (none before the first PIN).
    pub fn protection(&self) -> Result<Option<VaultProtection>, StoreError> {
        Ok(self.metadata.vault_record()?.map(|record| {
            if record.tpm_sealed.is_some() {
                VaultProtection::TpmSealed
            } else if record.os_secret.is_some() {
                VaultProtection::OsSealed
            } else {
                VaultProtection::PinOnly
            }
        }))
    }

    /// The shortest PIN a new vault takes on this computer (the consent window asks the same: `hello`'s protection).
    pub fn min_new_pin_chars(&self) -> usize {
        match self.available_protection() {
            VaultProtection::TpmSealed => MIN_PIN_CHARS,
            _ => MIN_PIN_CHARS_WITHOUT_TPM,
        }
    }

    /// How the data key would be kept if it were sealed now.
    pub fn available_protection(&self) -> VaultProtection {
        if self.seal.available().is_ok() {
            VaultProtection::TpmSealed
        } else if self.seal.os_secrets().available().is_ok() {
            VaultProtection::OsSealed
        } else {
            VaultProtection::PinOnly
        }
    }

    /// Whether the OS secret store can keep the vault's secret now, or why not (for `doctor`).
    pub fn os_secret_store(&self) -> Result<(), String> {
        self.seal.os_secrets().available()
    }

    pub fn is_initialized(&self) -> Result<bool, StoreError> {
        Ok(self.metadata.vault_record()?.is_some())
    }

    pub fn is_unlocked(&self) -> Result<bool, StoreError> {
        Ok(self.cached_data_key()?.is_some())
    }

    fn unlocked(&self) -> std::sync::MutexGuard<'_, Option<Unlocked>> {
        self.unlocked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The data key if it is still within `vault_unlock_seconds` (read from the database each time, because the
    /// other browser's host may have changed it).
    fn cached_data_key(&self) -> Result<Option<DataKey>, StoreError> {
        let keep_for = Duration::from_secs(self.metadata.vault_unlock_seconds()?.into());
        let mut unlocked = self.unlocked();
        let Some(state) = unlocked.as_mut() else {
            return Ok(None);
        };
        state.keep_for = keep_for;
        if state.expired() {
            // Forgets the data key and the cached signing keys with it.
            *unlocked = None;
            return Ok(None);
        }
        Ok(Some(state.data_key.clone()))
    }

    /// Keeps the data key after a PIN was checked. The same key as the one kept already (the usual case: the PIN of
    /// this vault) only starts the unlock time again, so the cached signing keys stay.
    fn remember(&self, data_key: &DataKey) -> Result<(), StoreError> {
        let keep_for = Duration::from_secs(self.metadata.vault_unlock_seconds()?.into());
        let mut unlocked = self.unlocked();
        if keep_for.is_zero() {
            *unlocked = None;
            return Ok(());
        }
        match unlocked.as_mut() {
            Some(state) if state.holds(data_key.as_slice()) => {
                state.at = Instant::now();
                state.keep_for = keep_for;
            }
            _ => {
                *unlocked = Some(Unlocked {
                    data_key: data_key.clone(),
                    at: Instant::now(),
                    keep_for,
                    keys: KeyCache::default(),
                })
            }
        }
        Ok(())
    }

    /// The credential's signing key; `authorize` ran for this request already, the cache only saves decrypting the
    /// blob again.
    fn signing_key(
        &self,
        authorization: &Authorization,
        credential_id: &[u8],
        key_blob: &[u8],
    ) -> Result<Arc<SigningKey>, StoreError> {
        if let Some(signing_key) = self.cached_signing_key(authorization, credential_id, key_blob) {
            return Ok(signing_key);
        }
        let signing_key = Arc::new(signing_key_from_blob(
            authorization.secret(),
            credential_id,
            key_blob,
        )?);
        self.cache_signing_key(authorization, credential_id, key_blob, &signing_key);
        Ok(signing_key)
    }

    /// The signing key of `credential_id` if it was decrypted from this same blob under the data key that
    /// `authorization` holds, and the vault is still unlocked with that key.
    fn cached_signing_key(
        &self,
        authorization: &Authorization,
        credential_id: &[u8],
        key_blob: &[u8],
    ) -> Option<Arc<SigningKey>> {
        let mut unlocked = self.unlocked();
        let state = unlocked.as_mut()?;
        if state.expired() {
            *unlocked = None;
            return None;
        }
        if !state.holds(authorization.secret()) {
            return None;
        }
        state.keys.get(credential_id, key_blob)
    }

    /// Keeps a key that was just decrypted, if the vault is still unlocked with the data key that decrypted it.
    fn cache_signing_key(
        &self,
        authorization: &Authorization,
        credential_id: &[u8],
        key_blob: &[u8],
        signing_key: &Arc<SigningKey>,
    ) {
        let mut unlocked = self.unlocked();
        let Some(state) = unlocked.as_mut() else {
            return;
        };
        if state.expired() {
            *unlocked = None;
            return;
        }
        if state.holds(authorization.secret()) {
            state
                .keys
                .insert(credential_id, key_blob, signing_key.clone());
        }
    }

    /// How many decrypted signing keys are kept now (without checking the unlock time).
    #[cfg(test)]
    fn cached_keys(&self) -> usize {
        self.unlocked().as_ref().map_or(0, |state| state.keys.len())
    }

    fn set_pin(&self, pin: &str) -> Result<DataKey, StoreError> {
        let shortest = self.min_new_pin_chars();
        if pin.chars().count() < shortest {
            let why = if shortest > MIN_PIN_CHARS {
                " on this computer: no TPM counts wrong PINs here"
            } else {
                ""
            };
            return Err(StoreError::BadPin(format!(
                "The vault PIN needs at least {shortest} characters{why}."
            )));
        }
        let mut data_key: DataKey = Zeroizing::new([0; DATA_KEY_LEN]);
        OsRng.fill_bytes(data_key.as_mut());
        let record = if self.seal.available().is_ok() {
            self.sealed_record(pin, &data_key)?
        } else {
            match self.os_sealed_record(pin, &data_key) {
                Some(record) => record,
                None => self.pin_wrapped_record(pin, &data_key)?,
            }
        };
        if self.metadata.insert_vault_record_if_absent(&record)? {
            Ok(data_key)
        } else {
            self.forget_os_secret(&record);
            // Another request or the other browser's host set a PIN first: this PIN must match that one.
            let stored = self.metadata.vault_record()?.ok_or_else(|| {
                StoreError::Internal("the vault record vanished while setting the PIN".into())
            })?;
            self.unlock(&stored, pin)
        }
    }

    /// The data key of `record` with `pin`: unsealed by the TPM (which counts wrong PINs), or unwrapped with
    /// Argon2 (and the OS store's device secret, if the record has one) under the host's own limit on wrong PINs,
    /// then sealed more strongly if this computer can now: by the TPM, else with the OS store's secret.
    fn unlock(&self, record: &VaultRecord, pin: &str) -> Result<DataKey, StoreError> {
        if let Some(sealed) = &record.tpm_sealed {
            if record.kdf != TPM_SEALED {
                return Err(unknown_format(record));
            }
            let secret = self.seal.unseal(sealed, &seal_auth(pin, &record.salt))?;
            return data_key_from(&secret);
        }
        self.wait_for_retry()?;
        // Asked before the PIN is tried: without the secret, the PIN cannot be checked (nor counted).
        let device_secret = self.device_secret(record)?;
        let data_key = match vault_wrap::unwrap(record, pin, device_secret.as_ref()) {
            Err(StoreError::WrongPin) => return Err(self.count_wrong_pin()?),
            other => other?,
        };
        self.metadata.clear_wrong_vault_pins()?;
        if self.seal_by_tpm(record, pin, &data_key) {
            self.forget_os_secret(record);
        } else if record.os_secret.is_none() {
            self.seal_with_os_secret(record, pin, &data_key);
        }
        Ok(data_key)
    }

    /// The OS store's device secret a software-wrapped `record` needs, if any: `SealedElsewhere` when the store
    /// answers without it, `Unavailable` when the store cannot be asked now.
    fn device_secret(&self, record: &VaultRecord) -> Result<Option<DeviceSecret>, StoreError> {
        let Some(handle) = &record.os_secret else {
            return Ok(None);
        };
        if record.kdf != OS_SEALED {
            return Err(unknown_format(record));
        }
        let os = self.seal.os_secrets();
        match os.open(handle) {
            Ok(secret) => Ok(Some(secret)),
            Err(OsSecretError::Missing) => Err(StoreError::SealedElsewhere(SEALED_ELSEWHERE.to_owned())),
            Err(OsSecretError::Unreachable(reason)) => Err(StoreError::Unavailable(format!(
                "The vault is sealed with a secret kept in {}, which Keyplace cannot reach now: {reason}.",
                os.name()
            ))),
        }
    }

    /// Whether the vault's OS secret can be had now (no PIN asked): for `doctor`. Ok for other protections.
    pub fn check_os_secret(&self) -> Result<(), StoreError> {
        match self.metadata.vault_record()? {
            Some(record) => self.device_secret(&record).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Refuses to try a PIN while the host makes wrong PINs wait.
    /// A chip-held passkey (vault_chip.rs), where this computer's TPM can hold one and other enrolled devices can
    /// approve its copies; none otherwise (a software vault passkey is made instead).
    #[cfg(target_os = "linux")]
    fn create_chip_key(
        &self,
        authorization: &Authorization,
        credential_id: &[u8],
    ) -> Result<Option<NewKey>, StoreError> {
        let Some(tpm) = self.seal.tpm_store() else {
            return Ok(None);
        };
        let parties = crate::devices::copy_parties(&self.metadata)
            .map_err(|e| StoreError::Internal(format!("reading your devices: {e}")))?;
        let Some(parties) = parties.filter(|p| !p.others.is_empty()) else {
            return Ok(None);
        };
        if tpm.probe().is_err() {
            return Ok(None);
        }
        let seed = new_seed();
        let key = tpm.create_copyable(
            &key_auth(&seed[..])[..],
            &parties.this_device,
            &parties.others,
        )?;
        let key_blob = seal_chip_key(
            authorization,
            credential_id,
            &seed[..],
            &key.branches,
            &key.tpm_blob,
        )?;
        Ok(Some(NewKey {
            public_key: key.public_key,
            key_blob,
        }))
    }

    #[cfg(not(target_os = "linux"))]
    fn create_chip_key(&self, _: &Authorization, _: &[u8]) -> Result<Option<NewKey>, StoreError> {
        Ok(None)
    }

    /// Signs with a chip-held passkey: the seed opened with the data key gives the key's authValue in the chip.
    fn chip_sign(
        &self,
        authorization: &Authorization,
        credential_id: &[u8],
        key_blob: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        let parts = ChipBlob::decode(key_blob)?;
        let seed = parts.seed(authorization, credential_id)?;
        let unreachable = || {
            StoreError::Unavailable(
                "This passkey is held by this computer's TPM, which Keyplace cannot use now."
                    .into(),
            )
        };
        #[cfg(target_os = "linux")]
        {
            let tpm = self.seal.tpm_store().ok_or_else(unreachable)?;
            tpm.sign_copyable(
                parts.tpm_blob,
                &parts.branches,
                &key_auth(&seed[..])[..],
                message,
            )
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (seed, message);
            Err(unreachable())
        }
    }

    fn wait_for_retry(&self) -> Result<(), StoreError> {
        let wrong = self.metadata.wrong_vault_pins()?;
        let wait_ms = wrong.retry_at_ms.saturating_sub(now_ms());
        if wait_ms > 0 {
            return Err(StoreError::PinWait((wait_ms as u64).div_ceil(1000)));
        }
        Ok(())
    }

    /// Counts a wrong PIN (in the database, so a restart does not forget it); the error to answer with.
    fn count_wrong_pin(&self) -> Result<StoreError, StoreError> {
        let now = now_ms();
        let wrong = self
            .metadata
            .count_wrong_vault_pin(now, wrong_pin_delay_ms)?;
        let wait_ms = wrong.retry_at_ms.saturating_sub(now);
        Ok(if wait_ms > 0 {
            StoreError::PinWait((wait_ms as u64).div_ceil(1000))
        } else {
            StoreError::WrongPin
        })
    }
}

/// Without a TPM: how long the `count`th wrong PIN makes the next one wait, if at all.
fn wrong_pin_delay_ms(count: u32) -> Option<i64> {
    let doublings = count.checked_sub(FREE_WRONG_PINS)?.min(16);
    Some((FIRST_DELAY_MS << doublings).min(MAX_DELAY_MS))
}

pub(super) fn signing_key_from_blob(
    data_key: &[u8],
    credential_id: &[u8],
    key_blob: &[u8],
) -> Result<SigningKey, StoreError> {
    let damaged = || {
        StoreError::Internal(
            "the stored key of this passkey is damaged or belongs elsewhere".into(),
        )
    };
    let Some((&KEY_BLOB_VERSION, sealed)) = key_blob.split_first() else {
        return Err(damaged());
    };
    let scalar = vault_aead::open(data_key, credential_id, sealed).ok_or_else(damaged)?;
    SigningKey::from_slice(&scalar).map_err(|_| damaged())
}

/// Encrypts the key's scalar under the vault's data key, bound to its credential id.
pub(super) fn seal_key(
    authorization: &Authorization,
    credential_id: &[u8],
    signing_key: &SigningKey,
) -> Result<NewKey, StoreError> {
    let public_key = signing_key
        .verifying_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();
    let scalar = Zeroizing::new(signing_key.to_bytes());
    let sealed = vault_aead::seal(authorization.secret(), credential_id, scalar.as_slice())?;
    let key_blob = [&[KEY_BLOB_VERSION][..], &sealed].concat();
    Ok(NewKey {
        public_key,
        key_blob,
    })
}

impl KeyStore for Vault {
    fn id(&self) -> StoreId {
        StoreId::Vault
    }

    fn aaguid(&self) -> &'static str {
        VAULT_AAGUID
    }

    fn backup_flags(&self) -> (bool, bool) {
        // Eligible: a vault key can be exported/transferred on purpose. Never backed up by itself.
        (true, false)
    }

    fn status(&self) -> StoreStatus {
        let protection = match self.protection() {
            Ok(Some(now)) => now,
            _ => self.available_protection(),
        };
        StoreStatus::Vault {
            available: true,
            initialized: self.is_initialized().unwrap_or(false),
            unlocked: self.is_unlocked().unwrap_or(false),
            protection: protection.kind(),
        }
    }

    fn authorize(
        &self,
        pin: Option<&str>,
        require_user_verification: bool,
        _purpose: Purpose,
    ) -> Result<Authorization, StoreError> {
        if pin.is_some_and(|pin| pin.len() > MAX_PIN_BYTES) {
            return Err(StoreError::BadPin(format!(
                "The PIN is longer than {MAX_PIN_BYTES} bytes."
            )));
        }
        let record = self.metadata.vault_record()?;
        let data_key = match (record, pin) {
            (None, None) => return Err(StoreError::PinRequired(PinReason::SetPin)),
            (None, Some(pin)) => self.set_pin(pin)?,
            (Some(record), Some(pin)) => self.unlock(&record, pin)?,
            (Some(_), None) if require_user_verification => {
                return Err(StoreError::PinRequired(PinReason::UserVerification))
            }
            (Some(_), None) => {
                let data_key = self
                    .cached_data_key()?
                    .ok_or(StoreError::PinRequired(PinReason::Unlock))?;
                return Ok(Authorization::new(false, data_key.as_ref()));
            }
        };
        self.remember(&data_key)?;
        Ok(Authorization::new(true, data_key.as_ref()))
    }

    fn create_key(
        &self,
        authorization: &Authorization,
        credential_id: &[u8],
    ) -> Result<NewKey, StoreError> {
        if let Some(key) = self.create_chip_key(authorization, credential_id)? {
            return Ok(key);
        }
        seal_key(
            authorization,
            credential_id,
            &SigningKey::random(&mut OsRng),
        )
    }

    fn sign(
        &self,
        authorization: &Authorization,
        credential_id: &[u8],
        key_blob: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        if is_chip_blob(key_blob) {
            return self.chip_sign(authorization, credential_id, key_blob, message);
        }
        let signing_key = self.signing_key(authorization, credential_id, key_blob)?;
        let signature: Signature = signing_key.sign(message);
        Ok(signature.to_der().as_bytes().to_vec())
    }

    fn prf(
        &self,
        authorization: &Authorization,
        credential_id: &[u8],
        key_blob: &[u8],
        salts: &[&[u8]],
    ) -> Result<Option<Vec<[u8; 32]>>, StoreError> {
        if is_chip_blob(key_blob) {
            let seed = ChipBlob::decode(key_blob)?.seed(authorization, credential_id)?;
            return Ok(Some(chip_prf_outputs(&seed[..], salts)));
        }
        let signing_key = self.signing_key(authorization, credential_id, key_blob)?;
        Ok(Some(prf_outputs(&signing_key, salts)))
    }

    fn destroy_key(&self, _key_blob: &[u8]) -> Result<(), StoreError> {
        // The blob lives only in the metadata row, which the caller deletes.
        Ok(())
    }

    fn lock(&self) {
        // The data key and the cached signing keys, wiped as they drop.
        *self.unlocked() = None;
    }

    fn shutdown(&self) {
        self.lock();
    }
}

#[path = "vault_migrate.rs"]
mod migrate;

#[cfg(test)]
#[path = "vault_tests.rs"]
mod tests;
