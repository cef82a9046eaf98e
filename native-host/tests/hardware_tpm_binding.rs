//! ARCHITECTURE.md rule 5 for TPM keys, checked with the chip itself: the key the host made has exactly the
//! non-exportable attributes, the chip refuses to duplicate it, and its blob is useless on another TPM.
#![cfg(target_os = "linux")]

mod common;

use std::str::FromStr;

use common::*;
use keyplace_host::test_support::swtpm::Swtpm;
use serde_json::json;
use tss_esapi::attributes::ObjectAttributesBuilder;
use tss_esapi::handles::KeyHandle;
use tss_esapi::interface_types::algorithm::{HashingAlgorithm, PublicAlgorithm};
use tss_esapi::interface_types::ecc::EccCurve;
use tss_esapi::interface_types::resource_handles::Hierarchy;
use tss_esapi::structures::{
    EccPoint, Private, Public, PublicBuilder, PublicEccParametersBuilder, SymmetricDefinitionObject,
};
use tss_esapi::traits::UnMarshall;
use tss_esapi::{Context, TctiNameConf};

/// The host's SRK template (tpm2_createprimary -C o -g sha256 -G ecc256:aes128cfb).
fn srk(context: &mut Context) -> KeyHandle {
    let attributes = ObjectAttributesBuilder::new()
        .with_fixed_tpm(true)
        .with_fixed_parent(true)
        .with_sensitive_data_origin(true)
        .with_user_with_auth(true)
        .with_no_da(true)
        .with_restricted(true)
        .with_decrypt(true)
        .build()
        .unwrap();
    let template = PublicBuilder::new()
        .with_public_algorithm(PublicAlgorithm::Ecc)
        .with_name_hashing_algorithm(HashingAlgorithm::Sha256)
        .with_object_attributes(attributes)
        .with_ecc_parameters(
            PublicEccParametersBuilder::new_restricted_decryption_key(
                SymmetricDefinitionObject::AES_128_CFB,
                EccCurve::NistP256,
            )
            .build()
            .unwrap(),
        )
        .with_ecc_unique_identifier(EccPoint::default())
        .build()
        .unwrap();
    context
        .execute_with_nullauth_session(|c| {
            c.create_primary(Hierarchy::Owner, template, None, None, None, None)
        })
        .unwrap()
        .key_handle
}

/// The blob layout of src/stores/tpm/blob.rs, version 1.
fn decode(blob: &[u8]) -> (Public, Private) {
    assert_eq!(blob[0], 1, "blob version");
    let public_len = u16::from_be_bytes([blob[1], blob[2]]) as usize;
    let public = Public::unmarshall(&blob[3..3 + public_len]).unwrap();
    let rest = &blob[3 + public_len..];
    let private_len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
    assert_eq!(rest.len(), 2 + private_len);
    (public, Private::try_from(rest[2..].to_vec()).unwrap())
}

#[test]
fn tpm_keys_cannot_leave_the_chip() {
    let Some(tpm) = Swtpm::start("tpm_keys_cannot_leave_the_chip") else {
        return;
    };
    let env = Env::new();
    env.install();
    let mut host = env.start_with(&[ORIGIN], &[("KEYPLACE_TPM_TCTI", &tpm.tcti())]);
    let mut params = create_params("bank.example", Some("2468"));
    params["store"] = json!("hardware");
    let created = host.call(1, "create", params)["result"].clone();
    assert!(host.close().0.success());

    let database = rusqlite::Connection::open(env.data_dir().join("keyplace.db")).unwrap();
    let blob: Vec<u8> = database
        .query_row(
            "SELECT key_blob FROM credentials WHERE store = 'hardware'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let (public, private) = decode(&blob);

    // Load it into the chip and read the attributes back from the chip, not from our own encoding.
    let mut context = Context::new(TctiNameConf::from_str(&tpm.tcti()).unwrap()).unwrap();
    let parent = srk(&mut context);
    let key = context
        .execute_with_nullauth_session(|c| c.load(parent, private.clone(), public.clone()))
        .unwrap();
    let (read_back, _, _) = context.read_public(key).unwrap();
    let Public::Ecc {
        object_attributes: a,
        auth_policy,
        unique,
        ..
    } = &read_back
    else {
        panic!("not ECC")
    };
    assert!(a.fixed_tpm(), "fixedTPM");
    assert!(a.fixed_parent(), "fixedParent");
    assert!(a.sensitive_data_origin(), "sensitiveDataOrigin");
    assert!(a.user_with_auth(), "userWithAuth");
    assert!(a.sign_encrypt(), "sign");
    assert!(!a.no_da(), "wrong PINs must count toward the lockout");
    assert!(
        !a.decrypt() && !a.restricted(),
        "an unrestricted signing key only"
    );
    assert!(
        auth_policy.is_empty(),
        "no policy that could allow duplication"
    );
    let mut point = vec![4u8];
    point.extend_from_slice(unique.x().value());
    point.extend_from_slice(unique.y().value());
    if point.len() == 65 {
        assert_eq!(
            point,
            unb64(&created["public_key"]),
            "the registered key is the chip's key"
        );
    }

    // TPM2_Duplicate needs a policy session for the DUP role, matching the key's authPolicy. This key has none (and
    // fixedParent besides), so no session can ever satisfy it: the chip answers TPM_RC_POLICY_FAIL.
    let duplicated = duplicate_with_bare_policy(&mut context, key);
    assert!(duplicated.is_err(), "the chip duplicated a passkey key");
    eprintln!("TPM2_Duplicate refused: {}", duplicated.unwrap_err());
    context.flush_context(key.into()).unwrap();
    context.flush_context(parent.into()).unwrap();
    drop(context);

    // Another TPM cannot load the blob: its private part is sealed under this chip's storage key.
    let Some(other) = Swtpm::start("tpm_keys_cannot_leave_the_chip (second TPM)") else {
        return;
    };
    let mut context = Context::new(TctiNameConf::from_str(&other.tcti()).unwrap()).unwrap();
    let other_parent = srk(&mut context);
    let loaded = context.execute_with_nullauth_session(|c| c.load(other_parent, private, public));
    assert!(loaded.is_err(), "another TPM loaded this chip's key");
    eprintln!("another TPM refused the blob: {}", loaded.unwrap_err());
    context.flush_context(other_parent.into()).unwrap();
    drop(context);
    other.stop();
    tpm.stop();
}
