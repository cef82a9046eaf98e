//! The JavaScript face of the core (API.md). Every export takes and returns plain JS values; a failure throws a
//! plain `{name, message}` object whose name is the DOMException the page must see.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_wasm_bindgen::Serializer;
use wasm_bindgen::prelude::*;

use crate::error::{CoreError, CoreResult};
use crate::options::decode;

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    // json_compatible: maps become plain objects and `None` becomes `null`, as API.md promises.
    value
        .serialize(&Serializer::json_compatible())
        .map_err(|err| {
            error_to_js(CoreError::unknown(format!(
                "cannot convert the result: {err}"
            )))
        })
}

fn error_to_js(error: CoreError) -> JsValue {
    error
        .serialize(&Serializer::json_compatible())
        .unwrap_or_else(|_| JsValue::from_str(&error.to_string()))
}

fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> CoreResult<T> {
    let json: serde_json::Value = serde_wasm_bindgen::from_value(value)
        .map_err(|err| CoreError::type_error(format!("{what}: {err}")))?;
    decode(json, what)
}

fn string_from_js(value: &JsValue, what: &str) -> CoreResult<String> {
    value
        .as_string()
        .ok_or_else(|| CoreError::type_error(format!("{what} must be a string")))
}

fn respond<T: Serialize>(result: CoreResult<T>) -> Result<JsValue, JsValue> {
    result.map_err(error_to_js).and_then(|value| to_js(&value))
}

#[wasm_bindgen(js_name = prepareCreate)]
pub fn prepare_create(request: JsValue) -> Result<JsValue, JsValue> {
    respond(from_js(request, "request").and_then(crate::prepare_create))
}

#[wasm_bindgen(js_name = registrationAuthenticatorData)]
pub fn registration_authenticator_data(
    prepared: JsValue,
    key: JsValue,
) -> Result<JsValue, JsValue> {
    respond(from_js(prepared, "prepared").and_then(|prepared| {
        crate::registration_authenticator_data(&prepared, &from_js(key, "key")?)
    }))
}

#[wasm_bindgen(js_name = finishCreate)]
pub fn finish_create(prepared: JsValue, key: JsValue) -> Result<JsValue, JsValue> {
    respond(
        from_js(prepared, "prepared")
            .and_then(|prepared| crate::finish_create(prepared, from_js(key, "key")?)),
    )
}

#[wasm_bindgen(js_name = prepareGet)]
pub fn prepare_get(request: JsValue) -> Result<JsValue, JsValue> {
    respond(from_js(request, "request").and_then(crate::prepare_get))
}

#[wasm_bindgen(js_name = assertionAuthenticatorData)]
pub fn assertion_authenticator_data(rp_id: JsValue, flags: JsValue) -> Result<JsValue, JsValue> {
    respond(
        string_from_js(&rp_id, "rpId").and_then(|rp_id| {
            crate::assertion_authenticator_data(&rp_id, from_js(flags, "flags")?)
        }),
    )
}

#[wasm_bindgen(js_name = finishGet)]
pub fn finish_get(prepared: JsValue, assertion: JsValue) -> Result<JsValue, JsValue> {
    respond(
        from_js(prepared, "prepared")
            .and_then(|prepared| crate::finish_get(prepared, from_js(assertion, "assertion")?)),
    )
}

#[wasm_bindgen(js_name = inspectRegistration)]
pub fn inspect_registration(attestation_object: JsValue) -> Result<JsValue, JsValue> {
    respond(
        string_from_js(&attestation_object, "attestationObject")
            .and_then(|b64u| crate::inspect_registration(&b64u)),
    )
}

#[wasm_bindgen(js_name = inspectAuthenticatorData)]
pub fn inspect_authenticator_data(authenticator_data: JsValue) -> Result<JsValue, JsValue> {
    respond(
        string_from_js(&authenticator_data, "authenticatorData")
            .and_then(|b64u| crate::inspect_authenticator_data(&b64u)),
    )
}

#[wasm_bindgen(js_name = registrableDomain)]
pub fn registrable_domain(rp_id: JsValue) -> Result<JsValue, JsValue> {
    respond(
        string_from_js(&rp_id, "rpId").and_then(|rp_id| crate::rp_id::registrable_domain(&rp_id)),
    )
}

#[wasm_bindgen(js_name = checkSignal)]
pub fn check_signal(request: JsValue) -> Result<JsValue, JsValue> {
    respond(from_js(request, "request").and_then(crate::check_signal))
}
