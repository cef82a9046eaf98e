//! clientDataJSON, serialized exactly as WebAuthn L3 §5.8.1.1 ("Serialization") and CCDToString prescribe, so that
//! relying parties using the limited verification algorithm (byte prefix matching) accept it.

use sha2::{Digest, Sha256};

use crate::bytes::b64u_encode;
use crate::error::{CoreError, CoreResult};
use crate::origin::{serialize_top_origin, Origin};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyType {
    Create,
    Get,
}

impl CeremonyType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Create => "webauthn.create",
            Self::Get => "webauthn.get",
        }
    }
}

pub struct CollectedClientData<'a> {
    pub ceremony: CeremonyType,
    pub challenge: &'a [u8],
    /// Serialized caller origin.
    pub origin: &'a str,
    /// `Some(top origin)` exactly when the caller is not same-origin with its ancestors; it also sets crossOrigin.
    pub top_origin: Option<&'a str>,
}

impl CollectedClientData<'_> {
    /// The JSON-compatible serialization: fixed member order type, challenge, origin, crossOrigin, topOrigin.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(128);
        out.push_str("{\"type\":");
        push_ccd_string(&mut out, self.ceremony.as_str());
        out.push_str(",\"challenge\":");
        push_ccd_string(&mut out, &b64u_encode(self.challenge));
        out.push_str(",\"origin\":");
        push_ccd_string(&mut out, self.origin);
        out.push_str(",\"crossOrigin\":");
        out.push_str(if self.top_origin.is_some() {
            "true"
        } else {
            "false"
        });
        if let Some(top_origin) = self.top_origin {
            out.push_str(",\"topOrigin\":");
            push_ccd_string(&mut out, top_origin);
        }
        out.push('}');
        out
    }
}

/// The client data of a ceremony and its hash, as both [[Create]] and [[Get]] collect it: topOrigin (and
/// crossOrigin) only when the caller is not same-origin with its ancestors.
pub fn collect_client_data(
    ceremony: CeremonyType,
    challenge: &[u8],
    origin: &Origin,
    same_origin_with_ancestors: bool,
    top_origin: Option<&str>,
) -> CoreResult<(String, [u8; 32])> {
    let top_origin = if same_origin_with_ancestors {
        None
    } else {
        let top = top_origin.ok_or_else(|| CoreError::type_error("topOrigin is required"))?;
        Some(serialize_top_origin(top)?)
    };
    let json = CollectedClientData {
        ceremony,
        challenge,
        origin: &origin.serialize(),
        top_origin: top_origin.as_deref(),
    }
    .to_json();
    let hash = sha256(json.as_bytes());
    Ok((json, hash))
}

/// CCDToString: `"` and `\` are backslash-escaped, U+0020..=U+10FFFF otherwise go through as UTF-8, and every
/// other code point (controls) becomes `\u` with four lowercase hex digits.
pub fn push_ccd_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='\u{10FFFF}' => out.push(c),
            _ => out.push_str(&format!("\\u{:04x}", u32::from(c))),
        }
    }
    out.push('"');
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_create_is_byte_exact() {
        let json = CollectedClientData {
            ceremony: CeremonyType::Create,
            challenge: &[1, 2, 3, 4],
            origin: "https://example.com",
            top_origin: None,
        }
        .to_json();
        assert_eq!(
            json,
            r#"{"type":"webauthn.create","challenge":"AQIDBA","origin":"https://example.com","crossOrigin":false}"#
        );
    }

    #[test]
    fn cross_origin_get_carries_top_origin_last() {
        let json = CollectedClientData {
            ceremony: CeremonyType::Get,
            challenge: &[0xff; 3],
            origin: "https://login.example.com",
            top_origin: Some("https://shop.example"),
        }
        .to_json();
        assert_eq!(
            json,
            r#"{"type":"webauthn.get","challenge":"____","origin":"https://login.example.com","crossOrigin":true,"topOrigin":"https://shop.example"}"#
        );
    }

    #[test]
    fn ccd_escaping() {
        let mut out = String::new();
        push_ccd_string(&mut out, "a\"b\\c\u{1}\n\u{7f}é/");
        assert_eq!(out, "\"a\\\"b\\\\c\\u0001\\u000a\u{7f}é/\"");
    }

    #[test]
    fn client_data_parses_as_json() {
        let json = CollectedClientData {
            ceremony: CeremonyType::Create,
            challenge: b"challenge",
            origin: "https://example.com",
            top_origin: Some("https://top\"quote.example"),
        }
        .to_json();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["topOrigin"], "https://top\"quote.example");
        assert_eq!(value["crossOrigin"], true);
    }

    #[test]
    fn sha256_of_example_com() {
        assert_eq!(
            b64u_encode(&sha256(b"example.com")),
            "o3mm9u6vuaVeN4wRgDTidR5oL6ufLTCrE9ISVYbOGUc"
        );
    }
}
