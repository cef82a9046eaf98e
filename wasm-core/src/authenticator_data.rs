//! Authenticator data (WebAuthn L3 §6.1): rpIdHash(32) | flags(1) | signCount(4, big-endian) | attested credential
//! data (AAGUID(16) | credentialIdLength(2, big-endian) | credentialId | COSE_Key) | extensions. Building and a
//! strict parser (for inspecting what other authenticators produced) live together so they agree.

use serde::{Deserialize, Serialize};

use crate::client_data::sha256;
use crate::error::{CoreError, CoreResult};

pub const FLAG_UP: u8 = 0x01;
pub const FLAG_UV: u8 = 0x04;
pub const FLAG_BE: u8 = 0x08;
pub const FLAG_BS: u8 = 0x10;
pub const FLAG_AT: u8 = 0x40;
pub const FLAG_ED: u8 = 0x80;

pub const RP_ID_HASH_LEN: usize = 32;
pub const HEADER_LEN: usize = RP_ID_HASH_LEN + 1 + 4;
pub const AAGUID_LEN: usize = 16;
/// WebAuthn caps credential IDs at 1023 bytes.
pub const MAX_CREDENTIAL_ID_LEN: usize = 1023;
const MAX_CBOR_DEPTH: u32 = 16;

/// The four flags a relying party reads, as they cross to JavaScript: `{up, uv, be, bs}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FlagSummary {
    pub up: bool,
    pub uv: bool,
    pub be: bool,
    pub bs: bool,
}

impl FlagSummary {
    pub fn from_byte(flags: u8) -> Self {
        Self {
            up: flags & FLAG_UP != 0,
            uv: flags & FLAG_UV != 0,
            be: flags & FLAG_BE != 0,
            bs: flags & FLAG_BS != 0,
        }
    }

    /// The flags byte without AT/ED. A backed-up credential that is not backup eligible is invalid per §6.1.3.
    pub fn to_byte(self) -> CoreResult<u8> {
        if self.bs && !self.be {
            return Err(CoreError::type_error(
                "backupState cannot be set without backupEligible",
            ));
        }
        let bit = |set: bool, flag: u8| if set { flag } else { 0 };
        Ok(bit(self.up, FLAG_UP)
            | bit(self.uv, FLAG_UV)
            | bit(self.be, FLAG_BE)
            | bit(self.bs, FLAG_BS))
    }
}

pub struct AttestedCredentialData<'a> {
    pub aaguid: [u8; AAGUID_LEN],
    pub credential_id: &'a [u8],
    pub cose_key: &'a [u8],
}

/// Builds authenticator data; sets AT when attested credential data is given. The rpIdHash is SHA-256 of the RP ID.
pub fn build_authenticator_data(
    rp_id: &str,
    flags: FlagSummary,
    sign_count: u32,
    attested: Option<&AttestedCredentialData>,
) -> CoreResult<Vec<u8>> {
    let mut flags_byte = flags.to_byte()?;
    let mut out = Vec::with_capacity(HEADER_LEN + 160);
    out.extend_from_slice(&sha256(rp_id.as_bytes()));
    if let Some(attested) = attested {
        flags_byte |= FLAG_AT;
        if attested.credential_id.is_empty() || attested.credential_id.len() > MAX_CREDENTIAL_ID_LEN
        {
            return Err(CoreError::type_error(
                "credentialId must be 1 to 1023 bytes",
            ));
        }
        out.push(flags_byte);
        out.extend_from_slice(&sign_count.to_be_bytes());
        out.extend_from_slice(&attested.aaguid);
        out.extend_from_slice(&(attested.credential_id.len() as u16).to_be_bytes());
        out.extend_from_slice(attested.credential_id);
        out.extend_from_slice(attested.cose_key);
    } else {
        out.push(flags_byte);
        out.extend_from_slice(&sign_count.to_be_bytes());
    }
    Ok(out)
}

#[derive(Debug, PartialEq, Eq)]
pub struct ParsedAttestedCredential<'a> {
    pub aaguid: [u8; AAGUID_LEN],
    pub credential_id: &'a [u8],
    pub cose_key: &'a [u8],
}

#[derive(Debug, PartialEq, Eq)]
pub struct ParsedAuthenticatorData<'a> {
    pub rp_id_hash: &'a [u8],
    pub flags: u8,
    pub sign_count: u32,
    pub attested: Option<ParsedAttestedCredential<'a>>,
    pub extensions: Option<&'a [u8]>,
}

fn malformed(what: &str) -> CoreError {
    CoreError::type_error(format!("malformed authenticator data: {what}"))
}

/// Parses authenticator data strictly: every byte must be accounted for by the AT/ED flags.
pub fn parse_authenticator_data(bytes: &[u8]) -> CoreResult<ParsedAuthenticatorData<'_>> {
    if bytes.len() < HEADER_LEN {
        return Err(malformed("shorter than 37 bytes"));
    }
    let (rp_id_hash, rest) = bytes.split_at(RP_ID_HASH_LEN);
    let flags = rest[0];
    let sign_count = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]);
    let mut rest = &rest[5..];

    let attested = if flags & FLAG_AT != 0 {
        if rest.len() < AAGUID_LEN + 2 {
            return Err(malformed("attested credential data is truncated"));
        }
        let (aaguid, after) = rest.split_at(AAGUID_LEN);
        let id_len = usize::from(u16::from_be_bytes([after[0], after[1]]));
        let after = &after[2..];
        if id_len == 0 || id_len > MAX_CREDENTIAL_ID_LEN || after.len() < id_len {
            return Err(malformed("bad credential ID length"));
        }
        let (credential_id, after) = after.split_at(id_len);
        let key_len = cbor_item_len(after, 0)
            .ok_or_else(|| malformed("credential public key is not CBOR"))?;
        let (cose_key, after) = after.split_at(key_len);
        rest = after;
        let mut aaguid_bytes = [0u8; AAGUID_LEN];
        aaguid_bytes.copy_from_slice(aaguid);
        Some(ParsedAttestedCredential {
            aaguid: aaguid_bytes,
            credential_id,
            cose_key,
        })
    } else {
        None
    };

    let extensions = if flags & FLAG_ED != 0 {
        let is_map = rest.first().is_some_and(|b| b >> 5 == 5);
        if !is_map || cbor_item_len(rest, 0) != Some(rest.len()) {
            return Err(malformed("extensions are not exactly one CBOR map"));
        }
        Some(std::mem::take(&mut rest))
    } else {
        None
    };
    if !rest.is_empty() {
        return Err(malformed("trailing bytes"));
    }
    Ok(ParsedAuthenticatorData {
        rp_id_hash,
        flags,
        sign_count,
        attested,
        extensions,
    })
}

/// Length of the single well-formed CBOR data item at the start of `bytes`, or `None`. Iterative in the width and
/// bounded in depth, and every item consumes at least one byte, so hostile lengths cannot make it loop or recurse
/// without end.
pub fn cbor_item_len(bytes: &[u8], depth: u32) -> Option<usize> {
    if depth > MAX_CBOR_DEPTH {
        return None;
    }
    let initial = *bytes.first()?;
    let (major, info) = (initial >> 5, initial & 0x1f);
    let (argument, mut pos) = match info {
        0..=23 => (u64::from(info), 1usize),
        24 => (u64::from(*bytes.get(1)?), 2),
        25 => (
            u64::from(u16::from_be_bytes(bytes.get(1..3)?.try_into().ok()?)),
            3,
        ),
        26 => (
            u64::from(u32::from_be_bytes(bytes.get(1..5)?.try_into().ok()?)),
            5,
        ),
        27 => (u64::from_be_bytes(bytes.get(1..9)?.try_into().ok()?), 9),
        31 if matches!(major, 2..=5) => (0, 1),
        _ => return None,
    };
    let indefinite = info == 31;
    match major {
        0 | 1 | 7 => Some(pos),
        2 | 3 if !indefinite => pos
            .checked_add(usize::try_from(argument).ok()?)
            .filter(|&end| end <= bytes.len()),
        2 | 3 => loop {
            // Indefinite strings are a sequence of definite chunks of the same major type, ended by 0xff.
            let next = *bytes.get(pos)?;
            if next == 0xff {
                return Some(pos + 1);
            }
            if next >> 5 != major || next & 0x1f == 31 {
                return None;
            }
            pos += cbor_item_len(&bytes[pos..], depth + 1)?;
        },
        4 | 5 => {
            let per_entry = if major == 5 { 2 } else { 1 };
            if indefinite {
                loop {
                    if *bytes.get(pos)? == 0xff {
                        return Some(pos + 1);
                    }
                    for _ in 0..per_entry {
                        pos += cbor_item_len(bytes.get(pos..)?, depth + 1)?;
                    }
                }
            }
            let mut remaining = argument.checked_mul(per_entry)?;
            while remaining > 0 {
                pos += cbor_item_len(bytes.get(pos..)?, depth + 1)?;
                remaining -= 1;
            }
            Some(pos)
        }
        6 => Some(pos + cbor_item_len(bytes.get(pos..)?, depth + 1)?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: FlagSummary = FlagSummary {
        up: true,
        uv: true,
        be: true,
        bs: true,
    };

    #[test]
    fn flag_bits() {
        assert_eq!(ALL.to_byte().unwrap(), 0x1d);
        assert_eq!(
            FlagSummary {
                up: true,
                ..Default::default()
            }
            .to_byte()
            .unwrap(),
            0x01
        );
        assert_eq!(
            FlagSummary {
                uv: true,
                ..Default::default()
            }
            .to_byte()
            .unwrap(),
            0x04
        );
        assert_eq!(
            FlagSummary {
                be: true,
                ..Default::default()
            }
            .to_byte()
            .unwrap(),
            0x08
        );
        assert!(FlagSummary {
            bs: true,
            ..Default::default()
        }
        .to_byte()
        .is_err());
        assert_eq!(FlagSummary::from_byte(0x5d), ALL);
    }

    #[test]
    fn assertion_data_is_37_bytes_with_rp_id_hash() {
        let data = build_authenticator_data(
            "example.com",
            FlagSummary {
                up: true,
                ..Default::default()
            },
            7,
            None,
        )
        .unwrap();
        assert_eq!(data.len(), 37);
        assert_eq!(&data[..32], &sha256(b"example.com"));
        assert_eq!(data[32], FLAG_UP);
        assert_eq!(&data[33..], &[0, 0, 0, 7]);
        let parsed = parse_authenticator_data(&data).unwrap();
        assert_eq!(
            (parsed.flags, parsed.sign_count, parsed.attested),
            (FLAG_UP, 7, None)
        );
    }

    #[test]
    fn attested_data_layout_round_trips() {
        let cose_key = [0xa1, 0x01, 0x02];
        let attested = AttestedCredentialData {
            aaguid: [9; 16],
            credential_id: &[1, 2, 3],
            cose_key: &cose_key,
        };
        let data =
            build_authenticator_data("example.com", ALL, 0x01020304, Some(&attested)).unwrap();
        assert_eq!(data[32], 0x1d | FLAG_AT);
        assert_eq!(&data[33..37], &[1, 2, 3, 4]);
        assert_eq!(&data[37..53], &[9; 16]);
        assert_eq!(&data[53..55], &[0, 3]);
        assert_eq!(&data[55..58], &[1, 2, 3]);
        assert_eq!(&data[58..], &cose_key);
        let parsed = parse_authenticator_data(&data).unwrap();
        let credential = parsed.attested.unwrap();
        assert_eq!(
            (credential.credential_id, credential.cose_key),
            (&[1u8, 2, 3][..], &cose_key[..])
        );
    }

    #[test]
    fn extensions_and_trailing_bytes() {
        let mut data = build_authenticator_data("a.example", ALL, 0, None).unwrap();
        data[32] |= FLAG_ED;
        data.extend_from_slice(&[0xa1, 0x61, b'x', 0xf5]);
        assert_eq!(
            parse_authenticator_data(&data).unwrap().extensions,
            Some(&[0xa1, 0x61, b'x', 0xf5][..])
        );
        data.push(0);
        assert!(parse_authenticator_data(&data).is_err());
        data[32] &= !FLAG_ED;
        assert!(parse_authenticator_data(&data).is_err());
    }

    #[test]
    fn cbor_item_lengths() {
        assert_eq!(cbor_item_len(&[0x00], 0), Some(1));
        assert_eq!(cbor_item_len(&[0x38, 0x63], 0), Some(2));
        assert_eq!(cbor_item_len(&[0x43, 1, 2, 3, 9], 0), Some(4));
        assert_eq!(cbor_item_len(&[0x5f, 0x41, 1, 0x40, 0xff], 0), Some(5));
        assert_eq!(cbor_item_len(&[0xbf, 0x01, 0x02, 0xff], 0), Some(4));
        assert_eq!(cbor_item_len(&[0xc2, 0x41, 0], 0), Some(3));
        assert_eq!(
            cbor_item_len(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0),
            None
        );
        assert_eq!(
            cbor_item_len(
                &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0],
                0
            ),
            None
        );
        assert_eq!(cbor_item_len(&[0x81; 64], 0), None);
        assert_eq!(cbor_item_len(&[0x1c], 0), None);
        assert_eq!(cbor_item_len(&[], 0), None);
    }
}
