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

    /// All credentials, or those of one RP ID, oldest first.
    pub fn credentials(&self, rp_id: Option<&str>) -> Result<Vec<CredentialRecord>, MetadataError> {
        let connection = self.connection();
        let mut statement = connection.prepare_cached(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials \
             WHERE ?1 IS NULL OR rp_id = ?1 ORDER BY created_at, credential_id"
        ))?;
        let rows = statement.query_map([rp_id], credential_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
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

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
pub(crate) mod tests {
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
}
