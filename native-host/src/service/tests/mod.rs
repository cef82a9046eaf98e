use super::*;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use serde_json::json;

mod attest;
mod list;

fn service() -> (tempfile::TempDir, Service) {
    let dir = tempfile::tempdir().unwrap();
    let metadata = Arc::new(Metadata::open(&dir.path().join("keyplace.db")).unwrap());
    // Unit tests never touch a real TPM; tests/hardware_tpm.rs drives a software one.
    #[cfg(target_os = "linux")]
    let hardware = crate::stores::tpm::TpmStore::new("device:/nonexistent/tpmrm0".into());
    #[cfg(not(target_os = "linux"))]
    let hardware = crate::stores::hardware::hardware_store();
    (dir, Service::with_hardware(metadata, hardware))
}

fn call(service: &Service, method: &str, params: Value) -> Result<Value, ErrorBody> {
    let response = service.handle(Request {
        id: 1,
        method: method.into(),
        params,
    });
    match (response.result, response.error) {
        (Some(result), None) => Ok(result),
        (None, Some(error)) => Err(error),
        other => panic!("answer with both or neither: {other:?}"),
    }
}

fn b64(bytes: &[u8]) -> String {
    B64u::encode(bytes)
}

fn decode(value: &Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value.as_str().unwrap())
        .unwrap()
}

fn create(service: &Service, rp_id: &str, pin: Option<&str>) -> Result<Value, ErrorBody> {
    call(
        service,
        "create",
        json!({"store": "vault", "rp_id": rp_id, "user": {"id": b64(b"user-1"), "name": "alice", "display_name": "Alice"},
               "pin": pin, "resident_key": true, "require_user_verification": false}),
    )
}

fn authenticator_data(rp_id: &str, flags: u8, counter: u32) -> Vec<u8> {
    let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
    data.push(flags);
    data.extend_from_slice(&counter.to_be_bytes());
    data
}

fn sign(
    service: &Service,
    credential_id: &Value,
    data: &[u8],
    pin: Option<&str>,
    uv: bool,
) -> Result<Value, ErrorBody> {
    call(
        service,
        "sign",
        json!({"credential_id": credential_id, "authenticator_data": b64(data), "client_data_hash": b64(&[7; 32]),
               "pin": pin, "require_user_verification": uv}),
    )
}

#[test]
fn create_needs_a_pin_first_then_signs_with_own_counter_and_flags() {
    let (_dir, service) = service();
    let refused = create(&service, "example.com", None).unwrap_err();
    assert_eq!(refused.code, ErrorCode::PinRequired);
    assert_eq!(refused.details["reason"], "set_pin");

    let created = create(&service, "example.com", Some("1234")).unwrap();
    assert_eq!(created["user_verified"], true);
    assert_eq!(created["backup_eligible"], true);
    assert_eq!(created["backup_state"], false);
    let public_key = VerifyingKey::from_sec1_bytes(&decode(&created["public_key"])).unwrap();

    // The caller claims UV, BS, a huge counter and RFU bits; the host overrides all of it.
    let claimed = authenticator_data("example.com", !(FLAG_AT | FLAG_ED), 999);
    let first = sign(&service, &created["credential_id"], &claimed, None, false).unwrap();
    let signed = decode(&first["authenticator_data"]);
    assert_eq!(
        signed[32],
        FLAG_UP | FLAG_BE,
        "UV only when the PIN was checked in this request"
    );
    assert_eq!(&signed[33..], &1u32.to_be_bytes());
    assert_eq!(first["user_verified"], false);
    assert_eq!(decode(&first["user_handle"]), b"user-1");
    let mut message = signed.clone();
    message.extend_from_slice(&[7; 32]);
    let signature = Signature::from_der(&decode(&first["signature"])).unwrap();
    public_key.verify(&message, &signature).unwrap();

    let second = sign(
        &service,
        &created["credential_id"],
        &claimed,
        Some("1234"),
        true,
    )
    .unwrap();
    assert_eq!(second["sign_count"], 2);
    assert_eq!(
        decode(&second["authenticator_data"])[32],
        FLAG_UP | FLAG_UV | FLAG_BE
    );
}

#[test]
fn sign_refuses_other_sites_and_attested_data() {
    let (_dir, service) = service();
    let created = create(&service, "example.com", Some("1234")).unwrap();
    let other = sign(
        &service,
        &created["credential_id"],
        &authenticator_data("evil.example", 1, 0),
        Some("1234"),
        false,
    );
    assert_eq!(other.unwrap_err().code, ErrorCode::RpMismatch);
    for flag in [FLAG_AT, FLAG_ED] {
        let data = authenticator_data("example.com", FLAG_UP | flag, 0);
        assert_eq!(
            sign(
                &service,
                &created["credential_id"],
                &data,
                Some("1234"),
                false
            )
            .unwrap_err()
            .code,
            ErrorCode::BadRequest
        );
    }
    let long = [authenticator_data("example.com", 1, 0), vec![0]].concat();
    assert_eq!(
        sign(&service, &created["credential_id"], &long, None, false)
            .unwrap_err()
            .code,
        ErrorCode::BadRequest
    );
    let missing = sign(
        &service,
        &json!(b64(b"nope")),
        &authenticator_data("example.com", 1, 0),
        None,
        false,
    );
    assert_eq!(missing.unwrap_err().code, ErrorCode::NotFound);
    // Refusals do not spend the counter.
    let listed = call(&service, "list", json!({})).unwrap();
    assert_eq!(listed["credentials"][0]["sign_count"], 0);
}

#[test]
fn pin_errors_locking_and_configuration() {
    let (_dir, service) = service();
    let created = create(&service, "example.com", Some("1234")).unwrap();
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
    assert_eq!(uv.details["reason"], "user_verification");
    call(&service, "lock", json!({})).unwrap();
    let locked = sign(&service, &created["credential_id"], &data, None, false).unwrap_err();
    assert_eq!(locked.code, ErrorCode::PinRequired);
    assert_eq!(locked.details["reason"], "unlock");

    call(&service, "configure", json!({"vault_unlock_seconds": 0})).unwrap();
    sign(
        &service,
        &created["credential_id"],
        &data,
        Some("1234"),
        false,
    )
    .unwrap();
    let again = sign(&service, &created["credential_id"], &data, None, false).unwrap_err();
    assert_eq!(again.details["reason"], "unlock");
    let hello = call(&service, "hello", json!({})).unwrap();
    assert_eq!(hello["vault_unlock_seconds"], 0);
    assert_eq!(
        hello["stores"][0],
        json!({"id": "vault", "available": true, "initialized": true, "unlocked": false})
    );
    assert_eq!(hello["stores"][1]["available"], false);
}

#[test]
fn exclusions_hardware_list_and_delete() {
    let (_dir, service) = service();
    let created = create(&service, "example.com", Some("1234")).unwrap();
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
    assert!(hardware.details["reason"]
        .as_str()
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

const VAULT_AAGUID_BYTES: [u8; 16] = [
    0x62, 0xee, 0x56, 0x65, 0x1f, 0xea, 0x48, 0x5b, 0x9a, 0x24, 0x9c, 0xca, 0xc9, 0x37, 0x87, 0xc2,
];

#[test]
fn rename_changes_only_the_account_name_and_validates_it() {
    let (_dir, service) = service();
    let created = create(&service, "example.com", Some("1234")).unwrap();
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

#[test]
fn very_long_account_names_are_truncated_at_a_character_boundary() {
    assert_eq!(truncate_to_bytes("abc".to_owned(), 256), "abc");
    let long = "é".repeat(200); // 400 bytes, 2 per character
    let cut = truncate_to_bytes(long, 255);
    assert_eq!(cut.len(), 254);
    assert!(cut.chars().all(|c| c == 'é'));
}
