//! `attest`'s checks: the data a new key may sign about itself is exactly its own fresh registration, so `attest`
//! can never stand in for `sign` (no counter, another site, another key).

use super::*;

/// How long after `create` a passkey may still be self-attested (`attest`).
pub const ATTEST_WINDOW_MS: i64 = 10 * 60 * 1000;
pub(super) const AAGUID_LEN: usize = 16;
/// rpIdHash | flags | counter | AAGUID | credentialIdLength: what attested authenticator data has before the id.
pub(super) const ATTESTED_HEADER_LEN: usize = AUTHENTICATOR_DATA_LEN + AAGUID_LEN + 2;
pub(super) const P256_COORDINATE_LEN: usize = 32;

/// `attest` is for a registration only: the credential was made within the last ten minutes and never used.
pub(super) fn check_attestable(
    credential: &CredentialRecord,
    now_ms: i64,
) -> Result<(), ErrorBody> {
    if credential.sign_count != 0 || credential.last_used_at.is_some() {
        return Err(bad_request(
            "This passkey has already been used; Keyplace attests a passkey only right after it was made.",
        ));
    }
    // A clock that went back counts like one that went forward: either way the creation time cannot be trusted.
    let age = now_ms.saturating_sub(credential.created_at);
    if !(-ATTEST_WINDOW_MS..=ATTEST_WINDOW_MS).contains(&age) {
        return Err(bad_request(
            "This passkey was made more than 10 minutes ago; Keyplace attests a passkey only right after it was made.",
        ));
    }
    Ok(())
}

/// Checks that `data` (whose rpIdHash was already checked) is exactly the registration of `credential`:
/// flags AT and UP without ED, BE/BS as stored, counter 0, the store's AAGUID, the stored credential id, then the
/// stored public key as its canonical COSE_Key, and nothing after it.
pub(super) fn check_registration_data(
    data: &[u8],
    credential: &CredentialRecord,
    aaguid: &str,
) -> Result<(), ErrorBody> {
    let flags = data[32];
    if flags & (FLAG_AT | FLAG_UP) != FLAG_AT | FLAG_UP
        || flags & (FLAG_ED | FLAG_RFU1 | FLAG_RFU2) != 0
    {
        return Err(bad_request(
            "A registration's authenticator data must have the AT and UP flags, and no ED or reserved flags.",
        ));
    }
    if (flags & FLAG_BE != 0, flags & FLAG_BS != 0)
        != (credential.backup_eligible, credential.backup_state)
    {
        return Err(bad_request(
            "The backup flags (BE, BS) in the authenticator data are not this passkey's.",
        ));
    }
    if data[33..37] != [0; 4] {
        return Err(bad_request("A registration's signature counter must be 0."));
    }
    let expected_aaguid = aaguid_bytes(aaguid).ok_or_else(|| {
        ErrorBody::new(
            ErrorCode::Internal,
            format!("The store's AAGUID {aaguid} is not a UUID."),
        )
    })?;
    if data[37..53] != expected_aaguid {
        return Err(bad_request(
            "The AAGUID in the authenticator data is not this passkey's store's.",
        ));
    }
    let id_len = usize::from(u16::from_be_bytes([data[53], data[54]]));
    let rest = &data[ATTESTED_HEADER_LEN..];
    if id_len != credential.credential_id.len()
        || rest.get(..id_len) != Some(&credential.credential_id[..])
    {
        return Err(bad_request(
            "The credential id in the authenticator data is not this passkey's.",
        ));
    }
    let cose_key = &rest[id_len..];
    let expected_key = cose_key_es256(&credential.public_key).ok_or_else(|| {
        ErrorBody::new(
            ErrorCode::Internal,
            "The stored public key of this passkey is not a P-256 point.",
        )
    })?;
    if cose_key.len() > expected_key.len() && cose_key.starts_with(&expected_key) {
        return Err(bad_request(
            "Nothing may follow the public key in a registration's authenticator data.",
        ));
    }
    if cose_key != expected_key {
        return Err(bad_request(
            "The public key in the authenticator data is not this passkey's (expected its COSE_Key \
             {1: 2, 3: -7, -1: 1, -2: x, -3: y} in canonical CBOR).",
        ));
    }
    Ok(())
}

/// "62ee5665-1fea-485b-9a24-9ccac93787c2" as its 16 bytes.
pub(super) fn aaguid_bytes(uuid: &str) -> Option<[u8; AAGUID_LEN]> {
    let hex: Vec<u8> = uuid.bytes().filter(|&b| b != b'-').collect();
    if hex.len() != 2 * AAGUID_LEN {
        return None;
    }
    let mut bytes = [0; AAGUID_LEN];
    for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(bytes)
}

/// The COSE_Key of a SEC1 uncompressed P-256 point, as CTAP2 canonical CBOR: {1: 2 (EC2), 3: -7 (ES256),
/// -1: 1 (P-256), -2: x, -3: y}. This is the only encoding of the key a registration may carry.
pub(super) fn cose_key_es256(sec1: &[u8]) -> Option<Vec<u8>> {
    let (&tag, xy) = sec1.split_first()?;
    if tag != 0x04 || xy.len() != 2 * P256_COORDINATE_LEN {
        return None;
    }
    let (x, y) = xy.split_at(P256_COORDINATE_LEN);
    let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
    out.extend_from_slice(x);
    out.extend_from_slice(&[0x22, 0x58, 0x20]);
    out.extend_from_slice(y);
    Some(out)
}
