//! What the service's unit tests share: a service on a fresh database without a TPM, and calls by method name.

use std::sync::Arc;

use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::Service;
use crate::metadata::Metadata;
use crate::protocol::{B64u, ErrorBody, Request};

pub const VAULT_AAGUID_BYTES: [u8; 16] = [
    0x62, 0xee, 0x56, 0x65, 0x1f, 0xea, 0x48, 0x5b, 0x9a, 0x24, 0x9c, 0xca, 0xc9, 0x37, 0x87, 0xc2,
];

pub fn service() -> (tempfile::TempDir, Service) {
    let dir = tempfile::tempdir().unwrap();
    let metadata = Arc::new(Metadata::open(&dir.path().join("keyplace.db")).unwrap());
    // Unit tests never touch a real TPM; tests/hardware_tpm.rs drives a software one.
    #[cfg(target_os = "linux")]
    let hardware = crate::stores::tpm::TpmStore::new("device:/nonexistent/tpmrm0".into());
    #[cfg(not(target_os = "linux"))]
    let hardware = crate::stores::hardware::hardware_store();
    (dir, Service::with_hardware(metadata, hardware))
}

pub fn call(service: &Service, method: &str, params: Value) -> Result<Value, ErrorBody> {
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

pub fn b64(bytes: &[u8]) -> String {
    B64u::encode(bytes)
}

pub fn decode(value: &Value) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value.as_str().unwrap())
        .unwrap()
}

pub fn create(service: &Service, rp_id: &str, pin: Option<&str>) -> Result<Value, ErrorBody> {
    call(
        service,
        "create",
        json!({"store": "vault", "rp_id": rp_id, "user": {"id": b64(b"user-1"), "name": "alice", "display_name": "Alice"},
               "pin": pin, "resident_key": true, "require_user_verification": false}),
    )
}

pub fn authenticator_data(rp_id: &str, flags: u8, counter: u32) -> Vec<u8> {
    let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
    data.push(flags);
    data.extend_from_slice(&counter.to_be_bytes());
    data
}

pub fn sign(
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
