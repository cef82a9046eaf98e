//! Hardware-bound keys (TPM 2.0 via tss-esapi on Linux, later Secure Enclave and NCrypt). Not in this version:
//! every operation answers `store_unavailable`, and this is where the real store plugs in.

use serde_json::{json, Value};

use super::{Authorization, KeyStore, NewKey, StoreError};

pub const HARDWARE_STORE_ID: &str = "hardware";
pub const HARDWARE_AAGUID: &str = "c95948a9-3e06-473d-a1ef-b11f0081645d";
pub const HARDWARE_UNAVAILABLE: &str = "Hardware-bound passkeys (TPM) are not in this version yet.";

pub struct HardwareStore;

impl HardwareStore {
    fn unavailable<T>() -> Result<T, StoreError> {
        Err(StoreError::Unavailable(HARDWARE_UNAVAILABLE.to_owned()))
    }
}

impl KeyStore for HardwareStore {
    fn id(&self) -> &'static str {
        HARDWARE_STORE_ID
    }

    fn aaguid(&self) -> &'static str {
        HARDWARE_AAGUID
    }

    fn backup_flags(&self) -> (bool, bool) {
        (false, false)
    }

    fn status(&self) -> Value {
        json!({"id": HARDWARE_STORE_ID, "available": false, "reason": HARDWARE_UNAVAILABLE})
    }

    fn authorize(
        &self,
        _pin: Option<&str>,
        _require_uv: bool,
    ) -> Result<Authorization, StoreError> {
        Self::unavailable()
    }

    fn create_key(
        &self,
        _authorization: &Authorization,
        _credential_id: &[u8],
    ) -> Result<NewKey, StoreError> {
        Self::unavailable()
    }

    fn sign(&self, _: &Authorization, _: &[u8], _: &[u8], _: &[u8]) -> Result<Vec<u8>, StoreError> {
        Self::unavailable()
    }

    fn destroy_key(&self, _key_blob: &[u8]) -> Result<(), StoreError> {
        Self::unavailable()
    }
}
