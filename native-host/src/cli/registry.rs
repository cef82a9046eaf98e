//! The Windows registry, behind a trait: `install`, `uninstall` and `doctor` decide which keys to touch in pure
//! code (tested on Linux with `MemoryRegistry`); only `WindowsRegistry` writes the real HKEY_CURRENT_USER.

/// Keys under HKEY_CURRENT_USER and their default value, which is all native messaging uses.
pub trait Registry {
    fn set_default(&mut self, key: &str, value: &str) -> Result<(), String>;
    fn default_value(&self, key: &str) -> Result<Option<String>, String>;
    /// Whether there was a key to remove.
    fn remove_key(&mut self, key: &str) -> Result<bool, String>;
}

/// The registry of this computer: HKEY_CURRENT_USER on Windows, nothing elsewhere (no target names a key there).
pub fn this_computer() -> Box<dyn Registry> {
    #[cfg(windows)]
    {
        Box::new(WindowsRegistry)
    }
    #[cfg(not(windows))]
    {
        Box::new(NoRegistry)
    }
}

#[cfg(not(windows))]
struct NoRegistry;

#[cfg(not(windows))]
impl Registry for NoRegistry {
    fn set_default(&mut self, key: &str, _value: &str) -> Result<(), String> {
        Err(format!("{key}: there is no registry on this system"))
    }

    fn default_value(&self, _key: &str) -> Result<Option<String>, String> {
        Ok(None)
    }

    fn remove_key(&mut self, _key: &str) -> Result<bool, String> {
        Ok(false)
    }
}

/// HKEY_CURRENT_USER through Microsoft's `windows-registry` crate (the windows-rs family the host already uses).
#[cfg(windows)]
struct WindowsRegistry;

#[cfg(windows)]
impl Registry for WindowsRegistry {
    fn set_default(&mut self, key: &str, value: &str) -> Result<(), String> {
        windows_registry::CURRENT_USER
            .create(key)
            .and_then(|opened| opened.set_string("", value))
            .map_err(|e| format!(r"cannot write HKEY_CURRENT_USER\{key}: {e}"))
    }

    fn default_value(&self, key: &str) -> Result<Option<String>, String> {
        let opened = match windows_registry::CURRENT_USER.open(key) {
            Ok(opened) => opened,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(format!(r"cannot read HKEY_CURRENT_USER\{key}: {e}")),
        };
        match opened.get_string("") {
            Ok(value) => Ok(Some(value)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(format!(r"cannot read HKEY_CURRENT_USER\{key}: {e}")),
        }
    }

    fn remove_key(&mut self, key: &str) -> Result<bool, String> {
        match windows_registry::CURRENT_USER.remove_tree(key) {
            Ok(()) => Ok(true),
            Err(e) if is_not_found(&e) => Ok(false),
            Err(e) => Err(format!(r"cannot remove HKEY_CURRENT_USER\{key}: {e}")),
        }
    }
}

#[cfg(windows)]
fn is_not_found(error: &windows::core::Error) -> bool {
    // ERROR_FILE_NOT_FOUND as an HRESULT.
    error.code() == windows::core::HRESULT::from_win32(2)
}

/// A registry in memory, for unit tests of the plans.
#[cfg(test)]
#[derive(Default)]
pub struct MemoryRegistry {
    pub keys: std::collections::BTreeMap<String, String>,
}

#[cfg(test)]
impl Registry for MemoryRegistry {
    fn set_default(&mut self, key: &str, value: &str) -> Result<(), String> {
        self.keys.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    fn default_value(&self, key: &str) -> Result<Option<String>, String> {
        Ok(self.keys.get(key).cloned())
    }

    fn remove_key(&mut self, key: &str) -> Result<bool, String> {
        Ok(self.keys.remove(key).is_some())
    }
}
