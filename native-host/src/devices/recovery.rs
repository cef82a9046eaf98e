//! The recovery sheet: a printable key made once and kept by the person, enrolled in the ring like a computer
//! (ARCHITECTURE.md "Your devices and copies"). Its keys derive from a 32-byte secret printed as a code; no computer
//! keeps the secret. Typed into a computer that has the ring, the sheet approves what a device approves: a copy (so
//! a person with one computer still has a second device to approve copies, and the TPM names the sheet among the
//! approvers of the passkeys it holds) or a new computer joining. A copy addressed to the sheet is a backup: useless
//! without the sheet, and restored on a new computer with it, which joins the ring by the sheet's approval.

use data_encoding::BASE32_NOPAD;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::copy::parse_request;
use super::errors::DeviceError;
use super::keys::DeviceKeys;
use super::ring::{verify_join, Ring};
use super::wire::{
    check_name, parse_join, short_id, Change, JoinBody, RingChange, JOIN_CONTEXT, RING_CONTEXT,
};
use super::{to_json, DeviceInfo, Devices, ImportedPasskey};
use crate::metadata::now_ms;
use crate::protocol::B64u;

const CODE_PREFIX: &str = "KPRS1";
const SECRET_LEN: usize = 32;
const CHECK_LEN: usize = 2;
const GROUP: usize = 5;

/// A new recovery sheet: the code to print, and the ring for the other devices to accept.
pub struct RecoverySheet {
    pub code: Zeroizing<String>,
    pub name: String,
    pub short_id: String,
    pub ring: String,
}

/// The code printed on a sheet: `KPRS1-` and base32 of the secret and two check bytes, in groups of five.
fn sheet_code(secret: &[u8]) -> Zeroizing<String> {
    let mut bytes = Zeroizing::new(secret.to_vec());
    bytes.extend_from_slice(&Sha256::digest(secret)[..CHECK_LEN]);
    let encoded = Zeroizing::new(BASE32_NOPAD.encode(&bytes));
    let groups: Vec<&str> = encoded
        .as_bytes()
        .chunks(GROUP)
        .map(|g| std::str::from_utf8(g).expect("base32 is ASCII"))
        .collect();
    Zeroizing::new(format!("{CODE_PREFIX}-{}", groups.join("-")))
}

/// The secret of a typed code: spaces, dashes and case do not matter; a mistyped character is caught by the check.
pub fn parse_sheet_code(text: &str) -> Result<Zeroizing<Vec<u8>>, DeviceError> {
    let cleaned: Zeroizing<String> = Zeroizing::new(
        text.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_uppercase)
            .collect(),
    );
    let body = cleaned
        .strip_prefix(CODE_PREFIX)
        .ok_or(DeviceError::BadRecoveryCode)?;
    let bytes = Zeroizing::new(
        BASE32_NOPAD
            .decode(body.as_bytes())
            .map_err(|_| DeviceError::BadRecoveryCode)?,
    );
    if bytes.len() != SECRET_LEN + CHECK_LEN {
        return Err(DeviceError::BadRecoveryCode);
    }
    let (secret, check) = bytes.split_at(SECRET_LEN);
    if Sha256::digest(secret)[..CHECK_LEN] != *check {
        return Err(DeviceError::BadRecoveryCode);
    }
    Ok(Zeroizing::new(secret.to_vec()))
}

impl Devices {
    /// Makes a recovery sheet called `name` and enrolls it, approved with this computer's PIN. The code is shown
    /// once; nothing of it is kept here.
    pub fn make_recovery_sheet(&self, name: &str, pin: &str) -> Result<RecoverySheet, DeviceError> {
        check_name(name)?;
        let (_, ring) = self.enrolled()?;
        let keys = self.keys(pin)?;
        let mut secret = Zeroizing::new([0u8; SECRET_LEN]);
        OsRng.fill_bytes(secret.as_mut());
        let sheet = DeviceKeys::from_secret(&secret[..], name)?;
        let card = super::wire::DeviceCard {
            recovery_sheet: true,
            ..sheet.card()
        };
        let join = sign_join(&sheet, card)?;
        self.change(&keys, &ring, Change::Add { join })?;
        Ok(RecoverySheet {
            code: sheet_code(&secret[..]),
            name: name.to_owned(),
            short_id: short_id(&sheet.record.device_id),
            ring: self.ring_export()?,
        })
    }

    /// The keys of the sheet whose code was typed, if it is an enrolled device of `ring` (with the ring's name).
    fn sheet_keys(&self, ring: &Ring, code: &str) -> Result<DeviceKeys, DeviceError> {
        let secret = parse_sheet_code(code)?;
        let mut keys = DeviceKeys::from_secret(&secret, "recovery sheet")?;
        let member = ring
            .device(&keys.record.device_id)
            .ok_or(DeviceError::NotASheetOfThisRing)?;
        if !member.enrolled() {
            return Err(DeviceError::ApproverRemoved(member.card.name.clone()));
        }
        keys.record.name = member.card.name.clone();
        Ok(keys)
    }

    /// Approves a copy request with the recovery sheet typed in here (on any computer with the ring, the source
    /// included: the sheet is the other device).
    pub fn approve_copy_with_sheet(
        &self,
        request_text: &str,
        code: &str,
    ) -> Result<String, DeviceError> {
        let (_, ring) = self.enrolled()?;
        let ring = self.learn(ring, &parse_request(request_text)?.ring)?;
        self.approve_copy_as(request_text, || self.sheet_keys(&ring, code))
    }

    /// Approves a new computer's join request with the recovery sheet typed in here.
    pub fn approve_join_with_sheet(&self, text: &str, code: &str) -> Result<String, DeviceError> {
        let join = parse_join(text)?;
        let body = verify_join(&join)?;
        let (_, ring) = self.enrolled()?;
        if ring.device(&body.device.id.0).is_some() {
            return Err(DeviceError::AlreadyInRing);
        }
        let sheet = self.sheet_keys(&ring, code)?;
        self.change(&sheet, &ring, Change::Add { join })?;
        self.ring_export()
    }

    /// On a new computer (in no ring yet): joins the ring of `request_text` — a copy request addressed to the
    /// sheet, the backup — by the sheet's approval, then imports the copy into this computer's vault. `pin` sets
    /// (or opens) this computer's vault.
    pub fn restore_with_sheet(
        &self,
        name: &str,
        code: &str,
        request_text: &str,
        approval_text: Option<&str>,
        pin: &str,
    ) -> Result<(Vec<DeviceInfo>, Vec<ImportedPasskey>), DeviceError> {
        check_name(name)?;
        if self.stored_ring()?.is_some() {
            return Err(DeviceError::AlreadyEnrolled);
        }
        let ring = Ring::replay(parse_request(request_text)?.ring)?;
        let sheet = self.sheet_keys(&ring, code)?;
        let keys = match self.metadata.this_device()? {
            Some(_) => self.keys(pin)?,
            None => self.new_identity(name, pin)?,
        };
        let mut card = self.card_of(&keys);
        card.name = name.to_owned();
        let body = RingChange {
            ring: B64u(ring.id.clone()),
            prev: Some(B64u(ring.head().to_vec())),
            at: now_ms(),
            change: Change::Add {
                join: sign_join(&keys, card)?,
            },
        };
        let add = sheet.sign(RING_CONTEXT, to_json(&body)?)?;
        let mut joined = ring.clone();
        joined.apply(add.clone())?;
        self.store_first_ring(&joined)?;
        let imported = self.import_copy_for(request_text, approval_text, pin, Some(&sheet))?;
        Ok((self.list()?, imported))
    }
}

/// A join request for `card`, signed by `keys`.
fn sign_join(
    keys: &DeviceKeys,
    card: super::wire::DeviceCard,
) -> Result<super::wire::Signed, DeviceError> {
    let mut nonce = vec![0; 16];
    OsRng.fill_bytes(&mut nonce);
    keys.sign(
        JOIN_CONTEXT,
        to_json(&JoinBody {
            device: card,
            nonce: B64u(nonce),
            at: now_ms(),
        })?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_back_whatever_its_spacing_and_case_and_a_typo_is_caught() {
        let secret = [7u8; SECRET_LEN];
        let code = sheet_code(&secret);
        assert!(code.starts_with("KPRS1-"));
        assert_eq!(parse_sheet_code(&code).unwrap()[..], secret);
        let relaxed = code.to_lowercase().replace('-', " ");
        assert_eq!(parse_sheet_code(&relaxed).unwrap()[..], secret);
        let mut typo = code.to_string().into_bytes();
        let at = typo.len() - 3;
        typo[at] = if typo[at] == b'A' { b'B' } else { b'A' };
        assert!(matches!(
            parse_sheet_code(std::str::from_utf8(&typo).unwrap()),
            Err(DeviceError::BadRecoveryCode)
        ));
        for bad in ["", "KPRS1", "KPRS1-AAAA", "XXXX1-AAAAA"] {
            assert!(
                matches!(parse_sheet_code(bad), Err(DeviceError::BadRecoveryCode)),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_same_code_gives_the_same_device() {
        let one = DeviceKeys::from_secret(&[1u8; 32], "sheet").unwrap();
        let again = DeviceKeys::from_secret(&[1u8; 32], "sheet").unwrap();
        let other = DeviceKeys::from_secret(&[2u8; 32], "sheet").unwrap();
        assert_eq!(one.record.device_id, again.record.device_id);
        assert_eq!(one.record.kem_public, again.record.kem_public);
        assert_ne!(one.record.device_id, other.record.device_id);
    }
}
