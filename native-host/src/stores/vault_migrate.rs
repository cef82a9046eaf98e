//! How the vault's data key is sealed when a PIN is set and sealed again more strongly at an unlock: by the TPM
//! where one is reachable, else with a new device secret of the OS secret store, else under the PIN alone. The
//! same data key every time, so every passkey stays usable; a failure keeps the record as it was.

use super::*;

impl Vault {
    pub(super) fn kdf_cost(&self) -> KdfCost {
        KdfCost {
            m_kib: self.kdf_m_kib,
            t: self.kdf_t,
            p: KDF_P,
        }
    }

    /// The data key wrapped under a key derived from the PIN alone.
    pub(super) fn pin_wrapped_record(
        &self,
        pin: &str,
        data_key: &DataKey,
    ) -> Result<VaultRecord, StoreError> {
        vault_wrap::wrap(pin, data_key, self.kdf_cost(), None)
    }

    /// The data key wrapped under the PIN and a new device secret kept in the OS secret store; None (logged) when
    /// that store cannot keep one now.
    pub(super) fn os_sealed_record(&self, pin: &str, data_key: &DataKey) -> Option<VaultRecord> {
        let os = self.seal.os_secrets();
        os.available().ok()?;
        let wrapped = os.create().and_then(|(handle, secret)| {
            let device = Device {
                handle: &handle,
                secret: &secret,
            };
            vault_wrap::wrap(pin, data_key, self.kdf_cost(), Some(device))
                .inspect_err(|_| os.forget(&handle))
        });
        match wrapped {
            Ok(record) => Some(record),
            Err(e) => {
                crate::log::warning!("the vault key is wrapped by the PIN only: {e}");
                None
            }
        }
    }

    /// Deletes the device secret of a record that was not stored or is replaced (none for other records).
    pub(super) fn forget_os_secret(&self, record: &VaultRecord) {
        if let Some(handle) = &record.os_secret {
            self.seal.os_secrets().forget(handle);
        }
    }

    /// The data key sealed by the TPM, with the salted PIN hash as the sealed object's authorization.
    pub(super) fn sealed_record(
        &self,
        pin: &str,
        data_key: &DataKey,
    ) -> Result<VaultRecord, StoreError> {
        let mut salt = vec![0; SALT_LEN];
        OsRng.fill_bytes(&mut salt);
        let sealed = self.seal.seal(&seal_auth(pin, &salt), data_key.as_ref())?;
        Ok(VaultRecord {
            kdf: TPM_SEALED.into(),
            kdf_m_kib: 0,
            kdf_t: 0,
            kdf_p: 0,
            salt,
            nonce: Vec::new(),
            wrapped_key: Vec::new(),
            tpm_sealed: Some(sealed),
            os_secret: None,
            created_at: now_ms(),
        })
    }

    /// Migration: a software-wrapped data key, just unwrapped with the right PIN, is sealed by the TPM when one is
    /// reachable. The same data key, so every passkey stays usable. A failure keeps the record as it was. Returns
    /// whether this call replaced it.
    pub(super) fn seal_by_tpm(&self, record: &VaultRecord, pin: &str, data_key: &DataKey) -> bool {
        if self.seal.available().is_err() {
            return false;
        }
        let replaced = self
            .sealed_record(pin, data_key)
            .and_then(|sealed| Ok(self.metadata.replace_vault_record(record, &sealed)?));
        match replaced {
            Ok(true) => {
                crate::log::debug!("the vault key is now sealed by the TPM");
                true
            }
            Ok(false) => false, // another host sealed it first
            Err(e) => {
                crate::log::warning!("the vault key stays as it was, not sealed by the TPM: {e}");
                false
            }
        }
    }

    /// Migration without a TPM: a PIN-only data key, just unwrapped with the right PIN, is wrapped again under the
    /// PIN and a new device secret of the OS secret store, when one is reachable; the PIN-only record is wiped.
    pub(super) fn seal_with_os_secret(&self, record: &VaultRecord, pin: &str, data_key: &DataKey) {
        let Some(sealed) = self.os_sealed_record(pin, data_key) else {
            return;
        };
        match self.metadata.replace_vault_record(record, &sealed) {
            Ok(true) => crate::log::debug!("the vault key is now sealed with the OS secret store"),
            Ok(false) => self.forget_os_secret(&sealed), // another host sealed it first
            Err(e) => {
                self.forget_os_secret(&sealed);
                crate::log::warning!("the vault key stays wrapped by the PIN only: {e}");
            }
        }
    }
}
