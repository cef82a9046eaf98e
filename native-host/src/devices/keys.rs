//! This device's two keys: an ECDSA P-256 key that signs ring changes and approvals, and a DHKEM(P-256) key that
//! copies are encrypted to (HPKE, RFC 9180: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, base mode).
//! Two keys rather than one, so a key is never used both to sign and for key agreement. Both private keys are
//! sealed under the vault's data key (itself sealed by the TPM where there is one), so using them needs the vault
//! PIN, like a vault passkey.

use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::DhP256HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use rand_core::OsRng;
use rand_core_09::{OsRng as HpkeOsRng, UnwrapErr};
use zeroize::Zeroizing;

use super::errors::DeviceError;
use super::wire::{device_id, signed_message, DeviceCard, Signed};
use crate::metadata::{now_ms, ThisDeviceRecord};
use crate::protocol::B64u;
use crate::stores::vault_transfer::{open_scalar, seal_scalar};
use crate::stores::Authorization;

type Kem = DhP256HkdfSha256;
type KemPrivate = <Kem as hpke::Kem>::PrivateKey;
pub type KemPublic = <Kem as hpke::Kem>::PublicKey;

const SIGNING_AAD: &[u8] = b"keyplace device signing key v1";
const KEM_AAD: &[u8] = b"keyplace device kem key v1";
const HPKE_INFO: &[u8] = b"keyplace copy v1";

/// This device's private keys, for one request. Both are wiped on drop (their crates zeroize their scalars).
pub struct DeviceKeys {
    pub record: ThisDeviceRecord,
    signing: SigningKey,
    kem: KemPrivate,
}

impl DeviceKeys {
    /// New keys, sealed under the vault's data key (`authorization` must carry a checked vault PIN).
    pub fn generate(name: &str, authorization: &Authorization) -> Result<DeviceKeys, DeviceError> {
        let signing = SigningKey::random(&mut OsRng);
        let (kem, kem_public) = Kem::gen_keypair(&mut UnwrapErr(HpkeOsRng));
        let signing_public = signing
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec();
        let signing_scalar = Zeroizing::new(signing.to_bytes());
        let kem_scalar = Zeroizing::new(kem.to_bytes());
        let record = ThisDeviceRecord {
            device_id: device_id(&signing_public),
            name: name.to_owned(),
            signing_public,
            kem_public: kem_public.to_bytes().to_vec(),
            signing_blob: seal_scalar(authorization, SIGNING_AAD, &signing_scalar)?.key_blob,
            kem_blob: seal_scalar(authorization, KEM_AAD, &kem_scalar)?.key_blob,
            created_at: now_ms(),
        };
        Ok(DeviceKeys {
            record,
            signing,
            kem,
        })
    }

    /// The keys of `record`, opened with the vault's data key.
    pub fn open(
        record: ThisDeviceRecord,
        authorization: &Authorization,
    ) -> Result<DeviceKeys, DeviceError> {
        let signing_scalar = open_scalar(authorization, SIGNING_AAD, &record.signing_blob)?;
        let kem_scalar = open_scalar(authorization, KEM_AAD, &record.kem_blob)?;
        let signing = SigningKey::from_slice(signing_scalar.as_slice())
            .map_err(|_| DeviceError::malformed("device key", "not a P-256 key"))?;
        let kem = KemPrivate::from_bytes(kem_scalar.as_slice())
            .map_err(|_| DeviceError::malformed("device key", "not a P-256 key"))?;
        Ok(DeviceKeys {
            record,
            signing,
            kem,
        })
    }

    pub fn card(&self) -> DeviceCard {
        card_of(&self.record)
    }

    /// `body` signed under `context` by this device.
    pub fn sign(&self, context: &[u8], body: String) -> Signed {
        let signature: Signature = self.signing.sign(&signed_message(context, &body));
        Signed {
            body,
            signer: B64u(self.record.device_id.clone()),
            signature: B64u(signature.to_der().as_bytes().to_vec()),
        }
    }

    /// Opens what `seal_to` encrypted to this device's key with `aad`.
    pub fn open_sealed(
        &self,
        enc: &[u8],
        ciphertext: &[u8],
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DeviceError> {
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc)
            .map_err(|_| DeviceError::Undecryptable)?;
        hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeR::Base,
            &self.kem,
            &enc,
            HPKE_INFO,
            ciphertext,
            aad,
        )
        .map(Zeroizing::new)
        .map_err(|_| DeviceError::Undecryptable)
    }
}

pub fn card_of(record: &ThisDeviceRecord) -> DeviceCard {
    DeviceCard {
        id: B64u(record.device_id.clone()),
        name: record.name.clone(),
        signing_key: B64u(record.signing_public.clone()),
        kem_key: B64u(record.kem_public.clone()),
    }
}

pub fn kem_public_key(bytes: &[u8]) -> Result<KemPublic, DeviceError> {
    KemPublic::from_bytes(bytes)
        .map_err(|_| DeviceError::malformed("device", "an encryption key is not a P-256 key"))
}

pub fn verifying_key(bytes: &[u8]) -> Result<VerifyingKey, DeviceError> {
    VerifyingKey::from_sec1_bytes(bytes)
        .map_err(|_| DeviceError::malformed("device", "a signing key is not a P-256 key"))
}

/// `plaintext` encrypted to `recipient` (HPKE base mode), bound to `aad`: (encapsulated key, ciphertext).
pub fn seal_to(
    recipient: &KemPublic,
    plaintext: &[u8],
    aad: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), DeviceError> {
    let (enc, ciphertext) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem, _>(
        &OpModeS::Base,
        recipient,
        HPKE_INFO,
        plaintext,
        aad,
        &mut UnwrapErr(HpkeOsRng),
    )
    .map_err(|e| DeviceError::Store(crate::stores::StoreError::Internal(format!("HPKE: {e}"))))?;
    Ok((enc.to_bytes().to_vec(), ciphertext))
}
