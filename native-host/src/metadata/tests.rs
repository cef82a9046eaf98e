use super::*;

pub fn sample(credential_id: &[u8], rp_id: &str) -> CredentialRecord {
    CredentialRecord {
        credential_id: credential_id.to_vec(),
        rp_id: rp_id.to_owned(),
        user_id: vec![1, 2, 3],
        user_name: "alice".into(),
        user_display_name: "Alice".into(),
        store: "vault".into(),
        aaguid: "00000000-0000-0000-0000-000000000000".into(),
        key_blob: vec![9; 10],
        public_key: vec![4; 65],
        sign_count: 0,
        created_at: 1,
        last_used_at: None,
        backup_eligible: true,
        backup_state: false,
        resident_key: true,
    }
}

#[test]
fn migrates_once_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyplace.db");
    let metadata = Metadata::open(&path).unwrap();
    assert_eq!(metadata.schema_version().unwrap(), LATEST_VERSION);
    metadata
        .insert_credential(&sample(b"c1", "example.com"))
        .unwrap();
    drop(metadata);
    let reopened = Metadata::open(&path).unwrap();
    assert_eq!(
        reopened.credential(b"c1").unwrap().unwrap(),
        sample(b"c1", "example.com")
    );
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyplace.db");
    drop(Metadata::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", LATEST_VERSION + 1)
        .unwrap();
    assert!(matches!(
        Metadata::open(&path),
        Err(MetadataError::NewerSchema { .. })
    ));
}

#[test]
fn counter_increments_and_records_use() {
    let dir = tempfile::tempdir().unwrap();
    let metadata = Metadata::open(&dir.path().join("keyplace.db")).unwrap();
    metadata
        .insert_credential(&sample(b"c1", "example.com"))
        .unwrap();
    assert_eq!(metadata.next_sign_count(b"c1", 50).unwrap(), Some(1));
    assert_eq!(metadata.next_sign_count(b"c1", 60).unwrap(), Some(2));
    assert_eq!(
        metadata.credential(b"c1").unwrap().unwrap().last_used_at,
        Some(60)
    );
    assert_eq!(metadata.next_sign_count(b"nope", 60).unwrap(), None);
}

#[test]
fn filters_and_exclusions() {
    let dir = tempfile::tempdir().unwrap();
    let metadata = Metadata::open(&dir.path().join("keyplace.db")).unwrap();
    metadata
        .insert_credential(&sample(b"a", "a.example"))
        .unwrap();
    metadata
        .insert_credential(&sample(b"b", "b.example"))
        .unwrap();
    assert_eq!(metadata.credentials(None).unwrap().len(), 2);
    assert_eq!(
        metadata.credentials(Some("b.example")).unwrap()[0].credential_id,
        b"b"
    );
    assert!(metadata
        .any_exists(&[b"x".to_vec(), b"a".to_vec()], "a.example", "vault")
        .unwrap());
    assert!(!metadata
        .any_exists(&[b"a".to_vec()], "b.example", "vault")
        .unwrap());
    assert!(!metadata
        .any_exists(&[b"a".to_vec()], "a.example", "hardware")
        .unwrap());
    assert!(metadata.rename_credential(b"a", "bob").unwrap());
    assert_eq!(metadata.credential(b"a").unwrap().unwrap().user_name, "bob");
    assert!(!metadata.rename_credential(b"nope", "bob").unwrap());
    assert!(metadata.delete_credential(b"a").unwrap());
    assert!(!metadata.delete_credential(b"a").unwrap());
}

/// 1,200 credentials over 40 sites (30 each), account names in mixed case, ids unique.
fn many(metadata: &Metadata) -> Vec<ListKey> {
    let mut keys = Vec::new();
    for i in 0..1200u32 {
        let mut record = sample(&i.to_be_bytes(), &format!("site{:02}.example", i % 40));
        record.user_name = if i % 3 == 0 {
            format!("User{}", i % 7)
        } else {
            format!("user{}", i % 11)
        };
        keys.push(ListKey {
            rp_id: record.rp_id.clone(),
            user_name: record.user_name.clone(),
            credential_id: record.credential_id.clone(),
        });
        metadata.insert_credential(&record).unwrap();
    }
    keys.sort_by(|a, b| a.cmp_sql(b));
    keys
}

fn pages(metadata: &Metadata, filter: ListFilter<'_>, limit: u32) -> Vec<ListKey> {
    let mut seen = Vec::new();
    let mut after: Option<ListKey> = None;
    loop {
        let page = metadata
            .list_page(
                &ListFilter {
                    after: after.as_ref(),
                    ..filter
                },
                limit,
            )
            .unwrap();
        assert!(page.len() <= limit as usize);
        seen.extend(page.iter().map(ListedCredential::key));
        if page.len() < limit as usize {
            return seen;
        }
        after = Some(page.last().unwrap().key());
    }
}

#[test]
fn paging_returns_every_row_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let metadata = Metadata::open(&dir.path().join("keyplace.db")).unwrap();
    let all = many(&metadata);
    // Every page size, including ones that split a run of equal account names.
    for limit in [1, 7, 200, 500, 1200, 5000] {
        assert_eq!(
            pages(&metadata, ListFilter::default(), limit),
            all,
            "limit {limit}"
        );
    }
    let site: Vec<ListKey> = all
        .iter()
        .filter(|k| k.rp_id == "site07.example")
        .cloned()
        .collect();
    assert_eq!(site.len(), 30);
    let filter = ListFilter {
        rp_id: Some("site07.example"),
        ..Default::default()
    };
    assert_eq!(pages(&metadata, filter, 4), site);
    assert_eq!(metadata.list_count(&filter).unwrap(), 30);
    assert_eq!(metadata.list_count(&ListFilter::default()).unwrap(), 1200);
}

#[test]
fn query_matches_site_or_account_ignoring_case_and_wildcards() {
    let dir = tempfile::tempdir().unwrap();
    let metadata = Metadata::open(&dir.path().join("keyplace.db")).unwrap();
    let all = many(&metadata);
    let expect = |needle: &str| -> Vec<ListKey> {
        all.iter()
            .filter(|k| {
                k.rp_id.to_ascii_lowercase().contains(needle)
                    || k.user_name.to_ascii_lowercase().contains(needle)
            })
            .cloned()
            .collect()
    };
    for needle in ["user3", "site1", "e05", "07.ex"] {
        let filter = ListFilter {
            query: Some(needle),
            ..Default::default()
        };
        let found = pages(&metadata, filter, 50);
        assert_eq!(found, expect(needle), "{needle}");
        assert!(!found.is_empty(), "{needle}");
        assert_eq!(metadata.list_count(&filter).unwrap(), found.len() as u64);
    }
    // "User3" and "user3" both match "user3"; LIKE's wildcards are plain characters in a query.
    assert!(expect("user3").iter().any(|k| k.user_name == "User3"));
    metadata
        .insert_credential(&ListedRecord::named(b"w", "w.example", "50%_off"))
        .unwrap();
    for (needle, count) in [("%", 1), ("_", 1), ("0%_", 1), ("5_", 0), ("\\", 0)] {
        let filter = ListFilter {
            query: Some(needle),
            ..Default::default()
        };
        assert_eq!(metadata.list_count(&filter).unwrap(), count, "{needle}");
    }
    // With an RP ID and a query together.
    let filter = ListFilter {
        rp_id: Some("site07.example"),
        query: Some("user3"),
        after: None,
    };
    let found = metadata.list_page(&filter, 500).unwrap();
    assert!(!found.is_empty());
    assert!(found
        .iter()
        .all(|c| c.rp_id == "site07.example" && c.user_name.eq_ignore_ascii_case("user3")));
}

struct ListedRecord;
impl ListedRecord {
    fn named(id: &[u8], rp_id: &str, user_name: &str) -> CredentialRecord {
        CredentialRecord {
            user_name: user_name.into(),
            ..sample(id, rp_id)
        }
    }
}

fn plan(metadata: &Metadata, sql: &str, values: Vec<rusqlite::types::Value>) -> String {
    let connection = metadata.connection();
    let mut statement = connection
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap();
    let rows = statement
        .query_map(rusqlite::params_from_iter(values), |row| {
            row.get::<_, String>(3)
        })
        .unwrap();
    rows.collect::<Result<Vec<_>, _>>().unwrap().join(" | ")
}

/// The statements `list` runs are answered from the index: an RP ID (with or without a cursor) and a cursor
/// over every site are ranges of it, and no shape sorts in a temporary B-tree.
#[test]
fn every_list_statement_uses_the_index() {
    use rusqlite::types::Value;
    let dir = tempfile::tempdir().unwrap();
    let metadata = Metadata::open(&dir.path().join("keyplace.db")).unwrap();
    many(&metadata);
    let key = ListKey {
        rp_id: "site03.example".into(),
        user_name: "user4".into(),
        credential_id: vec![0, 0, 1, 0],
    };
    let shapes = [
        (Some("site05.example"), None, None, "rp_id=?"),
        (
            Some("site05.example"),
            None,
            Some(&key),
            "rp_id=? AND user_name>?",
        ),
        (None, None, Some(&key), "(rp_id>?)"),
        (None, None, None, ""),
        (None, Some("user"), Some(&key), "(rp_id>?)"),
        (Some("site05.example"), Some("user"), None, "rp_id=?"),
    ];
    for (rp_id, query, after, range) in shapes {
        let filter = ListFilter {
            rp_id,
            query,
            after,
        };
        let (conditions, mut values) = filter.sql(true);
        values.push(Value::Integer(200));
        let sql = format!(
            "SELECT {LISTED_COLUMNS} FROM credentials {conditions} \
             ORDER BY rp_id, user_name COLLATE NOCASE, credential_id LIMIT ?{}",
            values.len()
        );
        let plan = plan(&metadata, &sql, values);
        assert!(
            plan.contains("USING INDEX credentials_by_site_and_name"),
            "{sql}: {plan}"
        );
        if !range.is_empty() {
            assert!(plan.contains(range), "{sql}: {plan}");
        }
        assert!(!plan.contains("TEMP B-TREE"), "{sql}: {plan}");
        let (conditions, values) = filter.sql(false);
        let count_plan = plan_count(&metadata, &conditions, values);
        if rp_id.is_some() {
            assert!(
                count_plan.contains("credentials_by_site_and_name (rp_id=?)"),
                "{count_plan}"
            );
        }
    }
    // The sign-in lookup by RP ID that the CLI's listing shares.
    let plan = plan(
        &metadata,
        &format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE rp_id = ?1"),
        vec![Value::Text("site05.example".into())],
    );
    assert!(
        plan.contains("credentials_by_site_and_name (rp_id=?)"),
        "{plan}"
    );
}

fn plan_count(
    metadata: &Metadata,
    conditions: &str,
    values: Vec<rusqlite::types::Value>,
) -> String {
    plan(
        metadata,
        &format!("SELECT count(*) FROM credentials {conditions}"),
        values,
    )
}

#[test]
fn migrates_a_version_1_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyplace.db");
    {
        let mut connection = Connection::open(&path).unwrap();
        let transaction = connection.transaction().unwrap();
        transaction
            .execute_batch(schema::MIGRATIONS_FOR_TESTS[0])
            .unwrap();
        transaction.pragma_update(None, "user_version", 1).unwrap();
        transaction.commit().unwrap();
    }
    let metadata = Metadata::open(&path).unwrap();
    assert_eq!(metadata.schema_version().unwrap(), LATEST_VERSION);
    let indexes: Vec<String> = metadata
        .connection()
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'credentials' AND sql IS NOT NULL")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(indexes, ["credentials_by_site_and_name"]);
}

#[test]
fn settings_default_and_persist() {
    let dir = tempfile::tempdir().unwrap();
    let metadata = Metadata::open(&dir.path().join("keyplace.db")).unwrap();
    assert_eq!(
        metadata.vault_unlock_seconds().unwrap(),
        DEFAULT_VAULT_UNLOCK_SECONDS
    );
    metadata.set_vault_unlock_seconds(0).unwrap();
    assert_eq!(metadata.vault_unlock_seconds().unwrap(), 0);
}
