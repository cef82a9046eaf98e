//! Method handlers, one file per command (create, sign, attest, list, devices and copies, and the small ones in
//! manage); the words of every failure are in errors.rs. Everything here is blocking (SQLite, Argon2, signing); the
//! transport runs each request on tokio's blocking pool.
//!
//! The sign invariant (ARCHITECTURE.md rule 4) lives here: the host signs only authenticator data that names the
//! stored credential's own RP ID, and it writes the counter and the UV/BE/BS flags itself, whatever the caller
//! sent. `attest` keeps the same invariant for the one other thing a key signs, its own registration: only right
//! after `create`, only before the first `sign`, and only authenticator data that is exactly that credential's
//! registration for its own RP ID.

use std::path::Path;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::metadata::{CredentialRecord, Metadata, MetadataError};
use crate::protocol::{B64u, EmptyParams, ErrorBody, Request, Response, StoreId};
use crate::stores::hardware::{hardware_store, HardwareStore};
use crate::stores::vault::Vault;
use crate::stores::KeyStore;

mod attest;
mod create;
mod devices;
pub mod errors;
mod import;
mod list;
mod manage;
mod recovery;
mod ring;
mod sign;

#[cfg(test)]
mod prf_tests;
#[cfg(test)]
mod test_fixtures;

pub use attest::ATTEST_WINDOW_MS;
pub use list::{LIST_MAX_LIMIT, LIST_PAGE_BYTES};
pub use manage::MAX_USER_NAME_CHARS;
pub use sign::AUTHENTICATOR_DATA_LEN;

const CLIENT_DATA_HASH_LEN: usize = 32;

/// The most credential ids one request may name (`list`'s `credential_ids`, `create`'s `exclude_credential_ids`:
/// a page's `allowCredentials` and `excludeCredentials`). Sites name a person's few passkeys and security keys,
/// rarely more than a dozen; 256 leaves room for that many times over. A page that sends thousands is refused before
/// its list reaches SQLite, where each id is one lookup made while holding the database connection (and `list`
/// drops repeats by comparing every pair), so a 4 MiB list of ids would hold up every other request.
pub const MAX_CREDENTIAL_IDS: usize = 256;

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

    fn store(&self, id: StoreId) -> &dyn KeyStore {
        match id {
            StoreId::Vault => &self.vault,
            StoreId::Hardware => &self.hardware,
        }
    }

    /// The store that holds a credential's key.
    fn credential_store(&self, credential: &CredentialRecord) -> &dyn KeyStore {
        self.store(credential.store)
    }

    pub fn handle(&self, request: Request) -> Response {
        let Request { id, method, params } = request;
        let answer = match method.as_str() {
            "hello" => run(params, |_: EmptyParams| self.hello()),
            "create" => run(params, |p| self.create(p)),
            "sign" => run(params, |p| self.sign(p)),
            "attest" => run(params, |p| self.attest(p)),
            "list" => run(params, |p| self.list(p)),
            "delete" => run(params, |p| self.delete(p)),
            "rename" => run(params, |p| self.rename(p)),
            "lock" => run(params, |_: EmptyParams| self.lock()),
            "configure" => run(params, |p| self.configure(p)),
            "devices" => run(params, |_: EmptyParams| self.devices()),
            "copy_request" => run(params, |p| self.copy_request(p)),
            "copy_inspect" => run(params, |p| self.copy_inspect(p)),
            "copy_approve" => run(params, |p| self.copy_approve(p)),
            "copy_release" => run(params, |p| self.copy_release(p)),
            "copy_import" => run(params, |p| self.copy_import(p)),
            "ring" => run(params, |p| self.ring(p)),
            "recovery" => run(params, |p| self.recovery(p)),
            "import" => run(params, |p| self.import(p)),
            _ => Err(errors::unknown_method()),
        };
        match answer {
            Ok(result) => Response::success(id, result),
            Err(error) => {
                crate::log::debug!("request {id} ({method}) failed: {:?}", error.code);
                Response::failure(Some(id), error)
            }
        }
    }
}

/// Parses a method's params, runs it, and serializes its answer. Through `Value`, as before the answers were typed,
/// so the bytes on the wire are the same.
fn run<P: DeserializeOwned, A: Serialize>(
    params: Value,
    method: impl FnOnce(P) -> Result<A, ErrorBody>,
) -> Result<Value, ErrorBody> {
    let params = serde_json::from_value(params).map_err(errors::bad_params)?;
    serde_json::to_value(method(params)?).map_err(errors::answer_not_serializable)
}

/// The raw ids of an optional list of credential ids, refused when it names more than `MAX_CREDENTIAL_IDS`.
fn credential_ids(field: &str, ids: Option<Vec<B64u>>) -> Result<Option<Vec<Vec<u8>>>, ErrorBody> {
    match ids {
        Some(ids) if ids.len() > MAX_CREDENTIAL_IDS => Err(errors::too_many_credential_ids(
            field,
            ids.len(),
            MAX_CREDENTIAL_IDS,
        )),
        ids => Ok(ids.map(|ids| ids.into_iter().map(|id| id.0).collect())),
    }
}

/// `prf_salts` of `create` and `sign`: one or two salts of 32 bytes (the core hashed the site's inputs into them).
fn prf_salts(salts: &Option<Vec<B64u>>) -> Result<Option<Vec<&[u8]>>, ErrorBody> {
    let Some(salts) = salts else {
        return Ok(None);
    };
    if salts.is_empty() || salts.len() > 2 || salts.iter().any(|salt| salt.0.len() != 32) {
        return Err(errors::bad_prf_salts());
    }
    Ok(Some(salts.iter().map(|salt| &salt.0[..]).collect()))
}

/// What a store computed for `prf_salts`, for the answer.
fn prf_results(outputs: Option<Vec<[u8; 32]>>) -> Option<Vec<B64u>> {
    outputs.map(|outputs| outputs.iter().map(|output| B64u(output.to_vec())).collect())
}

/// ARCHITECTURE.md rule 4: the first 32 bytes must be SHA-256 of the credential's own RP ID (the caller checked the
/// length).
fn check_rp_id_hash(
    authenticator_data: &[u8],
    credential: &CredentialRecord,
) -> Result<(), ErrorBody> {
    if authenticator_data[..32] != Sha256::digest(credential.rp_id.as_bytes())[..] {
        return Err(errors::rp_mismatch());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::test_fixtures::{call, create, service};
    use super::MAX_CREDENTIAL_IDS;
    use crate::protocol::{ErrorCode, METHODS};

    /// A page's huge `allowCredentials`/`excludeCredentials` is a typed error naming the limit, never a query.
    #[test]
    fn too_many_credential_ids_are_refused_with_the_limit() {
        let (_dir, service) = service();
        let ids = |n: usize| vec![json!("AAAAAAAAAAAAAAAAAAAAAA"); n];
        let user = json!({"id": "AQ", "name": "a", "display_name": "A"});
        for (method, field, params) in [
            (
                "list",
                "credential_ids",
                json!({"credential_ids": ids(MAX_CREDENTIAL_IDS + 1)}),
            ),
            (
                "create",
                "exclude_credential_ids",
                json!({"store": "vault", "rp_id": "example.com", "user": user,
                       "exclude_credential_ids": ids(100_000)}),
            ),
        ] {
            let error = call(&service, method, params).unwrap_err();
            assert_eq!(error.code, ErrorCode::BadRequest, "{method}");
            assert!(
                error.message.contains(field)
                    && error.message.contains(&MAX_CREDENTIAL_IDS.to_string()),
                "{}",
                error.message
            );
        }
        let at_the_limit = call(
            &service,
            "list",
            json!({"credential_ids": ids(MAX_CREDENTIAL_IDS)}),
        )
        .unwrap();
        assert_eq!(at_the_limit["total"], 0);
    }

    #[test]
    fn every_method_of_the_protocol_is_dispatched() {
        let (_dir, service) = service();
        for method in METHODS {
            if let Err(error) = call(&service, method, json!({})) {
                assert_ne!(error.code, ErrorCode::UnknownMethod, "{method}");
            }
        }
    }

    #[test]
    fn bad_params_are_typed_errors() {
        let (_dir, service) = service();
        for (method, params) in [
            ("create", json!({"store": 5})),
            (
                "create",
                json!({"store": "vault", "rp_id": "a", "user": {"id": "***", "name": "a", "display_name": "A"}}),
            ),
            (
                "create",
                json!({"store": "vault", "rp_id": "a", "user": {"id": "", "name": "a", "display_name": "A"}}),
            ),
            (
                "create",
                json!({"store": "cloud", "rp_id": "a", "user": {"id": "AA", "name": "a", "display_name": "A"}}),
            ),
            (
                "sign",
                json!({"credential_id": "AA", "authenticator_data": "AA", "client_data_hash": "AA"}),
            ),
            (
                "attest",
                json!({"credential_id": "AA", "authenticator_data": "AA", "client_data_hash": "AA"}),
            ),
            (
                "attest",
                json!({"credential_id": "AA", "client_data_hash": "AA"}),
            ),
            ("delete", json!({"credential_id": 12})),
            ("configure", json!({"vault_unlock_seconds": -1})),
            ("list", json!({"rp_id": []})),
        ] {
            let error = call(&service, method, params.clone()).unwrap_err();
            assert_eq!(error.code, ErrorCode::BadRequest, "{method} {params}");
        }
        assert_eq!(
            call(&service, "explode", json!({})).unwrap_err().code,
            ErrorCode::UnknownMethod
        );
        let short_pin = create(&service, "example.com", Some("12")).unwrap_err();
        assert_eq!(short_pin.code, ErrorCode::BadRequest);
    }
}
