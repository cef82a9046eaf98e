use keyplace_core::authenticator_data::{FLAG_BE, FLAG_BS, FLAG_UP, FLAG_UV};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePrivateKey;
use serde_json::{json, Value};

use crate::protocol::{ErrorCode, ImportParams};
use crate::service::test_fixtures::{authenticator_data, b64, call, decode, service, sign};

const EXPORT: &str = include_str!("../../tests/fixtures/cxf/export.json");
const PIN: &str = "246800";

fn inspect(service: &super::Service) -> Value {
    call(
        service,
        "import",
        json!({"action": "inspect", "file": EXPORT}),
    )
    .unwrap()
}

fn statuses(answer: &Value) -> Vec<&str> {
    answer["passkeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect()
}

/// The public key of the file's `index`th passkey, from its own PKCS#8 key.
fn public_key_in_file(index: usize) -> VerifyingKey {
    let export: Value = serde_json::from_str(EXPORT).unwrap();
    let key = &export["accounts"][0]["items"][index]["credentials"][0]["key"];
    let secret = p256::SecretKey::from_pkcs8_der(&decode(key)).unwrap();
    VerifyingKey::from(secret.public_key())
}

#[test]
fn inspect_lists_every_passkey_with_what_can_be_imported() {
    let (_dir, service) = service();
    let answer = inspect(&service);
    assert_eq!(answer["exporter"], "Exporter");
    assert_eq!(answer["imported"], 0);
    assert_eq!(statuses(&answer), ["ready", "ready", "cannot_import"]);
    let ed25519 = &answer["passkeys"][2];
    assert_eq!(ed25519["rp_id"], "ed25519.example");
    assert!(
        ed25519["reason"].as_str().unwrap().contains("Ed25519"),
        "{ed25519}"
    );
    assert_eq!(
        answer["passkeys"][0]["credential_id"],
        b64(b"credential-example")
    );
    assert_eq!(answer["passkeys"][0]["account"], "jane_smith");
}

#[test]
fn imports_the_chosen_passkey_which_then_signs_with_the_files_key_at_counter_zero() {
    let (_dir, service) = service();
    let chosen = b64(b"credential-example");
    let answer = call(
        &service,
        "import",
        json!({"action": "import", "file": EXPORT, "credential_ids": [chosen], "pin": PIN}),
    )
    .unwrap();
    assert_eq!(answer["imported"], 1);
    assert_eq!(
        statuses(&answer),
        ["imported", "not_chosen", "cannot_import"]
    );

    let listed = call(&service, "list", json!({"slim": true})).unwrap();
    let rows = listed["credentials"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "only the chosen one");
    assert_eq!(rows[0]["imported_from"], "Exporter");
    let full = call(&service, "list", json!({"rp_id": "example.com"})).unwrap();
    let row = &full["credentials"][0];
    assert_eq!(
        (
            &row["backup_eligible"],
            &row["backup_state"],
            &row["user_name"],
            &row["store"]
        ),
        (
            &json!(true),
            &json!(true),
            &json!("jane_smith"),
            &json!("vault")
        )
    );
    assert_eq!(row["user_id"], b64(b"user-handle-1"));

    // The host's own sign path: BE=1, BS=1, the counter fixed at 0, a signature by the file's key.
    let public_key = public_key_in_file(0);
    for (pin, uv) in [(Some(PIN), true), (None, false)] {
        let data = authenticator_data("example.com", FLAG_UP, 0);
        let signed = sign(&service, &json!(chosen), &data, pin, uv).unwrap();
        assert_eq!(signed["sign_count"], 0);
        assert_eq!(signed["user_handle"], b64(b"user-handle-1"));
        let signed_data = decode(&signed["authenticator_data"]);
        let uv_flag = if uv { FLAG_UV } else { 0 };
        assert_eq!(signed_data[32], FLAG_UP | FLAG_BE | FLAG_BS | uv_flag);
        assert_eq!(signed_data[33..37], [0, 0, 0, 0]);
        let signature = Signature::from_der(&decode(&signed["signature"])).unwrap();
        public_key
            .verify(&[signed_data, vec![7; 32]].concat(), &signature)
            .unwrap();
    }
    // Its PRF secret stayed with the exporter: no PRF values rather than others.
    let with_prf = call(
        &service,
        "sign",
        json!({"credential_id": chosen, "authenticator_data": b64(&authenticator_data("example.com", FLAG_UP, 0)),
               "client_data_hash": b64(&[7; 32]), "pin": PIN, "require_user_verification": true,
               "prf_salts": [b64(&[3; 32])]}),
    )
    .unwrap();
    assert!(with_prf.get("prf_results").is_none(), "{with_prf}");
    // Imported once: the same file again says so, and the rest can still come.
    assert_eq!(
        statuses(&inspect(&service)),
        ["already_here", "ready", "cannot_import"]
    );
}

#[test]
fn a_wrong_pin_or_a_bad_choice_imports_nothing() {
    let (_dir, service) = service();
    let all = json!([b64(b"credential-example"), b64(b"credential-second")]);
    call(
        &service,
        "import",
        json!({"action": "import", "file": EXPORT, "credential_ids": [b64(b"credential-second")], "pin": PIN}),
    )
    .unwrap();
    let wrong = call(
        &service,
        "import",
        json!({"action": "import", "file": EXPORT, "credential_ids": all, "pin": "0000"}),
    )
    .unwrap_err();
    assert_eq!(wrong.code, ErrorCode::WrongPin);
    for params in [
        json!({"action": "import", "file": EXPORT, "credential_ids": [], "pin": PIN}),
        json!({"action": "import", "file": EXPORT, "credential_ids": [b64(b"not in the file")], "pin": PIN}),
        json!({"action": "inspect", "file": "{\"version\": {\"major\": 2, \"minor\": 0}}"}),
        json!({"action": "inspect", "file": "not json"}),
        json!({"action": "export", "file": EXPORT}),
    ] {
        let error = call(&service, "import", params.clone()).unwrap_err();
        assert_eq!(error.code, ErrorCode::BadRequest, "{params}: {error:?}");
    }
    let listed = call(&service, "list", json!({})).unwrap();
    assert_eq!(listed["total"], 1, "only the first import's passkey");
    // Choosing one that cannot be imported, beside one that can: the other comes, the Ed25519 one is reported.
    let answer = call(
        &service,
        "import",
        json!({"action": "import", "file": EXPORT, "pin": PIN,
               "credential_ids": [b64(b"credential-example"), b64(b"credential-ed25519")]}),
    )
    .unwrap();
    assert_eq!(
        statuses(&answer),
        ["imported", "already_here", "cannot_import"]
    );
}

#[test]
fn debug_of_an_import_request_shows_neither_the_file_nor_the_pin() {
    let params: ImportParams = serde_json::from_value(
        json!({"action": "import", "file": EXPORT, "credential_ids": [], "pin": "975300"}),
    )
    .unwrap();
    let shown = format!("{params:?}");
    assert!(
        !shown.contains("key") && !shown.contains("975300"),
        "{shown}"
    );
    assert!(shown.contains("bytes>)"), "{shown}");
}
