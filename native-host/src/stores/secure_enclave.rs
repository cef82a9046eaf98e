//! Hardware-bound keys in the Secure Enclave (macOS). The key is made inside the enclave and never leaves it; the
//! keychain keeps a reference to it under a label derived from the credential id, so it is found again after a
//! restart. Using it asks for Touch ID or the login password (access control `PrivateKeyUsage | UserPresence`), so
//! there is no Keyplace PIN here: `pin` is ignored.
//!
//! The data-protection keychain needs the host binary to be code-signed with a keychain-access-groups
//! entitlement; without it key creation fails and the store reports why.

use std::sync::OnceLock;

use security_framework::access_control::{ProtectionMode, SecAccessControl};
use security_framework::item::{
    ItemClass, ItemSearchOptions, KeyClass, Limit, Location, Reference, SearchResult,
};
use security_framework::key::{Algorithm, GenerateKeyOptions, KeyType, SecKey, Token};
use security_framework_sys::access_control::{
    kSecAccessControlPrivateKeyUsage, kSecAccessControlUserPresence,
};

use super::hardware::{NamedKeys, HARDWARE_AAGUID};
use super::{Authorization, KeyStore, NewKey, Purpose, StoreError};
use crate::protocol::{HardwareKind, StoreId, StoreStatus};

const LABELS: NamedKeys = NamedKeys {
    prefix: "Keyplace passkey ",
    what: "Secure Enclave reference",
};
/// Signed right after creation, so that registration also asks for Touch ID / the password (real UV).
const PRESENCE_CHECK: &[u8] = b"keyplace: confirm the new passkey";

pub struct SecureEnclaveStore {
    /// Whether the enclave can make keys here; it does not change while the host runs.
    probe: OnceLock<Result<(), String>>,
}

impl SecureEnclaveStore {
    pub fn new() -> Self {
        SecureEnclaveStore {
            probe: OnceLock::new(),
        }
    }

    /// Makes a throwaway enclave key (not stored in any keychain) to learn whether the enclave works here.
    fn probe(&self) -> Result<(), String> {
        self.probe
            .get_or_init(|| {
                let mut options = GenerateKeyOptions::default();
                options
                    .set_key_type(KeyType::ec_sec_prime_random())
                    .set_size_in_bits(256)
                    .set_token(Token::SecureEnclave)
                    .set_access_control(access_control()?);
                SecKey::new(&options)
                    .map(|_| ())
                    .map_err(|e| format!("This Mac has no Secure Enclave Keyplace can use ({e})."))
            })
            .clone()
    }
}

impl Default for SecureEnclaveStore {
    fn default() -> Self {
        Self::new()
    }
}

fn access_control() -> Result<SecAccessControl, String> {
    SecAccessControl::create_with_protection(
        Some(ProtectionMode::AccessibleWhenUnlockedThisDeviceOnly),
        kSecAccessControlPrivateKeyUsage | kSecAccessControlUserPresence,
    )
    .map_err(|e| format!("cannot set up the key's access control: {e}"))
}

fn find_key(label: &str) -> Result<SecKey, StoreError> {
    let results = ItemSearchOptions::new()
        .class(ItemClass::key())
        .key_class(KeyClass::private())
        .label(label)
        .ignore_legacy_keychains()
        .load_refs(true)
        .limit(Limit::Max(1))
        .search()
        .map_err(|e| {
            StoreError::Internal(format!(
                "this passkey's key is gone from the Secure Enclave ({e})"
            ))
        })?;
    results
        .into_iter()
        .find_map(|result| match result {
            SearchResult::Ref(Reference::Key(key)) => Some(key),
            _ => None,
        })
        .ok_or_else(|| {
            StoreError::Internal("this passkey's key is gone from the Secure Enclave".into())
        })
}

fn sign_with(key: &SecKey, message: &[u8]) -> Result<Vec<u8>, StoreError> {
    // X9.62 DER, as WebAuthn wants; the enclave hashes with SHA-256 itself.
    key.create_signature(Algorithm::ECDSASignatureMessageX962SHA256, message)
        .map_err(|e| StoreError::Unavailable(format!("The Secure Enclave did not sign: {e}")))
}

impl KeyStore for SecureEnclaveStore {
    fn id(&self) -> StoreId {
        StoreId::Hardware
    }

    fn aaguid(&self) -> &'static str {
        HARDWARE_AAGUID
    }

    fn backup_flags(&self) -> (bool, bool) {
        (false, false)
    }

    fn status(&self) -> StoreStatus {
        let probed = self.probe();
        StoreStatus::Hardware {
            available: probed.is_ok(),
            kind: Some(HardwareKind::SecureEnclave),
            reason: probed.err(),
        }
    }

    fn authorize(
        &self,
        _pin: Option<&str>,
        _require_user_verification: bool,
        _purpose: Purpose,
    ) -> Result<Authorization, StoreError> {
        self.probe().map_err(StoreError::Unavailable)?;
        // macOS asks for Touch ID or the password at every use of the key (and create_key uses it once), and a
        // signature exists only if the person passed: user verification is real.
        Ok(Authorization::new(true, &[]))
    }

    fn create_key(
        &self,
        _authorization: &Authorization,
        credential_id: &[u8],
    ) -> Result<NewKey, StoreError> {
        let label = LABELS.name(credential_id);
        let mut options = GenerateKeyOptions::default();
        options
            .set_key_type(KeyType::ec_sec_prime_random())
            .set_size_in_bits(256)
            .set_label(label.clone())
            .set_token(Token::SecureEnclave)
            .set_location(Location::DataProtectionKeychain)
            .set_access_control(access_control().map_err(StoreError::Internal)?);
        let key = SecKey::new(&options).map_err(|e| {
            StoreError::Unavailable(format!("The Secure Enclave cannot make a key: {e}"))
        })?;
        if let Err(error) = sign_with(&key, PRESENCE_CHECK) {
            let _ = key.delete();
            return Err(error);
        }
        let public_key = key
            .public_key()
            .and_then(|public| public.external_representation())
            .map(|data| data.to_vec())
            .filter(|point| point.len() == 65 && point[0] == 0x04)
            .ok_or_else(|| {
                let _ = key.delete();
                StoreError::Internal("the Secure Enclave gave no P-256 public key".into())
            })?;
        let key_blob = LABELS.blob(&label);
        Ok(NewKey {
            public_key,
            key_blob,
        })
    }

    fn sign(
        &self,
        _authorization: &Authorization,
        _credential_id: &[u8],
        key_blob: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        sign_with(&find_key(LABELS.name_from_blob(key_blob)?)?, message)
    }

    fn destroy_key(&self, key_blob: &[u8]) -> Result<(), StoreError> {
        match find_key(LABELS.name_from_blob(key_blob)?) {
            Ok(key) => key
                .delete()
                .map_err(|e| StoreError::Internal(format!("cannot delete the enclave key: {e}"))),
            // Already gone: nothing left to destroy.
            Err(_) => Ok(()),
        }
    }
}
