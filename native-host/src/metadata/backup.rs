//! A copy of the database before its schema changes: a migration that goes wrong (or a Keyplace that must be
//! downgraded) never costs a passkey record. The copy sits beside the database, as private as it.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::{now_ms, MetadataError, LATEST_VERSION};

/// Copies the database at `path` to `keyplace.db.schema-<version>-<ms>.bak` when its schema is about to be
/// migrated (a new, empty database has nothing to keep). Refuses, so that no migration runs, when no copy can be
/// made (a full disk, an unreadable database).
pub(super) fn before_migration(
    connection: &Connection,
    path: &Path,
) -> Result<Option<PathBuf>, MetadataError> {
    let version: u32 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version == 0 || version >= LATEST_VERSION {
        return Ok(None);
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".schema-{version}-{}.bak", now_ms()));
    let backup = path.with_file_name(name);
    let failed = |source: MetadataError| MetadataError::Backup {
        path: backup.clone(),
        source: Box::new(source),
    };
    // VACUUM INTO accepts an empty file, so it gets this user's permissions before any record is written to it.
    crate::data_dir::ensure_private_file(&backup).map_err(|e| failed(e.into()))?;
    let copied = backup
        .to_str()
        .ok_or_else(|| rusqlite::Error::InvalidPath(backup.clone()))
        .and_then(|target| connection.execute("VACUUM INTO ?1", [target]));
    if let Err(error) = copied {
        let _ = std::fs::remove_file(&backup);
        return Err(failed(error.into()));
    }
    crate::log::debug!("kept a copy of the database before migrating it: {backup:?}");
    Ok(Some(backup))
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::super::{schema, Metadata, MetadataError, LATEST_VERSION};

    fn backups(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut found: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "bak"))
            .collect();
        found.sort();
        found
    }

    /// A version-1 database holding one credential, as an early Keyplace left it.
    fn version_1_database(path: &std::path::Path) {
        let mut connection = Connection::open(path).unwrap();
        let transaction = connection.transaction().unwrap();
        transaction.execute_batch(schema::MIGRATIONS[0]).unwrap();
        transaction
            .execute(
                "INSERT INTO credentials VALUES (x'c1', 'example.com', x'01', 'alice', 'Alice', 'vault',
                 '00000000-0000-0000-0000-000000000000', x'09', x'04', 5, 1, NULL, 1, 0, 1)",
                [],
            )
            .unwrap();
        transaction.pragma_update(None, "user_version", 1).unwrap();
        transaction.commit().unwrap();
    }

    #[test]
    fn a_migration_keeps_a_copy_of_the_old_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyplace.db");
        version_1_database(&path);
        let metadata = Metadata::open(&path).unwrap();
        assert_eq!(metadata.schema_version().unwrap(), LATEST_VERSION);

        let found = backups(dir.path());
        assert_eq!(found.len(), 1, "{found:?}");
        let name = found[0].file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("keyplace.db.schema-1-"), "{name}");
        let copy = Connection::open(&found[0]).unwrap();
        let version: u32 = copy
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, 1, "the copy is the database before the migration");
        let (rp_id, count): (String, u32) = copy
            .query_row("SELECT rp_id, sign_count FROM credentials", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .unwrap();
        assert_eq!((rp_id.as_str(), count), ("example.com", 5));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&found[0]).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        // Already current: opening again copies nothing.
        drop(metadata);
        drop(Metadata::open(&path).unwrap());
        assert_eq!(backups(dir.path()).len(), 1);
    }

    #[test]
    fn a_new_database_needs_no_copy() {
        let dir = tempfile::tempdir().unwrap();
        drop(Metadata::open(&dir.path().join("keyplace.db")).unwrap());
        assert!(backups(dir.path()).is_empty());
    }

    #[test]
    fn no_migration_without_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        // A copy that cannot be written (as on a full disk): its name would pass the file system's 255 bytes.
        let path = dir.path().join(format!("{}.db", "k".repeat(240)));
        version_1_database(&path);
        assert!(matches!(
            Metadata::open(&path),
            Err(MetadataError::Backup { .. })
        ));
        let version: u32 = Connection::open(&path)
            .unwrap()
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, 1, "not migrated");
    }
}
