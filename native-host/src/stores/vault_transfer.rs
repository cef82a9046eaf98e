//! What copies between devices need from the vault (src/devices/): a passkey's private scalar taken out for
//! encryption to another device, and a received scalar sealed under this vault's data key. Only the devices module
//! calls these, always with an authorization for which the vault PIN was checked in this request.

use p256::ecdsa::SigningKey;
use zeroize::Zeroizing;

use super::vault::{seal_key, signing_key_from_blob};
use super::{Authorization, NewKey, StoreError};

/// A P-256 private scalar, wiped on drop.
pub type Scalar = Zeroizing<[u8; 32]>;

/// The private scalar in `key_blob`, sealed by this vault for `aad` (a passkey's credential id).
pub fn open_scalar(
    authorization: &Authorization,
    aad: &[u8],
    key_blob: &[u8],
) -> Result<Scalar, StoreError> {
    if !authorization.user_verified {
        return Err(StoreError::PinRequired(super::PinReason::UserVerification));
    }
    let signing_key = signing_key_from_blob(authorization.secret(), aad, key_blob)?;
    Ok(Zeroizing::new(signing_key.to_bytes().into()))
}

/// `scalar` sealed under this vault's data key for `aad`, with its public key.
pub fn seal_scalar(
    authorization: &Authorization,
    aad: &[u8],
    scalar: &[u8],
) -> Result<NewKey, StoreError> {
    let signing_key = SigningKey::from_slice(scalar)
        .map_err(|_| StoreError::Internal("a received private key is not a P-256 key".into()))?;
    seal_key(authorization, aad, &signing_key)
}
