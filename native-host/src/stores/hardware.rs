//! Hardware-bound keys: the platform's own store behind one name. Linux: a TPM 2.0 through tss-esapi; macOS: the
//! Secure Enclave; Windows: the TPM through the Microsoft Platform Crypto Provider; elsewhere: unavailable.

use super::{Authorization, KeyStore, NewKey, Purpose, StoreError};
use crate::protocol::{StoreId, StoreStatus};

pub const HARDWARE_STORE_ID: &str = StoreId::Hardware.as_str();
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
        let available = status.available();
        vec![DoctorLine {
            ok: available,
            text: match status.reason() {
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

/// A key the platform keeps by name (a Secure Enclave label, an NCrypt key name): the name is a prefix plus the
/// credential id in hex, and the blob in the database is a version byte followed by that name.
#[cfg(any(target_os = "macos", windows, test))]
pub struct NamedKeys {
    pub prefix: &'static str,
    /// What the name is called, for the error when a stored one is damaged.
    pub what: &'static str,
}

#[cfg(any(target_os = "macos", windows, test))]
impl NamedKeys {
    const BLOB_VERSION: u8 = 1;

    pub fn name(&self, credential_id: &[u8]) -> String {
        let hex: String = credential_id.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}{hex}", self.prefix)
    }

    pub fn blob(&self, name: &str) -> Vec<u8> {
        let mut blob = vec![Self::BLOB_VERSION];
        blob.extend_from_slice(name.as_bytes());
        blob
    }

    pub fn name_from_blob<'a>(&self, blob: &'a [u8]) -> Result<&'a str, StoreError> {
        match blob.split_first() {
            Some((&Self::BLOB_VERSION, name)) => std::str::from_utf8(name)
                .ok()
                .filter(|name| name.starts_with(self.prefix)),
            _ => None,
        }
        .ok_or_else(|| {
            StoreError::Internal(format!(
                "the stored {} of this passkey is damaged",
                self.what
            ))
        })
    }
}

/// The hardware store of a platform without one.
#[allow(dead_code)] // used only on platforms without hardware support
pub struct Unavailable;

#[allow(dead_code)]
const UNAVAILABLE: &str = "This kind of computer has no secure hardware Keyplace can use.";

impl KeyStore for Unavailable {
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
        StoreStatus::Hardware {
            available: false,
            kind: None,
            reason: Some(UNAVAILABLE.to_owned()),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: NamedKeys = NamedKeys {
        prefix: "Keyplace-",
        what: "key name",
    };

    #[test]
    fn a_named_key_round_trips_through_its_blob_and_damage_is_refused() {
        let name = NAMES.name(&[0x01, 0xab, 0xff]);
        assert_eq!(name, "Keyplace-01abff");
        assert_eq!(NAMES.name_from_blob(&NAMES.blob(&name)).unwrap(), name);
        for damaged in [
            Vec::new(),
            vec![2, b'K'],                      // unknown version
            [&[1u8][..], b"Other-01"].concat(), // not one of ours
            vec![1, 0xff, 0xfe],                // not UTF-8
        ] {
            assert!(matches!(
                NAMES.name_from_blob(&damaged),
                Err(StoreError::Internal(message)) if message.contains("key name")
            ));
        }
    }
}
