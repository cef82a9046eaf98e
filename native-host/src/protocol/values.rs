//! The value types the protocol shares: binary values as base64url, store names, and PINs.

use std::fmt;

use keyplace_core::bytes::{b64u_decode, b64u_encode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
#[cfg(test)]
use ts_rs::TS;
use zeroize::Zeroizing;

/// Binary value carried as base64url without padding (a `string` in TypeScript).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(TS), ts(type = "string"))]
pub struct B64u(pub Vec<u8>);

impl B64u {
    pub fn encode(bytes: &[u8]) -> String {
        b64u_encode(bytes)
    }
}

impl Serialize for B64u {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&Self::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for B64u {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        b64u_decode(&text)
            .map(B64u)
            .ok_or_else(|| serde::de::Error::custom("not base64url without padding"))
    }
}

/// Where a passkey's private key lives: the same strings on the wire and in the database's `store` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(test, derive(TS))]
pub enum StoreId {
    /// The encrypted vault in the database, unlocked with the vault PIN.
    Vault,
    /// The platform's secure hardware (TPM, Secure Enclave).
    Hardware,
}

impl StoreId {
    pub const ALL: [StoreId; 2] = [StoreId::Vault, StoreId::Hardware];

    pub const fn as_str(self) -> &'static str {
        match self {
            StoreId::Vault => "vault",
            StoreId::Hardware => "hardware",
        }
    }

    /// The store of that name, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        StoreId::ALL.into_iter().find(|id| id.as_str() == name)
    }
}

impl fmt::Display for StoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// By hand rather than derived, to keep the host's own words for an unknown store.
impl<'de> Deserialize<'de> for StoreId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        StoreId::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(crate::service::errors::unknown_store(&name)))
    }
}

/// A PIN as the host holds it: a JSON string on the wire, wiped from memory when dropped, and never printed by
/// `Debug` (so a logged or panicking request shows no PIN).
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(Zeroizing<String>);

impl Pin {
    pub fn new(pin: impl Into<String>) -> Self {
        Pin(Zeroizing::new(pin.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

impl Serialize for Pin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Pin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Pin::new)
    }
}

/// The text of a passkey export another manager wrote (`import`): it holds private keys, so it is wiped from memory
/// when dropped and never printed by `Debug`, like a PIN.
#[derive(Clone, PartialEq, Eq)]
pub struct ExportText(Zeroizing<String>);

impl ExportText {
    pub fn new(text: impl Into<String>) -> Self {
        ExportText(Zeroizing::new(text.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ExportText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExportText(<{} bytes>)", self.0.len())
    }
}

impl Serialize for ExportText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ExportText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(ExportText::new)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{B64u, ExportText, Pin, StoreId};

    #[test]
    fn debug_never_shows_an_export() {
        let text: ExportText = serde_json::from_value(json!("{\"key\": \"secret\"}")).unwrap();
        assert_eq!(format!("{text:?}"), "ExportText(<17 bytes>)");
        assert_eq!(text.as_str(), "{\"key\": \"secret\"}");
    }

    #[test]
    fn a_pin_is_a_json_string_that_debug_never_shows() {
        let pin: Pin = serde_json::from_value(json!("482915")).unwrap();
        assert_eq!(pin.as_str(), "482915");
        assert_eq!(serde_json::to_value(&pin).unwrap(), json!("482915"));
        assert_eq!(format!("{pin:?}"), "Pin(<redacted>)");
        assert!(serde_json::from_value::<Pin>(json!(482915)).is_err());
    }

    #[test]
    fn b64u_rejects_padding_and_standard_alphabet() {
        assert!(serde_json::from_value::<B64u>(json!("AAE")).is_ok());
        assert!(serde_json::from_value::<B64u>(json!("AAE=")).is_err());
        assert!(serde_json::from_value::<B64u>(json!("+/8")).is_err());
        assert!(serde_json::from_value::<B64u>(json!(12)).is_err());
    }

    #[test]
    fn store_ids_are_the_database_strings() {
        for id in StoreId::ALL {
            assert_eq!(serde_json::to_value(id).unwrap(), json!(id.as_str()));
            assert_eq!(
                serde_json::from_value::<StoreId>(json!(id.as_str())).unwrap(),
                id
            );
        }
        assert_eq!(StoreId::from_name("Vault"), None);
        assert!(serde_json::from_value::<StoreId>(json!("cloud")).is_err());
    }
}
