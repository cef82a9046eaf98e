//! finish_create and registration_authenticator_data: the credential built around the host's key, with "none"
//! or "packed" self attestation.

use serde_json::json;

use super::*;
use crate::authenticator_data::{parse_authenticator_data, FLAG_AT, FLAG_UP, FLAG_UV};
use crate::bytes::b64u_decode;
use crate::client_data::sha256;
use crate::error::ErrorName;
use crate::test_support::{created_key, creation_options, prepared_create, sec1_point};

fn finish(prepared: PreparedCreate, key: CreatedKey) -> CoreResult<RegistrationCredential> {
    finish_create(prepared, key)
}

#[test]
fn finish_builds_none_attestation() {
    let mut options = creation_options();
    options["extensions"] = json!({"credProps": true});
    let prepared = prepared_create("https://example.com", options);
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
    let prepared = prepared_create("https://example.com", creation_options());
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
    let prepared = prepared_create("https://example.com", creation_options());
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
        let prepared = prepared_create("https://example.com", creation_options());
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
        let prepared = prepared_create("https://login.example.com", options);
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
        let prepared = prepared_create("https://example.com", creation_options());
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
        let prepared = prepared_create("https://example.com", creation_options());
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
        let prepared = prepared_create("https://example.com", creation_options());
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
