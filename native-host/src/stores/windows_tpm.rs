//! Hardware-bound keys in the TPM on Windows, through the Microsoft Platform Crypto Provider (NCrypt). The key is
//! a persisted, non-exportable PCP key named after the credential id; its usage authorization is derived from the
//! PIN, so the TPM checks the PIN and counts wrong ones toward its lockout, as on Linux.
//!
//! Not run here (checked with `cargo check --target x86_64-pc-windows-msvc` only). The usage-auth encoding
//! (SHA-256 of the PIN, set the same way at creation and at every use) is to be confirmed on a Windows machine.

use p256::ecdsa::Signature as EcdsaSignature;
use sha2::{Digest, Sha256};
use windows::core::{HSTRING, PCWSTR};
use windows::Win32::Security::Cryptography::{
    NCryptCreatePersistedKey, NCryptDeleteKey, NCryptExportKey, NCryptFinalizeKey,
    NCryptFreeObject, NCryptOpenKey, NCryptOpenStorageProvider, NCryptSetProperty, NCryptSignHash,
    BCRYPT_ECCKEY_BLOB, BCRYPT_ECCPUBLIC_BLOB, BCRYPT_ECDSA_P256_ALGORITHM,
    BCRYPT_ECDSA_PUBLIC_P256_MAGIC, CERT_KEY_SPEC, MS_PLATFORM_CRYPTO_PROVIDER, NCRYPT_FLAGS,
    NCRYPT_HANDLE, NCRYPT_KEY_HANDLE, NCRYPT_PCP_USAGEAUTH_PROPERTY, NCRYPT_PROV_HANDLE,
    NCRYPT_SILENT_FLAG,
};

use super::hardware::{authorize_with_key_pin, NamedKeys, HARDWARE_AAGUID};
use super::{Authorization, KeyStore, NewKey, Purpose, StoreError, WrongPin};
use crate::protocol::{HardwareKind, StoreId, StoreStatus};

const KEY_NAMES: NamedKeys = NamedKeys {
    prefix: "Keyplace-",
    what: "TPM key name",
};

/// TPM 2.0 response codes come back as HRESULT 0x8028_0000 | RC.
const TPM_HRESULT_BASE: u32 = 0x8028_0000;
const TPM_RC_AUTH_FAIL: u32 = 0x08E;
const TPM_RC_LOCKOUT: u32 = 0x921;
/// TPM_E_PCP_AUTHENTICATION_FAILED: the PCP provider's own "wrong usage auth".
const PCP_AUTHENTICATION_FAILED: u32 = 0x8029_0408;

pub struct WindowsTpmStore;

impl WindowsTpmStore {
    pub fn new() -> Self {
        WindowsTpmStore
    }
}

impl Default for WindowsTpmStore {
    fn default() -> Self {
        Self::new()
    }
}

/// An NCrypt handle, freed on drop.
struct Handle(NCRYPT_HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from NCrypt and is freed once.
        let _ = unsafe { NCryptFreeObject(self.0) };
    }
}

fn provider() -> Result<(Handle, NCRYPT_PROV_HANDLE), StoreError> {
    let mut provider = NCRYPT_PROV_HANDLE::default();
    // SAFETY: out-pointer to a local; the provider name is a static wide string.
    unsafe { NCryptOpenStorageProvider(&mut provider, MS_PLATFORM_CRYPTO_PROVIDER, 0) }.map_err(
        |e| {
            StoreError::Unavailable(format!(
                "This computer has no TPM that Windows lets Keyplace use ({e})."
            ))
        },
    )?;
    Ok((Handle(NCRYPT_HANDLE(provider.0)), provider))
}

/// The usage authorization the PCP key is created and used with.
fn usage_auth(pin: &[u8]) -> [u8; 32] {
    Sha256::digest(pin).into()
}

fn set_usage_auth(key: NCRYPT_KEY_HANDLE, pin: &[u8]) -> Result<(), StoreError> {
    let auth = usage_auth(pin);
    // SAFETY: the key handle is open; the buffer outlives the call.
    unsafe {
        NCryptSetProperty(
            NCRYPT_HANDLE(key.0),
            NCRYPT_PCP_USAGEAUTH_PROPERTY,
            &auth,
            NCRYPT_SILENT_FLAG,
        )
    }
    .map_err(|e| StoreError::Internal(format!("cannot give the TPM key its PIN: {e}")))
}

fn open_key(name: &str) -> Result<(Handle, NCRYPT_KEY_HANDLE), StoreError> {
    let (_provider_guard, provider) = provider()?;
    let mut key = NCRYPT_KEY_HANDLE::default();
    let name = HSTRING::from(name);
    // SAFETY: out-pointer to a local; the name outlives the call.
    unsafe {
        NCryptOpenKey(
            provider,
            &mut key,
            PCWSTR(name.as_ptr()),
            CERT_KEY_SPEC(0),
            NCRYPT_SILENT_FLAG,
        )
    }
    .map_err(|e| StoreError::Internal(format!("this passkey's key is gone from the TPM ({e})")))?;
    Ok((Handle(NCRYPT_HANDLE(key.0)), key))
}

/// A TPM error while using the key, in the service's terms.
fn key_error(error: windows::core::Error) -> StoreError {
    let code = error.code().0 as u32;
    let tpm_rc = (code & 0xFFFF_0000 == TPM_HRESULT_BASE).then_some(code & 0xFFFF);
    match tpm_rc {
        // Format-one codes carry the session number in bits 8..12: compare the error number only.
        Some(rc) if rc & 0x80 != 0 && rc & 0x3F == TPM_RC_AUTH_FAIL & 0x3F => {
            StoreError::WrongDevicePin(WrongPin::default())
        }
        Some(TPM_RC_LOCKOUT) => StoreError::Locked(WrongPin::default()),
        _ if code == PCP_AUTHENTICATION_FAILED => StoreError::WrongDevicePin(WrongPin::default()),
        _ => StoreError::Internal(format!("the TPM refused: {error}")),
    }
}

fn export_public(key: NCRYPT_KEY_HANDLE) -> Result<Vec<u8>, StoreError> {
    let failed = |e: windows::core::Error| {
        StoreError::Internal(format!("cannot read the TPM key's public part: {e}"))
    };
    let mut size = 0u32;
    // SAFETY: first call asks for the size only; the second fills a buffer of that size.
    unsafe {
        NCryptExportKey(
            key,
            None,
            BCRYPT_ECCPUBLIC_BLOB,
            None,
            None,
            &mut size,
            NCRYPT_FLAGS(0),
        )
    }
    .map_err(failed)?;
    let mut blob = vec![0u8; size as usize];
    unsafe {
        NCryptExportKey(
            key,
            None,
            BCRYPT_ECCPUBLIC_BLOB,
            None,
            Some(&mut blob),
            &mut size,
            NCRYPT_FLAGS(0),
        )
    }
    .map_err(failed)?;
    // BCRYPT_ECCKEY_BLOB { magic, cbKey } then X then Y.
    let header = std::mem::size_of::<BCRYPT_ECCKEY_BLOB>();
    let magic = u32::from_le_bytes(
        blob.get(..4)
            .and_then(|b| b.try_into().ok())
            .unwrap_or_default(),
    );
    let key_len = u32::from_le_bytes(
        blob.get(4..8)
            .and_then(|b| b.try_into().ok())
            .unwrap_or_default(),
    );
    if magic != BCRYPT_ECDSA_PUBLIC_P256_MAGIC || key_len != 32 || blob.len() < header + 64 {
        return Err(StoreError::Internal(
            "the TPM key is not a P-256 key".into(),
        ));
    }
    let mut point = vec![0x04];
    point.extend_from_slice(&blob[header..header + 64]);
    Ok(point)
}

impl KeyStore for WindowsTpmStore {
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
        let probed = provider();
        StoreStatus::Hardware {
            available: probed.is_ok(),
            kind: Some(HardwareKind::WindowsTpm),
            reason: probed.err().map(|error| error.to_string()),
        }
    }

    fn authorize(
        &self,
        pin: Option<&str>,
        _require_user_verification: bool,
        purpose: Purpose,
    ) -> Result<Authorization, StoreError> {
        provider()?;
        authorize_with_key_pin(pin, purpose)
    }

    fn create_key(
        &self,
        authorization: &Authorization,
        credential_id: &[u8],
    ) -> Result<NewKey, StoreError> {
        let (_provider_guard, provider) = provider()?;
        let name = KEY_NAMES.name(credential_id);
        let wide = HSTRING::from(name.as_str());
        let mut key = NCRYPT_KEY_HANDLE::default();
        // SAFETY: out-pointer to a local; the strings outlive the calls.
        unsafe {
            NCryptCreatePersistedKey(
                provider,
                &mut key,
                BCRYPT_ECDSA_P256_ALGORITHM,
                PCWSTR(wide.as_ptr()),
                CERT_KEY_SPEC(0),
                NCRYPT_FLAGS(0),
            )
        }
        .map_err(|e| StoreError::Unavailable(format!("The TPM cannot make a key: {e}")))?;
        let _key_guard = Handle(NCRYPT_HANDLE(key.0));
        // Not exportable is the PCP default; the PIN becomes the key's usage authorization.
        set_usage_auth(key, authorization.secret())?;
        unsafe { NCryptFinalizeKey(key, NCRYPT_SILENT_FLAG) }
            .map_err(|e| StoreError::Unavailable(format!("The TPM cannot make a key: {e}")))?;
        let public_key = export_public(key)?;
        let key_blob = KEY_NAMES.blob(&name);
        Ok(NewKey {
            public_key,
            key_blob,
        })
    }

    fn sign(
        &self,
        authorization: &Authorization,
        _credential_id: &[u8],
        key_blob: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        let (_key_guard, key) = open_key(KEY_NAMES.name_from_blob(key_blob)?)?;
        set_usage_auth(key, authorization.secret())?;
        let digest = Sha256::digest(message);
        let mut raw = [0u8; 64];
        let mut size = 0u32;
        // SAFETY: the key is open; the digest and output buffers outlive the call.
        unsafe {
            NCryptSignHash(
                key,
                None,
                &digest,
                Some(&mut raw),
                &mut size,
                NCRYPT_SILENT_FLAG,
            )
        }
        .map_err(key_error)?;
        // NCrypt gives r || s, 32 bytes each; WebAuthn wants DER.
        let signature = EcdsaSignature::from_slice(&raw[..size as usize])
            .map_err(|_| StoreError::Internal("the TPM's signature is not valid".into()))?;
        let signature = signature.normalize_s().unwrap_or(signature);
        Ok(signature.to_der().as_bytes().to_vec())
    }

    fn destroy_key(&self, key_blob: &[u8]) -> Result<(), StoreError> {
        let Ok((guard, key)) = open_key(KEY_NAMES.name_from_blob(key_blob)?) else {
            return Ok(()); // already gone
        };
        // NCryptDeleteKey frees the handle itself.
        std::mem::forget(guard);
        unsafe { NCryptDeleteKey(key, 0) }
            .map_err(|e| StoreError::Internal(format!("cannot delete the TPM key: {e}")))
    }
}
