//! What protects the vault and the TPM's lockout on this computer, in plain words: `doctor` says these, and the
//! README says the same. Every such wording lives here.

/// How the vault's data key is kept on this computer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VaultProtection {
    /// Sealed by this computer's TPM, the PIN as its authorization.
    TpmSealed,
    /// Wrapped under a key derived from the PIN alone (no TPM).
    PinOnly,
}

impl VaultProtection {
    pub fn describe(self) -> &'static str {
        match self {
            VaultProtection::TpmSealed => {
                "Vault sealed by this computer's TPM: a copied disk is useless elsewhere, and wrong PINs count \
                 toward the chip's lockout"
            }
            VaultProtection::PinOnly => {
                "Vault protected by your PIN only (no TPM): whoever copies the data folder can try PINs on \
                 another computer as fast as it computes them (each guess costs about a quarter of a second of \
                 one core); Keyplace itself makes you wait after 5 wrong PINs"
            }
        }
    }

    /// What to do about it, when there is something to do.
    pub fn advice(self) -> Option<&'static str> {
        match self {
            VaultProtection::TpmSealed => None,
            VaultProtection::PinOnly => Some(
                "Choose a long PIN (a passphrase). With a TPM reachable, the vault is sealed by it at the next \
                 unlock.",
            ),
        }
    }

    /// A TPM-sealed vault while the TPM cannot be reached: what that means, and what to do.
    pub const SEALED_BUT_NO_TPM: &'static str =
        "Vault sealed by a TPM that Keyplace cannot reach now: it opens only when that TPM is back (a copied data \
         folder never opens on another computer)";
    pub const SEALED_BUT_NO_TPM_FIX: &'static str =
        "See the TPM lines below; on another computer, the passkeys of this vault cannot be used.";

    /// Before the vault has a PIN: what it will get.
    pub fn describe_future(self) -> &'static str {
        match self {
            VaultProtection::TpmSealed => {
                "Vault has no PIN yet; it will be sealed by this computer's TPM when you choose one"
            }
            VaultProtection::PinOnly => {
                "Vault has no PIN yet; without a TPM it will be protected by that PIN only"
            }
        }
    }
}

/// The TPM's lockout hierarchy has an authorization: nobody without it can reset the lockout counter.
pub const LOCKOUT_AUTH_SET: &str =
    "TPM lockout has an owner password: only its holder can reset the count of wrong PINs";

/// The TPM's lockout hierarchy has no authorization (most Linux computers).
pub const LOCKOUT_AUTH_MISSING: &str =
    "TPM lockout has no owner password: any program that can use the TPM can reset the count of wrong PINs \
     (TPM2_DictionaryAttackLockReset) and keep guessing, so the chip's lockout only slows guessing down";

/// How to give the lockout hierarchy an authorization.
pub const LOCKOUT_AUTH_FIX: &str =
    "Set one and keep it somewhere safe: tpm2_changeauth -c lockout <password> (from tpm2-tools, as a user \
     allowed to use the TPM).";
