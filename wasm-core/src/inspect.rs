//! Inspection of what another authenticator produced on the Browser path, to record *where* a passkey went
//! (AAGUID, flags), never any key material. Input is untrusted: errors are TypeErrors, never panics.

use ciborium::Value as Cbor;
use serde::Serialize;

use crate::authenticator_data::{cbor_item_len, parse_authenticator_data, FlagSummary};
use crate::bytes::{b64u_decode_field, format_aaguid, Base64Url};
use crate::error::{CoreError, CoreResult};

/// Where a passkey made by another authenticator went.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RegistrationInfo {
    pub fmt: String,
    /// SHA-256 of the RP ID the authenticator made the passkey for: the extension records it only for that RP ID.
    pub rp_id_hash: Base64Url,
    pub aaguid: String,
    pub credential_id: Base64Url,
    pub flags: FlagSummary,
    pub sign_count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorDataInfo {
    pub rp_id_hash: Base64Url,
    pub flags: FlagSummary,
    pub sign_count: u32,
}

fn malformed(what: &str) -> CoreError {
    CoreError::type_error(format!("malformed attestationObject: {what}"))
}

pub fn inspect_registration(attestation_object_b64u: &str) -> CoreResult<RegistrationInfo> {
    let bytes = b64u_decode_field(attestation_object_b64u, "attestationObject")?;
    // Check the framing first (bounded depth, exactly one item) so the decoder only sees well-formed input.
    if cbor_item_len(&bytes, 0) != Some(bytes.len()) {
        return Err(malformed("not exactly one CBOR item"));
    }
    let value: Cbor = ciborium::from_reader(bytes.as_slice()).map_err(|_| malformed("not CBOR"))?;
    let Cbor::Map(entries) = value else {
        return Err(malformed("not a map"));
    };
    let member = |name: &str| {
        entries
            .iter()
            .find(|(key, _)| key.as_text() == Some(name))
            .map(|(_, value)| value)
    };
    let fmt = member("fmt")
        .and_then(Cbor::as_text)
        .ok_or_else(|| malformed("fmt is missing"))?;
    if !member("attStmt").is_some_and(Cbor::is_map) {
        return Err(malformed("attStmt is missing"));
    }
    let auth_data = member("authData")
        .and_then(Cbor::as_bytes)
        .ok_or_else(|| malformed("authData is missing"))?;
    let parsed = parse_authenticator_data(auth_data)?;
    let attested = parsed
        .attested
        .ok_or_else(|| malformed("authData has no attested credential data"))?;
    Ok(RegistrationInfo {
        fmt: fmt.to_owned(),
        rp_id_hash: Base64Url(parsed.rp_id_hash.to_vec()),
        aaguid: format_aaguid(&attested.aaguid),
        credential_id: Base64Url(attested.credential_id.to_vec()),
        flags: FlagSummary::from_byte(parsed.flags),
        sign_count: parsed.sign_count,
    })
}

pub fn inspect_authenticator_data(
    authenticator_data_b64u: &str,
) -> CoreResult<AuthenticatorDataInfo> {
    let bytes = b64u_decode_field(authenticator_data_b64u, "authenticatorData")?;
    let parsed = parse_authenticator_data(&bytes)?;
    Ok(AuthenticatorDataInfo {
        rp_id_hash: Base64Url(parsed.rp_id_hash.to_vec()),
        flags: FlagSummary::from_byte(parsed.flags),
        sign_count: parsed.sign_count,
    })
}

#[cfg(test)]
#[path = "inspect_tests.rs"]
mod tests;
