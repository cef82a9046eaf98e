//! credBlob and getCredBlob (CTAP 2.1 §12.2), as client extensions: what the browser Keyplace runs in answers for
//! an authenticator that keeps no credential blobs, which Keyplace's stores do not (measured in Chromium 156 and
//! Firefox ESR 153; README, "Conformance"). Nothing is stored, and no blob ever reaches the host.

use crate::bytes::Base64Url;
use crate::options::{js_truthy, Client, Extensions};

/// credBlob's registration output (CTAP 2.1 §12.2: `credBlob: boolean`, whether the blob was stored). Keyplace's
/// stores keep no credential blobs, so it says what the browser says for an authenticator without them: Chromium
/// `false` for any blob (an empty one too); Firefox, which does not implement the extension, nothing. A site asking
/// for getCredBlob later gets an empty blob, as from such an authenticator (`get_cred_blob_output`).
pub fn cred_blob_create_output(
    extensions: Option<&Extensions>,
    client: Option<Client>,
) -> Option<bool> {
    (extensions.is_some_and(|ext| ext.cred_blob.is_some()) && client != Some(Client::Firefox))
        .then_some(false)
}

/// getCredBlob's sign-in output: Chromium gives an empty ArrayBuffer when the input is truthy and the authenticator
/// holds no blob for the credential (none is kept here), nothing when it is falsy; Firefox nothing.
pub fn get_cred_blob_output(
    extensions: Option<&Extensions>,
    client: Option<Client>,
) -> Option<Base64Url> {
    let asked = extensions
        .and_then(|ext| ext.get_cred_blob.as_ref())
        .is_some_and(js_truthy);
    (asked && client != Some(Client::Firefox)).then(|| Base64Url(Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::decode;
    use serde_json::{json, Value};

    #[test]
    fn outputs_are_what_the_browser_says_for_an_authenticator_without_blobs() {
        let ext = |v: Value| decode::<Extensions>(v, "extensions").unwrap();
        let chromium = Some(Client::Chromium);
        let firefox = Some(Client::Firefox);
        let create = |v: Value, client| cred_blob_create_output(Some(&ext(v)), client);
        assert_eq!(
            create(json!({"credBlob": {"$bytes": "AQID"}}), chromium),
            Some(false)
        );
        assert_eq!(
            create(json!({"credBlob": {"$bytes": ""}}), chromium),
            Some(false)
        );
        assert_eq!(
            create(json!({"credBlob": {"$bytes": "AQID"}}), firefox),
            None
        );
        assert_eq!(create(json!({"getCredBlob": true}), chromium), None);
        assert_eq!(cred_blob_create_output(None, chromium), None);
        let get = |v: Value, client| get_cred_blob_output(Some(&ext(v)), client);
        assert_eq!(
            get(json!({"getCredBlob": true}), chromium),
            Some(Base64Url(Vec::new()))
        );
        assert_eq!(
            get(json!({"getCredBlob": "x"}), chromium),
            Some(Base64Url(Vec::new()))
        );
        assert_eq!(get(json!({"getCredBlob": 0}), chromium), None);
        assert_eq!(get(json!({"getCredBlob": true}), firefox), None);
        assert_eq!(get(json!({"credBlob": {"$bytes": "AQ"}}), chromium), None);
    }
}
