//! navigator.credentials.get(): WebAuthn L3 §5.1.4.1 "PublicKeyCredential's
//! [[DiscoverFromExternalSource]](origin, options, sameOriginWithAncestors) Method", the client steps before the
//! authenticator (`prepare_get`), the authenticator data the host signs (`assertion_authenticator_data`) and the
//! client's response (`finish_get`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::authenticator_data::MAX_CREDENTIAL_ID_LEN;
use crate::authenticator_data::{
    build_authenticator_data, parse_authenticator_data, FlagSummary, FLAG_UV,
};
use crate::bytes::{b64u_encode, Base64Url};
use crate::client_data::{collect_client_data, sha256, CeremonyType};
use crate::cred_blob::get_cred_blob_output;
use crate::error::{CoreError, CoreResult};
use crate::options::{
    check_get_extensions, decode, effective_timeout_ms, large_blob_get_output,
    public_key_credential_ids, user_verification, zero_timeout_ends_at_once, Client,
    LargeBlobOutput, Requirement,
};
use crate::options::{Attachment, CredentialType, RequestOptions};
use crate::origin::{caller_origin, parse_host, Host};
use crate::prf::{prf_for_get, GetPrf, PrfAssertionOutput, PrfValues};
use crate::rp_id::{require_canonical, resolve_rp_id_or_related};
use crate::webidl::{convert, REQUEST_OPTIONS};

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct GetRequest {
    pub origin: String,
    pub top_origin: Option<String>,
    pub same_origin_with_ancestors: bool,
    /// Absent counts as false.
    #[serde(default)]
    pub cross_origin_get_allowed: bool,
    /// The browser Keyplace runs in, where browsers answer odd options differently; absent: neither's leniency.
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub client: Option<Client>,
    /// The `origins` of the requested RP ID's `/.well-known/webauthn`, when the background fetched it after a
    /// SecurityError that named that RP ID (WebAuthn L3 related origin requests).
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub related_origins: Option<Vec<String>>,
    /// The page's PublicKeyCredentialRequestOptions, buffers as `{"$bytes": b64u}`; checked here, not typed.
    #[cfg_attr(test, ts(type = "unknown"))]
    pub options: Value,
}

/// The checked request, handed back unchanged to `finishGet`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PreparedGet {
    pub rp_id: String,
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: Base64Url,
    pub client_data_hash: Base64Url,
    pub allow_credential_ids: Vec<Base64Url>,
    pub user_verification: Requirement,
    /// The `prf` extension, when the site asked for it: salts per credential for the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub prf: Option<GetPrf>,
    /// largeBlob's output, when the site asked to read or write (prepared here, returned by `finish_get`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub large_blob: Option<LargeBlobOutput>,
    /// getCredBlob's output, when the site asked for the blob (prepared here, returned by `finish_get`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub get_cred_blob: Option<Base64Url>,
    pub timeout_ms: u32,
}

pub fn prepare_get(request: GetRequest) -> CoreResult<PreparedGet> {
    // Step 1 (and the WebIDL conversion before it): malformed options → TypeError.
    let options: RequestOptions =
        decode(convert(&request.options, &REQUEST_OPTIONS, "")?, "options")?;

    // Permissions policy (`publickey-credentials-get`, checked by the caller of this method): a frame that is not
    // same-origin with its ancestors needs it.
    if !request.same_origin_with_ancestors && !request.cross_origin_get_allowed {
        return Err(CoreError::not_allowed(
            "a cross-origin frame may use credentials only with the publickey-credentials-get permission",
        ));
    }

    // Step 4: timeout, clamped by client policy. A timeout of 0 (also what null, "" or {} convert to) ends the
    // ceremony at once in Chromium: no window for it; the browser answers (ARCHITECTURE.md rule 9).
    if zero_timeout_ends_at_once(request.client, options.timeout) {
        return Err(CoreError::not_allowed(
            "a timeout of 0 ends the ceremony at once",
        ));
    }
    let timeout_ms = effective_timeout_ms(options.timeout);

    // Step 5: opaque caller → NotAllowedError (insecure context → SecurityError).
    // Step 6: the effective domain must be a valid domain → SecurityError.
    let (origin, effective_domain) = caller_origin(&request.origin)?;

    // Step 7: rpId must be the effective domain or a registrable suffix of it, or list this origin among its
    // related origins (§5.11); absent → the effective domain.
    require_canonical(options.rp_id.as_deref())?;
    let rp_id = resolve_rp_id_or_related(
        options.rp_id.as_deref(),
        &origin,
        &effective_domain,
        request.related_origins.as_deref(),
    )?;

    // Steps 8-9: client extensions: prf is processed (its values come from the host); unknown ones are ignored.
    check_get_extensions(
        options.extensions.as_ref(),
        &origin,
        &effective_domain,
        request.client,
    )?;
    let allow_credential_ids = public_key_credential_ids(options.allow_credentials);
    let prf = prf_for_get(
        options.extensions.as_ref().and_then(|ext| ext.prf.as_ref()),
        &allow_credential_ids,
    )?;

    // Steps 10-12: collected client data, clientDataJSON and its hash.
    let (client_data_json, client_data_hash) = collect_client_data(
        CeremonyType::Get,
        &options.challenge.0,
        &origin,
        request.same_origin_with_ancestors,
        request.top_origin.as_deref(),
    )?;

    Ok(PreparedGet {
        rp_id,
        client_data_hash: Base64Url(client_data_hash.to_vec()),
        client_data_json: Base64Url(client_data_json.into_bytes()),
        // The allow list filters which credentials may answer (credentialIdFilter).
        allow_credential_ids: allow_credential_ids.into_iter().map(Base64Url).collect(),
        user_verification: user_verification(options.user_verification.as_deref()),
        prf,
        large_blob: large_blob_get_output(options.extensions.as_ref(), request.client),
        get_cred_blob: get_cred_blob_output(options.extensions.as_ref(), request.client),
        timeout_ms,
    })
}

/// The flags `assertionAuthenticatorData` writes; the host sets the true UV bit before it signs.
#[derive(Debug, Clone, Copy, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AssertionFlags {
    pub user_present: bool,
    pub user_verified: bool,
    pub backup_eligible: bool,
    pub backup_state: bool,
}

/// rpIdHash | flags | signCount 0. The host overwrites the counter and the UV bit with the truth before signing.
pub fn assertion_authenticator_data(rp_id: &str, flags: AssertionFlags) -> CoreResult<String> {
    match parse_host(rp_id) {
        Ok(Host::Domain(lower)) if lower == rp_id => {}
        _ => {
            return Err(CoreError::type_error(format!(
                "{rp_id:?} is not a lowercase RP ID"
            )))
        }
    }
    let flags = FlagSummary {
        up: flags.user_present,
        uv: flags.user_verified,
        be: flags.backup_eligible,
        bs: flags.backup_state,
    };
    Ok(b64u_encode(&build_authenticator_data(
        rp_id, flags, 0, None,
    )?))
}

/// What the host returns after signing.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SignedAssertion {
    pub credential_id: Base64Url,
    pub authenticator_data: Base64Url,
    /// DER ECDSA signature.
    pub signature: Base64Url,
    pub user_handle: Option<Base64Url>,
    /// The PRF values the host computed for the salts of this credential, if any were asked for.
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub prf_results: Option<PrfValues>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AssertionResponse {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: Base64Url,
    pub authenticator_data: Base64Url,
    pub signature: Base64Url,
    pub user_handle: Option<Base64Url>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AssertionExtensionResults {
    /// Present only when the page asked for prf.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub prf: Option<PrfAssertionOutput>,
    /// Present when the page asked largeBlob to read or write.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub large_blob: Option<LargeBlobOutput>,
    /// Present when the page asked for getCredBlob, in Chromium: base64url here, an ArrayBuffer for the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub get_cred_blob: Option<Base64Url>,
}

/// The PublicKeyCredential's JSON form (as `toJSON()` gives it); the page shim rebuilds the object from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AssertionCredential {
    pub id: String,
    pub raw_id: Base64Url,
    #[serde(rename = "type")]
    pub credential_type: CredentialType,
    pub authenticator_attachment: Attachment,
    pub response: AssertionResponse,
    pub client_extension_results: AssertionExtensionResults,
}

pub fn finish_get(
    prepared: PreparedGet,
    assertion: SignedAssertion,
) -> CoreResult<AssertionCredential> {
    let credential_id = assertion.credential_id.0;
    if credential_id.is_empty() || credential_id.len() > MAX_CREDENTIAL_ID_LEN {
        return Err(CoreError::type_error(
            "credentialId must be 1 to 1023 bytes",
        ));
    }
    if assertion.signature.0.is_empty() {
        return Err(CoreError::type_error("signature is empty"));
    }
    let parsed = parse_authenticator_data(&assertion.authenticator_data.0)?;
    // Defence in depth behind the host's own check: never hand the page data signed for another RP.
    if parsed.rp_id_hash != sha256(prepared.rp_id.as_bytes()) {
        return Err(CoreError::security(
            "authenticator data was not made for this RP ID",
        ));
    }
    // The credential must be one the page allowed (credentialIdFilter); with an empty allow list the credential
    // is discoverable and the authenticator must say whose it is.
    let allowed = &prepared.allow_credential_ids;
    if !allowed.is_empty() && !allowed.iter().any(|id| id.0 == credential_id) {
        return Err(CoreError::not_allowed(
            "the credential is not in allowCredentials",
        ));
    }
    if allowed.is_empty() && assertion.user_handle.is_none() {
        return Err(CoreError::not_allowed(
            "a discoverable credential must return its user handle",
        ));
    }
    if prepared.user_verification == Requirement::Required && parsed.flags & FLAG_UV == 0 {
        return Err(CoreError::not_allowed(
            "user verification was required but did not happen",
        ));
    }

    Ok(AssertionCredential {
        id: b64u_encode(&credential_id),
        raw_id: Base64Url(credential_id),
        credential_type: CredentialType::PublicKey,
        authenticator_attachment: Attachment::Platform,
        response: AssertionResponse {
            client_data_json: prepared.client_data_json,
            authenticator_data: assertion.authenticator_data,
            signature: assertion.signature,
            user_handle: assertion.user_handle,
        },
        client_extension_results: AssertionExtensionResults {
            prf: prepared.prf.as_ref().map(|_| PrfAssertionOutput {
                results: assertion.prf_results,
            }),
            large_blob: prepared.large_blob.clone(),
            get_cred_blob: prepared.get_cred_blob.clone(),
        },
    })
}

#[cfg(test)]
#[path = "get_assertion_tests.rs"]
mod tests;
