//! Helpers shared by the unit tests and, through the `test-support` feature, the integration tests and the
//! benchmark example. Never part of a release build.

#[cfg(target_os = "linux")]
pub mod secret_service;
#[cfg(target_os = "linux")]
pub mod swtpm;

use crate::metadata::CredentialRecord;
use crate::protocol::StoreId;

/// A vault credential of `rp_id` for "alice", never used, with placeholder key material.
pub fn sample_credential(credential_id: &[u8], rp_id: &str) -> CredentialRecord {
    CredentialRecord {
        credential_id: credential_id.to_vec(),
        rp_id: rp_id.to_owned(),
        user_id: vec![1, 2, 3],
        user_name: "alice".into(),
        user_display_name: "Alice".into(),
        store: StoreId::Vault,
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
