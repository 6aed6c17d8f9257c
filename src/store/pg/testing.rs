//! Test support for the PostgreSQL tests, shared by the unit tests here
//! and the integration tests (tests/cli): the server comes from
//! `DSR_TEST_POSTGRES_URL`; each test gets a schema of its own, with a
//! unique name, dropped when the test ends, so no test depends on another's
//! leftovers. Without the variable the tests say once that they were
//! skipped and pass, except under CI (`CI=true`), where a missing server
//! must fail the run.

use super::connect::connect;
use super::url::PgUrl;
use crate::store::schema::quote;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

/// The variable that names the test server.
pub const VAR: &str = "DSR_TEST_POSTGRES_URL";

static SKIPPED: Once = Once::new();

/// The test server's URL, or None (said once on stderr) when the variable
/// is unset. Panics under CI, and on a URL that does not parse.
pub fn server_url() -> Option<PgUrl> {
    let Some(raw) = std::env::var(VAR).ok().filter(|s| !s.trim().is_empty()) else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "{VAR} is not set under CI: the PostgreSQL tests must run there (.ci/run sets it)"
            );
        }
        SKIPPED.call_once(|| {
            // Straight to stderr: the test harness captures only print
            // macros, and this line should be seen.
            let _ = writeln!(
                std::io::stderr(),
                "PostgreSQL tests skipped: {VAR} is not set; run them with {VAR}=postgres://postgres@127.0.0.1:5432/test cargo test"
            );
        });
        return None;
    };
    match PgUrl::parse(&raw) {
        Ok(u) => Some(u),
        Err(e) => panic!("{VAR} does not parse: {e}"),
    }
}

/// A session on the test server as given (its own schema, default public),
/// for setting up and inspecting: panics on failure, as a test should.
pub fn admin() -> Option<postgres::Client> {
    let url = server_url()?;
    match connect(&url) {
        Ok(c) => Some(c.client),
        Err(e) => panic!("cannot connect to the test server ({VAR}): {e}"),
    }
}

/// A schema of the test's own on the test server, dropped with everything
/// in it when this is dropped.
pub struct TestSchema {
    pub name: String,
    url: PgUrl,
}

impl TestSchema {
    /// Creates `dsr_test_LABEL_PID_N` (the label as given, mixed case and
    /// quotes included); None when the PostgreSQL tests are skipped.
    pub fn new(label: &str) -> Option<TestSchema> {
        static N: AtomicU64 = AtomicU64::new(0);
        let mut url = server_url()?;
        let name = format!(
            "dsr_test_{label}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = admin()?;
        if let Err(e) = admin.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {q} CASCADE; CREATE SCHEMA {q}",
            q = quote(&name)
        )) {
            panic!("cannot create the test schema {name}: {e}");
        }
        url.schema = name.clone();
        Some(TestSchema { name, url })
    }

    /// The URL of the test server with this schema as the tenant's.
    pub fn url(&self) -> PgUrl {
        self.url.clone()
    }

    /// Runs SQL (a fixture, say) with this schema first on the search path.
    pub fn exec(&self, sql: &str) {
        let mut c = match connect(&self.url) {
            Ok(c) => c,
            Err(e) => panic!("cannot connect to the test schema {}: {e}", self.name),
        };
        if let Err(e) = c.client.batch_execute(sql) {
            panic!("SQL failed in the test schema {}: {e:?}", self.name);
        }
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        if let Some(mut admin) = admin() {
            let _ = admin.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                quote(&self.name)
            ));
        }
    }
}

/// Drops a role (and its privileges in the test database) when dropped.
pub struct DropRole(pub String);

impl Drop for DropRole {
    fn drop(&mut self) {
        if let Some(mut admin) = admin() {
            let _ = admin.batch_execute(&format!(
                "DROP OWNED BY {r}; DROP ROLE IF EXISTS {r}",
                r = quote(&self.0)
            ));
        }
    }
}
