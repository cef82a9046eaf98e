//! The only key type the core handles: ES256 (ECDSA P-256 with SHA-256), from the SEC1 uncompressed point the host
//! returns. The core never generates or checks keys; it only re-encodes the public point, and checks that a
//! signature the host made has the shape of a DER ECDSA signature (never whether it verifies).

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

/// A DER ECDSA P-256 signature is `SEQUENCE { INTEGER r, INTEGER s }` with r and s of at most 256 bits: each
/// INTEGER is 1 to 33 bytes (33 only for the leading zero of a high-bit value), so the whole is 8 to 72 bytes.
pub const ES256_DER_SIGNATURE_MAX_LEN: usize = 2 + 2 * (2 + COORDINATE_LEN + 1);

/// Checks the structure of a DER (X9.62) ECDSA P-256 signature: one SEQUENCE, exactly as long as its length says,
/// of two positive, minimally encoded, non-zero INTEGERs of at most 256 bits. This catches a raw `r || s`, an empty
/// or truncated value, and stray bytes; it does not verify the signature (the core has no P-256 arithmetic).
pub fn check_es256_der_signature(signature: &[u8], field: &str) -> CoreResult<()> {
    let invalid = |why: &str| {
        CoreError::type_error(format!("{field} is not a DER ECDSA P-256 signature: {why}"))
    };
    if signature.is_empty() {
        return Err(invalid("it is empty"));
    }
    if signature.len() > ES256_DER_SIGNATURE_MAX_LEN {
        return Err(invalid("it is too long"));
    }
    // Every valid length fits the short form of a DER length, so a long form (0x81..) is refused too.
    let [0x30, length, contents @ ..] = signature else {
        return Err(invalid("it is not a DER SEQUENCE"));
    };
    if usize::from(*length) != contents.len() {
        return Err(invalid("the SEQUENCE length does not match"));
    }
    let after_r = der_scalar(contents).ok_or_else(|| invalid("r is not a valid INTEGER"))?;
    let after_s = der_scalar(after_r).ok_or_else(|| invalid("s is not a valid INTEGER"))?;
    if !after_s.is_empty() {
        return Err(invalid("trailing bytes after s"));
    }
    Ok(())
}

/// One DER INTEGER holding a positive scalar of at most 256 bits, minimally encoded; returns the bytes after it.
fn der_scalar(bytes: &[u8]) -> Option<&[u8]> {
    let [0x02, length, rest @ ..] = bytes else {
        return None;
    };
    let length = usize::from(*length);
    if length == 0 || length > COORDINATE_LEN + 1 || rest.len() < length {
        return None;
    }
    let (value, rest) = rest.split_at(length);
    let negative = value[0] & 0x80 != 0;
    let needless_zero = length > 1 && value[0] == 0 && value[1] & 0x80 == 0;
    let too_wide = length == COORDINATE_LEN + 1 && value[0] != 0;
    let zero = value.iter().all(|&byte| byte == 0);
    (!negative && !needless_zero && !too_wide && !zero).then_some(rest)
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

    /// SEQUENCE { INTEGER r, INTEGER s } from the two INTEGER contents.
    fn der(r: &[u8], s: &[u8]) -> Vec<u8> {
        let mut body = vec![0x02, r.len() as u8];
        body.extend_from_slice(r);
        body.extend_from_slice(&[0x02, s.len() as u8]);
        body.extend_from_slice(s);
        let mut out = vec![0x30, body.len() as u8];
        out.extend(body);
        out
    }

    #[test]
    fn der_signature_shapes() {
        let ok = |sig: &[u8]| check_es256_der_signature(sig, "sig").is_ok();
        let mut high = vec![0x00, 0x80];
        high.extend([0x11; 31]);
        // Shortest, typical, and the longest (both scalars with the high bit set).
        assert!(ok(&der(&[1], &[1])));
        assert!(ok(&der(&[0x7f; 32], &[0x01; 32])));
        assert!(ok(&der(&high, &high)));
        assert_eq!(der(&high, &high).len(), ES256_DER_SIGNATURE_MAX_LEN);
        // A leading zero shortens the scalar: still fine.
        assert!(ok(&der(&[0x05; 31], &[0x7f; 32])));

        let error = check_es256_der_signature(&[], "attestationSignature").unwrap_err();
        assert_eq!(error.name, crate::error::ErrorName::TypeError);
        assert!(error.message.starts_with("attestationSignature"));
        let mut trailing = der(&[1], &[1]);
        trailing.push(0);
        let mut long_form = der(&[1], &[1]);
        long_form.splice(1..2, [0x81, 6]);
        for bad in [
            vec![0x30],
            vec![0x30, 0x00],
            vec![0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01],
            [0x30; 64].to_vec(), // raw r || s that happens to start with 0x30
            der(&[1], &[1])[..7].to_vec(), // truncated
            trailing,
            long_form,
            der(&[], &[1]),
            der(&[0x80; 32], &[1]),    // negative r
            der(&[1], &[0x00, 0x01]),  // needless leading zero
            der(&[1], &[0x00]),        // zero
            der(&[1], &[0x01; 33]),    // wider than 256 bits
            der(&high, &[0x01; 34]),   // too long overall
            vec![0x30, 3, 0x02, 1, 1], // no s
        ] {
            assert!(!ok(&bad), "accepted {bad:02x?}");
        }
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
