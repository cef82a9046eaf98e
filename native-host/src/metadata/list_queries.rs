//! What `list` reads: pages of credentials without their keys, in one stable order, filtered by RP ID and a
//! search string, with a cursor.

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row};

use super::{Metadata, MetadataError};
use crate::protocol::StoreId;

macro_rules! stored_columns {
    () => {
        "credential_id, rp_id, user_id, user_name, user_display_name, store, aaguid, \
         sign_count, created_at, last_used_at, backup_eligible, backup_state, resident_key, imported_from"
    };
}
/// The stored columns of a `ListedCredential` (what an INSERT writes).
pub(super) const STORED_COLUMNS: &str = stored_columns!();
/// The columns of a `ListedCredential`, in `listed_from_row`'s order: the stored ones, then whether the TPM holds a
/// vault passkey (its blob's version byte: stores/vault_chip.rs).
pub(super) const LISTED_COLUMNS: &str = concat!(
    stored_columns!(),
    ", (store = 'vault' AND substr(key_blob, 1, 1) = X'02') AS held_by_tpm"
);
pub(super) const LISTED_COLUMN_COUNT: usize = 15;

/// A credential as `list` shows it: everything but its key (blob and public key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedCredential {
    pub credential_id: Vec<u8>,
    pub rp_id: String,
    pub user_id: Vec<u8>,
    pub user_name: String,
    pub user_display_name: String,
    pub store: StoreId,
    pub aaguid: String,
    pub sign_count: u32,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub resident_key: bool,
    /// The passkey manager it was imported from (src/import/); None when made here or copied from your devices.
    pub imported_from: Option<String>,
    /// A vault passkey held by this computer's TPM (stores/vault_chip.rs: its blob's first byte says so).
    pub held_by_tpm: bool,
}

impl ListedCredential {
    pub fn key(&self) -> ListKey {
        ListKey {
            rp_id: self.rp_id.clone(),
            user_name: self.user_name.clone(),
            credential_id: self.credential_id.clone(),
        }
    }

    /// Whether `needle` (already ASCII-lowercased) is in the RP ID or the account name, ignoring ASCII case: what
    /// `LIKE '%needle%'` matches in SQLite.
    pub fn matches(&self, needle: &str) -> bool {
        self.rp_id.to_ascii_lowercase().contains(needle)
            || self.user_name.to_ascii_lowercase().contains(needle)
    }
}

/// Where a credential is in `list`'s order: RP ID, then account name ignoring ASCII case (SQLite's NOCASE), then
/// credential id. Unique (the credential id is), so "after this key" is a stable cursor, unlike an offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListKey {
    pub rp_id: String,
    pub user_name: String,
    pub credential_id: Vec<u8>,
}

impl ListKey {
    /// The same order as `ORDER BY rp_id, user_name COLLATE NOCASE, credential_id` (bytes; NOCASE folds ASCII).
    pub fn cmp_sql(&self, other: &ListKey) -> std::cmp::Ordering {
        self.rp_id
            .as_bytes()
            .cmp(other.rp_id.as_bytes())
            .then_with(|| {
                self.user_name
                    .to_ascii_lowercase()
                    .as_bytes()
                    .cmp(other.user_name.to_ascii_lowercase().as_bytes())
            })
            .then_with(|| self.credential_id.cmp(&other.credential_id))
    }
}

/// What `list_page` / `list_count` select: one RP ID or all, a substring of the RP ID or account name (ASCII
/// letters in any case), and a cursor.
#[derive(Clone, Copy, Debug, Default)]
pub struct ListFilter<'a> {
    pub rp_id: Option<&'a str>,
    /// Already ASCII-lowercased and non-empty.
    pub query: Option<&'a str>,
    pub after: Option<&'a ListKey>,
}

impl ListFilter<'_> {
    /// `WHERE ...` (or nothing) and its values, numbered from ?1. The cursor only when `with_cursor`.
    fn sql(&self, with_cursor: bool) -> (String, Vec<Value>) {
        let mut conditions: Vec<String> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let next = |values: &mut Vec<Value>, value: Value| {
            values.push(value);
            format!("?{}", values.len())
        };
        if let Some(rp_id) = self.rp_id {
            let p = next(&mut values, Value::Text(rp_id.to_owned()));
            conditions.push(format!("rp_id = {p}"));
        }
        if let (true, Some(after)) = (with_cursor, self.after) {
            // Row values keep this a range of the index: with an RP ID, of its (user_name, credential_id) part.
            if self.rp_id.is_none() {
                let r = next(&mut values, Value::Text(after.rp_id.clone()));
                let u = next(&mut values, Value::Text(after.user_name.clone()));
                let c = next(&mut values, Value::Blob(after.credential_id.clone()));
                conditions.push(format!(
                    "(rp_id, user_name COLLATE NOCASE, credential_id) > ({r}, {u}, {c})"
                ));
            } else {
                // A row value after an equality is not a range of the index in SQLite; this form is
                // (rp_id = ? AND user_name >= ?), with the tie broken on the rows of that one name.
                let u = next(&mut values, Value::Text(after.user_name.clone()));
                let c = next(&mut values, Value::Blob(after.credential_id.clone()));
                conditions.push(format!(
                    "user_name COLLATE NOCASE >= {u} \
                     AND (user_name COLLATE NOCASE > {u} OR credential_id > {c})"
                ));
            }
        }
        if let Some(query) = self.query {
            let escaped: String = query
                .chars()
                .flat_map(|c| match c {
                    '%' | '_' | '\\' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            let q = next(&mut values, Value::Text(format!("%{escaped}%")));
            conditions.push(format!(
                "(rp_id LIKE {q} ESCAPE '\\' OR user_name LIKE {q} ESCAPE '\\')"
            ));
        }
        if conditions.is_empty() {
            (String::new(), values)
        } else {
            (format!("WHERE {}", conditions.join(" AND ")), values)
        }
    }
}

impl Metadata {
    /// Up to `limit` credentials matching `filter`, in `ListKey` order, strictly after `filter.after`. Every shape
    /// of the filter is its own statement, so that each one is answered from `credentials_by_site_and_name` (an
    /// RP ID is a range of it; a cursor starts a range of it) instead of scanning the table.
    pub fn list_page(
        &self,
        filter: &ListFilter<'_>,
        limit: u32,
    ) -> Result<Vec<ListedCredential>, MetadataError> {
        let (conditions, mut values) = filter.sql(true);
        values.push(limit.into());
        let sql = page_sql(&conditions, values.len());
        let connection = self.connection();
        let mut statement = connection.prepare_cached(&sql)?;
        let rows = statement.query_map(rusqlite::params_from_iter(values), listed_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many credentials match `filter`, wherever its cursor is.
    pub fn list_count(&self, filter: &ListFilter<'_>) -> Result<u64, MetadataError> {
        let (conditions, values) = filter.sql(false);
        let connection = self.connection();
        let mut statement = connection.prepare_cached(&count_sql(&conditions))?;
        Ok(statement.query_row(rusqlite::params_from_iter(values), |row| row.get(0))?)
    }

    /// The listing of each of `credential_ids` that exists (looked up by primary key), each once.
    pub fn listed_by_ids(
        &self,
        credential_ids: &[Vec<u8>],
    ) -> Result<Vec<ListedCredential>, MetadataError> {
        let connection = self.connection();
        let mut statement = connection.prepare_cached(&format!(
            "SELECT {LISTED_COLUMNS} FROM credentials WHERE credential_id = ?1"
        ))?;
        let mut found: Vec<ListedCredential> = Vec::new();
        for id in credential_ids {
            if found.iter().any(|c| &c.credential_id == id) {
                continue;
            }
            if let Some(row) = statement.query_row([id], listed_from_row).optional()? {
                found.push(row);
            }
        }
        Ok(found)
    }
}

/// A page: `conditions` from `ListFilter::sql`, the limit in the last of `parameter_count` parameters.
fn page_sql(conditions: &str, parameter_count: usize) -> String {
    format!(
        "SELECT {LISTED_COLUMNS} FROM credentials {conditions} \
         ORDER BY rp_id, user_name COLLATE NOCASE, credential_id LIMIT ?{parameter_count}"
    )
}

fn count_sql(conditions: &str) -> String {
    format!("SELECT count(*) FROM credentials {conditions}")
}

/// A row whose first columns are `LISTED_COLUMNS`.
pub(super) fn listed_from_row(row: &Row<'_>) -> rusqlite::Result<ListedCredential> {
    Ok(ListedCredential {
        credential_id: row.get(0)?,
        rp_id: row.get(1)?,
        user_id: row.get(2)?,
        user_name: row.get(3)?,
        user_display_name: row.get(4)?,
        store: row.get(5)?,
        aaguid: row.get(6)?,
        sign_count: row.get(7)?,
        created_at: row.get(8)?,
        last_used_at: row.get(9)?,
        backup_eligible: row.get(10)?,
        backup_state: row.get(11)?,
        resident_key: row.get(12)?,
        imported_from: row.get(13)?,
        held_by_tpm: row.get(14)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::tests::{open_temporary, query_plan};
    use crate::metadata::CredentialRecord;
    use crate::test_support::sample_credential;

    /// 1,200 credentials over 40 sites (30 each), account names in mixed case, ids unique.
    fn many(metadata: &Metadata) -> Vec<ListKey> {
        let mut keys = Vec::new();
        for i in 0..1200u32 {
            let mut record =
                sample_credential(&i.to_be_bytes(), &format!("site{:02}.example", i % 40));
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
        let (_dir, metadata) = open_temporary();
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
        let (_dir, metadata) = open_temporary();
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
            .insert_credential(&CredentialRecord {
                user_name: "50%_off".into(),
                ..sample_credential(b"w", "w.example")
            })
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

    /// The statements `list` runs are answered from the index: an RP ID (with or without a cursor) and a cursor
    /// over every site are ranges of it, and no shape sorts in a temporary B-tree.
    #[test]
    fn every_list_statement_uses_the_index() {
        let (_dir, metadata) = open_temporary();
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
            let sql = page_sql(&conditions, values.len());
            let plan = query_plan(&metadata, &sql, values);
            assert!(
                plan.contains("USING INDEX credentials_by_site_and_name"),
                "{sql}: {plan}"
            );
            if !range.is_empty() {
                assert!(plan.contains(range), "{sql}: {plan}");
            }
            assert!(!plan.contains("TEMP B-TREE"), "{sql}: {plan}");
            let (conditions, values) = filter.sql(false);
            let count_plan = query_plan(&metadata, &count_sql(&conditions), values);
            if rp_id.is_some() {
                assert!(
                    count_plan.contains("credentials_by_site_and_name (rp_id=?)"),
                    "{count_plan}"
                );
            }
        }
    }
}
