//! keyplace-host as a library: what the `keyplace-host` binary (src/main.rs), its integration tests and the
//! benchmark example share. The binary is a thin entry point; everything it does lives here.

pub mod caller;
pub mod cli;
pub mod data_dir;
pub mod devices;
pub mod import;
pub mod log;
pub mod metadata;
pub mod protocol;
pub mod service;
pub mod stores;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
pub mod transport;
