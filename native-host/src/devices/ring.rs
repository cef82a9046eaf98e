//! The ring of a person's devices: a hash-chained list of signed changes (start, add, remove, rename), which every
//! device keeps whole and checks from the start. A change counts only if a device enrolled at that point signed it,
//! so a removed device can change nothing, and a device joins only with an enrolled device's signature over its
//! own join request. Devices learn of changes from any file that travels between them (each carries its sender's
//! ring); a ring that extends ours is taken, one that forked from ours is refused (no server decides the order).

use p256::ecdsa::VerifyingKey;

use super::errors::DeviceError;
use super::keys::verifying_key;
use super::wire::{
    check_name, Change, DeviceCard, JoinBody, RingChange, Signed, JOIN_CONTEXT, RING_CONTEXT,
};

/// A device the ring has ever held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub card: DeviceCard,
    /// Who approved it (none for the device that started the ring).
    pub added_by: Option<Vec<u8>>,
    pub added_at: i64,
    /// Who removed it, and when.
    pub removed: Option<(Vec<u8>, i64)>,
}

impl Member {
    pub fn id(&self) -> &[u8] {
        &self.card.id.0
    }

    pub fn enrolled(&self) -> bool {
        self.removed.is_none()
    }
}

#[derive(Clone, Debug)]
pub struct Ring {
    pub id: Vec<u8>,
    pub changes: Vec<Signed>,
    hashes: Vec<Vec<u8>>,
    pub devices: Vec<Member>,
}

impl Ring {
    /// Checks every change from the start: chain, signer enrolled at that point, signature, and the change itself.
    pub fn replay(changes: Vec<Signed>) -> Result<Ring, DeviceError> {
        let mut ring = Ring {
            id: Vec::new(),
            changes: Vec::with_capacity(changes.len()),
            hashes: Vec::with_capacity(changes.len()),
            devices: Vec::new(),
        };
        for change in changes {
            ring.apply(change)?;
        }
        if ring.changes.is_empty() {
            return Err(DeviceError::malformed("ring", "it has no changes"));
        }
        Ok(ring)
    }

    pub fn head(&self) -> &[u8] {
        self.hashes.last().map(Vec::as_slice).unwrap_or_default()
    }

    /// The device with this id, enrolled or removed.
    pub fn device(&self, id: &[u8]) -> Option<&Member> {
        self.devices.iter().find(|m| m.id() == id)
    }

    /// The device with this id if it is enrolled now.
    pub fn enrolled(&self, id: &[u8]) -> Option<&Member> {
        self.device(id).filter(|m| m.enrolled())
    }

    pub fn enrolled_count(&self) -> usize {
        self.devices.iter().filter(|m| m.enrolled()).count()
    }

    pub fn hash_of(change: &Signed) -> Vec<u8> {
        change.hash(RING_CONTEXT)
    }

    /// Adds one change after checking it against the ring so far.
    pub fn apply(&mut self, signed: Signed) -> Result<(), DeviceError> {
        let body: RingChange = signed.parse_body("ring")?;
        let first = self.changes.is_empty();
        if body.prev.as_ref().map(|p| p.0.as_slice()) != (!first).then(|| self.head()) {
            return Err(DeviceError::malformed(
                "ring",
                "its changes are not in one chain",
            ));
        }
        if first {
            self.id = body.ring.0.clone();
        } else if body.ring.0 != self.id {
            return Err(DeviceError::OtherRing);
        }
        let signer_key = self.signer_key(&signed, &body)?;
        signed.verify(RING_CONTEXT, &signer_key, "ring")?;
        let signer = signed.signer.0.clone();
        match body.change {
            Change::Start { device } => {
                device.check()?;
                self.devices.push(Member {
                    card: device,
                    added_by: None,
                    added_at: body.at,
                    removed: None,
                });
            }
            Change::Add { join } => {
                let device = verify_join(&join)?.device;
                if self.device(&device.id.0).is_some() {
                    return Err(DeviceError::AlreadyInRing);
                }
                self.devices.push(Member {
                    card: device,
                    added_by: Some(signer),
                    added_at: body.at,
                    removed: None,
                });
            }
            Change::Remove { device } => {
                if self.enrolled(&device.0).is_none() {
                    return Err(DeviceError::malformed(
                        "ring",
                        "it removes a device that is not enrolled",
                    ));
                }
                if self.enrolled_count() == 1 {
                    return Err(DeviceError::LastDevice);
                }
                if let Some(member) = self.devices.iter_mut().find(|m| m.card.id == device) {
                    member.removed = Some((signer, body.at));
                }
            }
            Change::Rename { device, name } => {
                check_name(&name)?;
                let member = self
                    .devices
                    .iter_mut()
                    .find(|m| m.card.id == device && m.removed.is_none())
                    .ok_or_else(|| {
                        DeviceError::malformed("ring", "it renames a device that is not enrolled")
                    })?;
                member.card.name = name;
            }
        }
        self.hashes.push(Ring::hash_of(&signed));
        self.changes.push(signed);
        Ok(())
    }

    /// The key that must have signed `body`: the new device's own for the start, else an enrolled device's.
    fn signer_key(&self, signed: &Signed, body: &RingChange) -> Result<VerifyingKey, DeviceError> {
        match (&body.change, self.changes.is_empty()) {
            (Change::Start { device }, true) if device.id == signed.signer => device.check(),
            (Change::Start { .. }, _) | (_, true) => Err(DeviceError::malformed(
                "ring",
                "it does not begin with the device that started it",
            )),
            _ => {
                let member = self
                    .enrolled(&signed.signer.0)
                    .ok_or(DeviceError::BadSignature(
                        "ring (signed by a device that is not enrolled)",
                    ))?;
                verifying_key(&member.card.signing_key.0)
            }
        }
    }

    /// The changes of `other` that ours lacks, if `other` is this ring extended (checked whole); nothing new if ours
    /// holds all of it; `RingForked` if the two went separate ways.
    pub fn newer_changes(&self, other: &[Signed]) -> Result<Vec<Signed>, DeviceError> {
        let Some(first) = other.first() else {
            return Ok(Vec::new());
        };
        if Ring::hash_of(first) != self.hashes[0] {
            return Err(DeviceError::OtherRing);
        }
        let common = other
            .iter()
            .zip(&self.hashes)
            .take_while(|(change, hash)| &Ring::hash_of(change) == *hash)
            .count();
        if common == other.len() {
            return Ok(Vec::new());
        }
        if common < self.changes.len() {
            return Err(DeviceError::RingForked);
        }
        let mut extended = self.clone();
        for change in &other[common..] {
            extended.apply(change.clone())?;
        }
        Ok(other[common..].to_vec())
    }
}

/// A join request's body, if its signature was made by the key it carries.
pub fn verify_join(join: &Signed) -> Result<JoinBody, DeviceError> {
    let body: JoinBody = join.parse_body("join request")?;
    let key = body.device.check()?;
    if join.signer != body.device.id {
        return Err(DeviceError::BadSignature("join request"));
    }
    join.verify(JOIN_CONTEXT, &key, "join request")?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use hpke::{Kem as _, Serializable};
    use p256::ecdsa::signature::Signer;
    use p256::ecdsa::{Signature, SigningKey};
    use rand_core::OsRng;

    use super::*;
    use crate::devices::wire::{device_id, signed_message};
    use crate::protocol::B64u;

    struct Key(SigningKey, DeviceCard);

    fn key(name: &str) -> Key {
        let signing = SigningKey::random(&mut OsRng);
        let public = signing
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec();
        let (_, kem) = hpke::kem::DhP256HkdfSha256::gen_keypair(&mut rand_core_09::UnwrapErr(
            rand_core_09::OsRng,
        ));
        let card = DeviceCard {
            id: B64u(device_id(&public)),
            name: name.into(),
            signing_key: B64u(public),
            kem_key: B64u(kem.to_bytes().to_vec()),
            storage_key: None,
            recovery_sheet: false,
        };
        Key(signing, card)
    }

    fn sign(key: &Key, context: &[u8], body: String) -> Signed {
        let signature: Signature = key.0.sign(&signed_message(context, &body));
        Signed {
            body,
            signer: key.1.id.clone(),
            signature: B64u(signature.to_der().as_bytes().to_vec()),
        }
    }

    fn change(ring: Option<&Ring>, by: &Key, change: Change) -> Signed {
        let body = RingChange {
            ring: B64u(ring.map_or(vec![7; 16], |r| r.id.clone())),
            prev: ring.map(|r| B64u(r.head().to_vec())),
            at: 1,
            change,
        };
        sign(by, RING_CONTEXT, serde_json::to_string(&body).unwrap())
    }

    fn add(ring: &Ring, by: &Key, new: &Key) -> Signed {
        let join = JoinBody {
            device: new.1.clone(),
            nonce: B64u(vec![1]),
            at: 1,
        };
        let join = sign(new, JOIN_CONTEXT, serde_json::to_string(&join).unwrap());
        change(Some(ring), by, Change::Add { join })
    }

    #[test]
    fn a_removed_device_changes_nothing_and_a_fork_is_refused() {
        let (a, b, c) = (key("a"), key("b"), key("c"));
        let mut ring = Ring::replay(vec![change(
            None,
            &a,
            Change::Start {
                device: a.1.clone(),
            },
        )])
        .unwrap();
        ring.apply(add(&ring, &a, &b)).unwrap();
        let before_removal = ring.clone();
        ring.apply(change(
            Some(&ring),
            &a,
            Change::Remove {
                device: b.1.id.clone(),
            },
        ))
        .unwrap();
        assert!(!ring.device(&b.1.id.0).unwrap().enrolled());
        // The removed device cannot add a device, nor the last one be removed.
        assert!(matches!(
            ring.apply(add(&ring, &b, &c)),
            Err(DeviceError::BadSignature(_))
        ));
        let last = change(
            Some(&ring),
            &a,
            Change::Remove {
                device: a.1.id.clone(),
            },
        );
        assert!(matches!(
            ring.clone().apply(last),
            Err(DeviceError::LastDevice)
        ));

        // Another branch from before the removal: a fork, refused; the longer ring is taken by the shorter.
        let mut fork = before_removal.clone();
        fork.apply(add(&fork, &b, &c)).unwrap();
        assert!(matches!(
            ring.newer_changes(&fork.changes),
            Err(DeviceError::RingForked)
        ));
        assert_eq!(
            before_removal.newer_changes(&ring.changes).unwrap().len(),
            1
        );
        assert!(ring
            .newer_changes(&before_removal.changes)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_ring_starts_with_its_own_device_and_stays_in_one_chain() {
        let (a, b) = (key("a"), key("b"));
        let by_other = change(
            None,
            &b,
            Change::Start {
                device: a.1.clone(),
            },
        );
        assert!(Ring::replay(vec![by_other]).is_err());
        let ring = Ring::replay(vec![change(
            None,
            &a,
            Change::Start {
                device: a.1.clone(),
            },
        )])
        .unwrap();
        let mut unchained = add(&ring, &a, &b);
        let mut body: RingChange = serde_json::from_str(&unchained.body).unwrap();
        body.prev = Some(B64u(vec![0; 32]));
        unchained = sign(&a, RING_CONTEXT, serde_json::to_string(&body).unwrap());
        assert!(matches!(
            ring.clone().apply(unchained),
            Err(DeviceError::Malformed { .. })
        ));
    }
}
