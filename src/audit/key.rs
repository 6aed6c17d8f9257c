//! The optional key of the chain (`audit_key_file`, DESIGN §4): with it,
//! each record's `hash` is HMAC-SHA-256 under the key instead of SHA-256, so
//! that someone who can write the store but not read the key cannot rebuild
//! a chain that verifies.

use crate::error::{io_reason, Error, Result};
use std::path::{Path, PathBuf};

/// Shortest key accepted, in bytes (after trailing whitespace is trimmed).
const MIN_KEY: usize = 32;

pub struct AuditKey {
    bytes: Vec<u8>,
    /// A short public name of the key (not the key): lets `verify` tell a
    /// wrong key from a changed record.
    pub id: String,
    pub path: PathBuf,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({}, id {})", self.path.display(), self.id)
    }
}

impl AuditKey {
    pub fn from_bytes(bytes: Vec<u8>, path: PathBuf) -> AuditKey {
        let id = super::hmac_bytes(&bytes, b"dsr audit key id")[..16].to_string();
        AuditKey { bytes, id, path }
    }

    pub fn hmac(&self, data: &[u8]) -> String {
        super::hmac_bytes(&self.bytes, data)
    }
}

/// Reads a key file named by the tenant's `setting` (`audit_key_file`,
/// `replay_key_file`): it must exist, be a regular file, and be readable by
/// its owner only (0600 or 0400). `create` says how to make one. Every
/// refusal is a configuration error (exit 2).
pub(crate) fn read_private(path: &Path, setting: &str, create: &str) -> Result<Vec<u8>> {
    let show = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        Error::Usage(format!(
            "the tenant's {setting} {show} cannot be read: {}; {create} or fix the path in the config",
            io_reason(&e)
        ))
    })?;
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "the tenant's {setting} {show} is not a regular file; give the path of the key file"
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::Usage(format!(
                "the tenant's {setting} {show} may be read by others (mode {mode:04o}); the key must be readable by its owner only: chmod 600 {show}"
            )));
        }
    }
    std::fs::read(path).map_err(|e| {
        Error::Usage(format!(
            "the tenant's {setting} {show} cannot be read: {}",
            io_reason(&e)
        ))
    })
}

/// Reads the key file: it must exist, be a regular file other than the
/// store, readable by its owner only (0600 or 0400), and hold at least 32
/// bytes. Every refusal is a configuration error (exit 2).
pub fn load(path: &Path, store: &str) -> Result<AuditKey> {
    let show = path.display();
    let mut bytes = read_private(
        path,
        "audit_key_file",
        "create it (e.g. `head -c 32 /dev/urandom > FILE && chmod 600 FILE`)",
    )?;
    let store_path = crate::store::local_file(store).unwrap_or_default();
    if let (Ok(a), Ok(b)) = (path.canonicalize(), store_path.canonicalize()) {
        if a == b {
            return Err(Error::Usage(format!(
                "the tenant's audit_key_file {show} is the store itself; the key must be a file outside the store"
            )));
        }
    }
    while bytes.last().is_some_and(|b| b.is_ascii_whitespace()) {
        bytes.pop();
    }
    if bytes.len() < MIN_KEY {
        return Err(Error::Usage(format!(
            "the tenant's audit_key_file {show} holds {} bytes; a key needs at least {MIN_KEY} (e.g. `head -c 32 /dev/urandom > FILE`)",
            bytes.len()
        )));
    }
    Ok(AuditKey::from_bytes(bytes, path.to_path_buf()))
}
