//! Bare tss-esapi figures for host_bench: the same objects (the host's own templates) and the same SRK-salted HMAC
//! session the host uses, without the host around them.

use std::str::FromStr;
use std::time::Instant;

use sha2::{Digest as _, Sha256};
use tss_esapi::attributes::SessionAttributesBuilder;
use tss_esapi::constants::tss::{TPM2_RH_NULL, TPM2_ST_HASHCHECK};
use tss_esapi::constants::SessionType;
use tss_esapi::handles::{KeyHandle, ObjectHandle, SessionHandle};
use tss_esapi::interface_types::algorithm::HashingAlgorithm;
use tss_esapi::interface_types::resource_handles::Hierarchy;
use tss_esapi::interface_types::session_handles::AuthSession;
use tss_esapi::structures::{
    Auth, Digest, HashcheckTicket, MaxBuffer, SignatureScheme, SymmetricDefinition,
};
use tss_esapi::tcti_ldr::TctiNameConf;
use tss_esapi::tss2_esys::TPMT_TK_HASHCHECK;
use tss_esapi::Context;

use keyplace_host::stores::tpm::templates;

type Result<T> = std::result::Result<T, String>;

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn err(what: &str) -> impl Fn(tss_esapi::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

fn ticket() -> Result<HashcheckTicket> {
    HashcheckTicket::try_from(TPMT_TK_HASHCHECK {
        tag: TPM2_ST_HASHCHECK,
        hierarchy: TPM2_RH_NULL,
        digest: Default::default(),
    })
    .map_err(err("ticket"))
}

fn digest(i: usize) -> Result<Digest> {
    Digest::try_from(Sha256::digest(i.to_be_bytes()).to_vec()).map_err(err("digest"))
}

/// Bare tss-esapi figures, all in ms.
pub struct Bare {
    /// Sign only, key loaded once.
    pub sign: Vec<f64>,
    /// Load + auth + sign + flush per signature.
    pub load_sign_flush: Vec<f64>,
    /// Load + auth + TPM2_HMAC (one salt) + flush of a PRF key.
    pub load_hmac_flush: Vec<f64>,
}

/// `n` measured rounds of each (after 3 unmeasured), with `pin` as the keys' authValue.
pub fn bare_tpm(tcti: &str, pin: &str, n: usize) -> Result<Bare> {
    let name = TctiNameConf::from_str(tcti).map_err(err("tcti"))?;
    let mut context = Context::new(name).map_err(err("connect"))?;
    let srk_public = templates::srk().map_err(err("SRK template"))?;
    let srk: KeyHandle = context
        .execute_with_nullauth_session(|c| {
            c.create_primary(Hierarchy::Owner, srk_public, None, None, None, None)
        })
        .map_err(err("create SRK"))?
        .key_handle;
    let session: AuthSession = context
        .start_auth_session(
            Some(srk),
            None,
            None,
            SessionType::Hmac,
            SymmetricDefinition::AES_128_CFB,
            HashingAlgorithm::Sha256,
        )
        .map_err(err("session"))?
        .ok_or("no session")?;
    let (attributes, mask) = SessionAttributesBuilder::new()
        .with_decrypt(true)
        .with_encrypt(true)
        .with_continue_session(true)
        .build();
    context
        .tr_sess_set_attributes(session, attributes, mask)
        .map_err(err("session attributes"))?;
    let auth = || Auth::try_from(pin.as_bytes().to_vec()).map_err(err("auth"));
    let key_public = templates::passkey().map_err(err("key template"))?;
    let pin = auth()?;
    let created = context
        .execute_with_session(Some(session), |c| {
            c.create(srk, key_public, Some(pin), None, None, None)
        })
        .map_err(err("create key"))?;

    // (1) what the budget compares against: the key stays loaded, only TPM2_Sign is timed.
    let key = context
        .execute_with_session(Some(session), |c| {
            c.load(srk, created.out_private.clone(), created.out_public.clone())
        })
        .map_err(err("load"))?;
    context
        .tr_set_auth(key.into(), auth()?)
        .map_err(err("auth"))?;
    let mut sign_only = Vec::with_capacity(n);
    for i in 0..n + 3 {
        let d = digest(i)?;
        let t = ticket()?;
        let start = Instant::now();
        context
            .execute_with_session(Some(session), |c| c.sign(key, d, SignatureScheme::Null, t))
            .map_err(err("sign"))?;
        if i >= 3 {
            sign_only.push(ms_since(start));
        }
    }
    context.flush_context(key.into()).map_err(err("flush"))?;

    // (2) what the host does per signature (chip.rs): load, set the PIN, sign, flush.
    let mut load_sign_flush = Vec::with_capacity(n);
    for i in 0..n + 3 {
        let d = digest(i)?;
        let t = ticket()?;
        let start = Instant::now();
        let key = context
            .execute_with_session(Some(session), |c| {
                c.load(srk, created.out_private.clone(), created.out_public.clone())
            })
            .map_err(err("load"))?;
        context
            .tr_set_auth(key.into(), auth()?)
            .map_err(err("auth"))?;
        context
            .execute_with_session(Some(session), |c| c.sign(key, d, SignatureScheme::Null, t))
            .map_err(err("sign"))?;
        context.flush_context(key.into()).map_err(err("flush"))?;
        if i >= 3 {
            load_sign_flush.push(ms_since(start));
        }
    }
    // (3) what the host does per PRF request (chip.rs): load the PRF key, set the PIN, TPM2_HMAC, flush.
    let prf_public = templates::prf_key().map_err(err("PRF key template"))?;
    let pin = auth()?;
    let prf_key = context
        .execute_with_session(Some(session), |c| {
            c.create(srk, prf_public, Some(pin), None, None, None)
        })
        .map_err(err("create PRF key"))?;
    let mut load_hmac_flush = Vec::with_capacity(n);
    for i in 0..n + 3 {
        let salt =
            MaxBuffer::try_from(Sha256::digest(i.to_be_bytes()).to_vec()).map_err(err("salt"))?;
        let start = Instant::now();
        let key = context
            .execute_with_session(Some(session), |c| {
                c.load(srk, prf_key.out_private.clone(), prf_key.out_public.clone())
            })
            .map_err(err("load PRF key"))?;
        context
            .tr_set_auth(key.into(), auth()?)
            .map_err(err("auth"))?;
        context
            .execute_with_session(Some(session), |c| {
                c.hmac(key.into(), salt, HashingAlgorithm::Sha256)
            })
            .map_err(err("hmac"))?;
        context.flush_context(key.into()).map_err(err("flush"))?;
        if i >= 3 {
            load_hmac_flush.push(ms_since(start));
        }
    }
    // swtpm has no resource manager: leave nothing behind for the host.
    let _ = context.flush_context(SessionHandle::from(session).into());
    let _ = context.flush_context(ObjectHandle::from(srk));
    drop(context);
    Ok(Bare {
        sign: sign_only,
        load_sign_flush,
        load_hmac_flush,
    })
}
