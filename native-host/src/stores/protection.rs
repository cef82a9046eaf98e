//! What protects the vault and the TPM's lockout on this computer, in plain words: `doctor` says these, and the
//! README says the same. Every such wording lives here.

/// This platform's secret store, as a person knows it (a macro, so the sentences below stay constants).
#[cfg(target_os = "linux")]
macro_rules! os_store {
    () => {
        "your login keyring (Secret Service)"
    };
}
#[cfg(target_os = "macos")]
macro_rules! os_store {
    () => {
        "your login Keychain"
    };
}
#[cfg(windows)]
macro_rules! os_store {
    () => {
        "your Windows account (DPAPI)"
    };
}
#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
macro_rules! os_store {
    () => {
        "no secret store"
    };
}

/// This platform's secret store in words.
pub const OS_SECRET_STORE: &str = os_store!();

/// How the vault's data key is kept on this computer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VaultProtection {
    /// Sealed by this computer's TPM, the PIN as its authorization.
    TpmSealed,
    /// No TPM: wrapped under the PIN and a device secret kept in the operating system's secret store, together.
    OsSealed,
    /// Wrapped under a key derived from the PIN alone (no TPM, no secret store reachable).
    PinOnly,
}

impl VaultProtection {
    /// The same, on the wire (`hello`).
    pub fn kind(self) -> crate::protocol::VaultProtectionKind {
        use crate::protocol::VaultProtectionKind as Kind;
        match self {
            VaultProtection::TpmSealed => Kind::Tpm,
            VaultProtection::OsSealed => Kind::OsSecret,
            VaultProtection::PinOnly => Kind::PinOnly,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            VaultProtection::TpmSealed => {
                "Vault sealed by this computer's TPM: a copied disk is useless elsewhere, and wrong PINs count \
                 toward the chip's lockout"
            }
            VaultProtection::OsSealed => concat!(
                "Vault sealed by your PIN together with a secret kept in ",
                os_store!(),
                ": a copied data folder is useless on another computer or account, even with the right PIN; \
                 Keyplace itself makes you wait after 5 wrong PINs"
            ),
            VaultProtection::PinOnly => {
                "Vault protected by your PIN only (no TPM, no secret store Keyplace can use): whoever copies \
                 the data folder can try PINs on another computer as fast as it computes them (each guess costs \
                 about a quarter of a second of one core); Keyplace itself makes you wait after 5 wrong PINs"
            }
        }
    }

    /// What to do about it, when there is something to do.
    pub fn advice(self) -> Option<&'static str> {
        match self {
            VaultProtection::TpmSealed | VaultProtection::OsSealed => None,
            VaultProtection::PinOnly => Some(concat!(
                "Choose a long PIN (a passphrase). With a TPM, or ",
                os_store!(),
                " reachable, the vault is sealed by it at the next unlock."
            )),
        }
    }

    /// A TPM-sealed vault while the TPM cannot be reached: what that means, and what to do.
    pub const SEALED_BUT_NO_TPM: &'static str =
        "Vault sealed by a TPM that Keyplace cannot reach now: it opens only when that TPM is back (a copied data \
         folder never opens on another computer)";
    pub const SEALED_BUT_NO_TPM_FIX: &'static str =
        "See the TPM lines below; on another computer, the passkeys of this vault cannot be used.";

    /// A vault sealed with the secret store while that store cannot be reached.
    pub const SEALED_BUT_NO_OS_STORE: &'static str = concat!(
        "Vault sealed with a secret kept in ",
        os_store!(),
        ", which Keyplace cannot reach now: it opens only when that store is back (a copied data folder never \
         opens on another computer or account)"
    );
    pub const SEALED_BUT_NO_OS_STORE_FIX: &'static str =
        "Log in to your desktop session (it unlocks your keyring), then try again; on another computer or \
         account, the passkeys of this vault cannot be used.";

    /// What this computer can seal a vault with now, said by `doctor` whatever the vault's state.
    pub fn describe_available(self) -> &'static str {
        match self {
            VaultProtection::TpmSealed => "This computer seals the vault with its TPM",
            VaultProtection::OsSealed => concat!(
                "This computer has no TPM Keyplace can use; it seals the vault with your PIN and a secret kept in ",
                os_store!()
            ),
            VaultProtection::PinOnly => {
                "This computer has no TPM and no secret store Keyplace can use: only the PIN protects the vault"
            }
        }
    }

    /// Before the vault has a PIN: what it will get.
    pub fn describe_future(self) -> &'static str {
        match self {
            VaultProtection::TpmSealed => {
                "Vault has no PIN yet; it will be sealed by this computer's TPM when you choose one"
            }
            VaultProtection::OsSealed => concat!(
                "Vault has no PIN yet; it will be sealed by that PIN together with a secret kept in ",
                os_store!(),
                " when you choose one"
            ),
            VaultProtection::PinOnly => {
                "Vault has no PIN yet; without a TPM or a secret store it will be protected by that PIN only"
            }
        }
    }
}

/// No TPM, and the secret store cannot keep the vault's secret: why, and what to do.
pub fn no_os_store(reason: &str) -> String {
    format!(
        "No secret store for the vault: {} cannot be used, {reason}",
        os_store!()
    )
}
pub const NO_OS_STORE_FIX: &str =
    "In a desktop session, unlock your login keyring (GNOME Keyring, KWallet); until then the vault is protected \
     by its PIN only.";

/// Opening a vault whose secret the store does not hold: the typed error's words (`StoreError::SealedElsewhere`).
pub const SEALED_ELSEWHERE: &str = concat!(
    "This vault was sealed with a secret kept in the secret store of another computer or user account (or the \
     secret was deleted from ",
    os_store!(),
    "): it cannot be opened here, even with the right PIN."
);

/// What to do about a data folder sealed elsewhere.
pub const SEALED_ELSEWHERE_FIX: &str =
    "Use this data folder on the computer and account it comes from; to move passkeys, copy them with \
     `keyplace-host copy` (see the README).";

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
