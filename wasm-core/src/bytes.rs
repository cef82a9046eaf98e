//! Binary values at the JavaScript boundary.
//! - [`BufferSource`]: a buffer the page passed, which the page shim rewrote as `{"$bytes": "<b64u>"}`. Anything
//!   else (a string, an array of numbers, `{"$bytes": 1}`) is rejected, so a page cannot pass a string where the
//!   spec requires a BufferSource.
//! - [`Base64Url`]: bytes the extension and the core exchange as a base64url string (no padding).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::{CoreError, CoreResult};

pub const BYTES_KEY: &str = "$bytes";

pub fn b64u_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict decoding: padding, whitespace and the standard alphabet (`+`, `/`) are all refused.
pub fn b64u_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

pub fn b64u_decode_field(text: &str, field: &str) -> CoreResult<Vec<u8>> {
    b64u_decode(text)
        .ok_or_else(|| CoreError::type_error(format!("{field} is not valid base64url")))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferSource(pub Vec<u8>);

impl BufferSource {
    fn from_json(value: &Value) -> Result<Self, String> {
        let Value::Object(map) = value else {
            return Err(format!(
                "expected a BufferSource, found {}",
                json_kind(value)
            ));
        };
        match (map.len(), map.get(BYTES_KEY)) {
            (1, Some(Value::String(encoded))) => b64u_decode(encoded)
                .map(BufferSource)
                .ok_or_else(|| "BufferSource bytes are not valid base64url".to_owned()),
            _ => Err("expected a BufferSource, found a plain object".to_owned()),
        }
    }
}

impl<'de> Deserialize<'de> for BufferSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        BufferSource::from_json(&value).map_err(de::Error::custom)
    }
}

/// Names a JSON value the way a JavaScript developer would, for error messages.
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Bytes as base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(test, derive(ts_rs::TS), ts(type = "string"))]
pub struct Base64Url(pub Vec<u8>);

impl Serialize for Base64Url {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&b64u_encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Base64Url {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        b64u_decode(&text)
            .map(Base64Url)
            .ok_or_else(|| de::Error::custom(format!("{text:?} is not valid base64url")))
    }
}

/// Parses an AAGUID written as a UUID (`8-4-4-4-12` hex digits, either case).
pub fn parse_aaguid(text: &str) -> CoreResult<[u8; 16]> {
    let invalid = || CoreError::type_error(format!("aaguid {text:?} is not a UUID"));
    let groups: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
    if lengths != [8, 4, 4, 4, 12]
        || !groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(invalid());
    }
    let hex: String = groups.concat();
    let mut aaguid = [0u8; 16];
    for (index, byte) in aaguid.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * index..2 * index + 2], 16).map_err(|_| invalid())?;
    }
    Ok(aaguid)
}

/// Formats an AAGUID as a lowercase UUID, the form AAGUID name lists use.
pub fn format_aaguid(aaguid: &[u8; 16]) -> String {
    let hex: String = aaguid.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn buffer_source_accepts_only_the_bytes_wrapper() {
        let ok: BufferSource = serde_json::from_value(json!({"$bytes": "AQID"})).unwrap();
        assert_eq!(ok.0, vec![1, 2, 3]);
        for bad in [
            json!("AQID"),
            json!([1, 2, 3]),
            json!({"$bytes": 1}),
            json!({"$bytes": "AQID", "extra": 1}),
            json!({"$bytes": "AQID=="}),
            json!({"$bytes": "A+/D"}),
            json!(null),
        ] {
            assert!(
                serde_json::from_value::<BufferSource>(bad.clone()).is_err(),
                "accepted {bad}"
            );
        }
    }

    #[test]
    fn aaguid_round_trip() {
        let text = "68e100a5-0b47-9104-b854-97a9ba510638";
        let aaguid = parse_aaguid(&text.to_uppercase()).unwrap();
        assert_eq!(aaguid[0], 0x68);
        assert_eq!(format_aaguid(&aaguid), text);
        for bad in [
            "",
            "68e100a50b479104b85497a9ba510638",
            "68e100a5-0b47-9104-b854-97a9ba51063g",
            "+8e100a5-0b47-9104-b854-97a9ba510638",
        ] {
            assert!(parse_aaguid(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn empty_buffer_is_a_buffer() {
        let empty: BufferSource = serde_json::from_value(json!({"$bytes": ""})).unwrap();
        assert!(empty.0.is_empty());
    }

    #[test]
    fn base64url_round_trips_without_padding() {
        let value = Base64Url(vec![0xfb, 0xff, 0x00]);
        let json = serde_json::to_value(&value).unwrap();
        assert_eq!(json, json!("-_8A"));
        assert_eq!(serde_json::from_value::<Base64Url>(json).unwrap(), value);
        assert!(serde_json::from_value::<Base64Url>(json!("-_8A=")).is_err());
        assert!(serde_json::from_value::<Base64Url>(json!(12)).is_err());
    }
}
