//! Key stores: where private keys live. Each store creates P-256 keys, hands back an opaque blob for the metadata
//! database, and signs with it later. The service never sees private key material.

pub mod copy_policy;
pub mod hardware;
pub mod os_secret;
pub mod protection;
#[cfg(target_os = "macos")]
pub mod secure_enclave;
#[cfg(target_os = "linux")]
pub mod tpm;
pub mod vault;
mod vault_aead;
mod vault_cache;
pub mod vault_chip;
mod vault_prf;
pub mod vault_seal;
pub mod vault_transfer;
mod vault_wrap;
#[cfg(windows)]
pub mod windows_tpm;

use zeroize::Zeroizing;

use crate::metadata::MetadataError;
use crate::protocol::{StoreId, StoreStatus};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinReason {
    /// The vault has no PIN yet; the next PIN sent sets it.
    SetPin,
    /// The vault is locked; the PIN unlocks it.
    Unlock,
    /// The relying party asked for user verification, so this request must carry the PIN.
    UserVerification,
    // The Secure Enclave asks for Touch ID instead of a PIN: no use for these on macOS.
    #[cfg_attr(target_os = "macos", allow(dead_code))]
    /// A new hardware passkey needs its own PIN (the key's authValue in the chip).
    SetKeyPin,
    /// A hardware passkey can only be used with its PIN.
    #[cfg_attr(target_os = "macos", allow(dead_code))]
    KeyPin,
}

impl PinReason {
    pub fn as_str(self) -> &'static str {
        match self {
            PinReason::SetPin => "set_pin",
            PinReason::Unlock => "unlock",
            PinReason::UserVerification => "user_verification",
            PinReason::SetKeyPin => "set_key_pin",
            PinReason::KeyPin => "key_pin",
        }
    }
}

/// What a key operation is authorized for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Create,
    Sign,
}

/// What the chip says after refusing a PIN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WrongPin {
    /// Wrong PINs the chip still accepts before it locks.
    pub tries_left: Option<u32>,
    /// When locked: about how long until the chip accepts a PIN again (none if it never does by itself).
    pub retry_after_seconds: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a PIN is needed ({})", .0.as_str())]
    PinRequired(PinReason),
    #[error("the PIN is wrong")]
    WrongPin,
    /// A hardware key's PIN was refused by the chip, which counted it.
    #[cfg_attr(target_os = "macos", allow(dead_code))]
    #[error("the PIN is wrong")]
    WrongDevicePin(WrongPin),
    /// The chip is in dictionary-attack lockout: no PIN is checked until it recovers.
    #[cfg_attr(target_os = "macos", allow(dead_code))]
    #[error("the TPM is locked after too many wrong PINs")]
    Locked(WrongPin),
    /// Too many wrong vault PINs: the host itself refuses to try another for this many seconds (no TPM).
    #[error("wrong PINs: the host waits {0} s before it tries another")]
    PinWait(u64),
    #[error("{0}")]
    BadPin(String),
    #[error("{0}")]
    Unavailable(String),
    /// The vault was sealed with a secret this computer's (or account's) secret store does not hold: a data folder
    /// copied from elsewhere. No PIN can open it here.
    #[error("{0}")]
    SealedElsewhere(String),
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error("key store failure: {0}")]
    Internal(String),
}

/// Proof that a request may use a store's keys, and what a key operation needs for it (the vault's data key; the
/// TPM store keeps the PIN here as the key's authValue). Wiped on drop.
pub struct Authorization {
    /// True only when a PIN was checked during this request.
    pub user_verified: bool,
    secret: Zeroizing<Vec<u8>>,
}

impl Authorization {
    fn new(user_verified: bool, secret: &[u8]) -> Self {
        Authorization {
            user_verified,
            secret: Zeroizing::new(secret.to_vec()),
        }
    }

    fn secret(&self) -> &[u8] {
        &self.secret
    }
}

pub struct NewKey {
    /// SEC1 uncompressed P-256 point, 65 bytes.
    pub public_key: Vec<u8>,
    /// Opaque to everything but the store that made it (vault: the encrypted scalar).
    pub key_blob: Vec<u8>,
}

pub trait KeyStore: Send + Sync {
    /// The store's name on the wire and in the database.
    fn id(&self) -> StoreId;
    /// Identifies this kind of Keyplace authenticator to relying parties.
    fn aaguid(&self) -> &'static str;
    /// Backup eligibility and state given to every key made here; they never change afterwards.
    fn backup_flags(&self) -> (bool, bool);
    /// The store's entry in `hello`'s `stores`.
    fn status(&self) -> StoreStatus;
    /// Checks the PIN (or the store's unlocked state) for one request.
    fn authorize(
        &self,
        pin: Option<&str>,
        require_user_verification: bool,
        purpose: Purpose,
    ) -> Result<Authorization, StoreError>;
    fn create_key(
        &self,
        authorization: &Authorization,
        credential_id: &[u8],
    ) -> Result<NewKey, StoreError>;
    /// `create_key` for a create request that asked for `prf`. A store whose PRF needs an object made with the key
    /// (the TPM's HMAC key) makes it when `prf` is set; by default the key alone (the vault derives its PRF from the
    /// key itself; stores without a PRF answer None in `prf`).
    fn create_key_with_prf(
        &self,
        authorization: &Authorization,
        credential_id: &[u8],
        _prf: bool,
    ) -> Result<NewKey, StoreError> {
        self.create_key(authorization, credential_id)
    }
    /// ECDSA P-256 / SHA-256 over `message`, DER encoded.
    fn sign(
        &self,
        authorization: &Authorization,
        credential_id: &[u8],
        key_blob: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>, StoreError>;
    /// WebAuthn `prf` (CTAP2 hmac-secret): HMAC-SHA-256 of each salt under the credential's own PRF secret, or None
    /// when this store gives its keys no PRF. Called only after the request's RP ID check, like `sign`.
    fn prf(
        &self,
        _authorization: &Authorization,
        _credential_id: &[u8],
        _key_blob: &[u8],
        _salts: &[&[u8]],
    ) -> Result<Option<Vec<[u8; 32]>>, StoreError> {
        Ok(None)
    }
    /// Destroys the key itself (the caller removes the metadata row).
    fn destroy_key(&self, key_blob: &[u8]) -> Result<(), StoreError>;
    /// Forgets any unlocked state now.
    fn lock(&self) {}
    /// Releases what the store holds in hardware; the host is exiting.
    fn shutdown(&self) {}
}
