//! Passkeys imported from another manager (src/import/): inserted together, with the manager's name, or not at all.

use rusqlite::TransactionBehavior;

use super::credentials::insert_credential_in;
use super::{CredentialRecord, Metadata, MetadataError};

impl Metadata {
    /// Inserts every record, marked as imported from `imported_from`, in one transaction. If one of them is here
    /// already (another host imported it meanwhile), nothing is inserted and its id is returned.
    pub fn import_credentials(
        &self,
        records: &[CredentialRecord],
        imported_from: &str,
    ) -> Result<Option<Vec<u8>>, MetadataError> {
        let mut connection = self.connection();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for record in records {
            let here = transaction
                .prepare_cached("SELECT 1 FROM credentials WHERE credential_id = ?1")?
                .exists([&record.credential_id])?;
            if here {
                return Ok(Some(record.credential_id.clone()));
            }
            insert_credential_in(&transaction, record, Some(imported_from))?;
        }
        transaction.commit()?;
        Ok(None)
    }

    /// Whether this credential was imported from another manager.
    pub fn is_imported(&self, credential_id: &[u8]) -> Result<bool, MetadataError> {
        Ok(self
            .connection()
            .prepare_cached(
                "SELECT 1 FROM credentials WHERE credential_id = ?1 AND imported_from IS NOT NULL",
            )?
            .exists([credential_id])?)
    }

    /// Every imported passkey's credential id with the manager it came from (for the CLI's `list`).
    pub fn imported_from(&self) -> Result<Vec<(Vec<u8>, String)>, MetadataError> {
        let connection = self.connection();
        let mut statement = connection.prepare_cached(
            "SELECT credential_id, imported_from FROM credentials WHERE imported_from IS NOT NULL",
        )?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use crate::metadata::tests::open_temporary;
    use crate::metadata::ListFilter;
    use crate::metadata::{schema, Metadata};
    use crate::test_support::sample_credential;

    #[test]
    fn all_or_nothing_and_the_counter_stays_zero() {
        let (_dir, metadata) = open_temporary();
        metadata
            .insert_credential(&sample_credential(b"here", "example.com"))
            .unwrap();
        let mut first = sample_credential(b"new", "example.com");
        first.backup_state = true;
        let clash = sample_credential(b"here", "example.com");
        assert_eq!(
            metadata
                .import_credentials(&[first.clone(), clash], "Exporter")
                .unwrap(),
            Some(b"here".to_vec())
        );
        assert_eq!(
            metadata.credential(b"new").unwrap(),
            None,
            "nothing of it stayed"
        );

        assert_eq!(
            metadata.import_credentials(&[first], "Exporter").unwrap(),
            None
        );
        assert_eq!(
            metadata.imported_from().unwrap(),
            [(b"new".to_vec(), "Exporter".to_owned())]
        );
        let listed = metadata.listed_by_ids(&[b"new".to_vec()]).unwrap();
        assert_eq!(listed[0].imported_from.as_deref(), Some("Exporter"));
        let page = metadata.list_page(&ListFilter::default(), 10).unwrap();
        let made_here = page.iter().find(|c| c.credential_id == b"here").unwrap();
        assert_eq!(made_here.imported_from, None);
        // Synced (BS=1), yet fixed at 0, while the use is still recorded.
        assert_eq!(metadata.next_sign_count(b"new", 5_000).unwrap(), Some(0));
        assert_eq!(metadata.next_sign_count(b"new", 6_000).unwrap(), Some(0));
        assert_eq!(
            metadata.credential(b"new").unwrap().unwrap().last_used_at,
            Some(6_000)
        );
        assert_eq!(metadata.next_sign_count(b"here", 6_000).unwrap(), Some(1));
    }

    /// Schema 6 adds `imported_from`: a version-5 database keeps its passkeys (made here, so NULL) and a copy of
    /// itself from before the change.
    #[test]
    fn a_version_5_database_gains_provenance_and_keeps_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyplace.db");
        {
            let mut connection = Connection::open(&path).unwrap();
            let transaction = connection.transaction().unwrap();
            for migration in &schema::MIGRATIONS[..5] {
                transaction.execute_batch(migration).unwrap();
            }
            transaction
                .execute(
                    "INSERT INTO credentials VALUES (x'0102', 'example.com', x'01', 'alice', 'Alice', 'vault', \
                     '62ee5665-1fea-485b-9a24-9ccac93787c2', x'09', x'04', 3, 1, NULL, 1, 0, 1)",
                    [],
                )
                .unwrap();
            transaction.pragma_update(None, "user_version", 5).unwrap();
            transaction.commit().unwrap();
        }
        let metadata = Metadata::open(&path).unwrap();
        assert_eq!(metadata.schema_version().unwrap(), 6);
        let listed = metadata.listed_by_ids(&[vec![1, 2]]).unwrap();
        assert_eq!(
            (listed[0].sign_count, listed[0].imported_from.as_deref()),
            (3, None)
        );
        let copies: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("keyplace.db.schema-5-") && name.ends_with(".bak"))
            .collect();
        assert_eq!(copies.len(), 1, "{copies:?}");
    }
}
