//! `sign`: an assertion signature, with the host's own counter and flags (ARCHITECTURE.md rule 4).

use keyplace_core::authenticator_data::{FLAG_AT, FLAG_BE, FLAG_BS, FLAG_ED, FLAG_UP, FLAG_UV};

use super::{check_rp_id_hash, errors, prf_results, prf_salts, Service, CLIENT_DATA_HASH_LEN};
use crate::metadata::now_ms;
use crate::protocol::{B64u, ErrorBody, Pin, SignAnswer, SignParams};
use crate::stores::Purpose;

/// rpIdHash | flags | counter: all of an assertion's authenticator data (no extensions).
pub const AUTHENTICATOR_DATA_LEN: usize = 37;

impl Service {
    pub(super) fn sign(&self, params: SignParams) -> Result<SignAnswer, ErrorBody> {
        let mut authenticator_data = params.authenticator_data.0;
        if authenticator_data.len() != AUTHENTICATOR_DATA_LEN {
            return Err(errors::bad_assertion_data_length());
        }
        if params.client_data_hash.0.len() != CLIENT_DATA_HASH_LEN {
            return Err(errors::bad_client_data_hash());
        }
        let salts = prf_salts(&params.prf_salts)?;
        let credential = self
            .metadata
            .credential(&params.credential_id.0)?
            .ok_or_else(errors::not_found)?;
        check_rp_id_hash(&authenticator_data, &credential)?;
        let requested_flags = authenticator_data[32];
        if requested_flags & (FLAG_AT | FLAG_ED) != 0 {
            return Err(errors::assertion_with_attested_data());
        }
        let store = self.credential_store(&credential);
        let authorization = store.authorize(
            params.pin.as_ref().map(Pin::as_str),
            params.require_user_verification,
            Purpose::Sign,
        )?;
        // Hardware stores check the PIN in the chip while signing; a refused PIN costs one counter value, which
        // relying parties accept (the counter only has to increase).
        let sign_count = self
            .metadata
            .next_sign_count(&credential.credential_id, now_ms())?
            .ok_or_else(errors::not_found)?;

        let mut flags = requested_flags & FLAG_UP;
        if authorization.user_verified {
            flags |= FLAG_UV;
        }
        if credential.backup_eligible {
            flags |= FLAG_BE;
        }
        if credential.backup_state {
            flags |= FLAG_BS;
        }
        authenticator_data[32] = flags;
        authenticator_data[33..37].copy_from_slice(&sign_count.to_be_bytes());

        let mut message = Vec::with_capacity(AUTHENTICATOR_DATA_LEN + CLIENT_DATA_HASH_LEN);
        message.extend_from_slice(&authenticator_data);
        message.extend_from_slice(&params.client_data_hash.0);
        let signature = store.sign(
            &authorization,
            &credential.credential_id,
            &credential.key_blob,
            &message,
        )?;
        // The PRF in the same request as the signature: only for the credential's own RP ID (checked above). An
        // imported passkey's PRF secret stayed with the manager it came from (CXF's hmacCredentials, not imported):
        // no PRF values, rather than values that manager would never have given.
        let prf = match salts {
            Some(salts) if !self.metadata.is_imported(&credential.credential_id)? => store.prf(
                &authorization,
                &credential.credential_id,
                &credential.key_blob,
                &salts,
            )?,
            _ => None,
        };
        Ok(SignAnswer {
            authenticator_data: B64u(authenticator_data),
            signature: B64u(signature),
            user_handle: B64u(credential.user_id),
            sign_count,
            user_verified: authorization.user_verified,
            prf_results: prf_results(prf),
        })
    }
}

#[cfg(test)]
mod tests {
    use keyplace_core::authenticator_data::{FLAG_AT, FLAG_BE, FLAG_ED, FLAG_UP, FLAG_UV};
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::{Signature, VerifyingKey};
    use serde_json::json;

    use crate::protocol::ErrorCode;
    use crate::service::test_fixtures::{
        authenticator_data, b64, call, create, decode, service, sign,
    };

    #[test]
    fn create_needs_a_pin_first_then_signs_with_own_counter_and_flags() {
        let (_dir, service) = service();
        let refused = create(&service, "example.com", None).unwrap_err();
        assert_eq!(refused.code, ErrorCode::PinRequired);
        assert_eq!(refused.details.reason.as_deref(), Some("set_pin"));

        let created = create(&service, "example.com", Some("123456")).unwrap();
        assert_eq!(created["user_verified"], true);
        assert_eq!(created["backup_eligible"], true);
        assert_eq!(created["backup_state"], false);
        let public_key = VerifyingKey::from_sec1_bytes(&decode(&created["public_key"])).unwrap();

        // The caller claims UV, BS, a huge counter and RFU bits; the host overrides all of it.
        let claimed = authenticator_data("example.com", !(FLAG_AT | FLAG_ED), 999);
        let first = sign(&service, &created["credential_id"], &claimed, None, false).unwrap();
        let signed = decode(&first["authenticator_data"]);
        assert_eq!(
            signed[32],
            FLAG_UP | FLAG_BE,
            "UV only when the PIN was checked in this request"
        );
        assert_eq!(&signed[33..], &1u32.to_be_bytes());
        assert_eq!(first["user_verified"], false);
        assert_eq!(decode(&first["user_handle"]), b"user-1");
        let mut message = signed.clone();
        message.extend_from_slice(&[7; 32]);
        let signature = Signature::from_der(&decode(&first["signature"])).unwrap();
        public_key.verify(&message, &signature).unwrap();

        let second = sign(
            &service,
            &created["credential_id"],
            &claimed,
            Some("123456"),
            true,
        )
        .unwrap();
        assert_eq!(second["sign_count"], 2);
        assert_eq!(
            decode(&second["authenticator_data"])[32],
            FLAG_UP | FLAG_UV | FLAG_BE
        );
    }

    #[test]
    fn sign_refuses_other_sites_and_attested_data() {
        let (_dir, service) = service();
        let created = create(&service, "example.com", Some("123456")).unwrap();
        let other = sign(
            &service,
            &created["credential_id"],
            &authenticator_data("evil.example", 1, 0),
            Some("123456"),
            false,
        );
        assert_eq!(other.unwrap_err().code, ErrorCode::RpMismatch);
        for flag in [FLAG_AT, FLAG_ED] {
            let data = authenticator_data("example.com", FLAG_UP | flag, 0);
            assert_eq!(
                sign(
                    &service,
                    &created["credential_id"],
                    &data,
                    Some("123456"),
                    false
                )
                .unwrap_err()
                .code,
                ErrorCode::BadRequest
            );
        }
        let long = [authenticator_data("example.com", 1, 0), vec![0]].concat();
        assert_eq!(
            sign(&service, &created["credential_id"], &long, None, false)
                .unwrap_err()
                .code,
            ErrorCode::BadRequest
        );
        let missing = sign(
            &service,
            &json!(b64(b"nope")),
            &authenticator_data("example.com", 1, 0),
            None,
            false,
        );
        assert_eq!(missing.unwrap_err().code, ErrorCode::NotFound);
        // Refusals do not spend the counter.
        let listed = call(&service, "list", json!({})).unwrap();
        assert_eq!(listed["credentials"][0]["sign_count"], 0);
    }
}
