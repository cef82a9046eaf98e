//! What went wrong with the TPM, in terms the service and a person understand.

use tss_esapi::constants::response_code::{Tss2ResponseCode, Tss2ResponseCodeKind};

/// TSS layers (bits 16..24 of a TSS2_RC): 0 is the TPM itself; 11 and 12 are a resource manager.
const LAYER_TPM: u32 = 0;
const LAYER_RESMGR: u32 = 11;
const LAYER_RESMGR_TPM: u32 = 12;

#[derive(Debug)]
pub enum Failure {
    /// The chip rejected the key's authValue and counted it toward its lockout.
    AuthFail,
    /// The chip is in dictionary-attack lockout; no key without noDA can be used until it recovers.
    Lockout,
    /// The TPM cannot be reached or the connection to it broke; the connection must be opened again.
    Unreachable(String),
    /// The chip refused to load a stored object: it was made by another TPM, or this one was cleared since.
    NotThisChip(String),
    /// The TPM or the TSS refused for another reason; the connection is still fine.
    Other(String),
}

impl Failure {
    /// A failure while talking to the TPM over an open connection.
    pub fn from_tss(what: &str, error: tss_esapi::Error) -> Failure {
        let code = match error {
            tss_esapi::Error::Tss2Error(code) => code,
            tss_esapi::Error::WrapperError(kind) => {
                return Failure::Other(format!("{what}: {kind}"));
            }
        };
        match code.kind() {
            Some(Tss2ResponseCodeKind::AuthFail) => return Failure::AuthFail,
            Some(Tss2ResponseCodeKind::Lockout) => return Failure::Lockout,
            _ => {}
        }
        let raw = raw_code(code);
        let described = match raw {
            Some(raw) => format!("{what}: {code} (0x{raw:x})"),
            None => format!("{what}: {code}"),
        };
        match raw.map(|raw| raw >> 16) {
            Some(LAYER_TPM | LAYER_RESMGR | LAYER_RESMGR_TPM) => Failure::Other(described),
            // ESYS, SYS, MU and TCTI failures: the byte stream to the TPM or ESYS's view of it is broken.
            _ => Failure::Unreachable(described),
        }
    }

    pub fn message(&self) -> String {
        match self {
            Failure::AuthFail => "the PIN was wrong".to_owned(),
            Failure::Lockout => "the TPM is locked after too many wrong PINs".to_owned(),
            Failure::Unreachable(message)
            | Failure::NotThisChip(message)
            | Failure::Other(message) => message.clone(),
        }
    }
}

/// TPM_RC_OBJECT_MEMORY (a warning): no room for one more loaded object, whichever layer (the TPM itself or a
/// resource manager) said so.
pub fn is_out_of_object_memory(error: &tss_esapi::Error) -> bool {
    const TPM_RC_OBJECT_MEMORY: u32 = 0x902;
    let tss_esapi::Error::Tss2Error(code) = *error else {
        return false;
    };
    matches!(code.kind(), Some(Tss2ResponseCodeKind::ObjectMemory))
        || raw_code(code).is_some_and(|raw| raw & 0xffff == TPM_RC_OBJECT_MEMORY)
}

/// The numeric response code. tss-esapi 7 keeps it private but prints it as "Response code value: 0x…".
pub fn raw_code(code: Tss2ResponseCode) -> Option<u32> {
    let text = match code {
        Tss2ResponseCode::Success => return Some(0),
        Tss2ResponseCode::FormatZero(rc) => rc.to_string(),
        Tss2ResponseCode::FormatOne(rc) => rc.to_string(),
    };
    let hex = text.rsplit("0x").next()?;
    u32::from_str_radix(hex.trim(), 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_codes_are_classified() {
        let failure = |rc: u32| Failure::from_tss("sign", tss_esapi::Error::Tss2Error(rc.into()));
        assert!(matches!(failure(0x98e), Failure::AuthFail));
        assert!(matches!(failure(0x921), Failure::Lockout));
        // TSS2_TCTI_RC_IO_ERROR: the connection broke.
        assert!(matches!(failure(0xa000a), Failure::Unreachable(_)));
        // TPM_RC_INTEGRITY on parameter 1: the chip refused a blob.
        assert!(matches!(failure(0x19f), Failure::Other(_)));
        assert_eq!(raw_code(0x98e.into()), Some(0x98e));
        let tss = |rc: u32| tss_esapi::Error::Tss2Error(rc.into());
        assert!(is_out_of_object_memory(&tss(0x902)));
        // The same warning passed on by a resource manager (layer 11).
        assert!(is_out_of_object_memory(&tss(0xb0902)));
        assert!(!is_out_of_object_memory(&tss(0x903)));
        assert!(!is_out_of_object_memory(&tss(0x98e)));
    }
}
