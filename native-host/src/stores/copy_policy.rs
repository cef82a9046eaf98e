//! The policy digests of a chip-held vault passkey (ARCHITECTURE.md rule 10), computed in software on every
//! platform: the source's chip needs them to make and duplicate the key, and an approving device (which may have no
//! TPM) needs them to sign an approval for exactly one key and one target. TPM 2.0 Part 3 gives each update
//! ("policyDigest update" of PolicyAuthorize, PolicyOR, PolicyDuplicationSelect); the chip recomputes each one in
//! its policy session, so a mistake here can only make a copy fail, never let one through.

use sha2::{Digest as _, Sha256};

const TPM_CC_POLICY_AUTHORIZE: u32 = 0x0000_016A;
const TPM_CC_POLICY_OR: u32 = 0x0000_0171;
const TPM_CC_POLICY_DUPLICATION_SELECT: u32 = 0x0000_0188;
/// TPM_ALG_SHA256, the first two bytes of every Name Keyplace's objects have.
const NAME_ALG_SHA256: [u8; 2] = [0x00, 0x0B];
/// PolicyOR holds 2 to 8 branches.
pub const MAX_APPROVERS: usize = 8;
pub const DIGEST_LEN: usize = 32;

fn hash(parts: &[&[u8]]) -> Vec<u8> {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part);
    }
    hash.finalize().to_vec()
}

/// An object's Name from its marshalled TPMT_PUBLIC (nameAlg SHA-256): what the chip calls it in policies.
pub fn tpm_name(public_area: &[u8]) -> Vec<u8> {
    [&NAME_ALG_SHA256[..], &Sha256::digest(public_area)].concat()
}

/// PolicyAuthorize(keySign = the approver's Name, policyRef empty) from an empty digest: one branch of a key's policy.
pub fn authorize_branch(approver_name: &[u8]) -> Vec<u8> {
    let first = hash(&[
        &[0; DIGEST_LEN],
        &TPM_CC_POLICY_AUTHORIZE.to_be_bytes(),
        approver_name,
    ]);
    hash(&[&first])
}

/// A key's branches: one PolicyAuthorize per approver (a single approver's branch twice, since PolicyOR needs two).
pub fn branches(approver_names: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, String> {
    if approver_names.is_empty() || approver_names.len() > MAX_APPROVERS {
        return Err(format!(
            "a chip-held passkey needs 1 to {MAX_APPROVERS} other devices to approve its copies"
        ));
    }
    let mut branches: Vec<Vec<u8>> = approver_names.iter().map(|n| authorize_branch(n)).collect();
    if branches.len() == 1 {
        branches.push(branches[0].clone());
    }
    Ok(branches)
}

/// PolicyOR over `branches` from an empty digest: the key's authPolicy.
pub fn or_digest(branches: &[Vec<u8>]) -> Vec<u8> {
    let code = TPM_CC_POLICY_OR.to_be_bytes();
    let mut parts: Vec<&[u8]> = vec![&[0; DIGEST_LEN], &code];
    parts.extend(branches.iter().map(Vec::as_slice));
    hash(&parts)
}

/// The policy an approver signs: PolicyDuplicationSelect(this object, this new parent, includeObject = YES).
pub fn approved_duplication(object_name: &[u8], new_parent_name: &[u8]) -> Vec<u8> {
    hash(&[
        &[0; DIGEST_LEN],
        &TPM_CC_POLICY_DUPLICATION_SELECT.to_be_bytes(),
        object_name,
        new_parent_name,
        &[1],
    ])
}

/// The digest the approver's key signs (ECDSA over it, as TPM2_VerifySignature checks it):
/// aHash = SHA-256(approvedPolicy || policyRef), policyRef empty. A device key signing the 32-byte
/// `approved_policy` as a message (ECDSA with SHA-256) signs exactly this digest.
pub fn approval_digest(approved_policy: &[u8]) -> Vec<u8> {
    hash(&[approved_policy])
}

/// Whether a marshalled TPMT_PUBLIC of an ECC key ends with this SEC1 point (its `unique` field, x then y, each a
/// TPM2B of 32 bytes): an approver checks that the object it approves holds the passkey's public key.
pub fn public_area_holds(public_area: &[u8], sec1: &[u8]) -> bool {
    if sec1.len() != 65 || sec1[0] != 4 {
        return false;
    }
    let mut unique = Vec::with_capacity(68);
    for coordinate in [&sec1[1..33], &sec1[33..]] {
        unique.extend_from_slice(&[0, 32]);
        unique.extend_from_slice(coordinate);
    }
    public_area.ends_with(&unique)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_approver_gives_two_equal_branches_and_no_approver_is_refused() {
        let one = branches(&[tpm_name(b"approver")]).unwrap();
        assert_eq!(one.len(), 2);
        assert_eq!(one[0], one[1]);
        assert!(branches(&[]).is_err());
        assert!(branches(&vec![tpm_name(b"x"); MAX_APPROVERS + 1]).is_err());
    }

    #[test]
    fn every_digest_depends_on_what_it_names() {
        let (a, b) = (tpm_name(b"a"), tpm_name(b"b"));
        assert_eq!(a.len(), 2 + DIGEST_LEN);
        assert_ne!(authorize_branch(&a), authorize_branch(&b));
        assert_ne!(approved_duplication(&a, &b), approved_duplication(&b, &a));
        let ab = branches(&[a.clone(), b.clone()]).unwrap();
        let ba = branches(&[b, a]).unwrap();
        assert_ne!(or_digest(&ab), or_digest(&ba), "PolicyOR is ordered");
    }

    #[test]
    fn a_public_area_holds_only_its_own_point() {
        let mut sec1 = vec![4u8];
        sec1.extend(1..=64u8);
        let mut area = b"TPMT_PUBLIC head".to_vec();
        area.extend_from_slice(&[0, 32]);
        area.extend_from_slice(&sec1[1..33]);
        area.extend_from_slice(&[0, 32]);
        area.extend_from_slice(&sec1[33..]);
        assert!(public_area_holds(&area, &sec1));
        let mut other = sec1.clone();
        other[64] ^= 1;
        assert!(!public_area_holds(&area, &other));
        assert!(!public_area_holds(&area, &sec1[..33]));
    }
}
