//! Embeds the Public Suffix List. The list is data, not code: shipping it as text keeps the WASM far smaller than
//! crates that compile the list into code. To halve the text again, comments go, Unicode rules become their ASCII
//! `xn--` form (RP IDs are ASCII), and the rules are front-coded (see `src/public_suffix.rs`, which expands them).
//!
//! The list is the file named by `KEYPLACE_PSL_FILE`, which `xtask/psl.sh` (called by `xtask/xtask.sh`) sets to the
//! current list of a pinned `publicsuffixlist` release. Without it the build falls back to Debian's `publicsuffix`
//! package, with a warning: that list is years old, and the test `public_suffix::tests::embedded_list_is_current`
//! fails on it, so no test run passes on a stale list.

use std::{env, fs, path::PathBuf};

const PSL_ENV: &str = "KEYPLACE_PSL_FILE";
const DEBIAN_PSL: &str = "/usr/share/publicsuffix/public_suffix_list.dat";
const ICANN_MARKER: &str = "===BEGIN ICANN DOMAINS===";
const PRIVATE_MARKER: &str = "===BEGIN PRIVATE DOMAINS===";
const VERSION_HEADER: &str = "// VERSION:";
const COMMIT_HEADER: &str = "// COMMIT:";
/// What `public_suffix::LIST_VERSION` says for a list without a `// VERSION:` header (Debian's has none).
const UNKNOWN_VERSION: &str = "unknown";
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
    let source = match env::var_os(PSL_ENV).filter(|path| !path.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => {
            println!(
                "cargo:warning={PSL_ENV} is not set: embedding Debian's STALE Public Suffix List ({DEBIAN_PSL}). \
                 Build through xtask/xtask.sh, or run `bash xtask/psl.sh` and export the {PSL_ENV} it prints; \
                 keyplace-core's test embedded_list_is_current fails until then."
            );
            PathBuf::from(DEBIAN_PSL)
        }
    };
    println!("cargo:rerun-if-changed={}", source.display());

    let text = fs::read_to_string(&source).unwrap_or_else(|err| {
        panic!(
            "keyplace-core needs the Public Suffix List but cannot read {}: {err}. \
             Run `bash xtask/psl.sh` and set {PSL_ENV} to the path it prints \
             (xtask/xtask.sh does both).",
            source.display()
        )
    });
    let header = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .unwrap_or(UNKNOWN_VERSION)
            .to_owned()
    };
    let (version, commit) = (header(VERSION_HEADER), header(COMMIT_HEADER));

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
             run `bash xtask/psl.sh` and point {PSL_ENV} at the public_suffix_list.dat it prints",
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

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for (name, contents) in [
        ("public_suffix_list.txt", compact),
        ("public_suffix_list_version.txt", version),
        ("public_suffix_list_commit.txt", commit),
    ] {
        let out = out_dir.join(name);
        fs::write(&out, contents)
            .unwrap_or_else(|err| panic!("cannot write {}: {err}", out.display()));
    }
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
