//! Logging to stderr only (stdout is the browser's channel). Quiet unless `KEYPLACE_LOG=debug`.
//! Never pass PINs, keys, key blobs or request params to these.

use std::sync::OnceLock;

pub fn debug_enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| {
        std::env::var("KEYPLACE_LOG")
            .map(|v| v.eq_ignore_ascii_case("debug"))
            .unwrap_or(false)
    })
}

#[macro_export]
#[doc(hidden)]
macro_rules! __keyplace_debug {
    ($($arg:tt)*) => {
        if $crate::log::debug_enabled() {
            eprintln!("keyplace-host: {}", format_args!($($arg)*));
        }
    };
}

#[macro_export]
#[doc(hidden)]
macro_rules! __keyplace_warning {
    ($($arg:tt)*) => {
        eprintln!("keyplace-host: {}", format_args!($($arg)*))
    };
}

pub use crate::{__keyplace_debug as debug, __keyplace_warning as warning};
