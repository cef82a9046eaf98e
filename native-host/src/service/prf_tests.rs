//! `prf` through `create` and `sign` (WebAuthn prf, CTAP2 hmac-secret): the vault gives each passkey a PRF, its
//! values are stable per credential and salt, and they are computed only for the credential's own RP ID.

use serde_json::json;

use super::test_fixtures::{authenticator_data, b64, call, service};
use crate::protocol::ErrorCode;

const SALT_A: [u8; 32] = [0xa1; 32];
const SALT_B: [u8; 32] = [0xb2; 32];

fn create_with_prf(service: &super::Service, salts: Option<Vec<String>>) -> serde_json::Value {
    call(
        service,
        "create",
        json!({"store": "vault", "rp_id": "example.com",
               "user": {"id": b64(b"user-1"), "name": "alice", "display_name": "Alice"},
               "pin": "123456", "resident_key": true, "prf": true, "prf_salts": salts}),
    )
    .unwrap()
}

fn sign_with_prf(
    service: &super::Service,
    id: &serde_json::Value,
    rp_id: &str,
    salts: serde_json::Value,
) -> serde_json::Value {
    let result = call(
        service,
        "sign",
        json!({"credential_id": id, "authenticator_data": b64(&authenticator_data(rp_id, 1, 0)),
               "client_data_hash": b64(&[7; 32]), "pin": "123456", "require_user_verification": true,
               "prf_salts": salts}),
    );
    match result {
        Ok(answer) => answer,
        Err(error) => json!({"error": format!("{:?}", error.code)}),
    }
}

#[test]
fn a_vault_passkey_has_a_prf_whose_values_are_stable_per_salt() {
    let (_dir, service) = service();
    let created = create_with_prf(&service, Some(vec![b64(&SALT_A)]));
    assert_eq!(created["prf_enabled"], true);
    let at_creation = created["prf_results"][0].clone();
    assert_eq!(
        at_creation.as_str().map(str::len),
        Some(43),
        "32 bytes, base64url"
    );

    let id = &created["credential_id"];
    let signed = sign_with_prf(
        &service,
        id,
        "example.com",
        json!([b64(&SALT_A), b64(&SALT_B)]),
    );
    assert_eq!(
        signed["prf_results"][0], at_creation,
        "the same salt gives the same value at sign-in"
    );
    assert_ne!(
        signed["prf_results"][1], at_creation,
        "another salt, another value"
    );

    // Another passkey has another secret.
    let other = create_with_prf(&service, Some(vec![b64(&SALT_A)]));
    assert_ne!(other["prf_results"][0], at_creation);
    // Without prf_salts nothing is computed; without prf at creation, no PRF is reported.
    assert!(sign_with_prf(&service, id, "example.com", json!(null))
        .get("prf_results")
        .is_none());
    let plain = create_with_prf(&service, None);
    assert_eq!(plain["prf_enabled"], true);
    assert!(plain.get("prf_results").is_none());
}

#[test]
fn prf_values_only_for_the_credentials_own_rp_id_and_well_formed_salts() {
    let (_dir, service) = service();
    let created = create_with_prf(&service, None);
    let id = &created["credential_id"];
    let other_site = sign_with_prf(&service, id, "evil.example", json!([b64(&SALT_A)]));
    assert_eq!(other_site["error"], format!("{:?}", ErrorCode::RpMismatch));
    for bad in [
        json!([]),
        json!([b64(&[1; 31])]),
        json!([b64(&SALT_A), b64(&SALT_A), b64(&SALT_A)]),
    ] {
        let refused = sign_with_prf(&service, id, "example.com", bad.clone());
        assert_eq!(
            refused["error"],
            format!("{:?}", ErrorCode::BadRequest),
            "{bad}"
        );
    }
}
