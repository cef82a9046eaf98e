//! The vault's sealing of a secret under its data key: XChaCha20-Poly1305 with a fresh random 24-byte nonce, stored
//! before the ciphertext, and the credential id as associated data (so a sealed secret cannot be moved to another
//! passkey). Used for software passkeys' scalars (vault.rs) and chip-held passkeys' seeds (vault_chip.rs).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use super::StoreError;

pub const NONCE_LEN: usize = 24;
/// What sealing adds to a secret: the nonce and Poly1305's tag.
pub const OVERHEAD: usize = NONCE_LEN + 16;

/// `nonce || ciphertext` of `secret` under `key`, bound to `aad`.
pub fn seal(key: &[u8], aad: &[u8], secret: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let ciphertext = XChaCha20Poly1305::new(key.into())
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: secret, aad })
        .map_err(|_| StoreError::Internal("cannot encrypt a new key".into()))?;
    Ok([&nonce[..], &ciphertext].concat())
}

/// The secret in `sealed` (as `seal` made it), if `key` and `aad` are the ones it was sealed with.
pub fn open(key: &[u8], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < OVERHEAD {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(key.into())
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
        .map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_with_its_key_and_aad_and_never_repeats_a_nonce() {
        let sealed = seal(&[1; 32], b"cred", b"secret").unwrap();
        assert_eq!(sealed.len(), b"secret".len() + OVERHEAD);
        assert_eq!(
            open(&[1; 32], b"cred", &sealed).unwrap().as_slice(),
            b"secret"
        );
        assert!(open(&[2; 32], b"cred", &sealed).is_none());
        assert!(open(&[1; 32], b"other", &sealed).is_none());
        assert!(open(&[1; 32], b"cred", &sealed[..OVERHEAD - 1]).is_none());
        assert_ne!(sealed, seal(&[1; 32], b"cred", b"secret").unwrap());
    }
}
