//! The Signal API (WebAuthn L3 §5.1.10): `PublicKeyCredential.signalUnknownCredential`,
//! `signalAllAcceptedCredentials` and `signalCurrentUserDetails`. The core checks a signal as the spec's steps
//! say (members, base64url, then the RP ID against the caller's origin) and hands the background a typed
//! signal to apply to Keyplace's passkeys of that RP ID only.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bytes::{b64u_decode_field, Base64Url};
use crate::error::{CoreError, CoreResult};
use crate::origin::caller_origin;
use crate::rp_id::resolve_rp_id_or_related;

/// What the background sends: the caller's origin (from the browser), the method and the page's options.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SignalRequest {
    pub origin: String,
    pub method: String,
    /// The RP ID's related origins, once a SecurityError asked for them (as for create and get).
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub related_origins: Option<Vec<String>>,
    #[cfg_attr(test, ts(type = "unknown"))]
    pub options: Value,
}

/// The three methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum SignalMethod {
    /// The relying party does not know `credentialId` (e.g. it was deleted there).
    #[serde(rename = "signalUnknownCredential")]
    UnknownCredential,
    /// `allAcceptedCredentialIds` are every credential of `userId` the relying party still accepts.
    #[serde(rename = "signalAllAcceptedCredentials")]
    AllAcceptedCredentials,
    /// `name` and `displayName` are the current names of `userId`.
    #[serde(rename = "signalCurrentUserDetails")]
    CurrentUserDetails,
}

/// A checked signal, for the RP ID it names (which the caller's origin may speak for). A flat record rather than
/// an enum of three: the members each method has are set, the others absent (and serde's code for it is a
/// fraction of a tagged enum's, which counts in a 400 KB module).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Signal {
    pub method: SignalMethod,
    pub rp_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub credential_id: Option<Base64Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub user_id: Option<Base64Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub all_accepted_credential_ids: Option<Vec<Base64Url>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub display_name: Option<String>,
}

/// A `required DOMString` member of the options dictionary: absent or not a string → TypeError.
fn member<'a>(options: &'a Value, key: &str) -> CoreResult<&'a str> {
    options.get(key).and_then(Value::as_str).ok_or_else(|| {
        CoreError::type_error(format!("options.{key} is required and must be a string"))
    })
}

fn b64u_member(options: &Value, key: &str) -> CoreResult<Base64Url> {
    b64u_decode_field(member(options, key)?, key).map(Base64Url)
}

pub fn check_signal(request: SignalRequest) -> CoreResult<Signal> {
    let o = &request.options;
    if !o.is_object() {
        return Err(CoreError::type_error("options must be a dictionary"));
    }
    let method = match request.method.as_str() {
        "signalUnknownCredential" => SignalMethod::UnknownCredential,
        "signalAllAcceptedCredentials" => SignalMethod::AllAcceptedCredentials,
        "signalCurrentUserDetails" => SignalMethod::CurrentUserDetails,
        other => {
            return Err(CoreError::type_error(format!(
                "{other:?} is not a signal method"
            )))
        }
    };
    let mut signal = Signal {
        method,
        rp_id: member(o, "rpId")?.to_owned(),
        credential_id: None,
        user_id: None,
        all_accepted_credential_ids: None,
        name: None,
        display_name: None,
    };
    // Step 1 of each method: the IDL conversion and the base64url decoding of the ids → TypeError.
    match method {
        SignalMethod::UnknownCredential => {
            signal.credential_id = Some(b64u_member(o, "credentialId")?);
        }
        SignalMethod::AllAcceptedCredentials => {
            signal.user_id = Some(b64u_member(o, "userId")?);
            let ids = o
                .get("allAcceptedCredentialIds")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    CoreError::type_error(
                        "options.allAcceptedCredentialIds is required and must be a sequence",
                    )
                })?;
            let ids = ids
                .iter()
                .map(|id| {
                    let text = id.as_str().ok_or_else(|| {
                        CoreError::type_error("options.allAcceptedCredentialIds must hold strings")
                    })?;
                    b64u_decode_field(text, "allAcceptedCredentialIds").map(Base64Url)
                })
                .collect::<CoreResult<_>>()?;
            signal.all_accepted_credential_ids = Some(ids);
        }
        SignalMethod::CurrentUserDetails => {
            signal.user_id = Some(b64u_member(o, "userId")?);
            signal.name = Some(member(o, "name")?.to_owned());
            signal.display_name = Some(member(o, "displayName")?.to_owned());
        }
    }
    // Step 2: the RP ID must be the caller's (or a registrable suffix of it, or list it) → SecurityError.
    let (origin, effective_domain) = caller_origin(&request.origin)?;
    signal.rp_id = resolve_rp_id_or_related(
        Some(&signal.rp_id),
        &origin,
        &effective_domain,
        request.related_origins.as_deref(),
    )?;
    Ok(signal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorName;
    use serde_json::json;

    fn check(method: &str, options: Value) -> CoreResult<Signal> {
        check_signal(SignalRequest {
            origin: "https://login.bank.example".into(),
            method: method.into(),
            related_origins: None,
            options,
        })
    }

    fn name_of(result: CoreResult<Signal>) -> ErrorName {
        result.unwrap_err().name
    }

    #[test]
    fn unknown_credential_is_checked_and_lowercases_the_rp_id() {
        let signal = check(
            "signalUnknownCredential",
            json!({"rpId": "Bank.Example", "credentialId": "AAEC"}),
        )
        .unwrap();
        assert_eq!(signal.method, SignalMethod::UnknownCredential);
        assert_eq!(signal.rp_id, "bank.example");
        assert_eq!(signal.credential_id, Some(Base64Url(vec![0, 1, 2])));
    }

    #[test]
    fn all_accepted_and_user_details_carry_the_user() {
        let accepted = check(
            "signalAllAcceptedCredentials",
            json!({"rpId": "bank.example", "userId": "dXNlcg", "allAcceptedCredentialIds": ["AAEC", "AwQ"]}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&accepted).unwrap(),
            json!({"method": "signalAllAcceptedCredentials", "rpId": "bank.example", "userId": "dXNlcg",
                   "allAcceptedCredentialIds": ["AAEC", "AwQ"]})
        );
        let details = check(
            "signalCurrentUserDetails",
            json!({"rpId": "login.bank.example", "userId": "dXNlcg", "name": "ada@bank", "displayName": "Ada"}),
        )
        .unwrap();
        assert_eq!(details.rp_id, "login.bank.example");
        assert_eq!(details.name.as_deref(), Some("ada@bank"));
        assert_eq!(details.display_name.as_deref(), Some("Ada"));
    }

    #[test]
    fn missing_members_and_bad_base64url_are_type_errors() {
        assert_eq!(
            name_of(check(
                "signalUnknownCredential",
                json!({"rpId": "bank.example"})
            )),
            ErrorName::TypeError
        );
        assert_eq!(
            name_of(check(
                "signalUnknownCredential",
                json!({"rpId": "bank.example", "credentialId": "AA=="})
            )),
            ErrorName::TypeError
        );
        assert_eq!(
            name_of(check(
                "signalAllAcceptedCredentials",
                json!({"rpId": "bank.example", "userId": "dXNlcg", "allAcceptedCredentialIds": ["+/"]})
            )),
            ErrorName::TypeError
        );
        assert_eq!(
            name_of(check(
                "signalCurrentUserDetails",
                json!({"rpId": "bank.example", "userId": "dXNlcg", "name": "a"})
            )),
            ErrorName::TypeError
        );
        assert_eq!(
            name_of(check("signalEverything", json!({}))),
            ErrorName::TypeError
        );
    }

    #[test]
    fn another_sites_rp_id_is_a_security_error_after_the_type_checks() {
        let foreign = check(
            "signalUnknownCredential",
            json!({"rpId": "other.example", "credentialId": "AAEC"}),
        );
        assert_eq!(name_of(foreign), ErrorName::SecurityError);
        // A bad id is reported before the RP ID, as the spec's steps are ordered.
        let both = check(
            "signalUnknownCredential",
            json!({"rpId": "other.example", "credentialId": "!"}),
        );
        assert_eq!(name_of(both), ErrorName::TypeError);
    }
}
