//! PostgreSQL failures as the user should hear them (DESIGN §1 "Stores",
//! "Bad input" of issue 11): what failed, where (host, port, database,
//! schema), and what to do; never the password, not even inside the
//! driver's or the server's own text.

use super::url::{PasswordSource, PgUrl, SslMode};
use crate::error::Error;
use std::io::ErrorKind;

/// The kinds of failure a caller may treat differently (retry, say that
/// committed batches were kept, exit code). Derived from the SQLSTATE or,
/// for failures below SQL, from the driver's error kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgFailure {
    /// The server refused the login: wrong password, unknown role, no
    /// pg_hba.conf entry (28P01, 28000).
    Auth,
    /// The database does not exist (3D000).
    NoDatabase,
    /// The schema does not exist (3F000, or dsr's own check).
    NoSchema,
    /// The role lacks a privilege (42501).
    Permission,
    /// A statement ran past `statement_timeout` or was cancelled (57014).
    Timeout,
    /// A lock could not be had within `lock_timeout` (55P03).
    LockTimeout,
    /// The connection was lost or the server shut down (08xxx, 57P0x,
    /// driver's "connection closed").
    ConnectionLost,
    /// The session may only read: a read-only role or transaction, or a
    /// standby server (25006).
    ReadOnly,
    /// The server's disk is full (53100).
    DiskFull,
    /// The server has no memory or connections left (53200, 53300).
    Resources,
    /// A concurrent transaction conflicted: serialization failure or
    /// deadlock (40001, 40P01); running again normally succeeds.
    Conflict,
    /// Anything else.
    Other,
}

/// Classifies a SQLSTATE code.
pub fn classify_sqlstate(code: &str) -> PgFailure {
    match code {
        "28P01" | "28000" => PgFailure::Auth,
        "3D000" => PgFailure::NoDatabase,
        "3F000" => PgFailure::NoSchema,
        "42501" => PgFailure::Permission,
        "57014" => PgFailure::Timeout,
        "55P03" => PgFailure::LockTimeout,
        "25006" => PgFailure::ReadOnly,
        "53100" => PgFailure::DiskFull,
        "53200" | "53300" => PgFailure::Resources,
        "40001" | "40P01" => PgFailure::Conflict,
        c if c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03") => {
            PgFailure::ConnectionLost
        }
        _ => PgFailure::Other,
    }
}

/// Classifies a driver error.
pub fn classify(e: &postgres::Error) -> PgFailure {
    if let Some(code) = e.code() {
        return classify_sqlstate(code.code());
    }
    if e.is_closed() || io_kind(e).is_some() {
        PgFailure::ConnectionLost
    } else {
        PgFailure::Other
    }
}

/// The I/O error under a driver error, if there is one.
fn io_kind(e: &postgres::Error) -> Option<ErrorKind> {
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        src = s.source();
    }
    None
}

/// The driver's text: the error and its causes, the server's message with
/// its detail and hint, the password (raw or URL-encoded) removed.
pub fn detail(url: &PgUrl, e: &postgres::Error) -> String {
    let text = if let Some(db) = e.as_db_error() {
        let mut t = db.message().to_string();
        if let Some(d) = db.detail() {
            t.push_str(&format!(" ({d})"));
        }
        if let Some(h) = db.hint() {
            t.push_str(&format!("; server's hint: {h}"));
        }
        t
    } else {
        let mut parts = vec![e.to_string()];
        let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
        while let Some(s) = src {
            let t = s.to_string();
            if !parts.iter().any(|p| p.contains(&t)) {
                parts.push(t);
            }
            src = s.source();
        }
        parts.join(": ")
    };
    scrub(&text, url.password())
}

/// Removes the password from a text. A password shorter than four
/// characters cannot be removed without garbling the text, so a text that
/// contains one is withheld whole.
pub fn scrub(text: &str, password: Option<&str>) -> String {
    let Some(pw) = password.filter(|p| !p.is_empty()) else {
        return text.to_string();
    };
    let encoded: String = pw
        .bytes()
        .map(|c| {
            if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
                (c as char).to_string()
            } else {
                format!("%{c:02X}")
            }
        })
        .collect();
    if pw.chars().count() < 4 {
        if text.contains(pw) || text.contains(&encoded) {
            return "(the server's text is withheld, as it could contain the password)".into();
        }
        return text.to_string();
    }
    text.replace(pw, "***").replace(&encoded, "***")
}

fn password_hint(url: &PgUrl) -> String {
    let from = match url.password.as_ref().map(|(_, s)| s) {
        None => "no password was given".to_string(),
        Some(PasswordSource::Url) => "the password came from the store URL".to_string(),
        Some(PasswordSource::Env) => "the password came from PGPASSWORD".to_string(),
        Some(PasswordSource::File(f)) => {
            format!("the password came from the password file {}", f.display())
        }
    };
    match &url.passfile_note {
        Some(n) => format!("{from}; {n}"),
        None => from,
    }
}

/// A failure to open the connection (exit 1), naming host, port, database
/// and schema, and what to do.
pub fn connect_error(url: &PgUrl, e: &postgres::Error) -> Error {
    let place = url.place();
    let target = url.target();
    let d = detail(url, e);
    let msg = match classify(e) {
        PgFailure::Auth => format!(
            "PostgreSQL refused the login of user {} to {place}: {d}; {}; fix the password (URL, PGPASSWORD or ~/.pgpass) or ask the database's owner for a login; nothing was read or changed",
            url.user,
            password_hint(url)
        ),
        PgFailure::NoDatabase => format!(
            "the database {} does not exist on {target} (wanted for schema {}); check the database name in --store / DSR_STORE; dsr never creates it; nothing was read or changed",
            url.dbname, url.schema
        ),
        PgFailure::Permission => format!(
            "user {} may not connect to {place}: {d}; ask the database's owner to GRANT CONNECT on the database; nothing was read or changed",
            url.user
        ),
        PgFailure::Resources => format!(
            "the PostgreSQL server at {target} has no room for another connection to {place}: {d}; try again later; nothing was read or changed"
        ),
        _ if e.as_db_error().is_some() => format!(
            "PostgreSQL refused the connection to {place}: {d}; nothing was read or changed"
        ),
        _ => {
            let text = e.to_string();
            if d.contains("password missing") {
                format!(
                    "the PostgreSQL server at {target} asks user {} for a password and none was given (for {place}); {}; put it in the URL, PGPASSWORD or ~/.pgpass; nothing was read or changed",
                    url.user,
                    password_hint(url)
                )
            } else if text.contains("TLS") || d.contains("TLS") {
                tls_message(url, &d)
            } else if text.contains("timeout") {
                format!(
                    "the PostgreSQL server at {target} did not answer in time (for {place}); check that host and port are right and reachable from here (firewall, security group), or raise connect_timeout=SECONDS; nothing was read or changed"
                )
            } else if d.contains("failed to lookup address") {
                let host = match &url.host {
                    super::url::Host::Tcp(h) => h.clone(),
                    super::url::Host::Socket(d) => d.display().to_string(),
                };
                format!(
                    "cannot reach the PostgreSQL server at {target} for {place}: the host name {host} is not known (DNS lookup failed); check the host in --store / DSR_STORE, and the DNS from here; nothing was read or changed"
                )
            } else {
                let why = match io_kind(e) {
                    Some(ErrorKind::ConnectionRefused) => {
                        "connection refused: nothing listens there".to_string()
                    }
                    Some(ErrorKind::NotFound) => "no server socket there".to_string(),
                    Some(ErrorKind::TimedOut) => "the connection timed out".to_string(),
                    Some(ErrorKind::PermissionDenied) => {
                        "permission denied (on the socket)".to_string()
                    }
                    _ => d.clone(),
                };
                format!(
                    "cannot reach the PostgreSQL server at {target} for {place}: {why}; check that the server runs and that host and port in --store / DSR_STORE are right; nothing was read or changed"
                )
            }
        }
    };
    Error::Runtime(msg)
}

fn tls_message(url: &PgUrl, d: &str) -> String {
    let place = url.place();
    let target = url.target();
    let mode = url.sslmode.as_str();
    if d.contains("server does not support TLS") {
        return format!(
            "the PostgreSQL server at {target} does not offer TLS, and sslmode={mode} requires it (for {place}); enable ssl on the server, or use sslmode=prefer or disable on a trusted network; nothing was read or changed"
        );
    }
    let todo = match url.sslmode {
        _ if d.contains("not valid for name") => {
            "the certificate is not for the host named in the URL: connect by a name the certificate lists, or use sslmode=verify-ca to check the chain only"
        }
        SslMode::VerifyCa | SslMode::VerifyFull => {
            "the server's certificate must chain to a trusted root: give the provider's CA bundle with sslrootcert=PATH (or PGSSLROOTCERT, or ~/.postgresql/root.crt); with verify-full the host in the URL must also be a name in the certificate"
        }
        _ => "check that the server's TLS setup works (psql with the same sslmode)",
    };
    format!(
        "the TLS handshake with the PostgreSQL server at {target} failed (sslmode={mode}, for {place}): {d}; {todo}; nothing was read or changed"
    )
}

/// The schema named in the URL does not exist (exit 1).
pub fn no_schema(url: &PgUrl) -> Error {
    Error::Runtime(format!(
        "schema {} does not exist in database {} on {}; dsr never creates it; check ?schema= in --store / DSR_STORE (the name is case-sensitive), or ask the database's owner to create it; nothing was read or changed",
        url.schema,
        url.dbname,
        url.target()
    ))
}

/// A failure of a statement on an open connection (exit 1): `doing` says
/// what dsr was doing ("erasing", "reading customer"). The caller that has
/// committed part of its work (a sweep's batches) adds so itself; this
/// message says what happened to the statement's own transaction.
pub fn sql_error(url: &PgUrl, doing: &str, e: &postgres::Error) -> Error {
    let place = url.place();
    let d = detail(url, e);
    let msg = match classify(e) {
        PgFailure::Permission => format!(
            "user {} lacks a privilege while {doing} in {place}: {d}; dsr needs SELECT on the mapped tables (USAGE on the schema) for extract and export, and UPDATE/DELETE on them plus CREATE in the schema for erase and sweep; ask the database's owner to GRANT it; the transaction was rolled back",
            url.user
        ),
        PgFailure::ReadOnly => format!(
            "the session may only read while {doing} in {place}: {d}; the role or database is read-only (default_transaction_read_only) or the server is a standby; point dsr at the primary with a role that may write; the transaction was rolled back"
        ),
        PgFailure::Timeout => format!(
            "a statement ran longer than the server allows (statement_timeout) while {doing} in {place}: {d}; the transaction was rolled back; {}",
            if url.options.as_deref().is_some_and(|o| o.contains("statement_timeout")) {
                "raise statement_timeout in options= of --store / DSR_STORE (a sweep's --batch-size may also be smaller)"
            } else {
                "raise statement_timeout for dsr's role (ALTER ROLE … SET statement_timeout, or options=-c statement_timeout=… in the store URL; a sweep's --batch-size may also be smaller)"
            }
        ),
        PgFailure::LockTimeout => format!(
            "rows or tables stayed locked by another session longer than lock_timeout while {doing} in {place}: {d}; the transaction was rolled back; try again when the application's transaction has finished"
        ),
        PgFailure::ConnectionLost => format!(
            "the connection to the PostgreSQL server at {} was lost while {doing} in {place}: {d}; the open transaction was rolled back by the server; check the server and the network, then run again",
            url.target()
        ),
        PgFailure::DiskFull => format!(
            "the PostgreSQL server's disk is full while {doing} in {place}: {d}; the transaction was rolled back; free space on the server and run again"
        ),
        PgFailure::Resources => format!(
            "the PostgreSQL server ran out of resources while {doing} in {place}: {d}; the transaction was rolled back; try again later"
        ),
        PgFailure::Conflict => format!(
            "a concurrent transaction conflicted while {doing} in {place} (serialization failure or deadlock): {d}; the transaction was rolled back; run the command again"
        ),
        PgFailure::NoSchema => no_schema(url).to_string(),
        PgFailure::Auth | PgFailure::NoDatabase => return connect_error(url, e),
        PgFailure::Other => format!(
            "PostgreSQL failed while {doing} in {place}: {d}; the transaction was rolled back"
        ),
    };
    Error::Runtime(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_classify() {
        for (code, want) in [
            ("28P01", PgFailure::Auth),
            ("28000", PgFailure::Auth),
            ("3D000", PgFailure::NoDatabase),
            ("3F000", PgFailure::NoSchema),
            ("42501", PgFailure::Permission),
            ("57014", PgFailure::Timeout),
            ("55P03", PgFailure::LockTimeout),
            ("08006", PgFailure::ConnectionLost),
            ("08003", PgFailure::ConnectionLost),
            ("57P01", PgFailure::ConnectionLost),
            ("25006", PgFailure::ReadOnly),
            ("53100", PgFailure::DiskFull),
            ("53300", PgFailure::Resources),
            ("40001", PgFailure::Conflict),
            ("40P01", PgFailure::Conflict),
            ("23505", PgFailure::Other),
        ] {
            assert_eq!(classify_sqlstate(code), want, "{code}");
        }
    }

    #[test]
    fn scrubbing() {
        assert_eq!(scrub("x hunter22 y", Some("hunter22")), "x *** y");
        assert_eq!(scrub("u:p%40ss%21@h", Some("p@ss!")), "u:***@h");
        assert_eq!(scrub("nothing", None), "nothing");
        assert_eq!(
            scrub("database", Some("a")),
            "(the server's text is withheld, as it could contain the password)"
        );
        assert_eq!(scrub("nothing", Some("zq")), "nothing");
    }
}
