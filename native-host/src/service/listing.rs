//! `list`'s paging cursor and the two shapes of a listed credential (full, and the popup's slim rows).

use super::*;

/// A `list` cursor: the last row's key, opaque to the caller (base64url of `[rp_id, user_name, credential_id]`).
pub(super) fn encode_cursor(key: &ListKey) -> String {
    let json = json!([key.rp_id, key.user_name, B64u::encode(&key.credential_id)]);
    B64u::encode(json.to_string().as_bytes())
}

pub(super) fn decode_cursor(cursor: &str) -> Result<ListKey, ErrorBody> {
    let bad = || bad_request("after must be the next of an earlier list answer.");
    let bytes =
        serde_json::from_value::<B64u>(Value::String(cursor.to_owned())).map_err(|_| bad())?;
    let (rp_id, user_name, credential_id): (String, String, B64u) =
        serde_json::from_slice(&bytes.0).map_err(|_| bad())?;
    Ok(ListKey {
        rp_id,
        user_name,
        credential_id: credential_id.0,
    })
}

pub(super) fn listed_summary(c: &ListedCredential) -> Value {
    json!({
        "credential_id": B64u::encode(&c.credential_id),
        "rp_id": c.rp_id,
        "user_id": B64u::encode(&c.user_id),
        "user_name": c.user_name,
        "user_display_name": c.user_display_name,
        "store": c.store,
        "aaguid": c.aaguid,
        "created_at": c.created_at,
        "last_used_at": c.last_used_at,
        "sign_count": c.sign_count,
        "backup_eligible": c.backup_eligible,
        "backup_state": c.backup_state,
        "resident_key": c.resident_key,
    })
}

/// What the popup shows of a credential.
pub(super) fn listed_slim(c: &ListedCredential) -> Value {
    json!({
        "credential_id": B64u::encode(&c.credential_id),
        "rp_id": c.rp_id,
        "user_name": c.user_name,
        "store": c.store,
        "created_at": c.created_at,
        "last_used_at": c.last_used_at,
        "sign_count": c.sign_count,
    })
}
