//! keyplace-core: the WebAuthn Level 3 client logic and authenticator-data encoding of the Keyplace extension.
//!
//! Pure Rust and free of I/O and randomness: the extension's background script calls it (through [`wasm`]) to
//! validate a page's request against the origin the browser reported, to build clientDataJSON, and to assemble the
//! responses around keys that the native host creates and uses. Every function returns a typed [`CoreError`]
//! whose name is the DOMException the page must see; none panics on any input.

pub mod authenticator_data;
pub mod bytes;
pub mod client_data;
pub mod cose;
pub mod cred_blob;
pub mod error;
pub mod get_assertion;
pub mod inspect;
pub mod make_credential;
pub mod options;
pub mod origin;
pub mod prf;
pub mod public_suffix;
pub mod related_origins;
pub mod rp_id;
pub mod signal;
pub mod webidl;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod typescript;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{CoreError, CoreResult, ErrorName};
pub use get_assertion::{assertion_authenticator_data, finish_get, prepare_get};
pub use inspect::{inspect_authenticator_data, inspect_registration};
pub use make_credential::{finish_create, prepare_create, registration_authenticator_data};
pub use options::decode;
pub use signal::check_signal;
