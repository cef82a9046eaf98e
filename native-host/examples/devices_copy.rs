//! Times of enrolling a device and copying a vault passkey, without the person (no typing, no carrying files):
//! three devices in temporary data folders, each vault sealed by its own swtpm (Linux, when swtpm is installed)
//! with the device signing key in it and the passkey held by the TPM (so a copy is also released by the source's
//! chip), and, separately, by the PIN alone (Argon2id, the software path); then the
//! chip's own cost of a copy under policy (TPM2_VerifySignature + policy + TPM2_Duplicate on the source, TPM2_Import
//! + TPM2_Load on the target). Prints medians of `ROUNDS` rounds as plain lines. Run with `cargo run --release -p keyplace-host --example devices_copy`. No assertions on time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyplace_host::devices::Devices;
use keyplace_host::metadata::{CredentialRecord, Metadata};
use keyplace_host::protocol::StoreId;
use keyplace_host::stores::vault::{Vault, VAULT_AAGUID};
use keyplace_host::stores::vault_seal::DeviceSeal;
use keyplace_host::stores::{KeyStore, Purpose};

const PIN: &str = "471100";
const ROUNDS: usize = 5;

struct Device {
    _dir: tempfile::TempDir,
    metadata: Arc<Metadata>,
    devices: Devices,
    seal: Box<dyn Fn() -> DeviceSeal>,
    #[cfg(target_os = "linux")]
    _tpm: Option<keyplace_host::test_support::swtpm::Swtpm>,
}

fn device(tpm: bool) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let metadata = Arc::new(Metadata::open(&dir.path().join("keyplace.db")).unwrap());
    #[cfg(target_os = "linux")]
    {
        let swtpm = if tpm {
            keyplace_host::test_support::swtpm::Swtpm::start("bench")
        } else {
            None
        };
        let tcti = swtpm.as_ref().map(|s| s.tcti());
        let seal: Box<dyn Fn() -> DeviceSeal> = match tcti {
            Some(tcti) => Box::new(move || DeviceSeal::tpm(tcti.clone())),
            None => Box::new(DeviceSeal::none),
        };
        let vault = Vault::with_seal(metadata.clone(), seal());
        let devices = match &swtpm {
            Some(swtpm) => Devices::with_tpm(metadata.clone(), vault, swtpm.tcti()),
            None => Devices::new(metadata.clone(), vault),
        };
        Device {
            devices,
            metadata,
            seal,
            _dir: dir,
            _tpm: swtpm,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = tpm;
        Device {
            devices: Devices::new(
                metadata.clone(),
                Vault::with_seal(metadata.clone(), DeviceSeal::none()),
            ),
            metadata,
            seal: Box::new(DeviceSeal::none),
            _dir: dir,
        }
    }
}

fn passkey(device: &Device, id: &[u8]) {
    let vault = Vault::with_seal(device.metadata.clone(), (device.seal)());
    let authorization = vault.authorize(Some(PIN), true, Purpose::Create).unwrap();
    let key = vault.create_key(&authorization, id).unwrap();
    device
        .metadata
        .insert_credential(&CredentialRecord {
            credential_id: id.to_vec(),
            rp_id: "example.com".into(),
            user_id: b"u".to_vec(),
            user_name: "alice".into(),
            user_display_name: "Alice".into(),
            store: StoreId::Vault,
            aaguid: VAULT_AAGUID.into(),
            key_blob: key.key_blob,
            public_key: key.public_key,
            sign_count: 0,
            created_at: 0,
            last_used_at: None,
            backup_eligible: true,
            backup_state: false,
            resident_key: true,
        })
        .unwrap();
}

#[derive(Default)]
struct Times {
    enroll: Vec<Duration>,
    request: Vec<Duration>,
    approve: Vec<Duration>,
    release: Vec<Duration>,
    import: Vec<Duration>,
}

fn round(tpm: bool, times: &mut Times) {
    let (a, b, c) = (device(tpm), device(tpm), device(tpm));
    a.devices.init("desktop", PIN).unwrap();
    // Vault PINs set beforehand: enrolling is timed from the join request on.
    b.devices.join_request("laptop", PIN).unwrap();
    let started = Instant::now();
    let join = b.devices.join_request("laptop", PIN).unwrap();
    a.devices.inspect_join(&join.code).unwrap();
    let ring = a.devices.approve_join(&join.code, PIN).unwrap();
    b.devices.accept(&ring).unwrap();
    times.enroll.push(started.elapsed());
    let join = c.devices.join_request("phone", PIN).unwrap();
    let ring = a.devices.approve_join(&join.code, PIN).unwrap();
    c.devices.accept(&ring).unwrap();

    passkey(&a, b"cred-1");
    let started = Instant::now();
    let request = a
        .devices
        .request_copy("laptop", &[b"cred-1".to_vec()], PIN)
        .unwrap();
    times.request.push(started.elapsed());
    let started = Instant::now();
    let approval = c.devices.approve_copy(&request.file, PIN).unwrap();
    times.approve.push(started.elapsed());
    // With TPMs the passkey is held by the desktop's chip: the approval goes back there, and its chip releases it.
    let chip_held = a
        .metadata
        .credential(b"cred-1")
        .unwrap()
        .is_some_and(|c| keyplace_host::stores::vault_chip::is_chip_blob(&c.key_blob));
    let (file, approval) = if chip_held {
        let started = Instant::now();
        let package = a.devices.release_copy(&approval).unwrap().file;
        times.release.push(started.elapsed());
        (package, None)
    } else {
        (request.file, Some(approval))
    };
    let started = Instant::now();
    b.devices
        .import_copy(&file, approval.as_deref(), PIN)
        .unwrap();
    times.import.push(started.elapsed());
}

fn median(values: &mut [Duration]) -> String {
    values.sort();
    format!("{:.1} ms", values[values.len() / 2].as_secs_f64() * 1000.0)
}

fn main() {
    std::env::set_var("TSS2_LOG", "all+none");
    for (label, tpm) in [
        ("vault sealed by swtpm", true),
        ("vault wrapped under the PIN (Argon2id)", false),
    ] {
        #[cfg(target_os = "linux")]
        if tpm && !keyplace_host::test_support::swtpm::Swtpm::installed() {
            println!("{label}: skipped (swtpm is not installed)");
            continue;
        }
        #[cfg(not(target_os = "linux"))]
        if tpm {
            continue;
        }
        let mut times = Times::default();
        for _ in 0..ROUNDS {
            round(tpm, &mut times);
        }
        println!("{label}, medians of {ROUNDS}:");
        println!(
            "  enroll (join request, approve, accept): {}",
            median(&mut times.enroll)
        );
        println!(
            "  copy request (1 passkey):               {}",
            median(&mut times.request)
        );
        println!(
            "  copy approve:                           {}",
            median(&mut times.approve)
        );
        if !times.release.is_empty() {
            println!(
                "  copy release (the source's TPM duplicates): {}",
                median(&mut times.release)
            );
        }
        println!(
            "  copy import:                            {}",
            median(&mut times.import)
        );
    }
    #[cfg(target_os = "linux")]
    if keyplace_host::test_support::swtpm::Swtpm::installed() {
        chip::run();
    }
}

/// The chip's cost of a copy under policy, on two swtpm (see src/stores/tpm/duplication.rs).
#[cfg(target_os = "linux")]
mod chip {
    use std::str::FromStr;
    use std::time::{Duration, Instant};

    use keyplace_host::stores::tpm::duplication::{
        approval_digest, approved_duplication, approver_public, copy_policy, duplicable_passkey,
        duplicate, ecdsa_signature, import, name_of, Holder,
    };
    use keyplace_host::stores::tpm::templates;
    use keyplace_host::test_support::swtpm::Swtpm;
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    use p256::ecdsa::{Signature, SigningKey};
    use rand_core::OsRng;
    use tss_esapi::handles::KeyHandle;
    use tss_esapi::interface_types::resource_handles::Hierarchy;
    use tss_esapi::structures::{Auth, Public};
    use tss_esapi::tcti_ldr::TctiNameConf;
    use tss_esapi::Context;

    fn sec1_of(key: &SigningKey) -> Vec<u8> {
        key.verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    fn open(swtpm: &Swtpm) -> (Context, KeyHandle, Public) {
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
        (context, primary.key_handle, primary.out_public)
    }

    pub fn run() {
        let (mut dup_times, mut import_times): (Vec<Duration>, Vec<Duration>) =
            (Vec::new(), Vec::new());
        for _ in 0..super::ROUNDS {
            let (source_tpm, target_tpm) = (
                Swtpm::start("source").unwrap(),
                Swtpm::start("target").unwrap(),
            );
            let (mut source, srk, _) = open(&source_tpm);
            let (mut target, target_srk, target_parent) = open(&target_tpm);
            let approver_key = SigningKey::random(&mut OsRng);
            let approver = approver_public(&sec1_of(&approver_key)).unwrap();
            // The source holds the key (its storage key) and the approver approves: the policy's one pair.
            let source_key = approver_public(&sec1_of(&SigningKey::random(&mut OsRng))).unwrap();
            let source_name = name_of(&mut source, &source_key).unwrap();
            let (_, srk_name, _) = source.read_public(srk).unwrap();
            let approver_name = name_of(&mut source, &approver).unwrap();
            let (branches, policy) =
                copy_policy(&[(&source_name, Some(&srk_name)), (&approver_name, None)]).unwrap();
            let created = source
                .execute_with_nullauth_session(|c| {
                    let auth = Auth::try_from(b"471100".to_vec()).unwrap();
                    c.create(
                        srk,
                        duplicable_passkey(&policy).unwrap(),
                        Some(auth),
                        None,
                        None,
                        None,
                    )
                })
                .unwrap();
            let public = created.out_public.clone();
            let object = source
                .execute_with_nullauth_session(|c| {
                    c.load(srk, created.out_private.clone(), public.clone())
                })
                .unwrap();
            let (_, object_name, _) = source.read_public(object).unwrap();
            let parent_name = name_of(&mut source, &target_parent).unwrap();
            let digest = approval_digest(&approved_duplication(&object_name, &parent_name));
            let signature: Signature = approver_key.sign_prehash(&digest).unwrap();
            let (r, s) = signature.split_bytes();
            let started = Instant::now();
            let (inner, duplicated, seed) = duplicate(
                &mut source,
                object,
                &object_name,
                &target_parent,
                &approver,
                ecdsa_signature(&r, &s).unwrap(),
                &Holder {
                    storage_key: srk,
                    branches: &branches,
                },
            )
            .unwrap();
            dup_times.push(started.elapsed());
            let started = Instant::now();
            let private = import(
                &mut target,
                target_srk,
                inner,
                public.clone(),
                duplicated,
                seed,
            )
            .unwrap();
            target
                .execute_with_nullauth_session(|c| {
                    c.load(target_srk, private.clone(), public.clone())
                })
                .unwrap();
            import_times.push(started.elapsed());
        }
        println!(
            "TPM copy under policy (swtpm), medians of {}:",
            super::ROUNDS
        );
        println!(
            "  source: verify approval + policy + TPM2_Duplicate: {}",
            super::median(&mut dup_times)
        );
        println!(
            "  target: TPM2_Import + TPM2_Load:                   {}",
            super::median(&mut import_times)
        );
    }
}
