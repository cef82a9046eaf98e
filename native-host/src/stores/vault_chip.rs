//! Chip-held vault passkeys, the vault's side (ARCHITECTURE.md rule 10). Where this computer has a TPM and the
//! person has enrolled other devices, a new vault passkey is made inside the TPM as a key the chip duplicates only
//! with another enrolled device's approval (tpm/vault_keys.rs). The vault keeps, per passkey, a random 32-byte seed
//! sealed under its data key; the key's authValue and its PRF secret are derived from the seed, so using the
//! passkey needs the vault PIN (which unseals the data key) exactly as for a software vault passkey, and a copy
//! carries the seed (encrypted to the target device) beside the chip's duplicate.
//!
//! Blob layout: `0x02 | nonce (24) | XChaCha20-Poly1305(data key, seed, aad = credential id) (48) | branch count
//! (1) | branches (32 each) | TPM key blob (tpm/blob.rs)`. A software vault blob starts with 0x01.

use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::copy_policy::{DIGEST_LEN, MAX_BRANCHES};
use super::vault_aead;
use super::{Authorization, StoreError};

pub const CHIP_BLOB_VERSION: u8 = 2;
pub const SEED_LEN: usize = 32;
/// The seed as `vault_aead::seal` keeps it: nonce, ciphertext and tag.
const SEALED_SEED_LEN: usize = SEED_LEN + vault_aead::OVERHEAD;
const AUTH_LABEL: &[u8] = b"Keyplace chip-held passkey auth v1";
const PRF_LABEL: &[u8] = b"Keyplace chip-held passkey PRF v1";

/// A passkey's seed, wiped on drop.
pub type Seed = Zeroizing<[u8; SEED_LEN]>;

/// What TPM2_Duplicate gives for one key: the inner wrapper's key, the duplicate and the seed encrypted to the new
/// parent. Only the target's chip can open the duplicate, and only with the inner key.
pub struct Duplicated {
    pub inner_key: Vec<u8>,
    pub duplicate: Vec<u8>,
    pub seed: Vec<u8>,
}

/// A chip-held passkey's stored blob, taken apart.
pub struct ChipBlob<'a> {
    sealed_seed: &'a [u8],
    pub branches: Vec<Vec<u8>>,
    pub tpm_blob: &'a [u8],
}

pub fn is_chip_blob(key_blob: &[u8]) -> bool {
    key_blob.first() == Some(&CHIP_BLOB_VERSION)
}

fn damaged() -> StoreError {
    StoreError::Internal("the stored key of this passkey is damaged or belongs elsewhere".into())
}

impl<'a> ChipBlob<'a> {
    pub fn decode(key_blob: &'a [u8]) -> Result<ChipBlob<'a>, StoreError> {
        let rest = key_blob
            .strip_prefix(&[CHIP_BLOB_VERSION])
            .ok_or_else(damaged)?;
        if rest.len() < SEALED_SEED_LEN + 1 {
            return Err(damaged());
        }
        let (sealed_seed, rest) = rest.split_at(SEALED_SEED_LEN);
        let count = usize::from(rest[0]);
        let rest = &rest[1..];
        if !(2..=MAX_BRANCHES).contains(&count) || rest.len() <= count * DIGEST_LEN {
            return Err(damaged());
        }
        let (branches, tpm_blob) = rest.split_at(count * DIGEST_LEN);
        Ok(ChipBlob {
            sealed_seed,
            branches: branches.chunks(DIGEST_LEN).map(<[u8]>::to_vec).collect(),
            tpm_blob,
        })
    }

    /// The seed, opened with the vault's data key in `authorization`.
    pub fn seed(
        &self,
        authorization: &Authorization,
        credential_id: &[u8],
    ) -> Result<Seed, StoreError> {
        let seed = vault_aead::open(authorization.secret(), credential_id, self.sealed_seed)
            .ok_or_else(damaged)?;
        let mut out = Zeroizing::new([0u8; SEED_LEN]);
        if seed.len() != SEED_LEN {
            return Err(damaged());
        }
        out.copy_from_slice(&seed);
        Ok(out)
    }
}

/// The marshalled TPMT_PUBLIC at the start of a TPM key blob (tpm/blob.rs: version 1, a u16 BE length, the area).
pub fn public_area_of(tpm_blob: &[u8]) -> Result<&[u8], StoreError> {
    let (&1, rest) = tpm_blob.split_first().ok_or_else(damaged)? else {
        return Err(damaged());
    };
    let len = rest
        .get(..2)
        .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        .ok_or_else(damaged)?;
    rest.get(2..2 + len).ok_or_else(damaged)
}

/// A fresh seed for a new chip-held passkey.
pub fn new_seed() -> Seed {
    let mut seed = Zeroizing::new([0u8; SEED_LEN]);
    OsRng.fill_bytes(seed.as_mut());
    seed
}

/// The blob of a chip-held passkey: `seed` sealed under the vault's data key, the policy's branches and the TPM's
/// blob.
pub fn seal_chip_key(
    authorization: &Authorization,
    credential_id: &[u8],
    seed: &[u8],
    branches: &[Vec<u8>],
    tpm_blob: &[u8],
) -> Result<Vec<u8>, StoreError> {
    if seed.len() != SEED_LEN
        || branches.len() < 2
        || branches.len() > MAX_BRANCHES
        || branches.iter().any(|b| b.len() != DIGEST_LEN)
    {
        return Err(StoreError::Internal(
            "a chip-held passkey's parts have the wrong size".into(),
        ));
    }
    let mut blob = vec![CHIP_BLOB_VERSION];
    blob.extend_from_slice(&vault_aead::seal(
        authorization.secret(),
        credential_id,
        seed,
    )?);
    blob.push(branches.len() as u8);
    for branch in branches {
        blob.extend_from_slice(branch);
    }
    blob.extend_from_slice(tpm_blob);
    Ok(blob)
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The key's authValue in the chip.
pub fn key_auth(seed: &[u8]) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(hmac(seed, AUTH_LABEL))
}

/// WebAuthn `prf` for a chip-held passkey: HMAC-SHA-256 of each salt under a secret derived from its seed (the same
/// on every device holding a copy).
pub fn prf_outputs(seed: &[u8], salts: &[&[u8]]) -> Vec<[u8; 32]> {
    let secret = Zeroizing::new(hmac(seed, PRF_LABEL));
    salts.iter().map(|salt| hmac(&secret[..], salt)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authorization(byte: u8) -> Authorization {
        Authorization::new(true, &[byte; 32])
    }

    #[test]
    fn a_blob_keeps_its_parts_and_opens_only_with_its_data_key_and_id() {
        let seed = new_seed();
        let branches = vec![vec![1u8; 32], vec![2u8; 32], vec![3u8; 32]];
        let blob = seal_chip_key(
            &authorization(7),
            b"cred",
            &seed[..],
            &branches,
            b"tpm blob",
        )
        .unwrap();
        assert!(is_chip_blob(&blob));
        let parts = ChipBlob::decode(&blob).unwrap();
        assert_eq!(parts.branches, branches);
        assert_eq!(parts.tpm_blob, b"tpm blob");
        assert_eq!(
            parts.seed(&authorization(7), b"cred").unwrap()[..],
            seed[..]
        );
        assert!(
            parts.seed(&authorization(8), b"cred").is_err(),
            "another vault's key"
        );
        assert!(
            parts.seed(&authorization(7), b"other").is_err(),
            "another passkey's blob"
        );
    }

    #[test]
    fn damaged_blobs_are_typed_errors() {
        let blob = seal_chip_key(
            &authorization(7),
            b"c",
            &[0u8; 32],
            &[vec![1; 32], vec![1; 32]],
            b"t",
        )
        .unwrap();
        for bad in [&blob[..1], &blob[..60], &blob[..blob.len() - 1 - 64][..]] {
            assert!(matches!(
                ChipBlob::decode(bad),
                Err(StoreError::Internal(_))
            ));
        }
        let mut one_branch = blob.clone();
        one_branch[1 + SEALED_SEED_LEN] = 1;
        assert!(
            ChipBlob::decode(&one_branch).is_err(),
            "PolicyOR has two branches at least"
        );
    }

    #[test]
    fn auth_and_prf_differ_and_follow_the_seed() {
        let (a, b) = ([1u8; 32], [2u8; 32]);
        assert_ne!(key_auth(&a)[..], key_auth(&b)[..]);
        assert_ne!(key_auth(&a)[..], prf_outputs(&a, &[&[]])[0][..]);
        assert_eq!(prf_outputs(&a, &[b"salt"]), prf_outputs(&a, &[b"salt"]));
    }
}
