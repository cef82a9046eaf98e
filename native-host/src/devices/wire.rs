//! What travels between devices, as files or text codes the person carries: join requests, the ring (its signed
//! changes), copy requests and approvals. Everything signed is signed over the exact JSON text of its body, kept as
//! a string, so that no re-encoding can change what a signature covers. Each signature starts from a context
//! string of its own, so a signature of one kind is never valid as another.

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::errors::DeviceError;
use crate::protocol::B64u;

/// A device's id: the first 16 bytes of SHA-256 over its signing public key (SEC1, uncompressed).
pub const DEVICE_ID_LEN: usize = 16;
pub const MAX_NAME_CHARS: usize = 64;
/// A TPMT_PUBLIC is a few hundred bytes; anything longer is not one.
pub const MAX_PUBLIC_AREA: usize = 1024;
/// Files larger than this are refused before parsing (a ring of hundreds of devices and copies of 100 passkeys fit).
pub const MAX_FILE_BYTES: usize = 4 << 20;

pub const JOIN_CONTEXT: &[u8] = b"keyplace join request v1\0";
pub const RING_CONTEXT: &[u8] = b"keyplace ring change v1\0";
pub const COPY_CONTEXT: &[u8] = b"keyplace copy request v1\0";
pub const APPROVAL_CONTEXT: &[u8] = b"keyplace copy approval v1\0";
pub const PACKAGE_CONTEXT: &[u8] = b"keyplace copy package v1\0";
const SHORT_CODE_CONTEXT: &[u8] = b"keyplace short code v1\0";

/// The text-code prefixes: which kind of thing a code is, and its format's version.
pub const JOIN_CODE_PREFIX: &str = "KPJOIN1.";

pub fn device_id(signing_public: &[u8]) -> Vec<u8> {
    Sha256::digest(signing_public)[..DEVICE_ID_LEN].to_vec()
}

/// A device's id as people see it: 8 hex digits in two groups (the full id is in the files).
pub fn short_id(device_id: &[u8]) -> String {
    let hex: String = device_id
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{}-{}", &hex[..4], &hex[4..])
}

/// A device as the ring knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCard {
    pub id: B64u,
    pub name: String,
    /// ECDSA P-256 key that signs ring changes and approvals (SEC1, uncompressed).
    pub signing_key: B64u,
    /// DHKEM(P-256) key copies are encrypted to (SEC1, uncompressed).
    pub kem_key: B64u,
    /// The device's TPM storage key (a marshalled TPMT_PUBLIC) that chip-held passkeys are duplicated to; none
    /// where the device has no TPM (it can receive software vault passkeys only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_key: Option<B64u>,
    /// A recovery sheet (devices/recovery.rs): a printed code, not a computer. Said by the sheet's own signed card,
    /// so every device of the ring shows it as one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovery_sheet: bool,
}

impl DeviceCard {
    pub fn check(&self) -> Result<VerifyingKey, DeviceError> {
        check_name(&self.name)?;
        let key = VerifyingKey::from_sec1_bytes(&self.signing_key.0)
            .map_err(|_| DeviceError::malformed("device", "a signing key is not a P-256 key"))?;
        if self.id.0 != device_id(&self.signing_key.0) {
            return Err(DeviceError::malformed(
                "device",
                "a device id does not match its key",
            ));
        }
        super::keys::kem_public_key(&self.kem_key.0)?;
        if self
            .storage_key
            .as_ref()
            .is_some_and(|k| k.0.is_empty() || k.0.len() > MAX_PUBLIC_AREA)
        {
            return Err(DeviceError::malformed(
                "device",
                "its TPM storage key is not a public area",
            ));
        }
        Ok(key)
    }
}

pub fn check_name(name: &str) -> Result<(), DeviceError> {
    let chars = name.chars().count();
    if chars == 0
        || chars > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
        || name.trim() != name
    {
        return Err(DeviceError::BadName);
    }
    Ok(())
}

/// A body (exact JSON text) with its signer's id and signature (DER), made under one context string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed {
    pub body: String,
    pub signer: B64u,
    pub signature: B64u,
}

impl Signed {
    /// SHA-256 of the context and the body: what the ring chains on, what approvals name, what short codes show.
    pub fn hash(&self, context: &[u8]) -> Vec<u8> {
        let mut hash = Sha256::new();
        hash.update(context);
        hash.update(self.body.as_bytes());
        hash.finalize().to_vec()
    }

    pub fn verify(
        &self,
        context: &[u8],
        key: &VerifyingKey,
        what: &'static str,
    ) -> Result<(), DeviceError> {
        let signature =
            Signature::from_der(&self.signature.0).map_err(|_| DeviceError::BadSignature(what))?;
        key.verify(&signed_message(context, &self.body), &signature)
            .map_err(|_| DeviceError::BadSignature(what))
    }

    pub fn parse_body<T: DeserializeOwned>(&self, what: &'static str) -> Result<T, DeviceError> {
        serde_json::from_str(&self.body).map_err(|e| DeviceError::malformed(what, e))
    }
}

pub fn signed_message(context: &[u8], body: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(context.len() + body.len());
    message.extend_from_slice(context);
    message.extend_from_slice(body.as_bytes());
    message
}

/// The code both screens show for one request: 12 digits in three groups, from the request's hash. Enough
/// that making another request with the same code takes about 2^40 key pairs.
pub fn short_code(request_hash: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(SHORT_CODE_CONTEXT);
    hash.update(request_hash);
    let digest = hash.finalize();
    let number = u64::from_be_bytes(digest[..8].try_into().unwrap_or_default()) % 1_000_000_000_000;
    let digits = format!("{number:012}");
    format!("{} {} {}", &digits[..4], &digits[4..8], &digits[8..])
}

/// A join request: the new device's card, signed with its own key (proof that it holds it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    pub device: DeviceCard,
    pub nonce: B64u,
    pub at: i64,
}

/// One change of the ring. `prev` is the hash of the change before it (none for the first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RingChange {
    pub ring: B64u,
    pub prev: Option<B64u>,
    pub at: i64,
    pub change: Change,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    /// The first device starts the ring (signed by itself).
    Start {
        device: DeviceCard,
    },
    /// An enrolled device (the signer) approved this join request.
    Add {
        join: Signed,
    },
    /// An enrolled device (the signer) removed this one.
    Remove {
        device: B64u,
    },
    Rename {
        device: B64u,
        name: String,
    },
}

/// The ring as a file: every change, oldest first. Also what an approved device accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RingFile {
    pub keyplace: String,
    pub changes: Vec<Signed>,
}

pub const RING_FILE_KIND: &str = "ring-v1";
pub const COPY_REQUEST_KIND: &str = "copy-request-v1";
pub const COPY_APPROVAL_KIND: &str = "copy-approval-v1";
pub const COPY_PACKAGE_KIND: &str = "copy-package-v1";

/// One passkey in a copy request: everything but its private key, which is in the encrypted part, in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopiedPasskey {
    pub credential_id: B64u,
    pub rp_id: String,
    pub user_id: B64u,
    pub user_name: String,
    pub user_display_name: String,
    pub public_key: B64u,
    pub sign_count: u32,
    pub created_at: i64,
    pub resident_key: bool,
    /// Set for a chip-held passkey: its encrypted part holds the passkey's seed, and its key comes as the chip's
    /// duplicate in a copy package once approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chip: Option<ChipKey>,
}

/// A chip-held passkey's public side: its TPM public area and its policy's branches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipKey {
    pub public_area: B64u,
    pub branches: Vec<B64u>,
}

/// An approver's signature over PolicyDuplicationSelect(the key, the target's storage key), for the source's chip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicationApproval {
    pub credential_id: B64u,
    /// DER ECDSA over SHA-256(approved policy) by the approver's signing key.
    pub signature: B64u,
}

/// One chip-held passkey duplicated by the source's chip for the target's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipDuplicate {
    pub credential_id: B64u,
    pub duplicate: B64u,
    pub seed: B64u,
}

/// What the source gives the target once a copy of chip-held passkeys is approved: the request, the approval, the
/// chip's duplicates, and the duplicates' inner wrapper keys encrypted to the target (HPKE).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyPackageFile {
    pub keyplace: String,
    pub request: Signed,
    pub approval: Signed,
    pub ring: Vec<Signed>,
    pub duplicates: Vec<ChipDuplicate>,
    pub enc: B64u,
    pub ciphertext: B64u,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyBody {
    pub request_id: B64u,
    pub ring: B64u,
    pub source: B64u,
    pub target: B64u,
    pub at: i64,
    pub passkeys: Vec<CopiedPasskey>,
    /// HPKE's encapsulated key and the ciphertext of the private scalars (32 bytes each, in `passkeys` order).
    pub enc: B64u,
    pub ciphertext: B64u,
}

/// A copy request: the body signed by the source, with the source's ring so other devices learn of changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyRequestFile {
    pub keyplace: String,
    pub request: Signed,
    pub ring: Vec<Signed>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalBody {
    pub request_id: B64u,
    pub request_hash: B64u,
    pub target: B64u,
    pub at: i64,
    /// One per chip-held passkey of the request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplications: Vec<DuplicationApproval>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyApprovalFile {
    pub keyplace: String,
    pub approval: Signed,
    pub ring: Vec<Signed>,
    /// The request, when it has chip-held passkeys: the approval goes back to the source, whose chip duplicates them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Signed>,
}

/// Parses a file of `kind`, size-capped.
pub fn parse_file<T: DeserializeOwned>(
    text: &str,
    expected: &'static str,
    kind: &str,
    kind_of: impl Fn(&T) -> &str,
) -> Result<T, DeviceError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(DeviceError::malformed(expected, "it is too large"));
    }
    let value: T = serde_json::from_str(text).map_err(|e| DeviceError::malformed(expected, e))?;
    if kind_of(&value) != kind {
        return Err(DeviceError::malformed(
            expected,
            format!("it is a \"{}\"", kind_of(&value)),
        ));
    }
    Ok(value)
}

/// A join request as one line of text (`KPJOIN1.` + base64url of its JSON), to carry or type.
pub fn join_code(join: &Signed) -> String {
    let json = serde_json::to_vec(join).unwrap_or_default();
    format!("{JOIN_CODE_PREFIX}{}", B64u::encode(&json))
}

/// A join request from its text code or its JSON file.
pub fn parse_join(text: &str) -> Result<Signed, DeviceError> {
    let text = text.trim();
    if text.len() > MAX_FILE_BYTES {
        return Err(DeviceError::malformed("join request", "it is too large"));
    }
    let json = match text.strip_prefix(JOIN_CODE_PREFIX) {
        Some(code) => {
            let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = keyplace_core::bytes::b64u_decode(&code).ok_or_else(|| {
                DeviceError::malformed("join request", "the code is not base64url")
            })?;
            String::from_utf8(bytes).map_err(|e| DeviceError::malformed("join request", e))?
        }
        None => text.to_owned(),
    };
    serde_json::from_str(&json).map_err(|e| DeviceError::malformed("join request", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_codes_are_twelve_digits_and_follow_the_request() {
        let code = short_code(b"request one");
        assert_eq!(code.len(), 14);
        assert!(code.chars().all(|c| c.is_ascii_digit() || c == ' '));
        assert_eq!(code, short_code(b"request one"));
        assert_ne!(code, short_code(b"request two"));
    }

    #[test]
    fn names_are_short_printable_and_trimmed() {
        assert!(check_name("laptop-2").is_ok());
        for bad in ["", " padded", "new\nline", &"x".repeat(65)] {
            assert!(
                matches!(check_name(bad), Err(DeviceError::BadName)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn garbage_gives_typed_errors() {
        for text in ["", "{}", "KPJOIN1.!!", "KPJOIN1.e30", "[1,2]"] {
            assert!(
                matches!(parse_join(text), Err(DeviceError::Malformed { .. })),
                "{text}"
            );
        }
        let ring: Result<RingFile, _> = parse_file(
            "{\"keyplace\":\"copy-request-v1\",\"changes\":[]}",
            "ring",
            RING_FILE_KIND,
            |r: &RingFile| &r.keyplace,
        );
        assert!(matches!(ring, Err(DeviceError::Malformed { .. })));
    }
}
