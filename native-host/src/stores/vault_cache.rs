//! The vault's cache of decrypted signing keys, kept beside the unlocked data key (see `KeyCache`).

use std::collections::HashMap;
use std::sync::Arc;

use p256::ecdsa::SigningKey;

/// At most this many decrypted signing keys are kept while the vault is unlocked; the least recently used goes.
pub const KEY_CACHE_ENTRIES: usize = 256;

/// Signing keys already decrypted with the unlocked data key, by credential id, so that a sign skips the blob's
/// decryption and `SigningKey::from_slice` (which also computes the public key: about a third of a vault sign).
///
/// Why this keeps no more secret than before: it lives inside `Unlocked` (vault.rs), beside the data key, and is
/// dropped with it, so it exists only while the data key is in memory anyway, and whoever can read it there can
/// read the data key and decrypt every blob with it. `SigningKey` wipes its scalar on drop (so does the `Arc`'s
/// last owner).
///
/// Why it cannot widen access: it sits behind `authorize`, not in front of it. Every request still goes through
/// `authorize` (PIN checked by the TPM or Argon2 whenever one is sent or user verification is asked; otherwise the
/// unlocked state), and `sign` looks here only with an authorization holding this very data key.
///
/// Why skipping the decryption is exact: an entry is added only after the AEAD decryption of `key_blob` under this
/// data key with AAD = the credential id succeeded, and is used only for the same data key (compared), the same
/// credential id (the map key) and the same blob (compared byte for byte). The decryption is deterministic in those
/// three inputs, so running it again could only give the same key; any other blob or id decrypts as before.
#[derive(Default)]
pub struct KeyCache {
    entries: HashMap<Vec<u8>, CachedKey>,
    /// Ticks at every use; the entry with the smallest `used` is the least recently used.
    clock: u64,
}

struct CachedKey {
    /// The sealed blob the key was decrypted from (not secret).
    key_blob: Vec<u8>,
    signing_key: Arc<SigningKey>,
    used: u64,
}

impl KeyCache {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn get(&mut self, credential_id: &[u8], key_blob: &[u8]) -> Option<Arc<SigningKey>> {
        let entry = self.entries.get_mut(credential_id)?;
        if entry.key_blob != key_blob {
            return None;
        }
        self.clock += 1;
        entry.used = self.clock;
        Some(entry.signing_key.clone())
    }

    pub fn insert(&mut self, credential_id: &[u8], key_blob: &[u8], signing_key: Arc<SigningKey>) {
        if self.entries.len() >= KEY_CACHE_ENTRIES && !self.entries.contains_key(credential_id) {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, entry)| entry.used)
                .map(|(id, _)| id.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.clock += 1;
        self.entries.insert(
            credential_id.to_vec(),
            CachedKey {
                key_blob: key_blob.to_vec(),
                signing_key,
                used: self.clock,
            },
        );
    }
}
