//! `create`: a new key in the chosen store, and its metadata row.

use rand_core::{OsRng, RngCore};

use super::{credential_ids, errors, prf_results, prf_salts, Service};
use crate::metadata::{now_ms, CredentialRecord};
use crate::protocol::{B64u, CreateAnswer, CreateParams, ErrorBody, Pin};
use crate::stores::Purpose;

const CREDENTIAL_ID_LEN: usize = 16;
const MAX_USER_ID_LEN: usize = 64;
const MAX_RP_ID_LEN: usize = 253;
/// WebAuthn lets an authenticator keep as little as 64 bytes of `user.name` and `user.displayName`; Keyplace keeps
/// 256, so one page of `list` can never approach the 1 MiB message cap because of a site's huge names.
const MAX_STORED_NAME_BYTES: usize = 256;

impl Service {
    pub(super) fn create(&self, params: CreateParams) -> Result<CreateAnswer, ErrorBody> {
        let store = self.store(params.store);
        check_rp_id(&params.rp_id)?;
        if params.user.id.0.is_empty() || params.user.id.0.len() > MAX_USER_ID_LEN {
            return Err(errors::bad_user_id());
        }
        let salts = prf_salts(&params.prf_salts)?;
        let excluded = credential_ids("exclude_credential_ids", params.exclude_credential_ids)?
            .unwrap_or_default();
        if self
            .metadata
            .any_exists(&excluded, &params.rp_id, store.id())?
        {
            return Err(errors::excluded());
        }
        let authorization = store.authorize(
            params.pin.as_ref().map(Pin::as_str),
            params.require_user_verification,
            Purpose::Create,
        )?;
        let mut credential_id = vec![0; CREDENTIAL_ID_LEN];
        OsRng.fill_bytes(&mut credential_id);
        let key = store.create_key_with_prf(&authorization, &credential_id, params.prf)?;
        let (backup_eligible, backup_state) = store.backup_flags();
        let record = CredentialRecord {
            credential_id,
            rp_id: params.rp_id,
            user_id: params.user.id.0,
            user_name: truncate_to_bytes(params.user.name, MAX_STORED_NAME_BYTES),
            user_display_name: truncate_to_bytes(params.user.display_name, MAX_STORED_NAME_BYTES),
            store: store.id(),
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
        // WebAuthn prf: a store with a PRF for its keys says so (and evaluates `prf.eval` at once).
        let prf = if params.prf {
            store.prf(
                &authorization,
                &record.credential_id,
                &record.key_blob,
                salts.as_deref().unwrap_or_default(),
            )?
        } else {
            None
        };
        self.metadata.insert_credential(&record)?;
        Ok(CreateAnswer {
            credential_id: B64u(record.credential_id),
            public_key: B64u(record.public_key),
            aaguid: record.aaguid,
            sign_count: 0,
            user_verified: authorization.user_verified,
            backup_eligible,
            backup_state,
            store: store.id(),
            prf_enabled: prf.is_some(),
            prf_results: prf_results(prf.filter(|outputs| !outputs.is_empty())),
        })
    }
}

fn check_rp_id(rp_id: &str) -> Result<(), ErrorBody> {
    if rp_id.is_empty() || rp_id.len() > MAX_RP_ID_LEN {
        return Err(errors::bad_rp_id());
    }
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::truncate_to_bytes;
    use crate::protocol::ErrorCode;
    use crate::service::test_fixtures::{b64, call, create, service};

    #[test]
    fn exclusions_hardware_list_and_delete() {
        let (_dir, service) = service();
        let created = create(&service, "example.com", Some("123456")).unwrap();
        let excluded = call(
            &service,
            "create",
            json!({"store": "vault", "rp_id": "example.com", "user": {"id": b64(b"u"), "name": "a", "display_name": "A"},
               "exclude_credential_ids": [created["credential_id"]]}),
        );
        assert_eq!(excluded.unwrap_err().code, ErrorCode::Excluded);
        let hardware = call(
        &service,
        "create",
        json!({"store": "hardware", "rp_id": "example.com", "user": {"id": b64(b"u"), "name": "a", "display_name": "A"}}),
    )
    .unwrap_err();
        assert_eq!(hardware.code, ErrorCode::StoreUnavailable);
        #[cfg(target_os = "linux")]
        assert!(hardware
            .details
            .reason
            .as_deref()
            .unwrap()
            .contains("no TPM 2.0"));

        create(&service, "other.example", None).unwrap();
        let listed = call(&service, "list", json!({"rp_id": "example.com"})).unwrap();
        let credentials = listed["credentials"].as_array().unwrap();
        assert_eq!(credentials.len(), 1);
        assert_eq!(credentials[0]["aaguid"], crate::stores::vault::VAULT_AAGUID);
        assert!(credentials[0].get("key_blob").is_none());
        let by_id = call(
            &service,
            "list",
            json!({"credential_ids": [created["credential_id"]], "rp_id": null}),
        )
        .unwrap();
        assert_eq!(by_id["credentials"].as_array().unwrap().len(), 1);

        let deleted = call(
            &service,
            "delete",
            json!({"credential_id": created["credential_id"]}),
        )
        .unwrap();
        assert_eq!(deleted, json!({"deleted": true}));
        let again = call(
            &service,
            "delete",
            json!({"credential_id": created["credential_id"]}),
        )
        .unwrap();
        assert_eq!(again, json!({"deleted": false}));
    }

    #[test]
    fn very_long_account_names_are_truncated_at_a_character_boundary() {
        assert_eq!(truncate_to_bytes("abc".to_owned(), 256), "abc");
        let long = "é".repeat(200); // 400 bytes, 2 per character
        let cut = truncate_to_bytes(long, 255);
        assert_eq!(cut.len(), 254);
        assert!(cut.chars().all(|c| c == 'é'));
    }
}
