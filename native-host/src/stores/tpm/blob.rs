//! The key blob kept in the metadata database: the key's public area and its private area as the TPM returned it
//! (sealed under this chip's storage key: useless on any other TPM).
//!
//! Layout, version 1: `0x01 | u16 BE len | TPMT_PUBLIC (marshalled) | u16 BE len | TPM2B_PRIVATE buffer`.
//! Version 2, a passkey with a PRF key: `0x02`, the signing key's two parts as in version 1, then the PRF key's two.
//! Passkeys made before hardware PRF, or without `prf`, stay version 1: no PRF key, so no PRF for them.

use tss_esapi::structures::{Private, Public};
use tss_esapi::traits::{Marshall, UnMarshall};

const VERSION: u8 = 1;
const VERSION_WITH_PRF: u8 = 2;

pub struct KeyBlob {
    pub public: Public,
    pub private: Private,
}

/// A passkey's blob: its signing key, and its PRF key if it was made with one.
pub struct PasskeyBlob {
    pub key: KeyBlob,
    pub prf: Option<KeyBlob>,
}

impl KeyBlob {
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        let mut blob = vec![VERSION];
        self.append(&mut blob)?;
        Ok(blob)
    }

    pub fn decode(blob: &[u8]) -> Option<KeyBlob> {
        let (&VERSION, rest) = blob.split_first()? else {
            return None;
        };
        let mut parts = Parts(rest);
        let key = parts.key_blob()?;
        parts.0.is_empty().then_some(key)
    }

    fn append(&self, blob: &mut Vec<u8>) -> Result<(), String> {
        let public = self
            .public
            .marshall()
            .map_err(|e| format!("cannot encode the key's public area: {e}"))?;
        for part in [&public[..], self.private.value()] {
            let len = u16::try_from(part.len()).map_err(|_| "key area too large".to_owned())?;
            blob.extend_from_slice(&len.to_be_bytes());
            blob.extend_from_slice(part);
        }
        Ok(())
    }
}

impl PasskeyBlob {
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        let Some(prf) = &self.prf else {
            return self.key.encode();
        };
        let mut blob = vec![VERSION_WITH_PRF];
        self.key.append(&mut blob)?;
        prf.append(&mut blob)?;
        Ok(blob)
    }

    pub fn decode(blob: &[u8]) -> Option<PasskeyBlob> {
        let (&version, rest) = blob.split_first()?;
        let mut parts = Parts(rest);
        let key = parts.key_blob()?;
        let prf = match version {
            VERSION => None,
            VERSION_WITH_PRF => Some(parts.key_blob()?),
            _ => return None,
        };
        parts.0.is_empty().then_some(PasskeyBlob { key, prf })
    }
}

/// Reads length-prefixed parts off the front of a blob.
struct Parts<'a>(&'a [u8]);

impl<'a> Parts<'a> {
    fn take(&mut self) -> Option<&'a [u8]> {
        let len = u16::from_be_bytes(self.0.get(..2)?.try_into().ok()?) as usize;
        let part = self.0.get(2..2 + len)?;
        self.0 = &self.0[2 + len..];
        Some(part)
    }

    fn key_blob(&mut self) -> Option<KeyBlob> {
        let public = Public::unmarshall(self.take()?).ok()?;
        let private = Private::try_from(self.take()?.to_vec()).ok()?;
        Some(KeyBlob { public, private })
    }
}

#[cfg(test)]
mod tests {
    use super::super::templates;
    use super::*;

    fn sample(template: Public, byte: u8) -> KeyBlob {
        KeyBlob {
            public: template,
            private: Private::try_from(vec![byte; 126]).unwrap(),
        }
    }

    #[test]
    fn round_trips_and_rejects_damage() {
        let blob = sample(templates::passkey().unwrap(), 7);
        let bytes = blob.encode().unwrap();
        let back = KeyBlob::decode(&bytes).unwrap();
        assert_eq!(back.public, blob.public);
        assert_eq!(back.private.value(), blob.private.value());
        assert!(KeyBlob::decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(KeyBlob::decode(&[&bytes[..], &[0]].concat()).is_none());
        let mut other_version = bytes.clone();
        other_version[0] = 3;
        assert!(KeyBlob::decode(&other_version).is_none());
        assert!(KeyBlob::decode(&[]).is_none());
    }

    #[test]
    fn a_passkey_blob_carries_its_prf_key_and_old_blobs_have_none() {
        // A version 1 blob (every hardware passkey made before PRF) reads as a passkey without a PRF key.
        let old = sample(templates::passkey().unwrap(), 7).encode().unwrap();
        let read = PasskeyBlob::decode(&old).unwrap();
        assert!(read.prf.is_none());
        assert_eq!(read.key.private.value(), &[7; 126]);
        let without = PasskeyBlob {
            key: read.key,
            prf: None,
        };
        assert_eq!(
            without.encode().unwrap(),
            old,
            "no PRF key: still version 1"
        );

        let with = PasskeyBlob {
            key: sample(templates::passkey().unwrap(), 7),
            prf: Some(sample(templates::prf_key().unwrap(), 9)),
        };
        let bytes = with.encode().unwrap();
        assert_eq!(bytes[0], 2);
        let back = PasskeyBlob::decode(&bytes).unwrap();
        assert_eq!(back.key.public, with.key.public);
        let prf = back.prf.unwrap();
        assert_eq!(prf.public, templates::prf_key().unwrap());
        assert_eq!(prf.private.value(), &[9; 126]);
        // Only the signing key's own layout is a KeyBlob (sealed secrets are never version 2).
        assert!(KeyBlob::decode(&bytes).is_none());
        assert!(PasskeyBlob::decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(PasskeyBlob::decode(&[&bytes[..], &[0]].concat()).is_none());
        let mut v1_with_extra = bytes.clone();
        v1_with_extra[0] = 1;
        assert!(PasskeyBlob::decode(&v1_with_extra).is_none());
    }
}
