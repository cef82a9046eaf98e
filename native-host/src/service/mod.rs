//! Method handlers. Everything here is blocking (SQLite, Argon2, signing); the transport runs each request on
//! tokio's blocking pool.
//!
//! The sign invariant lives here: the host signs only authenticator data that names the stored credential's own
//! RP ID, and it writes the counter and the UV/BE/BS flags itself, whatever the caller sent. `attest` keeps the same
//! invariant for the one other thing a key signs, its own registration: only right after `create`, only before the
//! first `sign`, and only authenticator data that is exactly that credential's registration for its own RP ID.

use std::path::Path;
use std::sync::Arc;

use rand_core::{OsRng, RngCore};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::metadata::{
    now_ms, CredentialRecord, ListFilter, ListKey, ListedCredential, Metadata, MetadataError,
};
use crate::protocol::{
    AttestParams, B64u, ConfigureParams, CreateParams, DeleteParams, ErrorBody, ErrorCode,
    ListParams, RenameParams, Request, Response, SignParams,
};
use crate::stores::hardware::{hardware_store, HardwareStore};
use crate::stores::vault::Vault;
use crate::stores::{KeyStore, PinReason, Purpose, StoreError, WrongPin};

mod attestation;
mod listing;

#[cfg(test)]
use attestation::{aaguid_bytes, cose_key_es256, ATTEST_WINDOW_MS};
use attestation::{check_attestable, check_registration_data, ATTESTED_HEADER_LEN};
use listing::{decode_cursor, encode_cursor, listed_slim, listed_summary};

pub const AUTHENTICATOR_DATA_LEN: usize = 37;
const CLIENT_DATA_HASH_LEN: usize = 32;
const CREDENTIAL_ID_LEN: usize = 16;
const MAX_USER_ID_LEN: usize = 64;
const MAX_RP_ID_LEN: usize = 253;
/// An account name set by `rename`: 1 to 64 characters once trimmed, no control characters.
pub const MAX_USER_NAME_CHARS: usize = 64;

/// `list`: the most rows in one page (and the default page size).
pub const LIST_MAX_LIMIT: u32 = 500;
/// `list`: the most bytes of rows in one page, so that the answer stays under the browser's 1 MiB cap whatever the
/// rows hold (a page has at least one row; the rest of the answer is under 200 bytes).
pub const LIST_PAGE_BYTES: usize = 768 * 1024;
/// `list`: the longest `query`.
const MAX_LIST_QUERY_CHARS: usize = 256;

const FLAG_UP: u8 = 0x01;
const FLAG_RFU1: u8 = 0x02;
const FLAG_UV: u8 = 0x04;
const FLAG_BE: u8 = 0x08;
const FLAG_BS: u8 = 0x10;
const FLAG_RFU2: u8 = 0x20;
const FLAG_AT: u8 = 0x40;
const FLAG_ED: u8 = 0x80;

type Answer = Result<Value, ErrorBody>;

pub struct Service {
    metadata: Arc<Metadata>,
    vault: Vault,
    hardware: HardwareStore,
}

impl Service {
    pub fn open(database: &Path) -> Result<Self, MetadataError> {
        Ok(Service::new(Arc::new(Metadata::open(database)?)))
    }

    pub fn new(metadata: Arc<Metadata>) -> Self {
        Service::with_hardware(metadata, hardware_store())
    }

    pub fn with_hardware(metadata: Arc<Metadata>, hardware: HardwareStore) -> Self {
        Service {
            vault: Vault::new(metadata.clone()),
            hardware,
            metadata,
        }
    }

    /// Releases what the stores hold in hardware (TPM objects and sessions). Called when the port closes.
    pub fn shutdown(&self) {
        for store in self.stores() {
            store.shutdown();
        }
    }

    fn stores(&self) -> [&dyn KeyStore; 2] {
        [&self.vault, &self.hardware]
    }

    fn store(&self, id: &str) -> Option<&dyn KeyStore> {
        self.stores().into_iter().find(|store| store.id() == id)
    }

    pub fn handle(&self, request: Request) -> Response {
        let Request { id, method, params } = request;
        let answer = match method.as_str() {
            "hello" => self.hello(),
            "create" => parse(params).and_then(|p| self.create(p)),
            "sign" => parse(params).and_then(|p| self.sign(p)),
            "attest" => parse(params).and_then(|p| self.attest(p)),
            "list" => parse(params).and_then(|p| self.list(p)),
            "delete" => parse(params).and_then(|p| self.delete(p)),
            "rename" => parse(params).and_then(|p| self.rename(p)),
            "lock" => self.lock(),
            "configure" => parse(params).and_then(|p| self.configure(p)),
            _ => Err(ErrorBody::new(
                ErrorCode::UnknownMethod,
                "This Keyplace host does not know that method; the extension and the host may be different versions.",
            )),
        };
        match answer {
            Ok(result) => Response::success(id, result),
            Err(error) => {
                crate::log::debug!("request {id} ({method}) failed: {:?}", error.code);
                Response::failure(Some(id), error)
            }
        }
    }

    fn hello(&self) -> Answer {
        Ok(json!({
            "version": env!("CARGO_PKG_VERSION"),
            "stores": self.stores().map(|store| store.status()),
            "vault_unlock_seconds": self.metadata.vault_unlock_seconds()?,
        }))
    }

    fn create(&self, params: CreateParams) -> Answer {
        let store = self.store(&params.store).ok_or_else(|| {
            bad_request(format!("There is no store called \"{}\".", params.store))
        })?;
        check_rp_id(&params.rp_id)?;
        if params.user.id.0.is_empty() || params.user.id.0.len() > MAX_USER_ID_LEN {
            return Err(bad_request("user.id must be 1 to 64 bytes."));
        }
        let excluded: Vec<Vec<u8>> = params
            .exclude_credential_ids
            .unwrap_or_default()
            .into_iter()
            .map(|id| id.0)
            .collect();
        if self
            .metadata
            .any_exists(&excluded, &params.rp_id, store.id())?
        {
            return Err(ErrorBody::new(
                ErrorCode::Excluded,
                "You already have a passkey for this account here.",
            ));
        }
        let authorization = store.authorize(
            params.pin.as_deref(),
            params.require_user_verification,
            Purpose::Create,
        )?;
        let mut credential_id = vec![0; CREDENTIAL_ID_LEN];
        OsRng.fill_bytes(&mut credential_id);
        let key = store.create_key(&authorization, &credential_id)?;
        let (backup_eligible, backup_state) = store.backup_flags();
        let record = CredentialRecord {
            credential_id,
            rp_id: params.rp_id,
            user_id: params.user.id.0,
            user_name: truncate_to_bytes(params.user.name, MAX_STORED_NAME_BYTES),
            user_display_name: truncate_to_bytes(params.user.display_name, MAX_STORED_NAME_BYTES),
            store: store.id().to_owned(),
            aaguid: store.aaguid().to_owned(),
            key_blob: key.key_blob,
            public_key: key.public_key,
            sign_count: 0,
            created_at: now_ms(),
            last_used_at: None,
            backup_eligible,
            backup_state,
            resident_key: params.resident_key,
        };
        self.metadata.insert_credential(&record)?;
        Ok(json!({
            "credential_id": B64u::encode(&record.credential_id),
            "public_key": B64u::encode(&record.public_key),
            "aaguid": record.aaguid,
            "sign_count": 0,
            "user_verified": authorization.user_verified,
            "backup_eligible": backup_eligible,
            "backup_state": backup_state,
            "store": record.store,
        }))
    }

    fn sign(&self, params: SignParams) -> Answer {
        let mut authenticator_data = params.authenticator_data.0;
        if authenticator_data.len() != AUTHENTICATOR_DATA_LEN {
            return Err(bad_request("authenticator_data must be exactly 37 bytes."));
        }
        if params.client_data_hash.0.len() != CLIENT_DATA_HASH_LEN {
            return Err(bad_request("client_data_hash must be 32 bytes."));
        }
        let credential = self
            .metadata
            .credential(&params.credential_id.0)?
            .ok_or_else(not_found)?;
        check_rp_id_hash(&authenticator_data, &credential)?;
        let requested_flags = authenticator_data[32];
        if requested_flags & (FLAG_AT | FLAG_ED) != 0 {
            return Err(bad_request(
                "An assertion's authenticator data must not carry attested credential data or extensions.",
            ));
        }
        let store = self.credential_store(&credential)?;
        let authorization = store.authorize(
            params.pin.as_deref(),
            params.require_user_verification,
            Purpose::Sign,
        )?;
        // Hardware stores check the PIN in the chip while signing; a refused PIN costs one counter value, which
        // relying parties accept (the counter only has to increase).
        let sign_count = self
            .metadata
            .next_sign_count(&credential.credential_id, now_ms())?
            .ok_or_else(not_found)?;

        let mut flags = requested_flags & FLAG_UP;
        if authorization.user_verified {
            flags |= FLAG_UV;
        }
        if credential.backup_eligible {
            flags |= FLAG_BE;
        }
        if credential.backup_state {
            flags |= FLAG_BS;
        }
        authenticator_data[32] = flags;
        authenticator_data[33..37].copy_from_slice(&sign_count.to_be_bytes());

        let mut message = Vec::with_capacity(AUTHENTICATOR_DATA_LEN + CLIENT_DATA_HASH_LEN);
        message.extend_from_slice(&authenticator_data);
        message.extend_from_slice(&params.client_data_hash.0);
        let signature = store.sign(
            &authorization,
            &credential.credential_id,
            &credential.key_blob,
            &message,
        )?;
        Ok(json!({
            "authenticator_data": B64u::encode(&authenticator_data),
            "signature": B64u::encode(&signature),
            "user_handle": B64u::encode(&credential.user_id),
            "sign_count": sign_count,
            "user_verified": authorization.user_verified,
        }))
    }

    /// Packed self-attestation: the new key signs its own registration, `authenticator_data || client_data_hash`.
    /// Refused unless the authenticator data is exactly this credential's registration for its own RP ID and the
    /// credential is fresh and unused, so that this is never a second, counter-less way to make a key sign.
    fn attest(&self, params: AttestParams) -> Answer {
        let authenticator_data = params.authenticator_data.0;
        if params.client_data_hash.0.len() != CLIENT_DATA_HASH_LEN {
            return Err(bad_request("client_data_hash must be 32 bytes."));
        }
        if authenticator_data.len() < ATTESTED_HEADER_LEN {
            return Err(bad_request(
                "authenticator_data is too short to carry attested credential data.",
            ));
        }
        let credential = self
            .metadata
            .credential(&params.credential_id.0)?
            .ok_or_else(not_found)?;
        check_rp_id_hash(&authenticator_data, &credential)?;
        check_attestable(&credential, now_ms())?;
        let store = self.credential_store(&credential)?;
        check_registration_data(&authenticator_data, &credential, store.aaguid())?;
        let authorization = store.authorize(params.pin.as_deref(), false, Purpose::Sign)?;
        // Authorizing can take a while (Argon2id): look again, so that a `sign` in the meantime is noticed.
        let current = self
            .metadata
            .credential(&credential.credential_id)?
            .ok_or_else(not_found)?;
        check_attestable(&current, now_ms())?;

        let mut message = Vec::with_capacity(authenticator_data.len() + CLIENT_DATA_HASH_LEN);
        message.extend_from_slice(&authenticator_data);
        message.extend_from_slice(&params.client_data_hash.0);
        // The counter is not touched: a registration carries 0, and the first assertion will carry 1.
        let signature = store.sign(
            &authorization,
            &credential.credential_id,
            &credential.key_blob,
            &message,
        )?;
        Ok(json!({ "signature": B64u::encode(&signature) }))
    }

    fn credential_store(&self, credential: &CredentialRecord) -> Result<&dyn KeyStore, ErrorBody> {
        self.store(&credential.store).ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::Internal,
                format!(
                    "This passkey is in an unknown store \"{}\".",
                    credential.store
                ),
            )
        })
    }

    /// A page of credentials in (RP ID, account name, credential id) order; see PROTOCOL.md. Each filter shape is
    /// answered from an index (metadata::list_page), and the page stays under the browser's 1 MiB cap whatever the
    /// rows hold: at most `LIST_MAX_LIMIT` rows and at most `LIST_PAGE_BYTES` of them.
    fn list(&self, params: ListParams) -> Answer {
        let limit = match params.limit {
            None => LIST_MAX_LIMIT,
            Some(0) => return Err(bad_request("limit must be at least 1.")),
            Some(n) => n.min(LIST_MAX_LIMIT),
        };
        let query = match params.query.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(q) if q.chars().count() > MAX_LIST_QUERY_CHARS => {
                return Err(bad_request(format!(
                    "query must be at most {MAX_LIST_QUERY_CHARS} characters."
                )))
            }
            Some(q) => Some(q.to_ascii_lowercase()),
        };
        let after = params.after.as_deref().map(decode_cursor).transpose()?;
        let filter = ListFilter {
            rp_id: params.rp_id.as_deref(),
            query: query.as_deref(),
            after: after.as_ref(),
        };
        // One row more than the page tells whether there is a next page.
        let (rows, total) = match params.credential_ids {
            Some(ids) => {
                let ids: Vec<Vec<u8>> = ids.into_iter().map(|id| id.0).collect();
                let mut found: Vec<ListedCredential> = self
                    .metadata
                    .listed_by_ids(&ids)?
                    .into_iter()
                    .filter(|c| filter.rp_id.map_or(true, |rp_id| c.rp_id == rp_id))
                    .filter(|c| filter.query.map_or(true, |q| c.matches(q)))
                    .collect();
                found.sort_by(|a, b| a.key().cmp_sql(&b.key()));
                let total = found.len() as u64;
                if let Some(after) = &after {
                    found.retain(|c| c.key().cmp_sql(after).is_gt());
                }
                found.truncate(limit as usize + 1);
                (found, total)
            }
            None => {
                let rows = self.metadata.list_page(&filter, limit + 1)?;
                // The first page of a small answer already knows the total.
                let total = if after.is_none() && rows.len() <= limit as usize {
                    rows.len() as u64
                } else {
                    self.metadata.list_count(&filter)?
                };
                (rows, total)
            }
        };
        let mut credentials = Vec::with_capacity(rows.len().min(limit as usize));
        let mut bytes = 0;
        let mut last: Option<&ListedCredential> = None;
        let mut more = false;
        for row in &rows {
            let value = if params.slim {
                listed_slim(row)
            } else {
                listed_summary(row)
            };
            let size = value.to_string().len() + 1;
            if credentials.len() == limit as usize
                || (!credentials.is_empty() && bytes + size > LIST_PAGE_BYTES)
            {
                more = true;
                break;
            }
            bytes += size;
            credentials.push(value);
            last = Some(row);
        }
        let next = match (more, last) {
            (true, Some(last)) => Value::String(encode_cursor(&last.key())),
            _ => Value::Null,
        };
        Ok(json!({ "credentials": credentials, "next": next, "total": total }))
    }

    fn delete(&self, params: DeleteParams) -> Answer {
        let Some(credential) = self.metadata.credential(&params.credential_id.0)? else {
            return Ok(json!({"deleted": false}));
        };
        if let Some(store) = self.store(&credential.store) {
            store.destroy_key(&credential.key_blob)?;
        }
        let deleted = self.metadata.delete_credential(&credential.credential_id)?;
        Ok(json!({ "deleted": deleted }))
    }

    /// Changes only the account name Keyplace shows; the relying party keeps its own user name and id.
    fn rename(&self, params: RenameParams) -> Answer {
        let user_name = check_user_name(&params.user_name)?;
        let renamed = self
            .metadata
            .rename_credential(&params.credential_id.0, user_name)?;
        Ok(json!({ "renamed": renamed }))
    }

    fn lock(&self) -> Answer {
        for store in self.stores() {
            store.lock();
        }
        Ok(json!({}))
    }

    fn configure(&self, params: ConfigureParams) -> Answer {
        self.metadata
            .set_vault_unlock_seconds(params.vault_unlock_seconds)?;
        if params.vault_unlock_seconds == 0 {
            self.vault.lock();
        }
        Ok(json!({}))
    }
}

fn parse<T: DeserializeOwned>(params: Value) -> Result<T, ErrorBody> {
    serde_json::from_value(params)
        .map_err(|e| bad_request(format!("The request's params are not right: {e}")))
}

fn check_rp_id(rp_id: &str) -> Result<(), ErrorBody> {
    if rp_id.is_empty() || rp_id.len() > MAX_RP_ID_LEN {
        return Err(bad_request("rp_id must be a domain name."));
    }
    Ok(())
}

/// WebAuthn lets an authenticator keep as little as 64 bytes of `user.name` and `user.displayName`; Keyplace keeps
/// 256, so one page of `list` can never approach the 1 MiB message cap because of a site's huge names.
const MAX_STORED_NAME_BYTES: usize = 256;

/// Cuts at a character boundary, never inside a UTF-8 sequence.
fn truncate_to_bytes(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// A new account name, trimmed: 1 to 64 characters, none of them control characters.
fn check_user_name(name: &str) -> Result<&str, ErrorBody> {
    let trimmed = name.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > MAX_USER_NAME_CHARS {
        return Err(bad_request(format!(
            "An account name must be 1 to {MAX_USER_NAME_CHARS} characters long."
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(bad_request(
            "An account name cannot contain control characters (such as line breaks).",
        ));
    }
    Ok(trimmed)
}

/// Invariant 4: the first 32 bytes must be SHA-256 of the credential's own RP ID (the caller checked the length).
fn check_rp_id_hash(
    authenticator_data: &[u8],
    credential: &CredentialRecord,
) -> Result<(), ErrorBody> {
    if authenticator_data[..32] != Sha256::digest(credential.rp_id.as_bytes())[..] {
        return Err(ErrorBody::new(
            ErrorCode::RpMismatch,
            "This passkey belongs to another site; Keyplace will not sign for it here.",
        ));
    }
    Ok(())
}

fn bad_request(message: impl Into<String>) -> ErrorBody {
    ErrorBody::new(ErrorCode::BadRequest, message)
}

fn not_found() -> ErrorBody {
    ErrorBody::new(ErrorCode::NotFound, "Keyplace has no passkey with that id.")
}

impl From<MetadataError> for ErrorBody {
    fn from(error: MetadataError) -> Self {
        ErrorBody::new(
            ErrorCode::Internal,
            format!("Keyplace's database failed: {error}"),
        )
    }
}

impl From<StoreError> for ErrorBody {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::PinRequired(reason) => {
                let message = match reason {
                    PinReason::SetPin => {
                        "Choose a PIN for your Keyplace vault (at least 4 characters)."
                    }
                    PinReason::Unlock => "Enter your Keyplace vault PIN to unlock it.",
                    PinReason::UserVerification => "This site asks you to confirm with your PIN.",
                    PinReason::SetKeyPin => {
                        "Choose a PIN for this hardware passkey (at least 4 characters). The chip checks it \
                         every time, and locks after too many wrong tries."
                    }
                    PinReason::KeyPin => "Enter the PIN of this hardware passkey.",
                };
                ErrorBody::new(ErrorCode::PinRequired, message)
                    .with_detail("reason", reason.as_str())
            }
            StoreError::WrongPin => ErrorBody::new(ErrorCode::WrongPin, "That PIN is not right."),
            StoreError::WrongDevicePin(state) => wrong_device_pin(state),
            StoreError::Locked(state) => locked(state),
            StoreError::BadPin(message) => ErrorBody::new(ErrorCode::BadRequest, message),
            StoreError::Unavailable(reason) => {
                ErrorBody::new(ErrorCode::StoreUnavailable, reason.clone())
                    .with_detail("reason", reason)
            }
            StoreError::Metadata(error) => error.into(),
            StoreError::Internal(message) => ErrorBody::new(ErrorCode::Internal, message),
        }
    }
}

fn wrong_device_pin(state: WrongPin) -> ErrorBody {
    let mut message = "That PIN is not right.".to_owned();
    match state.tries_left {
        Some(0) => message.push_str(&format!(" The chip is now locked{}.", lock_duration(state))),
        Some(1) => message.push_str(" One more wrong PIN locks the chip."),
        Some(n) => message.push_str(&format!(" {n} tries left before the chip locks.")),
        None => {}
    }
    let mut error = ErrorBody::new(ErrorCode::WrongPin, message);
    if let Some(tries_left) = state.tries_left {
        error = error.with_detail("tries_left", tries_left);
    }
    if let Some(seconds) = state.retry_after_seconds {
        error = error.with_detail("retry_after_seconds", seconds);
    }
    error
}

fn locked(state: WrongPin) -> ErrorBody {
    let message = format!(
        "Too many wrong PINs: this passkey is locked by the TPM{}. Even the right PIN is refused until then.",
        lock_duration(state)
    );
    let error = ErrorBody::new(ErrorCode::Locked, message);
    match state.retry_after_seconds {
        Some(seconds) => error.with_detail("retry_after_seconds", seconds),
        None => error,
    }
}

/// " for about N minutes" (or seconds), or how it ends when the chip never forgets by itself.
fn lock_duration(state: WrongPin) -> String {
    match state.retry_after_seconds {
        Some(seconds) if seconds < 90 => format!(" for about {seconds} seconds"),
        Some(seconds) => format!(" for about {} minutes", seconds.div_ceil(60)),
        None => " until its owner resets it (tpm2_dictionarylockout --clear-lockout)".to_owned(),
    }
}

#[cfg(test)]
mod tests;
