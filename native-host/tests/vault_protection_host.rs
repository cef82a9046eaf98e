//! The vault's protection through the real host binary, one process per "browser start": without a TPM, wrong PINs
//! make the next one wait and a restart does not reset that; with a TPM (a swtpm of its own), the vault is sealed
//! by it and wrong vault PINs are the chip's, with the tries left; without a TPM but with a secret store (a Secret
//! Service of the test's own), the vault is sealed with it, and `doctor` says which protection the computer has.
#![cfg(target_os = "linux")]

mod common;

use common::*;
use keyplace_host::stores::protection::{
    no_os_store, VaultProtection, NO_OS_STORE_FIX, SEALED_ELSEWHERE, SEALED_ELSEWHERE_FIX,
};
use keyplace_host::stores::vault::FREE_WRONG_PINS;
use keyplace_host::test_support::secret_service::SecretServiceDaemon;
use keyplace_host::test_support::swtpm::Swtpm;
use serde_json::Value;

const NO_TPM: &str = "device:/nonexistent/keyplace-test-tpm";

fn start(env: &Env, tcti: &str) -> Host {
    env.start_with(&[ORIGIN], &[("KEYPLACE_TPM_TCTI", tcti)])
}

fn sign_with(host: &mut Host, id: u64, credential: &Value, pin: &str) -> Value {
    host.call(
        id,
        "sign",
        sign_params(
            &credential["credential_id"],
            "example.com",
            &[1; 32],
            Some(pin),
        ),
    )
}

#[test]
fn without_a_tpm_the_host_makes_wrong_vault_pins_wait_across_restarts() {
    let env = Env::new();
    env.install();
    let mut host = start(&env, NO_TPM);
    let created = host.call(1, "create", create_params("example.com", Some(PIN)))["result"].clone();
    for id in 1..u64::from(FREE_WRONG_PINS) {
        let wrong = sign_with(&mut host, 1 + id, &created, "0000");
        assert_eq!(wrong["error"]["code"], "wrong_pin", "{wrong}");
    }
    let waiting = sign_with(&mut host, 10, &created, "0000");
    assert_eq!(waiting["error"]["code"], "locked", "{waiting}");
    assert_eq!(
        waiting["error"]["details"]["retry_after_seconds"], 30,
        "{waiting}"
    );
    // Keyplace's own wait, in its own words: no TPM is involved here.
    let message = waiting["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Keyplace waits for about 30 seconds"),
        "{message}"
    );
    assert!(!message.contains("TPM"), "{message}");
    assert!(host.close().0.success());

    // The browser restarted: the host still waits, even for the right PIN.
    let mut host = start(&env, NO_TPM);
    let still = sign_with(&mut host, 1, &created, PIN);
    assert_eq!(still["error"]["code"], "locked", "{still}");
    let seconds = still["error"]["details"]["retry_after_seconds"]
        .as_u64()
        .unwrap();
    assert!((1..=30).contains(&seconds), "{still}");
    assert!(host.close().0.success());
}

#[test]
fn with_a_tpm_wrong_vault_pins_are_counted_by_the_chip() {
    let Some(tpm) = Swtpm::start("with_a_tpm_wrong_vault_pins_are_counted_by_the_chip") else {
        return;
    };
    tpm.set_da_parameters(5, 1000, 1000);
    let env = Env::new();
    env.install();
    let mut host = start(&env, &tpm.tcti());
    let created = host.call(1, "create", create_params("example.com", Some(PIN)))["result"].clone();
    assert!(created["credential_id"].is_string(), "{created}");
    let wrong = sign_with(&mut host, 2, &created, "0000");
    assert_eq!(wrong["error"]["code"], "wrong_pin", "{wrong}");
    assert_eq!(wrong["error"]["details"]["tries_left"], 4, "{wrong}");
    let signed = sign_with(&mut host, 3, &created, PIN);
    assert!(signed["result"]["signature"].is_string(), "{signed}");
    assert!(host.close().0.success());

    // The same data folder without the TPM: the right PIN cannot open it.
    let mut host = start(&env, NO_TPM);
    let refused = sign_with(&mut host, 1, &created, PIN);
    assert_eq!(refused["error"]["code"], "store_unavailable", "{refused}");
    assert!(host.close().0.success());
    tpm.stop();
}

/// `doctor`'s output with the session bus at `bus` (no TPM).
fn doctor(env: &Env, bus: &str) -> String {
    let output = env
        .command()
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .arg("doctor")
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

const NO_BUS: &str = "unix:path=/nonexistent/keyplace-test-bus";

#[test]
fn without_a_secret_store_the_vault_is_pin_only_and_doctor_says_so() {
    let env = Env::new();
    env.install();
    let before = doctor(&env, NO_BUS);
    assert!(
        before.contains(VaultProtection::PinOnly.describe_available()),
        "{before}"
    );
    assert!(
        before.contains(VaultProtection::PinOnly.describe_future()),
        "{before}"
    );
    // Why, in words: the store and what is missing.
    let why = no_os_store("no D-Bus session");
    assert!(before.contains(&why), "{before}");
    assert!(before.contains(NO_OS_STORE_FIX), "{before}");

    let mut host = start(&env, NO_TPM);
    let created = host.call(1, "create", create_params("example.com", Some(PIN)))["result"].clone();
    let signed = sign_with(&mut host, 2, &created, PIN);
    assert!(signed["result"]["signature"].is_string(), "{signed}");
    assert!(host.close().0.success());
    let after = doctor(&env, NO_BUS);
    assert!(
        after.contains(VaultProtection::PinOnly.describe()),
        "{after}"
    );
}

#[test]
fn with_a_secret_store_the_vault_is_sealed_by_it_and_a_copy_opens_nowhere_else() {
    let (Some(keyring), Some(other_keyring)) = (
        SecretServiceDaemon::start("host: os seal"),
        SecretServiceDaemon::start("host: os seal, another computer"),
    ) else {
        return;
    };
    let env = Env::new();
    env.install();
    let before = doctor(&env, keyring.address());
    assert!(
        before.contains(VaultProtection::OsSealed.describe_available()),
        "{before}"
    );
    assert!(
        before.contains(VaultProtection::OsSealed.describe_future()),
        "{before}"
    );

    let start_on = |bus: &str| {
        env.start_with(
            &[ORIGIN],
            &[
                ("KEYPLACE_TPM_TCTI", NO_TPM),
                ("DBUS_SESSION_BUS_ADDRESS", bus),
            ],
        )
    };
    let mut host = start_on(keyring.address());
    let created = host.call(1, "create", create_params("example.com", Some(PIN)))["result"].clone();
    assert!(created["credential_id"].is_string(), "{created}");
    assert!(host.close().0.success());
    assert_eq!(keyring.keyplace_items(), 1);
    let after = doctor(&env, keyring.address());
    assert!(
        after.contains(VaultProtection::OsSealed.describe()),
        "{after}"
    );

    // The same data folder with another computer's secret store: the right PIN cannot open it, in plain words.
    let mut host = start_on(other_keyring.address());
    let refused = sign_with(&mut host, 1, &created, PIN);
    assert_eq!(refused["error"]["code"], "store_unavailable", "{refused}");
    assert_eq!(refused["error"]["message"], SEALED_ELSEWHERE, "{refused}");
    assert!(host.close().0.success());
    let copied = doctor(&env, other_keyring.address());
    assert!(copied.contains(SEALED_ELSEWHERE), "{copied}");
    assert!(copied.contains(SEALED_ELSEWHERE_FIX), "{copied}");
    // And with no secret store reachable: doctor says the vault waits for it.
    let stranded = doctor(&env, NO_BUS);
    assert!(
        stranded.contains(VaultProtection::SEALED_BUT_NO_OS_STORE),
        "{stranded}"
    );

    // Back with its own: the right PIN signs.
    let mut host = start_on(keyring.address());
    let signed = sign_with(&mut host, 1, &created, PIN);
    assert!(signed["result"]["signature"].is_string(), "{signed}");
    assert!(host.close().0.success());
    other_keyring.stop();
    keyring.stop();
}
