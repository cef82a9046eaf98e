//! Credential metadata, the vault's sealed data key and settings, in SQLite. This file opens the database
//! (pragmas, migrations); each table's statements live in their own module.
//!
//! Chromium and Firefox each run their own host process on the same database, so everything that must not be lost
//! or duplicated (the signature counter above all) is a single atomic statement, and every connection waits up to
//! five seconds for the other process's write lock.

mod backup;
mod credentials;
mod devices;
mod imports;
mod list_queries;
mod schema;
mod sealed_keys;
mod settings;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, TransactionBehavior};

use crate::protocol::StoreId;

pub use credentials::CredentialRecord;
pub use devices::{CopyLogRow, ImportOutcome, ThisDeviceRecord};
pub use list_queries::{ListFilter, ListKey, ListedCredential};
pub use schema::LATEST_VERSION;
pub use sealed_keys::VaultRecord;
pub use settings::{DEFAULT_VAULT_UNLOCK_SECONDS, SETTING_VAULT_UNLOCK_SECONDS};

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
    #[error("cannot keep a copy of the database before updating it (to {}), so it was not updated: {source}", path.display())]
    Backup {
        path: PathBuf,
        source: Box<MetadataError>,
    },
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
        // Two hosts (Chromium's and Firefox's) opening a new database at the same moment: switching it to WAL
        // can answer "locked" at once, without waiting for the busy timeout; the other host finishes in a moment.
        retry_while_busy(|| {
            let mode: String =
                connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                crate::log::warning!("the database stays in {mode} journal mode instead of WAL");
            }
            Ok(())
        })?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        retry_while_busy(|| backup::before_migration(&connection, path).map(|_| ()))?;
        retry_while_busy(|| migrate(&mut connection))?;
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
}

/// Runs `step` again while SQLite says the database is busy or locked, for up to about 5 s.
fn retry_while_busy(
    mut step: impl FnMut() -> Result<(), MetadataError>,
) -> Result<(), MetadataError> {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        match step() {
            Err(MetadataError::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Brings the schema up to date. The IMMEDIATE transaction makes a second host process starting at the same time
/// wait, then find nothing left to do.
fn migrate(conn: &mut Connection) -> Result<(), MetadataError> {
    let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: u32 = transaction.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if current > LATEST_VERSION {
        return Err(MetadataError::NewerSchema {
            found: current,
            supported: LATEST_VERSION,
        });
    }
    for (index, migration) in schema::MIGRATIONS.iter().enumerate().skip(current as usize) {
        transaction.execute_batch(migration)?;
        transaction.pragma_update(None, "user_version", index as u32 + 1)?;
    }
    transaction.commit()?;
    Ok(())
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The `store` column keeps a store's wire name ("vault", "hardware"); a name this host does not know is a read error.
impl ToSql for StoreId {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for StoreId {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let name = value.as_str()?;
        StoreId::from_name(name).ok_or_else(|| {
            FromSqlError::Other(format!("a passkey is in an unknown store \"{name}\"").into())
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::test_support::sample_credential;

    /// A fresh database in its own temporary directory (kept alive by the returned guard).
    pub(crate) fn open_temporary() -> (tempfile::TempDir, Metadata) {
        let dir = tempfile::tempdir().unwrap();
        let metadata = Metadata::open(&dir.path().join("keyplace.db")).unwrap();
        (dir, metadata)
    }

    /// SQLite's plan for `sql` (its detail column, rows joined with " | ").
    pub(crate) fn query_plan(
        metadata: &Metadata,
        sql: &str,
        values: Vec<rusqlite::types::Value>,
    ) -> String {
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

    #[test]
    fn hosts_opening_a_new_database_at_once_all_get_it() {
        // Chromium's and Firefox's hosts starting together on a new data folder (the load test saw "locked").
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("keyplace.db");
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
            let opened: Vec<_> = (0..4)
                .map(|_| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        Metadata::open(&path).map(|m| m.schema_version().unwrap())
                    })
                })
                .collect();
            for thread in opened {
                assert_eq!(thread.join().unwrap().unwrap(), LATEST_VERSION);
            }
        }
    }

    #[test]
    fn migrates_once_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyplace.db");
        let metadata = Metadata::open(&path).unwrap();
        assert_eq!(metadata.schema_version().unwrap(), LATEST_VERSION);
        metadata
            .insert_credential(&sample_credential(b"c1", "example.com"))
            .unwrap();
        drop(metadata);
        let reopened = Metadata::open(&path).unwrap();
        assert_eq!(
            reopened.credential(b"c1").unwrap().unwrap(),
            sample_credential(b"c1", "example.com")
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
    fn migrates_a_version_1_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyplace.db");
        {
            let mut connection = Connection::open(&path).unwrap();
            let transaction = connection.transaction().unwrap();
            transaction.execute_batch(schema::MIGRATIONS[0]).unwrap();
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
}
