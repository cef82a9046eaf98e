//! A failure answer: its code, the words for a person, and typed details. The words themselves live in
//! service/errors.rs.

use serde::{Deserialize, Serialize};
#[cfg(test)]
use ts_rs::TS;

/// What went wrong, for the extension to act on (PROTOCOL.md, "Error codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(TS))]
pub enum ErrorCode {
    BadRequest,
    UnknownMethod,
    NotFound,
    PinRequired,
    WrongPin,
    /// The hardware refuses every PIN for a while after too many wrong ones.
    Locked,
    Excluded,
    RpMismatch,
    StoreUnavailable,
    Internal,
}

/// What a failure tells besides its message; every field is left out when unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ErrorDetails {
    /// `pin_required`: why a PIN is needed (`set_pin`, `unlock`, `user_verification`, `set_key_pin`, `key_pin`);
    /// `store_unavailable`: why the store cannot be used, in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub reason: Option<String>,
    /// `wrong_pin`, `locked`: about how long until the chip accepts a PIN again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub retry_after_seconds: Option<u64>,
    /// `wrong_pin` on hardware: how many more wrong PINs the chip accepts before it locks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub tries_left: Option<u32>,
}

impl ErrorDetails {
    pub fn is_empty(&self) -> bool {
        *self == ErrorDetails::default()
    }
}

/// A failure answer; `details` is sent only when it has something in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "ErrorDetails::is_empty")]
    #[cfg_attr(test, ts(optional, as = "Option<ErrorDetails>"))]
    pub details: ErrorDetails,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            code,
            message: message.into(),
            details: ErrorDetails::default(),
        }
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.details.reason = Some(reason.into());
        self
    }

    pub fn with_tries_left(mut self, tries_left: Option<u32>) -> Self {
        self.details.tries_left = tries_left;
        self
    }

    pub fn with_retry_after_seconds(mut self, seconds: Option<u64>) -> Self {
        self.details.retry_after_seconds = seconds;
        self
    }
}
