//! ★ Copies enforced by the chip (ARCHITECTURE.md rule 10), three software TPMs as three devices: a duplicable
//! passkey on the source's chip is duplicated to the target's storage key only with an approval signed by
//! another enrolled device; without it, with the source's own signature, or to another storage key, TPM2_Duplicate
//! (or the policy before it) fails *at the chip*. The target imports the duplicate, and it signs with the original
//! public key. Prints the chip's times (no assertion on them). Skipped only when swtpm is not installed.
#![cfg(target_os = "linux")]

use std::str::FromStr;
use std::time::Instant;

use keyplace_host::stores::copy_policy::authorize_branch;
use keyplace_host::stores::tpm::duplication::{
    approval_digest, approved_duplication, approver_public, copy_policy, duplicable_passkey,
    duplicate, duplicate_without_approval, ecdsa_signature, import, name_of, Holder,
};
use keyplace_host::stores::tpm::templates;
use keyplace_host::test_support::swtpm::Swtpm;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature as EcdsaSignature, SigningKey, VerifyingKey};
use rand_core::OsRng;
use sha2::{Digest as _, Sha256};
use tss_esapi::constants::tss::{TPM2_RH_NULL, TPM2_ST_HASHCHECK};
use tss_esapi::handles::KeyHandle;
use tss_esapi::interface_types::resource_handles::Hierarchy;
use tss_esapi::structures::{
    Auth, Digest, HashcheckTicket, Name, Public, Signature, SignatureScheme,
};
use tss_esapi::tcti_ldr::TctiNameConf;
use tss_esapi::tss2_esys::TPMT_TK_HASHCHECK;
use tss_esapi::Context;

const PIN: &[u8] = b"4711";

struct Chip {
    context: Context,
    srk: KeyHandle,
    srk_public: Public,
    _swtpm: Swtpm,
}

fn chip(swtpm: Swtpm) -> Chip {
    std::env::set_var("TSS2_LOG", "all+none");
    let mut context = Context::new(TctiNameConf::from_str(&swtpm.tcti()).unwrap()).unwrap();
    let primary = context
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
        .unwrap();
    Chip {
        context,
        srk: primary.key_handle,
        srk_public: primary.out_public,
        _swtpm: swtpm,
    }
}

fn public_sec1(key: &SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec()
}

/// `key` (an approving device's signing key) signs the approval of duplicating `object` to `new_parent`.
fn approve(key: &SigningKey, object: &Name, new_parent: &Name) -> Signature {
    let digest = approval_digest(&approved_duplication(object, new_parent));
    let signature: EcdsaSignature = key.sign_prehash(&digest).unwrap();
    let (r, s) = signature.split_bytes();
    ecdsa_signature(&r, &s).unwrap()
}

/// The chip itself refused (a TPM response code, not a check of this crate or of ESYS).
fn refused_by_chip<T>(result: tss_esapi::Result<T>, what: &str) {
    match result {
        Err(tss_esapi::Error::Tss2Error(code)) => eprintln!("{what}: refused by the chip ({code})"),
        Err(other) => panic!("{what}: refused, but not by the chip: {other}"),
        Ok(_) => panic!("{what}: the chip duplicated"),
    }
}

fn null_ticket() -> HashcheckTicket {
    HashcheckTicket::try_from(TPMT_TK_HASHCHECK {
        tag: TPM2_ST_HASHCHECK,
        hierarchy: TPM2_RH_NULL,
        digest: Default::default(),
    })
    .unwrap()
}

#[test]
fn the_chip_duplicates_a_passkey_only_with_another_devices_approval() {
    let (Some(a), Some(b), Some(d)) = (
        Swtpm::start("source"),
        Swtpm::start("target"),
        Swtpm::start("other"),
    ) else {
        return;
    };
    let (mut source, mut target, other) = (chip(a), chip(b), chip(d));
    // The devices' signing keys (their ring keys): the source's own, the target's and the approver's.
    let (source_key, target_key, approver_key) = (
        SigningKey::random(&mut OsRng),
        SigningKey::random(&mut OsRng),
        SigningKey::random(&mut OsRng),
    );

    // On the source: the other devices' keys named by its chip, the passkey made under the policy naming them.
    let approver = approver_public(&public_sec1(&approver_key)).unwrap();
    let own = approver_public(&public_sec1(&source_key)).unwrap();
    let target_public = approver_public(&public_sec1(&target_key)).unwrap();
    let ctx = &mut source.context;
    let approver_name = name_of(ctx, &approver).unwrap();
    let source_name = name_of(ctx, &own).unwrap();
    let target_device_name = name_of(ctx, &target_public).unwrap();
    // Three devices: the source and the target have TPMs (holders), the approver has none.
    let source_srk_name = name_of(ctx, &source.srk_public).unwrap();
    let target_srk_name = name_of(ctx, &target.srk_public).unwrap();
    let (branches, policy) = copy_policy(&[
        (&source_name, Some(&source_srk_name)),
        (&approver_name, None),
        (&target_device_name, Some(&target_srk_name)),
    ])
    .unwrap();
    assert_eq!(branches.len(), 4, "each holder with each other device");
    let srk = source.srk;
    let on_source = Holder {
        storage_key: srk,
        branches: &branches,
    };
    let created = ctx
        .execute_with_nullauth_session(|c| {
            c.create(
                srk,
                duplicable_passkey(&policy).unwrap(),
                Some(Auth::try_from(PIN.to_vec()).unwrap()),
                None,
                None,
                None,
            )
        })
        .expect("the chip makes a duplicable key under the copy policy");
    let public = created.out_public.clone();
    let object = ctx
        .execute_with_nullauth_session(|c| c.load(srk, created.out_private.clone(), public.clone()))
        .unwrap();
    let (_, object_name, _) = ctx.read_public(object).unwrap();
    let original = templates::sec1_point(&public).unwrap();

    // The target's storage key (its SRK public, which its device card would carry), and another device's.
    let target_parent = target.srk_public.clone();
    let other_parent = other.srk_public.clone();
    let target_parent_name = name_of(ctx, &target_parent).unwrap();
    let other_parent_name = name_of(ctx, &other_parent).unwrap();

    // ARCHITECTURE.md rule 10, at the chip: no approval, the source's own signature, an approval for another
    // parent used with this one, an approval for this parent used with another: all refused by the TPM.
    refused_by_chip(
        duplicate_without_approval(ctx, object, &object_name, &target_parent, &branches),
        "TPM2_Duplicate without the approver's signature",
    );
    let by_source = approve(&source_key, &object_name, &target_parent_name);
    refused_by_chip(
        duplicate(
            ctx,
            object,
            &object_name,
            &target_parent,
            &own,
            by_source,
            &on_source,
        ),
        "approved by the source's own key",
    );
    let for_other = approve(&approver_key, &object_name, &other_parent_name);
    refused_by_chip(
        duplicate(
            ctx,
            object,
            &object_name,
            &target_parent,
            &approver,
            for_other,
            &on_source,
        ),
        "an approval for another target",
    );
    let for_target = approve(&approver_key, &object_name, &target_parent_name);
    refused_by_chip(
        duplicate(
            ctx,
            object,
            &object_name,
            &other_parent,
            &approver,
            for_target.clone(),
            &on_source,
        ),
        "the target's approval used for another storage key",
    );
    // The PIN alone (the key's authValue, in a password session) is not the ADMIN role TPM2_Duplicate needs.
    let target_parent_handle = ctx
        .load_external_public(target_parent.clone(), Hierarchy::Null)
        .unwrap();
    ctx.tr_set_auth(object.into(), Auth::try_from(PIN.to_vec()).unwrap())
        .unwrap();
    refused_by_chip(
        ctx.execute_with_nullauth_session(|c| {
            c.duplicate(
                object.into(),
                target_parent_handle.into(),
                None,
                keyplace_host::stores::tpm::duplication::INNER_WRAPPER,
            )
        }),
        "TPM2_Duplicate with the PIN",
    );
    ctx.flush_context(target_parent_handle.into()).unwrap();

    // Approved by the other device, to the target's storage key: the chip duplicates, under an inner wrapper.
    let started = Instant::now();
    let (inner_key, duplicated, seed) = duplicate(
        ctx,
        object,
        &object_name,
        &target_parent,
        &approver,
        for_target,
        &on_source,
    )
    .expect("the chip duplicates with the approval");
    let duplicate_time = started.elapsed();
    assert!(
        !inner_key.value().is_empty(),
        "encryptedDuplication: an inner wrapper key"
    );

    // On the target: import under its storage key, load, sign with the PIN; the original public key verifies.
    let started = Instant::now();
    let tctx = &mut target.context;
    let private = import(
        tctx,
        target.srk,
        inner_key.clone(),
        public.clone(),
        duplicated.clone(),
        seed.clone(),
    )
    .expect("the target's chip imports the duplicate");
    let tsrk = target.srk;
    let key = tctx
        .execute_with_nullauth_session(|c| c.load(tsrk, private.clone(), public.clone()))
        .unwrap();
    let import_time = started.elapsed();
    tctx.tr_set_auth(key.into(), Auth::try_from(PIN.to_vec()).unwrap())
        .unwrap();
    let digest = Digest::try_from(Sha256::digest(b"assertion").to_vec()).unwrap();
    let signature = tctx
        .execute_with_nullauth_session(|c| {
            c.sign(key, digest.clone(), SignatureScheme::Null, null_ticket())
        })
        .unwrap();
    let Signature::EcDsa(signature) = signature else {
        panic!("an ECDSA signature")
    };
    let pad = |v: &[u8]| {
        let mut out = [0u8; 32];
        out[32 - v.len()..].copy_from_slice(v);
        out
    };
    let signature = EcdsaSignature::from_scalars(
        pad(signature.signature_r().value()),
        pad(signature.signature_s().value()),
    )
    .unwrap();
    VerifyingKey::from_sec1_bytes(&original)
        .unwrap()
        .verify(b"assertion", &signature)
        .expect("the imported key signs with the original public key");

    // On the target, the copy is held to the same rule: its own signature cannot copy it further (there is no
    // (target, target) pair, and the source's pairs need the source's storage key), another device's can.
    let (_, copy_name, _) = tctx.read_public(key).unwrap();
    assert_eq!(copy_name, object_name);
    let on_target = Holder {
        storage_key: tsrk,
        branches: &branches,
    };
    let other_parent_name = name_of(tctx, &other.srk_public).unwrap();
    refused_by_chip(
        duplicate(
            tctx,
            key,
            &object_name,
            &other.srk_public,
            &target_public,
            approve(&target_key, &object_name, &other_parent_name),
            &on_target,
        ),
        "a received copy duplicated with its holder's own signature",
    );
    // A branch list with the holder's own approval and no PolicySecret slipped in: the chip's PolicyOR then ends
    // in another digest than the key's policy, and TPM2_Duplicate is refused.
    let mut forged = branches.clone();
    forged[1] = authorize_branch(target_device_name.value());
    refused_by_chip(
        duplicate(
            tctx,
            key,
            &object_name,
            &other.srk_public,
            &target_public,
            approve(&target_key, &object_name, &other_parent_name),
            &Holder {
                storage_key: tsrk,
                branches: &forged,
            },
        ),
        "a received copy with a forged branch list",
    );
    duplicate(
        tctx,
        key,
        &object_name,
        &other.srk_public,
        &approver,
        approve(&approver_key, &object_name, &other_parent_name),
        &on_target,
    )
    .expect("another device's approval copies the received key further");

    // The same duplicate cannot be imported by a chip other than the target's.
    let mut other = other;
    let osrk = other.srk;
    refused_by_chip(
        import(
            &mut other.context,
            osrk,
            inner_key,
            public,
            duplicated,
            seed,
        ),
        "import on another chip",
    );
    eprintln!("TPM duplicate (verify approval + policy + TPM2_Duplicate): {duplicate_time:?}; import + load: {import_time:?}");
}
