//! `list`: a page of credentials (metadata only, never key material), its paging cursor, and the two shapes of a
//! row (full, and the popup's slim one).

use serde_json::Value;

use super::{credential_ids, errors, Service};
use crate::metadata::{ListFilter, ListKey, ListedCredential};
use crate::protocol::{
    B64u, CredentialRow, ErrorBody, ListPage, ListParams, ListRow, SlimCredentialRow,
};

/// The most rows in one page (and the default page size).
pub const LIST_MAX_LIMIT: u32 = 500;
/// The most bytes of rows in one page, so that the answer stays under the browser's 1 MiB cap whatever the rows
/// hold (a page has at least one row; the rest of the answer is under 200 bytes).
pub const LIST_PAGE_BYTES: usize = 768 * 1024;
/// The longest `query`.
const MAX_LIST_QUERY_CHARS: usize = 256;

impl Service {
    /// A page of credentials in (RP ID, account name, credential id) order; see PROTOCOL.md. Each filter shape is
    /// answered from an index (metadata::list_page), and the page stays under the browser's 1 MiB cap whatever the
    /// rows hold: at most `LIST_MAX_LIMIT` rows and at most `LIST_PAGE_BYTES` of them.
    pub(super) fn list(&self, params: ListParams) -> Result<ListPage<ListRow>, ErrorBody> {
        let limit = match params.limit {
            None => LIST_MAX_LIMIT,
            Some(0) => return Err(errors::zero_list_limit()),
            Some(n) => n.min(LIST_MAX_LIMIT),
        };
        let query = match params.query.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(q) if q.chars().count() > MAX_LIST_QUERY_CHARS => {
                return Err(errors::list_query_too_long(MAX_LIST_QUERY_CHARS))
            }
            Some(q) => Some(q.to_ascii_lowercase()),
        };
        let after = params.after.as_deref().map(decode_cursor).transpose()?;
        let filter = ListFilter {
            rp_id: params.rp_id.as_deref(),
            query: query.as_deref(),
            after: after.as_ref(),
        };
        // One row more than the page tells whether there is a next page.
        let (rows, total) = match credential_ids("credential_ids", params.credential_ids)? {
            Some(ids) => {
                let mut found: Vec<ListedCredential> = self
                    .metadata
                    .listed_by_ids(&ids)?
                    .into_iter()
                    .filter(|c| filter.rp_id.map_or(true, |rp_id| c.rp_id == rp_id))
                    .filter(|c| filter.query.map_or(true, |q| c.matches(q)))
                    .collect();
                found.sort_by(|a, b| a.key().cmp_sql(&b.key()));
                let total = found.len() as u64;
                if let Some(after) = &after {
                    found.retain(|c| c.key().cmp_sql(after).is_gt());
                }
                found.truncate(limit as usize + 1);
                (found, total)
            }
            None => {
                let rows = self.metadata.list_page(&filter, limit + 1)?;
                // The first page of a small answer already knows the total.
                let total = if after.is_none() && rows.len() <= limit as usize {
                    rows.len() as u64
                } else {
                    self.metadata.list_count(&filter)?
                };
                (rows, total)
            }
        };
        let mut credentials = Vec::with_capacity(rows.len().min(limit as usize));
        let mut bytes = 0;
        let mut last: Option<&ListedCredential> = None;
        let mut more = false;
        for row in &rows {
            let listed = if params.slim {
                ListRow::Slim(slim_row(row)?)
            } else {
                ListRow::Full(full_row(row)?)
            };
            let size = serde_json::to_string(&listed)
                .map_err(errors::answer_not_serializable)?
                .len()
                + 1;
            if credentials.len() == limit as usize
                || (!credentials.is_empty() && bytes + size > LIST_PAGE_BYTES)
            {
                more = true;
                break;
            }
            bytes += size;
            credentials.push(listed);
            last = Some(row);
        }
        let next = match (more, last) {
            (true, Some(last)) => Some(encode_cursor(&last.key())),
            _ => None,
        };
        Ok(ListPage {
            credentials,
            next,
            total,
        })
    }
}

/// A `list` cursor: the last row's key, opaque to the caller (base64url of `[rp_id, user_name, credential_id]`).
fn encode_cursor(key: &ListKey) -> String {
    let key = (&key.rp_id, &key.user_name, B64u(key.credential_id.clone()));
    // A tuple of strings always serializes.
    let json = serde_json::to_string(&key).unwrap_or_default();
    B64u::encode(json.as_bytes())
}

fn decode_cursor(cursor: &str) -> Result<ListKey, ErrorBody> {
    let bytes = serde_json::from_value::<B64u>(Value::String(cursor.to_owned()))
        .map_err(|_| errors::bad_list_cursor())?;
    let (rp_id, user_name, credential_id): (String, String, B64u) =
        serde_json::from_slice(&bytes.0).map_err(|_| errors::bad_list_cursor())?;
    Ok(ListKey {
        rp_id,
        user_name,
        credential_id: credential_id.0,
    })
}

fn full_row(c: &ListedCredential) -> Result<CredentialRow, ErrorBody> {
    Ok(CredentialRow {
        credential_id: B64u(c.credential_id.clone()),
        rp_id: c.rp_id.clone(),
        user_id: B64u(c.user_id.clone()),
        user_name: c.user_name.clone(),
        user_display_name: c.user_display_name.clone(),
        store: c.store,
        aaguid: c.aaguid.clone(),
        created_at: c.created_at,
        last_used_at: c.last_used_at,
        sign_count: c.sign_count,
        backup_eligible: c.backup_eligible,
        backup_state: c.backup_state,
        resident_key: c.resident_key,
        imported_from: c.imported_from.clone(),
        held_by_tpm: c.held_by_tpm,
    })
}

/// What the popup shows of a credential.
fn slim_row(c: &ListedCredential) -> Result<SlimCredentialRow, ErrorBody> {
    Ok(SlimCredentialRow {
        credential_id: B64u(c.credential_id.clone()),
        rp_id: c.rp_id.clone(),
        user_name: c.user_name.clone(),
        store: c.store,
        created_at: c.created_at,
        last_used_at: c.last_used_at,
        sign_count: c.sign_count,
        imported_from: c.imported_from.clone(),
        held_by_tpm: c.held_by_tpm,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::protocol::{ErrorCode, Request};
    use crate::service::test_fixtures::{b64, call, service};
    use crate::service::Service;

    /// Inserts credentials straight into the database (no PIN, no key work): `list` only reads metadata.
    fn insert_listed(
        service: &Service,
        count: u32,
        rp_id: impl Fn(u32) -> String,
        name: impl Fn(u32) -> String,
    ) {
        for i in 0..count {
            let mut record = crate::test_support::sample_credential(&i.to_be_bytes(), &rp_id(i));
            record.user_name = name(i);
            service.metadata.insert_credential(&record).unwrap();
        }
    }

    fn list_all_pages(service: &Service, params: Value) -> (Vec<Value>, Vec<usize>) {
        let mut rows = Vec::new();
        let mut sizes = Vec::new();
        let mut params = params;
        loop {
            let page = call(service, "list", params.clone()).unwrap();
            sizes.push(page.to_string().len());
            rows.extend(page["credentials"].as_array().unwrap().iter().cloned());
            match &page["next"] {
                Value::Null => return (rows, sizes),
                next => params["after"] = next.clone(),
            }
        }
    }

    #[test]
    fn list_pages_every_credential_once_with_the_total() {
        let (_dir, service) = service();
        insert_listed(
            &service,
            1200,
            |i| format!("s{:02}.example", i % 37),
            |i| format!("u{}", i % 5),
        );
        let first = call(&service, "list", json!({"limit": 200, "slim": true})).unwrap();
        assert_eq!(first["total"], 1200);
        assert_eq!(first["credentials"].as_array().unwrap().len(), 200);
        assert!(first["next"].is_string());
        let row = first["credentials"][0].as_object().unwrap();
        let mut keys: Vec<&str> = row.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "created_at",
                "credential_id",
                "last_used_at",
                "rp_id",
                "sign_count",
                "store",
                "user_name"
            ]
        );

        let (rows, _) = list_all_pages(&service, json!({"limit": 200, "slim": true}));
        assert_eq!(rows.len(), 1200);
        let mut ids: Vec<&str> = rows
            .iter()
            .map(|r| r["credential_id"].as_str().unwrap())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 1200, "every row exactly once");
        let order: Vec<(String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r["rp_id"].as_str().unwrap().into(),
                    r["user_name"].as_str().unwrap().into(),
                )
            })
            .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "rp_id, then user_name");

        // Without a limit: pages of 500; a larger limit is read as 500.
        let default = call(&service, "list", json!({})).unwrap();
        assert_eq!(default["credentials"].as_array().unwrap().len(), 500);
        let big = call(&service, "list", json!({"limit": 100000})).unwrap();
        assert_eq!(big["credentials"].as_array().unwrap().len(), 500);
        assert_eq!(
            call(&service, "list", json!({"limit": 0}))
                .unwrap_err()
                .code,
            ErrorCode::BadRequest
        );
        for bad in ["nope", "AAAA", ""] {
            let answer = call(&service, "list", json!({"after": bad})).unwrap_err();
            assert_eq!(answer.code, ErrorCode::BadRequest, "{bad}");
        }

        // By RP ID (what sign-in asks): small, full rows, one page.
        let site = call(&service, "list", json!({"rp_id": "s05.example"})).unwrap();
        assert_eq!(site["total"], site["credentials"].as_array().unwrap().len());
        assert_eq!(site["next"], Value::Null);
        assert!(site["credentials"][0]["user_display_name"].is_string());
        let (paged, _) = list_all_pages(&service, json!({"rp_id": "s05.example", "limit": 3}));
        assert_eq!(paged, site["credentials"].as_array().unwrap().clone());

        // Search: RP ID or account name, any case; total counts every match.
        let (found, _) = list_all_pages(&service, json!({"query": "  S05.EX ", "limit": 7}));
        assert_eq!(found.len() as u64, site["total"].as_u64().unwrap());
        let u3 = call(&service, "list", json!({"query": "U3", "limit": 10})).unwrap();
        assert_eq!(u3["total"], 240);
        assert!(u3["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["user_name"] == "u3"));

        // By credential ids, with the other filters and paging.
        let ids: Vec<Value> = rows
            .iter()
            .take(5)
            .map(|r| r["credential_id"].clone())
            .collect();
        let mut with_unknown = ids.clone();
        with_unknown.push(json!(b64(b"unknown")));
        with_unknown.push(ids[0].clone());
        let by_ids = call(&service, "list", json!({"credential_ids": with_unknown})).unwrap();
        assert_eq!(by_ids["total"], 5);
        let (by_ids_paged, _) =
            list_all_pages(&service, json!({"credential_ids": ids, "limit": 2}));
        assert_eq!(by_ids_paged.len(), 5);
        let first_site = rows[0]["rp_id"].clone();
        let narrowed = call(
            &service,
            "list",
            json!({"credential_ids": ids, "rp_id": first_site}),
        )
        .unwrap();
        assert!(narrowed["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["rp_id"] == first_site));
    }

    #[test]
    fn list_answers_stay_under_the_browsers_cap_whatever_the_rows_hold() {
        let (_dir, service) = service();
        // Account names of 4,000 control characters: 24,000 bytes each once escaped as \u00XX in JSON.
        insert_listed(
            &service,
            120,
            |_| "big.example".into(),
            |i| format!("{i:03}{}", "\u{1}".repeat(4000)),
        );
        let (rows, sizes) = list_all_pages(&service, json!({}));
        assert_eq!(rows.len(), 120);
        assert!(sizes.len() > 1, "{sizes:?}");
        for size in &sizes {
            assert!(*size < 1024 * 1024 - 1024, "{sizes:?}");
        }
        // The same through the transport's own check (the envelope and the frame's cap).
        let answer = service.handle(Request {
            id: 9,
            method: "list".into(),
            params: json!({}),
        });
        assert!(answer.result.is_some());
        assert!(serde_json::to_vec(&answer).unwrap().len() < 1024 * 1024);
    }
}
