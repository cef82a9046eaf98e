//! `list`: paging, totals, slim rows, and answers that stay under the browser's 1 MiB cap.

use super::*;

/// Inserts credentials straight into the database (no PIN, no key work): `list` only reads metadata.
fn insert_listed(
    service: &Service,
    count: u32,
    rp_id: impl Fn(u32) -> String,
    name: impl Fn(u32) -> String,
) {
    for i in 0..count {
        let mut record = crate::metadata::tests::sample(&i.to_be_bytes(), &rp_id(i));
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
    let (by_ids_paged, _) = list_all_pages(&service, json!({"credential_ids": ids, "limit": 2}));
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
