//! The policy digests of a chip-held vault passkey (ARCHITECTURE.md rule 10), computed in software on every
//! platform: the source's chip needs them to make and duplicate the key, and an approving device (which may have no
//! TPM) needs them to sign an approval for exactly one key and one target. TPM 2.0 Part 3 gives each update
//! ("policyDigest update" of PolicyAuthorize, PolicySecret, PolicyOR, PolicyDuplicationSelect); the chip recomputes
//! each one in its policy session, so a mistake here can only make a copy fail, never let one through.
//!
//! A key's policy names pairs, never one device alone: each *branch* is (holder H, approver A ≠ H) =
//! PolicyAuthorize(A's signing key) then PolicySecret(H's storage key). Only H's own chip can satisfy PolicySecret on
//! its storage key (a primary key's authorization needs its sensitive part, which never leaves that chip), so a
//! computer that holds a copy can duplicate it only with *another* device's signature, exactly as the source can.
//! Up to eight branches are one PolicyOR; more are PolicyOR groups of eight under a second PolicyOR.

use sha2::{Digest as _, Sha256};

const TPM_CC_POLICY_AUTHORIZE: u32 = 0x0000_016A;
const TPM_CC_POLICY_OR: u32 = 0x0000_0171;
const TPM_CC_POLICY_SECRET: u32 = 0x0000_0151;
const TPM_CC_POLICY_DUPLICATION_SELECT: u32 = 0x0000_0188;
/// TPM_ALG_SHA256, the first two bytes of every Name Keyplace's objects have.
const NAME_ALG_SHA256: [u8; 2] = [0x00, 0x0B];
/// PolicyOR holds 2 to 8 digests.
const OR_WIDTH: usize = 8;
/// The devices a new chip-held passkey's policy names (this one first): at most 8 × 7 branches, two PolicyOR levels.
pub const MAX_PARTIES: usize = 8;
/// The most branches a stored key may have (8 groups of 8).
pub const MAX_BRANCHES: usize = OR_WIDTH * OR_WIDTH;
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

/// PolicyAuthorize(keySign = the approver's Name, policyRef empty) from an empty digest: the branch of a key made
/// before its policy named holders. Such keys keep working; a computer holding a copy of one could approve its
/// own copies, which the host refuses in words (devices/chip_copy.rs).
pub fn authorize_branch(approver_name: &[u8]) -> Vec<u8> {
    policy_update(&[0; DIGEST_LEN], TPM_CC_POLICY_AUTHORIZE, approver_name)
}

/// One branch: PolicyAuthorize(approver) then PolicySecret(holder's storage key), policyRefs empty.
pub fn branch(holder_name: &[u8], approver_name: &[u8]) -> Vec<u8> {
    policy_update(
        &authorize_branch(approver_name),
        TPM_CC_POLICY_SECRET,
        holder_name,
    )
}

/// PolicyUpdate (TPM 2.0 Part 3, PolicySigned/PolicySecret/PolicyAuthorize): H(H(old || code || name) || policyRef),
/// policyRef empty.
fn policy_update(old: &[u8], code: u32, name: &[u8]) -> Vec<u8> {
    let first = hash(&[old, &code.to_be_bytes(), name]);
    hash(&[&first])
}

/// One device a key's policy names: its signing key's Name (as an approver) and, where it has a TPM, its storage
/// key's Name (as a holder).
pub struct Party {
    pub approver_name: Vec<u8>,
    pub holder_name: Option<Vec<u8>>,
}

/// A key's branches: one per (holder, approver) pair of different devices, holders in `parties` order. A single
/// branch is written twice, since PolicyOR needs two.
pub fn branches(parties: &[Party]) -> Result<Vec<Vec<u8>>, String> {
    if parties.len() > MAX_PARTIES {
        return Err(format!(
            "a chip-held passkey's policy names at most {MAX_PARTIES} devices"
        ));
    }
    let mut branches = Vec::new();
    for (h, holder) in parties.iter().enumerate() {
        let Some(holder_name) = &holder.holder_name else {
            continue;
        };
        for (a, approver) in parties.iter().enumerate() {
            if a != h {
                branches.push(branch(holder_name, &approver.approver_name));
            }
        }
    }
    match branches.len() {
        0 => Err(
            "a chip-held passkey needs a TPM to hold it and another device to approve its copies"
                .into(),
        ),
        1 => Ok(vec![branches[0].clone(), branches[0].clone()]),
        _ => Ok(branches),
    }
}

/// The PolicyOR groups of `branches`: eight each, a last group of one written twice.
pub fn groups(branches: &[Vec<u8>]) -> Vec<Vec<Vec<u8>>> {
    branches
        .chunks(OR_WIDTH)
        .map(|group| match group {
            [only] => vec![only.clone(), only.clone()],
            _ => group.to_vec(),
        })
        .collect()
}

/// The key's authPolicy: PolicyOR over the branches, or over the groups' PolicyORs where there are more than eight.
pub fn policy_digest(branches: &[Vec<u8>]) -> Vec<u8> {
    let groups = groups(branches);
    match groups.as_slice() {
        [one] => or_digest(one),
        _ => or_digest(&groups.iter().map(|g| or_digest(g)).collect::<Vec<_>>()),
    }
}

/// PolicyOR over `digests` from an empty digest.
fn or_digest(digests: &[Vec<u8>]) -> Vec<u8> {
    let code = TPM_CC_POLICY_OR.to_be_bytes();
    let mut parts: Vec<&[u8]> = vec![&[0; DIGEST_LEN], &code];
    parts.extend(digests.iter().map(Vec::as_slice));
    hash(&parts)
}

/// The digest lists of the PolicyORs a chip runs after the branch at `index`: its group, then (with more than
/// eight branches) the groups' digests.
pub fn or_path(branches: &[Vec<u8>], index: usize) -> Vec<Vec<Vec<u8>>> {
    let mut groups = groups(branches);
    let tops: Vec<Vec<u8>> = groups.iter().map(|g| or_digest(g)).collect();
    let group = groups.swap_remove((index / OR_WIDTH).min(tops.len() - 1));
    if tops.len() == 1 {
        vec![group]
    } else {
        vec![group, tops]
    }
}

/// Which branch a holder's chip takes for an approver: its index in `branches`, and whether it is holder-bound
/// (PolicySecret follows PolicyAuthorize) or a branch of a key made before policies named holders.
pub fn find_branch(
    branches: &[Vec<u8>],
    holder_name: &[u8],
    approver_name: &[u8],
) -> Option<(usize, bool)> {
    let position = |wanted: Vec<u8>| branches.iter().position(|b| *b == wanted);
    position(branch(holder_name, approver_name))
        .map(|i| (i, true))
        .or_else(|| position(authorize_branch(approver_name)).map(|i| (i, false)))
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

    fn party(name: &str, tpm: bool) -> Party {
        Party {
            approver_name: tpm_name(format!("{name} signing").as_bytes()),
            holder_name: tpm.then(|| tpm_name(format!("{name} storage").as_bytes())),
        }
    }

    #[test]
    fn every_branch_pairs_a_holder_with_another_device() {
        let parties = [
            party("desktop", true),
            party("laptop", true),
            party("sheet", false),
        ];
        let all = branches(&parties).unwrap();
        assert_eq!(all.len(), 4, "two holders, each with the two other devices");
        let (desktop, laptop, sheet) = (&parties[0], &parties[1], &parties[2]);
        let h = |p: &Party| p.holder_name.clone().unwrap();
        for (holder, approver) in [
            (desktop, laptop),
            (desktop, sheet),
            (laptop, desktop),
            (laptop, sheet),
        ] {
            assert!(all.contains(&branch(&h(holder), &approver.approver_name)));
        }
        for own in [desktop, laptop] {
            assert_eq!(
                find_branch(&all, &h(own), &own.approver_name),
                None,
                "no device approves its own copies"
            );
        }
        assert_eq!(
            find_branch(&all, &h(laptop), &sheet.approver_name),
            Some((3, true))
        );
    }

    #[test]
    fn one_pair_gives_two_equal_branches_and_no_pair_is_refused() {
        let one = branches(&[party("desktop", true), party("sheet", false)]).unwrap();
        assert_eq!(one.len(), 2);
        assert_eq!(one[0], one[1]);
        assert!(branches(&[party("desktop", true)]).is_err(), "no approver");
        assert!(
            branches(&[party("a", false), party("b", false)]).is_err(),
            "no holder"
        );
        let nine: Vec<Party> = (0..=MAX_PARTIES)
            .map(|i| party(&i.to_string(), true))
            .collect();
        assert!(branches(&nine).is_err());
    }

    #[test]
    fn more_than_eight_branches_are_groups_under_a_second_or() {
        let parties: Vec<Party> = (0..4).map(|i| party(&i.to_string(), true)).collect();
        let all = branches(&parties).unwrap();
        assert_eq!(all.len(), 12);
        let groups = groups(&all);
        assert_eq!((groups.len(), groups[0].len(), groups[1].len()), (2, 8, 4));
        let top = or_digest(&[or_digest(&groups[0]), or_digest(&groups[1])]);
        assert_eq!(policy_digest(&all), top);
        let mut nine = all[..9].to_vec();
        assert_eq!(
            groups_of(&nine),
            vec![8, 2],
            "a last group of one is written twice"
        );
        nine.truncate(8);
        assert_eq!(
            policy_digest(&nine),
            or_digest(&nine),
            "eight fit one PolicyOR"
        );
    }

    #[test]
    fn the_or_path_of_a_branch_ends_in_the_policy() {
        let parties: Vec<Party> = (0..4).map(|i| party(&i.to_string(), true)).collect();
        let all = branches(&parties).unwrap();
        for index in [0, 7, 8, 11] {
            let path = or_path(&all, index);
            assert!(path[0].contains(&all[index]));
            assert_eq!(or_digest(path.last().unwrap()), policy_digest(&all));
            assert!(path[1].contains(&or_digest(&path[0])));
        }
        let few = &all[..3];
        assert_eq!(or_path(few, 2), vec![few.to_vec()]);
    }

    fn groups_of(branches: &[Vec<u8>]) -> Vec<usize> {
        groups(branches).iter().map(Vec::len).collect()
    }

    #[test]
    fn keys_made_before_holders_were_named_keep_their_policy() {
        let (a, b) = (tpm_name(b"a"), tpm_name(b"b"));
        let old = vec![authorize_branch(&a), authorize_branch(&b)];
        assert_eq!(policy_digest(&old), or_digest(&old));
        assert_eq!(
            find_branch(&old, &tpm_name(b"holder"), &b),
            Some((1, false))
        );
    }

    #[test]
    fn every_digest_depends_on_what_it_names() {
        let (a, b) = (tpm_name(b"a"), tpm_name(b"b"));
        assert_eq!(a.len(), 2 + DIGEST_LEN);
        assert_ne!(authorize_branch(&a), authorize_branch(&b));
        assert_ne!(branch(&a, &b), branch(&b, &a));
        assert_ne!(approved_duplication(&a, &b), approved_duplication(&b, &a));
        let ab = vec![authorize_branch(&a), authorize_branch(&b)];
        let ba = vec![authorize_branch(&b), authorize_branch(&a)];
        assert_ne!(
            policy_digest(&ab),
            policy_digest(&ba),
            "PolicyOR is ordered"
        );
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
