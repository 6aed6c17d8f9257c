//! A PostgreSQL store URL (DESIGN §1 "Stores"), resolved the way libpq
//! resolves a connection string, so that what works for `psql` works for
//! dsr: the URL first, then `PG*` variables, then libpq's defaults; the
//! password from the URL, else `PGPASSWORD`, else the password file.
//!
//! The environment is passed in (`Env`), so that the rules are unit-tested
//! without touching the process environment.

use crate::error::{Error, Result};
use std::fmt;
use std::path::{Path, PathBuf};

/// How the connection is protected (libpq's `sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP only.
    Disable,
    /// TLS when the server offers it, without verification; plain otherwise.
    Prefer,
    /// TLS, without verification of the server's certificate.
    Require,
    /// TLS, the certificate chain verified against the trusted roots.
    VerifyCa,
    /// TLS, the chain and the host name verified.
    VerifyFull,
}

impl SslMode {
    pub fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// Where the server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A host name or IP address (IPv6 without brackets).
    Tcp(String),
    /// The directory holding the server's Unix socket (`.s.PGSQL.PORT`).
    Socket(PathBuf),
}

/// A password: never shown, not even by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(p: impl Into<String>) -> Password {
        Password(p.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where the password came from (said in authentication errors, so that
/// the user knows which one to fix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    Url,
    Env,
    File(PathBuf),
}

/// A resolved PostgreSQL store URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgUrl {
    pub user: String,
    pub password: Option<(Password, PasswordSource)>,
    pub host: Host,
    pub port: u16,
    pub dbname: String,
    /// The tenant's schema, exactly as written (case-sensitive).
    pub schema: String,
    pub sslmode: SslMode,
    /// `sslrootcert=PATH`: roots trusted besides the system's (cloud
    /// providers' CA bundles, a self-signed server certificate).
    pub sslrootcert: Option<PathBuf>,
    /// `connect_timeout` in seconds (libpq's; 0 or absent: dsr's default).
    pub connect_timeout: Option<u64>,
    pub application_name: Option<String>,
    /// `options=` (else `PGOPTIONS`): settings sent at connection start,
    /// libpq's form (`-c statement_timeout=30s`), for a role whose limits
    /// dsr should not inherit or should tighten.
    pub options: Option<String>,
    /// Why a password file was not used, when it exists but was ignored
    /// (said when the server then refuses the login).
    pub passfile_note: Option<String>,
}

/// The process environment, or a fixed one in tests.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The real environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|s| !s.is_empty())
    }
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name).filter(|s| !s.is_empty())
    }
}

/// Whether a `--store` value names a PostgreSQL store.
pub fn is_postgres_url(url: &str) -> bool {
    let u = url.trim_start();
    u.starts_with("postgres://") || u.starts_with("postgresql://")
}

fn usage(url: &str, what: impl fmt::Display) -> Error {
    Error::Usage(format!(
        "the store URL {} is not valid: {what}; the form is postgres://[USER[:PASSWORD]@]HOST[:PORT]/DBNAME[?schema=NAME&sslmode=MODE] (see DESIGN §1 \"Stores\")",
        redact_raw(url)
    ))
}

/// The URL as written, its password (if any) replaced by `***`: for
/// messages about a URL that could not be parsed.
pub fn redact_raw(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let auth = &rest[..auth_end];
        if let Some(at) = auth.rfind('@') {
            let userinfo = &auth[..at];
            let shown = match userinfo.find(':') {
                Some(c) => format!("{}:***", &userinfo[..c]),
                None => userinfo.to_string(),
            };
            out = format!(
                "{}{}{}{}",
                &url[..scheme_end + 3],
                shown,
                &auth[at..],
                &rest[auth_end..]
            );
        }
    }
    // A password given as a query parameter is hidden too.
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let parts: Vec<&str> = query
            .split('&')
            .map(|p| {
                if p.starts_with("password=") {
                    "password=***"
                } else {
                    p
                }
            })
            .collect();
        out = format!("{head}{}", parts.join("&"));
    }
    out
}

/// Decodes `%XX` escapes; the result must be UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Encodes what would not survive in a URL component.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

impl PgUrl {
    /// Parses and resolves a URL against the process environment.
    pub fn parse(url: &str) -> Result<PgUrl> {
        PgUrl::parse_with(url, &ProcessEnv)
    }

    /// Parses and resolves a URL against `env`. Bad syntax, an unknown
    /// parameter or `sslmode` value is a usage error (exit 2).
    pub fn parse_with(url: &str, env: &dyn Env) -> Result<PgUrl> {
        let raw = url.trim();
        let rest = raw
            .strip_prefix("postgres://")
            .or_else(|| raw.strip_prefix("postgresql://"))
            .ok_or_else(|| usage(raw, "it must start with postgres:// or postgresql://"))?;
        let (rest, query) = match rest.find('?') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        if rest.contains('#') || query.is_some_and(|q| q.contains('#')) {
            return Err(usage(
                raw,
                "it has a fragment (#…); percent-encode '#' as %23",
            ));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let dec = |s: &str, what: &str| {
            percent_decode(s).ok_or_else(|| {
                usage(
                    raw,
                    format!("the {what} has a bad %-escape or is not UTF-8"),
                )
            })
        };
        let (mut user, mut password) = (None, None);
        if let Some(ui) = userinfo {
            let (u, p) = match ui.find(':') {
                Some(i) => (&ui[..i], Some(&ui[i + 1..])),
                None => (ui, None),
            };
            if !u.is_empty() {
                user = Some(dec(u, "user name")?);
            }
            if let Some(p) = p {
                password = Some(dec(p, "password")?);
            }
        }
        let (mut host, mut port) = (None, None);
        if hostport.contains(',') {
            return Err(usage(
                raw,
                "several hosts are not supported; name one server",
            ));
        }
        if let Some(v6) = hostport.strip_prefix('[') {
            let end = v6
                .find(']')
                .ok_or_else(|| usage(raw, "an IPv6 address opened with [ is not closed with ]"))?;
            host = Some(v6[..end].to_string());
            match &v6[end + 1..] {
                "" => {}
                p if p.starts_with(':') => port = Some(p[1..].to_string()),
                _ => return Err(usage(raw, "text follows the IPv6 address")),
            }
        } else {
            let (h, p) = match hostport.rfind(':') {
                Some(i) => (&hostport[..i], Some(&hostport[i + 1..])),
                None => (hostport, None),
            };
            if !h.is_empty() {
                host = Some(dec(h, "host")?);
            }
            if let Some(p) = p.filter(|p| !p.is_empty()) {
                port = Some(p.to_string());
            }
        }
        let mut dbname = match path {
            Some(p) if !p.is_empty() => Some(dec(p, "database name")?),
            _ => None,
        };
        let (mut schema, mut sslmode, mut sslrootcert) = (None, None, None);
        let (mut connect_timeout, mut application_name, mut options) = (None, None, None);
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                usage(
                    raw,
                    format!(
                        "the parameter {:?} has no value (write NAME=VALUE)",
                        redact_param(pair)
                    ),
                )
            })?;
            let k = dec(k, "parameter name")?;
            let v = dec(v, &format!("value of {k}"))?;
            match k.as_str() {
                "schema" => schema = Some(v),
                "sslmode" => sslmode = Some(v),
                "sslrootcert" => sslrootcert = Some(PathBuf::from(v)),
                "host" => host = Some(v),
                "port" => port = Some(v),
                "user" => user = Some(v),
                "password" => password = Some(v),
                "dbname" => dbname = Some(v),
                "connect_timeout" => connect_timeout = Some(v),
                "application_name" => application_name = Some(v),
                "options" => options = Some(v),
                other => {
                    return Err(usage(
                        raw,
                        format!("unknown parameter {other:?}; dsr knows schema, sslmode, sslrootcert, host, port, user, password, dbname, connect_timeout, application_name and options"),
                    ))
                }
            }
        }

        let port_text = port.or_else(|| env.var("PGPORT"));
        let port: u16 = match port_text {
            None => 5432,
            Some(p) => p.parse().ok().filter(|&p: &u16| p > 0).ok_or_else(|| {
                usage(
                    raw,
                    format!("the port {p:?} is not a number from 1 to 65535"),
                )
            })?,
        };
        let host = match host.or_else(|| env.var("PGHOST")) {
            Some(h) if h.starts_with('/') => Host::Socket(PathBuf::from(h)),
            Some(h) => Host::Tcp(h),
            None => default_host(port),
        };
        let user = user
            .or_else(|| env.var("PGUSER"))
            .or_else(|| {
                ["USER", "LOGNAME", "USERNAME"]
                    .iter()
                    .find_map(|v| env.var(v))
            })
            .ok_or_else(|| usage(raw, "it names no user, and neither PGUSER nor USER is set"))?;
        // libpq's default database is the user's name.
        let dbname = dbname
            .or_else(|| env.var("PGDATABASE"))
            .unwrap_or_else(|| user.clone());
        let sslmode_text = sslmode
            .or_else(|| env.var("PGSSLMODE"))
            .unwrap_or_else(|| "prefer".into());
        let sslmode = SslMode::parse(&sslmode_text).ok_or_else(|| {
            usage(
                raw,
                format!("sslmode {sslmode_text:?} is not one of disable, prefer, require, verify-ca, verify-full"),
            )
        })?;
        let schema = schema.unwrap_or_else(|| "public".into());
        if schema.is_empty() {
            return Err(usage(
                raw,
                "schema= is empty; name the tenant's schema, or leave it out for public",
            ));
        }
        let connect_timeout = match connect_timeout {
            None => None,
            Some(t) => Some(t.parse::<u64>().map_err(|_| {
                usage(
                    raw,
                    format!("connect_timeout {t:?} is not a whole number of seconds"),
                )
            })?)
            .filter(|&t| t > 0),
        };
        let sslrootcert = sslrootcert.or_else(|| env.var("PGSSLROOTCERT").map(PathBuf::from));
        let mut out = PgUrl {
            user,
            password: password.map(|p| (Password(p), PasswordSource::Url)),
            host,
            port,
            dbname,
            schema,
            sslmode,
            sslrootcert,
            connect_timeout,
            application_name,
            options: options.or_else(|| env.var("PGOPTIONS")),
            passfile_note: None,
        };
        if out.password.is_none() {
            if let Some(p) = env.var("PGPASSWORD") {
                out.password = Some((Password(p), PasswordSource::Env));
            }
        }
        if out.password.is_none() {
            let file = env
                .var("PGPASSFILE")
                .map(PathBuf::from)
                .or_else(|| env.var("HOME").map(|h| Path::new(&h).join(".pgpass")));
            if let Some(file) = file {
                match passfile_lookup(&file, &out) {
                    Ok(Some(p)) => out.password = Some((Password(p), PasswordSource::File(file))),
                    Ok(None) => {}
                    Err(note) => out.passfile_note = Some(note),
                }
            }
        }
        Ok(out)
    }

    /// `HOST:PORT`, or the socket file, for messages.
    pub fn target(&self) -> String {
        match &self.host {
            Host::Tcp(h) if h.contains(':') => format!("[{h}]:{}", self.port),
            Host::Tcp(h) => format!("{h}:{}", self.port),
            Host::Socket(d) => format!("{}/.s.PGSQL.{}", d.display(), self.port),
        }
    }

    /// "database D on HOST:PORT, schema S": the place a message names.
    pub fn place(&self) -> String {
        format!(
            "database {} on {}, schema {}",
            self.dbname,
            self.target(),
            self.schema
        )
    }

    /// The password, if any (for the driver only).
    pub fn password(&self) -> Option<&str> {
        self.password.as_ref().map(|(p, _)| p.expose())
    }
}

/// A query parameter as shown in an error: a password's value hidden.
fn redact_param(p: &str) -> &str {
    if p.starts_with("password") {
        "password=***"
    } else {
        p
    }
}

/// libpq's default when neither the URL nor PGHOST names a host: the
/// server's Unix socket where Debian-like systems (`/var/run/postgresql`)
/// or upstream builds (`/tmp`) put it, else TCP to localhost.
fn default_host(port: u16) -> Host {
    for dir in ["/var/run/postgresql", "/tmp"] {
        if Path::new(dir).join(format!(".s.PGSQL.{port}")).exists() {
            return Host::Socket(PathBuf::from(dir));
        }
    }
    Host::Tcp("localhost".into())
}

/// Shows the URL that dsr connects with, resolved, its password `***`.
impl fmt::Display for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "postgres://{}", percent_encode(&self.user))?;
        if self.password.is_some() {
            f.write_str(":***")?;
        }
        f.write_str("@")?;
        match &self.host {
            Host::Tcp(h) if h.contains(':') => write!(f, "[{h}]:{}", self.port)?,
            Host::Tcp(h) => write!(f, "{}:{}", percent_encode(h), self.port)?,
            Host::Socket(_) => write!(f, ":{}", self.port)?,
        }
        write!(
            f,
            "/{}?schema={}&sslmode={}",
            percent_encode(&self.dbname),
            percent_encode(&self.schema),
            self.sslmode.as_str()
        )?;
        if let Host::Socket(d) = &self.host {
            write!(f, "&host={}", percent_encode(&d.display().to_string()))?;
        }
        Ok(())
    }
}

/// Splits a password-file line into its five fields, undoing `\:` and `\\`.
fn passfile_fields(line: &str) -> Option<Vec<String>> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    fields.last_mut()?.push(n);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut()?.push(c),
        }
    }
    (fields.len() == 5).then_some(fields)
}

/// The password the file gives for this connection, libpq's way: the
/// first line whose host, port, database and user fields each match (`*`
/// matches anything; `localhost` also matches a Unix socket). Err with the
/// reason when the file exists but is not used (readable by group or
/// others, as libpq refuses it, or unreadable).
fn passfile_lookup(file: &Path, url: &PgUrl) -> Result<Option<String>, String> {
    let meta = match std::fs::metadata(file) {
        Ok(m) => m,
        Err(_) => return Ok(None),
    };
    if !meta.is_file() {
        return Err(format!(
            "the password file {} is not a plain file",
            file.display()
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(format!(
                "the password file {} was ignored because group or others may read it (libpq's rule); run chmod 0600 on it",
                file.display()
            ));
        }
    }
    let text = std::fs::read_to_string(file).map_err(|e| {
        format!(
            "the password file {} could not be read: {}",
            file.display(),
            crate::error::io_reason(&e)
        )
    })?;
    let host = match &url.host {
        Host::Tcp(h) => h.clone(),
        Host::Socket(_) => "localhost".to_string(),
    };
    let port = url.port.to_string();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some(f) = passfile_fields(line) else {
            continue;
        };
        let ok = |field: &str, v: &str| field == "*" || field == v;
        let host_ok = ok(&f[0], &host)
            || (matches!(url.host, Host::Socket(_)) && f[0] == "localhost")
            || matches!(&url.host, Host::Socket(d) if f[0] == d.display().to_string());
        if host_ok && ok(&f[1], &port) && ok(&f[2], &url.dbname) && ok(&f[3], &url.user) {
            return Ok(Some(f[4].clone()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| m.get(k).cloned()
    }

    fn parse(url: &str, pairs: &[(&str, &str)]) -> Result<PgUrl> {
        // USER is always there, as on a real machine; HOME points nowhere
        // so that the developer's own ~/.pgpass never leaks into a test.
        let mut all = vec![("USER", "osuser"), ("HOME", "/nonexistent-dsr-home")];
        all.extend_from_slice(pairs);
        PgUrl::parse_with(url, &env(&all))
    }

    #[test]
    fn full_url() {
        let u = parse(
            "postgres://dsr:s3cr%40t@db.internal:6543/app?schema=Tenant%20A&sslmode=verify-full",
            &[],
        )
        .unwrap();
        assert_eq!(u.user, "dsr");
        assert_eq!(u.password(), Some("s3cr@t"));
        assert_eq!(u.password.as_ref().unwrap().1, PasswordSource::Url);
        assert_eq!(u.host, Host::Tcp("db.internal".into()));
        assert_eq!(u.port, 6543);
        assert_eq!(u.dbname, "app");
        assert_eq!(u.schema, "Tenant A");
        assert_eq!(u.sslmode, SslMode::VerifyFull);
        assert_eq!(
            u.to_string(),
            "postgres://dsr:***@db.internal:6543/app?schema=Tenant%20A&sslmode=verify-full"
        );
        assert!(!format!("{u:?}").contains("s3cr"));
        assert_eq!(
            u.place(),
            "database app on db.internal:6543, schema Tenant A"
        );
    }

    #[test]
    fn postgresql_scheme_and_defaults() {
        let u = parse("postgresql://db/app", &[]).unwrap();
        assert_eq!(u.user, "osuser");
        assert_eq!(u.port, 5432);
        assert_eq!(u.schema, "public");
        assert_eq!(u.sslmode, SslMode::Prefer);
        assert_eq!(u.password, None);
        assert_eq!(
            u.to_string(),
            "postgres://osuser@db:5432/app?schema=public&sslmode=prefer"
        );
    }

    #[test]
    fn env_fills_what_the_url_leaves_out() {
        let pg = [
            ("PGHOST", "envhost"),
            ("PGPORT", "5433"),
            ("PGUSER", "envuser"),
            ("PGDATABASE", "envdb"),
            ("PGSSLMODE", "require"),
        ];
        let u = parse("postgres://", &pg).unwrap();
        assert_eq!(
            (
                u.host.clone(),
                u.port,
                u.user.as_str(),
                u.dbname.as_str(),
                u.sslmode
            ),
            (
                Host::Tcp("envhost".into()),
                5433,
                "envuser",
                "envdb",
                SslMode::Require
            )
        );
        // The URL wins over the environment.
        let u = parse("postgres://me@h:1/d?sslmode=disable", &pg).unwrap();
        assert_eq!(
            (
                u.host,
                u.port,
                u.user.as_str(),
                u.dbname.as_str(),
                u.sslmode
            ),
            (Host::Tcp("h".into()), 1, "me", "d", SslMode::Disable)
        );
        // No database anywhere: libpq's default, the user's name.
        let u = parse("postgres://me@h", &[]).unwrap();
        assert_eq!(u.dbname, "me");
    }

    #[test]
    fn socket_forms() {
        let u = parse("postgres:///app?host=/run/postgresql", &[]).unwrap();
        assert_eq!(u.host, Host::Socket("/run/postgresql".into()));
        assert_eq!(u.dbname, "app");
        assert_eq!(u.target(), "/run/postgresql/.s.PGSQL.5432");
        assert_eq!(
            u.to_string(),
            "postgres://osuser@:5432/app?schema=public&sslmode=prefer&host=%2Frun%2Fpostgresql"
        );
        let u = parse("postgres://%2Fvar%2Frun%2Fpostgresql:5433/app", &[]).unwrap();
        assert_eq!(u.host, Host::Socket("/var/run/postgresql".into()));
        assert_eq!(u.port, 5433);
        let u = parse("postgres:///app", &[("PGHOST", "/tmp")]).unwrap();
        assert_eq!(u.host, Host::Socket("/tmp".into()));
    }

    #[test]
    fn ipv6_hosts() {
        let u = parse("postgres://u@[::1]:5433/d", &[]).unwrap();
        assert_eq!(u.host, Host::Tcp("::1".into()));
        assert_eq!(u.port, 5433);
        assert_eq!(u.target(), "[::1]:5433");
        assert!(parse("postgres://u@[::1/d", &[]).is_err());
    }

    #[test]
    fn bad_urls_are_usage_errors_without_the_password() {
        for (url, says) in [
            (
                "postgres://u:pw1@h/d?sslmode=verify",
                "sslmode \"verify\" is not one of",
            ),
            (
                "postgres://u:pw1@h/d?sslmode=",
                "sslmode \"\" is not one of",
            ),
            ("postgres://u:pw1@h:99999/d", "the port \"99999\""),
            ("postgres://u:pw1@h:x/d", "the port \"x\""),
            ("postgres://u:pw1@h/d?schema=", "schema= is empty"),
            (
                "postgres://u:pw1@h/d?colour=blue",
                "unknown parameter \"colour\"",
            ),
            ("postgres://u:pw1@h/d?schema", "has no value"),
            ("postgres://u:pw1@h/d%zz", "bad %-escape"),
            ("postgres://u:pw1@h1,h2/d", "several hosts"),
            ("postgres://u:pw1@h/d#frag", "fragment"),
            ("mysql://u:pw1@h/d", "must start with postgres://"),
        ] {
            let e = parse(url, &[]).unwrap_err();
            assert!(matches!(e, Error::Usage(_)), "{url}: {e:?}");
            let m = e.to_string();
            assert!(m.contains(says), "{url}: {m}");
            assert!(!m.contains("pw1"), "{url}: {m}");
        }
        // A password given as a parameter is hidden too.
        let e = parse("postgres://u@h/d?password=pw1&x=1", &[]).unwrap_err();
        assert!(!e.to_string().contains("pw1"), "{e}");
    }

    #[test]
    fn every_sslmode() {
        for m in ["disable", "prefer", "require", "verify-ca", "verify-full"] {
            let u = parse(&format!("postgres://h/d?sslmode={m}"), &[]).unwrap();
            assert_eq!(u.sslmode.as_str(), m);
        }
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%2F%3a").as_deref(), Some("a b/:"));
        assert_eq!(percent_decode("%C3%A5sa").as_deref(), Some("åsa"));
        assert_eq!(percent_decode("%ff"), None);
        assert_eq!(percent_decode("%2"), None);
        let u = parse("postgres://%C3%A5sa:p%3Aw@h/d%C3%B6?schema=%22q%22", &[]).unwrap();
        assert_eq!(
            (u.user.as_str(), u.password(), u.dbname.as_str()),
            ("åsa", Some("p:w"), "dö")
        );
        assert_eq!(u.schema, "\"q\"");
    }

    #[test]
    fn query_parameters_override_the_authority() {
        let u = parse(
            "postgres://a@h/d?user=b&port=7&dbname=e&password=x&sslrootcert=/ca.pem&connect_timeout=3&application_name=job",
            &[],
        )
        .unwrap();
        assert_eq!(
            (u.user.as_str(), u.port, u.dbname.as_str(), u.password()),
            ("b", 7, "e", Some("x"))
        );
        assert_eq!(u.sslrootcert, Some(PathBuf::from("/ca.pem")));
        assert_eq!(u.connect_timeout, Some(3));
        assert_eq!(u.application_name.as_deref(), Some("job"));
        assert_eq!(u.options, None);
    }

    #[test]
    fn options_from_the_url_else_pgoptions() {
        let u = parse(
            "postgres://a@h/d?options=-c%20statement_timeout%3D5s",
            &[("PGOPTIONS", "-c lock_timeout=1s")],
        )
        .unwrap();
        assert_eq!(u.options.as_deref(), Some("-c statement_timeout=5s"));
        let u = parse("postgres://a@h/d", &[("PGOPTIONS", "-c lock_timeout=1s")]).unwrap();
        assert_eq!(u.options.as_deref(), Some("-c lock_timeout=1s"));
    }

    #[test]
    fn password_order_url_env_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(&file, "h:5432:d:u:fromfile\n").unwrap();
        set_mode(&file, 0o600);
        let f = file.to_str().unwrap();
        let u = parse(
            "postgres://u:fromurl@h/d",
            &[("PGPASSWORD", "fromenv"), ("PGPASSFILE", f)],
        )
        .unwrap();
        assert_eq!(u.password(), Some("fromurl"));
        let u = parse(
            "postgres://u@h/d",
            &[("PGPASSWORD", "fromenv"), ("PGPASSFILE", f)],
        )
        .unwrap();
        assert_eq!(u.password(), Some("fromenv"));
        assert_eq!(u.password.as_ref().unwrap().1, PasswordSource::Env);
        let u = parse("postgres://u@h/d", &[("PGPASSFILE", f)]).unwrap();
        assert_eq!(u.password(), Some("fromfile"));
        assert_eq!(
            u.password.as_ref().unwrap().1,
            PasswordSource::File(file.clone())
        );
        // ~/.pgpass is the default file.
        std::fs::write(dir.path().join(".pgpass"), "*:*:*:*:fromhome\n").unwrap();
        set_mode(&dir.path().join(".pgpass"), 0o600);
        let mut all = vec![("USER", "osuser"), ("HOME", dir.path().to_str().unwrap())];
        all.push(("PGHOST", "x"));
        let u = PgUrl::parse_with("postgres:///d", &env(&all)).unwrap();
        assert_eq!(u.password(), Some("fromhome"));
    }

    #[cfg(unix)]
    fn set_mode(p: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(not(unix))]
    fn set_mode(_: &Path, _: u32) {}

    #[test]
    fn passfile_matching() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "# a comment\n\
             \n\
             other:5432:*:*:wronghost\n\
             h:5433:*:*:wrongport\n\
             h:*:otherdb:*:wrongdb\n\
             h:*:d:otheruser:wronguser\n\
             bad line without fields\n\
             h\\:x:*:*:*:escapedhost\n\
             h:*:d:u:pa\\:ss\\\\word:with:colons\n\
             *:*:*:*:fallback\n\
             localhost:*:sock:*:socketpw\n",
        )
        .unwrap();
        set_mode(&file, 0o600);
        let f = file.to_str().unwrap();
        let pw = |url: &str| {
            parse(url, &[("PGPASSFILE", f)])
                .unwrap()
                .password()
                .map(String::from)
        };
        assert_eq!(
            pw("postgres://u@h/d").as_deref(),
            Some("pa:ss\\word:with:colons")
        );
        assert_eq!(pw("postgres://u@h:5433/d").as_deref(), Some("wrongport"));
        assert_eq!(pw("postgres://v@h/d").as_deref(), Some("fallback"));
        assert_eq!(pw("postgres://u@h%3Ax/d").as_deref(), Some("escapedhost"));
        // `localhost` matches a socket connection; the fallback line comes first for
        // other databases, as the first match wins.
        assert_eq!(
            pw("postgres:///d?host=/run/postgresql&user=v").as_deref(),
            Some("fallback")
        );
        std::fs::write(&file, "localhost:*:sock:*:socketpw\n").unwrap();
        set_mode(&file, 0o600);
        assert_eq!(
            pw("postgres:///sock?host=/run/postgresql").as_deref(),
            Some("socketpw")
        );
        assert_eq!(pw("postgres://u@elsewhere/sock"), None);
    }

    #[cfg(unix)]
    #[test]
    fn passfile_readable_by_others_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(&file, "*:*:*:*:secret\n").unwrap();
        set_mode(&file, 0o644);
        let u = parse(
            "postgres://u@h/d",
            &[("PGPASSFILE", file.to_str().unwrap())],
        )
        .unwrap();
        assert_eq!(u.password(), None);
        let note = u.passfile_note.unwrap();
        assert!(
            note.contains("group or others may read it") && note.contains("chmod 0600"),
            "{note}"
        );
        // A missing file is no note at all.
        let u = parse("postgres://u@h/d", &[("PGPASSFILE", "/nonexistent/pgpass")]).unwrap();
        assert_eq!((u.password(), u.passfile_note.as_deref()), (None, None));
    }

    #[test]
    fn redacting_raw_urls() {
        assert_eq!(redact_raw("postgres://u:pw@h/d"), "postgres://u:***@h/d");
        assert_eq!(redact_raw("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(
            redact_raw("postgres://u:p@w@h/d?a=1"),
            "postgres://u:***@h/d?a=1"
        );
        assert_eq!(
            redact_raw("postgres://h/d?password=x&b=2"),
            "postgres://h/d?password=***&b=2"
        );
        assert!(is_postgres_url("postgresql://x") && !is_postgres_url("sqlite:x"));
    }
}
