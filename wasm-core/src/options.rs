//! The options as the page sends them (after the page shim turned buffers into `{"$bytes": ...}`), mirroring the
//! WebIDL dictionaries of WebAuthn L3: unknown members are ignored, a missing required member or a value of the
//! wrong type is a TypeError, `null` for an optional member counts as absent. Enumerations are DOMStrings in L3:
//! unknown values are ignored (treated as if the member were absent), never an error.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bytes::BufferSource;
use crate::error::{CoreError, CoreResult};
use crate::origin::Origin;
use crate::rp_id::resolve_rp_id;

/// Converts a JSON value into an options type; every failure is the page's TypeError.
pub fn decode<T: DeserializeOwned>(value: Value, what: &str) -> CoreResult<T> {
    serde_json::from_value(value).map_err(|err| CoreError::type_error(format!("{what}: {err}")))
}

#[derive(Debug, Deserialize)]
pub struct RpEntity {
    pub id: Option<String>,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserEntity {
    pub id: BufferSource,
    pub name: String,
    pub display_name: String,
}

#[derive(Debug, Deserialize)]
pub struct CredentialParameters {
    #[serde(rename = "type")]
    pub credential_type: String,
    /// A WebIDL `long`: JavaScript numbers arrive as floats or integers; truncated like ToInt32.
    pub alg: f64,
}

#[derive(Debug, Deserialize)]
pub struct CredentialDescriptor {
    #[serde(rename = "type")]
    pub credential_type: String,
    pub id: BufferSource,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorSelection {
    pub authenticator_attachment: Option<String>,
    pub resident_key: Option<String>,
    pub require_resident_key: Option<bool>,
    pub user_verification: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Extensions {
    /// appid (§10.1.1): the FIDO AppID of a U2F credential, for sign-in only.
    pub appid: Option<String>,
    /// appidExclude (§10.1.2): the same, for a registration's exclusion list.
    pub appid_exclude: Option<String>,
    /// A WebIDL boolean: any value converts by JavaScript truthiness.
    pub cred_props: Option<Value>,
    /// credProtect (CTAP 2.1): the protection level the site asks for, and whether it insists on it.
    pub credential_protection_policy: Option<Value>,
    pub enforce_credential_protection_policy: Option<Value>,
    /// largeBlob: `{support: "required" | "preferred"}` on create.
    pub large_blob: Option<Value>,
    /// prf: `{eval?, evalByCredential?}` (prf.rs checks it).
    pub prf: Option<Value>,
    /// credBlob (CTAP 2.1 §12.2): a blob to store with a new credential (a WebIDL BufferSource, create only).
    pub cred_blob: Option<Value>,
    /// getCredBlob: a WebIDL boolean asking for that blob when signing in.
    pub get_cred_blob: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationOptions {
    pub rp: RpEntity,
    pub user: UserEntity,
    pub challenge: BufferSource,
    pub pub_key_cred_params: Vec<CredentialParameters>,
    pub timeout: Option<f64>,
    pub exclude_credentials: Option<Vec<CredentialDescriptor>>,
    pub authenticator_selection: Option<AuthenticatorSelection>,
    pub attestation: Option<String>,
    pub extensions: Option<Extensions>,
    /// WebAuthn L3 `hints`: a sequence<DOMString>, most preferred first.
    pub hints: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestOptions {
    pub challenge: BufferSource,
    pub timeout: Option<f64>,
    pub rp_id: Option<String>,
    pub allow_credentials: Option<Vec<CredentialDescriptor>>,
    pub user_verification: Option<String>,
    pub extensions: Option<Extensions>,
}

pub const PUBLIC_KEY_TYPE: &str = "public-key";

/// The type of every credential the core returns (PublicKeyCredentialType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum CredentialType {
    #[serde(rename = "public-key")]
    PublicKey,
}

/// How the relying party may reach the authenticator (AuthenticatorTransport); Keyplace's is built in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Internal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    Required,
    Preferred,
    Discouraged,
}

impl Requirement {
    pub fn from_name(name: Option<&str>) -> Option<Self> {
        match name? {
            "required" => Some(Self::Required),
            "preferred" => Some(Self::Preferred),
            "discouraged" => Some(Self::Discouraged),
            _ => None,
        }
    }
}

/// userVerification defaults to "preferred" (also for unknown values).
pub fn user_verification(name: Option<&str>) -> Requirement {
    Requirement::from_name(name).unwrap_or(Requirement::Preferred)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Attachment {
    Platform,
    CrossPlatform,
}

impl Attachment {
    pub fn from_name(name: Option<&str>) -> Option<Self> {
        match name? {
            "platform" => Some(Self::Platform),
            "cross-platform" => Some(Self::CrossPlatform),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum AttestationConveyance {
    None,
    Indirect,
    Direct,
    Enterprise,
}

/// The browser Keyplace runs in, where the browsers answer odd input differently and Keyplace must answer as the one
/// it runs in (ARCHITECTURE.md rule 9). Absent: neither's leniency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Client {
    Chromium,
    Firefox,
}

/// largeBlob's output (§10.1.5). Keyplace's stores keep no large blobs, so it says what the browser says for an
/// authenticator without them: Chromium `{supported: false}` at registration (Firefox gives none), `{}` for a read,
/// `{written: false}` for a write.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LargeBlobOutput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub supported: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub written: Option<bool>,
}

/// largeBlob's registration output for these inputs, in the browser Keyplace runs in.
pub fn large_blob_create_output(
    extensions: Option<&Extensions>,
    client: Option<Client>,
) -> Option<LargeBlobOutput> {
    (extensions.is_some_and(|ext| ext.large_blob.is_some()) && client != Some(Client::Firefox))
        .then_some(LargeBlobOutput {
            supported: Some(false),
            written: None,
        })
}

/// largeBlob's sign-in output for these inputs: none unless the site asked to read or write. Firefox answers a read
/// with `{}` and a write (a real buffer) with nothing at all.
pub fn large_blob_get_output(
    extensions: Option<&Extensions>,
    client: Option<Client>,
) -> Option<LargeBlobOutput> {
    let ext = extensions?;
    if large_blob_member(ext, "write").is_some() {
        if client == Some(Client::Firefox) {
            return None;
        }
        return Some(LargeBlobOutput {
            supported: None,
            written: Some(false),
        });
    }
    large_blob_member(ext, "read")
        .is_some_and(js_truthy)
        .then(LargeBlobOutput::default)
}

/// A `timeout` of 0 ends the ceremony at once in Chromium (NotAllowedError); Firefox clamps it to its minimum. Where
/// it ends at once, Keyplace opens no window and lets the browser answer.
pub fn zero_timeout_ends_at_once(client: Option<Client>, timeout: Option<f64>) -> bool {
    timeout == Some(0.0) && client != Some(Client::Firefox)
}

/// WebAuthn L3 `PublicKeyCredentialHint`: what kind of authenticator the site suggests, most preferred first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Hint {
    SecurityKey,
    ClientDevice,
    Hybrid,
}

impl Hint {
    /// The known hints in the site's order, each once; unknown values are ignored, as the spec says.
    pub fn from_names(names: Option<Vec<String>>) -> Vec<Self> {
        let mut hints = Vec::new();
        for name in names.unwrap_or_default() {
            let hint = match name.as_str() {
                "security-key" => Hint::SecurityKey,
                "client-device" => Hint::ClientDevice,
                "hybrid" => Hint::Hybrid,
                _ => continue,
            };
            if !hints.contains(&hint) {
                hints.push(hint);
            }
        }
        hints
    }
}

impl AttestationConveyance {
    /// Defaults to "none" (also for unknown values).
    pub fn from_name(name: Option<&str>) -> Self {
        match name {
            Some("indirect") => Self::Indirect,
            Some("direct") => Self::Direct,
            Some("enterprise") => Self::Enterprise,
            _ => Self::None,
        }
    }
}

/// Client policy for ceremony timeouts (the spec leaves the range to the client): absent → 5 minutes; otherwise
/// clamped to 30 s ..= 10 min, so a page can neither hang a ceremony forever nor make it impossible to finish.
pub const DEFAULT_TIMEOUT_MS: u32 = 300_000;
pub const MIN_TIMEOUT_MS: u32 = 30_000;
pub const MAX_TIMEOUT_MS: u32 = 600_000;

pub fn effective_timeout_ms(requested: Option<f64>) -> u32 {
    match requested {
        Some(ms) if ms.is_finite() => {
            ms.clamp(f64::from(MIN_TIMEOUT_MS), f64::from(MAX_TIMEOUT_MS)) as u32
        }
        _ => DEFAULT_TIMEOUT_MS,
    }
}

/// JavaScript's ToBoolean for a JSON value.
pub fn js_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0 && !n.is_nan()),
        Value::String(text) => !text.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

pub fn cred_props_requested(extensions: Option<&Extensions>) -> bool {
    extensions
        .and_then(|ext| ext.cred_props.as_ref())
        .is_some_and(js_truthy)
}

/// An extension the site insists on at registration that Keyplace's stores cannot honour, by name: such a request
/// goes to the browser (never answered without it). credProtect above "optional" with enforcement (a passkey that
/// must never be used without user verification, which Keyplace does not record per passkey), and largeBlob
/// with `support: "required"`.
pub fn required_extension_unserved(extensions: Option<&Extensions>) -> Option<&'static str> {
    let ext = extensions?;
    let enforced = ext
        .enforce_credential_protection_policy
        .as_ref()
        .is_some_and(js_truthy);
    let policy = ext
        .credential_protection_policy
        .as_ref()
        .and_then(Value::as_str);
    if enforced
        && matches!(
            policy,
            Some("userVerificationOptionalWithCredentialIDList" | "userVerificationRequired")
        )
    {
        return Some("credProtect");
    }
    let large_blob_support = ext
        .large_blob
        .as_ref()
        .and_then(|large_blob| large_blob.get("support"))
        .and_then(Value::as_str);
    (large_blob_support == Some("required")).then_some("largeBlob")
}

fn large_blob_member<'a>(ext: &'a Extensions, name: &str) -> Option<&'a Value> {
    ext.large_blob
        .as_ref()
        .and_then(|large_blob| large_blob.get(name))
}

/// Extension inputs a registration may not carry, as the spec's processing steps say (NotSupportedError): appid
/// (§10.1.1, authentication only; the browsers refuse it at registration) and largeBlob's `read` or `write`
/// (§10.1.5 registration step 2); and an appidExclude this caller may not claim (§10.1.2: SecurityError).
pub fn check_create_extensions(
    extensions: Option<&Extensions>,
    origin: &Origin,
    effective_domain: &str,
) -> CoreResult<()> {
    let Some(ext) = extensions else {
        return Ok(());
    };
    if ext.appid.is_some() {
        return Err(CoreError::not_supported(
            "the appid extension is only valid when signing in",
        ));
    }
    // credProtect (CTAP 2.1 §12.1): a policy that is none of the three is refused (Chromium: NotSupportedError).
    let policy = ext.credential_protection_policy.as_ref();
    if policy.is_some_and(|p| {
        !matches!(
            p.as_str(),
            Some(
                "userVerificationOptional"
                    | "userVerificationOptionalWithCredentialIDList"
                    | "userVerificationRequired"
            )
        )
    }) {
        return Err(CoreError::not_supported(
            "credentialProtectionPolicy is not a known policy",
        ));
    }
    if large_blob_member(ext, "read").is_some() || large_blob_member(ext, "write").is_some() {
        return Err(CoreError::not_supported(
            "largeBlob read and write are only valid when signing in",
        ));
    }
    check_appid(ext.appid_exclude.as_deref(), origin, effective_domain)
}

/// Extension inputs a sign-in may not carry (credProps; §10.1.5 authentication steps 1-2: largeBlob `support`, or
/// `read` with `write`: NotSupportedError), and an appid this caller may not claim (§10.1.1: SecurityError).
pub fn check_get_extensions(
    extensions: Option<&Extensions>,
    origin: &Origin,
    effective_domain: &str,
    client: Option<Client>,
) -> CoreResult<()> {
    let Some(ext) = extensions else {
        return Ok(());
    };
    // credProps is a registration extension (§10.1.3); Chromium refuses it when signing in.
    if ext.cred_props.is_some() {
        return Err(CoreError::not_supported(
            "credProps is only valid when creating a credential",
        ));
    }
    if large_blob_member(ext, "support").is_some() {
        return Err(CoreError::not_supported(
            "largeBlob support is only valid when creating a credential",
        ));
    }
    let flag = |name| large_blob_member(ext, name).is_some_and(js_truthy);
    if flag("read") && large_blob_member(ext, "write").is_some() {
        return Err(CoreError::not_supported(
            "largeBlob read and write cannot be used together",
        ));
    }
    // Firefox takes an appid of "null" (what null converts to) or "" as the caller's own, as FIDO's AppID rule
    // does for an absent one; Chromium refuses it.
    let own = client == Some(Client::Firefox) && matches!(ext.appid.as_deref(), Some("null" | ""));
    check_appid(
        ext.appid.as_deref().filter(|_| !own),
        origin,
        effective_domain,
    )
}

/// The FIDO AppID rule's simple case: an https AppID whose host is the caller's effective domain or a registrable
/// suffix of it, from an https caller; anything else is a SecurityError here and goes to the browser, which can
/// also fetch a trusted facet list.
fn check_appid(appid: Option<&str>, origin: &Origin, effective_domain: &str) -> CoreResult<()> {
    let Some(appid) = appid else {
        return Ok(());
    };
    let authority = appid
        .strip_prefix("https://")
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    let host = authority
        .and_then(|authority| Origin::parse(&format!("https://{authority}")).ok())
        .and_then(|parsed| parsed.effective_domain().ok().map(str::to_owned));
    let allowed = origin.scheme == "https"
        && host.is_some_and(|host| resolve_rp_id(Some(&host), effective_domain).is_ok());
    if allowed {
        Ok(())
    } else {
        Err(CoreError::security(format!(
            "the AppID {appid:?} is not valid for this origin"
        )))
    }
}

/// Credential IDs of the descriptors whose type this client supports; others are skipped as the spec says.
pub fn public_key_credential_ids(descriptors: Option<Vec<CredentialDescriptor>>) -> Vec<Vec<u8>> {
    descriptors
        .unwrap_or_default()
        .into_iter()
        .filter(|descriptor| descriptor.credential_type == PUBLIC_KEY_TYPE)
        .map(|descriptor| descriptor.id.0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn large_blob_outputs_are_what_the_browser_says_without_large_blob_support() {
        let ext = |v: Value| decode::<Extensions>(v, "extensions").unwrap();
        let create = |v: Value, client| large_blob_create_output(Some(&ext(v)), client);
        let no = Some(LargeBlobOutput {
            supported: Some(false),
            written: None,
        });
        let preferred = json!({"largeBlob": {"support": "preferred"}});
        assert_eq!(create(preferred.clone(), Some(Client::Chromium)), no);
        assert_eq!(create(json!({"largeBlob": {}}), None), no);
        assert_eq!(create(preferred, Some(Client::Firefox)), None);
        assert_eq!(
            create(json!({"credProps": true}), Some(Client::Chromium)),
            None
        );
        let get = |v: Value| large_blob_get_output(Some(&ext(v)), Some(Client::Chromium));
        assert_eq!(
            get(json!({"largeBlob": {"read": true}})),
            Some(LargeBlobOutput::default())
        );
        let written = Some(LargeBlobOutput {
            supported: None,
            written: Some(false),
        });
        assert_eq!(
            get(json!({"largeBlob": {"write": {"$bytes": "AQ"}}})),
            written
        );
        assert_eq!(get(json!({"largeBlob": {"read": false}})), None);
        let write = json!({"largeBlob": {"write": {"$bytes": "AQ"}}});
        assert_eq!(
            large_blob_get_output(Some(&ext(write)), Some(Client::Firefox)),
            None
        );
        assert_eq!(get(json!({"prf": {}})), None);
    }

    #[test]
    fn timeout_policy() {
        assert_eq!(effective_timeout_ms(None), 300_000);
        assert_eq!(effective_timeout_ms(Some(1.0)), 30_000);
        assert_eq!(effective_timeout_ms(Some(60_000.7)), 60_000);
        assert_eq!(effective_timeout_ms(Some(1e12)), 600_000);
        assert_eq!(effective_timeout_ms(Some(f64::NAN)), 300_000);
    }

    #[test]
    fn unknown_enum_values_fall_back_to_defaults() {
        assert_eq!(user_verification(Some("sometimes")), Requirement::Preferred);
        assert_eq!(user_verification(Some("required")), Requirement::Required);
        assert_eq!(Attachment::from_name(Some("usb")), None);
        assert_eq!(
            AttestationConveyance::from_name(Some("fancy")),
            AttestationConveyance::None
        );
        assert_eq!(
            serde_json::to_value(Attachment::CrossPlatform).unwrap(),
            json!("cross-platform")
        );
    }

    #[test]
    fn descriptors_need_buffer_ids_and_unknown_types_are_skipped() {
        let good: Vec<CredentialDescriptor> = decode(
            json!([{"type": "public-key", "id": {"$bytes": "AQ"}, "transports": ["usb"]},
                   {"type": "future-type", "id": {"$bytes": "Ag"}}]),
            "allowCredentials",
        )
        .unwrap();
        assert_eq!(public_key_credential_ids(Some(good)), vec![vec![1]]);
        let bad =
            decode::<Vec<CredentialDescriptor>>(json!([{"type": "public-key", "id": "AQ"}]), "x");
        assert_eq!(bad.unwrap_err().name, crate::error::ErrorName::TypeError);
    }

    #[test]
    fn required_extensions_keyplace_cannot_serve_are_named() {
        let ext = |v: Value| decode::<Extensions>(v, "extensions").unwrap();
        let unserved = |v: Value| required_extension_unserved(Some(&ext(v)));
        assert_eq!(
            unserved(
                json!({"credentialProtectionPolicy": "userVerificationRequired",
                            "enforceCredentialProtectionPolicy": true})
            ),
            Some("credProtect")
        );
        // Not enforced: the authenticator may ignore it, and the site sees no credProtect output.
        assert_eq!(
            unserved(json!({"credentialProtectionPolicy": "userVerificationRequired"})),
            None
        );
        assert_eq!(
            unserved(
                json!({"credentialProtectionPolicy": "userVerificationOptional",
                            "enforceCredentialProtectionPolicy": true})
            ),
            None
        );
        assert_eq!(
            unserved(json!({"largeBlob": {"support": "required"}})),
            Some("largeBlob")
        );
        assert_eq!(
            unserved(json!({"largeBlob": {"support": "preferred"}})),
            None
        );
        assert_eq!(unserved(json!({"credProps": true})), None);
        assert_eq!(required_extension_unserved(None), None);
    }

    #[test]
    fn extension_inputs_of_the_wrong_ceremony_are_refused_with_the_spec_s_names() {
        use crate::error::ErrorName;
        let ext = |v: Value| decode::<Extensions>(v, "extensions").unwrap();
        let (origin, domain) = crate::origin::caller_origin("https://login.example.com").unwrap();
        let create =
            |v: Value| check_create_extensions(Some(&ext(v)), &origin, &domain).map_err(|e| e.name);
        assert_eq!(
            create(json!({"appid": "https://a.example"})),
            Err(ErrorName::NotSupportedError)
        );
        assert_eq!(
            create(json!({"largeBlob": {"read": false}})),
            Err(ErrorName::NotSupportedError)
        );
        assert_eq!(
            create(json!({"largeBlob": {"write": {"$bytes": "AQ"}}})),
            Err(ErrorName::NotSupportedError)
        );
        assert_eq!(
            create(json!({"largeBlob": {"support": "preferred"}, "credProps": true})),
            Ok(())
        );

        let (origin, domain) = crate::origin::caller_origin("https://login.example.com").unwrap();
        let get = |v: Value| {
            check_get_extensions(Some(&ext(v)), &origin, &domain, None).map_err(|e| e.name)
        };
        assert_eq!(
            get(json!({"largeBlob": {"support": "required"}})),
            Err(ErrorName::NotSupportedError)
        );
        assert_eq!(
            get(json!({"largeBlob": {"read": true, "write": {"$bytes": "AQ"}}})),
            Err(ErrorName::NotSupportedError)
        );
        assert_eq!(get(json!({"largeBlob": {"read": true}})), Ok(()));
        assert_eq!(
            get(json!({"credProps": false})),
            Err(ErrorName::NotSupportedError)
        );
        assert_eq!(
            create(json!({"credentialProtectionPolicy": "sometimes"})),
            Err(ErrorName::NotSupportedError)
        );
        assert_eq!(
            create(json!({"credentialProtectionPolicy": "userVerificationOptional"})),
            Ok(())
        );
        assert_eq!(
            get(json!({"appid": "https://example.com/app-id.json"})),
            Ok(())
        );
        assert_eq!(get(json!({"appid": "https://login.example.com"})), Ok(()));
        for appid in [
            "null",
            "5",
            "https://other.example",
            "http://example.com",
            "https://com",
        ] {
            assert_eq!(
                get(json!({"appid": appid})),
                Err(ErrorName::SecurityError),
                "{appid}"
            );
        }
        let (local, local_domain) = crate::origin::caller_origin("http://localhost:8080").unwrap();
        let appid = ext(json!({"appid": "https://localhost"}));
        assert_eq!(
            check_get_extensions(Some(&appid), &local, &local_domain, None)
                .unwrap_err()
                .name,
            ErrorName::SecurityError
        );
        // Firefox takes "null" (and "") as the caller's own AppID; Chromium refuses it.
        let null = ext(json!({"appid": "null"}));
        let firefox = Some(Client::Firefox);
        assert!(check_get_extensions(Some(&null), &local, &local_domain, firefox).is_ok());
        let chromium = Some(Client::Chromium);
        assert!(check_get_extensions(Some(&null), &local, &local_domain, chromium).is_err());
    }

    #[test]
    fn a_zero_timeout_ends_at_once_except_in_firefox() {
        assert!(zero_timeout_ends_at_once(Some(Client::Chromium), Some(0.0)));
        assert!(zero_timeout_ends_at_once(None, Some(0.0)));
        assert!(!zero_timeout_ends_at_once(Some(Client::Firefox), Some(0.0)));
        assert!(!zero_timeout_ends_at_once(
            Some(Client::Chromium),
            Some(1.0)
        ));
        assert!(!zero_timeout_ends_at_once(Some(Client::Chromium), None));
    }

    #[test]
    fn truthiness_of_cred_props() {
        let ext = |v: Value| decode::<Extensions>(json!({"credProps": v}), "extensions").unwrap();
        assert!(cred_props_requested(Some(&ext(json!(true)))));
        assert!(cred_props_requested(Some(&ext(json!(1)))));
        assert!(!cred_props_requested(Some(&ext(json!(false)))));
        assert!(!cred_props_requested(Some(&ext(json!("")))));
        assert!(!cred_props_requested(None));
    }
}
