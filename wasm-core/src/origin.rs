//! Origins and hosts as the core needs them: the caller's origin comes from the browser (never from the page), is
//! parsed strictly, and must be a secure context with a domain (not an IP address) for WebAuthn.

use crate::error::{CoreError, CoreResult};

const MAX_DOMAIN_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Domain(String),
    /// IPv4 or bracketed IPv6, kept in its serialized form; never a valid effective domain for WebAuthn.
    IpAddress(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostProblem {
    Empty,
    NotAscii,
    Malformed,
}

/// Parses a host the way the URL standard would for the inputs that matter here: ASCII only (no IDNA, RP IDs
/// must already be in `xn--` form), uppercase folded, IPv4-looking names (last label numeric) and `[...]` are
/// IP addresses.
pub fn parse_host(text: &str) -> Result<Host, HostProblem> {
    if text.is_empty() {
        return Err(HostProblem::Empty);
    }
    if !text.is_ascii() {
        return Err(HostProblem::NotAscii);
    }
    let lower = text.to_ascii_lowercase();
    if let Some(inner) = lower
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
    {
        let ipv6_chars = |c: char| c.is_ascii_hexdigit() || c == ':' || c == '.';
        return if inner.contains(':') && inner.chars().all(ipv6_chars) {
            Ok(Host::IpAddress(lower))
        } else {
            Err(HostProblem::Malformed)
        };
    }
    if lower.len() > MAX_DOMAIN_LEN {
        return Err(HostProblem::Malformed);
    }
    let labels: Vec<&str> = lower.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= MAX_LABEL_LEN
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    // A trailing dot ("example.com.") is a different host to the URL standard; no RP uses it, so refuse it.
    if !labels.iter().all(label_ok) {
        return Err(HostProblem::Malformed);
    }
    let last = labels.last().copied().unwrap_or_default();
    if looks_numeric(last) {
        return Ok(Host::IpAddress(lower));
    }
    Ok(Host::Domain(lower))
}

/// The URL standard treats a host whose last label is a number (decimal or 0x-hex) as IPv4 (or a failure).
fn looks_numeric(label: &str) -> bool {
    let hex = label.strip_prefix("0x");
    match hex {
        Some(digits) => digits.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !label.is_empty() && label.bytes().all(|b| b.is_ascii_digit()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub host: Host,
    pub port: Option<u16>,
}

pub const OPAQUE_ORIGIN: &str = "null";

impl Origin {
    /// Parses a serialized tuple origin (`scheme://host[:port]`). The opaque origin `"null"` gives NotAllowedError,
    /// the error the spec returns for opaque callers; anything else malformed is a TypeError.
    pub fn parse(text: &str) -> CoreResult<Origin> {
        if text == OPAQUE_ORIGIN {
            return Err(CoreError::not_allowed(
                "the calling document has an opaque origin",
            ));
        }
        let malformed = || CoreError::type_error(format!("{text:?} is not a serialized origin"));
        let (scheme, rest) = text.split_once("://").ok_or_else(malformed)?;
        let scheme_ok = scheme
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if !scheme_ok || rest.contains(['/', '?', '#', '@', '\\']) {
            return Err(malformed());
        }
        let (host_text, port_text) = match rest.rfind(':') {
            Some(colon) if !rest.ends_with(']') => (&rest[..colon], Some(&rest[colon + 1..])),
            _ => (rest, None),
        };
        let host = parse_host(host_text).map_err(|_| malformed())?;
        let scheme = scheme.to_ascii_lowercase();
        let port = match port_text {
            None => None,
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                let port: u16 = digits.parse().map_err(|_| malformed())?;
                (Some(port) != default_port(&scheme)).then_some(port)
            }
            Some(_) => return Err(malformed()),
        };
        Ok(Origin { scheme, host, port })
    }

    pub fn serialize(&self) -> String {
        let host = match &self.host {
            Host::Domain(name) | Host::IpAddress(name) => name,
        };
        match self.port {
            Some(port) => format!("{}://{host}:{port}", self.scheme),
            None => format!("{}://{host}", self.scheme),
        }
    }

    /// WebAuthn is exposed only in secure contexts: https, or http on `localhost` / `*.localhost`.
    /// (http on a loopback IP is also secure to browsers, but IP addresses are refused at the next step anyway.)
    pub fn is_secure_context(&self) -> bool {
        match (self.scheme.as_str(), &self.host) {
            ("https", _) => true,
            ("http", Host::Domain(name)) => name == "localhost" || name.ends_with(".localhost"),
            _ => false,
        }
    }

    /// The effective domain, which must be a domain: IP addresses give SecurityError.
    pub fn effective_domain(&self) -> CoreResult<&str> {
        match &self.host {
            Host::Domain(name) => Ok(name),
            Host::IpAddress(ip) => Err(CoreError::security(format!(
                "the origin's host {ip} is an IP address, not a valid domain"
            ))),
        }
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    }
}

/// The caller checks shared by create and get: opaque → NotAllowedError, insecure → SecurityError, IP →
/// SecurityError. Returns the parsed origin and its effective domain.
pub fn caller_origin(text: &str) -> CoreResult<(Origin, String)> {
    let origin = Origin::parse(text)?;
    if !origin.is_secure_context() {
        return Err(CoreError::security(format!(
            "{} is not a secure context (https, or http on localhost)",
            origin.serialize()
        )));
    }
    let domain = origin.effective_domain()?.to_owned();
    Ok((origin, domain))
}

/// The top-level origin as it goes into clientDataJSON; a sandboxed top-level document is serialized as "null".
pub fn serialize_top_origin(text: &str) -> CoreResult<String> {
    if text == OPAQUE_ORIGIN {
        return Ok(OPAQUE_ORIGIN.to_owned());
    }
    Origin::parse(text).map(|origin| origin.serialize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorName;

    fn name_of(text: &str) -> ErrorName {
        caller_origin(text).unwrap_err().name
    }

    #[test]
    fn secure_domains_pass_and_serialize_canonically() {
        let (origin, domain) = caller_origin("https://Login.Example.com:443").unwrap();
        assert_eq!(domain, "login.example.com");
        assert_eq!(origin.serialize(), "https://login.example.com");
        let (origin, domain) = caller_origin("http://localhost:8080").unwrap();
        assert_eq!(
            (origin.serialize().as_str(), domain.as_str()),
            ("http://localhost:8080", "localhost")
        );
        assert_eq!(
            caller_origin("http://app.localhost").unwrap().1,
            "app.localhost"
        );
    }

    #[test]
    fn insecure_and_ip_origins_are_security_errors() {
        assert_eq!(name_of("http://example.com"), ErrorName::SecurityError);
        assert_eq!(name_of("https://127.0.0.1"), ErrorName::SecurityError);
        assert_eq!(name_of("https://[::1]:8443"), ErrorName::SecurityError);
        assert_eq!(name_of("http://[::1]"), ErrorName::SecurityError);
        assert_eq!(name_of("https://0x7f.1"), ErrorName::SecurityError);
        assert_eq!(name_of("ftp://example.com"), ErrorName::SecurityError);
    }

    #[test]
    fn opaque_origin_is_not_allowed() {
        assert_eq!(name_of("null"), ErrorName::NotAllowedError);
    }

    #[test]
    fn malformed_origins_are_type_errors() {
        for text in [
            "",
            "example.com",
            "https://",
            "https://example.com/",
            "https://example.com/path",
            "https://user@example.com",
            "https://example.com:",
            "https://example.com:99999",
            "https://exa mple.com",
            "https://exämple.com",
            "https://example..com",
            "https://example.com.",
            "https://[zz]",
        ] {
            assert_eq!(name_of(text), ErrorName::TypeError, "{text:?}");
        }
    }

    #[test]
    fn host_parsing() {
        assert_eq!(
            parse_host("EXAMPLE.com"),
            Ok(Host::Domain("example.com".into()))
        );
        assert_eq!(
            parse_host("10.0.0.1"),
            Ok(Host::IpAddress("10.0.0.1".into()))
        );
        assert_eq!(parse_host("127.1"), Ok(Host::IpAddress("127.1".into())));
        assert_eq!(
            parse_host("1e100.net"),
            Ok(Host::Domain("1e100.net".into()))
        );
        assert_eq!(parse_host("bücher.de"), Err(HostProblem::NotAscii));
        assert_eq!(parse_host(""), Err(HostProblem::Empty));
        assert_eq!(parse_host(&"a".repeat(64)), Err(HostProblem::Malformed));
    }

    #[test]
    fn top_origin_keeps_opaque_and_normalizes_tuples() {
        assert_eq!(serialize_top_origin("null").unwrap(), "null");
        assert_eq!(
            serialize_top_origin("https://Top.example:443").unwrap(),
            "https://top.example"
        );
        assert!(serialize_top_origin("nonsense").is_err());
    }
}
