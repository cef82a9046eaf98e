//! Your devices and copies (ARCHITECTURE.md "Your devices and copies" and rule 10). Each install has a
//! device identity (keys.rs); the person's devices form a ring (ring.rs) that a new device joins only with an
//! enrolled device's approval; a vault passkey is copied only to an enrolled device, encrypted to its key, and
//! imported there only with the signature of an enrolled device other than the source (copy.rs). Nothing needs
//! a server: what travels is a file or a text code (wire.rs).
//!
//! Without a TPM-held passkey this is the host's rule, enforced in software: root on the source can still read a
//! vault passkey while it is decrypted to sign, and send it anywhere. The README says so.

mod chip_copy;
mod copy;
mod errors;
mod keys;
mod recovery;
mod ring;
pub mod wire;

use std::path::Path;
use std::sync::Arc;

use rand_core::{OsRng, RngCore};

pub use chip_copy::ReleasedCopy;
pub use copy::{
    CopyFileKind, CopyLogEntry, CopyRequestOut, CopySummary, ImportedPasskey, ROLE_APPROVED,
    ROLE_IMPORTED, ROLE_REQUESTED,
};
pub use errors::DeviceError;
use keys::{card_of, DeviceKeys};
pub use recovery::{parse_sheet_code, RecoverySheet};
use ring::{verify_join, Member, Ring};
use wire::{
    check_name, join_code, parse_file, parse_join, short_code, short_id, Change, JoinBody,
    RingChange, RingFile, Signed, JOIN_CONTEXT, RING_CONTEXT, RING_FILE_KIND,
};

use crate::metadata::{now_ms, Metadata, ThisDeviceRecord};
use crate::protocol::B64u;
use crate::stores::vault::Vault;
use crate::stores::{Authorization, KeyStore, Purpose};

/// A device as `devices list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    pub id: Vec<u8>,
    pub short_id: String,
    pub name: String,
    pub this_device: bool,
    pub enrolled: bool,
    /// The name of the device that approved it (none for the first).
    pub approved_by: Option<String>,
    pub added_at: i64,
    pub removed_by: Option<String>,
    /// A recovery sheet, not a computer.
    pub recovery_sheet: bool,
}

/// A join request made on the new device: its text code, the same as a JSON file, and the short code to compare.
#[derive(Clone, Debug)]
pub struct JoinRequestOut {
    pub code: String,
    pub file: String,
    pub short_code: String,
}

/// What the approving device shows before it asks for the PIN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinSummary {
    pub name: String,
    pub short_id: String,
    pub short_code: String,
}

pub struct Devices {
    metadata: Arc<Metadata>,
    vault: Vault,
    /// The TPM a new device signing key is made in (none: sealed in the vault).
    tcti: Option<String>,
}

impl Devices {
    /// Device keys sealed in `vault` only.
    pub fn new(metadata: Arc<Metadata>, vault: Vault) -> Self {
        Devices {
            metadata,
            vault,
            tcti: None,
        }
    }

    /// The device signing key in the TPM at `tcti` (the KEM key stays sealed in `vault`).
    pub fn with_tpm(metadata: Arc<Metadata>, vault: Vault, tcti: String) -> Self {
        Devices {
            tcti: Some(tcti),
            ..Devices::new(metadata, vault)
        }
    }

    /// The devices of the database at `database`, with this computer's vault and its TPM if one is reachable.
    pub fn open(database: &Path) -> Result<Self, DeviceError> {
        let metadata = Arc::new(Metadata::open(database)?);
        let vault = Vault::new(metadata.clone());
        #[cfg(target_os = "linux")]
        {
            let tcti = crate::stores::tpm::tcti_from_env();
            if crate::stores::tpm::TpmStore::new(tcti.clone())
                .probe()
                .is_ok()
            {
                return Ok(Devices::with_tpm(metadata, vault, tcti));
            }
        }
        Ok(Devices::new(metadata, vault))
    }

    /// This device's keys with `authorization` (a checked vault PIN) and the same PIN for a TPM-held key.
    fn open_keys(
        &self,
        record: ThisDeviceRecord,
        authorization: &Authorization,
        pin: &str,
    ) -> Result<DeviceKeys, DeviceError> {
        DeviceKeys::open(record, authorization, pin, self.tcti.as_deref())
    }

    /// Whether this device's signing key is in a TPM (checks the vault PIN and the chip's).
    pub fn signing_key_in_tpm(&self, pin: &str) -> Result<bool, DeviceError> {
        Ok(self.keys(pin)?.in_tpm())
    }

    pub fn metadata(&self) -> &Arc<Metadata> {
        &self.metadata
    }

    /// This device's card, with its TPM's storage key where it has a TPM (so chip-held passkeys can be copied to
    /// it).
    #[cfg_attr(not(target_os = "linux"), allow(unused_mut))]
    fn card_of(&self, keys: &DeviceKeys) -> wire::DeviceCard {
        let mut card = keys.card();
        #[cfg(target_os = "linux")]
        if let Some(tcti) = &self.tcti {
            card.storage_key = crate::stores::tpm::TpmStore::new(tcti.clone())
                .storage_key_public()
                .ok()
                .map(B64u);
        }
        card
    }

    /// Checks the vault PIN for this request (sets it if the vault has none yet).
    fn authorize(&self, pin: &str) -> Result<Authorization, DeviceError> {
        Ok(self.vault.authorize(Some(pin), true, Purpose::Sign)?)
    }

    fn this_device(&self) -> Result<ThisDeviceRecord, DeviceError> {
        self.metadata.this_device()?.ok_or(DeviceError::NoIdentity)
    }

    fn keys(&self, pin: &str) -> Result<DeviceKeys, DeviceError> {
        let record = self.this_device()?;
        let authorization = self.authorize(pin)?;
        self.open_keys(record, &authorization, pin)
    }

    /// The ring as stored here, checked whole; none before this device started or joined one.
    fn stored_ring(&self) -> Result<Option<Ring>, DeviceError> {
        ring_in(&self.metadata)
    }

    /// This device and its ring, if it is enrolled in it now.
    fn enrolled(&self) -> Result<(ThisDeviceRecord, Ring), DeviceError> {
        let record = self.this_device()?;
        let ring = self.stored_ring()?.ok_or(DeviceError::NotEnrolled)?;
        if ring.enrolled(&record.device_id).is_none() {
            return Err(DeviceError::ThisDeviceRemoved);
        }
        Ok((record, ring))
    }

    /// Appends changes made on top of `ring` as read.
    fn store_changes(&self, ring: &Ring, changes: &[Signed]) -> Result<(), DeviceError> {
        let rows = changes
            .iter()
            .map(|c| {
                Ok((
                    Ring::hash_of(c),
                    serde_json::to_string(c).map_err(|e| DeviceError::malformed("ring", e))?,
                ))
            })
            .collect::<Result<Vec<_>, DeviceError>>()?;
        if self
            .metadata
            .append_ring_events(ring.changes.len(), &rows)?
        {
            Ok(())
        } else {
            Err(DeviceError::RingForked)
        }
    }

    /// Takes what `changes` (another device's ring) adds to ours, and returns the ring as it is then.
    fn learn(&self, ring: Ring, changes: &[Signed]) -> Result<Ring, DeviceError> {
        let newer = ring.newer_changes(changes)?;
        if newer.is_empty() {
            return Ok(ring);
        }
        self.store_changes(&ring, &newer)?;
        let mut ring = ring;
        for change in newer {
            ring.apply(change)?;
        }
        Ok(ring)
    }

    /// A change signed by this device, on top of `ring`, stored.
    fn change(&self, keys: &DeviceKeys, ring: &Ring, change: Change) -> Result<(), DeviceError> {
        let body = RingChange {
            ring: B64u(ring.id.clone()),
            prev: Some(B64u(ring.head().to_vec())),
            at: now_ms(),
            change,
        };
        let signed = keys.sign(RING_CONTEXT, to_json(&body)?)?;
        let mut check = ring.clone();
        check.apply(signed.clone())?;
        self.store_changes(ring, &[signed])
    }

    /// Starts a ring with this computer as its first device.
    pub fn init(&self, name: &str, pin: &str) -> Result<DeviceInfo, DeviceError> {
        check_name(name)?;
        if let Some(existing) = self.metadata.this_device()? {
            return Err(DeviceError::AlreadyHasIdentity(existing.name));
        }
        let keys = self.new_identity(name, pin)?;
        let mut ring_id = vec![0; 16];
        OsRng.fill_bytes(&mut ring_id);
        let body = RingChange {
            ring: B64u(ring_id),
            prev: None,
            at: now_ms(),
            change: Change::Start {
                device: self.card_of(&keys),
            },
        };
        let start = keys.sign(RING_CONTEXT, to_json(&body)?)?;
        let ring = Ring::replay(vec![start.clone()])?;
        let rows = [(Ring::hash_of(&start), to_json(&start)?)];
        if !self.metadata.append_ring_events(0, &rows)? {
            return Err(DeviceError::AlreadyEnrolled);
        }
        Ok(info(&ring, ring.devices[0].clone(), &keys.record.device_id))
    }

    fn new_identity(&self, name: &str, pin: &str) -> Result<DeviceKeys, DeviceError> {
        let authorization = self.authorize(pin)?;
        let keys = DeviceKeys::generate(name, &authorization, pin, self.tcti.as_deref())?;
        if !self.metadata.insert_this_device(&keys.record)? {
            return Err(DeviceError::AlreadyHasIdentity(self.this_device()?.name));
        }
        Ok(keys)
    }

    /// A join request for this computer (its identity is made now, or reused while it waits for approval).
    pub fn join_request(&self, name: &str, pin: &str) -> Result<JoinRequestOut, DeviceError> {
        check_name(name)?;
        if self.stored_ring()?.is_some() {
            return Err(DeviceError::AlreadyEnrolled);
        }
        let keys = match self.metadata.this_device()? {
            Some(_) => self.keys(pin)?,
            None => self.new_identity(name, pin)?,
        };
        let mut nonce = vec![0; 16];
        OsRng.fill_bytes(&mut nonce);
        let mut card = self.card_of(&keys);
        card.name = name.to_owned();
        let body = JoinBody {
            device: card,
            nonce: B64u(nonce),
            at: now_ms(),
        };
        let join = keys.sign(JOIN_CONTEXT, to_json(&body)?)?;
        Ok(JoinRequestOut {
            code: join_code(&join),
            file: to_json_pretty(&join)?,
            short_code: short_code(&join.hash(JOIN_CONTEXT)),
        })
    }

    /// What a join request says, checked, with its short code.
    pub fn inspect_join(&self, text: &str) -> Result<JoinSummary, DeviceError> {
        let join = parse_join(text)?;
        let body = verify_join(&join)?;
        Ok(JoinSummary {
            name: body.device.name,
            short_id: short_id(&body.device.id.0),
            short_code: short_code(&join.hash(JOIN_CONTEXT)),
        })
    }

    /// Approves a join request with this device's PIN: the new device is added, and the ring file it accepts is
    /// returned.
    pub fn approve_join(&self, text: &str, pin: &str) -> Result<String, DeviceError> {
        let join = parse_join(text)?;
        let body = verify_join(&join)?;
        let (_, ring) = self.enrolled()?;
        if ring.device(&body.device.id.0).is_some() {
            return Err(DeviceError::AlreadyInRing);
        }
        let keys = self.keys(pin)?;
        self.change(&keys, &ring, Change::Add { join })?;
        self.ring_export()
    }

    /// Accepts a ring file on a device that asked to join (or brings a ring up to date on an enrolled one).
    pub fn accept(&self, text: &str) -> Result<Vec<DeviceInfo>, DeviceError> {
        let record = self.this_device()?;
        let file: RingFile =
            parse_file(text, "ring of devices", RING_FILE_KIND, |f: &RingFile| {
                &f.keyplace
            })?;
        match self.stored_ring()? {
            Some(ring) => {
                self.learn(ring, &file.changes)?;
            }
            None => {
                let ring = Ring::replay(file.changes.clone())?;
                if ring.enrolled(&record.device_id).is_none() {
                    return Err(DeviceError::NotInApproval);
                }
                self.store_first_ring(&ring)?;
            }
        }
        self.list()
    }

    /// Stores the whole of `ring` on a device that had none (it joined it just now).
    fn store_first_ring(&self, ring: &Ring) -> Result<(), DeviceError> {
        let rows = ring
            .changes
            .iter()
            .map(|c| Ok((Ring::hash_of(c), to_json(c)?)))
            .collect::<Result<Vec<_>, DeviceError>>()?;
        if self.metadata.append_ring_events(0, &rows)? {
            Ok(())
        } else {
            Err(DeviceError::AlreadyEnrolled)
        }
    }

    /// Every device the ring has held, this one first.
    pub fn list(&self) -> Result<Vec<DeviceInfo>, DeviceError> {
        let record = self.this_device()?;
        let Some(ring) = self.stored_ring()? else {
            return Err(DeviceError::NotEnrolled);
        };
        let mut devices: Vec<DeviceInfo> = ring
            .devices
            .iter()
            .map(|m| info(&ring, m.clone(), &record.device_id))
            .collect();
        devices.sort_by_key(|d| (!d.this_device, !d.enrolled, d.added_at));
        Ok(devices)
    }

    pub fn rename(&self, device: &str, name: &str, pin: &str) -> Result<String, DeviceError> {
        check_name(name)?;
        let (_, ring) = self.enrolled()?;
        let member = find(&ring, device)?.clone();
        let keys = self.keys(pin)?;
        self.change(
            &keys,
            &ring,
            Change::Rename {
                device: member.card.id,
                name: name.to_owned(),
            },
        )?;
        self.ring_export()
    }

    /// Removes a device, approved here with this device's PIN. Returns the ring file for the other devices.
    pub fn remove(&self, device: &str, pin: &str) -> Result<String, DeviceError> {
        let (_, ring) = self.enrolled()?;
        let member = find(&ring, device)?.clone();
        if ring.enrolled_count() == 1 {
            return Err(DeviceError::LastDevice);
        }
        let keys = self.keys(pin)?;
        self.change(
            &keys,
            &ring,
            Change::Remove {
                device: member.card.id,
            },
        )?;
        self.ring_export()
    }

    /// The ring's code as this device has it now: 12 digits from the hash of its last change. The approving device
    /// shows it after approving, and the new device after accepting: the same code means the same ring, approved
    /// by the device the person used.
    pub fn ring_code(&self) -> Result<String, DeviceError> {
        let ring = self.stored_ring()?.ok_or(DeviceError::NotEnrolled)?;
        Ok(short_code(ring.head()))
    }

    /// The ring as a file, for another device's `accept`.
    pub fn ring_export(&self) -> Result<String, DeviceError> {
        let ring = self.stored_ring()?.ok_or(DeviceError::NotEnrolled)?;
        to_json_pretty(&RingFile {
            keyplace: RING_FILE_KIND.into(),
            changes: ring.changes,
        })
    }

    /// The short code both screens show for a join request made here (the new device shows it again).
    pub fn this_device_info(&self) -> Result<Option<DeviceInfo>, DeviceError> {
        let Some(record) = self.metadata.this_device()? else {
            return Ok(None);
        };
        Ok(Some(match self.stored_ring()? {
            Some(ring) => match ring.device(&record.device_id) {
                Some(member) => info(&ring, member.clone(), &record.device_id),
                None => pending_info(&record),
            },
            None => pending_info(&record),
        }))
    }
}

fn pending_info(record: &ThisDeviceRecord) -> DeviceInfo {
    let card = card_of(record);
    DeviceInfo {
        short_id: short_id(&card.id.0),
        id: card.id.0,
        name: card.name,
        this_device: true,
        enrolled: false,
        approved_by: None,
        added_at: record.created_at,
        removed_by: None,
        recovery_sheet: false,
    }
}

fn info(ring: &Ring, member: Member, this_device: &[u8]) -> DeviceInfo {
    let name_of = |id: &Vec<u8>| {
        ring.device(id)
            .map(|m| m.card.name.clone())
            .unwrap_or_else(|| short_id(id))
    };
    DeviceInfo {
        short_id: short_id(member.id()),
        this_device: member.id() == this_device,
        enrolled: member.enrolled(),
        approved_by: member.added_by.as_ref().map(name_of),
        added_at: member.added_at,
        removed_by: member.removed.as_ref().map(|(by, _)| name_of(by)),
        recovery_sheet: member.card.recovery_sheet,
        id: member.card.id.0,
        name: member.card.name,
    }
}

/// An enrolled device by name (exactly, ignoring case) or by the start of its short id; removed devices only when
/// nothing enrolled matches.
fn find<'a>(ring: &'a Ring, query: &str) -> Result<&'a Member, DeviceError> {
    let query = query.trim();
    let wanted = |m: &&Member| {
        m.card.name.eq_ignore_ascii_case(query)
            || (query.len() >= 4
                && short_id(m.id())
                    .replace('-', "")
                    .starts_with(&query.replace('-', "").to_lowercase()))
    };
    let enrolled: Vec<&Member> = ring
        .devices
        .iter()
        .filter(|m| m.enrolled())
        .filter(wanted)
        .collect();
    match enrolled.as_slice() {
        [one] => Ok(one),
        [] => Err(DeviceError::UnknownDevice(query.to_owned())),
        _ => Err(DeviceError::AmbiguousDevice(query.to_owned())),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, DeviceError> {
    serde_json::to_string(value).map_err(|e| DeviceError::malformed("file", e))
}

fn to_json_pretty<T: serde::Serialize>(value: &T) -> Result<String, DeviceError> {
    serde_json::to_string_pretty(value).map_err(|e| DeviceError::malformed("file", e))
}

/// The ring stored in `metadata`, checked whole; none before this device started or joined one.
fn ring_in(metadata: &Metadata) -> Result<Option<Ring>, DeviceError> {
    let changes = metadata
        .ring_events()?
        .iter()
        .map(|text| serde_json::from_str(text).map_err(|e| DeviceError::malformed("ring", e)))
        .collect::<Result<Vec<Signed>, _>>()?;
    if changes.is_empty() {
        return Ok(None);
    }
    Ring::replay(changes).map(Some)
}

/// The devices a new chip-held vault passkey's policy names (copy_policy.rs): this computer's signing key (SEC1),
/// and for the other enrolled devices (the first `MAX_PARTIES - 1`) their signing keys and, where they have a TPM,
/// their storage keys. None when this computer is in no ring.
pub fn copy_parties(metadata: &Metadata) -> Result<Option<CopyParties>, DeviceError> {
    let (Some(this), Some(ring)) = (metadata.this_device()?, ring_in(metadata)?) else {
        return Ok(None);
    };
    if ring.enrolled(&this.device_id).is_none() {
        return Ok(None);
    }
    let others = ring
        .devices
        .iter()
        .filter(|m| m.enrolled() && m.id() != this.device_id)
        .take(crate::stores::copy_policy::MAX_PARTIES - 1)
        .map(|m| {
            let storage_key = m.card.storage_key.as_ref().map(|k| k.0.clone());
            (m.card.signing_key.0.clone(), storage_key)
        })
        .collect();
    Ok(Some(CopyParties {
        this_device: this.signing_public,
        others,
    }))
}

/// See `copy_parties`.
pub struct CopyParties {
    pub this_device: Vec<u8>,
    pub others: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}
