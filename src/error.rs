//! Typed errors. Every failure the user can see is one of these kinds, and each
//! kind maps to exactly one documented exit code (DESIGN §1), in one place.

use std::fmt;

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Ok = 0,
    Runtime = 1,
    Usage = 2,
    MapMismatch = 3,
    NotFound = 4,
    Ambiguous = 5,
    Locked = 6,
    ChainBroken = 7,
}

/// What went wrong, as the user should hear it: what, where, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flag, unreadable config or map, bad identifier (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The data map does not fit the store, or is invalid (exit 3).
    #[error("{0}")]
    MapInvalid(String),
    /// Failed at run time; nothing was changed (exit 1).
    #[error("{0}")]
    Runtime(String),
    /// No data found for the subject (exit 4).
    #[error("{0}")]
    NotFound(String),
    /// The identifiers match more than one person (exit 5).
    #[error("{0}")]
    Ambiguous(String),
    /// Another dsr holds the tenant's lock (exit 6).
    #[error("{0}")]
    Locked(String),
    /// The audit chain is broken (exit 7).
    #[error("{0}")]
    ChainBroken(String),
    /// The reader of stdout went away (`dsr … | head`): a clean exit.
    #[error("broken pipe")]
    BrokenPipe,
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_) => ExitCode::Usage,
            Error::MapInvalid(_) => ExitCode::MapMismatch,
            Error::Runtime(_) => ExitCode::Runtime,
            Error::NotFound(_) => ExitCode::NotFound,
            Error::Ambiguous(_) => ExitCode::Ambiguous,
            Error::Locked(_) => ExitCode::Locked,
            Error::ChainBroken(_) => ExitCode::ChainBroken,
            Error::BrokenPipe => ExitCode::Ok,
        }
    }

    /// What to do next, in general terms for the kind of failure (the
    /// message itself says what to do about this one): the `hint` of a
    /// `dsr.error/1` document.
    pub fn hint(&self) -> &'static str {
        match self {
            Error::Usage(_) => "see `dsr COMMAND --help` or the man page dsr-COMMAND(1)",
            Error::MapInvalid(_) => "run `dsr check` and fix the data map",
            Error::Runtime(_) => "nothing was changed; fix the cause named in the error and run the command again",
            Error::NotFound(_) => "check the identifier's kind and value, or try another identifier of the person",
            Error::Ambiguous(_) => "give an identifier that names one person, or pass --all-matches if the rows really are one person",
            Error::Locked(_) => "another dsr is sweeping this tenant: try again later, or pass --wait",
            Error::ChainBroken(_) => "investigate the break, then record it with `dsr audit repair --reason TEXT`",
            Error::BrokenPipe => "",
        }
    }

    pub fn usage(msg: impl fmt::Display) -> Self {
        Error::Usage(msg.to_string())
    }

    pub fn runtime(msg: impl fmt::Display) -> Self {
        Error::Runtime(msg.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An I/O error as a person reads it: the reason, without Rust's "(os error N)".
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "no such file or directory".into(),
        K::PermissionDenied => "permission denied".into(),
        K::AlreadyExists => "it already exists".into(),
        K::StorageFull => "the disk is full".into(),
        K::IsADirectory => "it is a directory".into(),
        K::ReadOnlyFilesystem => "the file system is read-only".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// Writing to stdout failed: a closed pipe ends quietly, anything else is a
/// run-time failure.
pub fn stdout_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::BrokenPipe
    } else {
        Error::Runtime(format!(
            "writing to standard output failed: {}",
            io_reason(&e)
        ))
    }
}
