//! An exported passkey's private key (CXF `key`: PKCS#8 DER): a P-256 scalar the vault can keep, or the reason it
//! cannot. Only ES256 (P-256) keys go to the vault; an Ed25519 or RSA passkey stays where it is, named and skipped.

use p256::pkcs8::DecodePrivateKey;
use p256::SecretKey;
use pkcs8::{ObjectIdentifier, PrivateKeyInfo};
use zeroize::Zeroizing;

/// A P-256 private scalar, wiped on drop.
pub type Scalar = Zeroizing<[u8; 32]>;

const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");
const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");

/// Why a passkey's key cannot go to the vault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error("its key is Ed25519 (EdDSA); the Keyplace vault keeps P-256 (ES256) keys only")]
    Ed25519,
    #[error("its key is Ed448; the Keyplace vault keeps P-256 (ES256) keys only")]
    Ed448,
    #[error("its key is RSA; the Keyplace vault keeps P-256 (ES256) keys only")]
    Rsa,
    #[error(
        "its key is on the elliptic curve {0}; the Keyplace vault keeps P-256 (ES256) keys only"
    )]
    OtherCurve(&'static str),
    #[error(
        "its key is of an unknown kind ({0}); the Keyplace vault keeps P-256 (ES256) keys only"
    )]
    Unknown(String),
    #[error("its key is damaged: {0}")]
    Damaged(String),
}

/// The P-256 scalar in `pkcs8_der`, checked against the public key the file carries with it (if any).
pub fn p256_scalar(pkcs8_der: &[u8]) -> Result<Scalar, KeyProblem> {
    let info = PrivateKeyInfo::try_from(pkcs8_der)
        .map_err(|e| KeyProblem::Damaged(format!("not a PKCS#8 private key ({e})")))?;
    let algorithm = info.algorithm.oid;
    if algorithm == ED25519 {
        return Err(KeyProblem::Ed25519);
    }
    if algorithm == ED448 {
        return Err(KeyProblem::Ed448);
    }
    if algorithm == RSA || algorithm == RSA_PSS {
        return Err(KeyProblem::Rsa);
    }
    if algorithm != EC_PUBLIC_KEY {
        return Err(KeyProblem::Unknown(algorithm.to_string()));
    }
    let curve = info
        .algorithm
        .parameters_oid()
        .map_err(|_| KeyProblem::Damaged("an elliptic-curve key without its curve".into()))?;
    if curve != P256 {
        return Err(KeyProblem::OtherCurve(match curve {
            P384 => "P-384",
            P521 => "P-521",
            _ => "that is not P-256",
        }));
    }
    // p256 also refuses a key whose embedded public key is not its own.
    let secret = SecretKey::from_pkcs8_der(pkcs8_der)
        .map_err(|e| KeyProblem::Damaged(format!("not a valid P-256 key ({e})")))?;
    Ok(Zeroizing::new(secret.to_bytes().into()))
}

#[cfg(test)]
mod tests {
    use p256::pkcs8::EncodePrivateKey;

    use super::*;

    #[test]
    fn a_p256_key_gives_its_scalar() {
        let key = SecretKey::random(&mut rand_core::OsRng);
        let der = key.to_pkcs8_der().unwrap();
        assert_eq!(
            p256_scalar(der.as_bytes()).unwrap().as_slice(),
            key.to_bytes().as_slice()
        );
    }

    #[test]
    fn other_algorithms_are_named() {
        // Ed25519 as RFC 8410 § 10.3 shows it.
        let ed25519 = b64("MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp-K06_nwoy_HU--CZqepuRxB6");
        assert_eq!(p256_scalar(&ed25519), Err(KeyProblem::Ed25519));
        assert!(KeyProblem::Ed25519.to_string().contains("P-256 (ES256)"));
        // An elliptic-curve key on another curve: P-256's curve OID with its last arc changed.
        let mut other_curve = SecretKey::random(&mut rand_core::OsRng)
            .to_pkcs8_der()
            .unwrap()
            .as_bytes()
            .to_vec();
        let p256_oid = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        let at = other_curve
            .windows(8)
            .position(|w| w == p256_oid)
            .expect("the curve OID");
        other_curve[at + 7] = 0x08;
        assert_eq!(
            p256_scalar(&other_curve),
            Err(KeyProblem::OtherCurve("that is not P-256"))
        );
        assert!(matches!(
            p256_scalar(b"not der"),
            Err(KeyProblem::Damaged(_))
        ));
    }

    #[test]
    fn an_rsa_key_is_named() {
        // PrivateKeyInfo { version 0, rsaEncryption NULL, OCTET STRING (a placeholder) }: the algorithm decides.
        let rsa = [
            0x30, 0x16, 0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
            0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x04, 0x02, 0x30, 0x00,
        ];
        assert_eq!(p256_scalar(&rsa), Err(KeyProblem::Rsa));
    }

    #[test]
    fn a_key_whose_public_key_is_another_is_damaged() {
        let mut der = SecretKey::random(&mut rand_core::OsRng)
            .to_pkcs8_der()
            .unwrap()
            .as_bytes()
            .to_vec();
        // The embedded public key is the last 64 bytes (x, y); change y.
        let last = der.len() - 1;
        der[last] ^= 1;
        assert!(matches!(p256_scalar(&der), Err(KeyProblem::Damaged(_))));
    }

    fn b64(text: &str) -> Vec<u8> {
        keyplace_core::bytes::b64u_decode(text).unwrap()
    }
}
