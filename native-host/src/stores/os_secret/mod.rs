//! The operating system's secret store, where the vault keeps a random device secret when there is no TPM: the
//! Secret Service on Linux (GNOME Keyring, KWallet), the login Keychain on macOS, DPAPI on Windows. The vault's
//! data key is then wrapped under the PIN and this secret together (vault_wrap.rs), so a copied data folder cannot
//! be opened, nor its PIN guessed, where this user's secret store is not.
//!
//! The vault record keeps a `handle`: on Linux and macOS the random id the secret is filed under (the secret stays
//! in the store), on Windows the DPAPI-protected secret itself (only this Windows account can unprotect it).

use zeroize::Zeroizing;

use super::StoreError;

#[cfg(windows)]
mod dpapi;
#[cfg(target_os = "macos")]
mod keychain;
#[cfg(target_os = "linux")]
pub(crate) mod secret_service;

pub const DEVICE_SECRET_LEN: usize = 32;
/// The id a secret is filed under (Linux, macOS), random per vault record.
#[cfg(any(target_os = "linux", target_os = "macos"))]
const ID_LEN: usize = 16;

pub type DeviceSecret = Zeroizing<[u8; DEVICE_SECRET_LEN]>;

/// Why a device secret could not be had.
#[derive(Debug)]
pub enum OsSecretError {
    /// The store answered, and holds no such secret: the data folder was made on another computer or account (or
    /// the secret was deleted from this one's store).
    Missing,
    /// The store cannot be asked now (no D-Bus session, a locked keyring, ...): why, in words.
    Unreachable(String),
}

enum Backend {
    #[cfg(target_os = "linux")]
    SecretService(secret_service::SecretServiceStore),
    #[cfg(target_os = "macos")]
    Keychain,
    #[cfg(windows)]
    Dpapi,
}

/// This user's secret store, if the platform has one Keyplace uses. Connects only when asked.
pub struct OsSecretStore {
    backend: Option<Backend>,
}

impl OsSecretStore {
    /// This user's: on Linux the Secret Service on the session bus (`DBUS_SESSION_BUS_ADDRESS`).
    pub fn from_env() -> Self {
        #[cfg(target_os = "linux")]
        let backend = Some(Backend::SecretService(
            secret_service::SecretServiceStore::session(),
        ));
        #[cfg(target_os = "macos")]
        let backend = Some(Backend::Keychain);
        #[cfg(windows)]
        let backend = Some(Backend::Dpapi);
        #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
        let backend = None;
        OsSecretStore { backend }
    }

    /// No secret store: the vault is wrapped under the PIN only.
    pub fn none() -> Self {
        OsSecretStore { backend: None }
    }

    /// The Secret Service on the D-Bus at `address` (tests run one of their own).
    #[cfg(target_os = "linux")]
    pub fn secret_service_at(address: &str) -> Self {
        OsSecretStore {
            backend: Some(Backend::SecretService(
                secret_service::SecretServiceStore::at(address),
            )),
        }
    }

    /// The store in words, as `doctor` and the errors name it.
    pub fn name(&self) -> &'static str {
        match &self.backend {
            Some(_) => super::protection::OS_SECRET_STORE,
            None => "no secret store",
        }
    }

    /// Whether a new secret can be kept now, or why not.
    pub fn available(&self) -> Result<(), String> {
        match &self.backend {
            #[cfg(target_os = "linux")]
            Some(Backend::SecretService(store)) => store.probe(),
            #[cfg(target_os = "macos")]
            Some(Backend::Keychain) => Ok(()),
            #[cfg(windows)]
            Some(Backend::Dpapi) => Ok(()),
            None => Err("Keyplace uses no secret store on this system".to_owned()),
        }
    }

    /// A new random device secret, kept in the store; returns the handle for the vault record, and the secret.
    pub fn create(&self) -> Result<(Vec<u8>, DeviceSecret), StoreError> {
        let mut secret: DeviceSecret = Zeroizing::new([0; DEVICE_SECRET_LEN]);
        getrandom::getrandom(secret.as_mut()).map_err(|e| {
            StoreError::Internal(format!("no randomness for the device secret: {e}"))
        })?;
        let unavailable = |reason: String| {
            StoreError::Unavailable(format!(
                "{} cannot keep a secret now: {reason}",
                self.name()
            ))
        };
        let handle = match &self.backend {
            #[cfg(windows)]
            Some(Backend::Dpapi) => dpapi::protect(secret.as_ref()).map_err(unavailable)?,
            #[cfg(any(target_os = "linux", target_os = "macos"))]
            Some(backend) => {
                let mut id = vec![0; ID_LEN];
                getrandom::getrandom(&mut id)
                    .map_err(|e| StoreError::Internal(format!("no randomness: {e}")))?;
                let account = account_of(&id);
                match backend {
                    #[cfg(target_os = "linux")]
                    Backend::SecretService(store) => store.store(&account, secret.as_ref()),
                    #[cfg(target_os = "macos")]
                    Backend::Keychain => keychain::store(&account, secret.as_ref()),
                }
                .map_err(unavailable)?;
                id
            }
            None => return Err(unavailable("there is none".to_owned())),
        };
        Ok((handle, secret))
    }

    /// The device secret of `handle`.
    pub fn open(&self, handle: &[u8]) -> Result<DeviceSecret, OsSecretError> {
        let found: Option<Zeroizing<Vec<u8>>> = match &self.backend {
            #[cfg(target_os = "linux")]
            Some(Backend::SecretService(store)) => store
                .fetch(&account_of(handle))
                .map_err(OsSecretError::Unreachable)?,
            #[cfg(target_os = "macos")]
            Some(Backend::Keychain) => {
                keychain::fetch(&account_of(handle)).map_err(OsSecretError::Unreachable)?
            }
            #[cfg(windows)]
            Some(Backend::Dpapi) => dpapi::unprotect(handle),
            None => {
                return Err(OsSecretError::Unreachable(
                    "Keyplace uses no secret store on this system".to_owned(),
                ))
            }
        };
        let found = found.ok_or(OsSecretError::Missing)?;
        if found.len() != DEVICE_SECRET_LEN {
            return Err(OsSecretError::Missing);
        }
        let mut secret: DeviceSecret = Zeroizing::new([0; DEVICE_SECRET_LEN]);
        secret.copy_from_slice(&found);
        Ok(secret)
    }

    /// Deletes the secret of `handle` (a vault record that no longer uses it). Best effort: a secret left behind
    /// opens nothing without the record and the PIN.
    pub fn forget(&self, handle: &[u8]) {
        let result: Result<(), String> = match &self.backend {
            #[cfg(target_os = "linux")]
            Some(Backend::SecretService(store)) => store.delete(&account_of(handle)),
            #[cfg(target_os = "macos")]
            Some(Backend::Keychain) => keychain::delete(&account_of(handle)),
            // The DPAPI blob lived only in the record.
            #[cfg(windows)]
            Some(Backend::Dpapi) => Ok(()),
            None => Ok(()),
        };
        let _ = handle;
        if let Err(e) = result {
            crate::log::warning!(
                "cannot delete an unused vault secret from {}: {e}",
                self.name()
            );
        }
    }
}

/// The account (Keychain) or attribute value (Secret Service) a secret is filed under: its id in hex.
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(crate) fn account_of(id: &[u8]) -> String {
    id.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The label a person sees beside the secret in their keyring app.
#[cfg(any(target_os = "linux", target_os = "macos"))]
const LABEL: &str = "Keyplace vault device key";
