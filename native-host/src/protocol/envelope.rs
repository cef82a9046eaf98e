//! Request, response and error types of PROTOCOL.md.
//!
//! Requests are parsed in two steps: the envelope first (so even a request with bad params gets an answer carrying
//! its own id), then the params of the named method.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Binary value carried as base64url without padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct B64u(pub Vec<u8>);

impl B64u {
    pub fn encode(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

impl Serialize for B64u {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&Self::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for B64u {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map(B64u)
            .map_err(|e| serde::de::Error::custom(format!("not base64url without padding: {e}")))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    UnknownMethod,
    NotFound,
    PinRequired,
    WrongPin,
    /// The hardware refuses every PIN for a while after too many wrong ones.
    Locked,
    Excluded,
    RpMismatch,
    StoreUnavailable,
    Internal,
}

/// A failure answer; `details` is sent only when it has something in it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            code,
            message: message.into(),
            details: Map::new(),
        }
    }

    pub fn with_detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }
}

/// One answer frame. `id` is `None` only when the request had no usable id.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Response {
    pub id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

impl Response {
    pub fn success(id: u64, result: Value) -> Self {
        Response {
            id: Some(id),
            result: Some(result),
            error: None,
        }
    }

    pub fn failure(id: Option<u64>, error: ErrorBody) -> Self {
        Response {
            id,
            result: None,
            error: Some(error),
        }
    }
}

/// A request whose envelope was valid; params are not checked yet.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub id: u64,
    pub method: String,
    pub params: Value,
}

/// Parses one frame's bytes into a request, or the answer to send when that is impossible.
pub fn parse_request(frame: &[u8]) -> Result<Request, Box<Response>> {
    let value: Value = serde_json::from_slice(frame).map_err(|e| {
        Box::new(Response::failure(
            None,
            ErrorBody::new(
                ErrorCode::BadRequest,
                format!("The message is not valid UTF-8 JSON: {e}"),
            ),
        ))
    })?;
    let Some(object) = value.as_object() else {
        return Err(Box::new(Response::failure(
            None,
            ErrorBody::new(ErrorCode::BadRequest, "The message must be a JSON object."),
        )));
    };
    let Some(id) = object.get("id").and_then(Value::as_u64) else {
        return Err(Box::new(Response::failure(
            None,
            ErrorBody::new(
                ErrorCode::BadRequest,
                "The message has no numeric \"id\" (an unsigned integer).",
            ),
        )));
    };
    let bad = |message: &str| {
        Box::new(Response::failure(
            Some(id),
            ErrorBody::new(ErrorCode::BadRequest, message),
        ))
    };
    let method = match object.get("method") {
        Some(Value::String(method)) => method.clone(),
        _ => return Err(bad("The message has no \"method\" string.")),
    };
    let params = match object.get("params") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(params @ Value::Object(_)) => params.clone(),
        Some(_) => return Err(bad("\"params\" must be a JSON object.")),
    };
    Ok(Request { id, method, params })
}

#[derive(Debug, Deserialize)]
pub struct UserParams {
    pub id: B64u,
    pub name: String,
    pub display_name: String,
}

#[derive(Debug, Deserialize)]
pub struct CreateParams {
    pub store: String,
    pub rp_id: String,
    pub user: UserParams,
    #[serde(default)]
    pub pin: Option<String>,
    #[serde(default)]
    pub exclude_credential_ids: Option<Vec<B64u>>,
    #[serde(default)]
    pub resident_key: bool,
    #[serde(default)]
    pub require_user_verification: bool,
}

#[derive(Debug, Deserialize)]
pub struct SignParams {
    pub credential_id: B64u,
    pub authenticator_data: B64u,
    pub client_data_hash: B64u,
    #[serde(default)]
    pub pin: Option<String>,
    #[serde(default)]
    pub require_user_verification: bool,
}

#[derive(Debug, Deserialize)]
pub struct AttestParams {
    pub credential_id: B64u,
    pub authenticator_data: B64u,
    pub client_data_hash: B64u,
    #[serde(default)]
    pub pin: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    pub rp_id: Option<String>,
    #[serde(default)]
    pub credential_ids: Option<Vec<B64u>>,
    /// Case-insensitive (ASCII letters) substring of the RP ID or the account name.
    #[serde(default)]
    pub query: Option<String>,
    /// Page size: default and most `service::LIST_MAX_LIMIT`.
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    #[serde(default)]
    pub after: Option<String>,
    /// Only what the popup shows: no user id, display name, AAGUID or flags.
    #[serde(default)]
    pub slim: bool,
}

#[derive(Debug, Deserialize)]
pub struct DeleteParams {
    pub credential_id: B64u,
}

#[derive(Debug, Deserialize)]
pub struct RenameParams {
    pub credential_id: B64u,
    pub user_name: String,
}

#[derive(Debug, Deserialize)]
pub struct ConfigureParams {
    pub vault_unlock_seconds: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_errors_keep_the_id_when_there_is_one() {
        let answer = parse_request(b"{\"id\":7,\"method\":5}").unwrap_err();
        assert_eq!(answer.id, Some(7));
        assert_eq!(answer.error.unwrap().code, ErrorCode::BadRequest);

        for garbage in [
            &b"\xff\xfe"[..],
            b"[1,2]",
            b"{\"id\":\"7\"}",
            b"{\"id\":-1}",
            b"nul",
        ] {
            let answer = parse_request(garbage).unwrap_err();
            assert_eq!(answer.id, None);
            assert_eq!(answer.error.unwrap().code, ErrorCode::BadRequest);
        }
    }

    #[test]
    fn missing_params_are_an_empty_object() {
        let request = parse_request(b"{\"id\":1,\"method\":\"hello\"}").unwrap();
        assert_eq!(request.params, json!({}));
    }

    #[test]
    fn b64u_rejects_padding_and_standard_alphabet() {
        assert!(serde_json::from_value::<B64u>(json!("AAE")).is_ok());
        assert!(serde_json::from_value::<B64u>(json!("AAE=")).is_err());
        assert!(serde_json::from_value::<B64u>(json!("+/8")).is_err());
        assert!(serde_json::from_value::<B64u>(json!(12)).is_err());
    }

    #[test]
    fn error_answers_serialize_as_documented() {
        let answer = Response::failure(
            Some(3),
            ErrorBody::new(ErrorCode::PinRequired, "PIN needed").with_detail("reason", "unlock"),
        );
        assert_eq!(
            serde_json::to_value(&answer).unwrap(),
            json!({"id":3,"error":{"code":"pin_required","message":"PIN needed","details":{"reason":"unlock"}}})
        );
        let plain = Response::failure(None, ErrorBody::new(ErrorCode::BadRequest, "x"));
        assert_eq!(
            serde_json::to_value(&plain).unwrap(),
            json!({"id":null,"error":{"code":"bad_request","message":"x"}})
        );
    }
}
