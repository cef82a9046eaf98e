//! "Arrive with your passkeys" through the real binary, in a temporary KEYPLACE_DATA_DIR: `keyplace-host import`
//! lists a CXF export and imports the picked passkey into a real vault; the host then signs for it (its `sign`
//! path) and the signature verifies with the public key of the file's own private key, at counter 0 with BE and BS.

mod common;

use std::io::Write;
use std::process::{Output, Stdio};

use common::{authenticator_data, b64, unb64, Env, ORIGIN};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePrivateKey;
use serde_json::{json, Value};

/// A new vault's PIN without a TPM: 6 characters at least (the consent window's policy).
const PIN: &str = "472913";
const EXPORT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/cxf/export.json"
);

/// `keyplace-host import …` with `stdin` as its standard input.
fn import(env: &Env, args: &[&str], stdin: &str) -> Output {
    let mut child = env
        .command()
        .arg("import")
        .arg(EXPORT)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The public key of the file's first passkey, from the PKCS#8 private key in the file.
fn public_key_in_file() -> VerifyingKey {
    let export: Value = serde_json::from_str(&std::fs::read_to_string(EXPORT).unwrap()).unwrap();
    let key = unb64(&export["accounts"][0]["items"][0]["credentials"][0]["key"]);
    VerifyingKey::from(p256::SecretKey::from_pkcs8_der(&key).unwrap().public_key())
}

#[test]
fn the_cli_imports_the_picked_passkey_and_the_host_signs_with_the_files_key() {
    let env = Env::new();
    env.install();

    let listed = import(&env, &[], "");
    assert!(listed.status.success(), "{}", text(&listed));
    let said = text(&listed);
    assert!(said.contains("3 passkeys from Exporter"), "{said}");
    assert!(
        said.contains("1. example.com — jane_smith (Jane Smith), in the account jane_smith"),
        "{said}"
    );
    assert!(
        said.contains("3. ed25519.example — jane (Jane), in the account jane_smith: cannot import: its key is Ed25519"),
        "{said}"
    );
    assert!(said.contains("--all, --pick 1,3 or --site"), "{said}");

    // Without --yes and without a terminal to ask on, nothing happens.
    let unconfirmed = import(&env, &["--pick", "1", "--pin-stdin"], &format!("{PIN}\n"));
    assert!(!unconfirmed.status.success());
    assert!(
        text(&unconfirmed).contains("--yes"),
        "{}",
        text(&unconfirmed)
    );
    let missing = import(&env, &["--pick", "7", "--pin-stdin", "--yes"], "");
    assert!(
        text(&missing).contains("no passkey 7"),
        "{}",
        text(&missing)
    );

    let short = import(&env, &["--pick", "1", "--pin-stdin", "--yes"], "4729\n");
    assert!(!short.status.success());
    assert!(
        text(&short).contains("at least 6 characters"),
        "{}",
        text(&short)
    );

    let started = std::time::Instant::now();
    let imported = import(
        &env,
        &["--pick", "1,3", "--pin-stdin", "--yes"],
        &format!("{PIN}\n"),
    );
    eprintln!(
        "import of one passkey with a new vault PIN: {:?}",
        started.elapsed()
    );
    assert!(imported.status.success(), "{}", text(&imported));
    let said = text(&imported);
    assert!(
        said.contains("Imported 1 passkey from Exporter into the Keyplace vault on this computer."),
        "{said}"
    );
    assert!(said.contains("delete it"), "{said}");

    let mut host = env.start(ORIGIN);
    let listed = host.call(1, "list", json!({"slim": true}));
    let rows = listed["result"]["credentials"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{listed}");
    assert_eq!(rows[0]["imported_from"], "Exporter");
    assert_eq!(rows[0]["rp_id"], "example.com");
    let id = rows[0]["credential_id"].clone();
    assert_eq!(unb64(&id), b"credential-example");

    let public_key = public_key_in_file();
    for (request, pin) in [(2, Some(PIN)), (3, None)] {
        let client_data_hash = [request as u8; 32];
        let signed = host.call(
            request,
            "sign",
            json!({"credential_id": id, "authenticator_data": b64(&authenticator_data("example.com")),
                   "client_data_hash": b64(&client_data_hash), "pin": pin,
                   "require_user_verification": pin.is_some()}),
        );
        let result = &signed["result"];
        assert_eq!(result["sign_count"], 0, "{signed}");
        assert_eq!(unb64(&result["user_handle"]), b"user-handle-1");
        let data = unb64(&result["authenticator_data"]);
        let uv = if pin.is_some() { 0x04 } else { 0 };
        assert_eq!(
            data[32],
            0x01 | uv | 0x08 | 0x10,
            "UP, UV with the PIN, BE, BS"
        );
        assert_eq!(data[33..37], [0, 0, 0, 0], "the counter stays 0");
        let signature = Signature::from_der(&unb64(&result["signature"])).unwrap();
        public_key
            .verify(&[data, client_data_hash.to_vec()].concat(), &signature)
            .unwrap();
    }
    let (status, _) = host.close();
    assert!(status.success());

    // `list` of the CLI says where it came from; a second import skips what is here already.
    let cli_list = env.cli(&["list"]);
    assert!(
        text(&cli_list).contains("imported from Exporter"),
        "{}",
        text(&cli_list)
    );
    let again = import(
        &env,
        &["--all", "--pin-stdin", "--yes"],
        &format!("{PIN}\n"),
    );
    assert!(again.status.success(), "{}", text(&again));
    let said = text(&again);
    assert!(said.contains("Imported 1 passkey"), "{said}");
    assert!(said.contains("Skipped example.com"), "{said}");
    assert!(said.contains("already in Keyplace"), "{said}");
}

#[test]
fn a_file_that_is_not_cxf_is_refused_with_its_reason() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.json");
    std::fs::write(
        &file,
        r#"{"version": {"major": 2, "minor": 0}, "accounts": []}"#,
    )
    .unwrap();
    let output = env.cli(&["import", file.to_str().unwrap(), "--all", "--yes"]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("Credential Exchange Format 2.0; Keyplace reads version 1"),
        "{}",
        text(&output)
    );
}
