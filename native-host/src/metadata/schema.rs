//! Schema versions, tracked in `PRAGMA user_version`. Each entry migrates from version `index` to `index + 1`;
//! append new entries, never edit old ones (databases in the field already ran them). `super::migrate` runs them.

pub(super) const MIGRATIONS: &[&str] = &[
    // 0 -> 1: credentials, the vault's wrapped data key, and settings.
    "CREATE TABLE credentials (
        credential_id     BLOB PRIMARY KEY NOT NULL,
        rp_id             TEXT NOT NULL,
        user_id           BLOB NOT NULL,
        user_name         TEXT NOT NULL,
        user_display_name TEXT NOT NULL,
        store             TEXT NOT NULL,
        aaguid            TEXT NOT NULL,
        key_blob          BLOB NOT NULL,
        public_key        BLOB NOT NULL,
        sign_count        INTEGER NOT NULL DEFAULT 0,
        created_at        INTEGER NOT NULL,
        last_used_at      INTEGER,
        backup_eligible   INTEGER NOT NULL,
        backup_state      INTEGER NOT NULL,
        resident_key      INTEGER NOT NULL
    );
    CREATE INDEX credentials_by_rp_id ON credentials (rp_id);
    CREATE TABLE vault (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        kdf         TEXT NOT NULL,
        kdf_m_kib   INTEGER NOT NULL,
        kdf_t       INTEGER NOT NULL,
        kdf_p       INTEGER NOT NULL,
        salt        BLOB NOT NULL,
        nonce       BLOB NOT NULL,
        wrapped_key BLOB NOT NULL,
        created_at  INTEGER NOT NULL
    );
    CREATE TABLE settings (
        name  TEXT PRIMARY KEY NOT NULL,
        value INTEGER NOT NULL
    );",
    // 1 -> 2: `list` pages in (rp_id, user_name, credential_id) order, case-insensitive on the account name, and
    // looks up an RP ID; one index serves both (its first column is rp_id), so the old one goes.
    "CREATE INDEX credentials_by_site_and_name
        ON credentials (rp_id, user_name COLLATE NOCASE, credential_id);
    DROP INDEX credentials_by_rp_id;",
    // 2 -> 3: the vault's data key sealed by this computer's TPM (the sealed object's public and private areas;
    // NULL while it is wrapped under the PIN only), and the host's count of wrong vault PINs with the time before
    // which no PIN is tried again (kept here so that a restart does not reset them).
    "ALTER TABLE vault ADD COLUMN tpm_sealed BLOB;
    ALTER TABLE vault ADD COLUMN wrong_pins INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE vault ADD COLUMN retry_at_ms INTEGER NOT NULL DEFAULT 0;",
    // 3 -> 4: this install's device identity (its private keys sealed like a vault passkey's), the ring of the
    // person's devices as the signed, hash-chained list of its changes, and the log of copies this device made,
    // approved or imported (request_id and role are unique together, which also refuses a replayed import).
    "CREATE TABLE this_device (
        id             INTEGER PRIMARY KEY CHECK (id = 1),
        device_id      BLOB NOT NULL,
        name           TEXT NOT NULL,
        signing_public BLOB NOT NULL,
        kem_public     BLOB NOT NULL,
        signing_blob   BLOB NOT NULL,
        kem_blob       BLOB NOT NULL,
        created_at     INTEGER NOT NULL
    );
    CREATE TABLE ring_events (
        seq        INTEGER PRIMARY KEY NOT NULL,
        event_hash BLOB NOT NULL UNIQUE,
        event      TEXT NOT NULL
    );
    CREATE TABLE copies (
        request_id    BLOB NOT NULL,
        role          TEXT NOT NULL,
        credential_id BLOB NOT NULL,
        rp_id         TEXT NOT NULL,
        user_name     TEXT NOT NULL,
        source        BLOB NOT NULL,
        target        BLOB NOT NULL,
        approver      BLOB,
        at            INTEGER NOT NULL,
        PRIMARY KEY (request_id, role, credential_id)
    );",
    // 4 -> 5: without a TPM, the handle of the vault's device secret in the OS secret store (its id there, or on
    // Windows the DPAPI-protected secret); NULL when the data key is sealed by the TPM or wrapped under the PIN only.
    "ALTER TABLE vault ADD COLUMN os_secret BLOB;",
    // 5 -> 6: the manager a passkey was imported from (a Credential Exchange Format export's exporter, src/import/);
    // NULL for one made here or copied from another of your devices. An imported passkey's counter stays 0.
    "ALTER TABLE credentials ADD COLUMN imported_from TEXT;",
];

pub const LATEST_VERSION: u32 = MIGRATIONS.len() as u32;
