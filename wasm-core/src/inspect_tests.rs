use super::*;
use crate::bytes::b64u_encode;
use crate::client_data::sha256;
use crate::error::ErrorName;
use crate::make_credential::{finish_create, prepare_create};
use crate::options::decode;
use crate::test_support::{create_request, created_key, creation_options};

fn registration_object() -> Vec<u8> {
    let prepared = prepare_create(
        decode(
            create_request("https://example.com", creation_options()),
            "r",
        )
        .unwrap(),
    );
    finish_create(prepared.unwrap(), created_key())
        .unwrap()
        .response
        .attestation_object
        .0
}

#[test]
fn inspects_a_none_attestation() {
    let info = inspect_registration(&b64u_encode(&registration_object())).unwrap();
    assert_eq!(info.fmt, "none");
    assert_eq!(info.rp_id_hash.0, sha256(b"example.com"));
    assert_eq!(info.aaguid, "6a1b1f55-2b9f-4a6e-9f4c-0d3e1a2b3c4d");
    assert_eq!(info.credential_id.0, vec![0xc1; 20]);
    assert_eq!(
        info.flags,
        FlagSummary {
            up: true,
            uv: true,
            be: false,
            bs: false
        }
    );
    assert_eq!(info.sign_count, 0);
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(
        json["flags"],
        serde_json::json!({"up": true, "uv": true, "be": false, "bs": false})
    );
    assert_eq!(json["credentialId"], b64u_encode(&[0xc1; 20]));
    assert_eq!(json["signCount"], 0);
}

#[test]
fn inspects_authenticator_data() {
    let data = crate::assertion_authenticator_data(
        "example.com",
        serde_json::from_value(
            serde_json::json!({"userPresent": true, "userVerified": true,
            "backupEligible": true, "backupState": true}),
        )
        .unwrap(),
    )
    .unwrap();
    let info = inspect_authenticator_data(&data).unwrap();
    assert_eq!(info.rp_id_hash.0, sha256(b"example.com"));
    assert_eq!(
        info.flags,
        FlagSummary {
            up: true,
            uv: true,
            be: true,
            bs: true
        }
    );
    assert_eq!(info.sign_count, 0);
}

#[test]
fn garbage_and_truncation_are_type_errors() {
    let object = registration_object();
    for bad in ["", "!!", "oWNmbXRkbm9uZQ", "gA", "9g"] {
        assert_eq!(
            inspect_registration(bad).unwrap_err().name,
            ErrorName::TypeError,
            "{bad}"
        );
        assert_eq!(
            inspect_authenticator_data(bad).unwrap_err().name,
            ErrorName::TypeError,
            "{bad}"
        );
    }
    for len in 0..object.len() {
        let truncated = b64u_encode(&object[..len]);
        assert_eq!(
            inspect_registration(&truncated).unwrap_err().name,
            ErrorName::TypeError,
            "len {len}"
        );
    }
}

/// A deterministic xorshift stream stands in for a fuzzer: thousands of mutated, truncated and extended inputs
/// through every parser must give results or TypeErrors, never a panic.
#[test]
fn parsers_survive_mutations() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let object = registration_object();
    for round in 0..20_000u32 {
        let mut input = object.clone();
        match round % 4 {
            0 => {
                for _ in 0..1 + next() % 4 {
                    let at = (next() as usize) % input.len();
                    input[at] = next() as u8;
                }
            }
            1 => input.truncate((next() as usize) % input.len()),
            2 => {
                let at = (next() as usize) % input.len();
                input.insert(at, next() as u8);
            }
            _ => input = (0..next() % 96).map(|_| next() as u8).collect(),
        }
        let encoded = b64u_encode(&input);
        if let Err(err) = inspect_registration(&encoded) {
            assert_eq!(err.name, ErrorName::TypeError);
        }
        if let Err(err) = inspect_authenticator_data(&encoded) {
            assert_eq!(err.name, ErrorName::TypeError);
        }
        let _ = crate::authenticator_data::cbor_item_len(&input, 0);
    }
}

#[test]
fn deep_nesting_is_refused_without_recursion_trouble() {
    let mut deep = vec![0x81u8; 100_000];
    deep.push(0x00);
    assert_eq!(
        inspect_registration(&b64u_encode(&deep)).unwrap_err().name,
        ErrorName::TypeError
    );
}
