//! The small methods: `hello` (status), `delete`, `rename`, `lock` and `configure`.

use super::{errors, Service};
use crate::protocol::{
    ConfigureParams, DeleteAnswer, DeleteParams, EmptyAnswer, ErrorBody, HelloAnswer, RenameAnswer,
    RenameParams,
};
use crate::stores::KeyStore;

/// An account name set by `rename`: 1 to 64 characters once trimmed, no control characters.
pub const MAX_USER_NAME_CHARS: usize = 64;

impl Service {
    pub(super) fn hello(&self) -> Result<HelloAnswer, ErrorBody> {
        Ok(HelloAnswer {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            stores: self.stores().map(|store| store.status()).to_vec(),
            vault_unlock_seconds: self.metadata.vault_unlock_seconds()?,
        })
    }

    pub(super) fn delete(&self, params: DeleteParams) -> Result<DeleteAnswer, ErrorBody> {
        let Some(credential) = self.metadata.credential(&params.credential_id.0)? else {
            return Ok(DeleteAnswer { deleted: false });
        };
        self.credential_store(&credential)
            .destroy_key(&credential.key_blob)?;
        let deleted = self.metadata.delete_credential(&credential.credential_id)?;
        Ok(DeleteAnswer { deleted })
    }

    /// Changes only the account name Keyplace shows; the relying party keeps its own user name and id.
    pub(super) fn rename(&self, params: RenameParams) -> Result<RenameAnswer, ErrorBody> {
        let user_name = check_user_name(&params.user_name)?;
        let renamed = self
            .metadata
            .rename_credential(&params.credential_id.0, user_name)?;
        Ok(RenameAnswer { renamed })
    }

    pub(super) fn lock(&self) -> Result<EmptyAnswer, ErrorBody> {
        for store in self.stores() {
            store.lock();
        }
        Ok(EmptyAnswer {})
    }

    pub(super) fn configure(&self, params: ConfigureParams) -> Result<EmptyAnswer, ErrorBody> {
        self.metadata
            .set_vault_unlock_seconds(params.vault_unlock_seconds)?;
        if params.vault_unlock_seconds == 0 {
            self.vault.lock();
        }
        Ok(EmptyAnswer {})
    }
}

/// A new account name, trimmed: 1 to 64 characters, none of them control characters.
fn check_user_name(name: &str) -> Result<&str, ErrorBody> {
    let trimmed = name.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > MAX_USER_NAME_CHARS {
        return Err(errors::bad_user_name_length(MAX_USER_NAME_CHARS));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(errors::user_name_with_control_characters());
    }
    Ok(trimmed)
}

#[cfg(test)]
mod tests {
    use keyplace_core::authenticator_data::FLAG_UP;
    use serde_json::{json, Value};

    use crate::protocol::ErrorCode;
    use crate::service::test_fixtures::{authenticator_data, b64, call, create, service, sign};

    #[test]
    fn pin_errors_locking_and_configuration() {
        let (_dir, service) = service();
        let created = create(&service, "example.com", Some("123456")).unwrap();
        let data = authenticator_data("example.com", FLAG_UP, 0);
        let wrong = sign(
            &service,
            &created["credential_id"],
            &data,
            Some("0000"),
            false,
        )
        .unwrap_err();
        assert_eq!(wrong.code, ErrorCode::WrongPin);
        let uv = sign(&service, &created["credential_id"], &data, None, true).unwrap_err();
        assert_eq!(uv.details.reason.as_deref(), Some("user_verification"));
        call(&service, "lock", json!({})).unwrap();
        let locked = sign(&service, &created["credential_id"], &data, None, false).unwrap_err();
        assert_eq!(locked.code, ErrorCode::PinRequired);
        assert_eq!(locked.details.reason.as_deref(), Some("unlock"));

        call(&service, "configure", json!({"vault_unlock_seconds": 0})).unwrap();
        sign(
            &service,
            &created["credential_id"],
            &data,
            Some("123456"),
            false,
        )
        .unwrap();
        let again = sign(&service, &created["credential_id"], &data, None, false).unwrap_err();
        assert_eq!(again.details.reason.as_deref(), Some("unlock"));
        let hello = call(&service, "hello", json!({})).unwrap();
        assert_eq!(hello["vault_unlock_seconds"], 0);
        assert_eq!(
            hello["stores"][0],
            json!({"id": "vault", "available": true, "initialized": true, "unlocked": false, "protection": "pin_only"})
        );
        assert_eq!(hello["stores"][1]["available"], false);
    }

    #[test]
    fn rename_changes_only_the_account_name_and_validates_it() {
        let (_dir, service) = service();
        let created = create(&service, "example.com", Some("123456")).unwrap();
        let id = created["credential_id"].clone();
        let renamed = call(
            &service,
            "rename",
            json!({"credential_id": id, "user_name": "  alice@work  "}),
        )
        .unwrap();
        assert_eq!(renamed, json!({"renamed": true}));
        let listed = call(&service, "list", json!({"credential_ids": [id]})).unwrap();
        let credential = &listed["credentials"][0];
        assert_eq!(credential["user_name"], "alice@work", "trimmed");
        assert_eq!(
            credential["user_display_name"], "Alice",
            "display name untouched"
        );
        assert_eq!(credential["sign_count"], 0);

        // Exactly 64 characters (not bytes) is fine; 65, empty, blank or a line break is not.
        let sixty_four = "é".repeat(64);
        assert_eq!(
            call(
                &service,
                "rename",
                json!({"credential_id": id, "user_name": sixty_four})
            )
            .unwrap(),
            json!({"renamed": true})
        );
        for bad in [
            json!(""),
            json!("   "),
            json!("x".repeat(65)),
            json!("a\nb"),
            json!(5),
            Value::Null,
        ] {
            let error = call(
                &service,
                "rename",
                json!({"credential_id": id, "user_name": bad}),
            )
            .unwrap_err();
            assert_eq!(error.code, ErrorCode::BadRequest, "{bad}");
        }
        let missing_name = call(&service, "rename", json!({"credential_id": id})).unwrap_err();
        assert_eq!(missing_name.code, ErrorCode::BadRequest);
        let bad_id = call(
            &service,
            "rename",
            json!({"credential_id": "***", "user_name": "x"}),
        )
        .unwrap_err();
        assert_eq!(bad_id.code, ErrorCode::BadRequest);
        let listed = call(&service, "list", json!({"credential_ids": [id]})).unwrap();
        assert_eq!(listed["credentials"][0]["user_name"], "é".repeat(64));

        // An unknown credential is not an error, just nothing renamed.
        let unknown = call(
            &service,
            "rename",
            json!({"credential_id": b64(&[0; 16]), "user_name": "bob"}),
        )
        .unwrap();
        assert_eq!(unknown, json!({"renamed": false}));

        // The key still signs for its site after a rename.
        let data = authenticator_data("example.com", 0x01, 0);
        assert_eq!(
            sign(&service, &id, &data, None, false).unwrap()["sign_count"],
            1
        );
    }
}
