//! Reading a Credential Exchange Format export (FIDO Alliance CXF 1.0, the unencrypted JSON `Header` another manager
//! writes) with the `credential-exchange-format` crate: who exported it, and every passkey in it with its P-256 key
//! or the reason it cannot go to the vault. Other kinds of credentials (passwords, notes, cards…) are not read.
//!
//! A file that is not CXF 1.x is a typed error; one bad passkey is not: it is listed with its problem and the others
//! still come.

use credential_exchange_format::{Credential, Header, PasskeyCredential};
use serde::Deserialize;
use zeroize::Zeroize;

use super::key::{p256_scalar, KeyProblem, Scalar};

/// The largest export read (CXF with thousands of passwords and notes stays far below).
pub const MAX_EXPORT_BYTES: usize = 16 * 1024 * 1024;
/// WebAuthn: a credential id is at most 1023 bytes; a user handle at most 64.
const MAX_CREDENTIAL_ID_LEN: usize = 1023;
const MAX_USER_HANDLE_LEN: usize = 64;
const MAX_RP_ID_LEN: usize = 253;
/// What Keyplace keeps of names (as `create` does), and of the exporter's name.
pub const MAX_NAME_BYTES: usize = 256;
const MAX_EXPORTER_BYTES: usize = 64;
/// The major version of CXF this reads (minor versions only add).
const CXF_MAJOR: u64 = 1;

/// Why a file cannot be read as an export at all.
#[derive(Debug, thiserror::Error)]
pub enum CxfError {
    #[error("the file is {bytes} bytes, more than the {max} bytes an export may have")]
    TooLarge { bytes: usize, max: usize },
    #[error("the file is not JSON, so not a Credential Exchange Format export ({0})")]
    NotJson(String),
    #[error("the file is not a Credential Exchange Format export: {0}")]
    NotCxf(String),
    #[error("the file is Credential Exchange Format {major}.{minor}; Keyplace reads version 1")]
    Version { major: u64, minor: u64 },
}

/// Why one passkey of the file cannot be imported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasskeyProblem {
    #[error(transparent)]
    Key(#[from] KeyProblem),
    #[error("the file describes it wrongly: {0}")]
    Malformed(String),
}

/// An export: whose it is, and its passkeys in the file's order.
pub struct Export {
    /// The exporting manager's name for people (`exporterDisplayName`, else its `exporterRpId`).
    pub exporter: String,
    pub passkeys: Vec<ExportedPasskey>,
}

/// One passkey of an export. Names are as the file gives them, cut to `MAX_NAME_BYTES`.
pub struct ExportedPasskey {
    pub credential_id: Vec<u8>,
    pub rp_id: String,
    pub user_name: String,
    pub user_display_name: String,
    pub user_handle: Vec<u8>,
    /// The account in the exporting manager it belongs to (its user name, else its email).
    pub account: String,
    /// Its private key, or why it cannot go to the vault.
    pub key: Result<Scalar, PasskeyProblem>,
}

#[derive(Deserialize)]
struct VersionOnly {
    version: Option<VersionNumbers>,
}

#[derive(Deserialize)]
struct VersionNumbers {
    major: u64,
    minor: u64,
}

/// Reads `text` (the file) as a CXF 1.x export.
pub fn read_export(text: &str) -> Result<Export, CxfError> {
    if text.len() > MAX_EXPORT_BYTES {
        return Err(CxfError::TooLarge {
            bytes: text.len(),
            max: MAX_EXPORT_BYTES,
        });
    }
    // The version first, so that a file of another major version is named as such rather than as malformed. Read
    // without building a tree of the file (which would leave copies of its private keys behind).
    let version: VersionOnly = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            CxfError::NotCxf("it is not a JSON object with a version".into())
        }
        _ => CxfError::NotJson(e.to_string()),
    })?;
    match version.version {
        None => return Err(CxfError::NotCxf("it has no version".into())),
        Some(v) if v.major != CXF_MAJOR => {
            return Err(CxfError::Version {
                major: v.major,
                minor: v.minor,
            })
        }
        Some(_) => {}
    }
    let header: Header = serde_json::from_str(text).map_err(|e| CxfError::NotCxf(e.to_string()))?;
    let exporter = [&header.exporter_display_name, &header.exporter_rp_id]
        .into_iter()
        .map(|name| name.trim())
        .find(|name| !name.is_empty())
        .map_or_else(
            || "another passkey manager".to_owned(),
            |name| truncate(name, MAX_EXPORTER_BYTES),
        );
    let mut passkeys = Vec::new();
    for account in header.accounts {
        let owner = if account.username.trim().is_empty() {
            account.email.clone()
        } else {
            account.username.clone()
        };
        for item in account.items {
            for credential in item.credentials {
                match credential {
                    Credential::Passkey(passkey) => passkeys.push(exported(*passkey, &owner)),
                    // The crate keeps a passkey it could not read as an unknown credential: read it again for the
                    // reason, and list it with what can be told of it.
                    Credential::Unknown { ty, content } if ty == "passkey" => {
                        passkeys.push(malformed(&content, &owner))
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(Export { exporter, passkeys })
}

fn exported(passkey: PasskeyCredential, account: &str) -> ExportedPasskey {
    let credential_id: Vec<u8> = passkey.credential_id.into();
    let user_handle: Vec<u8> = passkey.user_handle.into();
    let rp_id = passkey.rp_id.trim().to_ascii_lowercase();
    let mut der: Vec<u8> = passkey.key.into();
    let key = if credential_id.is_empty() || credential_id.len() > MAX_CREDENTIAL_ID_LEN {
        Err(PasskeyProblem::Malformed(format!(
            "its credential id has {} bytes (1 to {MAX_CREDENTIAL_ID_LEN})",
            credential_id.len()
        )))
    } else if rp_id.is_empty() || rp_id.len() > MAX_RP_ID_LEN {
        Err(PasskeyProblem::Malformed(
            "it names no valid site (rpId)".into(),
        ))
    } else if user_handle.is_empty() || user_handle.len() > MAX_USER_HANDLE_LEN {
        Err(PasskeyProblem::Malformed(format!(
            "its user handle has {} bytes (1 to {MAX_USER_HANDLE_LEN})",
            user_handle.len()
        )))
    } else {
        p256_scalar(&der).map_err(PasskeyProblem::from)
    };
    der.zeroize();
    ExportedPasskey {
        credential_id,
        rp_id,
        user_name: truncate(&passkey.username, MAX_NAME_BYTES),
        user_display_name: truncate(&passkey.user_display_name, MAX_NAME_BYTES),
        user_handle,
        account: truncate(account, MAX_NAME_BYTES),
        key,
    }
}

/// A passkey entry the crate could not read: the reason, and its site and names where they are strings.
fn malformed(
    content: &serde_json::Map<String, serde_json::Value>,
    account: &str,
) -> ExportedPasskey {
    let reason = serde_json::to_string(content)
        .ok()
        .and_then(|json| serde_json::from_str::<PasskeyCredential>(&json).err())
        .map_or_else(|| "it cannot be read".to_owned(), |e| e.to_string());
    let text = |field: &str| {
        content
            .get(field)
            .and_then(|v| v.as_str())
            .map_or_else(String::new, |s| truncate(s, MAX_NAME_BYTES))
    };
    let credential_id = content
        .get("credentialId")
        .and_then(|v| v.as_str())
        .and_then(keyplace_core::bytes::b64u_decode)
        .unwrap_or_default();
    ExportedPasskey {
        credential_id,
        rp_id: text("rpId").to_ascii_lowercase(),
        user_name: text("username"),
        user_display_name: text("userDisplayName"),
        user_handle: Vec::new(),
        account: truncate(account, MAX_NAME_BYTES),
        key: Err(PasskeyProblem::Malformed(reason)),
    }
}

/// Cuts at a character boundary, never inside a UTF-8 sequence.
fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
#[path = "cxf_tests.rs"]
mod tests;
