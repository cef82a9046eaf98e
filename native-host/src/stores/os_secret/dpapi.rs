//! The device secret protected by DPAPI for this Windows account (CryptProtectData): the protected blob lives in
//! the vault record, and only this account on this computer can unprotect it.

use windows::core::PCWSTR;
use windows::Win32::Foundation::{LocalFree, HLOCAL};
use windows::Win32::Security::Cryptography::{
    CryptProtectData, CryptUnprotectData, CRYPTPROTECT_UI_FORBIDDEN, CRYPT_INTEGER_BLOB,
};
use zeroize::Zeroizing;

/// Mixed in by DPAPI, so another program of this account unprotecting every blob it finds gets nothing from ours
/// without knowing it.
const ENTROPY: &[u8] = b"keyplace vault device secret v1";

fn blob(bytes: &[u8]) -> CRYPT_INTEGER_BLOB {
    CRYPT_INTEGER_BLOB {
        cbData: bytes.len() as u32,
        pbData: bytes.as_ptr() as *mut u8,
    }
}

/// Copies DPAPI's output and frees it (LocalFree, as DPAPI allocated it).
fn take(output: CRYPT_INTEGER_BLOB) -> Zeroizing<Vec<u8>> {
    let bytes = Zeroizing::new(
        unsafe { std::slice::from_raw_parts(output.pbData, output.cbData as usize) }.to_vec(),
    );
    unsafe {
        std::ptr::write_bytes(output.pbData, 0, output.cbData as usize);
        LocalFree(Some(HLOCAL(output.pbData.cast())));
    }
    bytes
}

pub fn protect(secret: &[u8]) -> Result<Vec<u8>, String> {
    let input = blob(secret);
    let entropy = blob(ENTROPY);
    let mut output = CRYPT_INTEGER_BLOB::default();
    unsafe {
        CryptProtectData(
            &input,
            PCWSTR::null(),
            Some(&entropy),
            None,
            None,
            CRYPTPROTECT_UI_FORBIDDEN,
            &mut output,
        )
    }
    .map_err(|e| format!("DPAPI refused ({e})"))?;
    Ok(take(output).to_vec())
}

/// The secret in `protected`; None when this account cannot unprotect it (another computer's or account's).
pub fn unprotect(protected: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let input = blob(protected);
    let entropy = blob(ENTROPY);
    let mut output = CRYPT_INTEGER_BLOB::default();
    unsafe {
        CryptUnprotectData(
            &input,
            None,
            Some(&entropy),
            None,
            None,
            CRYPTPROTECT_UI_FORBIDDEN,
            &mut output,
        )
    }
    .ok()?;
    Some(take(output))
}
