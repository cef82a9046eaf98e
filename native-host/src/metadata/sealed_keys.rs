//! The vault's data key, sealed by the TPM or wrapped under a key derived from the PIN (with or without the OS
//! secret store's device secret) (one row), and the host's count of wrong vault PINs.

use rusqlite::{params, OptionalExtension, Row};

use super::{Metadata, MetadataError};

/// The vault's data key as stored. `kdf` names the protection: for a PIN-wrapped key, the KDF and its parameters,
/// with `salt`, `nonce` and `wrapped_key` (the AEAD-wrapped data key); for a TPM-sealed key, `tpm_sealed` holds the
/// sealed object and `salt` the salt of its authorization (the KDF numbers are 0, `nonce` and `wrapped_key` empty).
/// `os_secret`, when set, is the handle of the device secret in the OS secret store that the wrapping also needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultRecord {
    pub kdf: String,
    pub kdf_m_kib: u32,
    pub kdf_t: u32,
    pub kdf_p: u32,
    pub salt: Vec<u8>,
    pub nonce: Vec<u8>,
    pub wrapped_key: Vec<u8>,
    pub tpm_sealed: Option<Vec<u8>>,
    pub os_secret: Option<Vec<u8>>,
    pub created_at: i64,
}

/// Wrong vault PINs counted by the host, and until when (Unix ms) no PIN is tried.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WrongVaultPins {
    pub count: u32,
    pub retry_at_ms: i64,
}

const RECORD_COLUMNS: &str =
    "kdf, kdf_m_kib, kdf_t, kdf_p, salt, nonce, wrapped_key, tpm_sealed, os_secret, created_at";

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<VaultRecord> {
    Ok(VaultRecord {
        kdf: row.get(0)?,
        kdf_m_kib: row.get(1)?,
        kdf_t: row.get(2)?,
        kdf_p: row.get(3)?,
        salt: row.get(4)?,
        nonce: row.get(5)?,
        wrapped_key: row.get(6)?,
        tpm_sealed: row.get(7)?,
        os_secret: row.get(8)?,
        created_at: row.get(9)?,
    })
}

impl Metadata {
    pub fn vault_record(&self) -> Result<Option<VaultRecord>, MetadataError> {
        Ok(self
            .connection()
            .query_row(
                &format!("SELECT {RECORD_COLUMNS} FROM vault WHERE id = 1"),
                [],
                record_from_row,
            )
            .optional()?)
    }

    /// Stores the vault record unless another request or process did first; returns whether this one was stored.
    pub fn insert_vault_record_if_absent(
        &self,
        record: &VaultRecord,
    ) -> Result<bool, MetadataError> {
        let inserted = self.connection().execute(
            &format!(
                "INSERT OR IGNORE INTO vault (id, {RECORD_COLUMNS}) \
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ),
            params![
                record.kdf,
                record.kdf_m_kib,
                record.kdf_t,
                record.kdf_p,
                record.salt,
                record.nonce,
                record.wrapped_key,
                record.tpm_sealed,
                record.os_secret,
                record.created_at,
            ],
        )?;
        Ok(inserted == 1)
    }

    /// Replaces the record `old` by `new` (the same data key protected another way), unless another request or
    /// process changed it first; returns whether this one was stored. The old record's bytes are then wiped from
    /// the files too (secure_delete zeroes freed content; the checkpoint empties the write-ahead log, which held
    /// the old row's page), so that a copy of the folder made afterwards holds no PIN-wrapped key to guess against.
    pub fn replace_vault_record(
        &self,
        old: &VaultRecord,
        new: &VaultRecord,
    ) -> Result<bool, MetadataError> {
        let connection = self.connection();
        connection.pragma_update(None, "secure_delete", true)?;
        let replaced = connection.execute(
            "UPDATE vault SET kdf = ?1, kdf_m_kib = ?2, kdf_t = ?3, kdf_p = ?4, salt = ?5, nonce = ?6, \
             wrapped_key = ?7, tpm_sealed = ?8, os_secret = ?9 \
             WHERE id = 1 AND kdf = ?10 AND salt = ?11 AND wrapped_key = ?12 AND tpm_sealed IS ?13",
            params![
                new.kdf,
                new.kdf_m_kib,
                new.kdf_t,
                new.kdf_p,
                new.salt,
                new.nonce,
                new.wrapped_key,
                new.tpm_sealed,
                new.os_secret,
                old.kdf,
                old.salt,
                old.wrapped_key,
                old.tpm_sealed,
            ],
        )?;
        if replaced == 1 {
            // Best effort: another process reading right now keeps the log until it is done.
            if let Err(e) = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            }) {
                crate::log::warning!("cannot empty the database's write-ahead log: {e}");
            }
        }
        Ok(replaced == 1)
    }

    pub fn wrong_vault_pins(&self) -> Result<WrongVaultPins, MetadataError> {
        Ok(self
            .connection()
            .query_row(
                "SELECT wrong_pins, retry_at_ms FROM vault WHERE id = 1",
                [],
                |row| {
                    Ok(WrongVaultPins {
                        count: row.get(0)?,
                        retry_at_ms: row.get(1)?,
                    })
                },
            )
            .optional()?
            .unwrap_or_default())
    }

    /// Counts one more wrong vault PIN (atomically, as both browsers' hosts may count) and, when `delay_ms` gives
    /// one for the new count, refuses PINs until `now_ms` plus that delay. Returns the new state.
    pub fn count_wrong_vault_pin(
        &self,
        now_ms: i64,
        delay_ms: impl Fn(u32) -> Option<i64>,
    ) -> Result<WrongVaultPins, MetadataError> {
        let connection = self.connection();
        let count: u32 = connection.query_row(
            "UPDATE vault SET wrong_pins = wrong_pins + 1 WHERE id = 1 RETURNING wrong_pins",
            [],
            |row| row.get(0),
        )?;
        let retry_at_ms: i64 = match delay_ms(count) {
            Some(delay) => connection.query_row(
                "UPDATE vault SET retry_at_ms = MAX(retry_at_ms, ?1) WHERE id = 1 RETURNING retry_at_ms",
                [now_ms.saturating_add(delay)],
                |row| row.get(0),
            )?,
            None => connection.query_row("SELECT retry_at_ms FROM vault WHERE id = 1", [], |row| {
                row.get(0)
            })?,
        };
        Ok(WrongVaultPins { count, retry_at_ms })
    }

    /// After the right PIN: the count starts again from zero.
    pub fn clear_wrong_vault_pins(&self) -> Result<(), MetadataError> {
        self.connection().execute(
            "UPDATE vault SET wrong_pins = 0, retry_at_ms = 0 WHERE id = 1 AND (wrong_pins != 0 OR retry_at_ms != 0)",
            [],
        )?;
        Ok(())
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
            tpm_sealed: None,
            os_secret: None,
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

    /// Two hosts re-sealing at once: the first replacement stays, the second finds the record changed.
    #[test]
    fn a_record_is_replaced_once() {
        let (_dir, metadata) = open_temporary();
        let old = record(b"wrapped");
        metadata.insert_vault_record_if_absent(&old).unwrap();
        let sealed = VaultRecord {
            kdf: "sealed".into(),
            wrapped_key: Vec::new(),
            tpm_sealed: Some(vec![5; 40]),
            ..old.clone()
        };
        assert!(metadata.replace_vault_record(&old, &sealed).unwrap());
        assert!(!metadata.replace_vault_record(&old, &sealed).unwrap());
        assert_eq!(metadata.vault_record().unwrap(), Some(sealed));
    }

    #[test]
    fn wrong_pins_are_counted_delayed_and_cleared() {
        let (_dir, metadata) = open_temporary();
        metadata
            .insert_vault_record_if_absent(&record(b"k"))
            .unwrap();
        assert_eq!(
            metadata.wrong_vault_pins().unwrap(),
            WrongVaultPins::default()
        );
        let delay = |count: u32| (count >= 2).then_some(1_000);
        let first = metadata.count_wrong_vault_pin(10, delay).unwrap();
        assert_eq!(
            first,
            WrongVaultPins {
                count: 1,
                retry_at_ms: 0
            }
        );
        let second = metadata.count_wrong_vault_pin(20, delay).unwrap();
        assert_eq!(
            second,
            WrongVaultPins {
                count: 2,
                retry_at_ms: 1_020
            }
        );
        // A delay never shortens one set before.
        let third = metadata.count_wrong_vault_pin(5, delay).unwrap();
        assert_eq!(third.retry_at_ms, 1_020);
        metadata.clear_wrong_vault_pins().unwrap();
        assert_eq!(
            metadata.wrong_vault_pins().unwrap(),
            WrongVaultPins::default()
        );
    }
}
