//! Writers of personal data to files: created 0600, written under a
//! temporary name in the same directory and renamed into place at the end,
//! so that a failure leaves no partial file and nothing is overwritten
//! without `--force`.

use crate::error::{io_reason, Error, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written; becomes visible at `path` only on [`Pending::commit`].
pub struct Pending {
    tmp: PathBuf,
    path: PathBuf,
    force: bool,
    out: Option<BufWriter<File>>,
}

fn refuse_existing(path: &Path) -> Error {
    Error::Usage(format!(
        "{} already exists; dsr never overwrites a file that may hold personal data: choose another path, or pass --force",
        path.display()
    ))
}

impl Pending {
    pub fn create(path: &Path, force: bool) -> Result<Pending> {
        if !force && path.exists() {
            return Err(refuse_existing(path));
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.dsr-{}.tmp", std::process::id()));
        let mut o = OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let f = o.open(&tmp).map_err(|e| {
            Error::Runtime(format!(
                "cannot create {} in {}: {}; check that the directory exists and is writable",
                name,
                dir.display(),
                io_reason(&e)
            ))
        })?;
        Ok(Pending {
            tmp,
            path: path.to_path_buf(),
            force,
            out: Some(BufWriter::new(f)),
        })
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.out.as_mut().expect("writer used after commit")
    }

    pub fn write_error(&self, e: std::io::Error) -> Error {
        Error::Runtime(format!(
            "writing {} failed: {}; nothing was left behind",
            self.path.display(),
            io_reason(&e)
        ))
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(mut self) -> Result<PathBuf> {
        let out = self.out.take().expect("commit once");
        let f = out
            .into_inner()
            .map_err(|e| self.write_error(e.into_error()))?;
        f.sync_all().map_err(|e| self.write_error(e))?;
        if !self.force && self.path.exists() {
            return Err(refuse_existing(&self.path));
        }
        std::fs::rename(&self.tmp, &self.path).map_err(|e| self.write_error(e))?;
        Ok(self.path.clone())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.out.is_some() {
            self.out = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes one JSON document, pretty, with a final newline.
pub fn write_json(w: &mut impl Write, doc: &serde_json::Value) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, doc)?;
    w.write_all(b"\n")
}
