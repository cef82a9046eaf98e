//! The device secret as a generic password in the login Keychain (the service is the label a person sees, the
//! secret's id the account).

use security_framework::passwords::{
    delete_generic_password, get_generic_password, set_generic_password,
};
use zeroize::Zeroizing;

use super::LABEL as SERVICE;

/// errSecItemNotFound.
const ITEM_NOT_FOUND: i32 = -25300;

pub fn store(account: &str, secret: &[u8]) -> Result<(), String> {
    set_generic_password(SERVICE, account, secret)
        .map_err(|e| format!("the Keychain refused ({e})"))
}

pub fn fetch(account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
    match get_generic_password(SERVICE, account) {
        Ok(secret) => Ok(Some(Zeroizing::new(secret))),
        Err(e) if e.code() == ITEM_NOT_FOUND => Ok(None),
        Err(e) => Err(format!("the Keychain refused ({e})")),
    }
}

pub fn delete(account: &str) -> Result<(), String> {
    match delete_generic_password(SERVICE, account) {
        Err(e) if e.code() != ITEM_NOT_FOUND => Err(format!("the Keychain refused ({e})")),
        _ => Ok(()),
    }
}
