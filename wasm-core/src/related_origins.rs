//! Related origin requests (WebAuthn L3 §5.11): an RP ID that is not a registrable suffix of the caller's origin
//! is still allowed when the RP ID's `https://{rpId}/.well-known/webauthn` lists the caller's origin. The core
//! does no I/O: the background fetches the document and passes its `origins` here; this is the spec's
//! "related origins validation procedure" over that list.

use std::collections::BTreeSet;

use crate::origin::{Host, Origin};
use crate::public_suffix::public_suffix;

/// The spec's maxLabels: at most this many distinct registrable-domain labels (the "example" of `example.co.uk`)
/// are considered, so one document cannot vouch for the whole web. Chromium uses 5, the spec's minimum.
pub const MAX_LABELS: usize = 5;

/// The label of a host: its registrable domain without the public suffix (`login.example.co.uk` → `example`).
/// None for IP addresses and for hosts that are themselves a public suffix.
fn label_of(host: &Host) -> Option<String> {
    let Host::Domain(domain) = host else {
        return None;
    };
    let suffix = public_suffix(domain).ok()?;
    let above_suffix = domain.strip_suffix(suffix)?.strip_suffix('.')?;
    above_suffix.rsplit('.').next().map(str::to_owned)
}

/// One entry of the document's `origins`: an origin, optionally written as a URL with an empty path ("/").
fn parse_listed_origin(text: &str) -> Option<Origin> {
    let text = text.strip_suffix('/').unwrap_or(text);
    Origin::parse(text).ok()
}

/// The related origins validation procedure (§5.11.1 steps after the fetch): true when `caller` is one of
/// `origins`, counting at most [`MAX_LABELS`] distinct labels in the order listed.
pub fn related_origin_allowed(caller: &Origin, origins: &[String]) -> bool {
    let mut labels_seen = BTreeSet::new();
    for entry in origins {
        // Unparseable entries and entries without a registrable label are skipped, not fatal.
        let Some(listed) = parse_listed_origin(entry) else {
            continue;
        };
        let Some(label) = label_of(&listed.host) else {
            continue;
        };
        if labels_seen.len() >= MAX_LABELS && !labels_seen.contains(&label) {
            continue;
        }
        if listed == *caller {
            return true;
        }
        if labels_seen.len() < MAX_LABELS {
            labels_seen.insert(label);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(text: &str) -> Origin {
        Origin::parse(text).unwrap()
    }

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_listed_origin_is_allowed_exactly() {
        let origins = list(&[
            "https://accountscenter.facebook.com",
            "https://www.instagram.com/",
        ]);
        assert!(related_origin_allowed(
            &caller("https://accountscenter.facebook.com"),
            &origins
        ));
        assert!(related_origin_allowed(
            &caller("https://www.instagram.com"),
            &origins
        ));
        // Same host, other scheme or port: another origin.
        assert!(!related_origin_allowed(
            &caller("http://accountscenter.facebook.com"),
            &origins
        ));
        assert!(!related_origin_allowed(
            &caller("https://accountscenter.facebook.com:8443"),
            &origins
        ));
        assert!(!related_origin_allowed(
            &caller("https://facebook.com"),
            &origins
        ));
    }

    #[test]
    fn ports_and_default_ports_compare_as_origins() {
        let origins = list(&[
            "https://login.example.test:8443",
            "https://other.example:443",
        ]);
        assert!(related_origin_allowed(
            &caller("https://login.example.test:8443"),
            &origins
        ));
        assert!(related_origin_allowed(
            &caller("https://other.example"),
            &origins
        ));
    }

    #[test]
    fn at_most_five_labels_count() {
        let origins = list(&[
            "https://a.com",
            "https://b.com",
            "https://www.b.co.uk", // label "b" again: not a new one
            "https://c.com",
            "https://d.com",
            "https://e.com",
            "https://f.com",       // a sixth label: skipped
            "https://login.c.net", // label "c", already seen: still considered
        ]);
        assert!(related_origin_allowed(&caller("https://e.com"), &origins));
        assert!(related_origin_allowed(
            &caller("https://www.b.co.uk"),
            &origins
        ));
        assert!(!related_origin_allowed(&caller("https://f.com"), &origins));
        assert!(related_origin_allowed(
            &caller("https://login.c.net"),
            &origins
        ));
    }

    #[test]
    fn junk_entries_are_skipped_and_never_count_as_labels() {
        let origins = list(&[
            "not a url",
            "https://co.uk",
            "https://127.0.0.1",
            "https://a.com/path",
            "",
            "https://1.com",
            "https://2.com",
            "https://3.com",
            "https://4.com",
            "https://wanted.example",
        ]);
        assert!(related_origin_allowed(
            &caller("https://wanted.example"),
            &origins
        ));
        assert!(!related_origin_allowed(
            &caller("https://127.0.0.1"),
            &origins
        ));
        assert!(!related_origin_allowed(&caller("https://a.com"), &origins));
    }

    #[test]
    fn labels_come_from_the_public_suffix_list() {
        assert_eq!(
            label_of(&Host::Domain("login.example.co.uk".into())).as_deref(),
            Some("example")
        );
        assert_eq!(
            label_of(&Host::Domain("foo.github.io".into())).as_deref(),
            Some("foo")
        );
        assert_eq!(label_of(&Host::Domain("github.io".into())), None);
        assert_eq!(label_of(&Host::IpAddress("127.0.0.1".into())), None);
    }
}
