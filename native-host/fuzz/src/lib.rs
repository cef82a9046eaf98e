//! What each fuzz target checks, for any input: no panic, no hang, and the few properties a parser of untrusted
//! bytes must keep. The libFuzzer targets in fuzz_targets/ call these; native-host/tests/fuzz_corpus.rs runs every
//! file of corpus/ through them as a regular test, so the corpora stay valid inputs between fuzzing runs.

use std::sync::OnceLock;

use keyplace_core::bytes::b64u_encode;
use keyplace_core::client_data::sha256;
use keyplace_core::get_assertion::GetRequest;
use keyplace_core::make_credential::CreateRequest;
use keyplace_host::protocol::{
    parse_request, readable_id, AttestParams, ConfigureParams, CreateParams, DeleteParams,
    EmptyParams, ListParams, RenameParams, Request, Response, SignParams,
};
use keyplace_host::transport::framing::{encode_response, read_frame, Frame, MAX_INCOMING};
use serde_json::Value;

/// What a target does with one input.
pub type Check = fn(&[u8]);

/// The fuzz targets, by name (the folders of corpus/ and the binaries of Cargo.toml).
pub const TARGETS: [(&str, Check); 5] = [
    ("framing", framing),
    ("request", request),
    ("options", options),
    ("inspect", inspect),
    ("cxf", cxf),
];

/// One runtime for every input: the reader is a byte slice, so no future ever waits.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

/// The host's stdin: frames are read until the input ends, each message goes through the envelope parser, and
/// every answer the host would send is a well-formed frame.
pub fn framing(data: &[u8]) {
    let mut reader = data;
    runtime().block_on(async {
        loop {
            let before = reader.len();
            match read_frame(&mut reader).await {
                Ok(None) => {
                    assert!(before == 0, "a clean end only at the end of the input");
                    break;
                }
                Ok(Some(Frame::Message(payload))) => {
                    assert!(payload.len() <= MAX_INCOMING);
                    assert_eq!(before - reader.len(), payload.len() + 4, "out of step");
                    answer_is_a_frame(&match parse_request(&payload) {
                        Ok(request) => {
                            Response::success(request.id, Value::Object(Default::default()))
                        }
                        Err(refusal) => *refusal,
                    });
                }
                // A slice holds less than MAX_INCOMING, so the rest of an oversized frame is always missing.
                Ok(Some(Frame::TooLarge { .. })) => {
                    panic!("a short input cannot hold a large frame")
                }
                Ok(Some(Frame::Truncated)) => {
                    assert!(reader.is_empty(), "truncated before the end of the input");
                    break;
                }
                Err(error) => panic!("reading a byte slice failed: {error}"),
            }
        }
    });
}

fn answer_is_a_frame(response: &Response) {
    let frame = encode_response(response);
    let len = u32::from_ne_bytes(frame[..4].try_into().expect("a length prefix")) as usize;
    assert_eq!(len, frame.len() - 4);
    let back: Response = serde_json::from_slice(&frame[4..]).expect("the answer is JSON");
    assert_eq!(&back, response);
}

/// One frame's payload: the envelope, then the named method's params exactly as the service reads them.
pub fn request(data: &[u8]) {
    let request = match parse_request(data) {
        Ok(request) => request,
        Err(refusal) => {
            // An id in a refusal is the request's own: the readable one, or the one of a valid object.
            if let Some(id) = refusal.id {
                let parsed = serde_json::from_slice::<Value>(data).ok();
                let valid_id = parsed.as_ref().and_then(|v| v.get("id")?.as_u64());
                assert!(valid_id == Some(id) || readable_id(data) == Some(id));
            }
            assert!(refusal.error.is_some() && refusal.result.is_none());
            return;
        }
    };
    assert!(request.params.is_object());
    // The envelope survives a round trip.
    let again = parse_request(&serde_json::to_vec(&request).expect("serializes")).expect("parses");
    assert_eq!(again, request);
    let Request { method, params, .. } = request;
    fn decode<T: serde::de::DeserializeOwned>(params: Value) {
        let _ = serde_json::from_value::<T>(params);
    }
    match method.as_str() {
        "hello" | "lock" => decode::<EmptyParams>(params),
        "create" => decode::<CreateParams>(params),
        "sign" => decode::<SignParams>(params),
        "attest" => decode::<AttestParams>(params),
        "list" => decode::<ListParams>(params),
        "delete" => decode::<DeleteParams>(params),
        "rename" => decode::<RenameParams>(params),
        "configure" => decode::<ConfigureParams>(params),
        _ => {}
    }
}

/// What the background hands the core for `create()` and `get()`: caller facts and the page's options, as JSON.
/// Whatever is accepted has a client data hash that matches its clientDataJSON.
pub fn options(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Ok(request) = keyplace_core::decode::<CreateRequest>(value.clone(), "request") {
        if let Ok(prepared) = keyplace_core::prepare_create(request) {
            assert!(!prepared.rp_id.is_empty());
            assert_eq!(
                prepared.client_data_hash.0,
                sha256(&prepared.client_data_json.0)
            );
            client_data_is_json(&prepared.client_data_json.0, "webauthn.create");
        }
    }
    if let Ok(request) = keyplace_core::decode::<GetRequest>(value, "request") {
        if let Ok(prepared) = keyplace_core::prepare_get(request) {
            assert!(!prepared.rp_id.is_empty());
            assert_eq!(
                prepared.client_data_hash.0,
                sha256(&prepared.client_data_json.0)
            );
            client_data_is_json(&prepared.client_data_json.0, "webauthn.get");
        }
    }
}

fn client_data_is_json(bytes: &[u8], kind: &str) {
    let client_data: Value = serde_json::from_slice(bytes).expect("clientDataJSON is JSON");
    assert_eq!(client_data["type"], kind);
}

/// A Browser-path report: an attestation object and an authenticator data, as the page's base64url. What is read
/// back is only ever a part of the input.
pub fn inspect(data: &[u8]) {
    let encoded = b64u_encode(data);
    if let Ok(info) = keyplace_core::inspect_registration(&encoded) {
        assert!(info.credential_id.0.len() < data.len());
    }
    if let Ok(info) = keyplace_core::inspect_authenticator_data(&encoded) {
        assert_eq!(info.rp_id_hash.0, data[..32]);
    }
    // The same text as the page might send it, not base64url at all.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = keyplace_core::inspect_registration(text);
        let _ = keyplace_core::inspect_authenticator_data(text);
    }
}

/// A passkey export another manager wrote (CXF, `native-host/src/import/cxf.rs`): any text is an export or a typed
/// error; every passkey read keeps the limits the vault relies on.
pub fn cxf(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(export) = keyplace_host::import::cxf::read_export(text) else {
        return;
    };
    assert!(!export.exporter.is_empty() && export.exporter.len() <= 64);
    for passkey in &export.passkeys {
        assert!(passkey.user_name.len() <= keyplace_host::import::cxf::MAX_NAME_BYTES);
        assert!(passkey.user_display_name.len() <= keyplace_host::import::cxf::MAX_NAME_BYTES);
        assert!(passkey.account.len() <= keyplace_host::import::cxf::MAX_NAME_BYTES);
        if passkey.key.is_ok() {
            assert!(!passkey.credential_id.is_empty() && passkey.credential_id.len() <= 1023);
            assert!(!passkey.user_handle.is_empty() && passkey.user_handle.len() <= 64);
            assert!(!passkey.rp_id.is_empty());
        }
    }
}
