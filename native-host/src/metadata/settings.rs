//! Settings the user can change, each a named integer with a default when unset.

use rusqlite::{params, OptionalExtension};

use super::{Metadata, MetadataError};

pub const SETTING_VAULT_UNLOCK_SECONDS: &str = "vault_unlock_seconds";
pub const DEFAULT_VAULT_UNLOCK_SECONDS: u32 = 300;

impl Metadata {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::tests::open_temporary;

    #[test]
    fn settings_default_and_persist() {
        let (_dir, metadata) = open_temporary();
        assert_eq!(
            metadata.vault_unlock_seconds().unwrap(),
            DEFAULT_VAULT_UNLOCK_SECONDS
        );
        metadata.set_vault_unlock_seconds(0).unwrap();
        assert_eq!(metadata.vault_unlock_seconds().unwrap(), 0);
    }
}
