//! RP ID validation: "is a registrable domain suffix of or is equal to" (HTML standard) with the embedded Public
//! Suffix List. Both the ICANN and the private sections count, so `foo.github.io` cannot claim `github.io`.

use crate::error::{CoreError, CoreResult};
use crate::origin::{parse_host, Host, HostProblem, Origin};
use crate::public_suffix::public_suffix;
use crate::related_origins::related_origin_allowed;

/// HTML's "is a registrable domain suffix of or is equal to", for an already-parsed original host that is a
/// domain. `candidate` is the unparsed rp.id string.
fn is_registrable_suffix_or_equal(candidate: &str, original: &str) -> CoreResult<Option<String>> {
    let host = match parse_host(candidate) {
        Ok(Host::Domain(host)) => host,
        Ok(Host::IpAddress(_))
        | Err(HostProblem::Empty | HostProblem::NotAscii | HostProblem::Malformed) => {
            return Ok(None)
        }
    };
    if host == original {
        return Ok(Some(host));
    }
    if !original.ends_with(&format!(".{host}")) {
        return Ok(None);
    }
    if public_suffix(&host)? == host {
        return Ok(None);
    }
    if public_suffix(original)?.ends_with(&format!(".{host}")) {
        return Ok(None);
    }
    Ok(Some(host))
}

/// A ceremony's requested RP ID must already be in its canonical form (lowercase, punycode): Chromium compares it
/// as given and refuses "EXAMPLE.com" with SecurityError, where the HTML algorithm (and Firefox) would parse it
/// first. Refused here, such a request goes to the browser, which answers it as it does (ARCHITECTURE.md rule 9).
pub fn require_canonical(requested: Option<&str>) -> CoreResult<()> {
    match (requested, requested.map(parse_host)) {
        (Some(text), Some(Ok(Host::Domain(host)))) if host != text => Err(CoreError::security(
            format!("the RP ID {text:?} is not in its canonical form {host:?}"),
        )),
        _ => Ok(()),
    }
}

/// Resolves the RP ID for a ceremony: the requested one if it is the effective domain or a registrable suffix of
/// it (returned lowercased), else SecurityError; without one, the effective domain.
pub fn resolve_rp_id(requested: Option<&str>, effective_domain: &str) -> CoreResult<String> {
    let Some(requested) = requested else {
        return Ok(effective_domain.to_owned());
    };
    is_registrable_suffix_or_equal(requested, effective_domain)?.ok_or_else(|| {
        CoreError::security(format!(
            "the RP ID {requested:?} is not a registrable domain suffix of, nor equal to, {effective_domain:?}"
        ))
    })
}

/// [`resolve_rp_id`] with WebAuthn L3's related origin requests (§5.1.3 step 8, §5.1.4.1 step 7): a requested RP
/// ID that is a domain but not a registrable suffix of the caller is allowed when `related_origins` (the `origins`
/// of its `/.well-known/webauthn`, fetched by the background) lists the caller. Without that list, the
/// SecurityError names the RP ID whose document the background should fetch before asking again.
pub fn resolve_rp_id_or_related(
    requested: Option<&str>,
    caller: &Origin,
    effective_domain: &str,
    related_origins: Option<&[String]>,
) -> CoreResult<String> {
    let err = match resolve_rp_id(requested, effective_domain) {
        Ok(rp_id) => return Ok(rp_id),
        Err(err) => err,
    };
    // Only a domain can have a well-known document; anything else stays refused.
    let Some(Ok(Host::Domain(rp_id))) = requested.map(parse_host) else {
        return Err(err);
    };
    match related_origins {
        None => Err(err.with_related_origins_rp_id(rp_id)),
        Some(origins) if related_origin_allowed(caller, origins) => Ok(rp_id),
        Some(_) => Err(CoreError::security(format!(
            "the RP ID {rp_id:?} does not list {} among its related origins",
            caller.serialize()
        ))),
    }
}

/// The site a person thinks of for an RP ID: its registrable domain (public suffix plus one label), e.g.
/// `login.bank.co.uk` → `bank.co.uk`. A host that is itself a public suffix (`localhost`) is its own site. Used
/// for per-site rules, never for security decisions.
pub fn registrable_domain(rp_id: &str) -> CoreResult<String> {
    let host = match parse_host(rp_id) {
        Ok(Host::Domain(host)) => host,
        _ => return Err(CoreError::type_error(format!("{rp_id:?} is not a domain"))),
    };
    let suffix = public_suffix(&host)?;
    if suffix.len() >= host.len() {
        return Ok(host);
    }
    let above_suffix = &host[..host.len() - suffix.len() - 1];
    let label = above_suffix.rsplit('.').next().unwrap_or(above_suffix);
    Ok(format!("{label}.{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ceremony_s_rp_id_must_be_canonical() {
        assert!(require_canonical(Some("example.com")).is_ok());
        assert!(require_canonical(None).is_ok());
        assert!(require_canonical(Some("")).is_ok()); // refused later, by resolve_rp_id
        let err = require_canonical(Some("Example.COM")).unwrap_err();
        assert_eq!(err.name, crate::error::ErrorName::SecurityError);
    }
    use crate::error::ErrorName;

    fn refused(requested: &str, domain: &str) -> bool {
        resolve_rp_id(Some(requested), domain).map_err(|e| e.name) == Err(ErrorName::SecurityError)
    }

    #[test]
    fn registrable_domain_is_the_site_a_person_means() {
        assert_eq!(
            registrable_domain("login.bank.example").unwrap(),
            "bank.example"
        );
        assert_eq!(registrable_domain("a.b.bank.co.uk").unwrap(), "bank.co.uk");
        assert_eq!(registrable_domain("Bank.CO.uk").unwrap(), "bank.co.uk");
        assert_eq!(
            registrable_domain("foo.github.io").unwrap(),
            "foo.github.io"
        );
        assert_eq!(registrable_domain("localhost").unwrap(), "localhost");
        assert_eq!(registrable_domain("a.localhost").unwrap(), "a.localhost");
        assert_eq!(registrable_domain("co.uk").unwrap(), "co.uk");
        assert!(registrable_domain("127.0.0.1").is_err());
        assert!(registrable_domain("").is_err());
    }

    #[test]
    fn equal_and_registrable_suffixes_are_allowed() {
        assert_eq!(
            resolve_rp_id(Some("example.com"), "example.com").unwrap(),
            "example.com"
        );
        assert_eq!(
            resolve_rp_id(Some("example.com"), "login.example.com").unwrap(),
            "example.com"
        );
        assert_eq!(
            resolve_rp_id(Some("Example.COM"), "a.b.example.com").unwrap(),
            "example.com"
        );
        assert_eq!(
            resolve_rp_id(Some("example.co.uk"), "a.example.co.uk").unwrap(),
            "example.co.uk"
        );
        assert_eq!(
            resolve_rp_id(None, "login.example.com").unwrap(),
            "login.example.com"
        );
        assert_eq!(
            resolve_rp_id(Some("localhost"), "localhost").unwrap(),
            "localhost"
        );
        assert_eq!(
            resolve_rp_id(Some("github.io"), "github.io").unwrap(),
            "github.io"
        );
    }

    #[test]
    fn related_origins_allow_a_foreign_rp_id_only_when_listed() {
        let caller = Origin::parse("https://accountscenter.facebook.com").unwrap();
        let domain = "accountscenter.facebook.com";
        let err =
            resolve_rp_id_or_related(Some("accounts.meta.com"), &caller, domain, None).unwrap_err();
        assert_eq!(err.name, ErrorName::SecurityError);
        assert_eq!(
            err.related_origins_rp_id.as_deref(),
            Some("accounts.meta.com")
        );

        let listed = vec!["https://accountscenter.facebook.com".to_owned()];
        let allowed =
            resolve_rp_id_or_related(Some("Accounts.Meta.com"), &caller, domain, Some(&listed));
        assert_eq!(allowed.unwrap(), "accounts.meta.com");

        let other = vec!["https://www.instagram.com".to_owned()];
        let refused =
            resolve_rp_id_or_related(Some("accounts.meta.com"), &caller, domain, Some(&other))
                .unwrap_err();
        assert_eq!(refused.name, ErrorName::SecurityError);
        assert_eq!(refused.related_origins_rp_id, None);
    }

    #[test]
    fn related_origins_never_rescue_what_is_no_domain_or_already_fine() {
        let caller = Origin::parse("https://login.example.com").unwrap();
        let listed = vec!["https://login.example.com".to_owned()];
        for bad in ["127.0.0.1", "", "exämple.com", "[::1]"] {
            let err =
                resolve_rp_id_or_related(Some(bad), &caller, "login.example.com", Some(&listed))
                    .unwrap_err();
            assert_eq!(err.name, ErrorName::SecurityError, "{bad:?}");
            assert_eq!(err.related_origins_rp_id, None, "{bad:?}");
        }
        let same =
            resolve_rp_id_or_related(Some("example.com"), &caller, "login.example.com", None);
        assert_eq!(same.unwrap(), "example.com");
    }

    #[test]
    fn public_suffixes_are_refused_in_both_sections() {
        assert!(refused("github.io", "foo.github.io"));
        assert!(refused("co.uk", "a.example.co.uk"));
        assert!(refused("com", "example.com"));
        assert!(refused("localhost", "app.localhost"));
        // Wildcard rule `*.ck`: any second-level name under ck is itself a public suffix.
        assert!(refused("foo.ck", "a.foo.ck"));
    }

    #[test]
    fn foreign_narrower_and_non_domains_are_refused() {
        assert!(refused("evil.com", "example.com"));
        assert!(refused("notexample.com", "example.com"));
        assert!(refused("login.example.com", "example.com"));
        assert!(refused("", "example.com"));
        assert!(refused("127.0.0.1", "127.0.0.1"));
        assert!(refused("[::1]", "example.com"));
        assert!(refused("exämple.com", "exämple.com"));
        assert!(refused("example.com.", "a.example.com"));
    }
}
