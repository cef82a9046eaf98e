//! WebAuthn `prf` for vault passkeys (CTAP2 hmac-secret semantics): each credential has a 32-byte PRF secret,
//! HMAC-SHA-256(private scalar, label), so it is exactly as protected as the key itself (sealed with it, never
//! stored apart, gone with it) and a copy of the passkey carries the same PRF. A salt's output is
//! HMAC-SHA-256(secret, salt).

use hmac::{Hmac, Mac};
use p256::ecdsa::SigningKey;
use sha2::Sha256;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// Domain separation: the secret is used for nothing but the PRF.
const SECRET_LABEL: &[u8] = b"Keyplace PRF secret v1";

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length: new_from_slice cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The outputs for `salts`, in order.
pub(super) fn prf_outputs(signing_key: &SigningKey, salts: &[&[u8]]) -> Vec<[u8; 32]> {
    let scalar = Zeroizing::new(signing_key.to_bytes());
    let secret = Zeroizing::new(hmac(&scalar, SECRET_LABEL));
    salts.iter().map(|salt| hmac(&secret[..], salt)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    /// HMAC-SHA-256 written out from RFC 2104 with SHA-256 alone: an independent check of the `hmac` crate's use.
    fn rfc2104(key: &[u8], message: &[u8]) -> [u8; 32] {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<_>>();
        let inner = Sha256::new()
            .chain_update(pad(0x36))
            .chain_update(message)
            .finalize();
        Sha256::new()
            .chain_update(pad(0x5c))
            .chain_update(inner)
            .finalize()
            .into()
    }

    #[test]
    fn outputs_are_hmac_secret_of_the_credentials_own_secret() {
        let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let salt_a = [1u8; 32];
        let salt_b = [2u8; 32];
        let outputs = prf_outputs(&key, &[&salt_a, &salt_b]);
        let secret = rfc2104(&[7u8; 32], SECRET_LABEL);
        assert_eq!(
            outputs,
            vec![rfc2104(&secret, &salt_a), rfc2104(&secret, &salt_b)]
        );
    }

    #[test]
    fn same_salt_same_output_and_every_credential_its_own() {
        let one = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let other = SigningKey::from_slice(&[8u8; 32]).unwrap();
        let salt = [9u8; 32];
        assert_eq!(prf_outputs(&one, &[&salt]), prf_outputs(&one, &[&salt]));
        assert_ne!(prf_outputs(&one, &[&salt]), prf_outputs(&other, &[&salt]));
        assert_ne!(
            prf_outputs(&one, &[&salt]),
            prf_outputs(&one, &[&[0u8; 32]])
        );
    }
}
