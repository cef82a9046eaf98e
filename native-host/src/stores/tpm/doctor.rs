//! `doctor`'s TPM lines: can the host reach the chip through which TCTI, and how close is it to locking.

use super::{TpmStore, TCTI_ENV};
use crate::stores::hardware::DoctorLine;
use crate::stores::protection::{LOCKOUT_AUTH_FIX, LOCKOUT_AUTH_MISSING, LOCKOUT_AUTH_SET};

pub fn diagnose(tcti: &str) -> Vec<DoctorLine> {
    let store = TpmStore::new(tcti.to_owned());
    let line = |ok, text: String, fix: &str| DoctorLine {
        ok,
        text,
        fix: fix.to_owned(),
    };
    if let Err(reason) = store.probe() {
        let fix = if reason.contains("group \"tss\"") {
            "Add yourself to the group tss (sudo usermod -aG tss $USER), log out and in, then run doctor again."
        } else if reason.contains("does not exist") {
            "If this computer has a TPM 2.0, turn it on in the firmware settings. Until then, use the Keyplace vault."
        } else {
            "Check the TPM, or KEYPLACE_TPM_TCTI if you set it. The Keyplace vault works without it."
        };
        return vec![line(false, format!("TPM ({tcti}): {reason}"), fix)];
    }
    let mut lines = vec![line(
        true,
        format!("TPM reachable through {tcti} (set {TCTI_ENV} to use another)"),
        "",
    )];
    match store.da_state() {
        Ok(state) if state.is_locked() => lines.push(line(
            false,
            format!(
                "TPM is locked after {} wrong PINs (of {} allowed); hardware passkeys cannot be used now",
                state.counter, state.max_tries
            ),
            &match state.retry_after_seconds() {
                Some(seconds) => format!("Wait about {} minutes; the chip unlocks by itself.", seconds.div_ceil(60)),
                None => "The TPM's owner can reset it: tpm2_dictionarylockout --clear-lockout.".to_owned(),
            },
        )),
        Ok(state) => lines.push(line(
            true,
            format!(
                "TPM lockout: {} wrong PIN{} counted, {} more before the chip locks{}",
                state.counter,
                if state.counter == 1 { "" } else { "s" },
                state.tries_left(),
                match state.interval {
                    0 => String::new(),
                    seconds => format!(" (it forgets one every {seconds} s)"),
                }
            ),
            "",
        )),
        Err(e) => lines.push(line(
            false,
            format!("TPM lockout state cannot be read: {e}"),
            "Run doctor again; if it persists, report it.",
        )),
    }
    lines.push(match store.lockout_auth_set() {
        Ok(true) => line(true, LOCKOUT_AUTH_SET.to_owned(), ""),
        Ok(false) => line(false, LOCKOUT_AUTH_MISSING.to_owned(), LOCKOUT_AUTH_FIX),
        Err(e) => line(
            false,
            format!("Whether the TPM lockout has an owner password cannot be read: {e}"),
            "Run doctor again; if it persists, report it.",
        ),
    });
    lines
}
