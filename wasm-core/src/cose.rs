//! The only key type the core handles: ES256 (ECDSA P-256 with SHA-256), from the SEC1 uncompressed point the host
//! returns. The core never generates or checks keys; it only re-encodes the public point.

use ciborium::Value;

use crate::error::{CoreError, CoreResult};

pub const ES256: i64 = -7;
pub const RS256: i64 = -257;

const SEC1_UNCOMPRESSED_TAG: u8 = 0x04;
const COORDINATE_LEN: usize = 32;
pub const SEC1_POINT_LEN: usize = 1 + 2 * COORDINATE_LEN;

// COSE (RFC 9052/9053) labels and values.
const COSE_KTY: i64 = 1;
const COSE_ALG: i64 = 3;
const COSE_EC2_CRV: i64 = -1;
const COSE_EC2_X: i64 = -2;
const COSE_EC2_Y: i64 = -3;
const COSE_KTY_EC2: i64 = 2;
const COSE_CRV_P256: i64 = 1;

/// SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (0 unused bits) } up to the point itself:
/// for a 65-byte uncompressed P-256 point every length is fixed, so the header is a constant.
pub const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct P256PublicPoint([u8; SEC1_POINT_LEN]);

impl P256PublicPoint {
    pub fn from_sec1_uncompressed(bytes: &[u8]) -> CoreResult<Self> {
        match <[u8; SEC1_POINT_LEN]>::try_from(bytes) {
            Ok(point) if point[0] == SEC1_UNCOMPRESSED_TAG => Ok(Self(point)),
            _ => Err(CoreError::type_error(format!(
                "publicKey must be a {SEC1_POINT_LEN}-byte SEC1 uncompressed P-256 point"
            ))),
        }
    }

    fn x(&self) -> &[u8] {
        &self.0[1..1 + COORDINATE_LEN]
    }

    fn y(&self) -> &[u8] {
        &self.0[1 + COORDINATE_LEN..]
    }

    /// The COSE_Key, map keys in CTAP2 canonical order (1, 3, -1, -2, -3).
    pub fn cose_key(&self) -> CoreResult<Vec<u8>> {
        let map = Value::Map(vec![
            (COSE_KTY.into(), COSE_KTY_EC2.into()),
            (COSE_ALG.into(), ES256.into()),
            (COSE_EC2_CRV.into(), COSE_CRV_P256.into()),
            (COSE_EC2_X.into(), Value::Bytes(self.x().to_vec())),
            (COSE_EC2_Y.into(), Value::Bytes(self.y().to_vec())),
        ]);
        encode_cbor(&map)
    }

    /// DER SubjectPublicKeyInfo, what `getPublicKey()` returns.
    pub fn spki_der(&self) -> Vec<u8> {
        let mut der = Vec::with_capacity(P256_SPKI_PREFIX.len() + SEC1_POINT_LEN);
        der.extend_from_slice(&P256_SPKI_PREFIX);
        der.extend_from_slice(&self.0);
        der
    }
}

pub fn encode_cbor(value: &Value) -> CoreResult<Vec<u8>> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out)
        .map_err(|err| CoreError::unknown(format!("CBOR encoding failed: {err}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_point() -> Vec<u8> {
        let mut point = vec![0x04];
        point.extend((1..=32).map(|i| i as u8));
        point.extend((101..=132).map(|i| i as u8));
        point
    }

    #[test]
    fn cose_key_decodes_to_canonical_ec2_map() {
        let point = P256PublicPoint::from_sec1_uncompressed(&sample_point()).unwrap();
        let bytes = point.cose_key().unwrap();
        // 0xa5: map of 5; keys 01, 03, 20 (-1), 21 (-2), 22 (-3) in that order.
        assert_eq!(&bytes[..7], &[0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01]);
        let decoded: Value = ciborium::from_reader(bytes.as_slice()).unwrap();
        let entries = decoded.into_map().unwrap();
        let keys: Vec<i128> = entries
            .iter()
            .map(|(k, _)| k.as_integer().unwrap().into())
            .collect();
        assert_eq!(keys, vec![1, 3, -1, -2, -3]);
        assert_eq!(entries[0].1, Value::from(2));
        assert_eq!(entries[1].1, Value::from(-7));
        assert_eq!(entries[2].1, Value::from(1));
        assert_eq!(entries[3].1, Value::Bytes((1..=32).collect()));
        assert_eq!(entries[4].1, Value::Bytes((101..=132).collect()));
        assert_eq!(bytes.len(), 77);
    }

    #[test]
    fn spki_is_prefix_plus_point() {
        let raw = sample_point();
        let der = P256PublicPoint::from_sec1_uncompressed(&raw)
            .unwrap()
            .spki_der();
        assert_eq!(der.len(), 91);
        // Outer SEQUENCE length covers the rest; BIT STRING of 66 bytes (0 unused bits + point).
        assert_eq!((der[0], der[1] as usize), (0x30, der.len() - 2));
        assert_eq!(&der[23..26], &[0x03, 0x42, 0x00]);
        // OIDs: 1.2.840.10045.2.1 (ecPublicKey) and 1.2.840.10045.3.1.7 (prime256v1).
        assert_eq!(
            &der[4..13],
            &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]
        );
        assert_eq!(
            &der[13..23],
            &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]
        );
        assert_eq!(&der[26..], raw.as_slice());
    }

    #[test]
    fn rejects_compressed_or_short_points() {
        let mut compressed = sample_point();
        compressed[0] = 0x02;
        assert!(P256PublicPoint::from_sec1_uncompressed(&compressed).is_err());
        assert!(P256PublicPoint::from_sec1_uncompressed(&sample_point()[..64]).is_err());
        assert!(P256PublicPoint::from_sec1_uncompressed(&[]).is_err());
    }
}
