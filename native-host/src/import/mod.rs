//! "Arrive with your passkeys": passkeys exported by another manager in the Credential Exchange Format (CXF 1.0)
//! become vault passkeys here, the ones the person picks. The CLI (`keyplace-host import`) and the popup (the host
//! method `import`) both come through `inspect` and `import`.
//!
//! An imported passkey is a vault passkey that remembers where it came from: BE=1 and BS=1 (it was synced, and the
//! exporter may still hold it), its counter 0 and kept there (metadata::next_sign_count), and "imported from
//! <exporter>" in its record. Only P-256 (ES256) keys can go to the vault; every other passkey is listed with its
//! reason and left where it is. One run imports all it can of what was picked, or nothing (one transaction).
//! Keyplace exports nothing in CXF: vault passkeys leave only as approved copies (ARCHITECTURE.md rule 10).

pub mod cxf;
mod key;

use crate::metadata::{now_ms, CredentialRecord, Metadata, MetadataError};
use crate::protocol::StoreId;
use crate::stores::vault::{Vault, VAULT_AAGUID};
use crate::stores::vault_transfer::seal_scalar;
use crate::stores::{KeyStore, Purpose, StoreError};

pub use cxf::{CxfError, PasskeyProblem, MAX_EXPORT_BYTES};
pub use key::KeyProblem;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] CxfError),
    #[error("no passkey was chosen to import")]
    NothingChosen,
    #[error("the file has no passkey with the id {0}")]
    NotInFile(String),
    #[error("the passkey {0} came into Keyplace while importing (another browser?); nothing was imported, try again")]
    Raced(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Metadata(#[from] MetadataError),
}

/// What happens (or happened) to one passkey of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// It can be imported.
    Ready,
    /// It was imported by this run.
    Imported,
    /// It could have been imported but was not chosen.
    NotChosen,
    /// Keyplace has a passkey with this credential id already.
    AlreadyHere,
    /// It cannot go to the vault, and why.
    CannotImport(String),
}

/// One passkey of the file, as the person sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeyReport {
    pub credential_id: Vec<u8>,
    pub rp_id: String,
    pub user_name: String,
    pub user_display_name: String,
    /// The account in the exporting manager it belongs to.
    pub account: String,
    pub status: Status,
}

/// A file's passkeys (in its order), and who exported them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    pub exporter: String,
    pub passkeys: Vec<PasskeyReport>,
}

impl ImportReport {
    pub fn count(&self, status: &Status) -> usize {
        self.passkeys.iter().filter(|p| &p.status == status).count()
    }
}

/// What the file holds and what could be imported, without a PIN.
pub fn inspect(metadata: &Metadata, text: &str) -> Result<ImportReport, ImportError> {
    let export = cxf::read_export(text)?;
    let passkeys = statuses(metadata, &export)?
        .into_iter()
        .zip(&export.passkeys)
        .map(|(status, passkey)| report(passkey, status))
        .collect();
    Ok(ImportReport {
        exporter: export.exporter,
        passkeys,
    })
}

/// Imports the passkeys of `text` whose credential ids are in `chosen`, into the vault unlocked with `pin` (which
/// sets the vault's PIN if it has none yet, as a first passkey does).
pub fn import(
    metadata: &Metadata,
    vault: &Vault,
    text: &str,
    chosen: &[Vec<u8>],
    pin: &str,
) -> Result<ImportReport, ImportError> {
    if chosen.is_empty() {
        return Err(ImportError::NothingChosen);
    }
    let export = cxf::read_export(text)?;
    if let Some(unknown) = chosen
        .iter()
        .find(|id| !export.passkeys.iter().any(|p| &p.credential_id == *id))
    {
        return Err(ImportError::NotInFile(keyplace_core::bytes::b64u_encode(
            unknown,
        )));
    }
    let mut statuses = statuses(metadata, &export)?;
    for (status, passkey) in statuses.iter_mut().zip(&export.passkeys) {
        if *status == Status::Ready && !chosen.contains(&passkey.credential_id) {
            *status = Status::NotChosen;
        }
    }
    let ready: Vec<usize> = (0..statuses.len())
        .filter(|&i| statuses[i] == Status::Ready)
        .collect();
    if !ready.is_empty() {
        let authorization = vault.authorize(Some(pin), true, Purpose::Create)?;
        let created_at = now_ms();
        let mut records = Vec::with_capacity(ready.len());
        for &i in &ready {
            let passkey = &export.passkeys[i];
            let Ok(scalar) = &passkey.key else {
                continue; // Ready only with a key
            };
            let sealed = seal_scalar(&authorization, &passkey.credential_id, scalar.as_slice())?;
            records.push(CredentialRecord {
                credential_id: passkey.credential_id.clone(),
                rp_id: passkey.rp_id.clone(),
                user_id: passkey.user_handle.clone(),
                user_name: passkey.user_name.clone(),
                user_display_name: passkey.user_display_name.clone(),
                store: StoreId::Vault,
                aaguid: VAULT_AAGUID.to_owned(),
                key_blob: sealed.key_blob,
                public_key: sealed.public_key,
                sign_count: 0,
                created_at,
                last_used_at: None,
                // It was synced, and the manager it came from may still hold it: BS=1 from the start.
                backup_eligible: true,
                backup_state: true,
                // A CXF passkey is a discoverable credential.
                resident_key: true,
            });
        }
        if let Some(id) = metadata.import_credentials(&records, &export.exporter)? {
            return Err(ImportError::Raced(keyplace_core::bytes::b64u_encode(&id)));
        }
        for i in ready {
            statuses[i] = Status::Imported;
        }
    }
    let passkeys = statuses
        .into_iter()
        .zip(&export.passkeys)
        .map(|(status, passkey)| report(passkey, status))
        .collect();
    Ok(ImportReport {
        exporter: export.exporter,
        passkeys,
    })
}

/// Each passkey's status before anything is chosen: its problem, Keyplace has it, or ready.
fn statuses(metadata: &Metadata, export: &cxf::Export) -> Result<Vec<Status>, MetadataError> {
    let ids: Vec<Vec<u8>> = export
        .passkeys
        .iter()
        .map(|p| p.credential_id.clone())
        .collect();
    let here = metadata.listed_by_ids(&ids)?;
    Ok(export
        .passkeys
        .iter()
        .enumerate()
        .map(|(i, passkey)| match &passkey.key {
            Err(problem) => Status::CannotImport(problem.to_string()),
            Ok(_)
                if here
                    .iter()
                    .any(|c| c.credential_id == passkey.credential_id) =>
            {
                Status::AlreadyHere
            }
            Ok(_) if ids[..i].contains(&passkey.credential_id) => {
                Status::CannotImport("the file has it twice; the first one is used".into())
            }
            Ok(_) => Status::Ready,
        })
        .collect())
}

fn report(passkey: &cxf::ExportedPasskey, status: Status) -> PasskeyReport {
    PasskeyReport {
        credential_id: passkey.credential_id.clone(),
        rp_id: passkey.rp_id.clone(),
        user_name: passkey.user_name.clone(),
        user_display_name: passkey.user_display_name.clone(),
        account: passkey.account.clone(),
        status,
    }
}
