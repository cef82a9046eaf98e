//! The embedded Public Suffix List (written by build.rs from `KEYPLACE_PSL_FILE`, which `xtask/psl.sh` points at
//! the list of a pinned `publicsuffixlist` release). Both the ICANN and the private sections count.
//!
//! Parsing the whole list into a `publicsuffix::List` costs about 80 ms in WASM, more than the extension's whole
//! cold-start budget. PSL matching only ever involves rules that end in the domain's own TLD, so the core parses,
//! on first use of each TLD, a `List` of just that TLD's rules (a few hundred at most) and keeps it.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Mutex, OnceLock};

use publicsuffix::{List, Psl as _};

use crate::error::{CoreError, CoreResult};

static COMPACT_LIST: &str = include_str!(concat!(env!("OUT_DIR"), "/public_suffix_list.txt"));

/// The embedded list's `// VERSION:` header, e.g. `2026-10-22_08-36-41_UTC` (its upstream release time), or
/// `unknown` for a list without one. `keyplace-host doctor` shows it.
pub const LIST_VERSION: &str =
    include_str!(concat!(env!("OUT_DIR"), "/public_suffix_list_version.txt"));

/// The embedded list's `// COMMIT:` header (the upstream publicsuffix/list commit), or `unknown`.
pub const LIST_COMMIT: &str =
    include_str!(concat!(env!("OUT_DIR"), "/public_suffix_list_commit.txt"));

// Must match build.rs.
const COMPACT_ICANN_LINE: &str = "#icann";
const COMPACT_PRIVATE_LINE: &str = "#private";
const SHARED_PREFIX_BASE: u8 = b'0';

/// Rule keys (labels in reverse order, "jp.kawasaki.*"), sorted, per section; all keys share one buffer so that
/// expanding the list is a single pass without an allocation per rule.
#[derive(Debug, Default)]
struct RuleKeys {
    bytes: Vec<u8>,
    icann: Vec<Range<usize>>,
    private: Vec<Range<usize>>,
}

impl RuleKeys {
    fn key(&self, range: &Range<usize>) -> &[u8] {
        &self.bytes[range.clone()]
    }
}

/// Undoes build.rs's front coding: each line is one character giving how many leading bytes it shares with the
/// previous key, then the rest of the key.
fn expand(compact: &str) -> Option<RuleKeys> {
    let mut keys = RuleKeys {
        bytes: Vec::with_capacity(compact.len() * 2),
        ..RuleKeys::default()
    };
    let mut in_private_section = None;
    let mut previous = 0..0;
    for line in compact.lines() {
        match line {
            COMPACT_ICANN_LINE => in_private_section = Some(false),
            COMPACT_PRIVATE_LINE => in_private_section = Some(true),
            _ => {
                let shared = usize::from(line.as_bytes().first()?.checked_sub(SHARED_PREFIX_BASE)?);
                if shared > previous.len() {
                    return None;
                }
                let start = keys.bytes.len();
                keys.bytes
                    .extend_from_within(previous.start..previous.start + shared);
                keys.bytes.extend_from_slice(line.get(1..)?.as_bytes());
                previous = start..keys.bytes.len();
                match in_private_section? {
                    false => keys.icann.push(previous.clone()),
                    true => keys.private.push(previous.clone()),
                }
            }
        }
    }
    Some(keys)
}

fn rule_keys() -> CoreResult<&'static RuleKeys> {
    static KEYS: OnceLock<Option<RuleKeys>> = OnceLock::new();
    KEYS.get_or_init(|| expand(COMPACT_LIST))
        .as_ref()
        .ok_or_else(|| CoreError::unknown("the embedded Public Suffix List is unreadable"))
}

/// The keys of one TLD: the TLD itself and everything under it (contiguous, since the keys are sorted).
fn keys_of_tld<'a>(
    keys: &'a RuleKeys,
    section: &'a [Range<usize>],
    tld: &'a str,
) -> impl Iterator<Item = &'a [u8]> {
    let tld = tld.as_bytes();
    let start = section.partition_point(|range| keys.key(range) < tld);
    section[start..]
        .iter()
        .map(|range| keys.key(range))
        .take_while(move |key| key.starts_with(tld))
        .filter(move |key| key.len() == tld.len() || key[tld.len()] == b'.')
}

/// The rules of one TLD in the standard list format, or `None` when the list has none (only the implicit `*`).
fn list_text_for_tld(keys: &RuleKeys, tld: &str) -> Option<String> {
    let mut text = String::new();
    let mut any = false;
    for (marker, section) in [
        ("// ===BEGIN ICANN DOMAINS===\n", &keys.icann),
        ("// ===BEGIN PRIVATE DOMAINS===\n", &keys.private),
    ] {
        text.push_str(marker);
        for key in keys_of_tld(keys, section, tld) {
            let labels: Vec<&str> = std::str::from_utf8(key).ok()?.rsplit('.').collect();
            text.push_str(&labels.join("."));
            text.push('\n');
            any = true;
        }
    }
    any.then_some(text)
}

/// The public suffix of a lowercase ASCII domain, including the implicit `*` rule (an unknown TLD is a suffix).
pub fn public_suffix(domain: &str) -> CoreResult<&str> {
    static LISTS: OnceLock<Mutex<HashMap<String, Option<List>>>> = OnceLock::new();
    let tld = domain.rsplit('.').next().unwrap_or(domain);
    let lists = LISTS.get_or_init(Mutex::default);
    let mut lists = lists
        .lock()
        .map_err(|_| CoreError::unknown("Public Suffix List cache is unusable"))?;
    if !lists.contains_key(tld) {
        let list = match list_text_for_tld(rule_keys()?, tld) {
            Some(text) => Some(text.parse::<List>().map_err(|err| {
                CoreError::unknown(format!(
                    "embedded Public Suffix List rules for {tld:?} are invalid: {err}"
                ))
            })?),
            None => None,
        };
        lists.insert(tld.to_owned(), list);
    }
    let suffix_len = match lists.get(tld).and_then(Option::as_ref) {
        Some(list) => list
            .suffix(domain.as_bytes())
            .map(|suffix| suffix.as_bytes().len())
            .ok_or_else(|| CoreError::unknown(format!("no public suffix for {domain:?}")))?,
        None => tld.len(),
    };
    Ok(&domain[domain.len().saturating_sub(suffix_len)..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(keys: &RuleKeys, section: &[Range<usize>]) -> Vec<String> {
        section
            .iter()
            .map(|range| String::from_utf8(keys.key(range).to_vec()).unwrap())
            .collect()
    }

    fn from_strings(icann: &[&str]) -> RuleKeys {
        let mut keys = RuleKeys::default();
        for key in icann {
            let start = keys.bytes.len();
            keys.bytes.extend_from_slice(key.as_bytes());
            keys.icann.push(start..keys.bytes.len());
        }
        keys
    }

    #[test]
    fn expands_front_coded_rules() {
        let keys = expand("#icann\n0jp\n2.kawasaki.*\n2\n#private\n0io.github\n").unwrap();
        assert_eq!(strings(&keys, &keys.icann), ["jp", "jp.kawasaki.*", "jp"]);
        assert_eq!(strings(&keys, &keys.private), ["io.github"]);
        assert!(expand("#icann\n9toolong\n").is_none());
        assert!(expand("0rule-before-any-section\n").is_none());
    }

    #[test]
    fn embedded_list_is_complete() {
        let keys = rule_keys().unwrap();
        assert!(keys.icann.len() > 6_000 && keys.private.len() > 1_500);
        let (icann, private) = (strings(keys, &keys.icann), strings(keys, &keys.private));
        assert!(
            icann.windows(2).all(|pair| pair[0] < pair[1]),
            "ICANN keys must be sorted"
        );
        for key in ["com", "uk.co", "ck.*", "ck.!www", "cn.xn--55qx5d"] {
            assert!(icann.iter().any(|k| k == key), "{key} missing");
        }
        assert!(private.iter().any(|k| k == "io.github"));
    }

    /// Fails on Debian's 2023 list (build.rs's fallback), so a test run cannot pass on a stale list. Raise the date
    /// when the pinned release in xtask/psl.sh moves on.
    #[test]
    fn embedded_list_is_current() {
        let date = LIST_VERSION.get(..10).unwrap_or(LIST_VERSION);
        assert!(
            date.len() == 10 && date >= "2026-01-01",
            "the embedded Public Suffix List is from {LIST_VERSION:?}; build with KEYPLACE_PSL_FILE set \
             (bash xtask/psl.sh prints it; xtask/xtask.sh sets it)"
        );
        assert_eq!(LIST_COMMIT.len(), 40, "{LIST_COMMIT:?} is not a git commit");
    }

    /// Rules added to the list after Debian's 2023 copy: under each, a name is its own site, not the rule's.
    #[test]
    fn rules_added_since_2024_resolve() {
        for (domain, suffix, site) in [
            // Private section.
            ("acme.notion.site", "notion.site", "acme.notion.site"),
            ("www.my-app.bolt.host", "bolt.host", "my-app.bolt.host"),
            ("node.libp2p.direct", "libp2p.direct", "node.libp2p.direct"),
            (
                "a.chair.ruhr-uni-bochum.de",
                "ruhr-uni-bochum.de",
                "chair.ruhr-uni-bochum.de",
            ),
            // ICANN section.
            (
                "www.hospital.thainguyen.vn",
                "thainguyen.vn",
                "hospital.thainguyen.vn",
            ),
            ("club.sport.eg", "sport.eg", "club.sport.eg"),
        ] {
            assert_eq!(public_suffix(domain).unwrap(), suffix, "{domain}");
            assert_eq!(crate::rp_id::registrable_domain(domain).unwrap(), site);
        }
    }

    #[test]
    fn tld_slices_are_exact() {
        let keys = from_strings(&["co", "com", "com-x.y", "com.a", "comx"]);
        let text = list_text_for_tld(&keys, "com").unwrap();
        assert_eq!(
            text,
            "// ===BEGIN ICANN DOMAINS===\ncom\na.com\n// ===BEGIN PRIVATE DOMAINS===\n"
        );
        assert_eq!(list_text_for_tld(&keys, "org"), None);
    }

    #[test]
    fn suffix_lookup_covers_icann_private_and_punycode_rules() {
        assert_eq!(public_suffix("a.example.co.uk").unwrap(), "co.uk");
        assert_eq!(public_suffix("foo.github.io").unwrap(), "github.io");
        assert_eq!(public_suffix("example.unknowntld").unwrap(), "unknowntld");
        assert_eq!(public_suffix("localhost").unwrap(), "localhost");
        // `公司.cn` is listed in Unicode; build.rs stores it as `xn--55qx5d.cn`.
        assert_eq!(
            public_suffix("shop.xn--55qx5d.cn").unwrap(),
            "xn--55qx5d.cn"
        );
        // Wildcard `*.ck` and exception `!www.ck`.
        assert_eq!(public_suffix("a.foo.ck").unwrap(), "foo.ck");
        assert_eq!(public_suffix("www.ck").unwrap(), "ck");
        assert_eq!(
            public_suffix("bucket.s3.amazonaws.com").unwrap(),
            "s3.amazonaws.com"
        );
        assert_eq!(public_suffix("example.com").unwrap(), "com");
    }
}
