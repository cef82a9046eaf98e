//! prepare_create: the client steps of navigator.credentials.create() on the options a page sends.

use crate::client_data::sha256;
use serde_json::{json, Value};

use super::*;
use crate::error::ErrorName;
use crate::test_support::{buffer, create_request, created_key, creation_options, prepared_create};

fn prepare(request: Value) -> CoreResult<PreparedCreate> {
    prepare_create(decode(request, "request")?)
}

fn error_name(request: Value) -> ErrorName {
    prepare(request).unwrap_err().name
}

/// Sets (or adds) the member at a JSON pointer such as `/user/id`.
fn with(mut options: Value, pointer: &str, value: Value) -> Value {
    let (parent, member) = pointer.rsplit_once('/').unwrap();
    let parent = options.pointer_mut(parent).unwrap();
    match member.parse::<usize>() {
        Ok(index) if parent.is_array() => parent[index] = value,
        _ => parent[member] = value,
    }
    options
}

fn without(mut options: Value, member: &str) -> Value {
    options.as_object_mut().unwrap().remove(member);
    options
}

#[test]
fn prepares_a_same_origin_request() {
    let prepared = prepared_create("https://login.example.com", creation_options());
    assert_eq!(prepared.rp_id, "example.com");
    assert_eq!(prepared.rp_name, "Example");
    assert_eq!(prepared.user.id.0, vec![7; 16]);
    assert_eq!(
        String::from_utf8(prepared.client_data_json.0.clone()).unwrap(),
        r#"{"type":"webauthn.create","challenge":"AQIDBA","origin":"https://login.example.com","crossOrigin":false}"#
    );
    assert_eq!(
        prepared.client_data_hash.0,
        sha256(&prepared.client_data_json.0)
    );
    assert_eq!(prepared.alg, -7);
    assert_eq!(prepared.resident_key, Requirement::Discouraged);
    assert_eq!(prepared.user_verification, Requirement::Preferred);
    assert_eq!(prepared.authenticator_attachment, None);
    assert_eq!(prepared.attestation, AttestationConveyance::None);
    assert!(!prepared.cred_props_requested);
    assert_eq!(prepared.timeout_ms, 300_000);
}

#[test]
fn prepared_create_json_shape_matches_api() {
    let prepared = prepared_create("https://example.com", creation_options());
    let json = serde_json::to_value(&prepared).unwrap();
    for key in [
        "rpId",
        "rpName",
        "user",
        "clientDataJSON",
        "clientDataHash",
        "excludeCredentialIds",
        "alg",
        "residentKey",
        "userVerification",
        "authenticatorAttachment",
        "attestation",
        "credPropsRequested",
        "timeoutMs",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["user"]["displayName"], "Ada");
    assert_eq!(json["authenticatorAttachment"], Value::Null);
    // The prepared object round-trips through JavaScript into finishCreate.
    assert_eq!(
        serde_json::from_value::<PreparedCreate>(json).unwrap(),
        prepared
    );
}

#[test]
fn rp_id_defaults_to_effective_domain_and_localhost_works() {
    let options = creation_options();
    let options = with(options, "/rp", json!({"name": "Local"}));
    assert_eq!(
        prepared_create("https://a.example.com:8443", options.clone()).rp_id,
        "a.example.com"
    );
    let prepared = prepared_create(
        "http://localhost:8080",
        with(options, "/rp/id", json!("localhost")),
    );
    assert_eq!(prepared.rp_id, "localhost");
    assert!(String::from_utf8(prepared.client_data_json.0)
        .unwrap()
        .contains(r#""origin":"http://localhost:8080""#));
}

#[test]
fn origin_and_rp_id_security_errors() {
    let rp = |id: &str| with(creation_options(), "/rp/id", json!(id));
    assert_eq!(
        error_name(create_request("https://example.com", rp("evil.com"))),
        ErrorName::SecurityError
    );
    assert_eq!(
        error_name(create_request("https://foo.github.io", rp("github.io"))),
        ErrorName::SecurityError
    );
    assert_eq!(
        error_name(create_request("https://a.example.co.uk", rp("co.uk"))),
        ErrorName::SecurityError
    );
    assert_eq!(
        error_name(create_request("http://example.com", creation_options())),
        ErrorName::SecurityError
    );
    assert_eq!(
        error_name(create_request("https://127.0.0.1", rp("127.0.0.1"))),
        ErrorName::SecurityError
    );
    assert_eq!(
        error_name(create_request("https://[::1]", rp("[::1]"))),
        ErrorName::SecurityError
    );
    assert_eq!(
        error_name(create_request("https://example.com", rp("exämple.com"))),
        ErrorName::SecurityError
    );
    assert_eq!(
        error_name(create_request("null", creation_options())),
        ErrorName::NotAllowedError
    );
}

#[test]
fn cross_origin_needs_permission_and_sets_top_origin() {
    let mut request = create_request("https://login.example.com", creation_options());
    request["sameOriginWithAncestors"] = json!(false);
    request["topOrigin"] = json!("https://shop.example");
    assert_eq!(error_name(request.clone()), ErrorName::NotAllowedError);
    request["crossOriginCreateAllowed"] = json!(true);
    let prepared = prepare(request).unwrap();
    assert_eq!(
        String::from_utf8(prepared.client_data_json.0).unwrap(),
        r#"{"type":"webauthn.create","challenge":"AQIDBA","origin":"https://login.example.com","crossOrigin":true,"topOrigin":"https://shop.example"}"#
    );
}

#[test]
fn malformed_options_are_type_errors() {
    let origin = "https://example.com";
    let cases = [
        with(creation_options(), "/challenge", json!("AQIDBA")),
        with(
            creation_options(),
            "/challenge",
            json!({"$bytes": "not base64!"}),
        ),
        without(creation_options(), "user"),
        without(creation_options(), "challenge"),
        without(creation_options(), "pubKeyCredParams"),
        with(creation_options(), "/user/id", buffer(&[1; 65])),
        with(creation_options(), "/user/id", buffer(&[])),
        // A buffer's string or number form is not known from its bytes: the browser converts it.
        with(creation_options(), "/user/name", buffer(&[4, 2])),
        with(creation_options(), "/rp", json!("example.com")),
        with(creation_options(), "/timeout", buffer(&[1])),
        with(creation_options(), "/pubKeyCredParams", json!({"alg": -7})),
        with(
            creation_options(),
            "/excludeCredentials",
            json!([{"type": "public-key", "id": "AQ"}]),
        ),
        json!("not an object"),
    ];
    for options in cases {
        assert_eq!(
            error_name(create_request(origin, options.clone())),
            ErrorName::TypeError,
            "{options}"
        );
    }
    // The TypeError wins over the origin problems that come later in the algorithm.
    let long_user = with(creation_options(), "/user/id", buffer(&[1; 65]));
    assert_eq!(
        error_name(create_request("null", long_user)),
        ErrorName::TypeError
    );
    assert_eq!(error_name(json!({"origin": origin})), ErrorName::TypeError);
    // WebIDL converts these, as the browser does: a DOMString takes a number's string form, a timeout a string's number.
    let converted = with(
        with(creation_options(), "/user/name", json!(42)),
        "/timeout",
        json!(" 45000 "),
    );
    let prepared = prepared_create(origin, converted);
    assert_eq!(prepared.user.name, "42");
    assert_eq!(prepared.timeout_ms, 45_000);
    // null converts to a timeout of 0, which ends the ceremony at once: not Keyplace's to take.
    let no_time = with(creation_options(), "/timeout", json!(null));
    assert_eq!(
        error_name(create_request(origin, no_time)),
        ErrorName::NotAllowedError
    );
}

#[test]
fn algorithm_selection() {
    let params = |p: Value| with(creation_options(), "/pubKeyCredParams", p);
    let origin = "https://example.com";
    assert_eq!(prepared_create(origin, params(json!([]))).alg, -7);
    assert_eq!(
        prepared_create(origin, params(json!([{"type": "public-key", "alg": -7.0}]))).alg,
        -7
    );
    let rs256_only = params(json!([{"type": "public-key", "alg": -257}]));
    assert_eq!(
        error_name(create_request(origin, rs256_only)),
        ErrorName::NotSupportedError
    );
    let wrong_type = params(json!([{"type": "password", "alg": -7}]));
    assert_eq!(
        error_name(create_request(origin, wrong_type)),
        ErrorName::NotSupportedError
    );
}

#[test]
fn selection_enums_and_extensions() {
    let origin = "https://example.com";
    let select = |selection: Value| {
        Some(with(
            creation_options(),
            "/authenticatorSelection",
            selection,
        ))
    };
    let p = prepared_create(origin, select(json!({"requireResidentKey": true})).unwrap());
    assert_eq!(p.resident_key, Requirement::Required);
    let p = prepared_create(
        origin,
        select(json!({"residentKey": "preferred", "requireResidentKey": true})).unwrap(),
    );
    assert_eq!(p.resident_key, Requirement::Preferred);
    let p = prepared_create(
        origin,
        select(json!({"residentKey": "bogus", "userVerification": "bogus"})).unwrap(),
    );
    assert_eq!(
        (p.resident_key, p.user_verification),
        (Requirement::Discouraged, Requirement::Preferred)
    );
    let p = prepared_create(
        origin,
        select(json!({"authenticatorAttachment": "platform", "userVerification": "required"}))
            .unwrap(),
    );
    assert_eq!(
        (p.authenticator_attachment, p.user_verification),
        (Some(Attachment::Platform), Requirement::Required)
    );

    let mut options = creation_options();
    options["attestation"] = json!("direct");
    options["extensions"] = json!({"credProps": true, "unknownExt": 1});
    options["timeout"] = json!(1000);
    options["excludeCredentials"] = json!([{"type": "public-key", "id": buffer(&[9, 9])}]);
    options["hints"] = json!([
        "client-device",
        "smartwatch",
        "security-key",
        "client-device"
    ]);
    let p = prepared_create(origin, options);
    // Known hints in the site's order, each once; unknown ones ignored.
    assert_eq!(p.hints, vec![Hint::ClientDevice, Hint::SecurityKey]);
    assert_eq!(p.attestation, AttestationConveyance::Direct);
    assert!(p.cred_props_requested);
    assert_eq!(p.timeout_ms, 30_000);
    assert_eq!(p.exclude_credential_ids, vec![Base64Url(vec![9, 9])]);
}

/// Deterministic "fuzzing" of the JSON the page controls: every member replaced by values of other JSON types
/// must give a typed error or a result, never a panic.
#[test]
fn options_survive_type_confusion() {
    let replacements = [
        json!(null),
        json!(true),
        json!(-1.5),
        json!("x"),
        json!([]),
        json!({}),
        json!({"$bytes": "AQ"}),
        json!(1e300),
    ];
    let pointers = [
        "/rp",
        "/rp/id",
        "/rp/name",
        "/user",
        "/user/id",
        "/user/name",
        "/user/displayName",
        "/challenge",
        "/pubKeyCredParams",
        "/pubKeyCredParams/0",
        "/pubKeyCredParams/0/alg",
        "/pubKeyCredParams/0/type",
        "/timeout",
        "/excludeCredentials",
        "/authenticatorSelection",
        "/attestation",
        "/extensions",
    ];
    for pointer in pointers {
        for replacement in &replacements {
            let options = with(creation_options(), pointer, replacement.clone());
            if let Ok(prepared) = prepare(create_request("https://example.com", options)) {
                let _ = finish_create(prepared, created_key());
            }
        }
    }
}
