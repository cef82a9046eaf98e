//! The vault's data key, sealed under a key derived from the PIN: one row, written once.

use rusqlite::{params, OptionalExtension};

use super::{Metadata, MetadataError};

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

impl Metadata {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::tests::open_temporary;

    fn record(wrapped_key: &[u8]) -> VaultRecord {
        VaultRecord {
            kdf: "argon2id".into(),
            kdf_m_kib: 65536,
            kdf_t: 3,
            kdf_p: 1,
            salt: vec![1; 16],
            nonce: vec![2; 24],
            wrapped_key: wrapped_key.to_vec(),
            created_at: 7,
        }
    }

    /// Two processes setting up the vault at once: the first record stays, the second is refused.
    #[test]
    fn the_first_vault_record_stays() {
        let (_dir, metadata) = open_temporary();
        assert_eq!(metadata.vault_record().unwrap(), None);
        assert!(metadata
            .insert_vault_record_if_absent(&record(b"first"))
            .unwrap());
        assert!(!metadata
            .insert_vault_record_if_absent(&record(b"second"))
            .unwrap());
        assert_eq!(metadata.vault_record().unwrap(), Some(record(b"first")));
    }
}
