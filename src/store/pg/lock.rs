//! The tenant's sweep lock on PostgreSQL (DESIGN §1 "Lock"): a session
//! advisory lock keyed by database and schema, so that it holds across
//! machines (two cron hosts sweeping one tenant) and is released by the
//! server when the session ends, however it ends: a killed sweep leaves
//! no stale lock.
//!
//! The lock is taken on the session the sweep works in, not a separate
//! one: if that connection is lost the lock goes with it, and so does the
//! sweep's work, so a lock can never be lost while work goes on.

use super::connect::PgConn;
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// How long to wait for the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Fail at once (exit 6) when another session holds it.
    No,
    /// Until the holder releases it.
    Forever,
    /// At most this long, then exit 6.
    Up(Duration),
}

/// The advisory lock key of a tenant: the first 8 bytes of
/// SHA-256("dsr sweep lock", database, schema). A 64-bit key of dsr's own
/// rather than `hashtext()`, whose 32 bits collide sooner and whose values
/// PostgreSQL does not promise to keep across versions.
pub fn tenant_key(database: &str, schema: &str) -> i64 {
    advisory_key("dsr sweep lock", database, schema)
}

/// The first 8 bytes of SHA-256 over `purpose`, `database` and `schema`,
/// each length-prefixed: an advisory lock key per tenant and purpose.
pub(crate) fn advisory_key(purpose: &str, database: &str, schema: &str) -> i64 {
    let mut h = Sha256::new();
    for part in [purpose, database, schema] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    i64::from_be_bytes(b)
}

/// A held tenant lock; released by [`TenantLock::release`] or when the
/// session ends.
#[derive(Debug)]
#[must_use = "the lock is held until released or the session ends"]
pub struct TenantLock {
    pub key: i64,
}

impl TenantLock {
    /// Releases the lock (the session stays open).
    pub fn release(self, conn: &mut PgConn) -> Result<()> {
        conn.client
            .query_one("SELECT pg_catalog.pg_advisory_unlock($1)", &[&self.key])
            .map(|_| ())
            .map_err(|e| conn.err("releasing the sweep lock", e))
    }
}

/// Takes the tenant's sweep lock on this session, waiting as `wait` says.
/// A lock held elsewhere is exit 6 naming the holder's session.
pub fn acquire(conn: &mut PgConn, wait: Wait) -> Result<TenantLock> {
    let key = tenant_key(&conn.url.dbname, &conn.url.schema);
    let got = match wait {
        Wait::No => try_lock(conn, key)?,
        Wait::Forever => {
            conn.client
                .query_one("SELECT pg_catalog.pg_advisory_lock($1)", &[&key])
                .map_err(|e| conn.err("waiting for the sweep lock", e))?;
            true
        }
        Wait::Up(d) => {
            // Polled rather than waited for under lock_timeout, so that the
            // session's settings stay as they were.
            let until = std::time::Instant::now() + d;
            loop {
                if try_lock(conn, key)? {
                    break true;
                }
                if std::time::Instant::now() >= until {
                    break false;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    if got {
        return Ok(TenantLock { key });
    }
    let holder = holder(conn, key)?.unwrap_or_else(|| "holder unknown".into());
    Err(Error::Locked(format!(
        "another dsr sweep holds the lock of {} ({holder}); try again when it is done, or pass --wait",
        conn.url.place()
    )))
}

fn try_lock(conn: &mut PgConn, key: i64) -> Result<bool> {
    conn.client
        .query_one("SELECT pg_catalog.pg_try_advisory_lock($1)", &[&key])
        .map(|r| r.get(0))
        .map_err(|e| conn.err("taking the sweep lock", e))
}

/// Who holds the lock: the server's session, as far as this role may see
/// it (pg_stat_activity hides other roles' details from non-superusers).
pub fn holder(conn: &mut PgConn, key: i64) -> Result<Option<String>> {
    let hi = ((key as u64) >> 32) as u32;
    let lo = (key as u64 & 0xffff_ffff) as u32;
    let rows = conn
        .client
        .query(
            "SELECT l.pid, coalesce(a.usename::text, ''), coalesce(a.application_name, ''), \
                    coalesce(host(a.client_addr), ''), \
                    coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') \
             FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1 \
               AND l.granted AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())",
            &[&hi, &lo],
        )
        .map_err(|e| conn.err("finding the holder of the sweep lock", e))?;
    Ok(rows.first().map(|r| {
        let pid: i32 = r.get(0);
        let mut s = format!("PostgreSQL session pid {pid}");
        for (label, i) in [("user", 1), ("application", 2), ("from", 3), ("since", 4)] {
            let v: String = r.get(i);
            if !v.is_empty() {
                s.push_str(&format!(", {label} {v}"));
            }
        }
        s
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::pg::connect::connect;
    use crate::store::pg::testing::TestSchema;

    #[test]
    fn keys_differ_by_database_and_schema() {
        let k = tenant_key("app", "acme");
        assert_eq!(k, tenant_key("app", "acme"));
        assert_ne!(k, tenant_key("app", "globex"));
        assert_ne!(k, tenant_key("app2", "acme"));
        // No ambiguity from where one part ends.
        assert_ne!(tenant_key("ab", "c"), tenant_key("a", "bc"));
    }

    #[test]
    fn second_session_is_refused_until_release_or_disconnect() {
        let Some(t) = TestSchema::new("lock") else {
            return;
        };
        let mut a = connect(&t.url()).unwrap();
        let mut b = connect(&t.url()).unwrap();
        let la = acquire(&mut a, Wait::No).unwrap();
        let e = acquire(&mut b, Wait::No).unwrap_err();
        assert!(matches!(e, Error::Locked(_)), "{e:?}");
        let m = e.to_string();
        let pid: i32 = a
            .client
            .query_one("SELECT pg_backend_pid()", &[])
            .unwrap()
            .get(0);
        assert!(
            m.starts_with(&format!(
                "another dsr sweep holds the lock of {} (PostgreSQL session pid {pid}, user ",
                t.url().place()
            )),
            "{m}"
        );
        assert!(m.contains(", application dsr,"), "{m}");
        assert!(
            m.ends_with("; try again when it is done, or pass --wait"),
            "{m}"
        );
        // A bounded wait gives up.
        let started = std::time::Instant::now();
        assert!(acquire(&mut b, Wait::Up(Duration::from_millis(300))).is_err());
        assert!(started.elapsed() >= Duration::from_millis(300));
        // Released: the other session gets it.
        la.release(&mut a).unwrap();
        let lb = acquire(&mut b, Wait::No).unwrap();
        assert!(acquire(&mut a, Wait::No).is_err());
        // The holder's session ends (a killed sweep): the lock is free.
        drop(lb);
        drop(b);
        let la = acquire(&mut a, Wait::Up(Duration::from_secs(5))).unwrap();
        assert_eq!(la.key, tenant_key(&t.url().dbname, &t.name));
    }

    #[test]
    fn two_tenants_do_not_block_each_other() {
        let (Some(t1), Some(t2)) = (TestSchema::new("lock_a"), TestSchema::new("lock_b")) else {
            return;
        };
        let mut a = connect(&t1.url()).unwrap();
        let mut b = connect(&t2.url()).unwrap();
        let _la = acquire(&mut a, Wait::No).unwrap();
        let _lb = acquire(&mut b, Wait::No).unwrap();
    }

    #[test]
    fn waiting_forever_gets_it_when_released() {
        let Some(t) = TestSchema::new("lock_wait") else {
            return;
        };
        let mut a = connect(&t.url()).unwrap();
        let la = acquire(&mut a, Wait::No).unwrap();
        let url = t.url();
        let waiter = std::thread::spawn(move || {
            let mut b = connect(&url).unwrap();
            acquire(&mut b, Wait::Forever)
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
        std::thread::sleep(Duration::from_millis(300));
        assert!(!waiter.is_finished());
        la.release(&mut a).unwrap();
        assert_eq!(waiter.join().unwrap(), Ok(()));
    }
}
