//! Hardware-bound passkeys against a real (software) TPM: each test starts its own swtpm and drives the real host
//! binary with KEYPLACE_TPM_TCTI pointing at it. Skipped only when the swtpm binary is not installed.
#![cfg(target_os = "linux")]

mod common;

use std::time::{Duration, Instant};

use common::*;
use keyplace_host::test_support::swtpm::{free_port_pair, Swtpm};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use serde_json::{json, Value};

const HARDWARE_AAGUID: &str = "c95948a9-3e06-473d-a1ef-b11f0081645d";
const KEY_PIN: &str = "2468";

fn hardware_create(rp_id: &str, pin: Option<&str>) -> Value {
    let mut params = create_params(rp_id, pin);
    params["store"] = json!("hardware");
    params
}

fn start_host(env: &Env, tpm: &Swtpm) -> Host {
    let log = std::env::var("KEYPLACE_LOG").unwrap_or_default();
    env.start_with(
        &[ORIGIN],
        &[("KEYPLACE_TPM_TCTI", &tpm.tcti()), ("KEYPLACE_LOG", &log)],
    )
}

/// Signs for `rp_id` and checks the signature over authenticatorData || clientDataHash.
fn sign_and_verify(host: &mut Host, id: u64, credential: &Value, rp_id: &str, pin: &str) -> Value {
    let client_data_hash = [id as u8; 32];
    let answer = host.call(
        id,
        "sign",
        sign_params(
            &credential["credential_id"],
            rp_id,
            &client_data_hash,
            Some(pin),
        ),
    );
    let result = answer["result"].clone();
    assert!(result.is_object(), "sign failed: {answer}");
    let data = unb64(&result["authenticator_data"]);
    let key = VerifyingKey::from_sec1_bytes(&unb64(&credential["public_key"])).unwrap();
    let signature = Signature::from_der(&unb64(&result["signature"])).unwrap();
    key.verify(&[&data[..], &client_data_hash].concat(), &signature)
        .expect("the TPM's signature verifies with the registered public key");
    result
}

#[test]
fn create_restart_sign_verify() {
    let Some(tpm) = Swtpm::start("create_restart_sign_verify") else {
        return;
    };
    let env = Env::new();
    env.install();

    // doctor sees the chip, and its lockout state, before the host holds the (single-client) simulator.
    let doctor = env
        .command()
        .args(["doctor"])
        .env("KEYPLACE_TPM_TCTI", tpm.tcti())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert!(
        report.contains(&format!("✓ TPM reachable through {}", tpm.tcti())),
        "{report}"
    );
    assert!(
        report.contains("✓ TPM lockout: 0 wrong PINs counted, 3 more"),
        "{report}"
    );

    let mut host = start_host(&env, &tpm);
    let hello = host.call(1, "hello", json!({}));
    assert_eq!(
        hello["result"]["stores"][1],
        json!({"id": "hardware", "available": true, "kind": "tpm"})
    );

    let no_pin = host.call(2, "create", hardware_create("bank.example", None));
    assert_eq!(no_pin["error"]["code"], "pin_required", "{no_pin}");
    assert_eq!(no_pin["error"]["details"]["reason"], "set_key_pin");
    let short = host.call(3, "create", hardware_create("bank.example", Some("12")));
    assert_eq!(short["error"]["code"], "bad_request", "{short}");
    let long = host.call(
        4,
        "create",
        hardware_create("bank.example", Some(&"9".repeat(33))),
    );
    assert_eq!(long["error"]["code"], "bad_request", "{long}");

    let started = Instant::now();
    let created = host.call(5, "create", hardware_create("bank.example", Some(KEY_PIN)));
    eprintln!("hardware create through the host: {:?}", started.elapsed());
    let credential = created["result"].clone();
    assert_eq!(credential["store"], "hardware", "{created}");
    assert_eq!(credential["aaguid"], HARDWARE_AAGUID);
    assert_eq!(credential["user_verified"], true);
    assert_eq!(credential["backup_eligible"], false);
    assert_eq!(credential["backup_state"], false);
    assert_eq!(unb64(&credential["public_key"]).len(), 65);
    let (status, _) = host.close();
    assert!(status.success());

    // A new host process: the key comes back from its blob, under an SRK derived again.
    let mut host = start_host(&env, &tpm);
    let started = Instant::now();
    let signed = sign_and_verify(&mut host, 10, &credential, "bank.example", KEY_PIN);
    eprintln!(
        "hardware sign through a fresh host (connect + SRK + session + load + sign): {:?}",
        started.elapsed()
    );
    let data = unb64(&signed["authenticator_data"]);
    assert_eq!(data[32], 0x01 | 0x04, "UP and UV; BE and BS clear");
    assert_eq!(signed["user_verified"], true);
    assert_eq!(signed["sign_count"], 1);
    let started = Instant::now();
    let again = sign_and_verify(&mut host, 11, &credential, "bank.example", KEY_PIN);
    eprintln!("hardware sign, warm: {:?}", started.elapsed());
    assert_eq!(again["sign_count"], 2);

    let no_pin = host.call(
        12,
        "sign",
        sign_params(&credential["credential_id"], "bank.example", &[1; 32], None),
    );
    assert_eq!(no_pin["error"]["details"]["reason"], "key_pin", "{no_pin}");

    // ARCHITECTURE.md rule 4 for a TPM key: another RP's hash is refused before the chip is asked.
    let other = host.call(
        13,
        "sign",
        sign_params(
            &credential["credential_id"],
            "evil.example",
            &[1; 32],
            Some(KEY_PIN),
        ),
    );
    assert_eq!(other["error"]["code"], "rp_mismatch", "{other}");

    let listed = host.call(14, "list", json!({"rp_id": "bank.example"}));
    assert_eq!(listed["result"]["credentials"][0]["store"], "hardware");
    assert_eq!(
        listed["result"]["credentials"][0]["aaguid"],
        HARDWARE_AAGUID
    );
    let deleted = host.call(
        15,
        "delete",
        json!({"credential_id": credential["credential_id"]}),
    );
    assert_eq!(deleted["result"]["deleted"], true);
    let gone = host.call(
        16,
        "sign",
        sign_params(
            &credential["credential_id"],
            "bank.example",
            &[1; 32],
            Some(KEY_PIN),
        ),
    );
    assert_eq!(gone["error"]["code"], "not_found");
    let (status, stderr) = host.close();
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains(KEY_PIN), "the PIN must never be logged");
    eprint!("{stderr}"); // the host's timings, with KEYPLACE_LOG=debug
    tpm.stop();
}

#[test]
fn attest_a_fresh_hardware_key() {
    let Some(tpm) = Swtpm::start("attest_a_fresh_hardware_key") else {
        return;
    };
    let env = Env::new();
    env.install();
    let mut host = start_host(&env, &tpm);
    let credential =
        host.call(1, "create", hardware_create("bank.example", Some(KEY_PIN)))["result"].clone();
    assert!(credential.is_object(), "{credential}");
    let id = unb64(&credential["credential_id"]);
    let key = unb64(&credential["public_key"]);
    let flags = 0x01 | 0x04 | 0x40; // UP UV AT; a TPM key is not backup eligible
    let data = registration_data("bank.example", flags, &HARDWARE_AAGUID_BYTES, &id, &key);
    let attest = |host: &mut Host, n: u64, data: &[u8], pin: Option<&str>| {
        host.call(
            n,
            "attest",
            attest_params(&credential["credential_id"], data, &[4; 32], pin),
        )
    };

    // The chip checks the key's own PIN, as for sign.
    let no_pin = attest(&mut host, 2, &data, None);
    assert_eq!(no_pin["error"]["details"]["reason"], "key_pin", "{no_pin}");
    let started = Instant::now();
    let attested = attest(&mut host, 3, &data, Some(KEY_PIN));
    eprintln!("hardware attest: {:?}", started.elapsed());
    let signature = Signature::from_der(&unb64(&attested["result"]["signature"]))
        .unwrap_or_else(|e| panic!("{e}: {attested}"));
    VerifyingKey::from_sec1_bytes(&key)
        .unwrap()
        .verify(&[&data[..], &[4; 32]].concat(), &signature)
        .expect("the TPM's attestation verifies with the registered public key");

    let mut other_id = id.clone();
    other_id[0] ^= 1;
    let mut other_key = key.clone();
    other_key[1] ^= 1;
    let refused = [
        (
            "rp_mismatch",
            registration_data("evil.example", flags, &HARDWARE_AAGUID_BYTES, &id, &key),
        ),
        (
            "bad_request",
            registration_data(
                "bank.example",
                flags,
                &HARDWARE_AAGUID_BYTES,
                &other_id,
                &key,
            ),
        ),
        (
            "bad_request",
            registration_data(
                "bank.example",
                flags,
                &HARDWARE_AAGUID_BYTES,
                &id,
                &other_key,
            ),
        ),
        (
            "bad_request",
            registration_data("bank.example", flags, &VAULT_AAGUID, &id, &key),
        ),
        ("bad_request", [&data[..], &[0xa0]].concat()),
    ];
    for (n, (code, bad)) in refused.iter().enumerate() {
        let answer = attest(&mut host, 10 + n as u64, bad, Some(KEY_PIN));
        assert_eq!(answer["error"]["code"], *code, "case {n}: {answer}");
    }

    // The counter was not touched: the first assertion carries 1. After it, no more attestations.
    let signed = sign_and_verify(&mut host, 20, &credential, "bank.example", KEY_PIN);
    assert_eq!(signed["sign_count"], 1);
    let used = attest(&mut host, 21, &data, Some(KEY_PIN));
    assert_eq!(used["error"]["code"], "bad_request", "{used}");
    let (status, stderr) = host.close();
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains(KEY_PIN), "the PIN must never be logged");
    tpm.stop();
}

#[test]
fn wrong_pins_count_down_then_lock_then_recover() {
    let Some(tpm) = Swtpm::start("wrong_pins_count_down_then_lock_then_recover") else {
        return;
    };
    tpm.set_da_parameters(3, 2, 2);
    let env = Env::new();
    env.install();
    let mut host = start_host(&env, &tpm);
    let credential =
        host.call(1, "create", hardware_create("bank.example", Some(KEY_PIN)))["result"].clone();
    assert!(credential.is_object());

    let mut tries = Vec::new();
    for id in 2..5 {
        let answer = host.call(
            id,
            "sign",
            sign_params(
                &credential["credential_id"],
                "bank.example",
                &[2; 32],
                Some("0000"),
            ),
        );
        assert_eq!(answer["error"]["code"], "wrong_pin", "{answer}");
        tries.push(answer["error"]["details"]["tries_left"].as_u64().unwrap());
        if tries.last() == Some(&0) {
            assert_eq!(
                answer["error"]["details"]["retry_after_seconds"], 2,
                "{answer}"
            );
            assert!(
                answer["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("locked"),
                "{answer}"
            );
        }
    }
    assert_eq!(tries, [2, 1, 0]);

    // Locked: even the right PIN is refused, and the chip counts nothing more.
    let locked = host.call(
        5,
        "sign",
        sign_params(
            &credential["credential_id"],
            "bank.example",
            &[2; 32],
            Some(KEY_PIN),
        ),
    );
    assert_eq!(locked["error"]["code"], "locked", "{locked}");
    assert_eq!(locked["error"]["details"]["retry_after_seconds"], 2);
    assert!(
        locked["error"]["message"]
            .as_str()
            .unwrap()
            .contains("locked by the TPM for about 2 seconds"),
        "{locked}"
    );

    // The chip forgets one failure per recovery interval: poll until the right PIN works again.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut id = 6;
    let signed = loop {
        let answer = host.call(
            id,
            "sign",
            sign_params(
                &credential["credential_id"],
                "bank.example",
                &[3; 32],
                Some(KEY_PIN),
            ),
        );
        if answer["result"].is_object() {
            break answer["result"].clone();
        }
        assert_eq!(answer["error"]["code"], "locked", "{answer}");
        assert!(
            Instant::now() < deadline,
            "the TPM never recovered: {answer}"
        );
        std::thread::sleep(Duration::from_millis(100));
        id += 1;
    };
    assert_eq!(signed["user_verified"], true);
    let data = unb64(&signed["authenticator_data"]);
    let key = VerifyingKey::from_sec1_bytes(&unb64(&credential["public_key"])).unwrap();
    key.verify(
        &[&data[..], &[3u8; 32]].concat(),
        &Signature::from_der(&unb64(&signed["signature"])).unwrap(),
    )
    .unwrap();
    assert!(host.close().0.success());
    tpm.stop();
}

#[test]
fn hello_says_why_the_tpm_cannot_be_used_and_tries_again() {
    let env = Env::new();
    env.install();
    let mut host = env.start(ORIGIN);
    let hello = host.call(1, "hello", json!({}));
    assert!(
        hello["result"]["stores"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("no TPM 2.0"),
        "{hello}"
    );
    let create = host.call(2, "create", hardware_create("bank.example", Some(KEY_PIN)));
    assert_eq!(create["error"]["code"], "store_unavailable", "{create}");
    assert!(
        create["error"]["details"]["reason"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/tpmrm0"),
        "{create}"
    );
    host.close();

    if !Swtpm::installed() {
        eprintln!("SKIPPED the retry part: the swtpm binary is not installed");
        return;
    }
    // Nothing listens yet: unavailable; then a TPM appears there and the next hello finds it.
    let port = free_port_pair();
    let tcti = format!("swtpm:host=127.0.0.1,port={port}");
    let mut host = env.start_with(&[ORIGIN], &[("KEYPLACE_TPM_TCTI", &tcti)]);
    let hello = host.call(1, "hello", json!({}));
    let hardware = &hello["result"]["stores"][1];
    assert_eq!(hardware["available"], false, "{hello}");
    assert!(
        hardware["reason"]
            .as_str()
            .unwrap()
            .contains("cannot reach"),
        "{hello}"
    );
    let Some(tpm) = Swtpm::start_at(port) else {
        eprintln!("SKIPPED the retry part: port {port} was taken meanwhile");
        return;
    };
    let hello = host.call(2, "hello", json!({}));
    assert_eq!(hello["result"]["stores"][1]["available"], true, "{hello}");
    assert!(host.close().0.success());
    tpm.stop();
}

/// The host keeps the last used key loaded in the chip: that must never let a request skip its PIN, and switching
/// between keys must keep working.
#[test]
fn a_loaded_key_still_needs_its_pin_and_keys_alternate() {
    let Some(tpm) = Swtpm::start("a_loaded_key_still_needs_its_pin_and_keys_alternate") else {
        return;
    };
    let env = Env::new();
    env.install();
    let mut host = start_host(&env, &tpm);
    let bank =
        host.call(1, "create", hardware_create("bank.example", Some(KEY_PIN)))["result"].clone();
    let mail =
        host.call(2, "create", hardware_create("mail.example", Some("1357")))["result"].clone();
    assert!(bank.is_object() && mail.is_object(), "{bank} {mail}");

    assert_eq!(
        sign_and_verify(&mut host, 3, &bank, "bank.example", KEY_PIN)["sign_count"],
        1
    );
    assert_eq!(
        sign_and_verify(&mut host, 4, &bank, "bank.example", KEY_PIN)["sign_count"],
        2
    );
    let wrong = host.call(
        5,
        "sign",
        sign_params(
            &bank["credential_id"],
            "bank.example",
            &[5; 32],
            Some("0000"),
        ),
    );
    assert_eq!(wrong["error"]["code"], "wrong_pin", "{wrong}");
    assert_eq!(wrong["error"]["details"]["tries_left"], 2, "{wrong}");
    let signed = sign_and_verify(&mut host, 6, &bank, "bank.example", KEY_PIN);
    assert_eq!(signed["user_verified"], true);

    for id in (10..16).step_by(2) {
        sign_and_verify(&mut host, id, &mail, "mail.example", "1357");
        sign_and_verify(&mut host, id + 1, &bank, "bank.example", KEY_PIN);
    }
    // Each key's own PIN, even right after the other key signed with it.
    let crossed = host.call(
        20,
        "sign",
        sign_params(
            &mail["credential_id"],
            "mail.example",
            &[6; 32],
            Some(KEY_PIN),
        ),
    );
    assert_eq!(crossed["error"]["code"], "wrong_pin", "{crossed}");
    let (status, stderr) = host.close();
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains(KEY_PIN), "the PIN must never be logged");
    tpm.stop();
}
