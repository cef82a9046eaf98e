//! This device's two keys: an ECDSA P-256 key that signs ring changes and approvals, and a DHKEM(P-256) key that
//! copies are encrypted to (HPKE, RFC 9180: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, base mode).
//! Two keys rather than one, so a key is never used both to sign and for key agreement. Where the device has a
//! TPM, the signing key is made inside it (fixedTPM, the vault PIN as its authValue: the chip checks it and counts
//! wrong ones); elsewhere, and always for the KEM key, the private key is sealed under the vault's data key (itself
//! sealed by the TPM where there is one). Either way, using them needs the vault PIN, like a vault passkey.

use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::DhP256HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use p256::ecdsa::signature::Signer as _;
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

/// The first byte of a signing blob made in the TPM (a vault-sealed blob starts with its version, 1).
const TPM_SIGNING_BLOB: u8 = b'T';
/// What the TPM store is told the key is for (it keeps no name; this only fills the argument).
#[cfg(target_os = "linux")]
const TPM_KEY_NAME: &[u8] = b"keyplace device signing key";

/// Where this device's signing key is.
enum SigningKeyAt {
    Software(SigningKey),
    /// In the TPM, with the authorization (the PIN) of this request, wiped on drop.
    #[cfg(target_os = "linux")]
    Tpm {
        store: crate::stores::tpm::TpmStore,
        authorization: Authorization,
        blob: Vec<u8>,
    },
}

/// This device's private keys, for one request. Both are wiped on drop (their crates zeroize their scalars).
pub struct DeviceKeys {
    pub record: ThisDeviceRecord,
    signing: SigningKeyAt,
    kem: KemPrivate,
}

impl DeviceKeys {
    /// New keys: the signing key in the TPM at `tcti` when given, else sealed under the vault's data key like the
    /// KEM key (`authorization` must carry a checked vault PIN).
    pub fn generate(
        name: &str,
        authorization: &Authorization,
        pin: &str,
        tcti: Option<&str>,
    ) -> Result<DeviceKeys, DeviceError> {
        let (kem, kem_public) = Kem::gen_keypair(&mut UnwrapErr(HpkeOsRng));
        let kem_scalar = Zeroizing::new(kem.to_bytes());
        let (signing, signing_public, signing_blob) = match tcti {
            Some(tcti) => tpm_signer(tcti, pin)?,
            None => {
                let signing = SigningKey::random(&mut OsRng);
                let public = signing
                    .verifying_key()
                    .to_encoded_point(false)
                    .as_bytes()
                    .to_vec();
                let scalar = Zeroizing::new(signing.to_bytes());
                let blob = seal_scalar(authorization, SIGNING_AAD, &scalar)?.key_blob;
                (SigningKeyAt::Software(signing), public, blob)
            }
        };
        let record = ThisDeviceRecord {
            device_id: device_id(&signing_public),
            name: name.to_owned(),
            signing_public,
            kem_public: kem_public.to_bytes().to_vec(),
            signing_blob,
            kem_blob: seal_scalar(authorization, KEM_AAD, &kem_scalar)?.key_blob,
            created_at: now_ms(),
        };
        Ok(DeviceKeys {
            record,
            signing,
            kem,
        })
    }

    /// The keys of `record`: the KEM key opened with the vault's data key, the signing key too or, when it is in
    /// the TPM, authorized there with `pin` (the chip checks it when signing).
    pub fn open(
        record: ThisDeviceRecord,
        authorization: &Authorization,
        pin: &str,
        tcti: Option<&str>,
    ) -> Result<DeviceKeys, DeviceError> {
        let signing = if record.signing_blob.first() == Some(&TPM_SIGNING_BLOB) {
            tpm_opened(&record.signing_blob[1..], pin, tcti)?
        } else {
            let scalar = open_scalar(authorization, SIGNING_AAD, &record.signing_blob)?;
            SigningKeyAt::Software(
                SigningKey::from_slice(scalar.as_slice())
                    .map_err(|_| DeviceError::malformed("device key", "not a P-256 key"))?,
            )
        };
        let kem_scalar = open_scalar(authorization, KEM_AAD, &record.kem_blob)?;
        let kem = KemPrivate::from_bytes(kem_scalar.as_slice())
            .map_err(|_| DeviceError::malformed("device key", "not a P-256 key"))?;
        Ok(DeviceKeys {
            record,
            signing,
            kem,
        })
    }

    /// Keys derived from a 32-byte secret kept outside any computer (a recovery sheet: recovery.rs), as the device
    /// `name`. The same secret always gives the same keys, so the sheet is the device.
    pub fn from_secret(secret: &[u8], name: &str) -> Result<DeviceKeys, DeviceError> {
        let expand = |label: &[u8]| {
            let mut out = Zeroizing::new([0u8; 32]);
            hkdf::Hkdf::<sha2::Sha256>::new(None, secret)
                .expand(label, out.as_mut())
                .map_err(|_| DeviceError::malformed("recovery sheet", "cannot derive its keys"))?;
            Ok::<_, DeviceError>(out)
        };
        // A P-256 scalar from 32 uniform bytes is out of range with probability about 2^-32: the sheet is made again.
        let signing =
            SigningKey::from_slice(&expand(b"keyplace recovery sheet signing v1")?[..])
                .map_err(|_| DeviceError::malformed("recovery sheet", "its key is out of range"))?;
        let (kem, kem_public) =
            Kem::derive_keypair(&expand(b"keyplace recovery sheet kem v1")?[..]);
        let signing_public = signing
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec();
        Ok(DeviceKeys {
            record: ThisDeviceRecord {
                device_id: device_id(&signing_public),
                name: name.to_owned(),
                signing_public,
                kem_public: kem_public.to_bytes().to_vec(),
                signing_blob: Vec::new(),
                kem_blob: Vec::new(),
                created_at: now_ms(),
            },
            signing: SigningKeyAt::Software(signing),
            kem,
        })
    }

    /// Whether the signing key is in a TPM.
    pub fn in_tpm(&self) -> bool {
        !matches!(self.signing, SigningKeyAt::Software(_))
    }

    pub fn card(&self) -> DeviceCard {
        card_of(&self.record)
    }

    /// `body` signed under `context` by this device.
    pub fn sign(&self, context: &[u8], body: String) -> Result<Signed, DeviceError> {
        let der = self.ecdsa(&signed_message(context, &body))?;
        Ok(Signed {
            body,
            signer: B64u(self.record.device_id.clone()),
            signature: B64u(der),
        })
    }

    /// ECDSA over SHA-256(`message`), DER: an approval of a chip-held passkey's duplication, which the source's
    /// chip checks (TPM2_VerifySignature) against this device's key. Never a ring or copy signature: those are
    /// over `signed_message`, which starts with a context string and is longer than any policy digest.
    pub fn sign_for_chip(&self, approved_policy: &[u8]) -> Result<Vec<u8>, DeviceError> {
        self.ecdsa(approved_policy)
    }

    /// ECDSA P-256 over SHA-256(`message`), DER, with this device's signing key wherever it is.
    fn ecdsa(&self, message: &[u8]) -> Result<Vec<u8>, DeviceError> {
        match &self.signing {
            SigningKeyAt::Software(key) => {
                let signature: Signature = key.sign(message);
                Ok(signature.to_der().as_bytes().to_vec())
            }
            #[cfg(target_os = "linux")]
            SigningKeyAt::Tpm {
                store,
                authorization,
                blob,
            } => {
                use crate::stores::KeyStore;
                Ok(store.sign(authorization, TPM_KEY_NAME, blob, message)?)
            }
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

/// A new signing key inside the TPM at `tcti`, with `pin` as its authValue: (signer, public key, blob).
#[cfg(target_os = "linux")]
fn tpm_signer(tcti: &str, pin: &str) -> Result<(SigningKeyAt, Vec<u8>, Vec<u8>), DeviceError> {
    use crate::stores::{KeyStore, Purpose};
    let store = crate::stores::tpm::TpmStore::new(tcti.to_owned());
    let key = store.create_key(
        &store.authorize(Some(pin), true, Purpose::Create)?,
        TPM_KEY_NAME,
    )?;
    let blob = [&[TPM_SIGNING_BLOB][..], &key.key_blob].concat();
    let signer = tpm_opened(&key.key_blob, pin, Some(tcti))?;
    Ok((signer, key.public_key, blob))
}

#[cfg(not(target_os = "linux"))]
fn tpm_signer(_tcti: &str, _pin: &str) -> Result<(SigningKeyAt, Vec<u8>, Vec<u8>), DeviceError> {
    Err(no_tpm())
}

#[cfg(target_os = "linux")]
fn tpm_opened(blob: &[u8], pin: &str, tcti: Option<&str>) -> Result<SigningKeyAt, DeviceError> {
    use crate::stores::{KeyStore, Purpose};
    let tcti = tcti.ok_or_else(no_tpm)?;
    let store = crate::stores::tpm::TpmStore::new(tcti.to_owned());
    let authorization = store.authorize(Some(pin), true, Purpose::Sign)?;
    Ok(SigningKeyAt::Tpm {
        store,
        authorization,
        blob: blob.to_vec(),
    })
}

#[cfg(not(target_os = "linux"))]
fn tpm_opened(_blob: &[u8], _pin: &str, _tcti: Option<&str>) -> Result<SigningKeyAt, DeviceError> {
    Err(no_tpm())
}

fn no_tpm() -> DeviceError {
    DeviceError::Store(crate::stores::StoreError::Unavailable(
        "This device's key is in a TPM that Keyplace cannot reach now.".into(),
    ))
}

pub fn card_of(record: &ThisDeviceRecord) -> DeviceCard {
    DeviceCard {
        id: B64u(record.device_id.clone()),
        name: record.name.clone(),
        signing_key: B64u(record.signing_public.clone()),
        kem_key: B64u(record.kem_public.clone()),
        storage_key: None,
        recovery_sheet: false,
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
