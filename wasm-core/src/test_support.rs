//! Shared fixtures for the unit tests.

use serde_json::{json, Value};

use crate::make_credential::{CreatedKey, PreparedCreate};

pub fn b64u(bytes: &[u8]) -> String {
    crate::bytes::b64u_encode(bytes)
}

pub fn buffer(bytes: &[u8]) -> Value {
    json!({"$bytes": b64u(bytes)})
}

pub fn creation_options() -> Value {
    json!({
        "rp": {"id": "example.com", "name": "Example"},
        "user": {"id": buffer(&[7; 16]), "name": "ada@example.com", "displayName": "Ada"},
        "challenge": buffer(&[1, 2, 3, 4]),
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}, {"type": "public-key", "alg": -257}],
    })
}

pub fn create_request(origin: &str, options: Value) -> Value {
    json!({"origin": origin, "topOrigin": origin, "sameOriginWithAncestors": true,
           "crossOriginCreateAllowed": false, "options": options})
}

/// `prepare_create` of a same-origin request that must succeed.
pub fn prepared_create(origin: &str, options: Value) -> PreparedCreate {
    crate::prepare_create(crate::decode(create_request(origin, options), "request").unwrap())
        .unwrap()
}

pub fn sec1_point() -> Vec<u8> {
    let mut point = vec![0x04];
    point.extend((0..64).map(|i| i as u8));
    point
}

pub fn created_key() -> CreatedKey {
    serde_json::from_value(json!({
        "credentialId": b64u(&[0xc1; 20]),
        "publicKey": b64u(&sec1_point()),
        "aaguid": "6a1b1f55-2b9f-4a6e-9f4c-0d3e1a2b3c4d",
        "signCount": 0,
        "userVerified": true,
        "backupEligible": false,
        "backupState": false,
        "residentKey": true,
    }))
    .unwrap()
}
