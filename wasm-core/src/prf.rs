//! The `prf` client extension (WebAuthn L3 §10.1.4): a site passes one or two inputs and gets back values derived
//! from a secret that belongs to the credential. The client turns each input into a salt, SHA-256("WebAuthn PRF"
//! ‖ 0x00 ‖ input), as it would for CTAP2's hmac-secret; the host computes HMAC-SHA-256(credential secret, salt)
//! and never sees the inputs themselves.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bytes::Base64Url;
use crate::bytes::{b64u_decode, BufferSource};
use crate::client_data::sha256;
use crate::error::{CoreError, CoreResult, ErrorName};
use crate::options::decode;

/// The salts for one evaluation: `second` only when the site gave a second input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PrfSalts {
    pub first: Base64Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub second: Option<Base64Url>,
}

/// What the host computed for those salts.
pub type PrfValues = PrfSalts;

/// Salts for one credential of `allowCredentials` (evalByCredential).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CredentialSalts {
    pub credential_id: Base64Url,
    pub salts: PrfSalts,
}

/// A registration asked for `prf`; `salts` when it also asked for values at once (`eval`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CreatePrf {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub salts: Option<PrfSalts>,
}

/// A sign-in asked for `prf`: `eval` for any credential, `byCredential` for the ones it names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct GetPrf {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub eval: Option<PrfSalts>,
    #[serde(default)]
    pub by_credential: Vec<CredentialSalts>,
}

impl GetPrf {
    /// The salts for the credential that signs: its own (evalByCredential), else `eval`.
    pub fn salts_for(&self, credential_id: &[u8]) -> Option<&PrfSalts> {
        self.by_credential
            .iter()
            .find(|entry| entry.credential_id.0 == credential_id)
            .map(|entry| &entry.salts)
            .or(self.eval.as_ref())
    }
}

/// The `prf` output of a registration: whether the credential has a PRF, and values when `eval` was given.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PrfRegistrationOutput {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub results: Option<PrfValues>,
}

/// The `prf` output of a sign-in.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PrfAssertionOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub results: Option<PrfValues>,
}

#[derive(Deserialize)]
struct Inputs {
    first: BufferSource,
    second: Option<BufferSource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrfInput {
    eval: Option<Inputs>,
    eval_by_credential: Option<serde_json::Map<String, Value>>,
}

/// SHA-256("WebAuthn PRF" ‖ 0x00 ‖ input): the salt CTAP2's hmac-secret gets for a PRF input.
pub fn prf_salt(input: &[u8]) -> [u8; 32] {
    let mut message = b"WebAuthn PRF\x00".to_vec();
    message.extend_from_slice(input);
    sha256(&message)
}

fn salts(inputs: Inputs) -> PrfSalts {
    PrfSalts {
        first: Base64Url(prf_salt(&inputs.first.0).to_vec()),
        second: inputs
            .second
            .map(|second| Base64Url(prf_salt(&second.0).to_vec())),
    }
}

fn parse(value: Option<&Value>) -> CoreResult<Option<PrfInput>> {
    value
        .map(|value| decode::<PrfInput>(value.clone(), "extensions.prf"))
        .transpose()
}

/// Registration (§10.1.4, registration steps): `evalByCredential` is not allowed (NotSupportedError).
pub fn prf_for_create(value: Option<&Value>) -> CoreResult<Option<CreatePrf>> {
    let Some(input) = parse(value)? else {
        return Ok(None);
    };
    if input.eval_by_credential.is_some() {
        return Err(CoreError::not_supported(
            "prf.evalByCredential cannot be used when creating a credential",
        ));
    }
    Ok(Some(CreatePrf {
        salts: input.eval.map(salts),
    }))
}

/// Sign-in (§10.1.4, authentication steps): each `evalByCredential` key must be a non-empty base64url id of one
/// of `allowCredentials` (SyntaxError), and there must be an allow list at all (NotSupportedError).
pub fn prf_for_get(value: Option<&Value>, allow: &[Vec<u8>]) -> CoreResult<Option<GetPrf>> {
    let Some(input) = parse(value)? else {
        return Ok(None);
    };
    let by_id = input.eval_by_credential.unwrap_or_default();
    if !by_id.is_empty() && allow.is_empty() {
        return Err(CoreError::not_supported(
            "prf.evalByCredential needs allowCredentials",
        ));
    }
    let mut by_credential = Vec::with_capacity(by_id.len());
    for (key, inputs) in by_id {
        let id = b64u_decode(&key)
            .filter(|id| !id.is_empty() && allow.contains(id))
            .ok_or_else(|| {
                CoreError::new(
                    ErrorName::SyntaxError,
                    format!("prf.evalByCredential key {key:?} is not the base64url id of an allowed credential"),
                )
            })?;
        let inputs: Inputs = decode(inputs, "extensions.prf.evalByCredential")?;
        by_credential.push(CredentialSalts {
            credential_id: Base64Url(id),
            salts: salts(inputs),
        });
    }
    Ok(Some(GetPrf {
        eval: input.eval.map(salts),
        by_credential,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn buffer(bytes: &[u8]) -> Value {
        json!({"$bytes": crate::bytes::b64u_encode(bytes)})
    }

    #[test]
    fn salts_follow_the_spec_mapping_to_hmac_secret() {
        // Independent of prf_salt: the concatenation spelled out.
        let mut expected = Vec::new();
        expected.extend_from_slice(b"WebAuthn PRF");
        expected.push(0);
        expected.extend_from_slice(b"input");
        assert_eq!(prf_salt(b"input"), sha256(&expected));
        let create = prf_for_create(Some(&json!({"eval": {"first": buffer(b"input")}})))
            .unwrap()
            .unwrap();
        let salts = create.salts.unwrap();
        assert_eq!(salts.first.0, sha256(&expected).to_vec());
        assert_eq!(salts.second, None);
    }

    #[test]
    fn create_takes_eval_but_not_eval_by_credential() {
        assert_eq!(prf_for_create(None).unwrap(), None);
        assert_eq!(
            prf_for_create(Some(&json!({}))).unwrap(),
            Some(CreatePrf { salts: None })
        );
        let err = prf_for_create(Some(&json!({"evalByCredential": {}}))).unwrap_err();
        assert_eq!(err.name, ErrorName::NotSupportedError);
        let err = prf_for_create(Some(&json!({"eval": {"first": "text"}}))).unwrap_err();
        assert_eq!(err.name, ErrorName::TypeError);
    }

    #[test]
    fn get_picks_salts_per_credential_and_checks_the_keys() {
        let allow = vec![vec![1, 2, 3], vec![4, 5]];
        let prf = prf_for_get(
            Some(&json!({
                "eval": {"first": buffer(b"a")},
                "evalByCredential": {"AQID": {"first": buffer(b"b"), "second": buffer(b"c")}}
            })),
            &allow,
        )
        .unwrap()
        .unwrap();
        let own = prf.salts_for(&[1, 2, 3]).unwrap();
        assert_eq!(own.first.0, prf_salt(b"b").to_vec());
        assert_eq!(own.second.as_ref().unwrap().0, prf_salt(b"c").to_vec());
        assert_eq!(
            prf.salts_for(&[4, 5]).unwrap().first.0,
            prf_salt(b"a").to_vec()
        );

        let name =
            |value: Value, allow: &[Vec<u8>]| prf_for_get(Some(&value), allow).unwrap_err().name;
        let one = json!({"first": buffer(b"x")});
        assert_eq!(
            name(json!({"evalByCredential": {"AQID": one}}), &[]),
            ErrorName::NotSupportedError
        );
        assert_eq!(
            name(json!({"evalByCredential": {"BAU=": one}}), &allow),
            ErrorName::SyntaxError
        );
        assert_eq!(
            name(json!({"evalByCredential": {"": one}}), &allow),
            ErrorName::SyntaxError
        );
        assert_eq!(
            name(json!({"evalByCredential": {"CQk": one}}), &allow),
            ErrorName::SyntaxError
        );
        // No eval and not named: no salts for that credential.
        let only_named = prf_for_get(Some(&json!({"evalByCredential": {"BAU": one}})), &allow)
            .unwrap()
            .unwrap();
        assert_eq!(only_named.salts_for(&[1, 2, 3]), None);
    }
}
