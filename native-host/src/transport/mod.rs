//! The browser port: framed JSON over stdin/stdout, many requests in flight at once.

pub mod framing;
mod serve;

pub use serve::{serve, Handler};
