//! Chip-held vault passkeys (ARCHITECTURE.md rule 10): a vault passkey made inside this TPM as a key the chip
//! duplicates only to another enrolled device's storage key and only with another enrolled device's signature
//! (duplication.rs). Its authValue is a random secret the vault keeps sealed under its data key, so using it needs
//! the vault PIN as before, and copying it needs the approval as well as the PIN.

use p256::ecdsa::Signature as EcdsaSignature;
use tss_esapi::structures::{Auth, Data, EncryptedSecret, Private, Public};
use tss_esapi::traits::{Marshall, UnMarshall};

use super::blob::KeyBlob;
use super::chip::Chip;
use super::duplication::{
    self, approver_public, duplicable_passkey, is_duplicable_passkey, Holder,
};
use super::errors::Failure;
use super::{templates, TpmStore};
use crate::stores::copy_policy::{self, tpm_name, Party};
pub use crate::stores::vault_chip::Duplicated;
use crate::stores::StoreError;

/// A new chip-held passkey: its public key (SEC1), its blob (public and private areas, as `KeyBlob`) and its
/// policy's branches (one per holder and approving device, copy_policy.rs).
pub struct CopyableKey {
    pub public_key: Vec<u8>,
    pub tpm_blob: Vec<u8>,
    pub branches: Vec<Vec<u8>>,
}

fn other(what: &str) -> impl Fn(String) -> Failure + '_ {
    move |e| Failure::Other(format!("{what}: {e}"))
}

/// The public area of another device's signing key (SEC1), as the chip names it.
pub fn approver_name(sec1: &[u8]) -> Result<Vec<u8>, String> {
    let public = approver_public(sec1).map_err(|e| e.to_string())?;
    Ok(tpm_name(&public.marshall().map_err(|e| e.to_string())?))
}

impl TpmStore {
    /// This chip's storage key (its public area, marshalled): what other devices name as the target of a copy.
    pub fn storage_key_public(&self) -> Result<Vec<u8>, StoreError> {
        self.with_chip(|chip| {
            chip.srk_public
                .marshall()
                .map_err(|e| other("the storage key")(e.to_string()))
        })
    }

    /// A duplicable passkey with `auth` as its authValue whose copies, here or on any computer holding one, need a
    /// signature of another device than the holder. `this_device` is this computer's signing key (SEC1); each of
    /// `others` is another device's signing key and, where it has a TPM, its storage key (a marshalled public area).
    pub fn create_copyable(
        &self,
        auth: &[u8],
        this_device: &[u8],
        others: &[(Vec<u8>, Option<Vec<u8>>)],
    ) -> Result<CopyableKey, StoreError> {
        let party = |signing: &[u8], storage: Option<&[u8]>| {
            Ok(Party {
                approver_name: approver_name(signing)?,
                holder_name: storage.map(tpm_name),
            })
        };
        let this_storage_key = self.storage_key_public()?;
        let parties = std::iter::once(party(this_device, Some(&this_storage_key)))
            .chain(others.iter().map(|(s, t)| party(s, t.as_deref())))
            .collect::<Result<Vec<_>, String>>()
            .map_err(StoreError::Internal)?;
        let branches = copy_policy::branches(&parties).map_err(StoreError::Internal)?;
        let policy = copy_policy::policy_digest(&branches);
        let blob = self.with_chip(|chip| chip.create_copyable(auth, &policy))?;
        let public_key = templates::sec1_point(&blob.public)
            .ok_or_else(|| StoreError::Internal("the TPM returned no usable public key".into()))?;
        Ok(CopyableKey {
            public_key,
            tpm_blob: blob.encode().map_err(StoreError::Internal)?,
            branches,
        })
    }

    /// ECDSA over SHA-256(`message`) with a chip-held vault passkey; the chip checks `auth`.
    pub fn sign_copyable(
        &self,
        tpm_blob: &[u8],
        branches: &[Vec<u8>],
        auth: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        let blob = copyable_blob(tpm_blob, branches)?;
        self.with_chip(|chip| chip.sign(tpm_blob, blob, auth, message))
    }

    /// TPM2_Duplicate of a chip-held passkey to `new_parent` (a storage key's marshalled public area), with
    /// `approval` (DER ECDSA) by the device whose signing key is `approver` (SEC1). The chip refuses anything else.
    pub fn duplicate_copyable(
        &self,
        tpm_blob: &[u8],
        branches: &[Vec<u8>],
        new_parent: &[u8],
        approver: &[u8],
        approval: &[u8],
    ) -> Result<Duplicated, StoreError> {
        let blob = copyable_blob(tpm_blob, branches)?;
        let new_parent = Public::unmarshall(new_parent)
            .map_err(|e| StoreError::Internal(format!("the target's storage key: {e}")))?;
        let approver = approver_public(approver)
            .map_err(|e| StoreError::Internal(format!("the approver's key: {e}")))?;
        let signature = EcdsaSignature::from_der(approval)
            .map_err(|_| StoreError::Internal("the approval is not an ECDSA signature".into()))?;
        let (r, s) = signature.split_bytes();
        let signature = duplication::ecdsa_signature(&r, &s)
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        self.with_chip(|chip| {
            let object = chip.load(tpm_blob, blob)?;
            let (_, name, _) = chip
                .context
                .read_public(object)
                .map_err(|e| Failure::from_tss("reading the passkey", e))?;
            let holder = Holder {
                storage_key: chip.srk,
                branches,
            };
            let duplicated = duplication::duplicate(
                &mut chip.context,
                object,
                &name,
                &new_parent,
                &approver,
                signature,
                &holder,
            )
            .map_err(|e| Failure::from_tss("duplicating the passkey", e));
            chip.unload();
            let (inner, duplicate, seed) = duplicated?;
            Ok(Duplicated {
                inner_key: inner.value().to_vec(),
                duplicate: duplicate.value().to_vec(),
                seed: seed.value().to_vec(),
            })
        })
    }

    /// TPM2_Import of a duplicate made for this chip's storage key: the passkey's blob here.
    pub fn import_copyable(
        &self,
        public_area: &[u8],
        branches: &[Vec<u8>],
        duplicated: &Duplicated,
    ) -> Result<Vec<u8>, StoreError> {
        let public = Public::unmarshall(public_area)
            .ok()
            .filter(|p| is_duplicable_passkey(p, &copy_policy::policy_digest(branches)))
            .ok_or_else(|| {
                StoreError::Internal("the copied key is not a Keyplace chip-held passkey".into())
            })?;
        let invalid = |e: tss_esapi::Error| StoreError::Internal(format!("the copy: {e}"));
        let inner = Data::try_from(duplicated.inner_key.clone()).map_err(invalid)?;
        let duplicate = Private::try_from(duplicated.duplicate.clone()).map_err(invalid)?;
        let seed = EncryptedSecret::try_from(duplicated.seed.clone()).map_err(invalid)?;
        let blob = self.with_chip(|chip| {
            let srk = chip.srk;
            let private = chip
                .with_room(|c| {
                    duplication::import(
                        c,
                        srk,
                        inner.clone(),
                        public.clone(),
                        duplicate.clone(),
                        seed.clone(),
                    )
                })
                .map_err(|e| Failure::from_tss("importing the copy", e))?;
            Ok(KeyBlob {
                public: public.clone(),
                private,
            })
        })?;
        blob.encode().map_err(StoreError::Internal)
    }
}

/// A stored chip-held passkey, refused unless it is exactly what this host makes, under exactly its policy.
fn copyable_blob(tpm_blob: &[u8], branches: &[Vec<u8>]) -> Result<KeyBlob, StoreError> {
    let policy = copy_policy::policy_digest(branches);
    KeyBlob::decode(tpm_blob)
        .filter(|blob| is_duplicable_passkey(&blob.public, &policy))
        .ok_or_else(|| StoreError::Internal("the stored TPM key of this passkey is damaged".into()))
}

impl Chip {
    fn create_copyable(&mut self, auth: &[u8], policy: &[u8]) -> Result<KeyBlob, Failure> {
        let template =
            duplicable_passkey(policy).map_err(|e| other("the template")(e.to_string()))?;
        let auth =
            Auth::try_from(auth.to_vec()).map_err(|e| other("the key's auth")(e.to_string()))?;
        let (srk, session) = (self.srk, self.session);
        // The salted session encrypts the authValue on its way to the chip.
        let created = self
            .with_room(|c| {
                c.execute_with_session(Some(session), |c| {
                    c.create(srk, template.clone(), Some(auth.clone()), None, None, None)
                })
            })
            .map_err(|e| Failure::from_tss("creating the passkey", e))?;
        if !is_duplicable_passkey(&created.out_public, policy) {
            return Err(Failure::Other(
                "the TPM made the passkey with other attributes than asked".into(),
            ));
        }
        Ok(KeyBlob {
            public: created.out_public,
            private: created.out_private,
        })
    }
}
