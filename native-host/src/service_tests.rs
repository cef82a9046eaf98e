use super::*;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use serde_json::json;

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

/// A registration's authenticator data, by hand: rpIdHash | flags | counter | AAGUID | credIdLen | credId |
/// COSE_Key {1: 2, 3: -7, -1: 1, -2: x, -3: y} in canonical order.
fn registration_data(
    rp_id: &str,
    flags: u8,
    counter: u32,
    aaguid: &[u8; 16],
    credential_id: &[u8],
    public_key: &[u8],
) -> Vec<u8> {
    let mut data = authenticator_data(rp_id, flags, counter);
    data.extend_from_slice(aaguid);
    data.extend_from_slice(&(credential_id.len() as u16).to_be_bytes());
    data.extend_from_slice(credential_id);
    data.extend_from_slice(&[0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]);
    data.extend_from_slice(&public_key[1..33]);
    data.extend_from_slice(&[0x22, 0x58, 0x20]);
    data.extend_from_slice(&public_key[33..65]);
    data
}

/// The registration of a vault credential made by `create`, as the extension builds it.
fn vault_registration(created: &Value, rp_id: &str) -> Vec<u8> {
    registration_data(
        rp_id,
        FLAG_UP | FLAG_UV | FLAG_BE | FLAG_AT,
        0,
        &VAULT_AAGUID_BYTES,
        &decode(&created["credential_id"]),
        &decode(&created["public_key"]),
    )
}

fn attest(
    service: &Service,
    credential_id: &Value,
    data: &[u8],
    client_data_hash: &[u8],
    pin: Option<&str>,
) -> Result<Value, ErrorBody> {
    call(
        service,
        "attest",
        json!({"credential_id": credential_id, "authenticator_data": b64(data),
               "client_data_hash": b64(client_data_hash), "pin": pin}),
    )
}

fn attest_code(service: &Service, credential_id: &Value, data: &[u8]) -> ErrorCode {
    attest(service, credential_id, data, &[5; 32], Some("1234"))
        .unwrap_err()
        .code
}

#[test]
fn attest_signs_exactly_a_fresh_registration_without_counting() {
    let (_dir, service) = service();
    let created = create(&service, "example.com", Some("1234")).unwrap();
    let public_key = VerifyingKey::from_sec1_bytes(&decode(&created["public_key"])).unwrap();
    let data = vault_registration(&created, "example.com");
    // Unlocked vault: no PIN needed; with the PIN it works too.
    for pin in [None, Some("1234")] {
        let attested = attest(&service, &created["credential_id"], &data, &[5; 32], pin).unwrap();
        let signature = Signature::from_der(&decode(&attested["signature"])).unwrap();
        public_key
            .verify(&[&data[..], &[5; 32]].concat(), &signature)
            .unwrap();
        assert_eq!(attested.as_object().unwrap().len(), 1, "{attested}");
    }
    let listed = call(&service, "list", json!({})).unwrap();
    assert_eq!(listed["credentials"][0]["sign_count"], 0);
    assert_eq!(listed["credentials"][0]["last_used_at"], Value::Null);
    // The first assertion still carries counter 1.
    let signed = sign(
        &service,
        &created["credential_id"],
        &authenticator_data("example.com", FLAG_UP, 0),
        None,
        false,
    )
    .unwrap();
    assert_eq!(signed["sign_count"], 1);
}

#[test]
fn attest_refuses_anything_but_this_credentials_registration() {
    let (_dir, service) = service();
    let created = create(&service, "example.com", Some("1234")).unwrap();
    let other = create(&service, "example.com", Some("1234")).unwrap();
    let id = &created["credential_id"];
    let own_id = decode(id);
    let own_key = decode(&created["public_key"]);
    let build =
        |rp_id: &str, flags: u8, counter: u32, aaguid: &[u8; 16], cid: &[u8], key: &[u8]| {
            registration_data(rp_id, flags, counter, aaguid, cid, key)
        };
    let flags = FLAG_UP | FLAG_BE | FLAG_AT;

    // Invariant 4: another site's rpIdHash.
    let elsewhere = build(
        "evil.example",
        flags,
        0,
        &VAULT_AAGUID_BYTES,
        &own_id,
        &own_key,
    );
    assert_eq!(attest_code(&service, id, &elsewhere), ErrorCode::RpMismatch);

    let other_id = decode(&other["credential_id"]);
    let other_key = decode(&other["public_key"]);
    let hardware_aaguid = [
        0xc9, 0x59, 0x48, 0xa9, 0x3e, 0x06, 0x47, 0x3d, 0xa1, 0xef, 0xb1, 0x1f, 0x00, 0x81, 0x64,
        0x5d,
    ];
    let mut truncated_key = build(
        "example.com",
        flags,
        0,
        &VAULT_AAGUID_BYTES,
        &own_id,
        &own_key,
    );
    truncated_key.pop();
    let mut long_id = own_id.clone();
    long_id.push(0);
    let refused = [
        (
            "another credential's id",
            build(
                "example.com",
                flags,
                0,
                &VAULT_AAGUID_BYTES,
                &other_id,
                &own_key,
            ),
        ),
        (
            "a longer credential id",
            build(
                "example.com",
                flags,
                0,
                &VAULT_AAGUID_BYTES,
                &long_id,
                &own_key,
            ),
        ),
        (
            "another credential's key",
            build(
                "example.com",
                flags,
                0,
                &VAULT_AAGUID_BYTES,
                &own_id,
                &other_key,
            ),
        ),
        (
            "trailing bytes",
            [
                build(
                    "example.com",
                    flags,
                    0,
                    &VAULT_AAGUID_BYTES,
                    &own_id,
                    &own_key,
                ),
                vec![0xa0],
            ]
            .concat(),
        ),
        (
            "ED",
            build(
                "example.com",
                flags | FLAG_ED,
                0,
                &VAULT_AAGUID_BYTES,
                &own_id,
                &own_key,
            ),
        ),
        (
            "no AT",
            build(
                "example.com",
                flags & !FLAG_AT,
                0,
                &VAULT_AAGUID_BYTES,
                &own_id,
                &own_key,
            ),
        ),
        (
            "no UP",
            build(
                "example.com",
                flags & !FLAG_UP,
                0,
                &VAULT_AAGUID_BYTES,
                &own_id,
                &own_key,
            ),
        ),
        (
            "reserved flag",
            build(
                "example.com",
                flags | 0x20,
                0,
                &VAULT_AAGUID_BYTES,
                &own_id,
                &own_key,
            ),
        ),
        (
            "BE not as stored",
            build(
                "example.com",
                flags & !FLAG_BE,
                0,
                &VAULT_AAGUID_BYTES,
                &own_id,
                &own_key,
            ),
        ),
        (
            "BS not as stored",
            build(
                "example.com",
                flags | FLAG_BS,
                0,
                &VAULT_AAGUID_BYTES,
                &own_id,
                &own_key,
            ),
        ),
        (
            "a counter",
            build(
                "example.com",
                flags,
                1,
                &VAULT_AAGUID_BYTES,
                &own_id,
                &own_key,
            ),
        ),
        (
            "another AAGUID",
            build("example.com", flags, 0, &hardware_aaguid, &own_id, &own_key),
        ),
        ("a truncated key", truncated_key),
        (
            "an assertion",
            authenticator_data("example.com", FLAG_UP, 0),
        ),
    ];
    for (what, data) in refused {
        let error = attest(&service, id, &data, &[5; 32], Some("1234")).unwrap_err();
        assert_eq!(error.code, ErrorCode::BadRequest, "{what}: {error:?}");
    }
    let valid = vault_registration(&created, "example.com");
    let short_hash = attest(&service, id, &valid, &[5; 31], Some("1234")).unwrap_err();
    assert_eq!(short_hash.code, ErrorCode::BadRequest);
    assert_eq!(
        attest_code(&service, &json!(b64(b"nope")), &valid),
        ErrorCode::NotFound
    );
    // The store authorizes as for `sign`.
    call(&service, "lock", json!({})).unwrap();
    let locked = attest(&service, id, &valid, &[5; 32], None).unwrap_err();
    assert_eq!(locked.details["reason"], "unlock");
    let wrong = attest(&service, id, &valid, &[5; 32], Some("0000")).unwrap_err();
    assert_eq!(wrong.code, ErrorCode::WrongPin);
    // None of this used the counter, and the registration itself is still attestable.
    attest(&service, id, &valid, &[5; 32], Some("1234")).unwrap();
    let listed = call(&service, "list", json!({"credential_ids": [id]})).unwrap();
    assert_eq!(listed["credentials"][0]["sign_count"], 0);
}

#[test]
fn attest_only_before_the_first_sign_and_within_ten_minutes() {
    let (_dir, service) = service();
    let created = create(&service, "example.com", Some("1234")).unwrap();
    let data = vault_registration(&created, "example.com");
    sign(
        &service,
        &created["credential_id"],
        &authenticator_data("example.com", FLAG_UP, 0),
        None,
        false,
    )
    .unwrap();
    let used = attest(&service, &created["credential_id"], &data, &[5; 32], None).unwrap_err();
    assert_eq!(used.code, ErrorCode::BadRequest);
    assert!(used.message.contains("already been used"), "{used:?}");

    // Made 10 minutes and a second ago (or that far in the future: the clock moved back).
    for offset in [-(ATTEST_WINDOW_MS + 1000), ATTEST_WINDOW_MS + 1000] {
        let fresh = create(&service, "example.com", Some("1234")).unwrap();
        let id = decode(&fresh["credential_id"]);
        let mut record = service.metadata.credential(&id).unwrap().unwrap();
        record.created_at = now_ms() + offset;
        service.metadata.delete_credential(&id).unwrap();
        service.metadata.insert_credential(&record).unwrap();
        let data = vault_registration(&fresh, "example.com");
        let old = attest(&service, &fresh["credential_id"], &data, &[5; 32], None).unwrap_err();
        assert_eq!(old.code, ErrorCode::BadRequest);
        assert!(old.message.contains("10 minutes"), "{old:?}");
        // Just inside the window it is still fine.
        record.created_at = now_ms() - ATTEST_WINDOW_MS + 60_000;
        service.metadata.delete_credential(&id).unwrap();
        service.metadata.insert_credential(&record).unwrap();
        attest(&service, &fresh["credential_id"], &data, &[5; 32], None).unwrap();
    }
}

#[test]
fn cose_key_and_aaguid_encodings() {
    assert_eq!(
        aaguid_bytes(crate::stores::vault::VAULT_AAGUID),
        Some(VAULT_AAGUID_BYTES)
    );
    assert_eq!(aaguid_bytes("62ee5665-1fea-485b-9a24"), None);
    assert_eq!(aaguid_bytes("zzee5665-1fea-485b-9a24-9ccac93787c2"), None);
    let point = [&[0x04][..], &[1; 32], &[2; 32]].concat();
    let key = cose_key_es256(&point).unwrap();
    assert_eq!(key.len(), 77);
    assert_eq!(
        registration_data("a", 0, 0, &[0; 16], b"", &point)[55..],
        key[..]
    );
    assert_eq!(cose_key_es256(&point[1..]), None);
    assert_eq!(cose_key_es256(&[&[0x02][..], &[1; 64]].concat()), None);
}

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

/// Inserts credentials straight into the database (no PIN, no key work): `list` only reads metadata.
fn insert_listed(
    service: &Service,
    count: u32,
    rp_id: impl Fn(u32) -> String,
    name: impl Fn(u32) -> String,
) {
    for i in 0..count {
        let mut record = crate::metadata::tests::sample(&i.to_be_bytes(), &rp_id(i));
        record.user_name = name(i);
        service.metadata.insert_credential(&record).unwrap();
    }
}

fn list_all_pages(service: &Service, params: Value) -> (Vec<Value>, Vec<usize>) {
    let mut rows = Vec::new();
    let mut sizes = Vec::new();
    let mut params = params;
    loop {
        let page = call(service, "list", params.clone()).unwrap();
        sizes.push(page.to_string().len());
        rows.extend(page["credentials"].as_array().unwrap().iter().cloned());
        match &page["next"] {
            Value::Null => return (rows, sizes),
            next => params["after"] = next.clone(),
        }
    }
}

#[test]
fn list_pages_every_credential_once_with_the_total() {
    let (_dir, service) = service();
    insert_listed(
        &service,
        1200,
        |i| format!("s{:02}.example", i % 37),
        |i| format!("u{}", i % 5),
    );
    let first = call(&service, "list", json!({"limit": 200, "slim": true})).unwrap();
    assert_eq!(first["total"], 1200);
    assert_eq!(first["credentials"].as_array().unwrap().len(), 200);
    assert!(first["next"].is_string());
    let row = first["credentials"][0].as_object().unwrap();
    let mut keys: Vec<&str> = row.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "credential_id",
            "last_used_at",
            "rp_id",
            "sign_count",
            "store",
            "user_name"
        ]
    );

    let (rows, _) = list_all_pages(&service, json!({"limit": 200, "slim": true}));
    assert_eq!(rows.len(), 1200);
    let mut ids: Vec<&str> = rows
        .iter()
        .map(|r| r["credential_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1200, "every row exactly once");
    let order: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["rp_id"].as_str().unwrap().into(),
                r["user_name"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "rp_id, then user_name");

    // Without a limit: pages of 500; a larger limit is read as 500.
    let default = call(&service, "list", json!({})).unwrap();
    assert_eq!(default["credentials"].as_array().unwrap().len(), 500);
    let big = call(&service, "list", json!({"limit": 100000})).unwrap();
    assert_eq!(big["credentials"].as_array().unwrap().len(), 500);
    assert_eq!(
        call(&service, "list", json!({"limit": 0}))
            .unwrap_err()
            .code,
        ErrorCode::BadRequest
    );
    for bad in ["nope", "AAAA", ""] {
        let answer = call(&service, "list", json!({"after": bad})).unwrap_err();
        assert_eq!(answer.code, ErrorCode::BadRequest, "{bad}");
    }

    // By RP ID (what sign-in asks): small, full rows, one page.
    let site = call(&service, "list", json!({"rp_id": "s05.example"})).unwrap();
    assert_eq!(site["total"], site["credentials"].as_array().unwrap().len());
    assert_eq!(site["next"], Value::Null);
    assert!(site["credentials"][0]["user_display_name"].is_string());
    let (paged, _) = list_all_pages(&service, json!({"rp_id": "s05.example", "limit": 3}));
    assert_eq!(paged, site["credentials"].as_array().unwrap().clone());

    // Search: RP ID or account name, any case; total counts every match.
    let (found, _) = list_all_pages(&service, json!({"query": "  S05.EX ", "limit": 7}));
    assert_eq!(found.len() as u64, site["total"].as_u64().unwrap());
    let u3 = call(&service, "list", json!({"query": "U3", "limit": 10})).unwrap();
    assert_eq!(u3["total"], 240);
    assert!(u3["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["user_name"] == "u3"));

    // By credential ids, with the other filters and paging.
    let ids: Vec<Value> = rows
        .iter()
        .take(5)
        .map(|r| r["credential_id"].clone())
        .collect();
    let mut with_unknown = ids.clone();
    with_unknown.push(json!(b64(b"unknown")));
    with_unknown.push(ids[0].clone());
    let by_ids = call(&service, "list", json!({"credential_ids": with_unknown})).unwrap();
    assert_eq!(by_ids["total"], 5);
    let (by_ids_paged, _) = list_all_pages(&service, json!({"credential_ids": ids, "limit": 2}));
    assert_eq!(by_ids_paged.len(), 5);
    let first_site = rows[0]["rp_id"].clone();
    let narrowed = call(
        &service,
        "list",
        json!({"credential_ids": ids, "rp_id": first_site}),
    )
    .unwrap();
    assert!(narrowed["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["rp_id"] == first_site));
}

#[test]
fn list_answers_stay_under_the_browsers_cap_whatever_the_rows_hold() {
    let (_dir, service) = service();
    // Account names of 4,000 control characters: 24,000 bytes each once escaped as \u00XX in JSON.
    insert_listed(
        &service,
        120,
        |_| "big.example".into(),
        |i| format!("{i:03}{}", "\u{1}".repeat(4000)),
    );
    let (rows, sizes) = list_all_pages(&service, json!({}));
    assert_eq!(rows.len(), 120);
    assert!(sizes.len() > 1, "{sizes:?}");
    for size in &sizes {
        assert!(*size < 1024 * 1024 - 1024, "{sizes:?}");
    }
    // The same through the transport's own check (the envelope and the frame's cap).
    let answer = service.handle(Request {
        id: 9,
        method: "list".into(),
        params: json!({}),
    });
    assert!(answer.result.is_some());
    assert!(serde_json::to_vec(&answer).unwrap().len() < 1024 * 1024);
}

#[test]
fn very_long_account_names_are_truncated_at_a_character_boundary() {
    assert_eq!(truncate_to_bytes("abc".to_owned(), 256), "abc");
    let long = "é".repeat(200); // 400 bytes, 2 per character
    let cut = truncate_to_bytes(long, 255);
    assert_eq!(cut.len(), 254);
    assert!(cut.chars().all(|c| c == 'é'));
}
