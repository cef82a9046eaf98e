//! One open connection to the TPM: the ESYS context, the storage root key and a salted HMAC session, kept for the
//! host's lifetime because making them costs more than the signature itself (tens of ms on a real chip). Beside
//! them, one slot keeps the most recently used passkey key loaded, so that signing with it again is one TPM2_Sign
//! (loading and flushing it cost as much as the signature).

use std::str::FromStr;
use std::time::Instant;

use p256::ecdsa::Signature as EcdsaSignature;
use sha2::{Digest as _, Sha256};
use tss_esapi::attributes::SessionAttributesBuilder;
use tss_esapi::constants::tss::{TPM2_RH_NULL, TPM2_ST_HASHCHECK};
use tss_esapi::constants::{CapabilityType, PropertyTag, SessionType};
use tss_esapi::handles::{KeyHandle, ObjectHandle, SessionHandle};
use tss_esapi::interface_types::algorithm::HashingAlgorithm;
use tss_esapi::interface_types::resource_handles::Hierarchy;
use tss_esapi::interface_types::session_handles::AuthSession;
use tss_esapi::structures::{
    Auth, CapabilityData, Digest, HashcheckTicket, MaxBuffer, Public, SensitiveData, Signature,
    SignatureScheme, SymmetricDefinition,
};
use tss_esapi::tcti_ldr::TctiNameConf;
use tss_esapi::tss2_esys::TPMT_TK_HASHCHECK;
use tss_esapi::Context;
use zeroize::Zeroizing;

use super::blob::{KeyBlob, PasskeyBlob};
use super::errors::{is_out_of_object_memory, Failure};
use super::templates;

/// The chip's dictionary-attack state (TPM_PT_LOCKOUT_*).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DaState {
    /// Failed authorizations counted now.
    pub counter: u32,
    /// Failures allowed before lockout.
    pub max_tries: u32,
    /// Seconds after which one failure is forgotten (0: never by itself).
    pub interval: u32,
    /// Seconds before the lockout hierarchy may be tried again after a failure.
    pub lockout_recovery: u32,
}

impl DaState {
    pub fn tries_left(&self) -> u32 {
        self.max_tries.saturating_sub(self.counter)
    }

    pub fn is_locked(&self) -> bool {
        self.counter >= self.max_tries
    }

    /// How long until one try is available again, if the chip forgets failures by itself.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        if self.interval == 0 {
            return None;
        }
        let forget = u64::from(self.counter.saturating_sub(self.max_tries) + 1);
        Some(forget * u64::from(self.interval))
    }
}

pub struct Chip {
    pub(super) context: Context,
    pub(super) srk: KeyHandle,
    /// The storage key's public area: what another device duplicates a chip-held vault passkey to.
    pub(super) srk_public: Public,
    pub(super) session: AuthSession,
    /// The one passkey key kept loaded, if any.
    loaded: Option<LoadedKey>,
}

/// A passkey key loaded in the chip, and the exact stored blob it was loaded from (its identity: the same bytes
/// under the same SRK are the same TPM object). Holds no secret: its authValue is set for each signature and wiped
/// from ESYS right after it.
struct LoadedKey {
    key_blob: Vec<u8>,
    handle: KeyHandle,
}

// ESYS has no thread affinity; the store keeps the chip behind a Mutex, so one thread at a time uses it.
unsafe impl Send for Chip {}

impl Chip {
    /// Connects, makes the SRK and starts the session.
    pub fn open(tcti: &str) -> Result<Chip, Failure> {
        let started = Instant::now();
        let name = TctiNameConf::from_str(tcti).map_err(|e| {
            Failure::Unreachable(format!("KEYPLACE_TPM_TCTI \"{tcti}\" is not a TCTI: {e}"))
        })?;
        let mut context = Context::new(name).map_err(|e| {
            Failure::Unreachable(format!("cannot connect to the TPM ({tcti}): {e}"))
        })?;
        let srk_template = templates::srk().map_err(|e| Failure::Other(e.to_string()))?;
        let primary = context
            .execute_with_nullauth_session(|c| {
                c.create_primary(Hierarchy::Owner, srk_template, None, None, None, None)
            })
            .map_err(|e| Failure::from_tss("creating the storage key", e))?;
        let (srk, srk_public) = (primary.key_handle, primary.out_public);
        // Dropping `context` on failure flushes the SRK too.
        let session = start_session(&mut context, srk)?;
        crate::log::debug!("TPM ready ({tcti}) in {:?}", started.elapsed());
        Ok(Chip {
            context,
            srk,
            srk_public,
            session,
            loaded: None,
        })
    }

    /// A new passkey key inside the chip, with the PIN as its authValue; with `with_prf`, its PRF key beside it,
    /// made the same way under the same PIN.
    pub fn create(&mut self, pin: &[u8], with_prf: bool) -> Result<PasskeyBlob, Failure> {
        let started = Instant::now();
        let key = self.create_object(pin, templates::passkey, templates::is_passkey, "the key")?;
        let prf = if with_prf {
            Some(self.create_object(
                pin,
                templates::prf_key,
                templates::is_prf_key,
                "the PRF key",
            )?)
        } else {
            None
        };
        crate::log::debug!("TPM create: {:?}", started.elapsed());
        Ok(PasskeyBlob { key, prf })
    }

    /// One object made by the chip from `template` under the SRK, with `pin` as its authValue, checked against
    /// `is_expected` (the chip must not have made anything weaker than asked).
    fn create_object(
        &mut self,
        pin: &[u8],
        template: fn() -> tss_esapi::Result<Public>,
        is_expected: fn(&Public) -> bool,
        what: &str,
    ) -> Result<KeyBlob, Failure> {
        let template = template().map_err(|e| Failure::Other(e.to_string()))?;
        let auth = Auth::try_from(pin.to_vec()).map_err(|e| Failure::Other(e.to_string()))?;
        let (srk, session) = (self.srk, self.session);
        // Salted session with parameter encryption: the PIN travels encrypted to the chip.
        let created = self
            .with_room(|c| {
                c.execute_with_session(Some(session), |c| {
                    c.create(srk, template.clone(), Some(auth.clone()), None, None, None)
                })
            })
            .map_err(|e| Failure::from_tss(&format!("creating {what}"), e))?;
        if !is_expected(&created.out_public) {
            return Err(Failure::Other(format!(
                "the TPM made {what} with other attributes than asked"
            )));
        }
        Ok(KeyBlob {
            public: created.out_public,
            private: created.out_private,
        })
    }

    /// ECDSA P-256 over SHA-256(`message`), DER encoded; the chip checks the PIN. `key_blob` is the stored blob
    /// that `blob` was decoded from: when it is the key loaded already, that key signs without loading again.
    pub fn sign(
        &mut self,
        key_blob: &[u8],
        blob: KeyBlob,
        pin: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>, Failure> {
        let started = Instant::now();
        let auth = Auth::try_from(pin.to_vec()).map_err(|e| Failure::Other(e.to_string()))?;
        let digest = Digest::try_from(Sha256::digest(message).to_vec())
            .map_err(|e| Failure::Other(e.to_string()))?;
        let ticket = HashcheckTicket::try_from(TPMT_TK_HASHCHECK {
            tag: TPM2_ST_HASHCHECK,
            hierarchy: TPM2_RH_NULL,
            digest: Default::default(),
        })
        .map_err(|e| Failure::Other(e.to_string()))?;
        let reused = self
            .loaded
            .as_ref()
            .is_some_and(|loaded| loaded.key_blob == key_blob);
        let key = self.load(key_blob, blob)?;
        // The PIN of *this* request, every time: the chip checks it for this signature (UV stays real) and counts a
        // wrong one toward its lockout, whether the key was loaded just now or before.
        let signed = self.context.tr_set_auth(key.into(), auth).and_then(|()| {
            self.context.execute_with_session(Some(self.session), |c| {
                c.sign(key, digest, SignatureScheme::Null, ticket)
            })
        });
        // ESYS copies the authValue into the key's object: overwrite it, so that the PIN does not stay in memory.
        let _ = self.context.tr_set_auth(key.into(), Auth::default());
        let signed = match signed {
            Ok(signature) => signature,
            Err(error) => {
                let failure = Failure::from_tss("signing", error);
                // A refused PIN says nothing against the loaded key; anything else may: load it again next time.
                if !matches!(failure, Failure::AuthFail | Failure::Lockout) {
                    self.unload();
                }
                return Err(failure);
            }
        };
        let der = der_signature(signed)?;
        crate::log::debug!(
            "TPM {}sign: {:?}",
            if reused { "" } else { "load + " },
            started.elapsed()
        );
        Ok(der)
    }

    /// TPM2_HMAC (SHA-256) of each salt under a passkey's PRF key, in the salted session (salts and outputs travel
    /// encrypted). The chip checks the PIN and counts a wrong one toward its lockout, as for a signature. The key is
    /// flushed right after: kept loaded beside the signing key, it would leave a small TPM no room.
    pub fn prf(
        &mut self,
        blob: KeyBlob,
        pin: &[u8],
        salts: &[&[u8]],
    ) -> Result<Vec<[u8; 32]>, Failure> {
        let started = Instant::now();
        let auth = Auth::try_from(pin.to_vec()).map_err(|e| Failure::Other(e.to_string()))?;
        let salts = salts
            .iter()
            .map(|salt| MaxBuffer::try_from(salt.to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Failure::Other(e.to_string()))?;
        let (srk, session) = (self.srk, self.session);
        let handle = self
            .with_room(|c| {
                c.execute_with_session(Some(session), |c| {
                    c.load(srk, blob.private.clone(), blob.public.clone())
                })
            })
            .map_err(|e| Failure::from_tss("loading the PRF key", e))?;
        let outputs = self
            .context
            .tr_set_auth(handle.into(), auth)
            .and_then(|()| {
                salts
                    .into_iter()
                    .map(|salt| {
                        self.context.execute_with_session(Some(session), |c| {
                            c.hmac(handle.into(), salt, HashingAlgorithm::Sha256)
                        })
                    })
                    .collect::<tss_esapi::Result<Vec<_>>>()
            });
        // Wipe ESYS's copy of the PIN, then leave nothing of the PRF key in the chip.
        let _ = self.context.tr_set_auth(handle.into(), Auth::default());
        if let Err(e) = self.context.flush_context(handle.into()) {
            crate::log::warning!("cannot unload a PRF key: {e}");
        }
        let outputs = outputs
            .map_err(|e| Failure::from_tss("computing the PRF", e))?
            .iter()
            .map(|output| <[u8; 32]>::try_from(output.value()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Failure::Other("the TPM's HMAC is not 32 bytes long".into()))?;
        crate::log::debug!(
            "TPM load + PRF ({} salts): {:?}",
            outputs.len(),
            started.elapsed()
        );
        Ok(outputs)
    }

    /// Seals `secret` in a new sealed-data object under the SRK, with `auth` as its authValue. The secret and the
    /// auth travel encrypted (the session's parameter encryption covers TPM2_Create's sensitive part).
    pub fn seal(&mut self, auth: &[u8], secret: &[u8]) -> Result<KeyBlob, Failure> {
        let template = templates::sealed_secret().map_err(|e| Failure::Other(e.to_string()))?;
        let auth = Auth::try_from(auth.to_vec()).map_err(|e| Failure::Other(e.to_string()))?;
        let data =
            SensitiveData::try_from(secret.to_vec()).map_err(|e| Failure::Other(e.to_string()))?;
        let (srk, session) = (self.srk, self.session);
        let created = self
            .with_room(|c| {
                c.execute_with_session(Some(session), |c| {
                    c.create(
                        srk,
                        template.clone(),
                        Some(auth.clone()),
                        Some(data.clone()),
                        None,
                        None,
                    )
                })
            })
            .map_err(|e| Failure::from_tss("sealing the vault key", e))?;
        Ok(KeyBlob {
            public: created.out_public,
            private: created.out_private,
        })
    }

    /// TPM2_Unseal of a sealed-data object with `auth`, in the salted session (the secret comes back encrypted).
    /// The chip checks `auth` and counts a wrong one toward its lockout. The object is flushed right after.
    pub fn unseal(&mut self, blob: KeyBlob, auth: &[u8]) -> Result<Zeroizing<Vec<u8>>, Failure> {
        let auth = Auth::try_from(auth.to_vec()).map_err(|e| Failure::Other(e.to_string()))?;
        let (srk, session) = (self.srk, self.session);
        let handle = self
            .with_room(|c| {
                c.execute_with_session(Some(session), |c| {
                    c.load(srk, blob.private.clone(), blob.public.clone())
                })
            })
            .map_err(
                |e| match Failure::from_tss("loading the vault's sealed key", e) {
                    // The chip refuses the blob itself: it was sealed by another TPM (or this one was cleared).
                    Failure::Other(message) => Failure::NotThisChip(message),
                    failure => failure,
                },
            )?;
        let unsealed = self
            .context
            .tr_set_auth(handle.into(), auth)
            .and_then(|()| {
                self.context
                    .execute_with_session(Some(session), |c| c.unseal(handle.into()))
            });
        if let Err(e) = self.context.flush_context(handle.into()) {
            crate::log::warning!("cannot unload the vault's sealed key: {e}");
        }
        unsealed
            .map(|data| Zeroizing::new(data.value().to_vec()))
            .map_err(|e| Failure::from_tss("unsealing the vault key", e))
    }

    /// Whether the lockout hierarchy has an authorization (TPM_PT_PERMANENT, lockoutAuthSet). Without one, anyone
    /// who can use the TPM can reset its dictionary-attack counter.
    pub fn lockout_auth_set(&mut self) -> Result<bool, Failure> {
        const LOCKOUT_AUTH_SET: u32 = 1 << 2;
        let (data, _) = self
            .context
            .execute_without_session(|c| {
                c.get_capability(
                    CapabilityType::TpmProperties,
                    PropertyTag::Permanent.into(),
                    1,
                )
            })
            .map_err(|e| Failure::from_tss("reading the TPM's permanent attributes", e))?;
        let CapabilityData::TpmProperties(properties) = data else {
            return Err(Failure::Other(
                "the TPM answered with other data than asked".into(),
            ));
        };
        properties
            .find(PropertyTag::Permanent)
            .map(|p| p.value() & LOCKOUT_AUTH_SET != 0)
            .ok_or_else(|| Failure::Other("the TPM did not report its permanent attributes".into()))
    }

    /// The handle of the key in `key_blob`: the one loaded already, or loaded now in place of the previous one.
    pub(super) fn load(&mut self, key_blob: &[u8], blob: KeyBlob) -> Result<KeyHandle, Failure> {
        if let Some(loaded) = self.loaded.as_ref().filter(|l| l.key_blob == key_blob) {
            return Ok(loaded.handle);
        }
        // Only three objects fit in a small TPM: the SRK, this one, and room for whatever else is using the chip.
        self.unload();
        let (srk, session) = (self.srk, self.session);
        let handle = self
            .with_room(|c| {
                c.execute_with_session(Some(session), |c| {
                    c.load(srk, blob.private.clone(), blob.public.clone())
                })
            })
            .map_err(|e| Failure::from_tss("loading the key", e))?;
        self.loaded = Some(LoadedKey {
            key_blob: key_blob.to_vec(),
            handle,
        });
        Ok(handle)
    }

    /// Flushes the kept key, if any.
    pub fn unload(&mut self) {
        if let Some(loaded) = self.loaded.take() {
            if let Err(e) = self.context.flush_context(loaded.handle.into()) {
                crate::log::warning!("cannot unload a TPM key: {e}");
            }
        }
    }

    /// Flushes the kept key if it is the one in `key_blob` (the passkey is being deleted).
    pub fn forget(&mut self, key_blob: &[u8]) {
        if self
            .loaded
            .as_ref()
            .is_some_and(|loaded| loaded.key_blob == key_blob)
        {
            self.unload();
        }
    }

    /// Runs `command`; if the chip has no room for another object, flushes the kept key and runs it once more.
    pub(super) fn with_room<T>(
        &mut self,
        mut command: impl FnMut(&mut Context) -> tss_esapi::Result<T>,
    ) -> tss_esapi::Result<T> {
        match command(&mut self.context) {
            Err(error) if is_out_of_object_memory(&error) => {
                crate::log::debug!("the TPM is out of object memory; flushing and trying again");
                self.unload();
                command(&mut self.context)
            }
            result => result,
        }
    }

    /// Whether a passkey key is loaded now, and which (for tests).
    #[cfg(test)]
    pub fn loaded_blob(&self) -> Option<&[u8]> {
        self.loaded.as_ref().map(|loaded| &loaded.key_blob[..])
    }

    /// Loads `blob` outside the slot, as another user of the chip would (for tests that fill its memory).
    #[cfg(test)]
    pub fn occupy(&mut self, blob: KeyBlob) -> Result<ObjectHandle, Failure> {
        let (srk, session) = (self.srk, self.session);
        self.context
            .execute_with_session(Some(session), |c| c.load(srk, blob.private, blob.public))
            .map(ObjectHandle::from)
            .map_err(|e| Failure::from_tss("loading", e))
    }

    #[cfg(test)]
    pub fn release(&mut self, handle: ObjectHandle) {
        self.context.flush_context(handle).unwrap();
    }

    pub fn da_state(&mut self) -> Result<DaState, Failure> {
        let (data, _) = self
            .context
            .execute_without_session(|c| {
                c.get_capability(
                    CapabilityType::TpmProperties,
                    PropertyTag::LockoutCounter.into(),
                    4,
                )
            })
            .map_err(|e| Failure::from_tss("reading the lockout state", e))?;
        let CapabilityData::TpmProperties(properties) = data else {
            return Err(Failure::Other(
                "the TPM answered with other data than asked".into(),
            ));
        };
        let value = |tag| properties.find(tag).map(|p| p.value());
        match (
            value(PropertyTag::LockoutCounter),
            value(PropertyTag::MaxAuthFail),
            value(PropertyTag::LockoutInterval),
            value(PropertyTag::LockoutRecovery),
        ) {
            (Some(counter), Some(max_tries), Some(interval), Some(lockout_recovery)) => {
                Ok(DaState {
                    counter,
                    max_tries,
                    interval,
                    lockout_recovery,
                })
            }
            _ => Err(Failure::Other(
                "the TPM did not report its lockout state".into(),
            )),
        }
    }
}

impl Drop for Chip {
    /// Leaves nothing of ours in the chip (swtpm and /dev/tpm0 have no resource manager to do it). No
    /// TPM2_Shutdown: the host does not own the TPM.
    fn drop(&mut self) {
        if let Some(loaded) = self.loaded.take() {
            let _ = self.context.flush_context(loaded.handle.into());
        }
        let _ = self
            .context
            .flush_context(SessionHandle::from(self.session).into());
        let _ = self.context.flush_context(ObjectHandle::from(self.srk));
    }
}

/// An HMAC session salted with the SRK, with command and response parameter encryption.
fn start_session(context: &mut Context, srk: KeyHandle) -> Result<AuthSession, Failure> {
    let session = context
        .start_auth_session(
            Some(srk),
            None,
            None,
            SessionType::Hmac,
            SymmetricDefinition::AES_128_CFB,
            HashingAlgorithm::Sha256,
        )
        .map_err(|e| Failure::from_tss("starting a session", e))?
        .ok_or_else(|| Failure::Other("the TPM started no session".into()))?;
    let (attributes, mask) = SessionAttributesBuilder::new()
        .with_decrypt(true)
        .with_encrypt(true)
        .with_continue_session(true)
        .build();
    context
        .tr_sess_set_attributes(session, attributes, mask)
        .map_err(|e| Failure::from_tss("setting up the session", e))?;
    Ok(session)
}

/// The TPM's r and s (possibly shorter than 32 bytes) as a DER ECDSA signature, low-S like most authenticators.
fn der_signature(signature: Signature) -> Result<Vec<u8>, Failure> {
    let Signature::EcDsa(signature) = signature else {
        return Err(Failure::Other(
            "the TPM made another kind of signature".into(),
        ));
    };
    let pad = |value: &[u8]| -> Option<[u8; 32]> {
        let mut out = [0u8; 32];
        out.get_mut(32usize.checked_sub(value.len())?..)?
            .copy_from_slice(value);
        Some(out)
    };
    let (Some(r), Some(s)) = (
        pad(signature.signature_r().value()),
        pad(signature.signature_s().value()),
    ) else {
        return Err(Failure::Other("the TPM's signature is too long".into()));
    };
    let signature = EcdsaSignature::from_scalars(r, s)
        .map_err(|_| Failure::Other("the TPM's signature is not valid".into()))?;
    let signature = signature.normalize_s().unwrap_or(signature);
    Ok(signature.to_der().as_bytes().to_vec())
}
