//! `import`: passkeys from another manager's Credential Exchange Format export, for the popup (src/import/ does the
//! work, the same as `keyplace-host import`).

use super::{errors, Service, LIST_PAGE_BYTES};
use crate::import::{self, ImportReport, Status};
use crate::protocol::{
    B64u, ErrorBody, ImportAnswer, ImportParams, ImportPasskeyRow, ImportStatus,
};

/// The most passkeys one `import` may choose (a whole manager's worth; each is one lookup and one seal).
pub const MAX_IMPORT_CHOSEN: usize = 5_000;

impl Service {
    pub(super) fn import(&self, params: ImportParams) -> Result<ImportAnswer, ErrorBody> {
        let report = match params {
            ImportParams::Inspect { file } => import::inspect(&self.metadata, file.as_str())?,
            ImportParams::Import {
                file,
                credential_ids,
                pin,
            } => {
                if credential_ids.len() > MAX_IMPORT_CHOSEN {
                    return Err(errors::too_many_credential_ids(
                        "credential_ids",
                        credential_ids.len(),
                        MAX_IMPORT_CHOSEN,
                    ));
                }
                let chosen: Vec<Vec<u8>> = credential_ids.into_iter().map(|id| id.0).collect();
                import::import(
                    &self.metadata,
                    &self.vault,
                    file.as_str(),
                    &chosen,
                    pin.as_str(),
                )?
            }
        };
        let answer = answer(report);
        // The browser takes at most 1 MiB from the host: a file of thousands of passkeys is for the CLI.
        let size = serde_json::to_string(&answer)
            .map_err(errors::answer_not_serializable)?
            .len();
        if size > LIST_PAGE_BYTES {
            return Err(errors::import_too_large_for_the_popup(
                answer.passkeys.len(),
            ));
        }
        Ok(answer)
    }
}

fn answer(report: ImportReport) -> ImportAnswer {
    let imported = report.count(&Status::Imported) as u32;
    let passkeys = report
        .passkeys
        .into_iter()
        .map(|p| {
            let (status, reason) = match p.status {
                Status::Ready => (ImportStatus::Ready, None),
                Status::Imported => (ImportStatus::Imported, None),
                Status::NotChosen => (ImportStatus::NotChosen, None),
                Status::AlreadyHere => (ImportStatus::AlreadyHere, None),
                Status::CannotImport(reason) => (ImportStatus::CannotImport, Some(reason)),
            };
            ImportPasskeyRow {
                credential_id: B64u(p.credential_id),
                rp_id: p.rp_id,
                user_name: p.user_name,
                user_display_name: p.user_display_name,
                account: p.account,
                status,
                reason,
            }
        })
        .collect();
    ImportAnswer {
        exporter: report.exporter,
        passkeys,
        imported,
    }
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
