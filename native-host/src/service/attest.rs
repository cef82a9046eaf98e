//! `attest`: packed self-attestation of a new key. The data a new key may sign about itself is exactly its own
//! fresh registration, so `attest` can never stand in for `sign` (no counter, another site, another key).

use keyplace_core::authenticator_data::{AAGUID_LEN, FLAG_AT, FLAG_BE, FLAG_BS, FLAG_ED, FLAG_UP};
use keyplace_core::bytes::parse_aaguid;
use keyplace_core::cose::P256PublicPoint;

use super::{check_rp_id_hash, errors, Service, AUTHENTICATOR_DATA_LEN, CLIENT_DATA_HASH_LEN};
use crate::metadata::{now_ms, CredentialRecord};
use crate::protocol::{AttestAnswer, AttestParams, B64u, ErrorBody, Pin};
use crate::stores::Purpose;

/// How long after `create` a passkey may still be self-attested (`attest`).
pub const ATTEST_WINDOW_MS: i64 = 10 * 60 * 1000;
/// rpIdHash | flags | counter | AAGUID | credentialIdLength: what attested authenticator data has before the id.
const ATTESTED_HEADER_LEN: usize = AUTHENTICATOR_DATA_LEN + AAGUID_LEN + 2;
/// The flags byte's bits that WebAuthn reserves (RFU1, RFU2): never set in a registration.
const FLAGS_RESERVED: u8 = 0x02 | 0x20;

impl Service {
    /// Packed self-attestation: the new key signs its own registration, `authenticator_data || client_data_hash`.
    /// Refused unless the authenticator data is exactly this credential's registration for its own RP ID and the
    /// credential is fresh and unused, so that this is never a second, counter-less way to make a key sign.
    pub(super) fn attest(&self, params: AttestParams) -> Result<AttestAnswer, ErrorBody> {
        let authenticator_data = params.authenticator_data.0;
        if params.client_data_hash.0.len() != CLIENT_DATA_HASH_LEN {
            return Err(errors::bad_client_data_hash());
        }
        if authenticator_data.len() < ATTESTED_HEADER_LEN {
            return Err(errors::registration_data_too_short());
        }
        let credential = self
            .metadata
            .credential(&params.credential_id.0)?
            .ok_or_else(errors::not_found)?;
        check_rp_id_hash(&authenticator_data, &credential)?;
        check_attestable(&credential, now_ms())?;
        let store = self.credential_store(&credential);
        check_registration_data(&authenticator_data, &credential, store.aaguid())?;
        let authorization =
            store.authorize(params.pin.as_ref().map(Pin::as_str), false, Purpose::Sign)?;
        // Authorizing can take a while (Argon2id): look again, so that a `sign` in the meantime is noticed.
        let current = self
            .metadata
            .credential(&credential.credential_id)?
            .ok_or_else(errors::not_found)?;
        check_attestable(&current, now_ms())?;

        let mut message = Vec::with_capacity(authenticator_data.len() + CLIENT_DATA_HASH_LEN);
        message.extend_from_slice(&authenticator_data);
        message.extend_from_slice(&params.client_data_hash.0);
        // The counter is not touched: a registration carries 0, and the first assertion will carry 1.
        let signature = store.sign(
            &authorization,
            &credential.credential_id,
            &credential.key_blob,
            &message,
        )?;
        Ok(AttestAnswer {
            signature: B64u(signature),
        })
    }
}

/// `attest` is for a registration only: the credential was made within the last ten minutes and never used.
fn check_attestable(credential: &CredentialRecord, now_ms: i64) -> Result<(), ErrorBody> {
    if credential.sign_count != 0 || credential.last_used_at.is_some() {
        return Err(errors::already_used());
    }
    // A clock that went back counts like one that went forward: either way the creation time cannot be trusted.
    let age = now_ms.saturating_sub(credential.created_at);
    if !(-ATTEST_WINDOW_MS..=ATTEST_WINDOW_MS).contains(&age) {
        return Err(errors::too_old_to_attest());
    }
    Ok(())
}

/// Checks that `data` (whose rpIdHash was already checked) is exactly the registration of `credential`:
/// flags AT and UP without ED, BE/BS as stored, counter 0, the store's AAGUID, the stored credential id, then the
/// stored public key as its canonical COSE_Key, and nothing after it.
fn check_registration_data(
    data: &[u8],
    credential: &CredentialRecord,
    aaguid: &str,
) -> Result<(), ErrorBody> {
    let flags = data[32];
    if flags & (FLAG_AT | FLAG_UP) != FLAG_AT | FLAG_UP || flags & (FLAG_ED | FLAGS_RESERVED) != 0 {
        return Err(errors::bad_registration_flags());
    }
    if (flags & FLAG_BE != 0, flags & FLAG_BS != 0)
        != (credential.backup_eligible, credential.backup_state)
    {
        return Err(errors::wrong_backup_flags());
    }
    if data[33..37] != [0; 4] {
        return Err(errors::registration_counter_not_zero());
    }
    let expected_aaguid =
        parse_aaguid(aaguid).map_err(|_| errors::store_aaguid_not_a_uuid(aaguid))?;
    if data[37..53] != expected_aaguid {
        return Err(errors::wrong_aaguid());
    }
    let id_len = usize::from(u16::from_be_bytes([data[53], data[54]]));
    let rest = &data[ATTESTED_HEADER_LEN..];
    if id_len != credential.credential_id.len()
        || rest.get(..id_len) != Some(&credential.credential_id[..])
    {
        return Err(errors::wrong_credential_id());
    }
    let cose_key = &rest[id_len..];
    // The only encoding of the key a registration may carry: CTAP2 canonical CBOR.
    let expected_key = P256PublicPoint::from_sec1_uncompressed(&credential.public_key)
        .and_then(|point| point.cose_key())
        .map_err(|_| errors::stored_key_not_p256())?;
    if cose_key.len() > expected_key.len() && cose_key.starts_with(&expected_key) {
        return Err(errors::data_after_public_key());
    }
    if cose_key != expected_key {
        return Err(errors::wrong_public_key());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use keyplace_core::authenticator_data::{FLAG_AT, FLAG_BE, FLAG_BS, FLAG_ED, FLAG_UP, FLAG_UV};
    use keyplace_core::bytes::parse_aaguid;
    use keyplace_core::cose::P256PublicPoint;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::{Signature, VerifyingKey};
    use serde_json::{json, Value};

    use super::ATTEST_WINDOW_MS;
    use crate::metadata::now_ms;
    use crate::protocol::{ErrorBody, ErrorCode};
    use crate::service::test_fixtures::{
        authenticator_data, b64, call, create, decode, service, sign, VAULT_AAGUID_BYTES,
    };
    use crate::service::Service;

    /// A registration's authenticator data, by hand: rpIdHash | flags | counter | AAGUID | credIdLen | credId |
    /// COSE_Key {1: 2, 3: -7, -1: 1, -2: x, -3: y} in canonical order.
    fn registration_data(
        rp_id: &str,
        flags: u8,
        counter: u32,
        aaguid: &[u8; 16],
        credential_id: &[u8],
        public_key: &[u8],
    ) -> Vec<u8> {
        let mut data = authenticator_data(rp_id, flags, counter);
        data.extend_from_slice(aaguid);
        data.extend_from_slice(&(credential_id.len() as u16).to_be_bytes());
        data.extend_from_slice(credential_id);
        data.extend_from_slice(&[0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]);
        data.extend_from_slice(&public_key[1..33]);
        data.extend_from_slice(&[0x22, 0x58, 0x20]);
        data.extend_from_slice(&public_key[33..65]);
        data
    }

    /// The registration of a vault credential made by `create`, as the extension builds it.
    fn vault_registration(created: &Value, rp_id: &str) -> Vec<u8> {
        registration_data(
            rp_id,
            FLAG_UP | FLAG_UV | FLAG_BE | FLAG_AT,
            0,
            &VAULT_AAGUID_BYTES,
            &decode(&created["credential_id"]),
            &decode(&created["public_key"]),
        )
    }

    fn attest(
        service: &Service,
        credential_id: &Value,
        data: &[u8],
        client_data_hash: &[u8],
        pin: Option<&str>,
    ) -> Result<Value, ErrorBody> {
        call(
            service,
            "attest",
            json!({"credential_id": credential_id, "authenticator_data": b64(data),
               "client_data_hash": b64(client_data_hash), "pin": pin}),
        )
    }

    fn attest_code(service: &Service, credential_id: &Value, data: &[u8]) -> ErrorCode {
        attest(service, credential_id, data, &[5; 32], Some("123456"))
            .unwrap_err()
            .code
    }

    #[test]
    fn attest_signs_exactly_a_fresh_registration_without_counting() {
        let (_dir, service) = service();
        let created = create(&service, "example.com", Some("123456")).unwrap();
        let public_key = VerifyingKey::from_sec1_bytes(&decode(&created["public_key"])).unwrap();
        let data = vault_registration(&created, "example.com");
        // Unlocked vault: no PIN needed; with the PIN it works too.
        for pin in [None, Some("123456")] {
            let attested =
                attest(&service, &created["credential_id"], &data, &[5; 32], pin).unwrap();
            let signature = Signature::from_der(&decode(&attested["signature"])).unwrap();
            public_key
                .verify(&[&data[..], &[5; 32]].concat(), &signature)
                .unwrap();
            assert_eq!(attested.as_object().unwrap().len(), 1, "{attested}");
        }
        let listed = call(&service, "list", json!({})).unwrap();
        assert_eq!(listed["credentials"][0]["sign_count"], 0);
        assert_eq!(listed["credentials"][0]["last_used_at"], Value::Null);
        // The first assertion still carries counter 1.
        let signed = sign(
            &service,
            &created["credential_id"],
            &authenticator_data("example.com", FLAG_UP, 0),
            None,
            false,
        )
        .unwrap();
        assert_eq!(signed["sign_count"], 1);
    }

    #[test]
    fn attest_refuses_anything_but_this_credentials_registration() {
        let (_dir, service) = service();
        let created = create(&service, "example.com", Some("123456")).unwrap();
        let other = create(&service, "example.com", Some("123456")).unwrap();
        let id = &created["credential_id"];
        let own_id = decode(id);
        let own_key = decode(&created["public_key"]);
        let build =
            |rp_id: &str, flags: u8, counter: u32, aaguid: &[u8; 16], cid: &[u8], key: &[u8]| {
                registration_data(rp_id, flags, counter, aaguid, cid, key)
            };
        let flags = FLAG_UP | FLAG_BE | FLAG_AT;

        // ARCHITECTURE.md rule 4: another site's rpIdHash.
        let elsewhere = build(
            "evil.example",
            flags,
            0,
            &VAULT_AAGUID_BYTES,
            &own_id,
            &own_key,
        );
        assert_eq!(attest_code(&service, id, &elsewhere), ErrorCode::RpMismatch);

        let other_id = decode(&other["credential_id"]);
        let other_key = decode(&other["public_key"]);
        let hardware_aaguid = [
            0xc9, 0x59, 0x48, 0xa9, 0x3e, 0x06, 0x47, 0x3d, 0xa1, 0xef, 0xb1, 0x1f, 0x00, 0x81,
            0x64, 0x5d,
        ];
        let mut truncated_key = build(
            "example.com",
            flags,
            0,
            &VAULT_AAGUID_BYTES,
            &own_id,
            &own_key,
        );
        truncated_key.pop();
        let mut long_id = own_id.clone();
        long_id.push(0);
        let refused = [
            (
                "another credential's id",
                build(
                    "example.com",
                    flags,
                    0,
                    &VAULT_AAGUID_BYTES,
                    &other_id,
                    &own_key,
                ),
            ),
            (
                "a longer credential id",
                build(
                    "example.com",
                    flags,
                    0,
                    &VAULT_AAGUID_BYTES,
                    &long_id,
                    &own_key,
                ),
            ),
            (
                "another credential's key",
                build(
                    "example.com",
                    flags,
                    0,
                    &VAULT_AAGUID_BYTES,
                    &own_id,
                    &other_key,
                ),
            ),
            (
                "trailing bytes",
                [
                    build(
                        "example.com",
                        flags,
                        0,
                        &VAULT_AAGUID_BYTES,
                        &own_id,
                        &own_key,
                    ),
                    vec![0xa0],
                ]
                .concat(),
            ),
            (
                "ED",
                build(
                    "example.com",
                    flags | FLAG_ED,
                    0,
                    &VAULT_AAGUID_BYTES,
                    &own_id,
                    &own_key,
                ),
            ),
            (
                "no AT",
                build(
                    "example.com",
                    flags & !FLAG_AT,
                    0,
                    &VAULT_AAGUID_BYTES,
                    &own_id,
                    &own_key,
                ),
            ),
            (
                "no UP",
                build(
                    "example.com",
                    flags & !FLAG_UP,
                    0,
                    &VAULT_AAGUID_BYTES,
                    &own_id,
                    &own_key,
                ),
            ),
            (
                "reserved flag",
                build(
                    "example.com",
                    flags | 0x20,
                    0,
                    &VAULT_AAGUID_BYTES,
                    &own_id,
                    &own_key,
                ),
            ),
            (
                "BE not as stored",
                build(
                    "example.com",
                    flags & !FLAG_BE,
                    0,
                    &VAULT_AAGUID_BYTES,
                    &own_id,
                    &own_key,
                ),
            ),
            (
                "BS not as stored",
                build(
                    "example.com",
                    flags | FLAG_BS,
                    0,
                    &VAULT_AAGUID_BYTES,
                    &own_id,
                    &own_key,
                ),
            ),
            (
                "a counter",
                build(
                    "example.com",
                    flags,
                    1,
                    &VAULT_AAGUID_BYTES,
                    &own_id,
                    &own_key,
                ),
            ),
            (
                "another AAGUID",
                build("example.com", flags, 0, &hardware_aaguid, &own_id, &own_key),
            ),
            ("a truncated key", truncated_key),
            (
                "an assertion",
                authenticator_data("example.com", FLAG_UP, 0),
            ),
        ];
        for (what, data) in refused {
            let error = attest(&service, id, &data, &[5; 32], Some("123456")).unwrap_err();
            assert_eq!(error.code, ErrorCode::BadRequest, "{what}: {error:?}");
        }
        let valid = vault_registration(&created, "example.com");
        let short_hash = attest(&service, id, &valid, &[5; 31], Some("123456")).unwrap_err();
        assert_eq!(short_hash.code, ErrorCode::BadRequest);
        assert_eq!(
            attest_code(&service, &json!(b64(b"nope")), &valid),
            ErrorCode::NotFound
        );
        // The store authorizes as for `sign`.
        call(&service, "lock", json!({})).unwrap();
        let locked = attest(&service, id, &valid, &[5; 32], None).unwrap_err();
        assert_eq!(locked.details.reason.as_deref(), Some("unlock"));
        let wrong = attest(&service, id, &valid, &[5; 32], Some("0000")).unwrap_err();
        assert_eq!(wrong.code, ErrorCode::WrongPin);
        // None of this used the counter, and the registration itself is still attestable.
        attest(&service, id, &valid, &[5; 32], Some("123456")).unwrap();
        let listed = call(&service, "list", json!({"credential_ids": [id]})).unwrap();
        assert_eq!(listed["credentials"][0]["sign_count"], 0);
    }

    #[test]
    fn attest_only_before_the_first_sign_and_within_ten_minutes() {
        let (_dir, service) = service();
        let created = create(&service, "example.com", Some("123456")).unwrap();
        let data = vault_registration(&created, "example.com");
        sign(
            &service,
            &created["credential_id"],
            &authenticator_data("example.com", FLAG_UP, 0),
            None,
            false,
        )
        .unwrap();
        let used = attest(&service, &created["credential_id"], &data, &[5; 32], None).unwrap_err();
        assert_eq!(used.code, ErrorCode::BadRequest);
        assert!(used.message.contains("already been used"), "{used:?}");

        // Made 10 minutes and a second ago (or that far in the future: the clock moved back).
        for offset in [-(ATTEST_WINDOW_MS + 1000), ATTEST_WINDOW_MS + 1000] {
            let fresh = create(&service, "example.com", Some("123456")).unwrap();
            let id = decode(&fresh["credential_id"]);
            let mut record = service.metadata.credential(&id).unwrap().unwrap();
            record.created_at = now_ms() + offset;
            service.metadata.delete_credential(&id).unwrap();
            service.metadata.insert_credential(&record).unwrap();
            let data = vault_registration(&fresh, "example.com");
            let old = attest(&service, &fresh["credential_id"], &data, &[5; 32], None).unwrap_err();
            assert_eq!(old.code, ErrorCode::BadRequest);
            assert!(old.message.contains("10 minutes"), "{old:?}");
            // Just inside the window it is still fine.
            record.created_at = now_ms() - ATTEST_WINDOW_MS + 60_000;
            service.metadata.delete_credential(&id).unwrap();
            service.metadata.insert_credential(&record).unwrap();
            attest(&service, &fresh["credential_id"], &data, &[5; 32], None).unwrap();
        }
    }

    #[test]
    fn cose_key_and_aaguid_encodings() {
        // The core's encodings, which check_registration_data relies on.
        assert_eq!(
            parse_aaguid(crate::stores::vault::VAULT_AAGUID).ok(),
            Some(VAULT_AAGUID_BYTES)
        );
        assert!(parse_aaguid("62ee5665-1fea-485b-9a24").is_err());
        assert!(parse_aaguid("zzee5665-1fea-485b-9a24-9ccac93787c2").is_err());
        let point = [&[0x04][..], &[1; 32], &[2; 32]].concat();
        let key = P256PublicPoint::from_sec1_uncompressed(&point)
            .unwrap()
            .cose_key()
            .unwrap();
        assert_eq!(key.len(), 77);
        assert_eq!(
            registration_data("a", 0, 0, &[0; 16], b"", &point)[55..],
            key[..]
        );
        assert!(P256PublicPoint::from_sec1_uncompressed(&point[1..]).is_err());
        assert!(
            P256PublicPoint::from_sec1_uncompressed(&[&[0x02][..], &[1; 64]].concat()).is_err()
        );
    }
}
