//! This install's device identity, the ring of the person's devices (its signed change list, in order) and the log
//! of copies. What the rows mean is decided in src/devices/; here they are only stored, each change atomically.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::credentials::insert_credential_in;
use super::{CredentialRecord, Metadata, MetadataError};

/// This install's identity: public keys in the clear, private keys sealed under the vault's data key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThisDeviceRecord {
    pub device_id: Vec<u8>,
    pub name: String,
    pub signing_public: Vec<u8>,
    pub kem_public: Vec<u8>,
    pub signing_blob: Vec<u8>,
    pub kem_blob: Vec<u8>,
    pub created_at: i64,
}

/// One line of the copy log, as this device saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyLogRow {
    pub request_id: Vec<u8>,
    /// "requested" (this device is the source), "approved" or "imported" (this device is the target).
    pub role: String,
    pub credential_id: Vec<u8>,
    pub rp_id: String,
    pub user_name: String,
    pub source: Vec<u8>,
    pub target: Vec<u8>,
    pub approver: Option<Vec<u8>>,
    pub at: i64,
}

/// What `import_copies` did.
#[derive(Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    Imported,
    /// This request was imported before.
    AlreadyImported,
    /// One of the passkeys is on this device already.
    AlreadyHere(Vec<u8>),
}

impl Metadata {
    pub fn this_device(&self) -> Result<Option<ThisDeviceRecord>, MetadataError> {
        Ok(self
            .connection()
            .query_row(
                "SELECT device_id, name, signing_public, kem_public, signing_blob, kem_blob, created_at \
                 FROM this_device WHERE id = 1",
                [],
                |row| {
                    Ok(ThisDeviceRecord {
                        device_id: row.get(0)?,
                        name: row.get(1)?,
                        signing_public: row.get(2)?,
                        kem_public: row.get(3)?,
                        signing_blob: row.get(4)?,
                        kem_blob: row.get(5)?,
                        created_at: row.get(6)?,
                    })
                },
            )
            .optional()?)
    }

    /// Stores the identity unless one exists already (then false: the other browser's host was first).
    pub fn insert_this_device(&self, record: &ThisDeviceRecord) -> Result<bool, MetadataError> {
        let inserted = self.connection().execute(
            "INSERT OR IGNORE INTO this_device \
             (id, device_id, name, signing_public, kem_public, signing_blob, kem_blob, created_at) \
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                record.device_id,
                record.name,
                record.signing_public,
                record.kem_public,
                record.signing_blob,
                record.kem_blob,
                record.created_at
            ],
        )?;
        Ok(inserted == 1)
    }

    /// The ring's changes as stored (JSON), oldest first.
    pub fn ring_events(&self) -> Result<Vec<String>, MetadataError> {
        let connection = self.connection();
        let mut statement =
            connection.prepare_cached("SELECT event FROM ring_events ORDER BY seq")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Appends `events` (hash, JSON) if the ring still has exactly `known` changes; false if another process
    /// changed it meanwhile (the caller reads it again).
    pub fn append_ring_events(
        &self,
        known: usize,
        events: &[(Vec<u8>, String)],
    ) -> Result<bool, MetadataError> {
        let mut connection = self.connection();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let count: i64 =
            transaction.query_row("SELECT COUNT(*) FROM ring_events", [], |r| r.get(0))?;
        if count != known as i64 {
            return Ok(false);
        }
        for (offset, (hash, event)) in events.iter().enumerate() {
            transaction.execute(
                "INSERT INTO ring_events (seq, event_hash, event) VALUES (?1, ?2, ?3)",
                params![(known + offset) as i64, hash, event],
            )?;
        }
        transaction.commit()?;
        Ok(true)
    }

    pub fn log_copies(&self, rows: &[CopyLogRow]) -> Result<(), MetadataError> {
        let mut connection = self.connection();
        let transaction = connection.transaction()?;
        for row in rows {
            insert_log_row(&transaction, row, "INSERT OR REPLACE")?;
        }
        transaction.commit()?;
        Ok(())
    }

    /// The copy log, oldest first.
    pub fn copy_log(&self) -> Result<Vec<CopyLogRow>, MetadataError> {
        let connection = self.connection();
        let mut statement = connection.prepare_cached(
            "SELECT request_id, role, credential_id, rp_id, user_name, source, target, approver, at \
             FROM copies ORDER BY at, rowid",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(CopyLogRow {
                request_id: row.get(0)?,
                role: row.get(1)?,
                credential_id: row.get(2)?,
                rp_id: row.get(3)?,
                user_name: row.get(4)?,
                source: row.get(5)?,
                target: row.get(6)?,
                approver: row.get(7)?,
                at: row.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sets BS on passkeys a copy was made of: from now on a copy may exist, and BS says so.
    pub fn mark_backed_up(&self, credential_ids: &[Vec<u8>]) -> Result<(), MetadataError> {
        let mut connection = self.connection();
        let transaction = connection.transaction()?;
        for credential_id in credential_ids {
            transaction.execute(
                "UPDATE credentials SET backup_state = 1 WHERE credential_id = ?1 AND backup_eligible = 1",
                [credential_id],
            )?;
        }
        transaction.commit()?;
        Ok(())
    }

    /// Inserts imported passkeys and their log lines in one transaction, once per request.
    pub fn import_copies(
        &self,
        records: &[CredentialRecord],
        log: &[CopyLogRow],
    ) -> Result<ImportOutcome, MetadataError> {
        let mut connection = self.connection();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for row in log {
            let seen = transaction
                .prepare_cached("SELECT 1 FROM copies WHERE request_id = ?1 AND role = ?2")?
                .exists(params![row.request_id, row.role])?;
            if seen {
                return Ok(ImportOutcome::AlreadyImported);
            }
        }
        for record in records {
            let here = transaction
                .prepare_cached("SELECT 1 FROM credentials WHERE credential_id = ?1")?
                .exists([&record.credential_id])?;
            if here {
                return Ok(ImportOutcome::AlreadyHere(record.credential_id.clone()));
            }
            insert_credential_in(&transaction, record, None)?;
        }
        for row in log {
            insert_log_row(&transaction, row, "INSERT")?;
        }
        transaction.commit()?;
        Ok(ImportOutcome::Imported)
    }
}

fn insert_log_row(
    connection: &rusqlite::Connection,
    row: &CopyLogRow,
    verb: &str,
) -> Result<(), MetadataError> {
    connection.execute(
        &format!(
            "{verb} INTO copies \
             (request_id, role, credential_id, rp_id, user_name, source, target, approver, at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ),
        params![
            row.request_id,
            row.role,
            row.credential_id,
            row.rp_id,
            row.user_name,
            row.source,
            row.target,
            row.approver,
            row.at
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::tests::open_temporary;
    use crate::test_support::sample_credential;

    fn log_row(request_id: &[u8], credential_id: &[u8]) -> CopyLogRow {
        CopyLogRow {
            request_id: request_id.to_vec(),
            role: "imported".into(),
            credential_id: credential_id.to_vec(),
            rp_id: "example.com".into(),
            user_name: "alice".into(),
            source: vec![1],
            target: vec![2],
            approver: Some(vec![3]),
            at: 5,
        }
    }

    #[test]
    fn an_import_happens_once_and_never_over_a_passkey_that_is_here() {
        let (_dir, metadata) = open_temporary();
        let record = sample_credential(b"c1", "example.com");
        let log = [log_row(b"r1", b"c1")];
        assert_eq!(
            metadata
                .import_copies(std::slice::from_ref(&record), &log)
                .unwrap(),
            ImportOutcome::Imported
        );
        assert_eq!(
            metadata
                .import_copies(std::slice::from_ref(&record), &log)
                .unwrap(),
            ImportOutcome::AlreadyImported
        );
        assert_eq!(
            metadata
                .import_copies(&[record], &[log_row(b"r2", b"c1")])
                .unwrap(),
            ImportOutcome::AlreadyHere(b"c1".to_vec())
        );
        assert_eq!(metadata.copy_log().unwrap(), log);
    }

    #[test]
    fn ring_changes_append_only_on_top_of_what_the_writer_read() {
        let (_dir, metadata) = open_temporary();
        assert!(metadata
            .append_ring_events(0, &[(vec![1], "a".into())])
            .unwrap());
        assert!(!metadata
            .append_ring_events(0, &[(vec![2], "b".into())])
            .unwrap());
        assert!(metadata
            .append_ring_events(1, &[(vec![2], "b".into())])
            .unwrap());
        assert_eq!(metadata.ring_events().unwrap(), ["a", "b"]);
    }
}
