//! Hardware-bound keys: the platform's own store behind one name. Linux: a TPM 2.0 through tss-esapi; macOS: the
//! Secure Enclave; Windows: the TPM through the Microsoft Platform Crypto Provider; elsewhere: unavailable.

use serde_json::{json, Value};

use super::{Authorization, KeyStore, NewKey, Purpose, StoreError};

pub const HARDWARE_STORE_ID: &str = "hardware";
pub const HARDWARE_AAGUID: &str = "c95948a9-3e06-473d-a1ef-b11f0081645d";
/// A hardware passkey's PIN, where the chip checks one (TPM authValue).
#[cfg_attr(target_os = "macos", allow(dead_code))]
pub const MIN_PIN_CHARS: usize = 4;
/// A TPM authValue is at most the size of its name algorithm's digest (SHA-256).
#[cfg_attr(target_os = "macos", allow(dead_code))]
pub const MAX_PIN_BYTES: usize = 32;

#[cfg(target_os = "linux")]
pub type HardwareStore = super::tpm::TpmStore;
#[cfg(target_os = "macos")]
pub type HardwareStore = super::secure_enclave::SecureEnclaveStore;
#[cfg(windows)]
pub type HardwareStore = super::windows_tpm::WindowsTpmStore;
#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
pub type HardwareStore = Unavailable;

/// This platform's hardware store, configured from the environment (`KEYPLACE_TPM_TCTI` on Linux).
pub fn hardware_store() -> HardwareStore {
    #[cfg(target_os = "linux")]
    return super::tpm::TpmStore::new(super::tpm::tcti_from_env());
    #[cfg(target_os = "macos")]
    return super::secure_enclave::SecureEnclaveStore::new();
    #[cfg(windows)]
    return super::windows_tpm::WindowsTpmStore::new();
    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    return Unavailable;
}

/// One line of `doctor`'s report about the hardware store.
pub struct DoctorLine {
    pub ok: bool,
    pub text: String,
    /// What to do about it, when not ok.
    pub fix: String,
}

/// What `doctor` says about this platform's hardware store.
pub fn diagnose() -> Vec<DoctorLine> {
    #[cfg(target_os = "linux")]
    return super::tpm::diagnose(&super::tpm::tcti_from_env());
    #[cfg(not(target_os = "linux"))]
    {
        let status = hardware_store().status();
        let available = status["available"].as_bool().unwrap_or(false);
        vec![DoctorLine {
            ok: available,
            text: match status["reason"].as_str() {
                Some(reason) if !available => format!("Hardware store: {reason}"),
                _ => "Hardware store: available".to_owned(),
            },
            fix: "Nothing to do; the Keyplace vault works without it.".to_owned(),
        }]
    }
}

/// A hardware passkey has a PIN of its own (the chip's authValue / usage auth): every use needs it, a new one
/// needs at least MIN_PIN_CHARS characters, and none may exceed what the chip accepts. UV is always true:
/// a signature exists only if the chip accepted this PIN, and at creation the PIN becomes the key's.
#[cfg(any(target_os = "linux", windows))]
pub fn authorize_with_key_pin(
    pin: Option<&str>,
    purpose: Purpose,
) -> Result<Authorization, StoreError> {
    use super::PinReason;
    let pin = match (pin, purpose) {
        (Some(pin), _) => pin,
        (None, Purpose::Create) => return Err(StoreError::PinRequired(PinReason::SetKeyPin)),
        (None, Purpose::Sign) => return Err(StoreError::PinRequired(PinReason::KeyPin)),
    };
    if pin.len() > MAX_PIN_BYTES {
        return Err(StoreError::BadPin(format!(
            "A hardware passkey's PIN can be at most {MAX_PIN_BYTES} bytes long."
        )));
    }
    if purpose == Purpose::Create && pin.chars().count() < MIN_PIN_CHARS {
        return Err(StoreError::BadPin(format!(
            "A hardware passkey's PIN needs at least {MIN_PIN_CHARS} characters."
        )));
    }
    Ok(Authorization::new(true, pin.as_bytes()))
}

/// The hardware store of a platform without one.
#[allow(dead_code)] // used only on platforms without hardware support
pub struct Unavailable;

#[allow(dead_code)]
const UNAVAILABLE: &str = "This kind of computer has no secure hardware Keyplace can use.";

impl KeyStore for Unavailable {
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
        json!({"id": HARDWARE_STORE_ID, "available": false, "reason": UNAVAILABLE})
    }

    fn authorize(&self, _: Option<&str>, _: bool, _: Purpose) -> Result<Authorization, StoreError> {
        Err(StoreError::Unavailable(UNAVAILABLE.to_owned()))
    }

    fn create_key(&self, _: &Authorization, _: &[u8]) -> Result<NewKey, StoreError> {
        Err(StoreError::Unavailable(UNAVAILABLE.to_owned()))
    }

    fn sign(&self, _: &Authorization, _: &[u8], _: &[u8], _: &[u8]) -> Result<Vec<u8>, StoreError> {
        Err(StoreError::Unavailable(UNAVAILABLE.to_owned()))
    }

    fn destroy_key(&self, _: &[u8]) -> Result<(), StoreError> {
        Ok(())
    }
}
