//! Opening a session on the tenant's PostgreSQL database: TLS per
//! `sslmode`, then the session settings DESIGN §1 asks for (`search_path`
//! = the tenant's schema, then `public`; `TimeZone` = UTC), and the check
//! that the schema exists (dsr never creates it).
//!
//! The `postgres` crate is synchronous to its callers; it runs a
//! current-thread tokio runtime of its own inside the `Client`, so dsr's
//! code has no async in it, except the export's COPY reader
//! ([`connect_async`], `backend/copy.rs`, README "PostgreSQL").

use super::errors::{connect_error, no_schema, sql_error};
use super::tls;
use super::url::{Host, PgUrl, SslMode};
use crate::error::Result;
use crate::store::schema::quote;
use postgres::config::SslMode as DriverSsl;
use postgres::{Client, Config, NoTls};
use std::time::Duration;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How long to wait for the server to answer when the URL gives no
/// `connect_timeout`: long enough for a cloud database across a VPN, short
/// enough that a cron job with a wrong host does not hang.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An open session on the tenant's database, set up for dsr.
pub struct PgConn {
    pub client: Client,
    pub url: PgUrl,
    /// Whether the session is encrypted (with `prefer` the server decides).
    pub tls: bool,
    /// Whether the server is a standby (it accepts only reads).
    pub in_recovery: bool,
}

impl PgConn {
    /// Maps a statement's failure (see [`sql_error`]).
    pub fn err(&self, doing: &str, e: postgres::Error) -> crate::error::Error {
        sql_error(&self.url, doing, &e)
    }
}

fn config(url: &PgUrl, ssl: DriverSsl) -> Config {
    Config::from(async_config(url, ssl))
}

/// The connection settings from the URL, as `tokio_postgres` takes them
/// (the synchronous driver wraps the same): both sessions of an export
/// (see `backend/copy.rs`) are opened from one place.
fn async_config(url: &PgUrl, ssl: DriverSsl) -> tokio_postgres::Config {
    let mut c = tokio_postgres::Config::new();
    match &url.host {
        Host::Tcp(h) => {
            c.host(h);
        }
        Host::Socket(dir) => {
            #[cfg(unix)]
            {
                c.host_path(dir);
            }
            #[cfg(not(unix))]
            {
                c.host(&dir.display().to_string());
            }
        }
    }
    c.port(url.port)
        .user(&url.user)
        .dbname(&url.dbname)
        .application_name(url.application_name.as_deref().unwrap_or("dsr"))
        .connect_timeout(
            url.connect_timeout
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        )
        .ssl_mode(ssl);
    if let Some(p) = url.password() {
        c.password(p);
    }
    if let Some(o) = &url.options {
        c.options(o);
    }
    c
}

/// The driver's connection, with TLS as the sslmode says. A Unix socket is
/// never encrypted (libpq does the same: TLS is for TCP).
fn open(url: &PgUrl) -> Result<Client> {
    let plain = |mode| config(url, mode).connect(NoTls);
    if url.sslmode == SslMode::Disable || matches!(url.host, Host::Socket(_)) {
        return plain(DriverSsl::Disable).map_err(|e| connect_error(url, &e));
    }
    let rustls = MakeRustlsConnect::new(tls::client_config(url)?);
    match url.sslmode {
        SslMode::Prefer => match config(url, DriverSsl::Prefer).connect(rustls) {
            Ok(c) => Ok(c),
            // The server offered TLS but the handshake failed: libpq then
            // tries again without TLS, and so does dsr.
            Err(e) if e.as_db_error().is_none() && e.to_string().contains("TLS") => {
                plain(DriverSsl::Disable).map_err(|e| connect_error(url, &e))
            }
            Err(e) => Err(connect_error(url, &e)),
        },
        _ => config(url, DriverSsl::Require)
            .connect(rustls)
            .map_err(|e| connect_error(url, &e)),
    }
}

/// The session settings every dsr session runs with. The schema first,
/// then public, where extensions such as citext usually live. Text output
/// settings too, for values dsr reads as text (see value.rs): ISO dates
/// and intervals, exact floats.
fn session_setup(url: &PgUrl) -> String {
    format!(
        "SET search_path TO {}, public; SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; \
         SET IntervalStyle TO 'iso_8601'; SET extra_float_digits TO 3",
        quote(&url.schema)
    )
}

/// A second session for the URL on `tokio_postgres` itself, for the one
/// place dsr drives the driver's async interface (the COPY stream of an
/// export, `backend/copy.rs`): the same settings, TLS and `sslmode`
/// fallback as [`connect`], the same session setup; the schema was
/// checked by the first session. Must run inside a tokio runtime, which
/// the connection's task is spawned on; the handle ends with it.
pub async fn connect_async(
    url: &PgUrl,
) -> Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>)> {
    use tokio_postgres::NoTls;
    // The connection's task: its error, if it has one, also reaches the
    // client as a failed statement, which is where dsr reports it.
    fn spawn<S, T>(c: tokio_postgres::Connection<S, T>) -> tokio::task::JoinHandle<()>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
        T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        tokio::spawn(async move {
            let _ = c.await;
        })
    }
    let plain = async |mode| {
        async_config(url, mode)
            .connect(NoTls)
            .await
            .map(|(client, c)| (client, spawn(c)))
    };
    let (client, task) = if url.sslmode == SslMode::Disable || matches!(url.host, Host::Socket(_)) {
        plain(DriverSsl::Disable)
            .await
            .map_err(|e| connect_error(url, &e))?
    } else {
        let rustls = MakeRustlsConnect::new(tls::client_config(url)?);
        match url.sslmode {
            SslMode::Prefer => match async_config(url, DriverSsl::Prefer).connect(rustls).await {
                Ok((client, c)) => (client, spawn(c)),
                Err(e) if e.as_db_error().is_none() && e.to_string().contains("TLS") => {
                    plain(DriverSsl::Disable)
                        .await
                        .map_err(|e| connect_error(url, &e))?
                }
                Err(e) => return Err(connect_error(url, &e)),
            },
            _ => async_config(url, DriverSsl::Require)
                .connect(rustls)
                .await
                .map(|(client, c)| (client, spawn(c)))
                .map_err(|e| connect_error(url, &e))?,
        }
    };
    client
        .batch_execute(&session_setup(url))
        .await
        .map_err(|e| sql_error(url, "setting up the session", &e))?;
    Ok((client, task))
}

/// Opens a session for the URL: connected, the schema checked, the
/// session's `search_path` and `TimeZone` set. Every failure is exit 1
/// naming host, port, database and schema, never the password.
pub fn connect(url: &PgUrl) -> Result<PgConn> {
    let mut client = open(url)?;
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1), \
                    coalesce((SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid()), false), \
                    pg_catalog.pg_is_in_recovery(), \
                    EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1 \
                            AND pg_catalog.has_schema_privilege(oid, 'USAGE'))",
            &[&url.schema],
        )
        .map_err(|e| sql_error(url, "checking the schema", &e))?;
    let (exists, tls, in_recovery): (bool, bool, bool) = (row.get(0), row.get(1), row.get(2));
    if !exists {
        return Err(no_schema(url));
    }
    if !row.get::<_, bool>(3) {
        // Without USAGE the schema's tables are invisible: every table
        // would seem to be missing.
        return Err(crate::error::Error::Runtime(format!(
            "user {} may not use schema {} in database {} on {} (no USAGE privilege); ask the database's owner to GRANT USAGE ON SCHEMA {} TO {}; nothing was read or changed",
            url.user,
            url.schema,
            url.dbname,
            url.target(),
            quote(&url.schema),
            quote(&url.user)
        )));
    }
    client
        .batch_execute(&session_setup(url))
        .map_err(|e| sql_error(url, "setting up the session", &e))?;
    Ok(PgConn {
        client,
        url: url.clone(),
        tls,
        in_recovery,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::store::pg::testing::{self, TestSchema};
    use crate::store::pg::url::{Password, PasswordSource};

    fn msg(r: Result<PgConn>) -> String {
        match r {
            Ok(_) => panic!("connected, but a failure was expected"),
            Err(e) => {
                assert!(matches!(e, Error::Runtime(_)), "{e:?}");
                e.to_string()
            }
        }
    }

    #[test]
    fn connects_and_sets_the_session_up() {
        let Some(t) = TestSchema::new("connect") else {
            return;
        };
        let mut c = connect(&t.url()).unwrap();
        let row = c
            .client
            .query_one("SELECT current_schemas(false)::text[], current_setting('TimeZone'), current_schema()", &[])
            .unwrap();
        let (path, tz, cur): (Vec<String>, String, String) = (row.get(0), row.get(1), row.get(2));
        assert_eq!(path, [t.name.as_str(), "public"]);
        assert_eq!(tz, "UTC");
        assert_eq!(cur, t.name);
    }

    #[test]
    fn a_schema_name_is_used_exactly_as_written() {
        let Some(t) = TestSchema::new("Mixed Case \"q\"") else {
            return;
        };
        let mut c = connect(&t.url()).unwrap();
        let cur: String = c
            .client
            .query_one("SELECT current_schema()", &[])
            .unwrap()
            .get(0);
        assert_eq!(cur, t.name);
        // The same name folded to lower case is another schema.
        let mut u = t.url();
        u.schema = t.name.to_lowercase();
        let m = msg(connect(&u));
        assert!(
            m.starts_with(&format!("schema {} does not exist in database", u.schema)),
            "{m}"
        );
    }

    #[test]
    fn missing_schema_is_named_and_never_created() {
        let Some(server) = testing::server_url() else {
            return;
        };
        let mut u = server.clone();
        u.schema = "dsr_no_such_schema".into();
        let m = msg(connect(&u));
        assert_eq!(
            m,
            format!(
                "schema dsr_no_such_schema does not exist in database {} on {}; dsr never creates it; check ?schema= in --store / DSR_STORE (the name is case-sensitive), or ask the database's owner to create it; nothing was read or changed",
                u.dbname,
                u.target()
            )
        );
        let mut admin = testing::admin().unwrap();
        let n: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_namespace WHERE nspname = 'dsr_no_such_schema'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(n, 0);
    }

    #[test]
    fn wrong_port_names_host_and_port() {
        let Some(server) = testing::server_url() else {
            return;
        };
        let mut u = server.clone();
        u.host = Host::Tcp("127.0.0.1".into());
        u.port = 1;
        u.password = Some((Password::new("pw-never-shown"), PasswordSource::Url));
        let m = msg(connect(&u));
        assert!(
            m.starts_with(&format!(
                "cannot reach the PostgreSQL server at 127.0.0.1:1 for database {} on 127.0.0.1:1, schema {}: connection refused: nothing listens there;",
                u.dbname, u.schema
            )),
            "{m}"
        );
        assert!(!m.contains("pw-never-shown"), "{m}");
    }

    #[test]
    fn missing_database_is_named() {
        let Some(server) = testing::server_url() else {
            return;
        };
        let mut u = server.clone();
        u.dbname = "dsr_no_such_db".into();
        u.schema = "tenant7".into();
        let m = msg(connect(&u));
        assert_eq!(
            m,
            format!(
                "the database dsr_no_such_db does not exist on {} (wanted for schema tenant7); check the database name in --store / DSR_STORE; dsr never creates it; nothing was read or changed",
                u.target()
            )
        );
    }

    #[test]
    fn unknown_role_is_refused_without_the_password() {
        let Some(server) = testing::server_url() else {
            return;
        };
        let mut u = server.clone();
        u.user = "dsr_no_such_role".into();
        u.password = Some((Password::new("Sekret-9876"), PasswordSource::Env));
        let m = msg(connect(&u));
        assert!(
            m.starts_with(&format!(
                "PostgreSQL refused the login of user dsr_no_such_role to {}: ",
                u.place()
            )),
            "{m}"
        );
        assert!(m.contains("the password came from PGPASSWORD"), "{m}");
        assert!(!m.contains("Sekret-9876"), "{m}");
    }

    #[test]
    fn a_role_with_a_password_logs_in_and_the_password_is_never_shown() {
        let Some(t) = TestSchema::new("pwrole") else {
            return;
        };
        let role = format!("{}_role", t.name);
        let mut admin = testing::admin().unwrap();
        admin
            .batch_execute(&format!(
                "CREATE ROLE {r} LOGIN PASSWORD 'Pa55-w0rd:x'; ALTER ROLE {r} SET statement_timeout = '1s'",
                r = quote(&role)
            ))
            .unwrap();
        let _drop = testing::DropRole(role.clone());
        let mut u = t.url();
        u.user = role.clone();
        u.password = Some((Password::new("Pa55-w0rd:x"), PasswordSource::Url));
        // Without USAGE on the schema its tables would be invisible.
        let m = msg(connect(&u));
        assert_eq!(
            m,
            format!(
                "user {role} may not use schema {s} in database {} on {} (no USAGE privilege); ask the database's owner to GRANT USAGE ON SCHEMA \"{s}\" TO \"{role}\"; nothing was read or changed",
                u.dbname,
                u.target(),
                s = t.name
            )
        );
        admin
            .batch_execute(&format!(
                "GRANT USAGE ON SCHEMA {} TO {}",
                quote(&t.name),
                quote(&role)
            ))
            .unwrap();
        let mut c = connect(&u).unwrap();
        let who: String = c
            .client
            .query_one("SELECT current_user", &[])
            .unwrap()
            .get(0);
        assert_eq!(who, role);
        assert!(!u.to_string().contains("Pa55"), "{u}");
        // A statement past the role's statement_timeout: exit 1, named,
        // without the password.
        let e = c.client.batch_execute("SELECT pg_sleep(3)").unwrap_err();
        let m = c.err("erasing", e).to_string();
        assert!(m.starts_with(&format!("a statement ran longer than the server allows (statement_timeout) while erasing in {}: canceling statement due to statement timeout;", u.place())), "{m}");
        assert!(!m.contains("Pa55"), "{m}");
        // Read-only session (25006) and missing privilege (42501).
        c.client
            .batch_execute("SET default_transaction_read_only = on")
            .unwrap();
        let e = c
            .client
            .batch_execute("CREATE TABLE ro (x int)")
            .unwrap_err();
        let m = c.err("creating dsr's tables", e).to_string();
        assert!(
            m.starts_with("the session may only read while creating dsr's tables in "),
            "{m}"
        );
        c.client
            .batch_execute("SET default_transaction_read_only = off")
            .unwrap();
        admin
            .batch_execute(&format!("CREATE TABLE {}.secret (x int)", quote(&t.name)))
            .unwrap();
        let e = c.client.query("SELECT * FROM secret", &[]).unwrap_err();
        let m = c.err("reading secret", e).to_string();
        assert!(m.starts_with(&format!("user {role} lacks a privilege while reading secret in {}: permission denied for table secret;", u.place())), "{m}");
    }

    #[test]
    fn a_dropped_connection_is_named() {
        let Some(t) = TestSchema::new("dropped") else {
            return;
        };
        let mut c = connect(&t.url()).unwrap();
        let pid: i32 = c
            .client
            .query_one("SELECT pg_backend_pid()", &[])
            .unwrap()
            .get(0);
        let mut admin = testing::admin().unwrap();
        admin
            .query_one("SELECT pg_terminate_backend($1)", &[&pid])
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let e = c.client.batch_execute("SELECT 1").unwrap_err();
        assert_eq!(
            super::super::errors::classify(&e),
            super::super::errors::PgFailure::ConnectionLost,
            "{e:?}"
        );
        let m = c.err("erasing", e).to_string();
        assert!(
            m.starts_with(&format!(
                "the connection to the PostgreSQL server at {} was lost while erasing in {}: ",
                t.url().target(),
                t.url().place()
            )),
            "{m}"
        );
        assert!(m.ends_with("the open transaction was rolled back by the server; check the server and the network, then run again"), "{m}");
    }

    #[test]
    fn socket_connection() {
        let Some(t) = TestSchema::new("socket") else {
            return;
        };
        let dir = ["/var/run/postgresql", "/run/postgresql", "/tmp"]
            .into_iter()
            .find(|d| {
                std::path::Path::new(d)
                    .join(format!(".s.PGSQL.{}", t.url().port))
                    .exists()
            });
        let Some(dir) = dir else {
            eprintln!("no PostgreSQL socket found; socket test skipped");
            return;
        };
        let mut u = t.url();
        u.host = Host::Socket(dir.into());
        let mut c = connect(&u).unwrap();
        assert!(!c.tls);
        let n: i32 = c.client.query_one("SELECT 1", &[]).unwrap().get(0);
        assert_eq!(n, 1);
    }

    #[test]
    fn tls_modes() {
        let Some(t) = TestSchema::new("tls") else {
            return;
        };
        let mut admin = testing::admin().unwrap();
        let ssl: String = admin.query_one("SHOW ssl", &[]).unwrap().get(0);
        let mut u = t.url();
        u.sslmode = SslMode::Disable;
        assert!(!connect(&u).unwrap().tls);
        u.sslmode = SslMode::Prefer;
        assert_eq!(connect(&u).unwrap().tls, ssl == "on");
        if ssl != "on" {
            eprintln!("the test server has ssl off; require/verify tests skipped");
            return;
        }
        u.sslmode = SslMode::Require;
        assert!(connect(&u).unwrap().tls);
        // verify-full to 127.0.0.1: refused, either because the server's
        // self-signed certificate is not trusted, or (where the system's
        // certificate directory holds it, as Debian's snakeoil) because it
        // is not for that name; each says what to do.
        u.sslmode = SslMode::VerifyFull;
        let m = msg(connect(&u));
        assert!(m.starts_with(&format!("the TLS handshake with the PostgreSQL server at {} failed (sslmode=verify-full, for {}): ", u.target(), u.place())), "{m}");
        assert!(
            m.contains("give the provider's CA bundle with sslrootcert=PATH")
                || m.contains("connect by a name the certificate lists, or use sslmode=verify-ca"),
            "{m}"
        );
        // Trusted by sslrootcert when the certificate file is readable here.
        let cert: String = admin.query_one("SHOW ssl_cert_file", &[]).unwrap().get(0);
        if std::fs::read(&cert).is_err() {
            return;
        }
        u.sslrootcert = Some(cert.clone().into());
        u.sslmode = SslMode::VerifyCa;
        assert!(connect(&u).unwrap().tls);
        // verify-full also checks the name: fine for the certificate's own
        // name (Debian's snakeoil certificate is for the host's name or
        // localhost), refused for 127.0.0.1 unless it is in the certificate.
        u.sslmode = SslMode::VerifyFull;
        u.host = Host::Tcp("127.0.0.1".into());
        if let Err(e) = connect(&u) {
            let m = e.to_string();
            assert!(
                m.contains("certificate not valid for name \"127.0.0.1\""),
                "{m}"
            );
            assert!(
                m.contains("connect by a name the certificate lists, or use sslmode=verify-ca"),
                "{m}"
            );
        }
        u.host = Host::Tcp("localhost".into());
        if let Ok(c) = connect(&u) {
            assert!(c.tls);
        }
    }
}
