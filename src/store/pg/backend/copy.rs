//! `export --all --format csv` on PostgreSQL: a table's rows as the server
//! writes them with `COPY (SELECT …) TO STDOUT (FORMAT csv)`, each column
//! selected by [`PgType::csv_expr`] so that the bytes are exactly those
//! `writers::csv` writes from the values dsr reads, only without decoding
//! every value in dsr. Two differences the stream fixes as it passes: the
//! server ends records with LF, RFC 4180 (and dsr) with CRLF; line breaks
//! inside quoted fields are data and stay as they are.
//!
//! The stream is read on a second session, driven through
//! `tokio_postgres` directly: the server sends one CopyData message per
//! row, and the synchronous `postgres` crate enters its runtime
//! (`block_on`) once per message, which cost more CPU than the server
//! spent writing the rows. Here one `block_on` reads a whole table: the
//! only async code in dsr (README, "PostgreSQL"). Inside a read
//! transaction the second session joins the first one's snapshot
//! (`pg_export_snapshot()`, `SET TRANSACTION SNAPSHOT`), so the files
//! are the tables as of one moment, as before; inside a write transaction
//! (whose own changes only its session sees) the first session copies.
//!
//! A table with a column whose type has no such expression (reals, bytea,
//! json, arrays, `char(n)`, …) is read row by row as before.
//!
//! [`PgType::csv_expr`]: crate::store::pg::types::PgType::csv_expr

use super::PgBackend;
use crate::error::{Error, Result};
use crate::store::pg::connect::connect_async;
use crate::store::pg::errors::sql_error;
use crate::store::pg::types::CsvFix;
use crate::store::pg::PgUrl;
use crate::store::schema::{quote, TableSchema};
use futures_util::StreamExt;
use std::io::{BufRead, Write};

/// Turns the server's LF record ends into CRLF, counting records, and
/// does to each field what its column's [`CsvFix`] says; a quote toggles
/// whether a comma or line break is data (doubled quotes toggle twice),
/// across the chunks of one stream.
#[derive(Default)]
pub(crate) struct Crlf {
    /// Per column (beyond the list: as is).
    fixes: Vec<CsvFix>,
    in_quotes: bool,
    /// The column of the field being read.
    field: usize,
    /// The next byte is a field's first.
    at_start: bool,
    /// The next byte is a quoted field's first after its opening quote.
    after_quote: bool,
    pub records: u64,
}

/// The bytes the stream looks at: quote, comma, line feed.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b',' as usize] = true;
    t[b'\n' as usize] = true;
    t
};

/// The first bytes of text that `writers::csv` neutralises.
fn formula_start(b: u8) -> bool {
    matches!(b, b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\'')
}

impl Crlf {
    pub(crate) fn new(fixes: Vec<CsvFix>) -> Crlf {
        Crlf {
            fixes,
            at_start: true,
            ..Crlf::default()
        }
    }

    fn fix(&self) -> CsvFix {
        self.fixes.get(self.field).copied().unwrap_or_default()
    }

    pub(crate) fn feed(&mut self, chunk: &[u8], out: &mut dyn Write) -> std::io::Result<()> {
        let mut start = 0;
        let mut i = 0;
        while i < chunk.len() {
            let b = chunk[i];
            if self.at_start {
                self.at_start = false;
                match (b, self.fix()) {
                    (b'"', _) => self.after_quote = true,
                    (_, CsvFix::Neutralise) if formula_start(b) => {
                        out.write_all(&chunk[start..i])?;
                        out.write_all(b"'")?;
                        start = i;
                    }
                    (b't' | b'f', CsvFix::Bool) => {
                        out.write_all(&chunk[start..i])?;
                        out.write_all(if b == b't' { b"true" } else { b"false" })?;
                        start = i + 1;
                        i += 1;
                        continue;
                    }
                    _ => {}
                }
            } else if self.after_quote {
                self.after_quote = false;
                if formula_start(b) && self.fix() == CsvFix::Neutralise {
                    out.write_all(&chunk[start..i])?;
                    out.write_all(b"'")?;
                    start = i;
                }
            }
            if !SPECIAL[b as usize] {
                // The bytes up to the next quote, comma or line break.
                i += 1;
                while i < chunk.len() && !SPECIAL[chunk[i] as usize] {
                    i += 1;
                }
                continue;
            }
            match b {
                b'"' => self.in_quotes = !self.in_quotes,
                b',' if !self.in_quotes => {
                    self.field += 1;
                    self.at_start = true;
                }
                b'\n' if !self.in_quotes => {
                    out.write_all(&chunk[start..i])?;
                    out.write_all(b"\r\n")?;
                    start = i + 1;
                    self.records += 1;
                    self.field = 0;
                    self.at_start = true;
                }
                _ => {}
            }
            i += 1;
        }
        out.write_all(&chunk[start..])
    }
}

/// The export's second session: a current-thread runtime and a
/// `tokio_postgres` client on it, in a transaction on the first session's
/// snapshot when that one is in a read.
pub(super) struct Copier {
    // Dropped in this order: the client (which asks the connection's task
    // to end), the task, then the runtime.
    client: tokio_postgres::Client,
    task: tokio::task::JoinHandle<()>,
    rt: tokio::runtime::Runtime,
    /// Whether the session holds a transaction (on a shared snapshot).
    in_tx: bool,
}

/// The message of a COPY stream that broke off.
fn stopped(url: &PgUrl, doing: &str, e: &dyn std::fmt::Display) -> Error {
    Error::Runtime(format!(
        "the PostgreSQL server at {} stopped sending rows while {doing}: {e}; nothing was released",
        url.place()
    ))
}

impl Copier {
    /// Connects (as the first session did) and, given a snapshot the
    /// first session exported, starts a `REPEATABLE READ READ ONLY`
    /// transaction on it.
    fn open(url: &PgUrl, snapshot: Option<&str>) -> Result<Copier> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::Runtime(format!(
                    "cannot start reading the COPY stream from {}: {e}; nothing was read",
                    url.place()
                ))
            })?;
        let (client, task) = rt.block_on(async {
            let (client, task) = connect_async(url).await?;
            // As pin_seqscans on the first session: every scan starts at
            // the table's first page, so the order is the same on every run.
            // SET TRANSACTION SNAPSHOT must come
            // before the transaction's first query.
            // No parallel plan either: a parallel scan's rows come in any
            // order (psql's `\copy TABLE` never runs one).
            let mut setup = String::from(
                "SET synchronize_seqscans TO off; SET max_parallel_workers_per_gather TO 0",
            );
            if let Some(id) = snapshot {
                setup += &format!(
                    "; BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{}'",
                    id.replace('\'', "''")
                );
            }
            client
                .batch_execute(&setup)
                .await
                .map_err(|e| sql_error(url, "joining the export's snapshot", &e))?;
            Ok::<_, Error>((client, task))
        })?;
        Ok(Copier {
            client,
            task,
            rt,
            in_tx: snapshot.is_some(),
        })
    }

    /// Writes the rows of one `COPY … TO STDOUT (FORMAT csv)` into `out`
    /// with CRLF record ends, in one `block_on`; the number of records.
    fn copy(
        &self,
        sql: &str,
        url: &PgUrl,
        doing: &str,
        mut crlf: Crlf,
        out: &mut dyn Write,
        werr: &dyn Fn(std::io::Error) -> Error,
    ) -> Result<u64> {
        self.rt.block_on(async {
            let stream = self
                .client
                .copy_out(sql)
                .await
                .map_err(|e| sql_error(url, doing, &e))?;
            let mut stream = std::pin::pin!(stream);
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| stopped(url, doing, &e))?;
                crlf.feed(&chunk, out).map_err(werr)?;
            }
            Ok(crlf.records)
        })
    }

    /// Ends the session: its read-only transaction committed, the
    /// connection closed (Terminate sent) rather than cut.
    fn close(self) {
        let Copier {
            client,
            task,
            rt,
            in_tx,
        } = self;
        rt.block_on(async move {
            if in_tx {
                let _ = client.batch_execute("COMMIT").await;
            }
            drop(client);
            let _ = task.await;
        });
    }
}

impl PgBackend {
    /// Writes every row of `t` as CSV records (no header) into `out`, in
    /// the order `scan_all` reads them; the number of rows, or `None` when
    /// a column's type needs the row-by-row path.
    pub(super) fn copy_csv_rows(
        &self,
        t: &TableSchema,
        out: &mut dyn Write,
        werr: &dyn Fn(std::io::Error) -> Error,
    ) -> Result<Option<u64>> {
        let shape = self.shape(t)?;
        let Some((list, fixes)) = shape
            .cols
            .iter()
            .map(|c| c.ty.csv_expr(&quote(&c.name)))
            .collect::<Option<(Vec<String>, Vec<CsvFix>)>>()
        else {
            return Ok(None);
        };
        let sql = format!(
            "COPY (SELECT {} FROM {}) TO STDOUT (FORMAT csv)",
            list.join(", "),
            quote(&t.name)
        );
        let doing = format!("reading {}", t.name);
        if self.in_tx() {
            return self
                .copy_on_session(&sql, &doing, Crlf::new(fixes), out, werr)
                .map(Some);
        }
        let url = self.conn()?.url.clone();
        let mut slot = self.copier.try_borrow_mut().map_err(|_| {
            Error::Runtime("internal: a re-entrant COPY on the PostgreSQL store".into())
        })?;
        let copier = match slot.take() {
            Some(c) => c,
            None => {
                let opened = if self.copier_refused.get() || self.in_read() && self.in_recovery()? {
                    None
                } else {
                    let snapshot = if self.in_read() {
                        Some(self.export_snapshot()?)
                    } else {
                        None
                    };
                    Copier::open(&url, snapshot.as_deref()).ok()
                };
                match opened {
                    Some(c) => c,
                    // No second session: the same COPY on the first one,
                    // in the same snapshot, at the blocking driver's pace.
                    None => {
                        self.copier_refused.set(true);
                        drop(slot);
                        return self
                            .copy_on_session(&sql, &doing, Crlf::new(fixes), out, werr)
                            .map(Some);
                    }
                }
            }
        };
        let n = copier.copy(&sql, &url, &doing, Crlf::new(fixes), out, werr)?;
        // Kept for the next table only when this one went through: after
        // a failure the session's state is unknown, and it is dropped.
        *slot = Some(copier);
        Ok(Some(n))
    }

    /// Whether the server is a standby, which cannot export a snapshot
    /// (and asking would abort the read transaction).
    fn in_recovery(&self) -> Result<bool> {
        let mut c = self.conn()?;
        let c = &mut *c;
        c.client
            .query_one("SELECT pg_catalog.pg_is_in_recovery()", &[])
            .map(|r| r.get(0))
            .map_err(|e| sql_error(&c.url, "asking whether the server is a standby", &e))
    }

    /// The first session's snapshot, for the second to join; the read
    /// transaction must stay open while the second copies.
    fn export_snapshot(&self) -> Result<String> {
        let mut c = self.conn()?;
        let c = &mut *c;
        c.client
            .query_one("SELECT pg_catalog.pg_export_snapshot()", &[])
            .map(|r| r.get(0))
            .map_err(|e| sql_error(&c.url, "sharing the export's snapshot", &e))
    }

    /// Ends the second session, if there is one: at the start and the end
    /// of every read transaction, whose snapshot it may hold.
    pub(super) fn close_copier(&self) {
        if let Ok(mut slot) = self.copier.try_borrow_mut() {
            if let Some(c) = slot.take() {
                c.close();
            }
        }
    }

    /// The COPY on the first session (inside a write transaction).
    fn copy_on_session(
        &self,
        sql: &str,
        doing: &str,
        mut crlf: Crlf,
        out: &mut dyn Write,
        werr: &dyn Fn(std::io::Error) -> Error,
    ) -> Result<u64> {
        self.pin_seqscans()?;
        let mut guard = self.conn()?;
        let conn = &mut *guard;
        let url = conn.url.clone();
        let mut reader = conn
            .client
            .copy_out(sql)
            .map_err(|e| sql_error(&url, doing, &e))?;
        loop {
            let chunk = reader.fill_buf().map_err(|e| stopped(&url, doing, &e))?;
            if chunk.is_empty() {
                break;
            }
            let n = chunk.len();
            crlf.feed(chunk, out).map_err(werr)?;
            reader.consume(n);
        }
        Ok(crlf.records)
    }
}

#[cfg(test)]
mod tests {
    use super::Crlf;
    use crate::store::pg::testing::{DropRole, TestSchema, VAR};
    use crate::store::pg::types::CsvFix;
    use crate::store::schema::quote;
    use crate::store::{open, Mode};

    /// Every value form COPY writes, against the row-by-row CSV of the
    /// same rows: formula text, quotes, commas, line breaks, empty text
    /// and NULL, negative and exact numbers, instants with and without a
    /// fraction, infinities, booleans, uuid, inet, an enum.
    const TRICKY: &str = r#"
CREATE TYPE mood AS ENUM ('calm', '-busy');
CREATE TABLE tricky (
    id bigint PRIMARY KEY, n integer, s smallint, t text, v varchar(20), nm numeric,
    d date, ts timestamp, tz timestamptz, b boolean, u uuid, ip inet, m mood
);
INSERT INTO tricky VALUES
  (1, -5, 7, '=SUM(A1)', '+46 70', 12.50, '2026-11-22', '2026-11-22 10:00:00',
   '2026-11-22 11:00:00+01', true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1', 'calm'),
  (2, NULL, NULL, '', '', 'NaN', 'infinity', '2026-01-02 03:04:05.5', '-infinity', false,
   NULL, '10.1.0.0/16', '-busy'),
  (3, 0, 0, E'two\nlines, "quoted"', E'cr\rhere', -0.001, '0999-01-01', 'infinity',
   '2026-11-22 10:00:00.123456+00', NULL, NULL, '::1', NULL),
  (4, NULL, NULL, NULL, '@me', 1e20, NULL, NULL, '2026-11-22 10:00:00.1+00', NULL, NULL, NULL, NULL),
  (5, NULL, NULL, E'\ttab', '''quote', NULL, NULL, '1999-12-31 23:59:59.999999',
   '0001-01-01 00:00:00+00', NULL, NULL, NULL, NULL),
  (6, NULL, NULL, NULL, NULL, NULL, '-infinity', '1970-01-01 00:00:00.25',
   '2026-11-22 23:30:00-05', NULL, NULL, '2001:db8::1', NULL);
CREATE TABLE floats (id int PRIMARY KEY, r double precision);
INSERT INTO floats VALUES (1, 0.1);
"#;

    #[test]
    fn copy_writes_the_bytes_the_row_path_writes() {
        let Some(ts) = TestSchema::new("copy") else {
            return;
        };
        ts.exec(TRICKY);
        let raw = std::env::var(VAR).expect("url");
        let sep = if raw.contains('?') { '&' } else { '?' };
        let url = format!("{raw}{sep}schema={}", ts.name);
        let store = open(&url, Mode::ReadOnly, jiff::civil::date(2026, 11, 22)).expect("store");
        let schema = store.schema().expect("schema");
        let t = schema.table("tricky").expect("tricky");
        let mut rows = Vec::new();
        store
            .scan_all(t, |v| {
                crate::writers::csv::write_record(&mut rows, v)
                    .map_err(|e| crate::error::Error::Runtime(e.to_string()))
            })
            .expect("scan");
        let mut copied = Vec::new();
        let werr = |e: std::io::Error| crate::error::Error::Runtime(e.to_string());
        let n = store.copy_csv(t, &mut copied, &werr).expect("copy");
        assert_eq!(
            String::from_utf8_lossy(&copied),
            String::from_utf8_lossy(&rows)
        );
        assert_eq!(n, Some(6));
        // Inside a write transaction the first session copies: the same.
        let mut in_tx = Vec::new();
        store
            .write(|_| store.copy_csv(t, &mut in_tx, &werr))
            .expect("copy in a write");
        assert_eq!(
            String::from_utf8_lossy(&in_tx),
            String::from_utf8_lossy(&rows)
        );
        // A real column: its text forms differ, so the rows come one by one.
        let f = schema.table("floats").expect("floats");
        assert_eq!(
            store.copy_csv(f, &mut Vec::new(), &werr).expect("copy"),
            None
        );
    }

    /// The second session reads the first one's snapshot: rows another
    /// client inserts after the export's snapshot began are in no file,
    /// although the second session connects only after the first insert;
    /// outside the snapshot a copy sees them. A second session the server
    /// ends between two tables fails the next one, named.
    #[test]
    fn the_copy_reads_the_export_snapshot() {
        let Some(ts) = TestSchema::new("copysnap") else {
            return;
        };
        ts.exec(
            "CREATE TABLE a (id bigint PRIMARY KEY, t text); CREATE TABLE b (id bigint PRIMARY KEY); \
             INSERT INTO a VALUES (1, 'x'); INSERT INTO b VALUES (1);",
        );
        let raw = std::env::var(VAR).expect("url");
        let sep = if raw.contains('?') { '&' } else { '?' };
        let app = format!("{}_app", ts.name);
        let url = format!("{raw}{sep}schema={}&application_name={app}", ts.name);
        let store = open(&url, Mode::ReadOnly, jiff::civil::date(2026, 11, 22)).expect("store");
        let schema = store.schema().expect("schema");
        let (a, b) = (schema.table("a").expect("a"), schema.table("b").expect("b"));
        let werr = |e: std::io::Error| crate::error::Error::Runtime(e.to_string());
        let got = store
            .snapshot(|| {
                // The snapshot is the transaction's first statement's.
                assert_eq!(store.count(a)?, 1);
                ts.exec("INSERT INTO a VALUES (2, 'later'); INSERT INTO b VALUES (2)");
                let mut fa = Vec::new();
                let na = store.copy_csv(a, &mut fa, &werr)?;
                ts.exec("INSERT INTO b VALUES (3)");
                let mut fb = Vec::new();
                let nb = store.copy_csv(b, &mut fb, &werr)?;
                Ok((fa, na, fb, nb))
            })
            .expect("snapshot");
        assert_eq!(
            got,
            (b"1,x\r\n".to_vec(), Some(1), b"1\r\n".to_vec(), Some(1))
        );
        let mut fb = Vec::new();
        assert_eq!(store.copy_csv(b, &mut fb, &werr).expect("copy"), Some(3));
        assert_eq!(fb, b"1\r\n2\r\n3\r\n");

        // The second session ended by the server between two tables.
        let mut admin = crate::store::pg::testing::admin().expect("admin");
        let e = store
            .snapshot(|| {
                store.copy_csv(a, &mut Vec::new(), &werr)?;
                // The second session's last statement is its COPY; the
                // first's was pg_export_snapshot().
                let n = admin
                    .execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE application_name = $1 AND query LIKE 'COPY%'",
                        &[&app],
                    )
                    .expect("terminate");
                assert_eq!(n, 1);
                std::thread::sleep(std::time::Duration::from_millis(200));
                store.copy_csv(b, &mut Vec::new(), &werr)
            })
            .expect_err("a lost second session");
        let m = e.to_string();
        assert!(m.contains("while reading b"), "{m}");
        // The next copy opens a new second session.
        assert_eq!(
            store.copy_csv(b, &mut Vec::new(), &werr).expect("copy"),
            Some(3)
        );
    }

    /// A role allowed one connection (as a server at max_connections):
    /// the second session is refused, and the export copies on the first,
    /// in its snapshot, with the same bytes.
    #[test]
    fn with_one_connection_the_copy_runs_on_the_first_session() {
        let Some(ts) = TestSchema::new("copyone") else {
            return;
        };
        ts.exec("CREATE TABLE a (id bigint PRIMARY KEY, t text); INSERT INTO a VALUES (1, '=x'), (2, 'y');");
        let role = format!("{}_one", ts.name);
        let (r, s) = (quote(&role), quote(&ts.name));
        ts.exec(&format!(
            "CREATE ROLE {r} LOGIN CONNECTION LIMIT 1; GRANT USAGE ON SCHEMA {s} TO {r}; \
             GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}"
        ));
        let _drop = DropRole(role.clone());
        let mut u = ts.url();
        u.user = role;
        let store = open(
            &u.to_string(),
            Mode::ReadOnly,
            jiff::civil::date(2026, 11, 22),
        )
        .expect("store");
        let schema = store.schema().expect("schema");
        let a = schema.table("a").expect("a");
        let werr = |e: std::io::Error| crate::error::Error::Runtime(e.to_string());
        let got = store
            .snapshot(|| {
                assert_eq!(store.count(a)?, 2);
                ts.exec("INSERT INTO a VALUES (3, 'later')");
                let (mut f1, mut f2) = (Vec::new(), Vec::new());
                let n1 = store.copy_csv(a, &mut f1, &werr)?;
                let n2 = store.copy_csv(a, &mut f2, &werr)?;
                Ok((f1, n1, f2, n2))
            })
            .expect("snapshot");
        let want = b"1,'=x\r\n2,y\r\n".to_vec();
        assert_eq!(got, (want.clone(), Some(2), want, Some(2)));
    }

    /// Formula text gets its `'` in front whether the field is quoted or
    /// not, a chunk ending anywhere (after a field's opening quote too);
    /// empty text and NULL stay, as do numbers in columns left as they
    /// are; booleans are spelt out.
    #[test]
    fn fields_are_fixed_per_column_across_chunks() {
        use CsvFix::{AsIs, Bool, Neutralise};
        let stream: &[u8] = b"-5,=a,\"-x,y\",t,,\"\"\n+1,\"\r\n\",@,f,\"\"\"q\",'\n";
        let want: &[u8] = b"-5,'=a,\"'-x,y\",true,,\"\"\r\n+1,\"'\r\n\",'@,false,\"\"\"q\",''\r\n";
        for cut in 0..stream.len() {
            let mut c = Crlf::new(vec![
                AsIs, Neutralise, Neutralise, Bool, Neutralise, Neutralise,
            ]);
            let mut out = Vec::new();
            c.feed(&stream[..cut], &mut out).expect("feed");
            c.feed(&stream[cut..], &mut out).expect("feed");
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(want),
                "cut at {cut}"
            );
            assert_eq!(c.records, 2);
        }
    }

    #[test]
    fn record_ends_become_crlf_and_quoted_breaks_stay() {
        let mut c = Crlf::new(Vec::new());
        let mut out = Vec::new();
        // One record split across chunks inside a quoted field with a
        // doubled quote and a line break.
        for chunk in [&b"1,\"a\n"[..], b"b\"\"c\"", b",x\n2,,\"\"\n"] {
            c.feed(chunk, &mut out).expect("feed");
        }
        assert_eq!(out, b"1,\"a\nb\"\"c\",x\r\n2,,\"\"\r\n");
        assert_eq!(c.records, 2);
    }
}
