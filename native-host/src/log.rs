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

macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::log::debug_enabled() {
            eprintln!("keyplace-host: {}", format_args!($($arg)*));
        }
    };
}

macro_rules! warning {
    ($($arg:tt)*) => {
        eprintln!("keyplace-host: {}", format_args!($($arg)*))
    };
}

pub(crate) use {debug, warning};
