//! Writes on PostgreSQL: write transactions and savepoints, and the
//! erasure's statements, set-based (one statement per table, whatever the
//! number of keys: `keys.rs`). The watch is in `watch.rs`, the SQL
//! interface for dsr's own tables in `sql.rs`.
//!
//! A write transaction is READ COMMITTED with `lock_timeout` set from the
//! busy timeout dsr uses on SQLite (`DSR_BUSY_TIMEOUT`, ms), and takes a
//! transaction advisory lock of the tenant first, so that two dsr commands
//! writing one tenant (each appending to the audit trail) take turns, as
//! SQLite's `BEGIN IMMEDIATE` makes them; the application is never blocked
//! by it. A lock that is not had in time is the same failure as SQLite's
//! busy store (exit 1, "is locked").
//!
//! `hash` has no SQL function here (no UDFs, and pgcrypto is not
//! guaranteed): the planned rows are read `FOR UPDATE`, each value hashed
//! in Rust (`refs::hash_value`, the bytes SQLite's `dsr_hash` hashes) and
//! written back in one `UPDATE … FROM unnest(…)`.

use super::keys::{column_cast, key_arrays, key_lead};
use super::PgBackend;
use crate::error::{Error, Result};
use crate::store::pg::connect::{connect, PgConn};
use crate::store::pg::errors::{classify, detail, sql_error, PgFailure};
use crate::store::pg::url::PgUrl;
use crate::store::pg::value;
use crate::store::refs::hash_value;
use crate::store::schema::{quote, TableSchema};
use crate::store::write::Assign;
use crate::value::Value;
use postgres::types::ToSql;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

/// How long dsr waits for a lock the application holds, in ms, when
/// `DSR_BUSY_TIMEOUT` does not say (SQLite's default too).
const DEFAULT_BUSY_MS: u64 = 5_000;

/// What the write group keeps per session.
#[derive(Default)]
pub(crate) struct State {
    pub(super) in_tx: Cell<bool>,
    /// Shared statements, prepared once (`sql.rs`).
    pub(super) statements: RefCell<HashMap<String, postgres::Statement>>,
    /// Tables `has_table` found (mod.rs), forgotten at a rollback.
    pub(super) tables_seen: RefCell<HashSet<String>>,
    /// The sweep's columns of each table, as read once (retention.rs).
    pub(super) expiry_columns: RefCell<HashMap<String, Vec<super::expiry::Col>>>,
    /// The tenant secret `hash` keys with (`prepare_erasure`).
    secret: RefCell<Option<String>>,
    /// Whether the catalog the statements are built from was found
    /// current inside a write transaction (keys.rs): checked once per
    /// session, at the first write that needs it.
    pub(super) catalog_checked: Cell<bool>,
    pub(super) watch: RefCell<Option<super::watch::Watching>>,
    /// Whether nothing in the schema but dsr's statements and foreign-key
    /// actions can change a row (watch.rs): read once per session.
    pub(super) quick_possible: Cell<Option<bool>>,
    /// The session's count of changed rows when a watch by counts began.
    pub(super) quick_from: Cell<Option<u64>>,
    /// (table, privilege) pairs the role was found to hold (`require`).
    granted: RefCell<HashSet<(String, &'static str)>>,
    /// Whether `granted` was filled for the whole schema (`require`).
    privileges_read: Cell<bool>,
}

#[cfg(test)]
thread_local! {
    /// A test's own busy timeout (the variable is the whole process's).
    pub(super) static BUSY_MS_FOR_TESTS: Cell<Option<u64>> = const { Cell::new(None) };
}

fn busy_ms() -> u64 {
    #[cfg(test)]
    if let Some(ms) = BUSY_MS_FOR_TESTS.with(Cell::get) {
        return ms;
    }
    std::env::var("DSR_BUSY_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_BUSY_MS)
}

/// The transaction advisory lock key of a tenant's writers (another key
/// than the sweep lock's, which a sweep holds across its transactions).
fn writer_key(database: &str, schema: &str) -> i64 {
    crate::store::pg::lock::advisory_key("dsr write lock", database, schema)
}

/// Refuses, before anything is read, a session that could not write the
/// audit record every command that reads personal data makes: a standby,
/// a read-only session, or a role without the privileges on dsr's tables
/// (or, before they exist, CREATE on the schema). Exit 1.
pub(crate) fn check_writable(c: &mut PgConn) -> Result<()> {
    let place = c.url.place();
    let user = c.url.user.clone();
    let schema = c.url.schema.clone();
    if c.in_recovery {
        return Err(Error::Runtime(format!(
            "the PostgreSQL server for {place} is a standby (read-only replica); dsr records every command in the tenant's audit trail, so it needs the primary: point --store / DSR_STORE at the primary server; nothing was read or changed"
        )));
    }
    // `has_table_privilege` with a list answers whether any is held: each
    // privilege is asked on its own.
    let row = c
        .client
        .query_one(
            "WITH t(audit, meta) AS (SELECT \
                 pg_catalog.to_regclass(pg_catalog.quote_ident($1) || '._dsr_audit'), \
                 pg_catalog.to_regclass(pg_catalog.quote_ident($1) || '._dsr_meta')) \
             SELECT current_setting('transaction_read_only') = 'on', \
                    pg_catalog.has_schema_privilege(pg_catalog.quote_ident($1), 'CREATE'), \
                    audit IS NOT NULL, \
                    coalesce(pg_catalog.has_table_privilege(audit, 'SELECT') \
                         AND pg_catalog.has_table_privilege(audit, 'INSERT') \
                         AND pg_catalog.has_table_privilege(meta, 'SELECT') \
                         AND pg_catalog.has_table_privilege(meta, 'INSERT') \
                         AND pg_catalog.has_table_privilege(meta, 'UPDATE'), false) \
             FROM t",
            &[&schema],
        )
        .map_err(|e| c.err("checking the privileges", e))?;
    let (read_only, create, has_trail, may_append): (bool, bool, bool, bool) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    if read_only {
        return Err(Error::Runtime(format!(
            "the session of user {user} may only read in {place} (default_transaction_read_only is on for the role or database); dsr records every command in the tenant's audit trail, so it needs a role that may write; nothing was read or changed"
        )));
    }
    let q = quote(&schema);
    let qu = quote(&user);
    if has_trail && !may_append {
        return Err(Error::Runtime(format!(
            "user {user} may not write dsr's audit trail in {place}: it needs SELECT and INSERT on _dsr_audit and SELECT, INSERT and UPDATE on _dsr_meta (and on the other _dsr_ tables; see the README, \"PostgreSQL privileges\"); dsr records every command there; ask the database's owner to GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {q} TO {qu}, or run dsr as a role that may; nothing was read or changed"
        )));
    }
    if !has_trail && !create {
        return Err(Error::Runtime(format!(
            "user {user} may not create dsr's own tables in {place}: it lacks the CREATE privilege on schema {schema}, which dsr needs once, to make its audit trail (_dsr_audit, _dsr_meta, …) on first use; ask the database's owner to GRANT CREATE ON SCHEMA {q} TO {qu} (see the README, \"PostgreSQL privileges\"), or run dsr as a role that may; nothing was read or changed"
        )));
    }
    Ok(())
}

impl PgBackend {
    /// A failure of a statement, in dsr's words (`sql_error`), with the
    /// busy store's wording for a lock not had in time; a lost connection
    /// ends the transaction (the server rolled it back).
    pub(super) fn fail(&self, url: &PgUrl, doing: &str, e: postgres::Error) -> Error {
        match classify(&e) {
            PgFailure::ConnectionLost => {
                self.w.in_tx.set(false);
                self.w.tables_seen.borrow_mut().clear();
            }
            PgFailure::LockTimeout => {
                return Error::Runtime(format!(
                    "the store {} is locked by another process (a PostgreSQL session holds rows or tables dsr must change) while {doing}: {}; nothing was changed; try again when the application's transaction finishes, or set DSR_BUSY_TIMEOUT (ms) higher (waited {} ms)",
                    url.place(),
                    detail(url, &e),
                    busy_ms()
                ))
            }
            _ => {}
        }
        sql_error(url, doing, &e)
    }

    /// Refuses, before its statement, a change of a tenant table the role
    /// may not make, naming the privilege and the GRANT to ask for (the
    /// server's "permission denied" names neither). Asked once per table
    /// and privilege in a session: at the first, UPDATE and DELETE of every
    /// table of the schema in one query (an erasure changes several), and
    /// one not held is asked again on its own before the refusal.
    pub(super) fn require(&self, table: &str, privilege: &'static str) -> Result<()> {
        let pair = (table.to_string(), privilege);
        if self.w.granted.borrow().contains(&pair) {
            return Ok(());
        }
        if !self.w.privileges_read.replace(true) {
            self.read_privileges()?;
            if self.w.granted.borrow().contains(&pair) {
                return Ok(());
            }
        }
        let mut c = self.conn()?;
        let schema = c.url.schema.clone();
        let held: bool = c
            .client
            .query_one(
                "SELECT pg_catalog.has_table_privilege(\
                 pg_catalog.quote_ident($1) || '.' || pg_catalog.quote_ident($2), $3)",
                &[&schema, &table, &privilege],
            )
            .map_err(|e| self.fail(&c.url, "checking the privileges", e))?
            .get(0);
        if !held {
            let s = quote(&c.url.schema);
            return Err(Error::Runtime(format!(
                "user {} may not {privilege} rows of table {table} in {} (no {privilege} privilege); erase and sweep need SELECT, UPDATE and DELETE on the mapped tables: ask the database's owner to GRANT SELECT, UPDATE, DELETE ON {s}.{} TO {} (or ON ALL TABLES IN SCHEMA {s}); nothing was changed",
                c.url.user,
                c.url.place(),
                quote(table),
                quote(&c.url.user)
            )));
        }
        self.w.granted.borrow_mut().insert(pair);
        Ok(())
    }

    /// The UPDATE and DELETE privileges the role holds on the schema's
    /// tables, into `granted`.
    fn read_privileges(&self) -> Result<()> {
        let mut c = self.conn()?;
        let schema = c.url.schema.clone();
        let rows = c
            .client
            .query(
                "SELECT c.relname::text, pg_catalog.has_table_privilege(c.oid, 'UPDATE'), \
                        pg_catalog.has_table_privilege(c.oid, 'DELETE') \
                 FROM pg_catalog.pg_class c \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')",
                &[&schema],
            )
            .map_err(|e| self.fail(&c.url, "checking the privileges", e))?;
        let mut granted = self.w.granted.borrow_mut();
        for r in &rows {
            let (Ok(name), Ok(update), Ok(delete)) = (
                r.try_get::<_, String>(0),
                r.try_get::<_, bool>(1),
                r.try_get::<_, bool>(2),
            ) else {
                continue;
            };
            for (held, privilege) in [(update, "UPDATE"), (delete, "DELETE")] {
                if held {
                    granted.insert((name.clone(), privilege));
                }
            }
        }
        Ok(())
    }

    /// Runs one statement of the write group.
    pub(super) fn exec_write(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        doing: &str,
    ) -> Result<u64> {
        let mut c = self.conn()?;
        match c.client.execute(sql, params) {
            Ok(n) => Ok(n),
            Err(e) => Err(self.fail(&c.url, doing, e)),
        }
    }

    pub(super) fn begin_write_tx(&self) -> Result<()> {
        let mut c = self.conn()?;
        let key = writer_key(&c.url.dbname, &c.url.schema);
        let sql = format!(
            "BEGIN ISOLATION LEVEL READ COMMITTED, READ WRITE; SET LOCAL lock_timeout = '{}ms'",
            busy_ms()
        );
        if c.client.is_closed() {
            self.reconnect(&mut c)?;
        }
        if let Err(e) = c.client.batch_execute(&sql) {
            // A session the server ended (a failed command's own record
            // comes next, DESIGN §4): nothing was in flight, so a new one,
            // set up as the first was, may begin instead.
            if classify(&e) != PgFailure::ConnectionLost {
                return Err(self.fail(&c.url, "starting a write", e));
            }
            self.reconnect(&mut c)?;
            if let Err(e) = c.client.batch_execute(&sql) {
                return Err(self.fail(&c.url, "starting a write", e));
            }
        }
        self.w.in_tx.set(true);
        if let Err(e) = self
            .prepared(&mut c, "SELECT pg_catalog.pg_advisory_xact_lock($1)")
            .and_then(|st| c.client.execute(&st, &[&key]))
        {
            let err = self.fail(&c.url, "waiting for another dsr writing this tenant", e);
            let _ = c.client.batch_execute("ROLLBACK");
            self.w.in_tx.set(false);
            return Err(err);
        }
        Ok(())
    }

    /// A new session in place of one the server ended.
    fn reconnect(&self, c: &mut PgConn) -> Result<()> {
        *c = connect(&c.url)?;
        self.w.statements.borrow_mut().clear();
        self.reads.session_lost();
        Ok(())
    }

    pub(super) fn commit_tx(&self) -> Result<()> {
        let mut c = self.conn()?;
        // However COMMIT ends (a deferred constraint may fail it), the
        // transaction is over.
        self.w.in_tx.set(false);
        *self.w.secret.borrow_mut() = None;
        match c.client.batch_execute("COMMIT") {
            Ok(()) => Ok(()),
            Err(e) => {
                // Rolled back: tables it created are gone.
                self.w.tables_seen.borrow_mut().clear();
                Err(self.fail(&c.url, "committing", e))
            }
        }
    }

    pub(super) fn rollback_tx(&self) {
        if !self.w.in_tx.replace(false) {
            return;
        }
        *self.w.secret.borrow_mut() = None;
        self.w.tables_seen.borrow_mut().clear();
        if let Ok(mut c) = self.conn() {
            let _ = c.client.batch_execute("ROLLBACK");
        }
    }

    pub(super) fn in_tx(&self) -> bool {
        self.w.in_tx.get()
    }

    pub(super) fn savepoint_tx(&self) -> Result<()> {
        self.batch("SAVEPOINT dsr_trial", "starting a dry run")
    }

    /// Also after a failed statement inside the savepoint: rolling back to
    /// it is what makes the transaction usable again.
    pub(super) fn rollback_savepoint_tx(&self) -> Result<()> {
        self.w.tables_seen.borrow_mut().clear();
        self.batch(
            "ROLLBACK TO SAVEPOINT dsr_trial; RELEASE SAVEPOINT dsr_trial",
            "undoing a dry run",
        )
    }

    /// Keeps the secret for `hash`, and defers the foreign keys that can
    /// be deferred to the commit (a cycle of links is deleted in one go);
    /// a key that is not DEFERRABLE is checked per statement, which the
    /// planner's children-before-parents order satisfies.
    pub(super) fn prepare_hashing(&self, secret: &str) -> Result<()> {
        *self.w.secret.borrow_mut() = Some(secret.to_string());
        self.batch("SET CONSTRAINTS ALL DEFERRED", "preparing an erasure")
    }

    pub(super) fn delete_by_keys(&self, t: &TableSchema, keys: &[Vec<Value>]) -> Result<u64> {
        if keys.is_empty() {
            return Ok(0);
        }
        self.require(&t.name, "DELETE")?;
        let kc = self.key_cols(t)?;
        let arrays = key_arrays(keys, kc.len())?;
        let (lead, lead_at) = key_lead(&arrays, arrays.len());
        let mut params: Vec<&(dyn ToSql + Sync)> =
            arrays.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
        params.extend(lead.iter().map(|a| a as &(dyn ToSql + Sync)));
        let sql = format!(
            "DELETE FROM {} WHERE {}",
            quote(&t.name),
            kc.matches(1, "", lead_at)
        );
        let n = self.exec_write(&sql, &params, &format!("deleting from {}", t.name))?;
        self.watch_own_deleted(t, keys, n);
        Ok(n)
    }

    pub(super) fn anonymize_by_keys(
        &self,
        t: &TableSchema,
        sets: &[(String, Assign)],
        keys: &[Vec<Value>],
    ) -> Result<u64> {
        if keys.is_empty() || sets.is_empty() {
            return Ok(0);
        }
        self.require(&t.name, "UPDATE")?;
        let doing = format!("anonymizing {}", t.name);
        let kc = self.key_cols(t)?;
        let (s, ti) = self.pg_table(&t.name)?;
        let pt = &s.tables[ti];
        let mut texts: Vec<Option<String>> = Vec::new();
        let mut hashed: Vec<(String, String)> = Vec::new();
        let mut assigns = Vec::new();
        // Parameters: the key arrays first, then redaction texts, then the
        // hashes' arrays.
        let mut next = kc.len() + 1;
        for (col, a) in sets {
            let q = quote(col);
            let cast = column_cast(pt, col)?;
            match a {
                Assign::Null => assigns.push(format!("{q} = NULL")),
                Assign::Redact(w) => {
                    texts.push(Some(w.clone()));
                    assigns.push(format!(
                        "{q} = CASE WHEN t.{q} IS NULL THEN NULL ELSE {} END",
                        value::param(next, &cast)
                    ));
                    next += 1;
                }
                Assign::Hash => hashed.push((col.clone(), cast)),
            }
        }
        let table = quote(&t.name);
        if hashed.is_empty() {
            let arrays = key_arrays(keys, kc.len())?;
            let (lead, lead_at) = key_lead(&arrays, arrays.len() + texts.len());
            let mut params: Vec<&(dyn ToSql + Sync)> =
                arrays.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
            params.extend(texts.iter().map(|s| s as &(dyn ToSql + Sync)));
            params.extend(lead.iter().map(|a| a as &(dyn ToSql + Sync)));
            let sql = format!(
                "UPDATE {table} AS t SET {} WHERE {}",
                assigns.join(", "),
                kc.matches(1, "t.", lead_at)
            );
            let n = self.exec_write(&sql, &params, &doing)?;
            self.watch_own(t, n, true);
            return Ok(n);
        }
        // The planned rows, locked, with the values to hash.
        let secret = self.w.secret.borrow().clone().ok_or_else(|| {
            Error::Runtime("internal: hashing before the erasure was prepared".into())
        })?;
        let arrays = key_arrays(keys, kc.len())?;
        let (lead, lead_at) = key_lead(&arrays, arrays.len());
        let cols: Vec<String> = hashed
            .iter()
            .map(|(c, _)| {
                let q = quote(c);
                pt.column(c).map_or(q.clone(), |pc| pc.ty.select_expr(&q))
            })
            .collect();
        let read = format!(
            "SELECT {}{}{} FROM {table} WHERE {} FOR UPDATE",
            kc.as_text().join(", "),
            if cols.is_empty() { "" } else { ", " },
            cols.join(", "),
            kc.matches(1, "", lead_at)
        );
        let rows = {
            let mut params: Vec<&(dyn ToSql + Sync)> =
                arrays.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
            params.extend(lead.iter().map(|a| a as &(dyn ToSql + Sync)));
            let mut c = self.conn()?;
            match c.client.query(&read, &params) {
                Ok(r) => r,
                Err(e) => return Err(self.fail(&c.url, &doing, e)),
            }
        };
        let w = kc.len();
        let mut found: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(rows.len()); w];
        let mut hashes: Vec<Vec<Option<String>>> =
            vec![Vec::with_capacity(rows.len()); hashed.len()];
        let undecodable = |e: postgres::Error| -> Error {
            match self.conn() {
                Ok(c) => self.fail(&c.url, &doing, e),
                Err(e) => e,
            }
        };
        for r in &rows {
            for (i, col) in found.iter_mut().enumerate() {
                col.push(r.try_get::<_, Option<String>>(i).map_err(undecodable)?);
            }
            for (j, h) in hashes.iter_mut().enumerate() {
                let v = value::get(r, w + j).map_err(undecodable)?.to_value();
                h.push(hash_value(&secret, &v));
            }
        }
        if rows.is_empty() {
            return Ok(0);
        }
        // v(k1…, h1…): the keys read and their hashes, joined back by key.
        // The keys read take the planned keys' numbers ($1…), the texts
        // keep theirs, the hashes follow.
        let first_key = 1;
        let first_hash = next;
        let kn: Vec<String> = (0..w).map(|i| format!("k{i}")).collect();
        let hn: Vec<String> = (0..hashed.len()).map(|j| format!("h{j}")).collect();
        let mut unnest: Vec<String> = (0..w)
            .map(|i| format!("${}::text[]", first_key + i))
            .collect();
        unnest.extend((0..hashed.len()).map(|j| format!("${}::text[]", first_hash + j)));
        for (j, (col, cast)) in hashed.iter().enumerate() {
            assigns.push(format!("{} = CAST(v.h{j} AS {cast})", quote(col)));
        }
        let on: Vec<String> = kc
            .exprs
            .iter()
            .zip(&kc.casts)
            .zip(&kn)
            .map(|((e, cast), k)| format!("t.{e} = CAST(v.{k} AS {cast})"))
            .collect();
        let sql = format!(
            "UPDATE {table} AS t SET {} FROM unnest({}) AS v({}) WHERE {}",
            assigns.join(", "),
            unnest.join(", "),
            kn.iter().chain(&hn).cloned().collect::<Vec<_>>().join(", "),
            on.join(" AND ")
        );
        let mut params: Vec<&(dyn ToSql + Sync)> =
            found.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
        params.extend(texts.iter().map(|s| s as &(dyn ToSql + Sync)));
        params.extend(hashes.iter().map(|a| a as &(dyn ToSql + Sync)));
        let n = self.exec_write(&sql, &params, &doing)?;
        self.watch_own(t, n, true);
        Ok(n)
    }

    pub(super) fn replace_one(
        &self,
        t: &TableSchema,
        key: &[Value],
        column: &str,
        old: &str,
        new: &str,
    ) -> Result<u64> {
        self.require(&t.name, "UPDATE")?;
        let kc = self.key_cols(t)?;
        let (s, ti) = self.pg_table(&t.name)?;
        let cast = column_cast(&s.tables[ti], column)?;
        let arrays = key_arrays(&[key.to_vec()], kc.len())?;
        let c = quote(column);
        let w = kc.len();
        // The old value compared as text: the key names one row, so no
        // index is needed, and citext's case folding must not count.
        let sql = format!(
            "UPDATE {} SET {c} = {} WHERE {} AND {c}::text = ${}::text",
            quote(&t.name),
            value::param(w + 1, &cast),
            kc.matches(1, "", None),
            w + 2
        );
        let mut params: Vec<&(dyn ToSql + Sync)> =
            arrays.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
        params.push(&new);
        params.push(&old);
        let n = self.exec_write(
            &sql,
            &params,
            &format!("erasing mentions in {}.{column}", t.name),
        )?;
        self.watch_own(t, n, true);
        Ok(n)
    }
}
