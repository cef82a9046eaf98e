//! Each method's answer (the `result` of a success frame). Field names, and which fields are `null` rather than
//! left out, are the wire format: PROTOCOL.md documents them and the extension reads them.

use serde::{Deserialize, Serialize};
#[cfg(test)]
use ts_rs::TS;

use super::values::{B64u, Pin, StoreId};

/// `hello`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct HelloAnswer {
    pub version: String,
    pub stores: Vec<StoreStatus>,
    pub vault_unlock_seconds: u32,
}

/// One store's entry in `hello`'s `stores`, told apart by `id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "id", rename_all = "lowercase")]
#[cfg_attr(test, derive(TS))]
pub enum StoreStatus {
    Vault {
        /// Always true: the vault needs nothing but the database.
        available: bool,
        /// Whether the vault has a PIN yet.
        initialized: bool,
        /// Whether this host process holds the vault's key now.
        unlocked: bool,
        /// What keeps the vault's key on this computer (before the first PIN: what will), for the PIN policy the
        /// window states and applies.
        protection: VaultProtectionKind,
    },
    Hardware {
        available: bool,
        /// Which hardware; absent where the platform has none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        kind: Option<HardwareKind>,
        /// Why it cannot be used, in plain words: only when `available` is false.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        reason: Option<String>,
    },
}

impl StoreStatus {
    pub fn id(&self) -> StoreId {
        match self {
            StoreStatus::Vault { .. } => StoreId::Vault,
            StoreStatus::Hardware { .. } => StoreId::Hardware,
        }
    }

    pub fn available(&self) -> bool {
        match self {
            StoreStatus::Vault { available, .. } | StoreStatus::Hardware { available, .. } => {
                *available
            }
        }
    }

    /// Why the store cannot be used, when it says.
    pub fn reason(&self) -> Option<&str> {
        match self {
            StoreStatus::Vault { .. } => None,
            StoreStatus::Hardware { reason, .. } => reason.as_deref(),
        }
    }
}

/// What keeps the vault's data key on this computer (`stores::protection::VaultProtection`, on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(TS))]
pub enum VaultProtectionKind {
    /// Sealed by the TPM, the PIN its authorization: the chip counts wrong PINs.
    Tpm,
    /// Sealed by the OS secret store and the PIN.
    OsSecret,
    /// The PIN alone.
    PinOnly,
}

/// The hardware behind the `hardware` store on this platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(TS))]
pub enum HardwareKind {
    Tpm,
    SecureEnclave,
    WindowsTpm,
}

/// `create`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CreateAnswer {
    /// 16 random bytes.
    pub credential_id: B64u,
    /// SEC1 uncompressed P-256 point, 65 bytes.
    pub public_key: B64u,
    /// The store's AAGUID, as a UUID.
    pub aaguid: String,
    /// Always 0.
    pub sign_count: u32,
    /// True only when the host checked the PIN in this request.
    pub user_verified: bool,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub store: StoreId,
    /// `prf` was asked for and this store gave the credential a PRF secret.
    #[serde(default)]
    pub prf_enabled: bool,
    /// HMAC-SHA-256 of each of `prf_salts` under that secret, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub prf_results: Option<Vec<B64u>>,
}

/// `sign`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct SignAnswer {
    /// As signed: the host's counter and flags.
    pub authenticator_data: B64u,
    /// DER ECDSA P-256 / SHA-256.
    pub signature: B64u,
    pub user_handle: B64u,
    pub sign_count: u32,
    pub user_verified: bool,
    /// HMAC-SHA-256 of each of `prf_salts` under the credential's PRF secret; absent when none were given or the
    /// store has no PRF for its keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub prf_results: Option<Vec<B64u>>,
}

/// `attest`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct AttestAnswer {
    /// DER ECDSA P-256 / SHA-256 over `authenticator_data || client_data_hash`.
    pub signature: B64u,
}

/// `list`: one page; `Row` is [`CredentialRow`], or [`SlimCredentialRow`] when asked with `slim`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ListPage<Row> {
    pub credentials: Vec<Row>,
    /// The cursor for the next page (`after`); null on the last page.
    pub next: Option<String>,
    /// Every credential matching the filters, not only this page.
    pub total: u64,
}

/// A `list` row of either shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(test, derive(TS))]
pub enum ListRow {
    Full(CredentialRow),
    Slim(SlimCredentialRow),
}

/// A credential as `list` shows it: everything but its key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CredentialRow {
    pub credential_id: B64u,
    pub rp_id: String,
    pub user_id: B64u,
    pub user_name: String,
    pub user_display_name: String,
    pub store: StoreId,
    pub aaguid: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds; null when never used.
    pub last_used_at: Option<i64>,
    pub sign_count: u32,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub resident_key: bool,
    /// The passkey manager it was imported from (`import`); absent when made here or copied from your devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub imported_from: Option<String>,
    /// A vault passkey held by this computer's TPM (copies only through the chip, with another device's approval);
    /// absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
    pub held_by_tpm: bool,
}

/// What the popup shows of a credential (`list` with `slim`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct SlimCredentialRow {
    pub credential_id: B64u,
    pub rp_id: String,
    pub user_name: String,
    pub store: StoreId,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds; null when never used.
    pub last_used_at: Option<i64>,
    pub sign_count: u32,
    /// The passkey manager it was imported from (`import`); absent when made here or copied from your devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub imported_from: Option<String>,
    /// A vault passkey held by this computer's TPM (copies only through the chip, with another device's approval);
    /// absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
    pub held_by_tpm: bool,
}

/// `delete`: false when there was no such credential.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct DeleteAnswer {
    pub deleted: bool,
}

/// `rename`: false when there was no such credential.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct RenameAnswer {
    pub renamed: bool,
}

/// `lock`, `configure`: `{}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct EmptyAnswer {}

/// One of your devices, as `devices` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct DeviceRow {
    pub id: B64u,
    /// What a person compares: the start of the id, in groups.
    pub short_id: String,
    pub name: String,
    pub this_device: bool,
    /// False once removed (or, for this device, while its join request waits for approval).
    pub enrolled: bool,
    /// The device that approved it; null for the first device.
    pub approved_by: Option<String>,
    /// When it joined (unix ms).
    pub added_at: i64,
    /// The device that removed it; null while enrolled.
    pub removed_by: Option<String>,
    /// A recovery sheet (a printed code, `recovery`), not a computer; absent for a computer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(test, ts(optional, as = "Option<bool>"))]
    pub recovery_sheet: bool,
}

/// What this device did with a copy of a passkey.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(TS))]
pub enum CopyRole {
    /// This device asked for the copy (its source): it does not know whether it was approved or imported.
    Requested,
    /// This device approved it.
    Approved,
    /// This device imported it (its target).
    Imported,
}

/// One line of this device's log of copies, with device names as its ring knows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CopyRow {
    pub credential_id: B64u,
    pub rp_id: String,
    pub user_name: String,
    pub role: CopyRole,
    pub source: String,
    pub target: String,
    /// The approving device; null for `requested` (the source never hears of the approval).
    pub approver: Option<String>,
    /// Unix ms.
    pub at: i64,
}

/// `devices`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct DevicesAnswer {
    /// Null before this computer started or asked to join a ring (`keyplace-host devices init` / `join-request`).
    pub this_device: Option<DeviceRow>,
    /// Every device the ring has held, this one first; empty while this computer is not enrolled.
    pub devices: Vec<DeviceRow>,
    /// This device's log of copies, oldest first.
    pub copies: Vec<CopyRow>,
}

/// `copy_request`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CopyRequestAnswer {
    /// The request, the text of a file to carry to another device (JSON).
    pub request: String,
    /// 12 digits the approving device shows too.
    pub short_code: String,
    /// The target's name.
    pub target: String,
}

/// A passkey named in a copy request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CopiedPasskeyRow {
    pub rp_id: String,
    pub user_name: String,
}

/// Which file of a copy `copy_inspect` was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "snake_case")]
pub enum CopyFileKind {
    /// A copy request: approve it here, or import it with its approval.
    Request,
    /// An approval of passkeys held by the source's TPM: release it on the source.
    Approval,
    /// A released copy: import it on the target.
    Package,
}

/// `copy_inspect`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CopyInspectAnswer {
    pub kind: CopyFileKind,
    pub source: String,
    pub target: String,
    /// Who approved it (an approval or a package).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub approver: Option<String>,
    pub passkeys: Vec<CopiedPasskeyRow>,
    pub short_code: String,
    /// Some of its passkeys are held by the source's TPM: once approved, the source releases them.
    pub chip_held: bool,
}

/// `copy_release`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CopyReleaseAnswer {
    /// The copy package, the text of a file to carry to the target.
    pub package: String,
    pub target: String,
    pub passkeys: Vec<CopiedPasskeyRow>,
}

/// `copy_approve`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CopyApproveAnswer {
    /// The approval, the text of a file to carry with the request to the target or, when `chip_held`, back to
    /// the source.
    pub approval: String,
    pub source: String,
    pub target: String,
    pub chip_held: bool,
}

/// A passkey `copy_import` put in this device's vault.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ImportedRow {
    pub credential_id: B64u,
    pub rp_id: String,
    pub user_name: String,
}

/// `copy_import`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CopyImportAnswer {
    pub imported: Vec<ImportedRow>,
}

/// `ring`: your devices after the action, and what to carry to another device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct RingAnswer {
    /// `join`: the request, a text code to carry to one of your devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub request: Option<String>,
    /// `join`, `inspect`: 12 digits both screens show; approve only when they match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub short_code: Option<String>,
    /// `inspect`: the name the new computer gave itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub joining: Option<String>,
    /// `approve`, `remove`: the ring as a file for your other devices (`accept` there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub ring: Option<String>,
    /// `approve`, `accept`: 12 digits from the ring's last change; the approving and the new computer show the same
    /// ones when they hold the same ring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub ring_code: Option<String>,
    /// This computer's devices after the action, as `devices` lists them.
    pub devices: DevicesAnswer,
}

/// `recovery`: what the action made, and your devices after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct RecoveryAnswer {
    /// `make`: the sheet's code, shown once to print or write down; no computer keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, as = "Option<String>"))]
    pub code: Option<Pin>,
    /// `make`: the sheet as it is listed among your devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub sheet: Option<DeviceRow>,
    /// `make`, `approve_join`: the ring as a file for your other devices (`ring` `accept` there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub ring: Option<String>,
    /// `approve_join`, `restore`: 12 digits from the ring's last change, as `ring` gives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub ring_code: Option<String>,
    /// `approve_copy`: the approval, as `copy_approve` answers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub approval: Option<CopyApproveAnswer>,
    /// `restore`: the passkeys now in this computer's vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub imported: Option<Vec<ImportedRow>>,
    /// This computer's devices after the action, as `devices` lists them.
    pub devices: DevicesAnswer,
}

/// What `import` says of one passkey of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(TS))]
pub enum ImportStatus {
    /// It can be imported.
    Ready,
    /// This request imported it.
    Imported,
    /// It could have been imported but was not chosen.
    NotChosen,
    /// Keyplace has a passkey with this credential id already.
    AlreadyHere,
    /// It cannot go to the vault (`reason` says why): not a P-256 key, or the file describes it wrongly.
    CannotImport,
}

/// One passkey of an export, as `import` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ImportPasskeyRow {
    pub credential_id: B64u,
    pub rp_id: String,
    pub user_name: String,
    pub user_display_name: String,
    /// Its account in the exporting manager.
    pub account: String,
    pub status: ImportStatus,
    /// `cannot_import`: why, in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub reason: Option<String>,
}

/// `import`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ImportAnswer {
    /// The exporting manager's name: imported passkeys are "imported from" it.
    pub exporter: String,
    /// Every passkey of the file, in its order.
    pub passkeys: Vec<ImportPasskeyRow>,
    /// How many this request imported (0 for `inspect`).
    pub imported: u32,
}
