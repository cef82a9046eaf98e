//! The WebIDL conversion of the page's options (WebIDL §3.2 "JavaScript type mapping"), in one place: the
//! dictionaries of WebAuthn L3 §5.4 and the extension inputs of §10, converted as the browser converts them before
//! any WebAuthn step runs. Required members missing, a sequence that is no array, a buffer that is no buffer: a
//! TypeError. A DOMString member takes any value's string form (`null` → "null", `[]` → "", `{}` → "[object
//! Object]"), a boolean any value's truthiness, a number member any value's number. Unknown members are dropped.
//!
//! The input is what the page shim and bridge made of the page's value: buffers as `{"$bytes": b64u}`, members that
//! were `undefined` absent, no functions. Where that loses what the browser would see (a buffer's string form, a
//! fraction's digits, a number written in a string with a fraction or an exponent), the conversion fails, and the
//! request goes to the browser (ARCHITECTURE.md rule 9), which converts the original itself.

use serde_json::{Map, Number, Value};

use crate::bytes::BYTES_KEY;
use crate::error::{CoreError, CoreResult};

/// An IDL type, as far as the conversion needs it.
pub enum Idl {
    /// A dictionary: (member, type, required), any order.
    Dict(&'static [(&'static str, Idl, bool)]),
    DomString,
    Boolean,
    /// `unsigned long` without [EnforceRange].
    UnsignedLong,
    /// `long` without [EnforceRange] (COSEAlgorithmIdentifier).
    Long,
    BufferSource,
    Sequence(&'static Idl),
    /// `record<DOMString, T>`.
    Record(&'static Idl),
}

use Idl::*;

const CREDENTIAL_DESCRIPTOR: Idl = Dict(&[
    ("type", DomString, true),
    ("id", BufferSource, true),
    ("transports", Sequence(&DomString), false),
]);
const PRF_VALUES: Idl = Dict(&[
    ("first", BufferSource, true),
    ("second", BufferSource, false),
]);
const PRF_INPUTS: Idl = Dict(&[
    ("eval", PRF_VALUES, false),
    ("evalByCredential", Record(&PRF_VALUES), false),
]);
const LARGE_BLOB_INPUTS: Idl = Dict(&[
    ("support", DomString, false),
    ("read", Boolean, false),
    ("write", BufferSource, false),
]);
/// AuthenticationExtensionsClientInputs: WebAuthn L3 §10 and the CTAP extensions browsers expose.
const EXTENSIONS: Idl = Dict(&[
    ("appid", DomString, false),
    ("appidExclude", DomString, false),
    ("credProps", Boolean, false),
    ("largeBlob", LARGE_BLOB_INPUTS, false),
    ("prf", PRF_INPUTS, false),
    ("credentialProtectionPolicy", DomString, false),
    ("enforceCredentialProtectionPolicy", Boolean, false),
    ("credBlob", BufferSource, false),
    ("getCredBlob", Boolean, false),
    ("minPinLength", Boolean, false),
    ("hmacCreateSecret", Boolean, false),
]);

/// PublicKeyCredentialCreationOptions (§5.4).
pub const CREATION_OPTIONS: Idl = Dict(&[
    (
        "rp",
        Dict(&[("id", DomString, false), ("name", DomString, true)]),
        true,
    ),
    (
        "user",
        Dict(&[
            ("id", BufferSource, true),
            ("name", DomString, true),
            ("displayName", DomString, true),
        ]),
        true,
    ),
    ("challenge", BufferSource, true),
    (
        "pubKeyCredParams",
        Sequence(&Dict(&[("type", DomString, true), ("alg", Long, true)])),
        true,
    ),
    ("timeout", UnsignedLong, false),
    (
        "excludeCredentials",
        Sequence(&CREDENTIAL_DESCRIPTOR),
        false,
    ),
    (
        "authenticatorSelection",
        Dict(&[
            ("authenticatorAttachment", DomString, false),
            ("residentKey", DomString, false),
            ("requireResidentKey", Boolean, false),
            ("userVerification", DomString, false),
        ]),
        false,
    ),
    ("hints", Sequence(&DomString), false),
    ("attestation", DomString, false),
    ("extensions", EXTENSIONS, false),
]);

/// PublicKeyCredentialRequestOptions (§5.5).
pub const REQUEST_OPTIONS: Idl = Dict(&[
    ("challenge", BufferSource, true),
    ("timeout", UnsignedLong, false),
    ("rpId", DomString, false),
    ("allowCredentials", Sequence(&CREDENTIAL_DESCRIPTOR), false),
    ("userVerification", DomString, false),
    ("hints", Sequence(&DomString), false),
    ("extensions", EXTENSIONS, false),
]);

fn type_error(path: &str, what: &str) -> CoreError {
    CoreError::type_error(format!("{path}: {what}"))
}

fn is_buffer(map: &Map<String, Value>) -> bool {
    map.len() == 1 && map.contains_key(BYTES_KEY)
}

/// Converts a present `value` to `idl`; `path` names it in errors. Absent optional members stay absent.
pub fn convert(value: &Value, idl: &Idl, path: &str) -> CoreResult<Value> {
    match idl {
        Dict(members) => dictionary(value, members, path),
        DomString => Ok(Value::String(to_string(value, path)?)),
        Boolean => Ok(Value::Bool(crate::options::js_truthy(value))),
        UnsignedLong => Ok(Value::from(modulo_2_32(to_number(value, path)?) as u32)),
        Long => Ok(Value::from(
            modulo_2_32(to_number(value, path)?) as u32 as i32
        )),
        BufferSource => match value {
            Value::Object(map) if is_buffer(map) => Ok(value.clone()),
            _ => Err(type_error(path, "is not an ArrayBuffer or ArrayBufferView")),
        },
        Sequence(item) => match value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| convert(v, item, &format!("{path}[{i}]")))
                .collect::<CoreResult<Vec<_>>>()
                .map(Value::Array),
            // A buffer view is iterable in JavaScript; its items' types are lost here: the browser decides.
            _ => Err(type_error(path, "is not a sequence")),
        },
        Record(item) => match value {
            Value::Object(map) if !is_buffer(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    out.insert(k.clone(), convert(v, item, &format!("{path}.{k}"))?);
                }
                Ok(Value::Object(out))
            }
            _ => Err(type_error(path, "is not an object")),
        },
    }
}

/// WebIDL dictionary conversion: null and undefined are the empty dictionary, any other object is read member by
/// member (an array or a buffer has none of these), anything else is a TypeError.
fn dictionary(
    value: &Value,
    members: &[(&'static str, Idl, bool)],
    path: &str,
) -> CoreResult<Value> {
    let empty = Map::new();
    let source = match value {
        Value::Null | Value::Array(_) => &empty,
        Value::Object(map) if is_buffer(map) => &empty,
        Value::Object(map) => map,
        _ => return Err(type_error(path, "is not a dictionary")),
    };
    let mut out = Map::new();
    for (name, idl, required) in members {
        let member = if path.is_empty() {
            (*name).to_owned()
        } else {
            format!("{path}.{name}")
        };
        match source.get(*name) {
            Some(v) => {
                out.insert((*name).to_owned(), convert(v, idl, &member)?);
            }
            None if *required => return Err(type_error(&member, "is required")),
            None => {}
        }
    }
    Ok(Value::Object(out))
}

/// ECMAScript ToString, where the value the browser saw can be known from its JSON form.
fn to_string(value: &Value, path: &str) -> CoreResult<String> {
    match value {
        Value::Null => Ok("null".into()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => number_to_string(number)
            .ok_or_else(|| type_error(path, "is a number whose string form is not known here")),
        // Array.prototype.join(","): null and undefined items are empty.
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => Ok(String::new()),
                _ => to_string(item, path),
            })
            .collect::<CoreResult<Vec<_>>>()
            .map(|parts| parts.join(",")),
        // A buffer's string form depends on its kind ("[object ArrayBuffer]", "1,2"), which the shim does not keep.
        Value::Object(map) if is_buffer(map) => Err(type_error(path, "is a buffer")),
        Value::Object(_) => Ok("[object Object]".into()),
    }
}

/// Number::toString for integers below 2^63 (written without an exponent), else None: a fraction's shortest digits
/// are left to the browser (float formatting would add to the WASM size budget for names nobody writes that way).
fn number_to_string(number: &Number) -> Option<String> {
    if let Some(i) = number.as_i64() {
        return Some(i.to_string());
    }
    if let Some(u) = number.as_u64() {
        return Some(u.to_string());
    }
    let f = number.as_f64()?;
    // -0 is "0"; an integral float below 2^63 is exact as an i64 (larger ones are left to the browser too).
    (f.fract() == 0.0 && f.abs() < 9.2e18).then(|| (f as i64).to_string())
}

/// ECMAScript ToNumber.
fn to_number(value: &Value, path: &str) -> CoreResult<f64> {
    Ok(match value {
        Value::Null => 0.0,
        Value::Bool(flag) => f64::from(u8::from(*flag)),
        Value::Number(number) => number.as_f64().unwrap_or(f64::NAN),
        Value::String(text) => string_to_number(text)
            .ok_or_else(|| type_error(path, "is a string whose number is not known here"))?,
        Value::Array(_) => string_to_number(&to_string(value, path)?)
            .ok_or_else(|| type_error(path, "is an array whose number is not known here"))?,
        Value::Object(map) if is_buffer(map) => {
            return Err(type_error(path, "is a buffer"));
        }
        Value::Object(_) => f64::NAN,
    })
}

/// ECMAScript's WhiteSpace and LineTerminator (a match, not `char::is_whitespace`'s Unicode table: WASM size).
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// StringToNumber: decimal (with "Infinity"), or 0x/0o/0b integers; whitespace around is ignored, "" is 0. None
/// where this cannot tell the number (see `decimal`).
fn string_to_number(text: &str) -> Option<f64> {
    let t = text.trim_matches(is_js_space).as_bytes();
    if t.is_empty() {
        return Some(0.0);
    }
    let radix = match t {
        [b'0', b'x' | b'X', ..] => 16,
        [b'0', b'o' | b'O', ..] => 8,
        [b'0', b'b' | b'B', ..] => 2,
        _ => 10,
    };
    if radix != 10 {
        let digits = &t[2..];
        let value = |b: u8| match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'a'..=b'f' => u32::from(b - b'a') + 10,
            b'A'..=b'F' => u32::from(b - b'A') + 10,
            _ => u32::MAX,
        };
        if digits.is_empty() || digits.iter().any(|&b| value(b) >= radix) {
            return Some(f64::NAN);
        }
        return Some(
            digits
                .iter()
                .fold(0.0, |n, &b| n * f64::from(radix) + f64::from(value(b))),
        );
    }
    let (negative, unsigned) = match t[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let magnitude = if unsigned == b"Infinity" {
        f64::INFINITY
    } else {
        decimal(unsigned)?
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// StrUnsignedDecimalLiteral for integers (digits only), else None: a fraction or an exponent is left to the
/// browser (exact decimal parsing, `str::parse::<f64>` or a power of ten, would add ~11 KB to the WASM budget).
fn decimal(text: &[u8]) -> Option<f64> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        let other = text
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
        return if other { None } else { Some(f64::NAN) };
    }
    Some(
        text.iter()
            .fold(0.0, |n, &b| n * 10.0 + f64::from(b - b'0')),
    )
}

/// The integer part of `n` modulo 2^32 (ToUint32); NaN and infinities are 0.
fn modulo_2_32(n: f64) -> u64 {
    if !n.is_finite() {
        return 0;
    }
    // floor and trunc are WASM instructions; rem_euclid would link a software fmod.
    let t = n.trunc();
    (t - (t / 4_294_967_296.0).floor() * 4_294_967_296.0) as u64
}

#[cfg(test)]
#[path = "webidl_tests.rs"]
mod tests;
