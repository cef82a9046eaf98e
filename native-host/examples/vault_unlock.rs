//! What one vault unlock costs, by protection: prints ONE JSON object on stdout.
//!
//! - `argon2`: one Argon2id derivation with the parameters of older vaults (19 MiB, 2 passes) and of new ones
//!   (19 MiB, `Vault`'s passes): milliseconds per guess and guesses per second on one core.
//! - `tpm_sealed`: a vault unlock with the PIN when its key is sealed by a TPM (a swtpm of its own). A copied disk
//!   gives nothing to guess against offline: each guess is the chip's, which counts it.
//! - `os_sealed`: a vault unlock when its key is wrapped under the PIN and a secret of the OS secret store (a
//!   GNOME Keyring of its own on a private D-Bus). A copied disk without that secret gives nothing to guess
//!   against; with it, each guess costs the Argon2id derivation above.
//!
//! Medians of `VAULT_UNLOCK_RUNS` (default 9). No assertions on time: every figure is reported as measured.

use std::sync::Arc;
use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, Version};
use keyplace_host::metadata::Metadata;
use keyplace_host::stores::vault::Vault;
use keyplace_host::stores::vault_seal::DeviceSeal;
use keyplace_host::stores::{KeyStore, Purpose};
use serde_json::json;

const PIN: &str = "correct horse";

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

fn argon2_ms(m_kib: u32, passes: u32, runs: usize) -> f64 {
    let params = Params::new(m_kib, passes, 1, Some(32)).expect("parameters");
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut out = [0u8; 32];
    median(
        (0..runs)
            .map(|_| {
                let started = Instant::now();
                argon2
                    .hash_password_into(PIN.as_bytes(), &[7; 16], &mut out)
                    .expect("argon2");
                started.elapsed()
            })
            .collect(),
    )
}

/// Unlocks (PIN sent, the unlocked state forgotten each time) a vault made with `seal`.
fn vault_unlock_ms(seal: DeviceSeal, runs: usize) -> f64 {
    let dir = tempfile::tempdir().expect("temporary directory");
    let metadata = Arc::new(Metadata::open(&dir.path().join("keyplace.db")).expect("database"));
    let vault = Vault::with_seal(metadata, seal);
    vault
        .authorize(Some(PIN), true, Purpose::Create)
        .expect("set the PIN");
    median(
        (0..runs)
            .map(|_| {
                vault.lock();
                let started = Instant::now();
                vault
                    .authorize(Some(PIN), true, Purpose::Sign)
                    .expect("unlock");
                started.elapsed()
            })
            .collect(),
    )
}

/// On a swtpm of its own; none where there is no swtpm (or no TPM support).
fn tpm_sealed_unlock_ms(runs: usize) -> Option<f64> {
    #[cfg(target_os = "linux")]
    {
        let tpm = keyplace_host::test_support::swtpm::Swtpm::start("vault_unlock")?;
        let ms = vault_unlock_ms(DeviceSeal::tpm(tpm.tcti()), runs);
        tpm.stop();
        Some(ms)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = runs;
        None
    }
}

/// With a Secret Service of its own (GNOME Keyring); none where it cannot be started.
fn os_sealed_unlock_ms(runs: usize) -> Option<f64> {
    #[cfg(target_os = "linux")]
    {
        let daemon = keyplace_host::test_support::secret_service::SecretServiceDaemon::start(
            "vault_unlock",
        )?;
        let ms = vault_unlock_ms(DeviceSeal::none().with_os_secrets(daemon.store()), runs);
        daemon.stop();
        Some(ms)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = runs;
        None
    }
}

fn main() {
    let runs: usize = std::env::var("VAULT_UNLOCK_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(9);
    let old = argon2_ms(19_456, 2, runs);
    let new_passes = keyplace_host::stores::vault::KDF_PASSES;
    let new = argon2_ms(19_456, new_passes, runs);
    let argon2 = |passes: u32, ms: f64| {
        json!({
            "m_kib": 19_456,
            "passes": passes,
            "ms_per_guess": ms,
            "guesses_per_second_per_core": 1000.0 / ms,
        })
    };
    let report = json!({
        "runs": runs,
        "argon2": { "before": argon2(2, old), "after": argon2(new_passes, new) },
        "pin_only_unlock_ms": vault_unlock_ms(DeviceSeal::none(), runs),
        "tpm_sealed_unlock_ms": tpm_sealed_unlock_ms(runs),
        "os_sealed_unlock_ms": os_sealed_unlock_ms(runs),
    });
    println!("{report}");
}
