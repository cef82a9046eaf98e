use serde_json::{json, Value};

use super::*;
use crate::authenticator_data::{FLAG_BE, FLAG_UP};
use crate::bytes::b64u_decode;
use crate::error::ErrorName;
use crate::test_support::{b64u, buffer};

fn request_options() -> Value {
    json!({"challenge": buffer(&[5; 8]), "rpId": "example.com",
           "allowCredentials": [{"type": "public-key", "id": buffer(&[0xc1; 20])}]})
}

fn get_request(origin: &str, options: Value) -> Value {
    json!({"origin": origin, "topOrigin": origin, "sameOriginWithAncestors": true, "options": options})
}

fn prepare(request: Value) -> CoreResult<PreparedGet> {
    prepare_get(decode(request, "request")?)
}

fn error_name(request: Value) -> ErrorName {
    prepare(request).unwrap_err().name
}

const PRESENT: AssertionFlags = AssertionFlags {
    user_present: true,
    user_verified: false,
    backup_eligible: false,
    backup_state: false,
};

fn signed(prepared: &PreparedGet, flags: AssertionFlags) -> SignedAssertion {
    let data = assertion_authenticator_data(&prepared.rp_id, flags).unwrap();
    serde_json::from_value(json!({"credentialId": b64u(&[0xc1; 20]), "authenticatorData": data,
                                  "signature": b64u(&[0x30, 0x06, 2, 1, 1, 2, 1, 1]), "userHandle": null}))
    .unwrap()
}

#[test]
fn prepares_a_get_request() {
    let prepared = prepare(get_request("https://login.example.com", request_options())).unwrap();
    assert_eq!(prepared.rp_id, "example.com");
    assert_eq!(
        String::from_utf8(prepared.client_data_json.0.clone()).unwrap(),
        r#"{"type":"webauthn.get","challenge":"BQUFBQUFBQU","origin":"https://login.example.com","crossOrigin":false}"#
    );
    assert_eq!(
        prepared.client_data_hash.0,
        sha256(&prepared.client_data_json.0)
    );
    assert_eq!(
        prepared.allow_credential_ids,
        vec![Base64Url(vec![0xc1; 20])]
    );
    assert_eq!(prepared.user_verification, Requirement::Preferred);
    assert_eq!(prepared.timeout_ms, 300_000);
    let json = serde_json::to_value(&prepared).unwrap();
    assert_eq!(json["allowCredentialIds"], json!([b64u(&[0xc1; 20])]));
    assert_eq!(
        serde_json::from_value::<PreparedGet>(json).unwrap(),
        prepared
    );
}

#[test]
fn get_errors_follow_the_spec() {
    let mut options = request_options();
    options["rpId"] = json!("evil.com");
    assert_eq!(
        error_name(get_request("https://example.com", options)),
        ErrorName::SecurityError
    );
    assert_eq!(
        error_name(get_request("http://example.com", request_options())),
        ErrorName::SecurityError
    );
    assert_eq!(
        error_name(get_request("null", request_options())),
        ErrorName::NotAllowedError
    );
    let mut options = request_options();
    options["allowCredentials"] = json!([{"type": "public-key", "id": b64u(&[1])}]);
    assert_eq!(
        error_name(get_request("https://example.com", options)),
        ErrorName::TypeError
    );
    let mut options = request_options();
    options["challenge"] = json!([1, 2, 3]);
    assert_eq!(
        error_name(get_request("https://example.com", options)),
        ErrorName::TypeError
    );

    let mut cross = get_request("https://example.com", request_options());
    cross["sameOriginWithAncestors"] = json!(false);
    cross["topOrigin"] = json!("https://top.example");
    assert_eq!(error_name(cross.clone()), ErrorName::NotAllowedError);
    cross["crossOriginGetAllowed"] = json!(true);
    let prepared = prepare(cross).unwrap();
    assert!(String::from_utf8(prepared.client_data_json.0)
        .unwrap()
        .ends_with(r#""crossOrigin":true,"topOrigin":"https://top.example"}"#));
}

#[test]
fn assertion_authenticator_data_is_header_only() {
    let flags = AssertionFlags {
        backup_eligible: true,
        ..PRESENT
    };
    let data = b64u_decode(&assertion_authenticator_data("example.com", flags).unwrap()).unwrap();
    assert_eq!(data.len(), 37);
    assert_eq!(&data[..32], &sha256(b"example.com"));
    assert_eq!(data[32], FLAG_UP | FLAG_BE);
    assert_eq!(&data[33..], &[0, 0, 0, 0]);
    for bad in ["", "Example.com", "127.0.0.1", "exa mple.com"] {
        assert_eq!(
            assertion_authenticator_data(bad, PRESENT).unwrap_err().name,
            ErrorName::TypeError
        );
    }
}

#[test]
fn finish_get_builds_the_response() {
    let prepared = prepare(get_request("https://example.com", request_options())).unwrap();
    let credential = finish_get(prepared.clone(), signed(&prepared, PRESENT)).unwrap();
    let json = serde_json::to_value(&credential).unwrap();
    assert_eq!(json["id"], b64u(&[0xc1; 20]));
    assert_eq!(json["rawId"], json["id"]);
    assert_eq!(json["type"], "public-key");
    assert_eq!(json["authenticatorAttachment"], "platform");
    assert_eq!(json["response"]["userHandle"], Value::Null);
    assert_eq!(
        json["response"]["clientDataJSON"],
        b64u(&prepared.client_data_json.0)
    );
    assert_eq!(json["clientExtensionResults"], json!({}));
}

#[test]
fn finish_get_refuses_what_the_page_did_not_ask_for() {
    let prepared = prepare(get_request("https://example.com", request_options())).unwrap();

    let mut other_rp = prepared.clone();
    other_rp.rp_id = "evil.com".into();
    let for_evil = signed(&other_rp, PRESENT);
    assert_eq!(
        finish_get(prepared.clone(), for_evil).unwrap_err().name,
        ErrorName::SecurityError
    );

    let mut not_allowed = signed(&prepared, PRESENT);
    not_allowed.credential_id = Base64Url(vec![2; 16]);
    assert_eq!(
        finish_get(prepared.clone(), not_allowed).unwrap_err().name,
        ErrorName::NotAllowedError
    );

    let mut needs_uv = prepared.clone();
    needs_uv.user_verification = Requirement::Required;
    assert_eq!(
        finish_get(needs_uv.clone(), signed(&prepared, PRESENT))
            .unwrap_err()
            .name,
        ErrorName::NotAllowedError
    );
    let verified = AssertionFlags {
        user_verified: true,
        ..PRESENT
    };
    assert!(finish_get(needs_uv, signed(&prepared, verified)).is_ok());

    let mut discoverable = prepared.clone();
    discoverable.allow_credential_ids.clear();
    assert_eq!(
        finish_get(discoverable.clone(), signed(&prepared, PRESENT))
            .unwrap_err()
            .name,
        ErrorName::NotAllowedError
    );
    let mut with_handle = signed(&prepared, PRESENT);
    with_handle.user_handle = Some(Base64Url(vec![7; 16]));
    let credential = finish_get(discoverable, with_handle).unwrap();
    assert_eq!(
        serde_json::to_value(credential).unwrap()["response"]["userHandle"],
        b64u(&[7; 16])
    );

    let mut truncated = signed(&prepared, PRESENT);
    truncated.authenticator_data.0.truncate(36);
    assert_eq!(
        finish_get(prepared.clone(), truncated).unwrap_err().name,
        ErrorName::TypeError
    );
    let mut unsigned = signed(&prepared, PRESENT);
    unsigned.signature.0.clear();
    assert_eq!(
        finish_get(prepared, unsigned).unwrap_err().name,
        ErrorName::TypeError
    );
}
