//! Each method's params. Optional fields may be left out or `null`; unknown fields are ignored. The host only reads
//! these: `Serialize` is for PROTOCOL.md's examples (document_tests.rs), hence the absent fields left out.

use serde::{Deserialize, Serialize};
#[cfg(test)]
use ts_rs::TS;

use super::values::{B64u, ExportText, Pin, StoreId};

/// Every method the host answers (service::Service::handle dispatches exactly these).
pub const METHODS: [&str; 18] = [
    "hello",
    "create",
    "sign",
    "attest",
    "list",
    "delete",
    "rename",
    "lock",
    "configure",
    "devices",
    "copy_request",
    "copy_inspect",
    "copy_approve",
    "copy_release",
    "copy_import",
    "ring",
    "recovery",
    "import",
];

/// `hello`, `lock`: no params (an empty object, or none at all).
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct EmptyParams {}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct UserParams {
    /// 1 to 64 bytes.
    pub id: B64u,
    pub name: String,
    pub display_name: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CreateParams {
    pub store: StoreId,
    pub rp_id: String,
    pub user: UserParams,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // A plain `string` in TypeScript: `Pin` only changes how the host holds it.
    #[cfg_attr(test, ts(as = "Option<String>", optional = nullable))]
    pub pin: Option<Pin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional = nullable))]
    pub exclude_credential_ids: Option<Vec<B64u>>,
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
    pub resident_key: bool,
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
    pub require_user_verification: bool,
    /// WebAuthn `prf`: give the credential a PRF secret (a store that cannot answers `prf_enabled: false`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
    pub prf: bool,
    /// With `prf`: one or two 32-byte salts to evaluate at once (the core made them from the site's inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional = nullable))]
    pub prf_salts: Option<Vec<B64u>>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct SignParams {
    pub credential_id: B64u,
    /// Exactly 37 bytes: rpIdHash | flags | counter.
    pub authenticator_data: B64u,
    /// 32 bytes.
    pub client_data_hash: B64u,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // A plain `string` in TypeScript: `Pin` only changes how the host holds it.
    #[cfg_attr(test, ts(as = "Option<String>", optional = nullable))]
    pub pin: Option<Pin>,
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
    pub require_user_verification: bool,
    /// WebAuthn `prf`: one or two 32-byte salts to evaluate with the credential's PRF secret, in this same request
    /// (so the RP ID rule of `sign` applies to them too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional = nullable))]
    pub prf_salts: Option<Vec<B64u>>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct AttestParams {
    pub credential_id: B64u,
    /// The registration's, with attested credential data.
    pub authenticator_data: B64u,
    /// 32 bytes.
    pub client_data_hash: B64u,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // A plain `string` in TypeScript: `Pin` only changes how the host holds it.
    #[cfg_attr(test, ts(as = "Option<String>", optional = nullable))]
    pub pin: Option<Pin>,
}

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ListParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional = nullable))]
    pub rp_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional = nullable))]
    pub credential_ids: Option<Vec<B64u>>,
    /// Case-insensitive (ASCII letters) substring of the RP ID or the account name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional = nullable))]
    pub query: Option<String>,
    /// Page size: default and most `service::LIST_MAX_LIMIT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional = nullable))]
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional = nullable))]
    pub after: Option<String>,
    /// Only what the popup shows: no user id, display name, AAGUID or flags.
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
    pub slim: bool,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct DeleteParams {
    pub credential_id: B64u,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct RenameParams {
    pub credential_id: B64u,
    pub user_name: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ConfigureParams {
    /// 0 = ask for the PIN every time.
    pub vault_unlock_seconds: u32,
}

/// `copy_request`: copy these vault passkeys to another of your devices.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CopyRequestParams {
    /// Vault passkeys of this computer (1 to 256).
    pub credential_ids: Vec<B64u>,
    /// The enrolled device to copy to: its name (ignoring case) or the start of its short id.
    pub to: String,
    /// This computer's vault PIN.
    #[cfg_attr(test, ts(as = "String"))]
    pub pin: Pin,
}

/// `copy_inspect`: what a copy request asks, before it is approved.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CopyInspectParams {
    /// The request as `copy_request` gave it (the text of its file).
    pub request: String,
}

/// `copy_approve`: approve another device's copy request on this one.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CopyApproveParams {
    pub request: String,
    #[cfg_attr(test, ts(as = "String"))]
    pub pin: Pin,
}

/// `copy_release`: on the source, the chip duplicates approved chip-held passkeys for their target.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CopyReleaseParams {
    /// The approval as `copy_approve` gave it (it carries its request).
    pub approval: String,
}

/// `copy_import`: take an approved copy into this device's vault.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CopyImportParams {
    /// The copy request, or the copy package `copy_release` made (which holds its approval).
    pub request: String,
    /// The approval as `copy_approve` gave it (empty with a copy package).
    #[serde(default)]
    pub approval: String,
    #[cfg_attr(test, ts(as = "String"))]
    pub pin: Pin,
}

/// `ring`: your ring of devices from the popup, as `keyplace-host devices …` does it from the CLI. A change is signed
/// by this device's key after its vault PIN; what another device must take travels as text the person carries.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RingParams {
    /// Start your ring with this computer as its first device.
    Start {
        name: String,
        #[cfg_attr(test, ts(as = "String"))]
        pin: Pin,
    },
    /// On a new computer: a join request to carry to one of your devices.
    Join {
        name: String,
        #[cfg_attr(test, ts(as = "String"))]
        pin: Pin,
    },
    /// What a join request says, and its short code, before it is approved (no PIN).
    Inspect { request: String },
    /// Approve a join request on an enrolled device: the answer's `ring` goes back to the new computer.
    Approve {
        request: String,
        #[cfg_attr(test, ts(as = "String"))]
        pin: Pin,
    },
    /// On the new computer: take the ring that approved it (or bring this computer's ring up to date).
    Accept { ring: String },
    /// Remove a device (its name or the start of its short id); the answer's `ring` goes to your other devices.
    Remove {
        device: String,
        #[cfg_attr(test, ts(as = "String"))]
        pin: Pin,
    },
}

/// `recovery`: a recovery sheet from the popup, as `keyplace-host recovery …` does it from the CLI: a printed code
/// that counts as one of your devices. The code (like a PIN) is wiped from the host's memory and never logged.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RecoveryParams {
    /// Make a sheet called `name` and enroll it, approved with this computer's vault PIN: the answer's `code` is
    /// shown once, and its `ring` goes to your other devices.
    Make {
        name: String,
        #[cfg_attr(test, ts(as = "String"))]
        pin: Pin,
    },
    /// Approve a copy request with the sheet's code instead of a device's PIN (on any of your computers, its
    /// source included: the sheet is the other device).
    ApproveCopy {
        request: String,
        #[cfg_attr(test, ts(as = "String"))]
        code: Pin,
    },
    /// Approve a new computer's join request with the sheet's code: the answer's `ring` goes back to it.
    ApproveJoin {
        request: String,
        #[cfg_attr(test, ts(as = "String"))]
        code: Pin,
    },
    /// On a computer in no ring yet: join your devices by the sheet's approval and restore a backup (a copy request
    /// addressed to the sheet, with the sheet's approval) into this computer's vault, whose PIN `pin` sets or opens.
    Restore {
        /// What to call this computer.
        name: String,
        #[cfg_attr(test, ts(as = "String"))]
        code: Pin,
        /// The backup: a copy request addressed to the sheet (or a copy package released for it).
        request: String,
        /// The sheet's approval of it (empty with a copy package).
        #[serde(default)]
        approval: String,
        #[cfg_attr(test, ts(as = "String"))]
        pin: Pin,
    },
}

/// `import`: passkeys from another manager's Credential Exchange Format (CXF 1.0) export, into the vault.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ImportParams {
    /// Every passkey of the file and whether it can be imported (no PIN).
    Inspect {
        /// The export's text (its JSON).
        #[cfg_attr(test, ts(as = "String"))]
        file: ExportText,
    },
    /// Import the chosen passkeys of the file: all of those that can be, or none.
    Import {
        #[cfg_attr(test, ts(as = "String"))]
        file: ExportText,
        /// Passkeys of the file (their `credential_id` from `inspect`).
        credential_ids: Vec<B64u>,
        /// The vault PIN of this computer (sets it, if the vault has none yet).
        #[cfg_attr(test, ts(as = "String"))]
        pin: Pin,
    },
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{AttestParams, CreateParams, SignParams};

    /// No request that carries a PIN prints it (ARCHITECTURE.md rule 5): not one digit of it in `Debug` (the PIN shares no digit with "B64u" or the bytes).
    #[test]
    fn debug_of_a_request_never_shows_its_pin() {
        let pin = "9753";
        let id = json!("AAAAAAAAAAAAAAAAAAAAAA");
        let create: CreateParams = serde_json::from_value(json!({
            "store": "vault", "rp_id": "example.com", "pin": pin,
            "user": {"id": "AA", "name": "alice", "display_name": "Alice"}
        }))
        .unwrap();
        let sign: SignParams = serde_json::from_value(json!({
            "credential_id": id, "authenticator_data": "AA", "client_data_hash": "AA", "pin": pin
        }))
        .unwrap();
        let attest: AttestParams = serde_json::from_value(json!({
            "credential_id": id, "authenticator_data": "AA", "client_data_hash": "AA", "pin": pin
        }))
        .unwrap();
        assert_eq!(create.pin.as_ref().unwrap().as_str(), pin);
        for shown in [
            format!("{create:?}"),
            format!("{sign:#?}"),
            format!("{attest:?}"),
        ] {
            assert!(shown.contains("Pin(<redacted>)"), "{shown}");
            assert!(!shown.chars().any(|c| pin.contains(c)), "{shown}");
        }
    }
}
