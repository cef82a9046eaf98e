//! Every failure the host answers with, in the words a person reads in the Keyplace window: one place to review
//! and change them. The checks themselves stay with their methods.

use std::fmt::Display;

use crate::devices::DeviceError;
use crate::import::ImportError;
use crate::metadata::MetadataError;
use crate::protocol::{ErrorBody, ErrorCode};
use crate::stores::{PinReason, StoreError, WrongPin};

// The envelope (protocol/envelope.rs).

pub fn not_json(error: impl Display) -> ErrorBody {
    bad_request(format!("The message is not valid UTF-8 JSON: {error}"))
}

pub fn not_an_object() -> ErrorBody {
    bad_request("The message must be a JSON object.")
}

pub fn no_id() -> ErrorBody {
    bad_request("The message has no numeric \"id\" (an unsigned integer).")
}

pub fn no_method() -> ErrorBody {
    bad_request("The message has no \"method\" string.")
}

pub fn params_not_an_object() -> ErrorBody {
    bad_request("\"params\" must be a JSON object.")
}

pub fn unknown_method() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::UnknownMethod,
        "This Keyplace host does not know that method; the extension and the host may be different versions.",
    )
}

pub fn bad_params(error: impl Display) -> ErrorBody {
    bad_request(format!("The request's params are not right: {error}"))
}

/// Said through serde (protocol/values.rs), so it ends up inside [`bad_params`].
pub fn unknown_store(name: &str) -> String {
    format!("There is no store called \"{name}\".")
}

/// The host cannot serve at all (main.rs): said on every request.
pub fn database_unavailable(error: impl Display) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::Internal,
        format!("Keyplace cannot open its database: {error}. Run `keyplace-host doctor`."),
    )
}

// Checks of the params.

pub fn bad_request(message: impl Into<String>) -> ErrorBody {
    ErrorBody::new(ErrorCode::BadRequest, message)
}

pub fn bad_rp_id() -> ErrorBody {
    bad_request("rp_id must be a domain name.")
}

pub fn bad_user_id() -> ErrorBody {
    bad_request("user.id must be 1 to 64 bytes.")
}

pub fn bad_assertion_data_length() -> ErrorBody {
    bad_request("authenticator_data must be exactly 37 bytes.")
}

pub fn bad_client_data_hash() -> ErrorBody {
    bad_request("client_data_hash must be 32 bytes.")
}

pub fn bad_prf_salts() -> ErrorBody {
    bad_request("prf_salts must be one or two salts of 32 bytes each.")
}

pub fn assertion_with_attested_data() -> ErrorBody {
    bad_request(
        "An assertion's authenticator data must not carry attested credential data or extensions.",
    )
}

pub fn bad_user_name_length(max_chars: usize) -> ErrorBody {
    bad_request(format!(
        "An account name must be 1 to {max_chars} characters long."
    ))
}

pub fn user_name_with_control_characters() -> ErrorBody {
    bad_request("An account name cannot contain control characters (such as line breaks).")
}

pub fn too_many_credential_ids(field: &str, count: usize, max: usize) -> ErrorBody {
    bad_request(format!(
        "`{field}` names {count} credentials; the limit is {max}."
    ))
}

pub fn zero_list_limit() -> ErrorBody {
    bad_request("limit must be at least 1.")
}

pub fn list_query_too_long(max_chars: usize) -> ErrorBody {
    bad_request(format!("query must be at most {max_chars} characters."))
}

pub fn bad_list_cursor() -> ErrorBody {
    bad_request("after must be the next of an earlier list answer.")
}

// `attest`: what makes authenticator data not this credential's fresh registration.

pub fn registration_data_too_short() -> ErrorBody {
    bad_request("authenticator_data is too short to carry attested credential data.")
}

pub fn already_used() -> ErrorBody {
    bad_request(
        "This passkey has already been used; Keyplace attests a passkey only right after it was made.",
    )
}

pub fn too_old_to_attest() -> ErrorBody {
    bad_request(
        "This passkey was made more than 10 minutes ago; Keyplace attests a passkey only right after it was made.",
    )
}

pub fn bad_registration_flags() -> ErrorBody {
    bad_request(
        "A registration's authenticator data must have the AT and UP flags, and no ED or reserved flags.",
    )
}

pub fn wrong_backup_flags() -> ErrorBody {
    bad_request("The backup flags (BE, BS) in the authenticator data are not this passkey's.")
}

pub fn registration_counter_not_zero() -> ErrorBody {
    bad_request("A registration's signature counter must be 0.")
}

pub fn wrong_aaguid() -> ErrorBody {
    bad_request("The AAGUID in the authenticator data is not this passkey's store's.")
}

pub fn wrong_credential_id() -> ErrorBody {
    bad_request("The credential id in the authenticator data is not this passkey's.")
}

pub fn data_after_public_key() -> ErrorBody {
    bad_request("Nothing may follow the public key in a registration's authenticator data.")
}

pub fn wrong_public_key() -> ErrorBody {
    bad_request(
        "The public key in the authenticator data is not this passkey's (expected its COSE_Key \
         {1: 2, 3: -7, -1: 1, -2: x, -3: y} in canonical CBOR).",
    )
}

pub fn store_aaguid_not_a_uuid(aaguid: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::Internal,
        format!("The store's AAGUID {aaguid} is not a UUID."),
    )
}

pub fn stored_key_not_p256() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::Internal,
        "The stored public key of this passkey is not a P-256 point.",
    )
}

// Credentials.

pub fn not_found() -> ErrorBody {
    ErrorBody::new(ErrorCode::NotFound, "Keyplace has no passkey with that id.")
}

pub fn excluded() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::Excluded,
        "You already have a passkey for this account here.",
    )
}

pub fn rp_mismatch() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::RpMismatch,
        "This passkey belongs to another site; Keyplace will not sign for it here.",
    )
}

// The database and the key stores.

/// Devices and copies (`devices`, `copy_*`): each refusal in the devices module's own words (rule 10). A missing
/// passkey or device is `not_found`; the PIN and the database keep their own codes; every other refusal is
/// `bad_request` with its reason.
impl From<DeviceError> for ErrorBody {
    fn from(error: DeviceError) -> Self {
        match error {
            DeviceError::Store(error) => error.into(),
            DeviceError::Metadata(error) => error.into(),
            DeviceError::UnknownPasskey(_) | DeviceError::UnknownDevice(_) => {
                ErrorBody::new(ErrorCode::NotFound, error.to_string())
            }
            other => bad_request(other.to_string()),
        }
    }
}

/// `import`: a file that cannot be read, or a choice that does not fit it, is `bad_request` with the reason; the
/// PIN and the database keep their own codes.
impl From<ImportError> for ErrorBody {
    fn from(error: ImportError) -> Self {
        match error {
            ImportError::Store(error) => error.into(),
            ImportError::Metadata(error) => error.into(),
            ImportError::File(error) => {
                bad_request(format!("This file cannot be imported: {error}."))
            }
            other => bad_request(format!("Nothing was imported: {other}.")),
        }
    }
}

pub fn import_too_large_for_the_popup(passkeys: usize) -> ErrorBody {
    bad_request(format!(
        "This file lists {passkeys} passkeys, more than the popup can show; import it with \
         `keyplace-host import FILE` instead."
    ))
}

impl From<MetadataError> for ErrorBody {
    fn from(error: MetadataError) -> Self {
        ErrorBody::new(
            ErrorCode::Internal,
            format!("Keyplace's database failed: {error}"),
        )
    }
}

impl From<StoreError> for ErrorBody {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::PinRequired(reason) => pin_required(reason),
            StoreError::WrongPin => ErrorBody::new(ErrorCode::WrongPin, "That PIN is not right."),
            StoreError::WrongDevicePin(state) => wrong_device_pin(state),
            StoreError::Locked(state) => locked(state),
            StoreError::PinWait(seconds) => pin_wait(seconds),
            StoreError::BadPin(message) => bad_request(message),
            StoreError::Unavailable(reason) | StoreError::SealedElsewhere(reason) => {
                ErrorBody::new(ErrorCode::StoreUnavailable, reason.clone()).with_reason(reason)
            }
            StoreError::Metadata(error) => error.into(),
            StoreError::Internal(message) => ErrorBody::new(ErrorCode::Internal, message),
        }
    }
}

fn pin_required(reason: PinReason) -> ErrorBody {
    let message = match reason {
        PinReason::SetPin => "Choose a PIN for your Keyplace vault (at least 4 characters).",
        PinReason::Unlock => "Enter your Keyplace vault PIN to unlock it.",
        PinReason::UserVerification => "This site asks you to confirm with your PIN.",
        PinReason::SetKeyPin => {
            "Choose a PIN for this hardware passkey (at least 4 characters). The chip checks it \
             every time, and locks after too many wrong tries."
        }
        PinReason::KeyPin => "Enter the PIN of this hardware passkey.",
    };
    ErrorBody::new(ErrorCode::PinRequired, message).with_reason(reason.as_str())
}

fn wrong_device_pin(state: WrongPin) -> ErrorBody {
    let mut message = "That PIN is not right.".to_owned();
    match state.tries_left {
        Some(0) => message.push_str(&format!(" The chip is now locked{}.", lock_duration(state))),
        Some(1) => message.push_str(" One more wrong PIN locks the chip."),
        Some(n) => message.push_str(&format!(" {n} tries left before the chip locks.")),
        None => {}
    }
    ErrorBody::new(ErrorCode::WrongPin, message)
        .with_tries_left(state.tries_left)
        .with_retry_after_seconds(state.retry_after_seconds)
}

fn locked(state: WrongPin) -> ErrorBody {
    let message = format!(
        "Too many wrong PINs: this passkey is locked by the TPM{}. Even the right PIN is refused until then.",
        lock_duration(state)
    );
    ErrorBody::new(ErrorCode::Locked, message).with_retry_after_seconds(state.retry_after_seconds)
}

/// The host's own wait after wrong vault PINs (a vault without a TPM); the same code as the chip's lockout.
fn pin_wait(seconds: u64) -> ErrorBody {
    let message = format!(
        "Too many wrong PINs: Keyplace waits{} before it tries your vault PIN again.",
        about(seconds)
    );
    ErrorBody::new(ErrorCode::Locked, message).with_retry_after_seconds(Some(seconds))
}

/// " for about N minutes" (or seconds), or how it ends when the chip never forgets by itself.
fn lock_duration(state: WrongPin) -> String {
    match state.retry_after_seconds {
        Some(seconds) => about(seconds),
        None => " until its owner resets it (tpm2_dictionarylockout --clear-lockout)".to_owned(),
    }
}

fn about(seconds: u64) -> String {
    if seconds < 90 {
        format!(" for about {seconds} seconds")
    } else {
        format!(" for about {} minutes", seconds.div_ceil(60))
    }
}

// The transport (transport/): frames too big, cut short, or a handler that failed.

pub fn message_too_large(len: usize, max: usize) -> ErrorBody {
    bad_request(format!("The message was {len} bytes; the limit is {max}."))
}

pub fn truncated_message() -> ErrorBody {
    bad_request("The input ended in the middle of a message.")
}

pub fn handler_failed() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::Internal,
        "The host failed while answering this request.",
    )
}

pub fn answer_too_large(len: usize, max: usize) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::Internal,
        format!("The answer was {len} bytes, over the browser's limit of {max}; ask for less at a time."),
    )
}

/// Cannot happen with the answers of protocol/answers.rs; said rather than panicking all the same.
pub fn answer_not_serializable(error: impl Display) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::Internal,
        format!("The answer could not be encoded: {error}"),
    )
}
