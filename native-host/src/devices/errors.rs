//! Every way enrolling a device or copying a passkey can be refused, worded once for the person (the CLI prints
//! these as they are).

use crate::metadata::MetadataError;
use crate::stores::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("This computer is not one of your devices yet: start a ring with `keyplace-host devices init`, or join one with `keyplace-host devices join-request`.")]
    NoIdentity,
    #[error("This computer already has a device identity ({0}).")]
    AlreadyHasIdentity(String),
    #[error("This computer is waiting to be approved by one of your devices; bring the approval file here with `keyplace-host devices accept`.")]
    NotEnrolled,
    #[error("This computer is already in a ring of devices.")]
    AlreadyEnrolled,
    #[error("This computer was removed from your devices; it can no longer approve, send or receive copies.")]
    ThisDeviceRemoved,
    #[error("No device called \"{0}\" is in your ring.")]
    UnknownDevice(String),
    #[error("\"{0}\" matches more than one device; use more of its id.")]
    AmbiguousDevice(String),
    #[error("A device name must be 1 to 64 characters, without control characters.")]
    BadName,
    #[error("That device is enrolled already.")]
    AlreadyInRing,
    #[error("The last device of a ring cannot be removed.")]
    LastDevice,
    #[error("This file or code is not a Keyplace {expected}, or it is damaged: {reason}")]
    Malformed {
        expected: &'static str,
        reason: String,
    },
    #[error("A signature in the {0} does not verify: it was changed, or it was not made by the device it names.")]
    BadSignature(&'static str),
    #[error("That ring of devices is not this computer's ring.")]
    OtherRing,
    #[error("Your devices changed the ring on two sides at once; bring the newest ring from the device that made the last change (`keyplace-host devices ring-export`) before this one.")]
    RingForked,
    #[error("The approval does not contain this computer.")]
    NotInApproval,
    #[error("Choose at least one passkey to copy.")]
    NothingToCopy,
    #[error("No passkey with id {0} is on this computer.")]
    UnknownPasskey(String),
    #[error("The passkey for {0} is a hardware passkey: it was made inside this computer's chip and can never leave it.")]
    NotCopyable(String),
    #[error("A copy cannot go to the device it comes from.")]
    CopyToSelf,
    #[error("The copy was not approved: bring it to another of your devices and approve it there with `keyplace-host copy approve`.")]
    Unapproved,
    #[error("The copy was approved only by the device it comes from; another of your devices must approve it.")]
    ApprovedBySource,
    #[error("The approval belongs to another copy request.")]
    ApprovalForAnotherRequest,
    #[error("This copy was imported here already; a copy request can be used once.")]
    Replayed,
    #[error("This copy is addressed to another device ({0}), not to this computer.")]
    AddressedToAnotherDevice(String),
    #[error("The device that approved this copy ({0}) is no longer one of your devices.")]
    ApproverRemoved(String),
    #[error("The device that asked for this copy ({0}) is no longer one of your devices.")]
    SourceRemoved(String),
    #[error("The device this copy is for ({0}) is no longer one of your devices.")]
    TargetRemoved(String),
    #[error("A passkey of this copy ({0}) is on this computer already.")]
    AlreadyHere(String),
    #[error("The copy cannot be decrypted with this computer's device key: it was changed, or made for another key.")]
    Undecryptable,
    #[error("The passkey for {site} is held by this computer's TPM, and {target} has no TPM to receive it (or joined your devices before Keyplace could copy to one): it can be copied only to a device with a TPM.")]
    TargetHasNoTpm { site: String, target: String },
    #[error("This copy holds passkeys kept by the TPM of {0}: bring the approval back to {0} and run `keyplace-host copy release` there, then import the copy package it makes here.")]
    NeedsRelease(String),
    #[error("This approval is for a copy from another device ({0}): release it there.")]
    NotTheSource(String),
    #[error("This approval needs no release: import it on the device the copy is for, with the request.")]
    NothingToRelease,
    #[error("The TPM will let {approver} approve copies of the passkey for {site} only if {approver} was one of your devices when the passkey was made; approve the copy on one of: {allowed}.")]
    NotAnApproverOfThisKey {
        approver: String,
        site: String,
        allowed: String,
    },
    #[error("That is not a recovery code as Keyplace prints them, or a character is mistyped: check it against the sheet.")]
    BadRecoveryCode,
    #[error("That recovery code is not one of your devices: it belongs to another ring, or to a sheet made elsewhere.")]
    NotASheetOfThisRing,
    #[error("cannot read or write {path}: {error}")]
    File { path: String, error: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Metadata(#[from] MetadataError),
}

impl DeviceError {
    pub(super) fn malformed(expected: &'static str, reason: impl ToString) -> Self {
        DeviceError::Malformed {
            expected,
            reason: reason.to_string(),
        }
    }
}
