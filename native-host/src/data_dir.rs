//! Where the host keeps its database and allowed-caller list.

use std::io;
use std::path::{Path, PathBuf};

pub const DATA_DIR_ENV: &str = "KEYPLACE_DATA_DIR";
pub const DATABASE_FILE: &str = "keyplace.db";
pub const ALLOWED_EXTENSIONS_FILE: &str = "allowed-extensions.json";
/// The folder system paths (/etc/..., /usr/lib/...) are read under: unset means `/`. A packaging step or a test
/// points it at a staging folder, so `install --system` and `doctor` work there without touching the machine.
pub const SYSTEM_ROOT_ENV: &str = "KEYPLACE_SYSTEM_ROOT";

/// `KEYPLACE_SYSTEM_ROOT`, else `/`.
pub fn system_root() -> PathBuf {
    std::env::var_os(SYSTEM_ROOT_ENV)
        .filter(|root| !root.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// The list of extensions a system-wide install (the `.deb`) allows for every user of this computer; root owns it.
/// None where system installs are not written yet (Windows: HKLM).
pub fn system_allowed_extensions_file(root: &Path) -> Option<PathBuf> {
    cfg!(unix).then(|| root.join("etc/keyplace").join(ALLOWED_EXTENSIONS_FILE))
}

/// `KEYPLACE_DATA_DIR`, else the platform data directory + `keyplace`.
pub fn data_dir() -> io::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir().map(|d| d.join("keyplace")).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            "cannot tell where your data directory is; set KEYPLACE_DATA_DIR",
        )
    })
}

/// Creates the directory if needed and keeps it private to this user (0700).
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    set_mode(dir, 0o700)
}

/// Creates an empty file readable only by this user (0600) if it does not exist yet.
pub fn ensure_private_file(file: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(file)?;
    set_mode(file, 0o600)
}

/// Writes a file readable only by this user, replacing it atomically.
pub fn write_private_file(file: &Path, contents: &[u8]) -> io::Result<()> {
    let temporary = file.with_extension("tmp");
    let _ = std::fs::remove_file(&temporary);
    ensure_private_file(&temporary)?;
    std::fs::write(&temporary, contents)?;
    std::fs::rename(&temporary, file)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}
