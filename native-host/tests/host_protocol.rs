//! The host as the extension sees it: install, then framed JSON over one long-lived port.

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use common::*;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use serde_json::{json, Value};

#[test]
fn install_writes_the_manifest_and_the_allowed_list() {
    let env = Env::new();
    let manifest = env.install();
    assert_eq!(manifest["name"], "com.keyplace.host");
    assert_eq!(manifest["type"], "stdio");
    assert_eq!(manifest["allowed_origins"], json!([ORIGIN]));
    assert_eq!(
        manifest["path"],
        std::fs::canonicalize(env!("CARGO_BIN_EXE_keyplace-host"))
            .unwrap()
            .to_str()
            .unwrap()
    );
    let allowed: Value = serde_json::from_slice(
        &std::fs::read(env.data_dir().join("allowed-extensions.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(allowed["chromium_origins"], json!([ORIGIN]));

    let doctor = env.cli(&[
        "doctor",
        "--profile-dir",
        env.profile_dir().to_str().unwrap(),
    ]);
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert!(doctor.status.success(), "{report}");
    let profile_line = format!(
        "✓ Chromium with --user-data-dir {}: registered",
        env.profile_dir().display()
    );
    assert!(report.contains(&profile_line), "{report}");
    let list_date = &keyplace_core::public_suffix::LIST_VERSION[..10];
    assert!(
        report.contains(&format!("✓ Public Suffix List of {list_date} built in")),
        "{report}"
    );

    let profile = env.profile_dir();
    let removed = env.cli(&[
        "uninstall",
        "--browser",
        "chromium",
        "--profile-dir",
        profile.to_str().unwrap(),
    ]);
    assert!(removed.status.success());
    assert!(!profile
        .join("NativeMessagingHosts/com.keyplace.host.json")
        .exists());
    let refused = env.start(ORIGIN).close();
    assert_eq!(
        refused.0.code(),
        Some(3),
        "uninstall also forgets the extension"
    );
}

#[test]
fn create_sign_verify_and_count() {
    let env = Env::new();
    env.install();
    let mut host = env.start(ORIGIN);

    let hello = host.call(1, "hello", json!({}));
    assert_eq!(hello["result"]["stores"][0]["initialized"], false);
    let hardware = &hello["result"]["stores"][1];
    assert_eq!(hardware["id"], "hardware");
    assert_eq!(hardware["available"], false, "{hardware}");
    assert!(
        hardware["reason"].as_str().unwrap().contains("no TPM 2.0"),
        "{hardware}"
    );
    let needs_pin = host.call(2, "create", create_params("example.com", None));
    assert_eq!(needs_pin["error"]["details"]["reason"], "set_pin");

    let started = Instant::now();
    let created = host.call(3, "create", create_params("example.com", Some(PIN)))["result"].clone();
    eprintln!("create with a new PIN (Argon2id): {:?}", started.elapsed());
    assert_eq!(created["user_verified"], true);
    assert_eq!(created["sign_count"], 0);
    assert_eq!(unb64(&created["credential_id"]).len(), 16);
    let public_key = VerifyingKey::from_sec1_bytes(&unb64(&created["public_key"])).unwrap();

    for (id, expected_count) in [(4, 1u32), (5, 2)] {
        let client_data_hash = [id as u8; 32];
        let started = Instant::now();
        let signed = host.call(
            id,
            "sign",
            sign_params(
                &created["credential_id"],
                "example.com",
                &client_data_hash,
                None,
            ),
        );
        eprintln!("vault sign round trip (unlocked): {:?}", started.elapsed());
        let result = &signed["result"];
        assert_eq!(result["sign_count"], expected_count, "{signed}");
        assert_eq!(result["user_verified"], false);
        assert_eq!(unb64(&result["user_handle"]), b"user-42");
        let authenticator_data = unb64(&result["authenticator_data"]);
        assert_eq!(authenticator_data[33..], expected_count.to_be_bytes());
        assert_eq!(
            authenticator_data[32],
            0x01 | 0x08,
            "UP from the caller, BE from storage, no UV"
        );
        let signed_bytes = [authenticator_data, client_data_hash.to_vec()].concat();
        let signature = Signature::from_der(&unb64(&result["signature"])).unwrap();
        public_key.verify(&signed_bytes, &signature).unwrap();
    }

    let elsewhere = host.call(
        6,
        "sign",
        sign_params(
            &created["credential_id"],
            "evil.example",
            &[0; 32],
            Some(PIN),
        ),
    );
    assert_eq!(elsewhere["error"]["code"], "rp_mismatch");
    let wrong = host.call(
        7,
        "sign",
        sign_params(
            &created["credential_id"],
            "example.com",
            &[0; 32],
            Some("0000"),
        ),
    );
    assert_eq!(wrong["error"]["code"], "wrong_pin");
    let listed = host.call(8, "list", json!({"rp_id": "example.com"}));
    assert_eq!(listed["result"]["credentials"][0]["sign_count"], 2);

    let (status, _) = host.close();
    assert!(status.success());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: std::path::PathBuf| {
            std::fs::metadata(path).unwrap().permissions().mode() & 0o777
        };
        assert_eq!(mode(env.data_dir()), 0o700);
        assert_eq!(mode(env.data_dir().join("keyplace.db")), 0o600);
    }

    // A new process (the browser restarted): the passkey and its counter persist, the vault is locked again.
    let mut host = env.start(ORIGIN);
    let hello = host.call(1, "hello", json!({}));
    assert_eq!(
        hello["result"]["stores"][0],
        json!({"id": "vault", "available": true, "initialized": true, "unlocked": false, "protection": "pin_only"})
    );
    let locked = host.call(
        2,
        "sign",
        sign_params(&created["credential_id"], "example.com", &[0; 32], None),
    );
    assert_eq!(locked["error"]["code"], "pin_required");
    assert_eq!(locked["error"]["details"]["reason"], "unlock");
    let started = Instant::now();
    let unlocked = host.call(
        3,
        "sign",
        sign_params(
            &created["credential_id"],
            "example.com",
            &[0; 32],
            Some(PIN),
        ),
    );
    eprintln!("sign with PIN (Argon2id unlock): {:?}", started.elapsed());
    assert_eq!(unlocked["result"]["sign_count"], 3);
    assert_eq!(unlocked["result"]["user_verified"], true);
    assert_eq!(
        unb64(&unlocked["result"]["authenticator_data"])[32] & 0x04,
        0x04
    );
    let (status, stderr) = host.close();
    assert!(status.success());
    assert!(!stderr.contains(PIN));

    let listing = env.cli(&["list"]);
    let text = String::from_utf8_lossy(&listing.stdout);
    assert!(
        text.contains("example.com") && text.contains("Keyplace vault on this computer"),
        "{text}"
    );
    assert!(text.contains("signed in 3 times"), "{text}");
}

#[test]
fn many_requests_in_flight_are_answered_by_id() {
    let env = Env::new();
    env.install();
    let mut host = env.start(ORIGIN);
    // A slow Argon2 create goes first; cheap requests behind it need not wait for it.
    host.request(100, "create", create_params("a.example", Some(PIN)));
    for id in 1..=20 {
        host.request(id, if id % 2 == 0 { "hello" } else { "list" }, json!({}));
    }
    let mut answers = BTreeMap::new();
    for _ in 0..21 {
        let answer = host.recv();
        let id = answer["id"].as_u64().unwrap();
        assert!(answer.get("result").is_some(), "{answer}");
        assert!(answers.insert(id, answer).is_none(), "two answers for {id}");
    }
    assert_eq!(answers.len(), 21);
    assert_eq!(answers[&100]["result"]["store"], "vault");
    let (status, _) = host.close();
    assert!(status.success());
}

#[test]
fn garbage_gets_typed_errors_and_the_port_survives() {
    let env = Env::new();
    env.install();
    let mut host = env.start_with(&[ORIGIN], &[("KEYPLACE_LOG", "debug")]);
    let expect = |host: &mut Host, id: Value, code: &str| {
        let answer = host.recv();
        assert_eq!(answer["id"], id, "{answer}");
        assert_eq!(answer["error"]["code"], code, "{answer}");
    };
    host.send_raw(&frame(b"{not json"));
    expect(&mut host, Value::Null, "bad_request");
    host.send_raw(&frame(&[0xff, 0xfe, 0xfd]));
    expect(&mut host, Value::Null, "bad_request");
    host.send(&json!({"id": "7", "method": "hello"}));
    expect(&mut host, Value::Null, "bad_request");
    host.send(&json!({"id": 8, "method": "launch_rockets", "params": {}}));
    expect(&mut host, json!(8), "unknown_method");
    host.send(&json!({"id": 9, "method": "sign", "params": {"credential_id": "@@@", "authenticator_data": "AA", "client_data_hash": "AA"}}));
    expect(&mut host, json!(9), "bad_request");
    host.send(&json!({"id": 10, "method": "create", "params": {"store": "vault", "rp_id": 5}}));
    expect(&mut host, json!(10), "bad_request");
    host.send(
        &json!({"id": 11, "method": "configure", "params": {"vault_unlock_seconds": "soon"}}),
    );
    expect(&mut host, json!(11), "bad_request");
    host.send(&json!({"id": 12, "method": "delete", "params": []}));
    expect(&mut host, json!(12), "bad_request");
    // Oversized: the host skips the payload and stays in step.
    let huge = vec![b' '; 4 * 1024 * 1024 + 1];
    host.send_raw(&frame(&huge));
    expect(&mut host, Value::Null, "bad_request");
    let hello = host.call(13, "hello", json!({}));
    assert_eq!(hello["result"]["version"], "0.1.0");
    // A truncated length prefix, then the port closes: a clean exit, not a panic.
    host.send_raw(&[3, 0]);
    drop(host.stdin.take());
    expect(&mut host, Value::Null, "bad_request");
    let (status, stderr) = host.close();
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn attest_signs_only_the_fresh_registration_of_its_own_credential() {
    let env = Env::new();
    env.install();
    let mut host = env.start(ORIGIN);
    let created = host.call(1, "create", create_params("example.com", Some(PIN)))["result"].clone();
    let other = host.call(2, "create", create_params("example.com", Some(PIN)))["result"].clone();
    let id = unb64(&created["credential_id"]);
    let key = unb64(&created["public_key"]);
    let flags = 0x01 | 0x04 | 0x08 | 0x40; // UP UV BE AT
    let data = registration_data("example.com", flags, &VAULT_AAGUID, &id, &key);

    let attested = host.call(
        3,
        "attest",
        attest_params(&created["credential_id"], &data, &[9; 32], None),
    );
    let signature = Signature::from_der(&unb64(&attested["result"]["signature"]))
        .unwrap_or_else(|e| panic!("{e}: {attested}"));
    VerifyingKey::from_sec1_bytes(&key)
        .unwrap()
        .verify(&[&data[..], &[9; 32]].concat(), &signature)
        .expect("the attestation verifies with the registered public key");

    let refused = [
        (
            "rp_mismatch",
            registration_data("evil.example", flags, &VAULT_AAGUID, &id, &key),
        ),
        (
            "bad_request",
            registration_data(
                "example.com",
                flags,
                &VAULT_AAGUID,
                &unb64(&other["credential_id"]),
                &key,
            ),
        ),
        (
            "bad_request",
            registration_data(
                "example.com",
                flags,
                &VAULT_AAGUID,
                &id,
                &unb64(&other["public_key"]),
            ),
        ),
        ("bad_request", [&data[..], &[0xa0]].concat()),
    ];
    for (n, (code, bad)) in refused.iter().enumerate() {
        let answer = host.call(
            10 + n as u64,
            "attest",
            attest_params(&created["credential_id"], bad, &[9; 32], Some(PIN)),
        );
        assert_eq!(answer["error"]["code"], *code, "case {n}: {answer}");
    }

    // attest counts nothing; once the key has signed, it attests no more.
    let signed = host.call(
        20,
        "sign",
        sign_params(&created["credential_id"], "example.com", &[1; 32], None),
    );
    assert_eq!(signed["result"]["sign_count"], 1, "{signed}");
    let used = host.call(
        21,
        "attest",
        attest_params(&created["credential_id"], &data, &[9; 32], Some(PIN)),
    );
    assert_eq!(used["error"]["code"], "bad_request", "{used}");
    assert!(host.close().0.success());
}

#[test]
fn rename_persists_across_processes_and_the_cli_shows_it() {
    let env = Env::new();
    env.install();
    let mut host = env.start(ORIGIN);
    let created = host.call(1, "create", create_params("example.com", Some(PIN)))["result"].clone();
    let renamed = host.call(
        2,
        "rename",
        json!({"credential_id": created["credential_id"], "user_name": "work account"}),
    );
    assert_eq!(renamed["result"], json!({"renamed": true}), "{renamed}");
    let too_long = host.call(
        3,
        "rename",
        json!({"credential_id": created["credential_id"], "user_name": "x".repeat(65)}),
    );
    assert_eq!(too_long["error"]["code"], "bad_request", "{too_long}");
    let unknown = host.call(
        4,
        "rename",
        json!({"credential_id": "AAAAAAAAAAAAAAAAAAAAAA", "user_name": "nobody"}),
    );
    assert_eq!(unknown["result"], json!({"renamed": false}), "{unknown}");
    assert!(host.close().0.success());

    // Another process (the other browser, or a restart) sees the new name.
    let mut host = env.start(ORIGIN);
    let listed = host.call(1, "list", json!({"rp_id": "example.com"}));
    assert_eq!(
        listed["result"]["credentials"][0]["user_name"], "work account",
        "{listed}"
    );
    let signed = host.call(
        2,
        "sign",
        sign_params(
            &created["credential_id"],
            "example.com",
            &[3; 32],
            Some(PIN),
        ),
    );
    assert_eq!(signed["result"]["sign_count"], 1, "{signed}");
    assert!(host.close().0.success());
    let listing = env.cli(&["list"]);
    let text = String::from_utf8_lossy(&listing.stdout);
    assert!(text.contains("work account"), "{text}");
}

/// The popup's listing through the real binary: 1,100 passkeys (enough that the first default page is not all of
/// them), pages that fit the browser's cap and join up to every passkey once, a site's lookup, and search.
#[test]
fn list_pages_through_the_binary() {
    const COUNT: u64 = 1_100;
    let env = Env::new();
    env.install();
    let mut host = env.start(ORIGIN);
    let params = |i: u64, pin: Option<&str>| {
        json!({"store": "vault", "rp_id": format!("site{:02}.example", i % 50),
               "user": {"id": b64(&i.to_be_bytes()), "name": format!("User{i}"), "display_name": format!("User {i}")},
               "pin": pin, "resident_key": true, "require_user_verification": false})
    };
    assert!(host
        .call(1, "create", params(0, Some(PIN)))
        .get("result")
        .is_some());
    // Pipelined, 32 in flight, as the bench does.
    let mut sent = 1;
    let mut answered = 1;
    while answered < COUNT {
        while sent < COUNT && sent - answered < 32 {
            host.request(1000 + sent, "create", params(sent, None));
            sent += 1;
        }
        let answer = host.recv();
        assert!(answer.get("result").is_some(), "{answer}");
        answered += 1;
    }

    let mut seen = std::collections::BTreeSet::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let mut request = json!({"slim": true, "limit": 200});
        if !after.is_null() {
            request["after"] = after.clone();
        }
        host.request(5000 + pages, "list", request);
        let (answer, size) = {
            let answer = host.recv();
            let size = answer.to_string().len();
            (answer, size)
        };
        assert!(size < 1024 * 1024, "{size}");
        let result = &answer["result"];
        assert_eq!(result["total"], COUNT, "{answer}");
        for row in result["credentials"].as_array().unwrap() {
            assert!(row.get("user_id").is_none(), "slim rows: {row}");
            assert!(
                seen.insert(row["credential_id"].as_str().unwrap().to_owned()),
                "twice: {row}"
            );
        }
        pages += 1;
        after = result["next"].clone();
        if after.is_null() {
            break;
        }
    }
    assert_eq!(seen.len() as u64, COUNT);
    assert_eq!(pages, 6);

    // No filter and no limit: one page of 500 full rows, under the cap.
    let everything = host.call(2, "list", json!({}));
    assert_eq!(
        everything["result"]["credentials"]
            .as_array()
            .unwrap()
            .len(),
        500
    );
    assert!(everything["result"]["next"].is_string());

    // Sign-in's lookup: one site, every passkey of it in one page, full rows.
    let site = host.call(3, "list", json!({"rp_id": "site07.example"}));
    let rows = site["result"]["credentials"].as_array().unwrap();
    assert_eq!(rows.len(), 22);
    assert_eq!(site["result"]["total"], 22);
    assert_eq!(site["result"]["next"], Value::Null);
    assert!(rows
        .iter()
        .all(|r| r["rp_id"] == "site07.example" && r["user_display_name"].is_string()));

    // Search by account name in another case.
    let found = host.call(4, "list", json!({"query": "user1079", "slim": true}));
    let names: Vec<&str> = found["result"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["User1079"]);
    let bad = host.call(5, "list", json!({"after": "not a cursor"}));
    assert_eq!(bad["error"]["code"], "bad_request");
    let (status, _) = host.close();
    assert!(status.success());
}
