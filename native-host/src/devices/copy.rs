//! Copies of vault passkeys (ARCHITECTURE.md rule 10). The source encrypts the chosen passkeys' private keys to
//! the target's device key (HPKE) and signs the request; a device other than the source approves it by signing the
//! request's hash; the target imports only a request addressed to it, approved by another enrolled device, once.
//! Every device reads the others' rings from the files, so a removal made anywhere refuses later imports.

use zeroize::Zeroizing;

use super::chip_copy::{approve_duplications, package_aad, parse_package, split_inner_keys};
use super::errors::DeviceError;
use super::keys::{kem_public_key, seal_to, verifying_key, DeviceKeys};
use super::ring::Ring;
use super::wire::{
    parse_file, short_code, short_id, ApprovalBody, ChipKey, CopiedPasskey, CopyApprovalFile,
    CopyBody, CopyRequestFile, Signed, APPROVAL_CONTEXT, COPY_APPROVAL_KIND, COPY_CONTEXT,
    COPY_PACKAGE_KIND, COPY_REQUEST_KIND,
};
use super::{find, to_json, to_json_pretty, Devices};
use crate::metadata::{now_ms, CopyLogRow, CredentialRecord, ImportOutcome};
use crate::protocol::{B64u, StoreId};
use crate::stores::vault::VAULT_AAGUID;
use crate::stores::vault_chip::{is_chip_blob, public_area_of, ChipBlob};
use crate::stores::vault_transfer::{open_scalar, seal_scalar};

const SCALAR_LEN: usize = 32;
pub const ROLE_REQUESTED: &str = "requested";
pub const ROLE_APPROVED: &str = "approved";
pub const ROLE_IMPORTED: &str = "imported";

/// A copy request made on the source: the file to carry, and the code the approving device will show.
#[derive(Clone, Debug)]
pub struct CopyRequestOut {
    pub file: String,
    pub short_code: String,
}

/// Which file of a copy the person brought.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyFileKind {
    /// The source's request: to approve on another device, or (software passkeys) to import with an approval.
    Request,
    /// An approval of chip-held passkeys, back at the source to be released.
    Approval,
    /// The source's released copy: to import on the target.
    Package,
}

/// What a copy request says, as the approving device shows it before it asks for the PIN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopySummary {
    pub kind: CopyFileKind,
    pub source: String,
    pub target: String,
    /// Who approved it (an approval or a package).
    pub approver: Option<String>,
    /// (site, account) of each passkey.
    pub passkeys: Vec<(String, String)>,
    pub short_code: String,
    /// Some passkeys are held by the source's TPM: after approval, the source releases them (chip_copy.rs).
    pub chip_held: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedPasskey {
    pub credential_id: Vec<u8>,
    pub rp_id: String,
    pub user_name: String,
}

/// One line of `copy log`, with device names as the ring knows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyLogEntry {
    pub role: String,
    pub rp_id: String,
    pub user_name: String,
    pub credential_id: Vec<u8>,
    pub source: String,
    pub target: String,
    pub approver: Option<String>,
    pub at: i64,
}

/// A request checked against a ring: its body and the request's hash.
pub(super) struct CheckedRequest {
    pub(super) body: CopyBody,
    pub(super) hash: Vec<u8>,
}

impl Devices {
    /// Encrypts the chosen vault passkeys to `target` (an enrolled device) and signs the request. The passkeys' BS
    /// flag becomes 1 now: their private keys have left in a request, so a copy may exist from here on.
    pub fn request_copy(
        &self,
        target: &str,
        credential_ids: &[Vec<u8>],
        pin: &str,
    ) -> Result<CopyRequestOut, DeviceError> {
        if credential_ids.is_empty() {
            return Err(DeviceError::NothingToCopy);
        }
        let (record, ring) = self.enrolled()?;
        let target = find(&ring, target)?.clone();
        if target.id() == record.device_id {
            return Err(DeviceError::CopyToSelf);
        }
        let mut credentials = Vec::with_capacity(credential_ids.len());
        for id in credential_ids {
            let credential = self
                .metadata
                .credential(id)?
                .ok_or_else(|| DeviceError::UnknownPasskey(B64u::encode(id)))?;
            if credential.store != StoreId::Vault {
                return Err(DeviceError::NotCopyable(credential.rp_id));
            }
            credentials.push(credential);
        }
        let authorization = self.authorize(pin)?;
        let keys = self.open_keys(record, &authorization, pin)?;
        // Each passkey's secret: a software key's scalar, or a chip-held key's seed (its key follows as the chip's
        // duplicate once approved: chip_copy.rs).
        let mut scalars = Zeroizing::new(Vec::with_capacity(credentials.len() * SCALAR_LEN));
        let mut passkeys = Vec::with_capacity(credentials.len());
        for credential in &credentials {
            let mut passkey = copied(credential);
            if is_chip_blob(&credential.key_blob) {
                if target.card.storage_key.is_none() {
                    return Err(DeviceError::TargetHasNoTpm {
                        site: credential.rp_id.clone(),
                        target: target.card.name.clone(),
                    });
                }
                let parts = ChipBlob::decode(&credential.key_blob)?;
                let seed = parts.seed(&authorization, &credential.credential_id)?;
                scalars.extend_from_slice(&seed[..]);
                passkey.chip = Some(ChipKey {
                    public_area: B64u(public_area_of(parts.tpm_blob)?.to_vec()),
                    branches: parts.branches.iter().cloned().map(B64u).collect(),
                });
            } else {
                let scalar = open_scalar(
                    &authorization,
                    &credential.credential_id,
                    &credential.key_blob,
                )?;
                scalars.extend_from_slice(scalar.as_slice());
            }
            passkeys.push(passkey);
        }
        let mut request_id = vec![0; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut request_id);
        let source = keys.record.device_id.clone();
        let aad = hpke_aad(&request_id, &source, target.id());
        let (enc, ciphertext) = seal_to(&kem_public_key(&target.card.kem_key.0)?, &scalars, &aad)?;
        let body = CopyBody {
            request_id: B64u(request_id.clone()),
            ring: B64u(ring.id.clone()),
            source: B64u(source.clone()),
            target: target.card.id.clone(),
            at: now_ms(),
            passkeys,
            enc: B64u(enc),
            ciphertext: B64u(ciphertext),
        };
        let request = keys.sign(COPY_CONTEXT, to_json(&body)?)?;
        let code = short_code(&request.hash(COPY_CONTEXT));
        let log: Vec<CopyLogRow> = credentials
            .iter()
            .map(|c| {
                log_row(
                    &body,
                    c.credential_id.clone(),
                    &c.rp_id,
                    &c.user_name,
                    ROLE_REQUESTED,
                    None,
                )
            })
            .collect();
        self.metadata.mark_backed_up(credential_ids)?;
        self.metadata.log_copies(&log)?;
        Ok(CopyRequestOut {
            file: to_json_pretty(&CopyRequestFile {
                keyplace: COPY_REQUEST_KIND.into(),
                request,
                ring: ring.changes,
            })?,
            short_code: code,
        })
    }

    /// What a copy request asks, checked against this device's ring (brought up to date from the file's). Also
    /// takes an approval that carries its request (chip-held passkeys, on their way back to the source) and a copy
    /// package, so the person sees what they hold before releasing or importing them.
    pub fn inspect_copy(&self, text: &str) -> Result<CopySummary, DeviceError> {
        let (kind, request, rings, approval) = match file_kind(text).as_deref() {
            Some(COPY_PACKAGE_KIND) => {
                let package = parse_package(text)?;
                (
                    CopyFileKind::Package,
                    package.request,
                    vec![package.ring],
                    Some(package.approval),
                )
            }
            Some(COPY_APPROVAL_KIND) => {
                let file = parse_approval(text)?;
                let request = file.request.ok_or(DeviceError::NothingToRelease)?;
                (
                    CopyFileKind::Approval,
                    request,
                    vec![file.ring],
                    Some(file.approval),
                )
            }
            _ => {
                let file = parse_request(text)?;
                (CopyFileKind::Request, file.request, vec![file.ring], None)
            }
        };
        let (_, mut ring) = self.enrolled()?;
        for changes in &rings {
            ring = self.learn(ring, changes)?;
        }
        let checked = check_request(&ring, &request)?;
        let approver = approval
            .map(|approval| check_approval(&ring, &checked, Some(&approval)))
            .transpose()?;
        Ok(CopySummary {
            kind,
            source: name_in(&ring, &checked.body.source.0),
            target: name_in(&ring, &checked.body.target.0),
            approver: approver.map(|id| name_in(&ring, &id)),
            passkeys: checked
                .body
                .passkeys
                .iter()
                .map(|p| (p.rp_id.clone(), p.user_name.clone()))
                .collect(),
            short_code: short_code(&checked.hash),
            chip_held: checked.body.passkeys.iter().any(|p| p.chip.is_some()),
        })
    }

    /// Approves a copy request on this device (which must not be its source), with this device's PIN.
    pub fn approve_copy(&self, request_text: &str, pin: &str) -> Result<String, DeviceError> {
        self.approve_copy_as(request_text, || self.keys(pin))
    }

    /// Approves a copy request as the device whose keys `keys` opens (this one, or a recovery sheet).
    pub(super) fn approve_copy_as(
        &self,
        request_text: &str,
        keys: impl FnOnce() -> Result<DeviceKeys, DeviceError>,
    ) -> Result<String, DeviceError> {
        let file = parse_request(request_text)?;
        let (_, ring) = self.enrolled()?;
        let ring = self.learn(ring, &file.ring)?;
        let checked = check_request(&ring, &file.request)?;
        let keys = keys()?;
        let record = keys.record.clone();
        if checked.body.source.0 == record.device_id {
            return Err(DeviceError::ApprovedBySource);
        }
        if ring.enrolled(&record.device_id).is_none() {
            return Err(DeviceError::ApproverRemoved(record.name));
        }
        let duplications = approve_duplications(&ring, &checked.body, &keys)?;
        let body = ApprovalBody {
            request_id: checked.body.request_id.clone(),
            request_hash: B64u(checked.hash.clone()),
            target: checked.body.target.clone(),
            at: now_ms(),
            duplications,
        };
        let approval = keys.sign(APPROVAL_CONTEXT, to_json(&body)?)?;
        let log: Vec<CopyLogRow> = checked
            .body
            .passkeys
            .iter()
            .map(|p| {
                let approver = Some(record.device_id.clone());
                log_row(
                    &checked.body,
                    p.credential_id.0.clone(),
                    &p.rp_id,
                    &p.user_name,
                    ROLE_APPROVED,
                    approver,
                )
            })
            .collect();
        self.metadata.log_copies(&log)?;
        // With chip-held passkeys the approval goes back to the source first (its chip duplicates them), so it
        // carries the request along.
        let chip_held = checked.body.passkeys.iter().any(|p| p.chip.is_some());
        to_json_pretty(&CopyApprovalFile {
            keyplace: COPY_APPROVAL_KIND.into(),
            approval,
            ring: ring.changes,
            request: chip_held.then(|| file.request.clone()),
        })
    }

    /// Imports an approved copy into this device's vault. Refused, with the reason, when it is not approved, was
    /// approved only by its source or by a device no longer enrolled, is addressed to another device, or was
    /// imported before.
    pub fn import_copy(
        &self,
        request_text: &str,
        approval_text: Option<&str>,
        pin: &str,
    ) -> Result<Vec<ImportedPasskey>, DeviceError> {
        self.import_copy_for(request_text, approval_text, pin, None)
    }

    /// `import_copy` into this computer's vault, of a copy addressed to this computer or, with `recipient`, to
    /// that device (a recovery sheet whose keys the person typed in: recovery.rs).
    pub(super) fn import_copy_for(
        &self,
        request_text: &str,
        approval_text: Option<&str>,
        pin: &str,
        recipient: Option<&DeviceKeys>,
    ) -> Result<Vec<ImportedPasskey>, DeviceError> {
        // A copy package (chip-held passkeys, released by the source) holds its request and approval.
        let package = is_package(request_text)
            .then(|| parse_package(request_text))
            .transpose()?;
        let (file, approval) = match &package {
            Some(package) => (
                CopyRequestFile {
                    keyplace: COPY_REQUEST_KIND.into(),
                    request: package.request.clone(),
                    ring: package.ring.clone(),
                },
                Some(CopyApprovalFile {
                    keyplace: COPY_APPROVAL_KIND.into(),
                    approval: package.approval.clone(),
                    ring: Vec::new(),
                    request: None,
                }),
            ),
            None => (
                parse_request(request_text)?,
                approval_text.map(parse_approval).transpose()?,
            ),
        };
        // Learn every ring first: a removal another device made counts before anything is decided.
        let record = self.this_device()?;
        let mut ring = self.stored_ring()?.ok_or(DeviceError::NotEnrolled)?;
        ring = self.learn(ring, &file.ring)?;
        if let Some(approval) = &approval {
            ring = self.learn(ring, &approval.ring)?;
        }
        let checked = check_request(&ring, &file.request)?;
        let body = &checked.body;
        let target = recipient.map_or(&record, |keys| &keys.record);
        if body.target.0 != target.device_id {
            return Err(DeviceError::AddressedToAnotherDevice(name_in(
                &ring,
                &body.target.0,
            )));
        }
        for device in [&record, target] {
            if ring.enrolled(&device.device_id).is_none() {
                return Err(DeviceError::TargetRemoved(device.name.clone()));
            }
        }
        let approver = check_approval(&ring, &checked, approval.as_ref().map(|a| &a.approval))?;
        if package.is_none() && body.passkeys.iter().any(|p| p.chip.is_some()) {
            return Err(DeviceError::NeedsRelease(name_in(&ring, &body.source.0)));
        }
        let seen = self.metadata.copy_log()?;
        if seen
            .iter()
            .any(|row| row.role == ROLE_IMPORTED && row.request_id == body.request_id.0)
        {
            return Err(DeviceError::Replayed);
        }

        let authorization = self.authorize(pin)?;
        let own_keys;
        let keys = match recipient {
            Some(keys) => keys,
            None => {
                own_keys = self.open_keys(record, &authorization, pin)?;
                &own_keys
            }
        };
        let aad = hpke_aad(&body.request_id.0, &body.source.0, &body.target.0);
        let scalars = keys.open_sealed(&body.enc.0, &body.ciphertext.0, &aad)?;
        if scalars.len() != body.passkeys.len() * SCALAR_LEN {
            return Err(DeviceError::Undecryptable);
        }
        let inner_keys = match &package {
            Some(package) => split_inner_keys(&keys.open_sealed(
                &package.enc.0,
                &package.ciphertext.0,
                &package_aad(body),
            )?)?,
            None => Vec::new(),
        };
        let mut records = Vec::with_capacity(body.passkeys.len());
        for (passkey, scalar) in body.passkeys.iter().zip(scalars.chunks(SCALAR_LEN)) {
            let key_blob = match (&passkey.chip, &package) {
                (Some(_), Some(package)) => {
                    self.import_chip_key(&authorization, passkey, scalar, package, &inner_keys)?
                }
                _ => {
                    let sealed = seal_scalar(&authorization, &passkey.credential_id.0, scalar)?;
                    if sealed.public_key != passkey.public_key.0 {
                        return Err(DeviceError::malformed(
                            "copy request",
                            "a private key does not match its public key",
                        ));
                    }
                    sealed.key_blob
                }
            };
            records.push(CredentialRecord {
                credential_id: passkey.credential_id.0.clone(),
                rp_id: passkey.rp_id.clone(),
                user_id: passkey.user_id.0.clone(),
                user_name: passkey.user_name.clone(),
                user_display_name: passkey.user_display_name.clone(),
                store: StoreId::Vault,
                aaguid: VAULT_AAGUID.into(),
                key_blob,
                public_key: passkey.public_key.0.clone(),
                // The copy counts on from the source's count when the copy was asked for (see the README).
                sign_count: passkey.sign_count,
                created_at: now_ms(),
                last_used_at: None,
                backup_eligible: true,
                backup_state: true,
                resident_key: passkey.resident_key,
            });
        }
        let log: Vec<CopyLogRow> = body
            .passkeys
            .iter()
            .map(|p| {
                log_row(
                    body,
                    p.credential_id.0.clone(),
                    &p.rp_id,
                    &p.user_name,
                    ROLE_IMPORTED,
                    Some(approver.clone()),
                )
            })
            .collect();
        match self.metadata.import_copies(&records, &log)? {
            ImportOutcome::Imported => {}
            ImportOutcome::AlreadyImported => return Err(DeviceError::Replayed),
            ImportOutcome::AlreadyHere(id) => {
                return Err(DeviceError::AlreadyHere(B64u::encode(&id)))
            }
        }
        Ok(records
            .into_iter()
            .map(|r| ImportedPasskey {
                credential_id: r.credential_id,
                rp_id: r.rp_id,
                user_name: r.user_name,
            })
            .collect())
    }

    /// The copies this device asked for, approved or imported, oldest first.
    pub fn copy_log(&self) -> Result<Vec<CopyLogEntry>, DeviceError> {
        let ring = self.stored_ring()?;
        let name = |id: &[u8]| match &ring {
            Some(ring) => name_in(ring, id),
            None => short_id(id),
        };
        Ok(self
            .metadata
            .copy_log()?
            .into_iter()
            .map(|row| CopyLogEntry {
                source: name(&row.source),
                target: name(&row.target),
                approver: row.approver.as_deref().map(name),
                role: row.role,
                rp_id: row.rp_id,
                user_name: row.user_name,
                credential_id: row.credential_id,
                at: row.at,
            })
            .collect())
    }
}

pub(super) fn parse_request(text: &str) -> Result<CopyRequestFile, DeviceError> {
    parse_file(
        text,
        "copy request",
        COPY_REQUEST_KIND,
        |f: &CopyRequestFile| &f.keyplace,
    )
}

/// What kind of Keyplace file `text` says it is (its `keyplace` member), if it is one.
fn file_kind(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Kind {
        keyplace: String,
    }
    if text.len() > super::wire::MAX_FILE_BYTES {
        return None;
    }
    serde_json::from_str::<Kind>(text).ok().map(|k| k.keyplace)
}

/// Whether `text` is a copy package rather than a request.
fn is_package(text: &str) -> bool {
    file_kind(text).as_deref() == Some(COPY_PACKAGE_KIND)
}

fn parse_approval(text: &str) -> Result<CopyApprovalFile, DeviceError> {
    parse_file(
        text,
        "copy approval",
        COPY_APPROVAL_KIND,
        |f: &CopyApprovalFile| &f.keyplace,
    )
}

pub(super) fn name_in(ring: &Ring, id: &[u8]) -> String {
    ring.device(id)
        .map(|m| m.card.name.clone())
        .unwrap_or_else(|| short_id(id))
}

/// The request's body if its source is enrolled and signed it, for this ring, to an enrolled target.
pub(super) fn check_request(ring: &Ring, request: &Signed) -> Result<CheckedRequest, DeviceError> {
    let body: CopyBody = request.parse_body("copy request")?;
    if body.ring.0 != ring.id {
        return Err(DeviceError::OtherRing);
    }
    if request.signer != body.source {
        return Err(DeviceError::BadSignature("copy request"));
    }
    let source = ring
        .device(&body.source.0)
        .ok_or(DeviceError::BadSignature(
            "copy request (from a device not in the ring)",
        ))?;
    request.verify(
        COPY_CONTEXT,
        &verifying_key(&source.card.signing_key.0)?,
        "copy request",
    )?;
    if !source.enrolled() {
        return Err(DeviceError::SourceRemoved(source.card.name.clone()));
    }
    match ring.device(&body.target.0) {
        None => {
            return Err(DeviceError::malformed(
                "copy request",
                "its target is not in the ring",
            ))
        }
        Some(target) if !target.enrolled() => {
            return Err(DeviceError::TargetRemoved(target.card.name.clone()))
        }
        Some(_) => {}
    }
    if body.passkeys.is_empty() {
        return Err(DeviceError::NothingToCopy);
    }
    Ok(CheckedRequest {
        hash: request.hash(COPY_CONTEXT),
        body,
    })
}

/// The approver's id, if `approval` is a signature over this request by an enrolled device other than the source.
pub(super) fn check_approval(
    ring: &Ring,
    request: &CheckedRequest,
    approval: Option<&Signed>,
) -> Result<Vec<u8>, DeviceError> {
    let approval = approval.ok_or(DeviceError::Unapproved)?;
    let body: ApprovalBody = approval.parse_body("copy approval")?;
    if body.request_hash.0 != request.hash
        || body.request_id != request.body.request_id
        || body.target != request.body.target
    {
        return Err(DeviceError::ApprovalForAnotherRequest);
    }
    if approval.signer == request.body.source {
        return Err(DeviceError::ApprovedBySource);
    }
    let approver = ring
        .device(&approval.signer.0)
        .ok_or(DeviceError::BadSignature(
            "copy approval (from a device not in the ring)",
        ))?;
    approval.verify(
        APPROVAL_CONTEXT,
        &verifying_key(&approver.card.signing_key.0)?,
        "copy approval",
    )?;
    if !approver.enrolled() {
        return Err(DeviceError::ApproverRemoved(approver.card.name.clone()));
    }
    Ok(approval.signer.0.clone())
}

/// HPKE's associated data: the ciphertext opens only for this request, from this source, at this target.
fn hpke_aad(request_id: &[u8], source: &[u8], target: &[u8]) -> Vec<u8> {
    [COPY_CONTEXT, request_id, source, target].concat()
}

fn copied(credential: &CredentialRecord) -> CopiedPasskey {
    CopiedPasskey {
        credential_id: B64u(credential.credential_id.clone()),
        rp_id: credential.rp_id.clone(),
        user_id: B64u(credential.user_id.clone()),
        user_name: credential.user_name.clone(),
        user_display_name: credential.user_display_name.clone(),
        public_key: B64u(credential.public_key.clone()),
        sign_count: credential.sign_count,
        created_at: credential.created_at,
        resident_key: credential.resident_key,
        chip: None,
    }
}

fn log_row(
    body: &CopyBody,
    credential_id: Vec<u8>,
    rp_id: &str,
    user_name: &str,
    role: &str,
    approver: Option<Vec<u8>>,
) -> CopyLogRow {
    CopyLogRow {
        request_id: body.request_id.0.clone(),
        role: role.into(),
        credential_id,
        rp_id: rp_id.into(),
        user_name: user_name.into(),
        source: body.source.0.clone(),
        target: body.target.0.clone(),
        approver,
        at: now_ms(),
    }
}
