//! WebAuthn `prf` for hardware passkeys against a real (software) TPM: the PRF key is made in the chip with the
//! passkey, each value is TPM2_HMAC under it with the passkey's PIN, stable across host restarts, its own per
//! credential and salt, and computed only for the credential's own RP ID. Skipped only when swtpm is not installed.
#![cfg(target_os = "linux")]

mod common;

use std::str::FromStr;

use common::*;
use keyplace_host::stores::tpm::{templates, TpmStore};
use keyplace_host::stores::{KeyStore, Purpose, StoreError};
use keyplace_host::test_support::swtpm::Swtpm;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use serde_json::{json, Value};
use tss_esapi::constants::response_code::Tss2ResponseCodeKind;
use tss_esapi::handles::KeyHandle;
use tss_esapi::interface_types::algorithm::HashingAlgorithm;
use tss_esapi::interface_types::resource_handles::Hierarchy;
use tss_esapi::structures::{
    Auth, KeyedHashScheme, MaxBuffer, Private, Public, PublicKeyedHashParameters,
};
use tss_esapi::traits::UnMarshall;
use tss_esapi::{Context, TctiNameConf};

const KEY_PIN: &str = "2468";
const OTHER_PIN: &str = "1357";
const SALT_A: [u8; 32] = [0xa1; 32];
const SALT_B: [u8; 32] = [0xb2; 32];

fn start_host(env: &Env, tpm: &Swtpm) -> Host {
    env.start_with(&[ORIGIN], &[("KEYPLACE_TPM_TCTI", &tpm.tcti())])
}

fn create(
    host: &mut Host,
    id: u64,
    rp_id: &str,
    pin: &str,
    prf: bool,
    salts: &[[u8; 32]],
) -> Value {
    let mut params = create_params(rp_id, Some(pin));
    params["store"] = json!("hardware");
    params["prf"] = json!(prf);
    if !salts.is_empty() {
        params["prf_salts"] = json!(salts.iter().map(|s| b64(s)).collect::<Vec<_>>());
    }
    let answer = host.call(id, "create", params);
    assert!(answer["result"].is_object(), "create failed: {answer}");
    answer["result"].clone()
}

/// A `sign` request with `prf_salts`; the whole answer (result or error).
fn sign(
    host: &mut Host,
    id: u64,
    credential: &Value,
    rp_id: &str,
    pin: &str,
    salts: &[[u8; 32]],
) -> Value {
    let mut params = sign_params(
        &credential["credential_id"],
        rp_id,
        &[id as u8; 32],
        Some(pin),
    );
    if !salts.is_empty() {
        params["prf_salts"] = json!(salts.iter().map(|s| b64(s)).collect::<Vec<_>>());
    }
    let answer = host.call(id, "sign", params);
    if answer["result"].is_object() {
        // PRF or not, the assertion itself is still the chip's valid signature.
        let data = unb64(&answer["result"]["authenticator_data"]);
        let key = VerifyingKey::from_sec1_bytes(&unb64(&credential["public_key"])).unwrap();
        let signature = Signature::from_der(&unb64(&answer["result"]["signature"])).unwrap();
        key.verify(&[&data[..], &[id as u8; 32]].concat(), &signature)
            .expect("the signature verifies with the registered key");
    }
    answer
}

/// The 32-byte values of `prf_results`, or none when the field is absent.
fn outputs(result: &Value) -> Option<Vec<Vec<u8>>> {
    let values = result.get("prf_results")?.as_array().unwrap();
    let values: Vec<Vec<u8>> = values.iter().map(unb64).collect();
    assert!(values.iter().all(|v| v.len() == 32), "{result}");
    Some(values)
}

#[test]
fn hardware_prf_values_are_stable_per_salt_and_credential_across_restarts() {
    let Some(tpm) = Swtpm::start("hardware_prf_values_are_stable_per_salt_and_credential") else {
        return;
    };
    let env = Env::new();
    env.install();
    let mut host = start_host(&env, &tpm);

    let bank = create(&mut host, 1, "bank.example", KEY_PIN, true, &[SALT_A]);
    assert_eq!(bank["prf_enabled"], true, "{bank}");
    let bank_a = outputs(&bank).expect("prf.eval at creation");
    assert_eq!(bank_a.len(), 1);
    let mail = create(&mut host, 2, "mail.example", OTHER_PIN, true, &[SALT_A]);
    assert_eq!(mail["prf_enabled"], true);
    let mail_a = outputs(&mail).unwrap();
    assert_ne!(mail_a, bank_a, "each credential has its own PRF key");
    // prf without salts at creation: enabled, no values.
    let quiet = create(&mut host, 3, "quiet.example", KEY_PIN, true, &[]);
    assert_eq!(quiet["prf_enabled"], true);
    assert!(outputs(&quiet).is_none());
    // Without prf at creation: no PRF key, so none later either (the sign still works).
    let plain = create(&mut host, 4, "plain.example", KEY_PIN, false, &[]);
    assert_eq!(plain["prf_enabled"], false, "{plain}");
    let plain_signed = sign(&mut host, 5, &plain, "plain.example", KEY_PIN, &[SALT_A]);
    assert!(plain_signed["result"].is_object(), "{plain_signed}");
    assert!(outputs(&plain_signed["result"]).is_none(), "{plain_signed}");

    // Two salts: two values, the first the one given at creation.
    let both = sign(
        &mut host,
        10,
        &bank,
        "bank.example",
        KEY_PIN,
        &[SALT_A, SALT_B],
    );
    let both = outputs(&both["result"]).unwrap_or_else(|| panic!("no PRF values: {both}"));
    assert_eq!(both.len(), 2);
    assert_eq!(both[0], bank_a[0], "same salt, same value");
    assert_ne!(both[1], both[0], "another salt, another value");
    let only_b = sign(&mut host, 11, &bank, "bank.example", KEY_PIN, &[SALT_B]);
    assert_eq!(outputs(&only_b["result"]).unwrap(), vec![both[1].clone()]);
    let no_salts = sign(&mut host, 12, &bank, "bank.example", KEY_PIN, &[]);
    assert!(no_salts["result"].is_object() && outputs(&no_salts["result"]).is_none());
    let (status, stderr) = host.close();
    assert!(status.success(), "{stderr}");

    // A new host process on the same data and the same chip: the same values.
    let mut host = start_host(&env, &tpm);
    let again = sign(
        &mut host,
        20,
        &bank,
        "bank.example",
        KEY_PIN,
        &[SALT_A, SALT_B],
    );
    assert_eq!(outputs(&again["result"]).unwrap(), both, "{again}");
    let mail_again = sign(&mut host, 21, &mail, "mail.example", OTHER_PIN, &[SALT_A]);
    assert_eq!(outputs(&mail_again["result"]).unwrap(), mail_a);
    let quiet_a = sign(&mut host, 22, &quiet, "quiet.example", KEY_PIN, &[SALT_A]);
    let quiet_a = outputs(&quiet_a["result"]).unwrap();
    assert!(quiet_a != bank_a && quiet_a != mail_a);

    // A wrong PIN: the same typed error as for any sign, counted by the chip, and no value.
    let wrong = sign(&mut host, 23, &bank, "bank.example", "0000", &[SALT_A]);
    assert_eq!(wrong["error"]["code"], "wrong_pin", "{wrong}");
    assert_eq!(wrong["error"]["details"]["tries_left"], 2, "{wrong}");
    assert!(wrong.get("result").is_none());
    // Another site's RP ID hash: refused before anything is computed.
    let other = sign(&mut host, 24, &bank, "evil.example", KEY_PIN, &[SALT_A]);
    assert_eq!(other["error"]["code"], "rp_mismatch", "{other}");
    assert!(other.get("result").is_none());
    let after = sign(&mut host, 25, &bank, "bank.example", KEY_PIN, &[SALT_A]);
    assert_eq!(outputs(&after["result"]).unwrap(), bank_a);
    let (status, stderr) = host.close();
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains(KEY_PIN), "the PIN must never be logged");
    tpm.stop();
}

/// The hardware blob with a PRF key (src/stores/tpm/blob.rs, version 2), decoded by hand: the signing key's
/// public and private areas, then the PRF key's.
fn decode_v2(blob: &[u8]) -> Vec<Vec<u8>> {
    assert_eq!(blob[0], 2, "blob version with a PRF key");
    let mut rest = &blob[1..];
    let mut parts = Vec::new();
    while !rest.is_empty() {
        let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        parts.push(rest[2..2 + len].to_vec());
        rest = &rest[2 + len..];
    }
    assert_eq!(parts.len(), 4);
    parts
}

fn is_auth_fail(error: &tss_esapi::Error) -> bool {
    matches!(error, tss_esapi::Error::Tss2Error(code)
             if code.kind() == Some(Tss2ResponseCodeKind::AuthFail))
}

/// ARCHITECTURE.md rule 5 for the PRF key, asked of the chip itself: what it reports for the loaded object, that it
/// computes the host's values only with the PIN, and that it hands the secret out in no way.
#[test]
fn the_prf_key_is_the_chips_and_never_leaves_it() {
    let Some(tpm) = Swtpm::start("the_prf_key_is_the_chips_and_never_leaves_it") else {
        return;
    };
    let env = Env::new();
    env.install();
    let mut host = start_host(&env, &tpm);
    let created = create(&mut host, 1, "bank.example", KEY_PIN, true, &[SALT_A]);
    let host_value = outputs(&created).unwrap().remove(0);
    assert!(host.close().0.success());

    let database = rusqlite::Connection::open(env.data_dir().join("keyplace.db")).unwrap();
    let blob: Vec<u8> = database
        .query_row(
            "SELECT key_blob FROM credentials WHERE store = 'hardware'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let parts = decode_v2(&blob);
    let public = Public::unmarshall(&parts[2]).unwrap();
    let private = Private::try_from(parts[3].clone()).unwrap();

    let mut context = Context::new(TctiNameConf::from_str(&tpm.tcti()).unwrap()).unwrap();
    let srk: KeyHandle = context
        .execute_with_nullauth_session(|c| {
            c.create_primary(
                Hierarchy::Owner,
                templates::srk().unwrap(),
                None,
                None,
                None,
                None,
            )
        })
        .unwrap()
        .key_handle;
    let key = context
        .execute_with_nullauth_session(|c| c.load(srk, private.clone(), public.clone()))
        .unwrap();
    let (read_back, _, _) = context.read_public(key).unwrap();
    let Public::KeyedHash {
        object_attributes: a,
        auth_policy,
        parameters,
        name_hashing_algorithm,
        ..
    } = &read_back
    else {
        panic!("not a keyedHash object: {read_back:?}")
    };
    assert!(a.fixed_tpm(), "fixedTPM");
    assert!(a.fixed_parent(), "fixedParent");
    assert!(
        a.sensitive_data_origin(),
        "sensitiveDataOrigin: made by the chip"
    );
    assert!(a.user_with_auth(), "userWithAuth: the PIN");
    assert!(!a.no_da(), "wrong PINs must count toward the lockout");
    assert!(a.sign_encrypt() && !a.decrypt() && !a.restricted());
    assert!(!a.admin_with_policy() && !a.encrypted_duplication());
    assert!(
        auth_policy.is_empty(),
        "no policy that could allow duplication"
    );
    assert_eq!(
        *parameters,
        PublicKeyedHashParameters::new(KeyedHashScheme::HMAC_SHA_256)
    );
    assert_eq!(*name_hashing_algorithm, HashingAlgorithm::Sha256);

    let hmac = |context: &mut Context, pin: &str| {
        context.tr_set_auth(key.into(), Auth::try_from(pin.as_bytes().to_vec()).unwrap())?;
        context.execute_with_nullauth_session(|c| {
            c.hmac(
                key.into(),
                MaxBuffer::try_from(SALT_A.to_vec()).unwrap(),
                HashingAlgorithm::Sha256,
            )
        })
    };
    // The chip refuses without the PIN; with it, TPM2_HMAC is exactly the value the host gave.
    let refused = hmac(&mut context, "0000").unwrap_err();
    assert!(is_auth_fail(&refused), "{refused}");
    let direct = hmac(&mut context, KEY_PIN).unwrap();
    assert_eq!(direct.value(), &host_value[..]);

    // No way out: not unsealable (it is an HMAC key, not sealed data), not duplicable (no policy, fixedParent).
    let unsealed = context
        .execute_with_nullauth_session(|c| c.unseal(key.into()))
        .map(|data| data.value().to_vec());
    let refused = unsealed.expect_err("the chip unsealed the PRF key");
    assert!(
        !is_auth_fail(&refused),
        "refused for its kind, not the PIN: {refused}"
    );
    let duplicated = duplicate_with_bare_policy(&mut context, key);
    assert!(duplicated.is_err(), "the chip duplicated a PRF key");
    context.flush_context(key.into()).unwrap();
    context.flush_context(srk.into()).unwrap();
    drop(context);
    tpm.stop();
}

/// The PRF asks the chip for the PIN on its own, as `sign` does: a wrong PIN gets the same typed error, no value,
/// and counts toward the same lockout.
#[test]
fn a_wrong_pin_gets_no_prf_value_and_counts_toward_the_lockout() {
    let Some(tpm) = Swtpm::start("a_wrong_pin_gets_no_prf_value_and_counts_toward_the_lockout")
    else {
        return;
    };
    let store = TpmStore::new(tpm.tcti());
    let created = store
        .authorize(Some(KEY_PIN), true, Purpose::Create)
        .unwrap();
    let key = store
        .create_key_with_prf(&created, b"credential", true)
        .unwrap();
    let plain = store.create_key(&created, b"credential").unwrap();
    let pin = |pin: &str| store.authorize(Some(pin), true, Purpose::Sign).unwrap();
    let prf = |typed: &str| store.prf(&pin(typed), b"credential", &key.key_blob, &[&SALT_A]);

    let right = prf(KEY_PIN).unwrap().expect("a PRF key was made");
    assert_eq!(right.len(), 1);
    assert_eq!(
        store
            .prf(&pin(KEY_PIN), b"credential", &key.key_blob, &[])
            .unwrap(),
        Some(vec![]),
        "no salts: enabled, nothing computed"
    );
    assert_eq!(
        store
            .prf(&pin(KEY_PIN), b"credential", &plain.key_blob, &[&SALT_A])
            .unwrap(),
        None,
        "a key made without prf has none"
    );

    let tries_left = |result: Result<Option<Vec<[u8; 32]>>, StoreError>| match result {
        Err(StoreError::WrongDevicePin(wrong)) => wrong.tries_left,
        other => panic!("a wrong PIN must be refused by the chip: {other:?}"),
    };
    assert_eq!(tries_left(prf("0000")), Some(2));
    // A wrong PIN on sign: the same error, the same counter.
    match store.sign(&pin("0000"), b"credential", &key.key_blob, b"m") {
        Err(StoreError::WrongDevicePin(wrong)) => assert_eq!(wrong.tries_left, Some(1)),
        other => panic!("{:?}", other.map(|_| ())),
    }
    assert_eq!(
        prf(KEY_PIN).unwrap().unwrap(),
        right,
        "the right PIN still works"
    );
    assert_eq!(tries_left(prf("9999")), Some(0));
    assert_eq!(store.da_state().unwrap().counter, 3);
    // Locked now: even the right PIN gets no value.
    assert!(matches!(prf(KEY_PIN), Err(StoreError::Locked(_))));
    store.close();
    tpm.stop();
}
