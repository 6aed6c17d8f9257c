//! The files `dsr demo` writes into DIR: private (0700 directory, 0600
//! files), built under a temporary name and moved into place at the end,
//! never silently replacing an existing file.

use crate::error::{io_reason, Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Removes the temporary files on every exit path; after a successful
/// install they are already gone (renamed) or are spare hard links.
pub(super) struct Cleanup(pub(super) Vec<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = fs::remove_file(p);
        }
    }
}

pub(super) fn exists(p: &Path) -> bool {
    fs::symlink_metadata(p).is_ok()
}

pub(super) fn refusal(p: &Path, dir: &Path) -> Error {
    Error::Usage(format!(
        "{} already exists; pass --force to replace the demo tenant in {}, or pick another directory",
        p.display(),
        dir.display()
    ))
}

pub(super) fn sqlite_sidecars(db: &Path) -> [PathBuf; 3] {
    ["-wal", "-shm", "-journal"].map(|suffix| {
        let mut s = db.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    })
}

pub(super) fn ensure_dir(dir: &Path) -> Result<()> {
    let fail = |e: std::io::Error| {
        Error::Runtime(format!(
            "cannot create the directory {}: {}",
            dir.display(),
            io_reason(&e)
        ))
    };
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => {
            return Err(Error::Usage(format!(
                "{} is not a directory; pick a directory for the demo tenant",
                dir.display()
            )))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(fail(e)),
    }
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent).map_err(fail)?;
    }
    let mut b = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    match b.create(dir) {
        Ok(()) => set_mode(dir, 0o700).map_err(fail),
        Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(fail(e)),
    }
}

/// Sets the exact mode, whatever the umask took away.
pub(super) fn set_mode(p: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(p, fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (p, mode);
        Ok(())
    }
}

/// Creates `DIR/.NAME.PID.K.tmp` with mode 0600, never reusing an existing file.
pub(super) fn create_temp(dir: &Path, name: &str, temps: &mut Cleanup) -> Result<(PathBuf, File)> {
    let pid = std::process::id();
    for k in 0..1000 {
        let p = dir.join(format!(".{name}.{pid}.{k}.tmp"));
        let mut o = OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        match o.open(&p) {
            Ok(f) => {
                temps.0.push(p.clone());
                set_mode(&p, 0o600).map_err(|e| {
                    Error::Runtime(format!(
                        "cannot make {} private (mode 0600): {}",
                        p.display(),
                        io_reason(&e)
                    ))
                })?;
                return Ok((p, f));
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(Error::Runtime(format!(
                    "cannot create {}: {}; check that {} is writable",
                    p.display(),
                    io_reason(&e),
                    dir.display()
                )))
            }
        }
    }
    Err(Error::Runtime(format!(
        "cannot create a temporary file in {}: too many leftover .{name}.*.tmp files; remove them",
        dir.display()
    )))
}

pub(super) fn sync_file(p: &Path) -> Result<()> {
    File::open(p).and_then(|f| f.sync_all()).map_err(|e| {
        Error::Runtime(format!(
            "cannot write the demo store {} to disk: {}",
            p.display(),
            io_reason(&e)
        ))
    })
}

/// Best effort: makes the renames durable where the platform allows it.
pub(super) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Moves a finished temporary file to its name. Without `force` this is a
/// hard link, which fails rather than replace a file that appeared meanwhile.
pub(super) fn install(tmp: &Path, dst: &Path, force: bool, dir: &Path) -> Result<()> {
    let rename = || {
        fs::rename(tmp, dst).map_err(|e| {
            Error::Runtime(format!(
                "cannot move {} to {}: {}",
                tmp.display(),
                dst.display(),
                io_reason(&e)
            ))
        })
    };
    if force {
        return rename();
    }
    match fs::hard_link(tmp, dst) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(refusal(dst, dir)),
        // The file system has no hard links: check, then rename.
        Err(_) if exists(dst) => Err(refusal(dst, dir)),
        Err(_) => rename(),
    }
}
