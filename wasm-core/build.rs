//! Embeds the Public Suffix List. The list is data, not code: shipping it as text keeps the WASM far smaller than
//! crates that compile the list into code. To halve the text again, comments go, Unicode rules become their ASCII
//! `xn--` form (RP IDs are ASCII), and the rules are front-coded (see `src/public_suffix.rs`, which expands them).

use std::{env, fs, path::PathBuf};

const PSL_ENV: &str = "KEYPLACE_PSL_FILE";
const DEBIAN_PSL: &str = "/usr/share/publicsuffix/public_suffix_list.dat";
const ICANN_MARKER: &str = "===BEGIN ICANN DOMAINS===";
const PRIVATE_MARKER: &str = "===BEGIN PRIVATE DOMAINS===";
// Must match src/public_suffix.rs.
const COMPACT_ICANN_LINE: &str = "#icann";
const COMPACT_PRIVATE_LINE: &str = "#private";
const SHARED_PREFIX_BASE: u8 = b'0';
const MAX_SHARED_PREFIX: usize = 77;

#[derive(Clone, Copy, PartialEq)]
enum Section {
    Preamble,
    Icann,
    Private,
}

fn main() {
    println!("cargo:rerun-if-env-changed={PSL_ENV}");
    println!("cargo:rerun-if-changed=build.rs");
    let source = env::var_os(PSL_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEBIAN_PSL));
    println!("cargo:rerun-if-changed={}", source.display());

    let text = fs::read_to_string(&source).unwrap_or_else(|err| {
        panic!(
            "keyplace-core needs the Public Suffix List but cannot read {}: {err}. \
             Install the Debian package `publicsuffix` (apt-get install publicsuffix) \
             or set {PSL_ENV} to the path of a public_suffix_list.dat.",
            source.display()
        )
    });

    let mut section = Section::Preamble;
    let (mut icann_rules, mut private_rules) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let line = line.trim();
        if line.contains(ICANN_MARKER) {
            section = Section::Icann;
            continue;
        }
        if line.contains(PRIVATE_MARKER) {
            section = Section::Private;
            continue;
        }
        // The list format: a rule is the first whitespace-free run of a line; `//` starts a comment line.
        let Some(rule) = line.split_whitespace().next() else {
            continue;
        };
        if rule.starts_with("//") {
            continue;
        }
        let ascii_rule = to_ascii_rule(&rule.to_lowercase())
            .unwrap_or_else(|| panic!("cannot convert Public Suffix List rule {rule:?} to ASCII"));
        match section {
            Section::Icann => icann_rules.push(ascii_rule),
            Section::Private => private_rules.push(ascii_rule),
            Section::Preamble => {}
        }
    }
    if icann_rules.is_empty() || private_rules.is_empty() {
        panic!(
            "{} does not look like a Public Suffix List ({} ICANN rules, {} private rules); \
             install the Debian package `publicsuffix` or point {PSL_ENV} at public_suffix_list.dat",
            source.display(),
            icann_rules.len(),
            private_rules.len()
        );
    }

    let mut compact = String::with_capacity(text.len() / 3);
    for (marker, rules) in [
        (COMPACT_ICANN_LINE, icann_rules),
        (COMPACT_PRIVATE_LINE, private_rules),
    ] {
        compact.push_str(marker);
        compact.push('\n');
        front_code(&mut compact, rules);
    }

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("public_suffix_list.txt");
    fs::write(&out, compact).unwrap_or_else(|err| panic!("cannot write {}: {err}", out.display()));
}

/// Each rule becomes its labels in reverse order ("a.example.jp" → "jp.example.a"), the keys are sorted, and each
/// line is one character for how many leading bytes it shares with the previous key, then the rest of the key.
fn front_code(out: &mut String, rules: Vec<String>) {
    let mut keys: Vec<String> = rules
        .iter()
        .map(|rule| rule.rsplit('.').collect::<Vec<_>>().join("."))
        .collect();
    keys.sort();
    keys.dedup();
    let mut previous = String::new();
    for key in keys {
        let shared = key
            .bytes()
            .zip(previous.bytes())
            .take_while(|(a, b)| a == b)
            .count()
            .min(MAX_SHARED_PREFIX);
        out.push(char::from(SHARED_PREFIX_BASE + shared as u8));
        out.push_str(&key[shared..]);
        out.push('\n');
        previous = key;
    }
}

/// The `xn--` form of a rule, label by label: wildcard (`*`) and exception (`!`) marks are not domain
/// characters, so the rule is not handed to IDNA as a whole.
fn to_ascii_rule(rule: &str) -> Option<String> {
    let labels: Option<Vec<String>> = rule
        .split('.')
        .map(|label| {
            if label.is_ascii() {
                Some(label.to_owned())
            } else {
                idna::punycode::encode_str(label).map(|encoded| format!("xn--{encoded}"))
            }
        })
        .collect();
    labels.map(|labels| labels.join("."))
}
