//! Credential records: create, read, rename, delete, and the signature counter.

use rusqlite::{params, OptionalExtension, Row};

use super::list_queries::{listed_from_row, LISTED_COLUMNS, LISTED_COLUMN_COUNT, STORED_COLUMNS};
use super::{ListedCredential, Metadata, MetadataError};
use crate::protocol::StoreId;

/// A credential with its key: what `ListedCredential` shows, plus the store's key blob and the public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialRecord {
    pub credential_id: Vec<u8>,
    pub rp_id: String,
    pub user_id: Vec<u8>,
    pub user_name: String,
    pub user_display_name: String,
    pub store: StoreId,
    pub aaguid: String,
    pub key_blob: Vec<u8>,
    pub public_key: Vec<u8>,
    pub sign_count: u32,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub resident_key: bool,
}

/// 2025-01-01T00:00:00Z: the counter of a passkey with copies is at least the seconds since then (until 2161).
pub const COPY_COUNTER_EPOCH_S: i64 = 1_735_689_600;

fn copy_counter_floor(now_ms: i64) -> i64 {
    (now_ms.div_euclid(1000) - COPY_COUNTER_EPOCH_S).clamp(0, i64::from(u32::MAX))
}

/// What a record has beyond its listing, selected after `LISTED_COLUMNS`.
const KEY_COLUMNS: &str = "key_blob, public_key";

impl Metadata {
    pub fn insert_credential(&self, record: &CredentialRecord) -> Result<(), MetadataError> {
        insert_credential_in(&self.connection(), record, None)
    }

    pub fn credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<CredentialRecord>, MetadataError> {
        Ok(self
            .connection()
            .query_row(
                &format!(
                    "SELECT {LISTED_COLUMNS}, {KEY_COLUMNS} FROM credentials WHERE credential_id = ?1"
                ),
                [credential_id],
                credential_from_row,
            )
            .optional()?)
    }

    /// All credentials, or those of one RP ID, oldest first (the CLI; the protocol's `list` pages with `list_page`).
    /// Two statements rather than `?1 IS NULL OR rp_id = ?1`, which SQLite cannot answer from an index.
    pub fn credentials(&self, rp_id: Option<&str>) -> Result<Vec<CredentialRecord>, MetadataError> {
        let connection = self.connection();
        let rows = match rp_id {
            Some(rp_id) => connection
                .prepare_cached(&format!(
                    "SELECT {LISTED_COLUMNS}, {KEY_COLUMNS} FROM credentials WHERE rp_id = ?1 \
                     ORDER BY created_at, credential_id"
                ))?
                .query_map([rp_id], credential_from_row)?
                .collect::<Result<_, _>>()?,
            None => connection
                .prepare_cached(&format!(
                    "SELECT {LISTED_COLUMNS}, {KEY_COLUMNS} FROM credentials \
                     ORDER BY created_at, credential_id"
                ))?
                .query_map([], credential_from_row)?
                .collect::<Result<_, _>>()?,
        };
        Ok(rows)
    }

    /// Whether any of `credential_ids` is a credential of `rp_id` in `store`.
    pub fn any_exists(
        &self,
        credential_ids: &[Vec<u8>],
        rp_id: &str,
        store: StoreId,
    ) -> Result<bool, MetadataError> {
        let connection = self.connection();
        let mut statement = connection.prepare_cached(
            "SELECT 1 FROM credentials WHERE credential_id = ?1 AND rp_id = ?2 AND store = ?3",
        )?;
        for credential_id in credential_ids {
            if statement.exists(params![credential_id, rp_id, store])? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Increments the credential's counter and returns the new value, in one statement so that two host
    /// processes never hand out the same value. `None` when the credential no longer exists.
    ///
    /// An imported passkey's counter stays 0: the Credential Exchange Format has importers keep it at zero and never
    /// count it up, because the synced provider it came from sent 0 and a relying party has only ever seen 0.
    ///
    /// A passkey with copies (BS=1) counts on every device at once, so its counter is also at least the seconds
    /// since `COPY_COUNTER_EPOCH_S`: signatures from two devices then reach the relying party in increasing order
    /// whenever they are a second or more apart (and the clocks agree), as relying parties that check counters need.
    pub fn next_sign_count(
        &self,
        credential_id: &[u8],
        now_ms: i64,
    ) -> Result<Option<u32>, MetadataError> {
        let next: Option<i64> = self
            .connection()
            .query_row(
                "UPDATE credentials SET last_used_at = ?2, sign_count = CASE \
                 WHEN imported_from IS NOT NULL THEN sign_count \
                 WHEN backup_state = 1 THEN MAX(sign_count + 1, ?3) ELSE sign_count + 1 END \
                 WHERE credential_id = ?1 AND sign_count < 4294967295 RETURNING sign_count",
                params![credential_id, now_ms, copy_counter_floor(now_ms)],
                |row| row.get(0),
            )
            .optional()?;
        match next {
            Some(count) => Ok(Some(
                u32::try_from(count).map_err(|_| MetadataError::CounterExhausted)?,
            )),
            None if self.credential(credential_id)?.is_some() => {
                Err(MetadataError::CounterExhausted)
            }
            None => Ok(None),
        }
    }

    pub fn delete_credential(&self, credential_id: &[u8]) -> Result<bool, MetadataError> {
        let deleted = self.connection().execute(
            "DELETE FROM credentials WHERE credential_id = ?1",
            [credential_id],
        )?;
        Ok(deleted > 0)
    }

    /// Changes the account name shown for a credential; returns whether there was such a credential.
    pub fn rename_credential(
        &self,
        credential_id: &[u8],
        user_name: &str,
    ) -> Result<bool, MetadataError> {
        let renamed = self.connection().execute(
            "UPDATE credentials SET user_name = ?2 WHERE credential_id = ?1",
            params![credential_id, user_name],
        )?;
        Ok(renamed > 0)
    }
}

/// A row of `SELECT {LISTED_COLUMNS}, {KEY_COLUMNS}`. Taking the listing apart field by field means a field added
/// to one struct and not the other does not compile.
fn credential_from_row(row: &Row<'_>) -> rusqlite::Result<CredentialRecord> {
    let ListedCredential {
        credential_id,
        rp_id,
        user_id,
        user_name,
        user_display_name,
        store,
        aaguid,
        sign_count,
        created_at,
        last_used_at,
        backup_eligible,
        backup_state,
        resident_key,
        // Only shown (list); nothing done with the key depends on it, but the counter (`next_sign_count`).
        imported_from: _,
        // Read from the key blob itself by the vault.
        held_by_tpm: _,
    } = listed_from_row(row)?;
    Ok(CredentialRecord {
        credential_id,
        rp_id,
        user_id,
        user_name,
        user_display_name,
        store,
        aaguid,
        key_blob: row.get(LISTED_COLUMN_COUNT)?,
        public_key: row.get(LISTED_COLUMN_COUNT + 1)?,
        sign_count,
        created_at,
        last_used_at,
        backup_eligible,
        backup_state,
        resident_key,
    })
}

/// Inserts one record on `connection` (a transaction, when it is one step of a larger change), with the manager it
/// was imported from, if it was.
pub(super) fn insert_credential_in(
    connection: &rusqlite::Connection,
    record: &CredentialRecord,
    imported_from: Option<&str>,
) -> Result<(), MetadataError> {
    connection.execute(
        &format!(
            "INSERT INTO credentials ({STORED_COLUMNS}, {KEY_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
        ),
        params![
            record.credential_id,
            record.rp_id,
            record.user_id,
            record.user_name,
            record.user_display_name,
            record.store,
            record.aaguid,
            record.sign_count,
            record.created_at,
            record.last_used_at,
            record.backup_eligible,
            record.backup_state,
            record.resident_key,
            imported_from,
            record.key_blob,
            record.public_key,
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::tests::{open_temporary, query_plan};
    use crate::test_support::sample_credential;

    #[test]
    fn counter_increments_and_records_use() {
        let (_dir, metadata) = open_temporary();
        metadata
            .insert_credential(&sample_credential(b"c1", "example.com"))
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
    fn a_passkey_with_copies_counts_at_least_the_seconds_since_the_epoch() {
        let (_dir, metadata) = open_temporary();
        let mut copied = sample_credential(b"c1", "example.com");
        copied.backup_state = true;
        copied.sign_count = 7;
        metadata.insert_credential(&copied).unwrap();
        let second = |s: i64| (COPY_COUNTER_EPOCH_S + s) * 1000;
        // Two devices with the same passkey, one signing a second after the other: increasing for the RP.
        assert_eq!(
            metadata.next_sign_count(b"c1", second(100)).unwrap(),
            Some(100)
        );
        assert_eq!(
            metadata.next_sign_count(b"c1", second(100)).unwrap(),
            Some(101)
        );
        assert_eq!(
            metadata.next_sign_count(b"c1", second(500)).unwrap(),
            Some(500)
        );
        // Never backwards, whatever the clock says.
        assert_eq!(
            metadata.next_sign_count(b"c1", second(10)).unwrap(),
            Some(501)
        );
        // A passkey without copies counts by one.
        metadata
            .insert_credential(&sample_credential(b"c2", "example.com"))
            .unwrap();
        assert_eq!(
            metadata.next_sign_count(b"c2", second(500)).unwrap(),
            Some(1)
        );
    }

    #[test]
    fn filters_and_exclusions() {
        let (_dir, metadata) = open_temporary();
        metadata
            .insert_credential(&sample_credential(b"a", "a.example"))
            .unwrap();
        metadata
            .insert_credential(&sample_credential(b"b", "b.example"))
            .unwrap();
        assert_eq!(metadata.credentials(None).unwrap().len(), 2);
        assert_eq!(
            metadata.credentials(Some("b.example")).unwrap()[0].credential_id,
            b"b"
        );
        assert!(metadata
            .any_exists(&[b"x".to_vec(), b"a".to_vec()], "a.example", StoreId::Vault)
            .unwrap());
        assert!(!metadata
            .any_exists(&[b"a".to_vec()], "b.example", StoreId::Vault)
            .unwrap());
        assert!(!metadata
            .any_exists(&[b"a".to_vec()], "a.example", StoreId::Hardware)
            .unwrap());
        assert!(metadata.rename_credential(b"a", "bob").unwrap());
        assert_eq!(metadata.credential(b"a").unwrap().unwrap().user_name, "bob");
        assert!(!metadata.rename_credential(b"nope", "bob").unwrap());
        assert!(metadata.delete_credential(b"a").unwrap());
        assert!(!metadata.delete_credential(b"a").unwrap());
    }

    /// A store name this host does not know (a newer Keyplace wrote it) is a read error, never another store.
    #[test]
    fn an_unknown_store_name_is_a_read_error() {
        let (_dir, metadata) = open_temporary();
        metadata
            .insert_credential(&sample_credential(b"c1", "example.com"))
            .unwrap();
        metadata
            .connection()
            .execute("UPDATE credentials SET store = 'cloud'", [])
            .unwrap();
        let error = metadata.credential(b"c1").unwrap_err().to_string();
        assert!(error.contains("unknown store \"cloud\""), "{error}");
    }

    /// The CLI's listing of one RP ID is a range of the index `list` pages through.
    #[test]
    fn lookup_by_rp_id_uses_the_index() {
        let (_dir, metadata) = open_temporary();
        for i in 0..200u32 {
            let rp_id = format!("site{:02}.example", i % 40);
            metadata
                .insert_credential(&sample_credential(&i.to_be_bytes(), &rp_id))
                .unwrap();
        }
        let plan = query_plan(
            &metadata,
            &format!("SELECT {LISTED_COLUMNS}, {KEY_COLUMNS} FROM credentials WHERE rp_id = ?1"),
            vec![rusqlite::types::Value::Text("site05.example".into())],
        );
        assert!(
            plan.contains("credentials_by_site_and_name (rp_id=?)"),
            "{plan}"
        );
    }
}
