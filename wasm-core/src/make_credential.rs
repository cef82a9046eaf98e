//! navigator.credentials.create(): WebAuthn L3 §5.1.3 "Create a New Credential - PublicKeyCredential's
//! [[Create]](origin, options, sameOriginWithAncestors) Method", the client steps up to invoking the authenticator
//! (`prepare_create`), then the authenticator's output and the client's response (`finish_create`), and in between
//! the authenticator data the host signs for "packed" self attestation (`registration_authenticator_data`). The
//! host owns the key; the core only encodes.

use ciborium::Value as Cbor;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::authenticator_data::{
    build_authenticator_data, AttestedCredentialData, FlagSummary, MAX_CREDENTIAL_ID_LEN,
};
use crate::bytes::{b64u_encode, parse_aaguid, Base64Url};
use crate::client_data::{collect_client_data, CeremonyType};
use crate::cose::{check_es256_der_signature, encode_cbor, P256PublicPoint, ES256, RS256};
use crate::cred_blob::cred_blob_create_output;
use crate::error::{CoreError, CoreResult};
use crate::options::{
    check_create_extensions, cred_props_requested, decode, effective_timeout_ms,
    large_blob_create_output, public_key_credential_ids, required_extension_unserved,
    user_verification, zero_timeout_ends_at_once, Attachment, AttestationConveyance, Client,
    CreationOptions, CredentialType, Hint, LargeBlobOutput, Requirement, Transport,
    PUBLIC_KEY_TYPE,
};
use crate::origin::caller_origin;
use crate::prf::{prf_for_create, CreatePrf, PrfRegistrationOutput, PrfValues};
use crate::rp_id::{require_canonical, resolve_rp_id_or_related};
use crate::webidl::{convert, CREATION_OPTIONS};

const MAX_USER_ID_LEN: usize = 64;

/// What the background sends: the origin facts it took from the browser, and the page's options.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CreateRequest {
    pub origin: String,
    pub top_origin: Option<String>,
    pub same_origin_with_ancestors: bool,
    /// Absent counts as false.
    #[serde(default)]
    pub cross_origin_create_allowed: bool,
    /// The browser Keyplace runs in, where browsers answer odd options differently; absent: neither's leniency.
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub client: Option<Client>,
    /// The `origins` of the requested RP ID's `/.well-known/webauthn`, when the background fetched it after a
    /// SecurityError that named that RP ID (WebAuthn L3 related origin requests).
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub related_origins: Option<Vec<String>>,
    /// The page's PublicKeyCredentialCreationOptions, buffers as `{"$bytes": b64u}`; checked here, not typed.
    #[cfg_attr(test, ts(type = "unknown"))]
    pub options: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PreparedUser {
    pub id: Base64Url,
    pub name: String,
    pub display_name: String,
}

/// The checked request, handed back unchanged to `registrationAuthenticatorData` and `finishCreate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PreparedCreate {
    pub rp_id: String,
    pub rp_name: String,
    pub user: PreparedUser,
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: Base64Url,
    pub client_data_hash: Base64Url,
    pub exclude_credential_ids: Vec<Base64Url>,
    pub alg: i64,
    pub resident_key: Requirement,
    pub user_verification: Requirement,
    pub authenticator_attachment: Option<Attachment>,
    pub attestation: AttestationConveyance,
    pub cred_props_requested: bool,
    /// The `prf` extension, when the site asked for it: the host gives the credential a PRF secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub prf: Option<CreatePrf>,
    /// largeBlob's output, when the site gave the extension (prepared here, returned by `finish_create`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub large_blob: Option<LargeBlobOutput>,
    /// credBlob's output, when the site gave a blob (prepared here, returned by `finish_create`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub cred_blob: Option<bool>,
    pub timeout_ms: u32,
    /// The site's hints, known ones only, most preferred first (the window orders its choices by them).
    pub hints: Vec<Hint>,
}

pub fn prepare_create(request: CreateRequest) -> CoreResult<PreparedCreate> {
    // Step 1 (and the WebIDL conversion before it): the options must be a well-formed dictionary, else TypeError.
    let options: CreationOptions =
        decode(convert(&request.options, &CREATION_OPTIONS, "")?, "options")?;

    // Step 2: a caller that is not same-origin with its ancestors needs the `publickey-credentials-create`
    // permission (the background decides it from the frame's permissions policy).
    if !request.same_origin_with_ancestors && !request.cross_origin_create_allowed {
        return Err(CoreError::not_allowed(
            "a cross-origin frame may create credentials only with the publickey-credentials-create permission",
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

    // Step 5: user.id is 1 to 64 bytes.
    let user_id = options.user.id.0;
    if user_id.is_empty() || user_id.len() > MAX_USER_ID_LEN {
        return Err(CoreError::type_error(format!(
            "user.id must be 1 to {MAX_USER_ID_LEN} bytes, got {}",
            user_id.len()
        )));
    }

    // Step 6: opaque caller → NotAllowedError (and WebAuthn only exists in secure contexts → SecurityError).
    // Step 7: the effective domain must be a valid domain, not an IP address → SecurityError.
    let (origin, effective_domain) = caller_origin(&request.origin)?;

    // Step 8: rp.id must be the effective domain or a registrable suffix of it, or list this origin among its
    // related origins (§5.11); absent → the effective domain.
    require_canonical(options.rp.id.as_deref())?;
    let rp_id = resolve_rp_id_or_related(
        options.rp.id.as_deref(),
        &origin,
        &effective_domain,
        request.related_origins.as_deref(),
    )?;

    // Steps 9-10: supported (type, alg) pairs; none given → ES256 and RS256. The host only makes ES256 keys.
    let algorithms: Vec<i64> = if options.pub_key_cred_params.is_empty() {
        vec![ES256, RS256]
    } else {
        options
            .pub_key_cred_params
            .iter()
            .filter(|param| param.credential_type == PUBLIC_KEY_TYPE)
            .map(|param| param.alg.trunc() as i64)
            .collect()
    };
    if !algorithms.contains(&ES256) {
        return Err(CoreError::not_supported(
            "none of pubKeyCredParams is supported (this authenticator does ES256)",
        ));
    }

    // Steps 11-12: client extensions; only credProps is processed (its output is produced in finish_create). One the
    // site insists on and Keyplace cannot honour makes this a request for the browser (NotSupportedError here).
    check_create_extensions(options.extensions.as_ref(), &origin, &effective_domain)?;
    if let Some(name) = required_extension_unserved(options.extensions.as_ref()) {
        return Err(CoreError::not_supported(format!(
            "the site requires the {name} extension, which Keyplace's stores do not offer"
        )));
    }
    let cred_props = cred_props_requested(options.extensions.as_ref());
    let large_blob = large_blob_create_output(options.extensions.as_ref(), request.client);
    let cred_blob = cred_blob_create_output(options.extensions.as_ref(), request.client);
    let prf = prf_for_create(options.extensions.as_ref().and_then(|ext| ext.prf.as_ref()))?;

    // Steps 13-15: collected client data, clientDataJSON and its hash.
    let (client_data_json, client_data_hash) = collect_client_data(
        CeremonyType::Create,
        &options.challenge.0,
        &origin,
        request.same_origin_with_ancestors,
        request.top_origin.as_deref(),
    )?;

    // Step 21 (authenticator selection): attachment, effective resident key and user verification requirements.
    let selection = options.authenticator_selection.unwrap_or_default();
    let resident_key = Requirement::from_name(selection.resident_key.as_deref()).unwrap_or(
        if selection.require_resident_key.unwrap_or(false) {
            Requirement::Required
        } else {
            Requirement::Discouraged
        },
    );

    Ok(PreparedCreate {
        rp_id,
        rp_name: options.rp.name,
        user: PreparedUser {
            id: Base64Url(user_id),
            name: options.user.name,
            display_name: options.user.display_name,
        },
        client_data_json: Base64Url(client_data_json.into_bytes()),
        client_data_hash: Base64Url(client_data_hash.to_vec()),
        exclude_credential_ids: public_key_credential_ids(options.exclude_credentials)
            .into_iter()
            .map(Base64Url)
            .collect(),
        alg: ES256,
        resident_key,
        user_verification: user_verification(selection.user_verification.as_deref()),
        authenticator_attachment: Attachment::from_name(
            selection.authenticator_attachment.as_deref(),
        ),
        attestation: AttestationConveyance::from_name(options.attestation.as_deref()),
        cred_props_requested: cred_props,
        prf,
        large_blob,
        cred_blob,
        timeout_ms,
        hints: Hint::from_names(options.hints),
    })
}

/// The key the host created.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CreatedKey {
    pub credential_id: Base64Url,
    /// SEC1 uncompressed P-256 point (65 bytes).
    pub public_key: Base64Url,
    /// A UUID, `8-4-4-4-12` hex digits.
    pub aaguid: String,
    pub sign_count: u32,
    pub user_verified: bool,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub resident_key: bool,
    /// DER ECDSA P-256 signature by the credential's own key over `authenticatorData || clientDataHash`, where
    /// authenticatorData is what `registrationAuthenticatorData` returns. Present: "packed" self attestation;
    /// absent or null: "none".
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub attestation_signature: Option<Base64Url>,
    /// Whether the store gave the credential a PRF secret (asked for by `prf`), and the values for `prf.eval`.
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
    pub prf_enabled: bool,
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub prf_results: Option<PrfValues>,
}
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AttestationResponse {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: Base64Url,
    pub attestation_object: Base64Url,
    pub authenticator_data: Base64Url,
    /// DER SubjectPublicKeyInfo.
    pub public_key: Base64Url,
    pub public_key_algorithm: i64,
    pub transports: Vec<Transport>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CredProps {
    pub rk: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RegistrationExtensionResults {
    /// Present only when the page asked for credProps.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub cred_props: Option<CredProps>,
    /// Present only when the page asked for prf.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub prf: Option<PrfRegistrationOutput>,
    /// Present when the page gave largeBlob (as the browser Keyplace runs in answers it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub large_blob: Option<LargeBlobOutput>,
    /// Present when the page gave credBlob, in Chromium (as the browser Keyplace runs in answers it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub cred_blob: Option<bool>,
}

/// The PublicKeyCredential's JSON form (as `toJSON()` gives it); the page shim rebuilds the object from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RegistrationCredential {
    pub id: String,
    pub raw_id: Base64Url,
    #[serde(rename = "type")]
    pub credential_type: CredentialType,
    pub authenticator_attachment: Attachment,
    pub response: AttestationResponse,
    pub client_extension_results: RegistrationExtensionResults,
}

/// The checked parts of a registration that both the authenticator data and the credential are made of.
struct Registration {
    credential_id: Vec<u8>,
    point: P256PublicPoint,
    authenticator_data: Vec<u8>,
}

/// Checks the host's key against the prepared request and builds the authenticator data (authenticatorMakeCredential
/// step 13): rpIdHash | flags (UP, AT, and UV/BE/BS as given) | signCount | attested credential data. The
/// attestation signature plays no part in it.
fn registration(prepared: &PreparedCreate, key: &CreatedKey) -> CoreResult<Registration> {
    let credential_id = &key.credential_id.0;
    if credential_id.is_empty() || credential_id.len() > MAX_CREDENTIAL_ID_LEN {
        return Err(CoreError::type_error(
            "credentialId must be 1 to 1023 bytes",
        ));
    }
    let point = P256PublicPoint::from_sec1_uncompressed(&key.public_key.0)?;
    let aaguid = parse_aaguid(&key.aaguid)?;
    // An authenticator that cannot meet a "required" option is never chosen (§5.1.3 step 21); the host saying
    // otherwise is a bug, and the page must not get a credential weaker than it demanded.
    if prepared.user_verification == Requirement::Required && !key.user_verified {
        return Err(CoreError::not_allowed(
            "user verification was required but did not happen",
        ));
    }
    if prepared.resident_key == Requirement::Required && !key.resident_key {
        return Err(CoreError::not_allowed(
            "a discoverable credential was required",
        ));
    }

    let cose_key = point.cose_key()?;
    let flags = FlagSummary {
        up: true,
        uv: key.user_verified,
        be: key.backup_eligible,
        bs: key.backup_state,
    };
    let attested = AttestedCredentialData {
        aaguid,
        credential_id,
        cose_key: &cose_key,
    };
    let authenticator_data =
        build_authenticator_data(&prepared.rp_id, flags, key.sign_count, Some(&attested))?;
    Ok(Registration {
        credential_id: credential_id.clone(),
        point,
        authenticator_data,
    })
}

/// The authenticator data `finish_create` embeds for this key, as base64url: what the host signs, followed by the
/// clientDataHash, to make the "packed" self attestation. `key.attestationSignature` is ignored.
pub fn registration_authenticator_data(
    prepared: &PreparedCreate,
    key: &CreatedKey,
) -> CoreResult<String> {
    Ok(b64u_encode(
        &registration(prepared, key)?.authenticator_data,
    ))
}

/// The attestation statement format and statement (WebAuthn L3 §8.2 "Packed", self attestation: `alg` and `sig`
/// and no `x5c`; or §8.7 "None"). The signature's shape is checked; whether it verifies is the host's business.
fn attestation_statement(signature: Option<&[u8]>) -> CoreResult<(&'static str, Cbor)> {
    let Some(signature) = signature else {
        return Ok(("none", Cbor::Map(Vec::new())));
    };
    check_es256_der_signature(signature, "attestationSignature")?;
    // CTAP2 canonical order: equal lengths, so bytewise: "alg" before "sig".
    let statement = Cbor::Map(vec![
        (Cbor::Text("alg".into()), ES256.into()),
        (Cbor::Text("sig".into()), Cbor::Bytes(signature.to_vec())),
    ]);
    Ok(("packed", statement))
}

pub fn finish_create(
    prepared: PreparedCreate,
    key: CreatedKey,
) -> CoreResult<RegistrationCredential> {
    let Registration {
        credential_id,
        point,
        authenticator_data,
    } = registration(&prepared, &key)?;
    let (fmt, statement) =
        attestation_statement(key.attestation_signature.as_ref().map(|sig| &sig.0[..]))?;

    // Keys in CTAP2 canonical order (shorter text first): fmt, attStmt, authData.
    let attestation_object = encode_cbor(&Cbor::Map(vec![
        (Cbor::Text("fmt".into()), Cbor::Text(fmt.into())),
        (Cbor::Text("attStmt".into()), statement),
        (
            Cbor::Text("authData".into()),
            Cbor::Bytes(authenticator_data.clone()),
        ),
    ]))?;

    Ok(RegistrationCredential {
        id: b64u_encode(&credential_id),
        raw_id: Base64Url(credential_id),
        credential_type: CredentialType::PublicKey,
        authenticator_attachment: Attachment::Platform,
        response: AttestationResponse {
            client_data_json: prepared.client_data_json,
            attestation_object: Base64Url(attestation_object),
            authenticator_data: Base64Url(authenticator_data),
            public_key: Base64Url(point.spki_der()),
            public_key_algorithm: ES256,
            transports: vec![Transport::Internal],
        },
        client_extension_results: RegistrationExtensionResults {
            cred_props: prepared.cred_props_requested.then_some(CredProps {
                rk: key.resident_key,
            }),
            prf: prepared.prf.as_ref().map(|_| PrfRegistrationOutput {
                enabled: key.prf_enabled,
                results: key.prf_results.filter(|_| key.prf_enabled),
            }),
            large_blob: prepared.large_blob.clone(),
            cred_blob: prepared.cred_blob,
        },
    })
}

#[cfg(test)]
#[path = "make_credential_finish_tests.rs"]
mod finish_tests;
#[cfg(test)]
#[path = "make_credential_tests.rs"]
mod tests;
