//! Hardware-bound keys in a TPM 2.0 (Linux, tss-esapi). Keys are made inside the chip under a storage key that is
//! derived again at every start, so the chip keeps nothing persistent; the database keeps the key's public and
//! sealed private areas, which only this chip can load. The PIN is each key's authValue: the chip checks it, and
//! counts wrong ones toward its dictionary-attack lockout.

mod blob;
mod chip;
mod doctor;
/// Duplication under policy: public for the tests and the benchmark too.
pub mod duplication;
mod errors;
/// Public so the benchmark example measures the chip with exactly the objects the host creates.
pub mod templates;
mod vault_keys;

use std::sync::{Arc, Mutex, MutexGuard, Weak};

use zeroize::Zeroizing;

use super::hardware::authorize_with_key_pin;
use super::{Authorization, KeyStore, NewKey, Purpose, StoreError, WrongPin};
use crate::protocol::{HardwareKind, StoreId, StoreStatus};
use blob::{KeyBlob, PasskeyBlob};
use chip::Chip;
pub use chip::DaState;
pub use doctor::diagnose;
use errors::Failure;
pub use vault_keys::{approver_name, CopyableKey, Duplicated};

pub const TCTI_ENV: &str = "KEYPLACE_TPM_TCTI";
pub const DEFAULT_TCTI: &str = "device:/dev/tpmrm0";

/// The TCTI to use: `KEYPLACE_TPM_TCTI`, else the kernel's resource manager.
pub fn tcti_from_env() -> String {
    std::env::var(TCTI_ENV)
        .ok()
        .filter(|tcti| !tcti.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_TCTI.to_owned())
}

type ChipSlot = Mutex<Option<Chip>>;
type SharedChip = Arc<ChipSlot>;

/// The connections open in this process, by TCTI. The hardware store and the vault's seal use the same chip
/// through one connection: swtpm (and /dev/tpm0) serve one client at a time, and one SRK and session are enough.
static CHIPS: Mutex<Vec<(String, Weak<ChipSlot>)>> = Mutex::new(Vec::new());

fn shared_chip(tcti: &str) -> SharedChip {
    let mut chips = CHIPS.lock().unwrap_or_else(|e| e.into_inner());
    chips.retain(|(_, chip)| chip.strong_count() > 0);
    if let Some(chip) = chips
        .iter()
        .find(|(name, _)| name == tcti)
        .and_then(|(_, chip)| chip.upgrade())
    {
        return chip;
    }
    let chip: SharedChip = Arc::new(Mutex::new(None));
    chips.push((tcti.to_owned(), Arc::downgrade(&chip)));
    chip
}

pub struct TpmStore {
    tcti: String,
    /// Opened at the first use and kept; dropped (and opened again next time) when the connection breaks. Shared
    /// with every other `TpmStore` of the same TCTI in this process.
    chip: SharedChip,
}

impl TpmStore {
    pub fn new(tcti: String) -> Self {
        TpmStore {
            chip: shared_chip(&tcti),
            tcti,
        }
    }

    pub fn tcti(&self) -> &str {
        &self.tcti
    }

    fn lock_chip(&self) -> MutexGuard<'_, Option<Chip>> {
        self.chip.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `work` on the open chip, opening it first if needed. A broken connection is dropped so that the next
    /// request tries again; the TPM is not held while it is unusable.
    fn with_chip<T>(
        &self,
        work: impl FnOnce(&mut Chip) -> Result<T, Failure>,
    ) -> Result<T, StoreError> {
        let mut slot = self.lock_chip();
        if slot.is_none() {
            *slot = Some(open(&self.tcti)?);
        }
        let chip = slot.as_mut().expect("opened above");
        match work(chip) {
            Ok(value) => Ok(value),
            Err(Failure::AuthFail) => Err(StoreError::WrongDevicePin(lockout_info(chip, true))),
            Err(Failure::Lockout) => Err(StoreError::Locked(lockout_info(chip, false))),
            Err(Failure::Unreachable(message)) => {
                *slot = None;
                Err(StoreError::Unavailable(format!(
                    "Keyplace lost its connection to the TPM ({message}). Try again."
                )))
            }
            Err(Failure::NotThisChip(message)) => Err(StoreError::Unavailable(format!(
                "This was sealed by another computer's TPM, or this TPM was cleared since: it cannot be \
                 opened here ({message})."
            ))),
            Err(Failure::Other(message)) => Err(StoreError::Internal(format!("TPM: {message}"))),
        }
    }

    /// Seals `secret` in this chip with `auth` as its authorization; the blob (public and private areas) loads
    /// only on this TPM.
    pub fn seal_secret(&self, auth: &[u8], secret: &[u8]) -> Result<Vec<u8>, StoreError> {
        let blob = self.with_chip(|chip| chip.seal(auth, secret))?;
        blob.encode().map_err(StoreError::Internal)
    }

    /// The secret sealed in `sealed` by `seal_secret`, if the chip accepts `auth` (a wrong one is counted).
    pub fn unseal_secret(
        &self,
        sealed: &[u8],
        auth: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let blob = KeyBlob::decode(sealed)
            .filter(|blob| templates::is_sealed_secret(&blob.public))
            .ok_or_else(|| StoreError::Internal("the sealed vault key is damaged".into()))?;
        self.with_chip(|chip| chip.unseal(blob, auth))
    }

    /// Whether the chip's lockout hierarchy has an authorization, for `doctor`.
    pub fn lockout_auth_set(&self) -> Result<bool, StoreError> {
        self.with_chip(Chip::lockout_auth_set)
    }

    /// The chip's lockout state, for `doctor`.
    pub fn da_state(&self) -> Result<DaState, StoreError> {
        self.with_chip(Chip::da_state)
    }

    /// Whether the chip can be used now, and why not in plain words.
    pub fn probe(&self) -> Result<(), String> {
        let mut slot = self.lock_chip();
        if slot.is_none() {
            *slot = Some(open(&self.tcti).map_err(|e| e.to_string())?);
        }
        Ok(())
    }

    /// Unloads everything the host put in the chip (the host is exiting).
    pub fn close(&self) {
        self.lock_chip().take();
    }
}

/// After a refused PIN: what the chip says about tries left and recovery.
fn lockout_info(chip: &mut Chip, counted: bool) -> WrongPin {
    match chip.da_state() {
        Ok(state) => WrongPin {
            tries_left: Some(state.tries_left()),
            retry_after_seconds: (state.is_locked() || !counted)
                .then(|| state.retry_after_seconds())
                .flatten(),
        },
        Err(_) => WrongPin::default(),
    }
}

/// Opens the chip, saying in plain words why it cannot be used.
fn open(tcti: &str) -> Result<Chip, StoreError> {
    if let Some(path) = device_path(tcti) {
        check_device(path).map_err(StoreError::Unavailable)?;
    }
    Chip::open(tcti).map_err(|failure| {
        StoreError::Unavailable(match failure {
            Failure::Unreachable(message)
                if tcti.starts_with("swtpm") || tcti.starts_with("mssim") =>
            {
                format!("Keyplace cannot reach the TPM simulator at {tcti}: {message}")
            }
            failure => format!("The TPM cannot be used: {}", failure.message()),
        })
    })
}

/// A stored passkey blob, refused unless its keys are exactly what this host makes (before the chip sees a PIN).
fn passkey_blob(key_blob: &[u8]) -> Result<PasskeyBlob, StoreError> {
    PasskeyBlob::decode(key_blob)
        .filter(|blob| {
            templates::is_passkey(&blob.key.public)
                && blob
                    .prf
                    .as_ref()
                    .map_or(true, |prf| templates::is_prf_key(&prf.public))
        })
        .ok_or_else(|| StoreError::Internal("the stored TPM key of this passkey is damaged".into()))
}

fn device_path(tcti: &str) -> Option<&str> {
    match tcti.split_once(':') {
        Some(("device", path)) if !path.is_empty() => Some(path),
        None if tcti == "device" => Some("/dev/tpm0"),
        _ => None,
    }
}

/// The device TCTI only says "I/O error"; opening the device ourselves tells missing from forbidden.
fn check_device(path: &str) -> Result<(), String> {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "This computer has no TPM 2.0 that Keyplace can use ({path} does not exist)."
        )),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(format!(
            "You are not allowed to use the TPM ({path}). Add yourself to the group \"tss\" \
             (sudo usermod -aG tss $USER), then log out and in again."
        )),
        Err(e) => Err(format!("The TPM ({path}) cannot be opened: {e}.")),
    }
}

impl KeyStore for TpmStore {
    fn id(&self) -> StoreId {
        StoreId::Hardware
    }

    fn aaguid(&self) -> &'static str {
        super::hardware::HARDWARE_AAGUID
    }

    fn backup_flags(&self) -> (bool, bool) {
        // The key can never leave the chip: not eligible for backup, never backed up.
        (false, false)
    }

    fn status(&self) -> StoreStatus {
        let probed = self.probe();
        StoreStatus::Hardware {
            available: probed.is_ok(),
            kind: Some(HardwareKind::Tpm),
            reason: probed.err(),
        }
    }

    fn authorize(
        &self,
        pin: Option<&str>,
        _require_user_verification: bool,
        purpose: Purpose,
    ) -> Result<Authorization, StoreError> {
        // No point asking for a PIN when the chip cannot be used.
        self.probe().map_err(StoreError::Unavailable)?;
        authorize_with_key_pin(pin, purpose)
    }

    fn create_key(
        &self,
        authorization: &Authorization,
        credential_id: &[u8],
    ) -> Result<NewKey, StoreError> {
        self.create_key_with_prf(authorization, credential_id, false)
    }

    fn create_key_with_prf(
        &self,
        authorization: &Authorization,
        _credential_id: &[u8],
        prf: bool,
    ) -> Result<NewKey, StoreError> {
        let blob = self.with_chip(|chip| chip.create(authorization.secret(), prf))?;
        let public_key = templates::sec1_point(&blob.key.public)
            .ok_or_else(|| StoreError::Internal("the TPM returned no usable public key".into()))?;
        let key_blob = blob.encode().map_err(StoreError::Internal)?;
        Ok(NewKey {
            public_key,
            key_blob,
        })
    }

    fn sign(
        &self,
        authorization: &Authorization,
        _credential_id: &[u8],
        key_blob: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        let blob = passkey_blob(key_blob)?;
        self.with_chip(|chip| chip.sign(key_blob, blob.key, authorization.secret(), message))
    }

    /// The chip's HMAC under the passkey's own PRF key, with the passkey's PIN (a wrong one is refused and counted
    /// as for `sign`). A passkey without a PRF key (made without `prf`, or before hardware PRF) has no PRF.
    fn prf(
        &self,
        authorization: &Authorization,
        _credential_id: &[u8],
        key_blob: &[u8],
        salts: &[&[u8]],
    ) -> Result<Option<Vec<[u8; 32]>>, StoreError> {
        let Some(prf_key) = passkey_blob(key_blob)?.prf else {
            return Ok(None);
        };
        if salts.is_empty() {
            // `create` asks only whether there is a PRF: no need for the chip.
            return Ok(Some(Vec::new()));
        }
        self.with_chip(|chip| chip.prf(prf_key, authorization.secret(), salts))
            .map(Some)
    }

    fn destroy_key(&self, key_blob: &[u8]) -> Result<(), StoreError> {
        // Without its blob (deleted with the metadata row) the key is gone for good; if it is the one kept loaded,
        // it leaves the chip now too. The chip is not opened just for this.
        if let Some(chip) = self.lock_chip().as_mut() {
            chip.forget(key_blob);
        }
        Ok(())
    }

    fn shutdown(&self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::swtpm::Swtpm;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::{Signature, VerifyingKey};

    const PIN_A: &str = "2468";
    const PIN_B: &str = "1357";

    fn new_key(store: &TpmStore, pin: &str) -> NewKey {
        let authorization = store.authorize(Some(pin), true, Purpose::Create).unwrap();
        store.create_key(&authorization, b"unused").unwrap()
    }

    fn sign(store: &TpmStore, key: &NewKey, pin: &str, message: &[u8]) -> Result<(), StoreError> {
        let authorization = store.authorize(Some(pin), true, Purpose::Sign)?;
        assert!(authorization.user_verified);
        let der = store.sign(&authorization, b"unused", &key.key_blob, message)?;
        VerifyingKey::from_sec1_bytes(&key.public_key)
            .unwrap()
            .verify(message, &Signature::from_der(&der).unwrap())
            .expect("the TPM's signature verifies with the key's public key");
        Ok(())
    }

    fn loaded(store: &TpmStore) -> Option<Vec<u8>> {
        store
            .lock_chip()
            .as_ref()
            .and_then(|chip| chip.loaded_blob().map(<[u8]>::to_vec))
    }

    #[test]
    fn the_last_key_stays_loaded_and_the_chip_checks_every_pin() {
        let Some(tpm) = Swtpm::start("the_last_key_stays_loaded_and_the_chip_checks_every_pin")
        else {
            return;
        };
        tpm.set_da_parameters(10, 1, 1);
        let store = TpmStore::new(tpm.tcti());
        let a = new_key(&store, PIN_A);
        let b = new_key(&store, PIN_B);
        assert_eq!(loaded(&store), None, "creating loads nothing");

        sign(&store, &a, PIN_A, b"one").unwrap();
        sign(&store, &a, PIN_A, b"two").unwrap();
        assert_eq!(loaded(&store).as_deref(), Some(&a.key_blob[..]));
        // Loaded already, yet a wrong PIN is refused by the chip, and counted.
        match sign(&store, &a, "0000", b"three") {
            Err(StoreError::WrongDevicePin(wrong)) => assert_eq!(wrong.tries_left, Some(9)),
            other => panic!("a wrong PIN must be refused: {:?}", other.err()),
        }
        assert_eq!(loaded(&store).as_deref(), Some(&a.key_blob[..]));
        sign(&store, &a, PIN_A, b"four").unwrap();

        // Alternating keys: each sign loads its own key in place of the other, with its own PIN.
        for round in 0..3u8 {
            sign(&store, &b, PIN_B, &[round, 1]).unwrap();
            assert_eq!(loaded(&store).as_deref(), Some(&b.key_blob[..]));
            sign(&store, &a, PIN_A, &[round, 2]).unwrap();
            assert_eq!(loaded(&store).as_deref(), Some(&a.key_blob[..]));
        }
        assert!(matches!(
            sign(&store, &b, PIN_A, b"other key's PIN"),
            Err(StoreError::WrongDevicePin(_))
        ));
        assert!(matches!(
            sign(&store, &a, PIN_B, b"other key's PIN"),
            Err(StoreError::WrongDevicePin(_))
        ));
        sign(&store, &a, PIN_A, b"five").unwrap();

        // Deleting the loaded key's passkey takes it out of the chip; deleting another leaves it.
        store.destroy_key(&b.key_blob).unwrap();
        assert_eq!(loaded(&store).as_deref(), Some(&a.key_blob[..]));
        store.destroy_key(&a.key_blob).unwrap();
        assert_eq!(loaded(&store), None);
        store.close();
        tpm.stop();
    }

    #[test]
    fn a_full_chip_gets_the_kept_key_back() {
        let Some(tpm) = Swtpm::start("a_full_chip_gets_the_kept_key_back") else {
            return;
        };
        let store = TpmStore::new(tpm.tcti());
        let a = new_key(&store, PIN_A);
        let b = new_key(&store, PIN_B);
        sign(&store, &a, PIN_A, b"m").unwrap();
        // Fill the chip's object memory (SRK, the kept key, then others) until it is full.
        let mut others = Vec::new();
        {
            let mut slot = store.lock_chip();
            let chip = slot.as_mut().unwrap();
            loop {
                match chip.occupy(blob::KeyBlob::decode(&b.key_blob).unwrap()) {
                    Ok(handle) => others.push(handle),
                    Err(Failure::Other(message)) if message.contains("object") => break,
                    Err(other) => panic!("{}", other.message()),
                }
                assert!(others.len() < 64, "the chip never filled up");
            }
        }
        // Creating needs a free object slot: the kept key is flushed and the creation tried again.
        let c = new_key(&store, PIN_A);
        assert_eq!(loaded(&store), None);
        {
            let mut slot = store.lock_chip();
            let chip = slot.as_mut().unwrap();
            for handle in others {
                chip.release(handle);
            }
        }
        sign(&store, &c, PIN_A, b"m").unwrap();
        store.close();
        tpm.stop();
    }

    #[test]
    fn device_paths_and_missing_devices() {
        assert_eq!(device_path("device:/dev/tpmrm0"), Some("/dev/tpmrm0"));
        assert_eq!(device_path("device"), Some("/dev/tpm0"));
        assert_eq!(device_path("swtpm:host=127.0.0.1,port=2321"), None);
        let missing = check_device("/nonexistent/tpmrm0").unwrap_err();
        assert!(missing.contains("no TPM 2.0"), "{missing}");
        let store = TpmStore::new("device:/nonexistent/tpmrm0".into());
        assert!(!store.status().available());
        assert!(matches!(
            store.authorize(None, false, Purpose::Sign),
            Err(StoreError::Unavailable(_))
        ));
        let unreachable = TpmStore::new("swtpm:host=127.0.0.1,port=1".into());
        let reason = unreachable.probe().unwrap_err();
        assert!(reason.contains("cannot reach"), "{reason}");
    }
}
