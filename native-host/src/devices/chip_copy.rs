//! Copies of chip-held vault passkeys (ARCHITECTURE.md rule 10, enforced by the TPM). Such a passkey's key is
//! inside the source's TPM, which duplicates it only to an enrolled device's storage key and only with a
//! signature of another device named when the key was made (stores/tpm/duplication.rs). So the flow has one more
//! leg than a software copy: the approver signs, besides the request, PolicyDuplicationSelect(key, target's
//! storage key) for each such passkey; the approval goes back to the source, whose chip makes the duplicates
//! (`release_copy`); the target imports the package (its chip unwraps the duplicate, its vault seals the seed).

use super::errors::DeviceError;
use super::keys::{kem_public_key, seal_to, DeviceKeys};
use super::ring::Ring;
use super::wire::{
    parse_file, ChipDuplicate, CopiedPasskey, CopyApprovalFile, CopyBody, CopyPackageFile,
    DuplicationApproval, COPY_APPROVAL_KIND, COPY_PACKAGE_KIND, PACKAGE_CONTEXT,
};
use super::{to_json_pretty, Devices};
use crate::protocol::B64u;
use crate::stores::copy_policy::{approved_duplication, public_area_holds, tpm_name};
use crate::stores::vault_chip::{ChipBlob, Duplicated};
use crate::stores::{Authorization, StoreError};

/// A released copy: the package to carry to the target, and what it holds.
#[derive(Clone, Debug)]
pub struct ReleasedCopy {
    pub file: String,
    pub target: String,
    /// (site, account) of each passkey.
    pub passkeys: Vec<(String, String)>,
}

/// The approver's signatures for the chip-held passkeys of `body`: one per passkey, over the duplication of exactly
/// that key (its public area, checked to hold the passkey's public key) to exactly the target's storage key.
pub(super) fn approve_duplications(
    ring: &Ring,
    body: &CopyBody,
    keys: &DeviceKeys,
) -> Result<Vec<DuplicationApproval>, DeviceError> {
    let mut approvals = Vec::new();
    for passkey in &body.passkeys {
        let Some(chip) = &passkey.chip else { continue };
        let target = ring.device(&body.target.0).ok_or_else(|| {
            DeviceError::malformed("copy request", "its target is not in the ring")
        })?;
        let storage_key =
            target
                .card
                .storage_key
                .as_ref()
                .ok_or_else(|| DeviceError::TargetHasNoTpm {
                    site: passkey.rp_id.clone(),
                    target: target.card.name.clone(),
                })?;
        if !public_area_holds(&chip.public_area.0, &passkey.public_key.0) {
            return Err(DeviceError::malformed(
                "copy request",
                "a chip-held key is not the passkey's key",
            ));
        }
        let approved =
            approved_duplication(&tpm_name(&chip.public_area.0), &tpm_name(&storage_key.0));
        approvals.push(DuplicationApproval {
            credential_id: passkey.credential_id.clone(),
            signature: B64u(keys.sign_for_chip(&approved)?),
        });
    }
    Ok(approvals)
}

/// HPKE's associated data for a package's inner keys: they open only for this request, source and target.
pub(super) fn package_aad(body: &CopyBody) -> Vec<u8> {
    [
        PACKAGE_CONTEXT,
        &body.request_id.0,
        &body.source.0,
        &body.target.0,
    ]
    .concat()
}

/// The inner wrapper keys, each prefixed by its length, in the order of the package's duplicates.
fn join_inner_keys(keys: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for key in keys {
        out.push(key.len() as u8);
        out.extend_from_slice(key);
    }
    out
}

pub(super) fn split_inner_keys(mut bytes: &[u8]) -> Result<Vec<Vec<u8>>, DeviceError> {
    let mut keys = Vec::new();
    while let Some((&len, rest)) = bytes.split_first() {
        let len = usize::from(len);
        if rest.len() < len {
            return Err(DeviceError::Undecryptable);
        }
        keys.push(rest[..len].to_vec());
        bytes = &rest[len..];
    }
    Ok(keys)
}

pub(super) fn parse_package(text: &str) -> Result<CopyPackageFile, DeviceError> {
    parse_file(
        text,
        "copy package",
        COPY_PACKAGE_KIND,
        |f: &CopyPackageFile| &f.keyplace,
    )
}

impl Devices {
    /// On the source, with an approval of a copy of chip-held passkeys: this computer's TPM duplicates each one to
    /// the target's storage key, checking the approver's signature itself. No PIN: the chip needs none to
    /// duplicate (only the policy), and what leaves is useful to the target's TPM alone.
    pub fn release_copy(&self, approval_text: &str) -> Result<ReleasedCopy, DeviceError> {
        let file: CopyApprovalFile = parse_file(
            approval_text,
            "copy approval",
            COPY_APPROVAL_KIND,
            |f: &CopyApprovalFile| &f.keyplace,
        )?;
        let request = file.request.clone().ok_or(DeviceError::NothingToRelease)?;
        let (record, ring) = self.enrolled()?;
        let ring = self.learn(ring, &file.ring)?;
        let checked = super::copy::check_request(&ring, &request)?;
        let body = &checked.body;
        if body.source.0 != record.device_id {
            return Err(DeviceError::NotTheSource(super::copy::name_in(
                &ring,
                &body.source.0,
            )));
        }
        let approver_id = super::copy::check_approval(&ring, &checked, Some(&file.approval))?;
        let approval: super::wire::ApprovalBody = file.approval.parse_body("copy approval")?;
        let approver = ring.device(&approver_id).expect("checked above");
        let target = ring.device(&body.target.0).expect("checked above");
        let storage_key =
            target
                .card
                .storage_key
                .clone()
                .ok_or_else(|| DeviceError::TargetHasNoTpm {
                    site: String::new(),
                    target: target.card.name.clone(),
                })?;
        let mut duplicates = Vec::new();
        let mut inner_keys = Vec::new();
        for passkey in body.passkeys.iter().filter(|p| p.chip.is_some()) {
            let signature = approval
                .duplications
                .iter()
                .find(|d| d.credential_id == passkey.credential_id)
                .ok_or(DeviceError::Unapproved)?;
            let credential = self
                .metadata
                .credential(&passkey.credential_id.0)?
                .ok_or_else(|| {
                    DeviceError::UnknownPasskey(B64u::encode(&passkey.credential_id.0))
                })?;
            let parts = ChipBlob::decode(&credential.key_blob)?;
            self.check_approver_named(&ring, &parts.branches, &approver.card, &passkey.rp_id)?;
            let duplicated = self.duplicate(
                parts.tpm_blob,
                &parts.branches,
                &storage_key.0,
                &approver.card.signing_key.0,
                &signature.signature.0,
            )?;
            inner_keys.push(duplicated.inner_key);
            duplicates.push(ChipDuplicate {
                credential_id: passkey.credential_id.clone(),
                duplicate: B64u(duplicated.duplicate),
                seed: B64u(duplicated.seed),
            });
        }
        if duplicates.is_empty() {
            return Err(DeviceError::NothingToRelease);
        }
        let (enc, ciphertext) = seal_to(
            &kem_public_key(&target.card.kem_key.0)?,
            &join_inner_keys(&inner_keys),
            &package_aad(body),
        )?;
        let file = to_json_pretty(&CopyPackageFile {
            keyplace: COPY_PACKAGE_KIND.into(),
            request,
            approval: file.approval,
            ring: ring.changes.clone(),
            duplicates,
            enc: B64u(enc),
            ciphertext: B64u(ciphertext),
        })?;
        Ok(ReleasedCopy {
            file,
            target: target.card.name.clone(),
            passkeys: body
                .passkeys
                .iter()
                .map(|p| (p.rp_id.clone(), p.user_name.clone()))
                .collect(),
        })
    }

    /// Refuses, in words, an approver the key's policy does not pair with this computer as holder (a device
    /// enrolled after the key was made, or this computer itself when it holds a copy): the chip would refuse it
    /// too, with a bare error code.
    #[cfg(target_os = "linux")]
    fn check_approver_named(
        &self,
        ring: &Ring,
        branches: &[Vec<u8>],
        approver: &super::wire::DeviceCard,
        site: &str,
    ) -> Result<(), DeviceError> {
        use crate::stores::copy_policy::find_branch;
        use crate::stores::tpm::approver_name;
        let holder = tpm_name(&self.tpm()?.storage_key_public()?);
        let named = |sec1: &[u8]| {
            approver_name(sec1).is_ok_and(|n| find_branch(branches, &holder, &n).is_some())
        };
        if named(&approver.signing_key.0) {
            return Ok(());
        }
        let allowed: Vec<String> = ring
            .devices
            .iter()
            .filter(|m| m.enrolled() && named(&m.card.signing_key.0))
            .map(|m| m.card.name.clone())
            .collect();
        Err(DeviceError::NotAnApproverOfThisKey {
            approver: approver.name.clone(),
            site: site.to_owned(),
            allowed: allowed.join(", "),
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn check_approver_named(
        &self,
        _: &Ring,
        _: &[Vec<u8>],
        _: &super::wire::DeviceCard,
        _: &str,
    ) -> Result<(), DeviceError> {
        Ok(())
    }

    /// TPM2_Duplicate by this computer's chip (tpm/vault_keys.rs).
    #[cfg(target_os = "linux")]
    fn duplicate(
        &self,
        tpm_blob: &[u8],
        branches: &[Vec<u8>],
        new_parent: &[u8],
        approver: &[u8],
        approval: &[u8],
    ) -> Result<Duplicated, DeviceError> {
        Ok(self
            .tpm()?
            .duplicate_copyable(tpm_blob, branches, new_parent, approver, approval)?)
    }

    #[cfg(not(target_os = "linux"))]
    fn duplicate(
        &self,
        _: &[u8],
        _: &[Vec<u8>],
        _: &[u8],
        _: &[u8],
        _: &[u8],
    ) -> Result<Duplicated, DeviceError> {
        Err(no_tpm())
    }

    #[cfg(target_os = "linux")]
    pub(super) fn tpm(&self) -> Result<crate::stores::tpm::TpmStore, DeviceError> {
        let tcti = self.tcti.clone().ok_or_else(no_tpm)?;
        Ok(crate::stores::tpm::TpmStore::new(tcti))
    }

    /// Imports one chip-held passkey of a package: this computer's TPM unwraps the duplicate under its storage key,
    /// and the vault seals the passkey's seed: the key blob for the new record.
    #[cfg(target_os = "linux")]
    pub(super) fn import_chip_key(
        &self,
        authorization: &Authorization,
        passkey: &CopiedPasskey,
        seed: &[u8],
        package: &CopyPackageFile,
        inner_keys: &[Vec<u8>],
    ) -> Result<Vec<u8>, DeviceError> {
        let chip = passkey.chip.as_ref().expect("a chip-held passkey");
        let index = package
            .duplicates
            .iter()
            .position(|d| d.credential_id == passkey.credential_id)
            .ok_or_else(|| {
                DeviceError::malformed("copy package", "a passkey's duplicate is missing")
            })?;
        let duplicate = &package.duplicates[index];
        let inner_key = inner_keys.get(index).ok_or(DeviceError::Undecryptable)?;
        if !public_area_holds(&chip.public_area.0, &passkey.public_key.0) {
            return Err(DeviceError::malformed(
                "copy package",
                "a chip-held key is not the passkey's key",
            ));
        }
        let branches: Vec<Vec<u8>> = chip.branches.iter().map(|b| b.0.clone()).collect();
        let tpm_blob = self.tpm()?.import_copyable(
            &chip.public_area.0,
            &branches,
            &Duplicated {
                inner_key: inner_key.clone(),
                duplicate: duplicate.duplicate.0.clone(),
                seed: duplicate.seed.0.clone(),
            },
        )?;
        Ok(crate::stores::vault_chip::seal_chip_key(
            authorization,
            &passkey.credential_id.0,
            seed,
            &branches,
            &tpm_blob,
        )?)
    }

    #[cfg(not(target_os = "linux"))]
    pub(super) fn import_chip_key(
        &self,
        _: &Authorization,
        _: &CopiedPasskey,
        _: &[u8],
        _: &CopyPackageFile,
        _: &[Vec<u8>],
    ) -> Result<Vec<u8>, DeviceError> {
        Err(no_tpm())
    }
}

fn no_tpm() -> DeviceError {
    DeviceError::Store(StoreError::Unavailable(
        "This copy holds passkeys kept by a TPM, and Keyplace cannot use this computer's TPM."
            .into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_keys_round_trip_and_a_cut_list_is_refused() {
        let keys = vec![vec![1u8; 16], vec![], vec![2u8; 16]];
        let joined = join_inner_keys(&keys);
        assert_eq!(split_inner_keys(&joined).unwrap(), keys);
        assert!(matches!(
            split_inner_keys(&joined[..joined.len() - 1]),
            Err(DeviceError::Undecryptable)
        ));
    }
}
