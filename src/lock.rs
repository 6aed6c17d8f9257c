//! The tenant's sweep lock: an advisory lock (flock) on a file beside the
//! store. The operating system releases it when the holder exits, however
//! it exits, so a lock left by a killed sweep is never stale: the next sweep
//! simply gets it.

use crate::error::{io_reason, Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Held until dropped.
pub struct SweepLock {
    _file: File,
    pub path: PathBuf,
}

pub fn lock_path(store: &Path) -> PathBuf {
    let name = store
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    store.with_file_name(format!("{name}.dsr-sweep.lock"))
}

/// Takes the lock, or fails with exit 6 naming the holder; with `wait`,
/// blocks until the holder is done, saying so on stderr when `announce`
/// (a person at a terminal should know why nothing happens).
pub fn acquire(store: &Path, wait: bool, now: &str, announce: bool) -> Result<SweepLock> {
    let path = lock_path(store);
    let mut o = OpenOptions::new();
    o.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut file = o.open(&path).map_err(|e| {
        Error::Runtime(format!(
            "cannot open the sweep lock {}: {}; dsr needs to create it beside the store",
            path.display(),
            io_reason(&e)
        ))
    })?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) if wait => {
            if announce {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                eprintln!(
                    "waiting for another dsr sweep of this tenant to finish ({}) ...",
                    match holder.trim() {
                        "" => "holder unknown",
                        h => h,
                    }
                );
            }
            file.lock().map_err(|e| {
                Error::Runtime(format!(
                    "waiting for the sweep lock {} failed: {}",
                    path.display(),
                    io_reason(&e)
                ))
            })?;
        }
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(Error::Locked(format!(
                "another dsr sweep holds this tenant's lock ({}): {}; try again when it is done, or pass --wait",
                path.display(),
                if holder.is_empty() { "holder unknown".to_string() } else { holder.to_string() }
            )));
        }
        Err(TryLockError::Error(e)) => {
            return Err(Error::Runtime(format!(
                "cannot take the sweep lock {}: {}",
                path.display(),
                io_reason(&e)
            )));
        }
    }
    // Who holds it, for the message another sweep prints.
    let _ = file.set_len(0);
    let _ = file.seek(SeekFrom::Start(0));
    let _ = writeln!(file, "pid {} since {now}", std::process::id());
    let _ = file.flush();
    Ok(SweepLock { _file: file, path })
}
