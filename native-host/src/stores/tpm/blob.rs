//! The key blob kept in the metadata database: the key's public area and its private area as the TPM returned it
//! (sealed under this chip's storage key: useless on any other TPM).
//!
//! Layout, version 1: `0x01 | u16 BE len | TPMT_PUBLIC (marshalled) | u16 BE len | TPM2B_PRIVATE buffer`.

use tss_esapi::structures::{Private, Public};
use tss_esapi::traits::{Marshall, UnMarshall};

const VERSION: u8 = 1;

pub struct KeyBlob {
    pub public: Public,
    pub private: Private,
}

impl KeyBlob {
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        let public = self
            .public
            .marshall()
            .map_err(|e| format!("cannot encode the key's public area: {e}"))?;
        let private = self.private.value();
        let mut blob = Vec::with_capacity(5 + public.len() + private.len());
        blob.push(VERSION);
        for part in [&public[..], private] {
            let len = u16::try_from(part.len()).map_err(|_| "key area too large".to_owned())?;
            blob.extend_from_slice(&len.to_be_bytes());
            blob.extend_from_slice(part);
        }
        Ok(blob)
    }

    pub fn decode(blob: &[u8]) -> Option<KeyBlob> {
        let (&version, mut rest) = blob.split_first()?;
        if version != VERSION {
            return None;
        }
        let mut take = || {
            let len = u16::from_be_bytes(rest.get(..2)?.try_into().ok()?) as usize;
            let part = rest.get(2..2 + len)?;
            rest = &rest[2 + len..];
            Some(part)
        };
        let public = Public::unmarshall(take()?).ok()?;
        let private = Private::try_from(take()?.to_vec()).ok()?;
        rest.is_empty().then_some(KeyBlob { public, private })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_damage() {
        let blob = KeyBlob {
            public: super::super::templates::passkey().unwrap(),
            private: Private::try_from(vec![7u8; 126]).unwrap(),
        };
        let bytes = blob.encode().unwrap();
        let back = KeyBlob::decode(&bytes).unwrap();
        assert_eq!(back.public, blob.public);
        assert_eq!(back.private.value(), blob.private.value());
        assert!(KeyBlob::decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(KeyBlob::decode(&[&bytes[..], &[0]].concat()).is_none());
        let mut other_version = bytes.clone();
        other_version[0] = 2;
        assert!(KeyBlob::decode(&other_version).is_none());
        assert!(KeyBlob::decode(&[]).is_none());
    }
}
