//! The envelope of every frame: `{"id", "method", "params"}` in, `{"id", "result" | "error"}` out.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
#[cfg(test)]
use ts_rs::TS;

use super::errors::ErrorBody;
use crate::service::errors;

/// One answer frame. `id` is `None` only when the request had no usable id. `result` is one of the answers in
/// answers.rs, serialized (its type depends on the method).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
// Not `Response` in TypeScript, where that is the Fetch API's.
#[cfg_attr(test, derive(TS), ts(rename = "HostResponse"))]
pub struct Response {
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "unknown"))]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
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

/// A request whose envelope was valid; params are not checked yet (requests.rs has each method's).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS), ts(rename = "HostRequest"))]
pub struct Request {
    pub id: u64,
    pub method: String,
    /// May be left out or `null` (read as `{}`).
    #[cfg_attr(test, ts(type = "Record<string, unknown>"))]
    pub params: Value,
}

/// Parses one frame's bytes into a request, or the answer to send when that is impossible.
pub fn parse_request(frame: &[u8]) -> Result<Request, Box<Response>> {
    let refuse = |id, error| Box::new(Response::failure(id, error));
    let value: Value = serde_json::from_slice(frame)
        .map_err(|e| refuse(readable_id(frame), errors::not_json(e)))?;
    let Value::Object(mut object) = value else {
        return Err(refuse(None, errors::not_an_object()));
    };
    let Some(id) = object.get("id").and_then(Value::as_u64) else {
        return Err(refuse(None, errors::no_id()));
    };
    let method = match object.remove("method") {
        Some(Value::String(method)) => method,
        _ => return Err(refuse(Some(id), errors::no_method())),
    };
    // Moved, not copied: a `pin` string inside goes on to its `Pin`, which wipes it, with no copy left behind.
    let params = match object.remove("params") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(params @ Value::Object(_)) => params,
        Some(_) => return Err(refuse(Some(id), errors::params_not_an_object())),
    };
    Ok(Request { id, method, params })
}

/// The numeric `id` of a frame that is not valid JSON as a whole (cut short, a bad byte or a syntax error further
/// on), when the frame is an object whose members up to `id` are valid: enough to answer that request with an
/// error instead of leaving it waiting. The extension writes `id` first. `None` when no such id can be read.
pub fn readable_id(frame: &[u8]) -> Option<u64> {
    let mut id = None;
    // The error, if any, is the reason the frame is being refused; only the id read before it matters.
    let _ = IdReader(&mut id).deserialize(&mut serde_json::Deserializer::from_slice(frame));
    id
}

/// Reads the top-level object's members in order and records `id` as soon as it is read, so a syntax error after
/// it does not lose it. Values before it are skipped (serde_json bounds their nesting).
struct IdReader<'a>(&'a mut Option<u64>);

impl<'de> DeserializeSeed<'de> for IdReader<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for IdReader<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a request object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<(), A::Error> {
        while let Some(key) = members.next_key::<String>()? {
            if key == "id" {
                *self.0 = members.next_value::<u64>().ok();
                return Ok(());
            }
            members.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{parse_request, readable_id, Response};
    use crate::protocol::{ErrorBody, ErrorCode};

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
    fn broken_json_is_answered_with_its_id_when_the_id_is_readable() {
        for (frame, id) in [
            (
                &b"{\"id\":41,\"method\":\"sign\",\"params\":{\"pin\":"[..],
                Some(41),
            ),
            (
                b"{\"method\":\"list\",\"params\":{\"a\":[1,{}]},\"id\":42,",
                Some(42),
            ),
            (b"{\"id\":43,\"method\":\"x\"} trailing", Some(43)),
            (b"{\"id\":44,\"method\":\"\xff\"}", Some(44)),
            (b"{\"params\":{\"a\":tru", None),
            (b"{\"id\":\"45\",", None),
            (b"{\"id\":-46,", None),
            (b"[{\"id\":47}", None),
            (b"\"id\":48", None),
            (b"", None),
        ] {
            assert_eq!(readable_id(frame), id, "{}", String::from_utf8_lossy(frame));
            let answer = parse_request(frame).unwrap_err();
            assert_eq!(answer.id, id);
            assert_eq!(answer.error.unwrap().code, ErrorCode::BadRequest);
        }
        let deep = format!("{{\"a\":{}", "[".repeat(100_000));
        assert_eq!(readable_id(deep.as_bytes()), None);
    }

    #[test]
    fn missing_params_are_an_empty_object() {
        let request = parse_request(b"{\"id\":1,\"method\":\"hello\"}").unwrap();
        assert_eq!(request.params, json!({}));
    }

    #[test]
    fn error_answers_serialize_as_documented() {
        let answer = Response::failure(
            Some(3),
            ErrorBody::new(ErrorCode::PinRequired, "PIN needed").with_reason("unlock"),
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
