use crate::client_data::sha256;
use serde_json::{json, Value};

use super::*;
use crate::authenticator_data::{parse_authenticator_data, FLAG_AT, FLAG_UP, FLAG_UV};
use crate::bytes::b64u_decode;
use crate::error::ErrorName;
use crate::test_support::{buffer, create_request, created_key, creation_options, sec1_point};

fn prepare(request: Value) -> CoreResult<PreparedCreate> {
    prepare_create(decode(request, "request")?)
}

fn prepare_ok(origin: &str, options: Value) -> PreparedCreate {
    prepare(create_request(origin, options)).unwrap()
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
    let prepared = prepare_ok("https://login.example.com", creation_options());
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
    let prepared = prepare_ok("https://example.com", creation_options());
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
        prepare_ok("https://a.example.com:8443", options.clone()).rp_id,
        "a.example.com"
    );
    let prepared = prepare_ok(
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
        with(creation_options(), "/user/name", json!(42)),
        with(creation_options(), "/rp", json!("example.com")),
        with(creation_options(), "/timeout", json!("soon")),
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
}

#[test]
fn algorithm_selection() {
    let params = |p: Value| with(creation_options(), "/pubKeyCredParams", p);
    let origin = "https://example.com";
    assert_eq!(prepare_ok(origin, params(json!([]))).alg, -7);
    assert_eq!(
        prepare_ok(origin, params(json!([{"type": "public-key", "alg": -7.0}]))).alg,
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
    let p = prepare_ok(origin, select(json!({"requireResidentKey": true})).unwrap());
    assert_eq!(p.resident_key, Requirement::Required);
    let p = prepare_ok(
        origin,
        select(json!({"residentKey": "preferred", "requireResidentKey": true})).unwrap(),
    );
    assert_eq!(p.resident_key, Requirement::Preferred);
    let p = prepare_ok(
        origin,
        select(json!({"residentKey": "bogus", "userVerification": "bogus"})).unwrap(),
    );
    assert_eq!(
        (p.resident_key, p.user_verification),
        (Requirement::Discouraged, Requirement::Preferred)
    );
    let p = prepare_ok(
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
    options["hints"] = json!(["client-device"]);
    let p = prepare_ok(origin, options);
    assert_eq!(p.attestation, AttestationConveyance::Direct);
    assert!(p.cred_props_requested);
    assert_eq!(p.timeout_ms, 30_000);
    assert_eq!(p.exclude_credential_ids, vec![Base64Url(vec![9, 9])]);
}

fn finish(prepared: PreparedCreate, key: CreatedKey) -> CoreResult<RegistrationCredential> {
    finish_create(prepared, key)
}

#[test]
fn finish_builds_none_attestation() {
    let mut options = creation_options();
    options["extensions"] = json!({"credProps": true});
    let prepared = prepare_ok("https://example.com", options);
    let credential = finish(prepared.clone(), created_key()).unwrap();
    assert_eq!(credential.id, b64u_encode(&[0xc1; 20]));
    assert_eq!(credential.response.public_key.0[26..], sec1_point()[..]);
    assert_eq!(
        credential.client_extension_results.cred_props,
        Some(CredProps { rk: true })
    );

    let object: Cbor =
        ciborium::from_reader(credential.response.attestation_object.0.as_slice()).unwrap();
    let entries = object.into_map().unwrap();
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_text().unwrap()).collect();
    assert_eq!(keys, ["fmt", "attStmt", "authData"]);
    assert_eq!(entries[0].1, Cbor::Text("none".into()));
    assert_eq!(entries[1].1, Cbor::Map(vec![]));
    let auth_data = entries[2].1.as_bytes().unwrap();
    assert_eq!(auth_data, &credential.response.authenticator_data.0);

    let parsed = parse_authenticator_data(auth_data).unwrap();
    assert_eq!(parsed.rp_id_hash, sha256(b"example.com"));
    assert_eq!(parsed.flags, FLAG_UP | FLAG_UV | FLAG_AT);
    let attested = parsed.attested.unwrap();
    assert_eq!(attested.credential_id, &[0xc1; 20]);
    assert_eq!(attested.aaguid[..2], [0x6a, 0x1b]);
    assert_eq!(
        attested.cose_key,
        P256PublicPoint::from_sec1_uncompressed(&sec1_point())
            .unwrap()
            .cose_key()
            .unwrap()
    );

    let json = serde_json::to_value(&credential).unwrap();
    assert_eq!(json["type"], "public-key");
    assert_eq!(json["authenticatorAttachment"], "platform");
    assert_eq!(json["response"]["publicKeyAlgorithm"], -7);
    assert_eq!(json["response"]["transports"], json!(["internal"]));
    assert_eq!(
        json["clientExtensionResults"],
        json!({"credProps": {"rk": true}})
    );
    assert_eq!(
        b64u_decode(json["rawId"].as_str().unwrap()).unwrap(),
        vec![0xc1; 20]
    );
    assert!(json["response"]["clientDataJSON"].is_string());
}

#[test]
fn finish_sets_backup_flags_and_omits_unrequested_cred_props() {
    let prepared = prepare_ok("https://example.com", creation_options());
    let mut key = created_key();
    (key.user_verified, key.backup_eligible, key.backup_state) = (false, true, true);
    let credential = finish(prepared, key).unwrap();
    assert_eq!(
        credential.response.authenticator_data.0[32],
        0x01 | 0x08 | 0x10 | 0x40
    );
    assert_eq!(
        serde_json::to_value(&credential).unwrap()["clientExtensionResults"],
        json!({})
    );
}

#[test]
fn finish_rejects_bad_keys_and_unmet_requirements() {
    let prepared = prepare_ok("https://example.com", creation_options());
    let bad_key = |edit: fn(&mut CreatedKey)| {
        let mut key = created_key();
        edit(&mut key);
        finish(prepared.clone(), key).unwrap_err().name
    };
    assert_eq!(
        bad_key(|k| k.public_key.0.truncate(33)),
        ErrorName::TypeError
    );
    assert_eq!(bad_key(|k| k.credential_id.0.clear()), ErrorName::TypeError);
    assert_eq!(
        bad_key(|k| k.credential_id.0 = vec![1; 1024]),
        ErrorName::TypeError
    );
    assert_eq!(bad_key(|k| k.aaguid = "nope".into()), ErrorName::TypeError);
    assert_eq!(bad_key(|k| k.backup_state = true), ErrorName::TypeError);

    let mut strict = prepared;
    strict.user_verification = Requirement::Required;
    let mut key = created_key();
    key.user_verified = false;
    assert_eq!(
        finish(strict.clone(), key).unwrap_err().name,
        ErrorName::NotAllowedError
    );
    strict.resident_key = Requirement::Required;
    let mut key = created_key();
    key.resident_key = false;
    assert_eq!(
        finish(strict, key).unwrap_err().name,
        ErrorName::NotAllowedError
    );
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
                let _ = finish(prepared, created_key());
            }
        }
    }
}

/// The attestation object's three members, checked to be exactly fmt, attStmt, authData in that order.
fn attestation_members(credential: &RegistrationCredential) -> (String, Cbor, Vec<u8>) {
    let object: Cbor =
        ciborium::from_reader(credential.response.attestation_object.0.as_slice()).unwrap();
    let entries = object.into_map().unwrap();
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_text().unwrap()).collect();
    assert_eq!(keys, ["fmt", "attStmt", "authData"]);
    let mut entries = entries.into_iter().map(|(_, value)| value);
    let fmt = entries.next().unwrap().into_text().unwrap();
    let statement = entries.next().unwrap();
    let auth_data = entries.next().unwrap().into_bytes().unwrap();
    (fmt, statement, auth_data)
}

mod packed {
    use p256::ecdsa::signature::{Signer, Verifier};
    use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
    use p256::EncodedPoint;

    use super::*;

    fn signing_key() -> SigningKey {
        SigningKey::from_slice(&[0x5a; 32]).unwrap()
    }

    /// A host-made key whose public point is `signing_key()`'s.
    fn real_key() -> CreatedKey {
        let mut key = created_key();
        key.public_key = Base64Url(
            signing_key()
                .verifying_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
        );
        key
    }

    /// What the host does: sign authenticatorData || clientDataHash with the credential's own key.
    fn attest(prepared: &PreparedCreate, mut key: CreatedKey) -> CreatedKey {
        let auth_data =
            b64u_decode(&registration_authenticator_data(prepared, &key).unwrap()).unwrap();
        let signed = [auth_data, prepared.client_data_hash.0.clone()].concat();
        let signature: Signature = signing_key().sign(&signed);
        key.attestation_signature = Some(Base64Url(signature.to_der().as_bytes().to_vec()));
        key
    }

    /// The credential public key from the COSE_Key in the authenticator data.
    fn verifying_key_from_auth_data(auth_data: &[u8]) -> VerifyingKey {
        let parsed = parse_authenticator_data(auth_data).unwrap();
        let cose: Cbor = ciborium::from_reader(parsed.attested.unwrap().cose_key).unwrap();
        let coordinate = |label: i64| {
            let (_, value) = cose
                .as_map()
                .unwrap()
                .iter()
                .find(|(k, _)| *k == Cbor::from(label))
                .unwrap();
            value.as_bytes().unwrap().clone()
        };
        let point = EncodedPoint::from_affine_coordinates(
            coordinate(-2)[..].into(),
            coordinate(-3)[..].into(),
            false,
        );
        VerifyingKey::from_encoded_point(&point).unwrap()
    }

    #[test]
    fn packed_self_attestation_verifies_against_the_credential_key() {
        let prepared = prepare_ok("https://example.com", creation_options());
        let key = attest(&prepared, real_key());
        let signature = key.attestation_signature.clone().unwrap().0;
        let credential = finish(prepared.clone(), key).unwrap();

        let (fmt, statement, auth_data) = attestation_members(&credential);
        assert_eq!(fmt, "packed");
        assert_eq!(
            statement,
            Cbor::Map(vec![
                (Cbor::Text("alg".into()), Cbor::from(-7)),
                (Cbor::Text("sig".into()), Cbor::Bytes(signature.clone())),
            ])
        );
        assert_eq!(auth_data, credential.response.authenticator_data.0);

        // Canonical CBOR bytes: map(3) "fmt" "packed" "attStmt" map(2) "alg" -7 "sig" bytes(len) ...
        let object = &credential.response.attestation_object.0;
        let mut prefix = vec![0xa3, 0x63];
        prefix.extend_from_slice(b"fmt");
        prefix.push(0x66);
        prefix.extend_from_slice(b"packed");
        prefix.push(0x67);
        prefix.extend_from_slice(b"attStmt");
        prefix.extend_from_slice(&[0xa2, 0x63]);
        prefix.extend_from_slice(b"alg");
        prefix.extend_from_slice(&[0x26, 0x63]);
        prefix.extend_from_slice(b"sig");
        prefix.extend_from_slice(&[0x58, signature.len() as u8]);
        prefix.extend_from_slice(&signature);
        assert_eq!(object[..prefix.len()], prefix[..]);

        // What a relying party does (§8.2 verification procedure, self attestation): verify sig over
        // authenticatorData || clientDataHash with the credential public key, whose alg matches attStmt.alg.
        let verifying_key = verifying_key_from_auth_data(&auth_data);
        let signed = [
            auth_data,
            sha256(&credential.response.client_data_json.0).to_vec(),
        ]
        .concat();
        verifying_key
            .verify(&signed, &Signature::from_der(&signature).unwrap())
            .unwrap();
        // And the SPKI the page gets is the same key.
        assert_eq!(
            credential.response.public_key.0[26..],
            *verifying_key.to_encoded_point(false).as_bytes()
        );
        let info = crate::inspect_registration(&b64u_encode(object)).unwrap();
        assert_eq!(info.fmt, "packed");
    }

    #[test]
    fn registration_authenticator_data_is_what_finish_create_embeds() {
        let mut options = creation_options();
        options["authenticatorSelection"] = json!({"userVerification": "required"});
        let prepared = prepare_ok("https://login.example.com", options);
        let mut key = real_key();
        (key.sign_count, key.backup_eligible, key.backup_state) = (9, true, true);
        let expected = registration_authenticator_data(&prepared, &key).unwrap();

        for attestation_signature in [None, attest(&prepared, key.clone()).attestation_signature] {
            let packed = attestation_signature.is_some();
            let key = CreatedKey {
                attestation_signature,
                ..key.clone()
            };
            // The signature plays no part in the authenticator data.
            assert_eq!(
                registration_authenticator_data(&prepared, &key).unwrap(),
                expected
            );
            let credential = finish(prepared.clone(), key).unwrap();
            let (fmt, _, auth_data) = attestation_members(&credential);
            assert_eq!(fmt, if packed { "packed" } else { "none" });
            assert_eq!(b64u_encode(&auth_data), expected);
            assert_eq!(
                b64u_encode(&credential.response.authenticator_data.0),
                expected
            );
        }
        let expected = b64u_decode(&expected).unwrap();
        let parsed = parse_authenticator_data(&expected).unwrap();
        assert_eq!(parsed.rp_id_hash, sha256(b"example.com"));
        assert_eq!(parsed.flags, FLAG_UP | FLAG_UV | FLAG_AT | 0x08 | 0x10);
        assert_eq!(parsed.sign_count, 9);
    }

    #[test]
    fn registration_authenticator_data_checks_the_key_like_finish_create() {
        let prepared = prepare_ok("https://example.com", creation_options());
        let mut key = real_key();
        key.aaguid = "nope".into();
        assert_eq!(
            registration_authenticator_data(&prepared, &key)
                .unwrap_err()
                .name,
            ErrorName::TypeError
        );
        let mut strict = prepared;
        strict.user_verification = Requirement::Required;
        let mut key = real_key();
        key.user_verified = false;
        assert_eq!(
            registration_authenticator_data(&strict, &key)
                .unwrap_err()
                .name,
            ErrorName::NotAllowedError
        );
    }

    #[test]
    fn null_or_absent_signature_is_none_attestation() {
        let prepared = prepare_ok("https://example.com", creation_options());
        let mut json_key = json!({
            "credentialId": b64u_encode(&[0xc1; 20]),
            "publicKey": b64u_encode(&sec1_point()),
            "aaguid": "6a1b1f55-2b9f-4a6e-9f4c-0d3e1a2b3c4d",
            "signCount": 0, "userVerified": true, "backupEligible": false,
            "backupState": false, "residentKey": true,
        });
        for signature in [None, Some(Value::Null)] {
            if let Some(signature) = signature {
                json_key["attestationSignature"] = signature;
            }
            let key: CreatedKey = decode(json_key.clone(), "key").unwrap();
            assert!(key.attestation_signature.is_none());
            let (fmt, statement, _) = attestation_members(&finish(prepared.clone(), key).unwrap());
            assert_eq!((fmt.as_str(), statement), ("none", Cbor::Map(vec![])));
        }
        // Not base64url, or not a string: TypeError at the boundary.
        for bad in [json!("not base64!"), json!(12), json!({"$bytes": "AQ"})] {
            json_key["attestationSignature"] = bad;
            assert_eq!(
                decode::<CreatedKey>(json_key.clone(), "key")
                    .unwrap_err()
                    .name,
                ErrorName::TypeError
            );
        }
    }

    #[test]
    fn garbage_signatures_are_type_errors() {
        let prepared = prepare_ok("https://example.com", creation_options());
        let good = attest(&prepared, real_key())
            .attestation_signature
            .unwrap()
            .0;
        let raw_r_s = Signature::from_der(&good).unwrap().to_bytes().to_vec();
        let mut trailing = good.clone();
        trailing.push(0);
        for bad in [
            vec![],
            vec![0x30],
            vec![0x04; 64],
            raw_r_s,
            good[..good.len() - 1].to_vec(),
            trailing,
            vec![0x30; 200],
        ] {
            let mut key = real_key();
            key.attestation_signature = Some(Base64Url(bad.clone()));
            let error = finish(prepared.clone(), key).unwrap_err();
            assert_eq!(error.name, ErrorName::TypeError, "{bad:02x?}");
            assert!(error.message.contains("attestationSignature"));
        }
    }

    /// Every real DER signature passes the shape check (short scalars, high-bit scalars with a leading zero).
    #[test]
    fn real_signatures_pass_the_shape_check() {
        let key = signing_key();
        for i in 0u32..512 {
            let signature: Signature = key.sign(&i.to_be_bytes());
            crate::cose::check_es256_der_signature(signature.to_der().as_bytes(), "sig").unwrap();
        }
    }
}
