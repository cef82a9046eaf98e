//! The one error type of the core. `name` is what the page must see (a DOMException name or `TypeError`), so the
//! extension can rethrow it unchanged; it crosses to JavaScript as a plain `{name, message}` object.

use serde::Serialize;

/// The DOMException (or `TypeError`) name the page must see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum ErrorName {
    TypeError,
    NotSupportedError,
    SecurityError,
    NotAllowedError,
    InvalidStateError,
    ConstraintError,
    SyntaxError,
    UnknownError,
}

impl ErrorName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TypeError => "TypeError",
            Self::NotSupportedError => "NotSupportedError",
            Self::SecurityError => "SecurityError",
            Self::NotAllowedError => "NotAllowedError",
            Self::InvalidStateError => "InvalidStateError",
            Self::ConstraintError => "ConstraintError",
            Self::SyntaxError => "SyntaxError",
            Self::UnknownError => "UnknownError",
        }
    }
}

/// What every export throws on failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[error("{}: {message}", name.as_str())]
pub struct CoreError {
    pub name: ErrorName,
    pub message: String,
    /// Set on the SecurityError of an RP ID that its related origins might allow (WebAuthn L3 §5.11): the
    /// background fetches this RP ID's `/.well-known/webauthn` and prepares again with its `origins`.
    #[serde(rename = "relatedOriginsRpId", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub related_origins_rp_id: Option<String>,
}

impl CoreError {
    pub fn new(name: ErrorName, message: impl Into<String>) -> Self {
        Self {
            name,
            message: message.into(),
            related_origins_rp_id: None,
        }
    }
    pub fn with_related_origins_rp_id(mut self, rp_id: String) -> Self {
        self.related_origins_rp_id = Some(rp_id);
        self
    }
    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new(ErrorName::TypeError, message)
    }
    pub fn not_supported(message: impl Into<String>) -> Self {
        Self::new(ErrorName::NotSupportedError, message)
    }
    pub fn security(message: impl Into<String>) -> Self {
        Self::new(ErrorName::SecurityError, message)
    }
    pub fn not_allowed(message: impl Into<String>) -> Self {
        Self::new(ErrorName::NotAllowedError, message)
    }
    pub fn unknown(message: impl Into<String>) -> Self {
        Self::new(ErrorName::UnknownError, message)
    }
}

pub type CoreResult<T> = Result<T, CoreError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_name_and_message() {
        let json = serde_json::to_value(CoreError::security("rp.id is not allowed")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"name": "SecurityError", "message": "rp.id is not allowed"})
        );
    }

    #[test]
    fn display_names_the_exception() {
        assert_eq!(CoreError::type_error("bad").to_string(), "TypeError: bad");
    }
}
