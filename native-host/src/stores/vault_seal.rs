//! Where the vault's data key is sealed to this device: by the TPM (Linux, the hardware store's chip) with an
//! authorization derived from the vault PIN, so the chip checks the PIN and counts wrong ones toward its lockout.
//! Elsewhere, or when no TPM is reachable, with a device secret of the OS secret store (os_secret/) mixed with the
//! PIN (vault_wrap.rs); where neither is reachable, the vault wraps its key under the PIN alone.

use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::os_secret::OsSecretStore;
use super::StoreError;

const AUTH_CONTEXT: &[u8] = b"keyplace vault TPM authorization v1";

/// The sealed object's authValue: SHA-256 over a fixed context, the record's salt and the PIN. Not a slow hash on
/// purpose: the chip, not the hash, limits guessing, and the sealed object loads on this chip only.
pub fn seal_auth(pin: &str, salt: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut hash = Sha256::new();
    hash.update(AUTH_CONTEXT);
    hash.update((salt.len() as u32).to_be_bytes());
    hash.update(salt);
    hash.update(pin.as_bytes());
    Zeroizing::new(hash.finalize().to_vec())
}

/// The device seals the vault can use: a TPM, the OS secret store, both or neither.
pub struct DeviceSeal {
    #[cfg(target_os = "linux")]
    tpm: Option<super::tpm::TpmStore>,
    os: OsSecretStore,
}

impl DeviceSeal {
    /// This computer's: the TPM at `KEYPLACE_TPM_TCTI` (else /dev/tpmrm0) on Linux, none elsewhere yet; this
    /// user's secret store.
    pub fn from_env() -> Self {
        #[cfg(target_os = "linux")]
        let seal = DeviceSeal::tpm(super::tpm::tcti_from_env());
        #[cfg(not(target_os = "linux"))]
        let seal = DeviceSeal::none();
        seal.with_os_secrets(OsSecretStore::from_env())
    }

    /// No device seal: the vault key is wrapped under the PIN only.
    pub fn none() -> Self {
        DeviceSeal {
            #[cfg(target_os = "linux")]
            tpm: None,
            os: OsSecretStore::none(),
        }
    }

    /// The TPM of `tcti`, and no OS secret store.
    #[cfg(target_os = "linux")]
    pub fn tpm(tcti: String) -> Self {
        DeviceSeal {
            tpm: Some(super::tpm::TpmStore::new(tcti)),
            os: OsSecretStore::none(),
        }
    }

    /// The same seal with `os` as the secret store used where the TPM is not.
    pub fn with_os_secrets(mut self, os: OsSecretStore) -> Self {
        self.os = os;
        self
    }

    /// The TPM, where the vault may hold chip-held passkeys (vault_chip.rs).
    #[cfg(target_os = "linux")]
    pub fn tpm_store(&self) -> Option<&super::tpm::TpmStore> {
        self.tpm.as_ref()
    }

    pub fn os_secrets(&self) -> &OsSecretStore {
        &self.os
    }

    /// Whether the TPM seal can be used now, or why not. Fast when there is no TPM (no device file, refused
    /// socket).
    pub fn available(&self) -> Result<(), String> {
        #[cfg(target_os = "linux")]
        if let Some(tpm) = &self.tpm {
            return tpm.probe();
        }
        Err("this computer has no TPM Keyplace can use".to_owned())
    }

    /// Seals `secret` with `auth`; the blob opens only on this device.
    pub fn seal(&self, auth: &[u8], secret: &[u8]) -> Result<Vec<u8>, StoreError> {
        #[cfg(target_os = "linux")]
        if let Some(tpm) = &self.tpm {
            return tpm.seal_secret(auth, secret);
        }
        let _ = (auth, secret);
        Err(StoreError::Unavailable(
            "This computer has no TPM Keyplace can use.".into(),
        ))
    }

    /// The secret in `sealed`, if this device made it and accepts `auth`.
    pub fn unseal(&self, sealed: &[u8], auth: &[u8]) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        #[cfg(target_os = "linux")]
        if let Some(tpm) = &self.tpm {
            return tpm.unseal_secret(sealed, auth).map_err(|e| match e {
                StoreError::Unavailable(reason) => StoreError::Unavailable(format!(
                    "The vault is sealed by a TPM that Keyplace cannot use now. {reason}"
                )),
                other => other,
            });
        }
        let _ = (sealed, auth);
        Err(StoreError::Unavailable(
            "The vault is sealed by a TPM, and this computer has none Keyplace can use.".into(),
        ))
    }
}
