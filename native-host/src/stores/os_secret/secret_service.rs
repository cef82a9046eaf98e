//! The device secret in the Secret Service (freedesktop.org), over the D-Bus session bus. Never prompts: a locked
//! keyring counts as unreachable (the host cannot show a dialog), and the person unlocks it by logging in.

use std::collections::HashMap;
use std::time::Duration;

use secret_service::blocking::SecretService;
use secret_service::{EncryptionType, Error};
use zeroize::Zeroizing;

/// Every Keyplace item carries this attribute, so a person can find (and a test can count) them.
pub(crate) const APPLICATION: (&str, &str) = ("application", "keyplace");
/// The attribute holding the secret's id (hex).
pub(crate) const ID_ATTRIBUTE: &str = "keyplace-vault-secret";
/// A D-Bus call that takes longer (a hung keyring) fails instead of hanging the host.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

pub struct SecretServiceStore {
    /// None: the session bus (`DBUS_SESSION_BUS_ADDRESS`, else `$XDG_RUNTIME_DIR/bus`).
    address: Option<String>,
}

impl SecretServiceStore {
    pub fn session() -> Self {
        SecretServiceStore { address: None }
    }

    pub fn at(address: &str) -> Self {
        SecretServiceStore {
            address: Some(address.to_owned()),
        }
    }

    fn connect(&self) -> Result<SecretService<'static>, String> {
        use zbus::blocking::connection::Builder;
        let builder = match &self.address {
            Some(address) => Builder::address(address.as_str()),
            None => Builder::session(),
        }
        .map_err(|e| format!("no D-Bus session ({e})"))?;
        let connection = builder
            .method_timeout(CALL_TIMEOUT)
            .build()
            .map_err(|e| format!("no D-Bus session ({e})"))?;
        SecretService::connect_with_existing(EncryptionType::Dh, connection).map_err(words)
    }

    /// Whether a secret can be stored now: a default keyring exists and is unlocked.
    pub fn probe(&self) -> Result<(), String> {
        let service = self.connect()?;
        let collection = service.get_default_collection().map_err(words)?;
        collection.ensure_unlocked().map_err(words)
    }

    pub fn store(&self, id: &str, secret: &[u8]) -> Result<(), String> {
        let service = self.connect()?;
        let collection = service.get_default_collection().map_err(words)?;
        // Creating an item in a locked keyring would prompt; refuse instead.
        collection.ensure_unlocked().map_err(words)?;
        let attributes = HashMap::from([APPLICATION, (ID_ATTRIBUTE, id)]);
        collection
            .create_item(
                super::LABEL,
                attributes,
                secret,
                true,
                "application/octet-stream",
            )
            .map_err(words)?;
        Ok(())
    }

    /// The secret filed under `id`; None when the store answers that it has none.
    pub fn fetch(&self, id: &str) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
        let service = self.connect()?;
        let found = service
            .search_items(HashMap::from([APPLICATION, (ID_ATTRIBUTE, id)]))
            .map_err(words)?;
        match (found.unlocked.first(), found.locked.is_empty()) {
            (Some(item), _) => Ok(Some(Zeroizing::new(item.get_secret().map_err(words)?))),
            (None, false) => Err(words(Error::Locked)),
            (None, true) => Ok(None),
        }
    }

    pub fn delete(&self, id: &str) -> Result<(), String> {
        let service = self.connect()?;
        let found = service
            .search_items(HashMap::from([APPLICATION, (ID_ATTRIBUTE, id)]))
            .map_err(words)?;
        for item in found.unlocked {
            item.delete().map_err(words)?;
        }
        Ok(())
    }
}

/// The crate's errors in words a person can act on.
fn words(error: Error) -> String {
    match error {
        Error::Locked => {
            "the keyring is locked (log in again, or unlock it in your keyring app)".to_owned()
        }
        Error::NoResult => "there is no default keyring".to_owned(),
        Error::Unavailable => "no Secret Service is running in this session".to_owned(),
        Error::Prompt | Error::PromptDisconnected => {
            "the keyring asked for a confirmation nobody gave".to_owned()
        }
        Error::ZbusFdo(zbus::fdo::Error::ServiceUnknown(_)) => {
            "no Secret Service is running in this session".to_owned()
        }
        other => format!("the Secret Service failed ({other})"),
    }
}
