//! Credential metadata, the vault's wrapped key and settings, in SQLite.
//!
//! Chromium and Firefox each run their own host process on the same database, so everything that must not be lost
//! or duplicated (the signature counter above all) is a single atomic statement, and every connection waits up to
//! five seconds for the other process's write lock.

mod schema;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Row};

pub use schema::LATEST_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot prepare the data directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("the database was written by a newer Keyplace (schema {found}, this one knows up to {supported}); update Keyplace")]
    NewerSchema { found: u32, supported: u32 },
    #[error("the signature counter of this passkey has reached its maximum")]
    CounterExhausted,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialRecord {
    pub credential_id: Vec<u8>,
    pub rp_id: String,
    pub user_id: Vec<u8>,
    pub user_name: String,
    pub user_display_name: String,
    pub store: String,
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

/// The vault's data key, wrapped under a key derived from the PIN, with the KDF parameters used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultRecord {
    pub kdf: String,
    pub kdf_m_kib: u32,
    pub kdf_t: u32,
    pub kdf_p: u32,
    pub salt: Vec<u8>,
    pub nonce: Vec<u8>,
    pub wrapped_key: Vec<u8>,
    pub created_at: i64,
}

pub const SETTING_VAULT_UNLOCK_SECONDS: &str = "vault_unlock_seconds";
pub const DEFAULT_VAULT_UNLOCK_SECONDS: u32 = 300;

const CREDENTIAL_COLUMNS: &str = "credential_id, rp_id, user_id, user_name, user_display_name, store, aaguid, \
     key_blob, public_key, sign_count, created_at, last_used_at, backup_eligible, backup_state, resident_key";

const LISTED_COLUMNS: &str =
    "credential_id, rp_id, user_id, user_name, user_display_name, store, aaguid, \
     sign_count, created_at, last_used_at, backup_eligible, backup_state, resident_key";

/// A credential as `list` shows it: everything but its key (blob and public key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedCredential {
    pub credential_id: Vec<u8>,
    pub rp_id: String,
    pub user_id: Vec<u8>,
    pub user_name: String,
    pub user_display_name: String,
    pub store: String,
    pub aaguid: String,
    pub sign_count: u32,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub resident_key: bool,
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
    fn sql(&self, with_cursor: bool) -> (String, Vec<rusqlite::types::Value>) {
        use rusqlite::types::Value;
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

pub struct Metadata {
    // One connection per process is enough: SQLite serialises writers anyway, and slow work (Argon2, signing) is
    // done outside this lock.
    connection: Mutex<Connection>,
}

impl Metadata {
    /// Opens (creating if needed) the database file, readable only by this user, and migrates it.
    pub fn open(path: &Path) -> Result<Self, MetadataError> {
        if let Some(parent) = path.parent() {
            crate::data_dir::ensure_private_dir(parent)?;
        }
        crate::data_dir::ensure_private_file(path)?;
        let mut connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(5))?;
        let mode: String =
            connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            crate::log::warning!("the database stays in {mode} journal mode instead of WAL");
        }
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        schema::migrate(&mut connection)?;
        Ok(Metadata {
            connection: Mutex::new(connection),
        })
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        // A panic elsewhere while holding the lock leaves the connection itself usable.
        self.connection.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn schema_version(&self) -> Result<u32, MetadataError> {
        Ok(self
            .connection()
            .query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    pub fn insert_credential(&self, record: &CredentialRecord) -> Result<(), MetadataError> {
        self.connection().execute(
            &format!(
                "INSERT INTO credentials ({CREDENTIAL_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
            ),
            params![
                record.credential_id,
                record.rp_id,
                record.user_id,
                record.user_name,
                record.user_display_name,
                record.store,
                record.aaguid,
                record.key_blob,
                record.public_key,
                record.sign_count,
                record.created_at,
                record.last_used_at,
                record.backup_eligible,
                record.backup_state,
                record.resident_key,
            ],
        )?;
        Ok(())
    }

    pub fn credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<CredentialRecord>, MetadataError> {
        Ok(self
            .connection()
            .query_row(
                &format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE credential_id = ?1"),
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
                    "SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE rp_id = ?1 \
                     ORDER BY created_at, credential_id"
                ))?
                .query_map([rp_id], credential_from_row)?
                .collect::<Result<_, _>>()?,
            None => connection
                .prepare_cached(&format!(
                    "SELECT {CREDENTIAL_COLUMNS} FROM credentials ORDER BY created_at, credential_id"
                ))?
                .query_map([], credential_from_row)?
                .collect::<Result<_, _>>()?,
        };
        Ok(rows)
    }

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
        let sql = format!(
            "SELECT {LISTED_COLUMNS} FROM credentials {conditions} \
             ORDER BY rp_id, user_name COLLATE NOCASE, credential_id LIMIT ?{}",
            values.len()
        );
        let connection = self.connection();
        let mut statement = connection.prepare_cached(&sql)?;
        let rows = statement.query_map(rusqlite::params_from_iter(values), listed_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many credentials match `filter`, wherever its cursor is.
    pub fn list_count(&self, filter: &ListFilter<'_>) -> Result<u64, MetadataError> {
        let (conditions, values) = filter.sql(false);
        let connection = self.connection();
        let mut statement =
            connection.prepare_cached(&format!("SELECT count(*) FROM credentials {conditions}"))?;
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

    /// Whether any of `credential_ids` is a credential of `rp_id` in `store`.
    pub fn any_exists(
        &self,
        credential_ids: &[Vec<u8>],
        rp_id: &str,
        store: &str,
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
    pub fn next_sign_count(
        &self,
        credential_id: &[u8],
        now_ms: i64,
    ) -> Result<Option<u32>, MetadataError> {
        let next: Option<i64> = self
            .connection()
            .query_row(
                "UPDATE credentials SET sign_count = sign_count + 1, last_used_at = ?2 \
                 WHERE credential_id = ?1 AND sign_count < 4294967295 RETURNING sign_count",
                params![credential_id, now_ms],
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

    pub fn vault_record(&self) -> Result<Option<VaultRecord>, MetadataError> {
        Ok(self
            .connection()
            .query_row(
                "SELECT kdf, kdf_m_kib, kdf_t, kdf_p, salt, nonce, wrapped_key, created_at FROM vault WHERE id = 1",
                [],
                |row| {
                    Ok(VaultRecord {
                        kdf: row.get(0)?,
                        kdf_m_kib: row.get(1)?,
                        kdf_t: row.get(2)?,
                        kdf_p: row.get(3)?,
                        salt: row.get(4)?,
                        nonce: row.get(5)?,
                        wrapped_key: row.get(6)?,
                        created_at: row.get(7)?,
                    })
                },
            )
            .optional()?)
    }

    /// Stores the vault record unless another request or process did first; returns whether this one was stored.
    pub fn insert_vault_record_if_absent(
        &self,
        record: &VaultRecord,
    ) -> Result<bool, MetadataError> {
        let inserted = self.connection().execute(
            "INSERT OR IGNORE INTO vault (id, kdf, kdf_m_kib, kdf_t, kdf_p, salt, nonce, wrapped_key, created_at) \
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                record.kdf,
                record.kdf_m_kib,
                record.kdf_t,
                record.kdf_p,
                record.salt,
                record.nonce,
                record.wrapped_key,
                record.created_at,
            ],
        )?;
        Ok(inserted == 1)
    }

    pub fn vault_unlock_seconds(&self) -> Result<u32, MetadataError> {
        let value: Option<i64> = self
            .connection()
            .query_row(
                "SELECT value FROM settings WHERE name = ?1",
                [SETTING_VAULT_UNLOCK_SECONDS],
                |row| row.get(0),
            )
            .optional()?;
        Ok(value
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(DEFAULT_VAULT_UNLOCK_SECONDS))
    }

    pub fn set_vault_unlock_seconds(&self, seconds: u32) -> Result<(), MetadataError> {
        self.connection().execute(
            "INSERT INTO settings (name, value) VALUES (?1, ?2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            params![SETTING_VAULT_UNLOCK_SECONDS, seconds],
        )?;
        Ok(())
    }
}

fn credential_from_row(row: &Row<'_>) -> rusqlite::Result<CredentialRecord> {
    Ok(CredentialRecord {
        credential_id: row.get(0)?,
        rp_id: row.get(1)?,
        user_id: row.get(2)?,
        user_name: row.get(3)?,
        user_display_name: row.get(4)?,
        store: row.get(5)?,
        aaguid: row.get(6)?,
        key_blob: row.get(7)?,
        public_key: row.get(8)?,
        sign_count: row.get(9)?,
        created_at: row.get(10)?,
        last_used_at: row.get(11)?,
        backup_eligible: row.get(12)?,
        backup_state: row.get(13)?,
        resident_key: row.get(14)?,
    })
}

fn listed_from_row(row: &Row<'_>) -> rusqlite::Result<ListedCredential> {
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
    })
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
pub(crate) mod tests;
