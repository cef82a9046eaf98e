//! Copies enforced by the chip (ARCHITECTURE.md "Your devices and copies" and rule 10): a vault passkey made inside
//! the TPM as a key that the chip duplicates *only* to an enrolled device's storage key and *only* with a
//! signature from another enrolled device.
//!
//! - The key: ECDSA P-256, fixedTPM and fixedParent CLEAR (duplicable), sensitiveDataOrigin, userWithAuth (the PIN
//!   signs as usual), adminWithPolicy, encryptedDuplication (an inner wrapper is mandatory: the key is never in the
//!   clear outside a TPM), and `authPolicy` = PolicyOR over one branch per (holder, approver) pair of different
//!   devices enrolled when the key is made: PolicyAuthorize(approver's signing key), then PolicySecret(holder's
//!   storage key), which only the holder's own chip can satisfy (copy_policy.rs). No device is ever paired with
//!   itself, so neither the source nor a computer holding a copy can approve its own copies.
//! - An approval: the approving device signs `aHash = SHA-256(approvedPolicy || policyRef)` where approvedPolicy is
//!   PolicyDuplicationSelect(this key's Name, the target's storage key Name, includeObject): one key, one target.
//! - Duplicating: the source's chip checks the signature (TPM2_VerifySignature → ticket), runs
//!   PolicyDuplicationSelect, PolicyAuthorize, PolicySecret on its own storage key and PolicyOR in a policy session,
//!   then TPM2_Duplicate. Without the
//!   approver's signature, or to another parent, the session's digest is not the key's policy and the chip refuses.
//! - The target: TPM2_Import under its storage key with the inner wrapper's key, then TPM2_Load.
//!
//! Policy digests are computed here in software (TPM 2.0 Part 3, §23.x "policyDigest update"): the chip recomputes
//! each one in the policy session, so a mistake here can only make a copy fail, never let one through.

use tss_esapi::attributes::{ObjectAttributes, ObjectAttributesBuilder, SessionAttributesBuilder};
use tss_esapi::constants::SessionType;
use tss_esapi::handles::{AuthHandle, KeyHandle, ObjectHandle};
use tss_esapi::interface_types::algorithm::{HashingAlgorithm, PublicAlgorithm};
use tss_esapi::interface_types::ecc::EccCurve;
use tss_esapi::interface_types::resource_handles::Hierarchy;
use tss_esapi::interface_types::session_handles::PolicySession;
use tss_esapi::structures::{
    Data, Digest, DigestList, EccParameter, EccPoint, EccScheme, EccSignature, EncryptedSecret,
    HashScheme, KeyDerivationFunctionScheme, Name, Nonce, Private, Public, PublicBuilder,
    PublicEccParametersBuilder, Signature, SymmetricDefinition, SymmetricDefinitionObject,
};
use tss_esapi::Context;

use crate::stores::copy_policy::{self, Party};

/// The inner wrapper of every duplicate (encryptedDuplication makes one mandatory).
pub const INNER_WRAPPER: SymmetricDefinitionObject = SymmetricDefinitionObject::AES_128_CFB;

/// A passkey's branches and authPolicy for `parties` (copy_policy.rs): `(approver, holder)` Names of each device.
pub fn copy_policy(parties: &[(&Name, Option<&Name>)]) -> Result<(Vec<Vec<u8>>, Vec<u8>), String> {
    let parties: Vec<Party> = parties
        .iter()
        .map(|(approver, holder)| Party {
            approver_name: approver.value().to_vec(),
            holder_name: holder.map(|h| h.value().to_vec()),
        })
        .collect();
    let branches = copy_policy::branches(&parties)?;
    let policy = copy_policy::policy_digest(&branches);
    Ok((branches, policy))
}

/// The chip that holds a key, as its policy knows it: its own storage key (loaded) and the key's branches.
pub struct Holder<'a> {
    pub storage_key: KeyHandle,
    pub branches: &'a [Vec<u8>],
}

/// The policy an approver signs: PolicyDuplicationSelect(this object, this new parent, includeObject = YES).
pub fn approved_duplication(object: &Name, new_parent: &Name) -> Vec<u8> {
    copy_policy::approved_duplication(object.value(), new_parent.value())
}

pub use copy_policy::approval_digest;

fn duplicable_attributes() -> tss_esapi::Result<ObjectAttributes> {
    ObjectAttributesBuilder::new()
        .with_fixed_tpm(false)
        .with_fixed_parent(false)
        .with_sensitive_data_origin(true)
        .with_user_with_auth(true)
        .with_admin_with_policy(true)
        .with_encrypted_duplication(true)
        .with_sign_encrypt(true)
        .build()
}

/// A duplicable passkey key under `auth_policy` (see the module comment for each attribute).
pub fn duplicable_passkey(auth_policy: &[u8]) -> tss_esapi::Result<Public> {
    let attributes = duplicable_attributes()?;
    PublicBuilder::new()
        .with_public_algorithm(PublicAlgorithm::Ecc)
        .with_name_hashing_algorithm(HashingAlgorithm::Sha256)
        .with_object_attributes(attributes)
        .with_auth_policy(Digest::try_from(auth_policy.to_vec())?)
        .with_ecc_parameters(signing_parameters()?)
        .with_ecc_unique_identifier(EccPoint::default())
        .build()
}

/// Whether a public area (from the chip, the database or another device) is a duplicable passkey exactly as
/// `duplicable_passkey` makes them, under the policy `auth_policy`: nothing that lets it be copied more easily.
pub fn is_duplicable_passkey(public: &Public, auth_policy: &[u8]) -> bool {
    let Ok(expected) = duplicable_attributes() else {
        return false;
    };
    match public {
        Public::Ecc {
            object_attributes,
            auth_policy: policy,
            parameters,
            name_hashing_algorithm,
            ..
        } => {
            *object_attributes == expected
                && policy.value() == auth_policy
                && parameters.ecc_curve() == EccCurve::NistP256
                && *name_hashing_algorithm == HashingAlgorithm::Sha256
        }
        _ => false,
    }
}

fn signing_parameters() -> tss_esapi::Result<tss_esapi::structures::PublicEccParameters> {
    PublicEccParametersBuilder::new()
        .with_ecc_scheme(EccScheme::EcDsa(HashScheme::new(HashingAlgorithm::Sha256)))
        .with_curve(EccCurve::NistP256)
        .with_is_signing_key(true)
        .with_is_decryption_key(false)
        .with_restricted(false)
        .with_key_derivation_function_scheme(KeyDerivationFunctionScheme::Null)
        .build()
}

/// Another device's signing key (SEC1, uncompressed) as a public area the chip can load and name.
pub fn approver_public(sec1: &[u8]) -> tss_esapi::Result<Public> {
    let invalid = || tss_esapi::Error::WrapperError(tss_esapi::WrapperErrorKind::InvalidParam);
    if sec1.len() != 65 || sec1[0] != 4 {
        return Err(invalid());
    }
    let attributes = ObjectAttributesBuilder::new()
        .with_user_with_auth(true)
        .with_sign_encrypt(true)
        .build()?;
    PublicBuilder::new()
        .with_public_algorithm(PublicAlgorithm::Ecc)
        .with_name_hashing_algorithm(HashingAlgorithm::Sha256)
        .with_object_attributes(attributes)
        .with_ecc_parameters(signing_parameters()?)
        .with_ecc_unique_identifier(EccPoint::new(
            EccParameter::try_from(sec1[1..33].to_vec())?,
            EccParameter::try_from(sec1[33..].to_vec())?,
        ))
        .build()
}

/// The chip's Name of a public area (loaded in the null hierarchy and flushed again: swtpm holds only three
/// objects at a time).
pub fn name_of(context: &mut Context, public: &Public) -> tss_esapi::Result<Name> {
    let handle = context.load_external_public(public.clone(), Hierarchy::Null)?;
    let name = context.read_public(handle).map(|(_, name, _)| name);
    let _ = context.flush_context(handle.into());
    name
}

/// Runs `f` with `public` loaded in `hierarchy`, flushing it afterwards.
fn with_loaded<T>(
    context: &mut Context,
    public: &Public,
    hierarchy: Hierarchy,
    f: impl FnOnce(&mut Context, KeyHandle, &Name) -> tss_esapi::Result<T>,
) -> tss_esapi::Result<T> {
    let handle = context.load_external_public(public.clone(), hierarchy)?;
    let result = context
        .read_public(handle)
        .and_then(|(_, name, _)| f(context, handle, &name));
    let _ = context.flush_context(handle.into());
    result
}

/// An ECDSA signature (r, s of 32 bytes each) as the chip takes it.
pub fn ecdsa_signature(r: &[u8], s: &[u8]) -> tss_esapi::Result<Signature> {
    Ok(Signature::EcDsa(EccSignature::create(
        HashingAlgorithm::Sha256,
        EccParameter::try_from(r.to_vec())?,
        EccParameter::try_from(s.to_vec())?,
    )?))
}

/// TPM2_Duplicate of `object` to `new_parent` (a storage key's public area), authorized by `approval`, the
/// signature of `approver`'s key (a public area) over the approved policy, on the chip of `holder`. Returns the
/// inner wrapper's key, the duplicate and the seed encrypted to the new parent.
pub fn duplicate(
    context: &mut Context,
    object: KeyHandle,
    object_name: &Name,
    new_parent: &Public,
    approver: &Public,
    approval: Signature,
    holder: &Holder,
) -> tss_esapi::Result<(Data, Private, EncryptedSecret)> {
    let new_parent_name = name_of(context, new_parent)?;
    let approved = approved_duplication(object_name, &new_parent_name);
    let (_, holder_name, _) = context.read_public(holder.storage_key)?;
    // In the owner hierarchy: a key loaded in the null hierarchy yields only a null ticket, which PolicyAuthorize
    // refuses.
    let (ticket, approver_name) =
        with_loaded(context, approver, Hierarchy::Owner, |c, handle, name| {
            let ticket = c.execute_without_session(|c| {
                c.verify_signature(
                    handle,
                    Digest::try_from(approval_digest(&approved))?,
                    approval,
                )
            })?;
            Ok((ticket, name.clone()))
        })?;
    // No branch for this pair (the holder's own approval, or a device the policy does not name): the chip is asked
    // regardless, with the pair it would need, and refuses.
    let (index, bound) =
        copy_policy::find_branch(holder.branches, holder_name.value(), approver_name.value())
            .unwrap_or((0, true));
    duplicate_under(context, object, object_name, new_parent, |c, session| {
        c.policy_authorize(
            session,
            Digest::try_from(approved)?,
            Nonce::default(),
            &approver_name,
            ticket,
        )?;
        if bound {
            // The holder's storage key authorizes with its (empty) authValue: only on its own chip.
            let storage_key = AuthHandle::from(ObjectHandle::from(holder.storage_key));
            c.execute_with_nullauth_session(|c| {
                c.policy_secret(
                    session,
                    storage_key,
                    Nonce::default(),
                    Digest::default(),
                    Nonce::default(),
                    None,
                )
            })?;
        }
        for digests in copy_policy::or_path(holder.branches, index) {
            c.policy_or(session, digest_list(&digests)?)?;
        }
        Ok(())
    })
}

/// TPM2_Duplicate with only what the source holds: PolicyDuplicationSelect and PolicyOR, no approver's ticket.
/// The chip must refuse it (the session's digest is not the key's policy): the test of the rule.
pub fn duplicate_without_approval(
    context: &mut Context,
    object: KeyHandle,
    object_name: &Name,
    new_parent: &Public,
    branches: &[Vec<u8>],
) -> tss_esapi::Result<(Data, Private, EncryptedSecret)> {
    duplicate_under(context, object, object_name, new_parent, |c, session| {
        // PolicyOR itself refuses a digest that is none of the branches; try the Duplicate regardless.
        for digests in copy_policy::or_path(branches, 0) {
            let _ = c.policy_or(session, digest_list(&digests)?);
        }
        Ok(())
    })
}

/// TPM2_Duplicate of `object` to `new_parent` in a policy session that runs PolicyDuplicationSelect and then
/// `policy`: the chip duplicates only if the session ends in the object's authPolicy.
fn duplicate_under(
    context: &mut Context,
    object: KeyHandle,
    object_name: &Name,
    new_parent: &Public,
    policy: impl FnOnce(&mut Context, PolicySession) -> tss_esapi::Result<()>,
) -> tss_esapi::Result<(Data, Private, EncryptedSecret)> {
    with_loaded(
        context,
        new_parent,
        Hierarchy::Null,
        |c, parent, parent_name| {
            in_policy_session(c, |c, session| {
                c.policy_duplication_select(
                    session,
                    object_name.clone(),
                    parent_name.clone(),
                    true,
                )?;
                policy(c, session)?;
                c.execute_with_session(Some(session.into()), |c| {
                    c.duplicate(object.into(), parent.into(), None, INNER_WRAPPER)
                })
            })
        },
    )
}

fn digest_list(branches: &[Vec<u8>]) -> tss_esapi::Result<DigestList> {
    let mut list = DigestList::new();
    for branch in branches {
        list.add(Digest::try_from(branch.clone())?)?;
    }
    Ok(list)
}

/// Runs `f` in a new policy session, flushed afterwards.
fn in_policy_session<T>(
    context: &mut Context,
    f: impl FnOnce(&mut Context, PolicySession) -> tss_esapi::Result<T>,
) -> tss_esapi::Result<T> {
    let session = policy_session(context)?;
    let result = f(context, session);
    let _ = context.flush_context(ObjectHandle::from(tss_esapi::handles::SessionHandle::from(
        session,
    )));
    result
}

fn policy_session(context: &mut Context) -> tss_esapi::Result<PolicySession> {
    let session = context
        .start_auth_session(
            None,
            None,
            None,
            SessionType::Policy,
            SymmetricDefinition::AES_128_CFB,
            HashingAlgorithm::Sha256,
        )?
        .ok_or(tss_esapi::Error::WrapperError(
            tss_esapi::WrapperErrorKind::WrongValueFromTpm,
        ))?;
    // No parameter encryption in this session: it carries no secret in (the policy is public), and ESYS and the
    // chip would not agree on its key (unbound, unsalted, no PolicyAuthValue), garbling the inner wrapper's key.
    let (attributes, mask) = SessionAttributesBuilder::new().build();
    context.tr_sess_set_attributes(session, attributes, mask)?;
    PolicySession::try_from(session)
}

/// TPM2_Import of a duplicate under `parent` (the target's storage key): the new private area for TPM2_Load.
pub fn import(
    context: &mut Context,
    parent: KeyHandle,
    inner_key: Data,
    public: Public,
    duplicate: Private,
    seed: EncryptedSecret,
) -> tss_esapi::Result<Private> {
    context.execute_with_nullauth_session(|c| {
        c.import(
            parent.into(),
            Some(inner_key.clone()),
            public.clone(),
            duplicate.clone(),
            seed.clone(),
            INNER_WRAPPER,
        )
    })
}
