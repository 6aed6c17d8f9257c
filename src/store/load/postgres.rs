//! Loading into a PostgreSQL schema: one transaction holding the tenant's
//! lock, the rows sent with `COPY … FROM STDIN` (text format) in chunks of
//! about a megabyte per table, then the DDL that follows the rows. A
//! thread of its own sends the chunks while the caller makes the next
//! rows, so that generating and the server's work overlap. A failure
//! anywhere, or a kill, leaves the schema as it was: the server rolls the
//! transaction back.
//!
//! Values arrive as the generator made them for SQLite (ISO text, Unix
//! seconds, 0/1); PostgreSQL's input functions read ISO text into `date`
//! and `timestamptz` and 0/1 into `boolean` themselves, and an integer for
//! a `date` or `timestamp[tz]` column is taken as Unix seconds and written
//! as that instant in UTC.

use super::{Ddl, Existing, Inserter, Loader, TableId};
use crate::error::{Error, Result};
use crate::store::pg::errors::sql_error;
use crate::store::pg::lock::{holder, tenant_key};
use crate::store::pg::{connect, PgConn, PgUrl};
use crate::store::schema::quote;
use crate::value::Value;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::io::Write;
use std::sync::mpsc;

/// Rows of one table are sent once this many bytes of them are buffered.
const CHUNK: usize = 1 << 20;
/// Chunks made but not yet sent (memory: at most this many more chunks).
const QUEUE: usize = 4;

/// One table's buffered rows: (table, COPY text, rows).
type Chunk = (usize, Vec<u8>, u64);

pub struct PgLoader {
    conn: PgConn,
    tables: Vec<PgTable>,
}

struct PgTable {
    name: String,
    /// The COPY statement, with the schema-qualified, quoted name.
    copy: String,
    kinds: Vec<Kind>,
}

/// What a value must be written as, by the column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Timestamptz,
    Timestamp,
    Date,
    Bytea,
    Other,
}

impl PgLoader {
    pub fn open(url: &PgUrl) -> Result<PgLoader> {
        let mut conn = connect(url)?;
        if conn.in_recovery {
            return Err(Error::Runtime(format!(
                "the PostgreSQL server at {} is a standby, which only reads (for {}); point --store at the primary; nothing was changed",
                url.target(),
                url.place()
            )));
        }
        let may_create: bool = conn
            .client
            .query_one(
                "SELECT pg_catalog.has_schema_privilege(oid, 'CREATE') FROM pg_catalog.pg_namespace WHERE nspname = $1",
                &[&url.schema],
            )
            .map(|r| r.get(0))
            .map_err(|e| conn.err("checking the privileges on the schema", e))?;
        if !may_create {
            return Err(Error::Runtime(format!(
                "user {} may not create tables in schema {} (database {} on {}); ask the database's owner to GRANT CREATE ON SCHEMA {} TO {}, or use a schema of your own; nothing was changed",
                url.user,
                url.schema,
                url.dbname,
                url.target(),
                quote(&url.schema),
                quote(&url.user)
            )));
        }
        // Only the tenant's schema on the search path: every name in the
        // DDL is that schema's. No statement timeout for the load's own
        // statements (an index over millions of rows takes a while).
        conn.client
            .batch_execute(&format!(
                "BEGIN; SET LOCAL search_path TO {}; SET LOCAL statement_timeout = 0",
                quote(&url.schema)
            ))
            .map_err(|e| conn.err("starting the transaction", e))?;
        // The tenant's lock, for the transaction: a sweep, or another load,
        // must not work on tables half made.
        let key = tenant_key(&url.dbname, &url.schema);
        let got: bool = conn
            .client
            .query_one("SELECT pg_catalog.pg_try_advisory_xact_lock($1)", &[&key])
            .map(|r| r.get(0))
            .map_err(|e| conn.err("taking the tenant's lock", e))?;
        if !got {
            let who = holder(&mut conn, key)?.unwrap_or_else(|| "holder unknown".into());
            return Err(Error::Locked(format!(
                "another session holds the lock of {} ({who}): a dsr sweep, or another dsr demo; try again when it is done; nothing was changed",
                url.place()
            )));
        }
        Ok(PgLoader {
            conn,
            tables: Vec::new(),
        })
    }
}

/// Sends one chunk of a table's rows with COPY.
fn copy_chunk(conn: &mut PgConn, t: &PgTable, buf: &[u8], rows: u64) -> Result<()> {
    let PgConn { client, url, .. } = conn;
    let doing = format!("loading the rows of {}", t.name);
    let mut w = client
        .copy_in(t.copy.as_str())
        .map_err(|e| sql_error(url, &doing, &e))?;
    if let Err(e) = w.write_all(buf) {
        // The server's own reason, when it gave one, comes with finish.
        return Err(match w.finish() {
            Err(pe) => sql_error(url, &doing, &pe),
            Ok(_) => Error::Runtime(format!(
                "the connection to the PostgreSQL server at {} failed while {doing} in {}: {}; the transaction was rolled back",
                url.target(),
                url.place(),
                crate::error::io_reason(&e)
            )),
        });
    }
    let sent = w.finish().map_err(|e| sql_error(url, &doing, &e))?;
    if sent != rows {
        return Err(Error::Runtime(format!(
            "internal: PostgreSQL took {sent} rows of {} where {rows} were sent; the transaction was rolled back",
            t.name
        )));
    }
    Ok(())
}

impl Loader for PgLoader {
    fn describe(&self) -> String {
        self.conn.url.place()
    }

    fn existing(&mut self, names: &[&str]) -> Result<Vec<Existing>> {
        let rows = self
            .conn
            .client
            .query(
                "SELECT c.relname::text, c.relkind IN ('r', 'p'), pg_catalog.obj_description(c.oid, 'pg_class') \
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 \
                   AND (c.relname::text = ANY($2) OR (c.relname LIKE '\\_dsr\\_%' AND c.relkind IN ('r', 'p'))) \
                 ORDER BY 1",
                &[&self.conn.url.schema, &names],
            )
            .map_err(|e| self.conn.err("reading the schema's tables", e))?;
        Ok(rows
            .iter()
            .map(|r| Existing {
                name: r.get(0),
                table: r.get(1),
                comment: r.get(2),
            })
            .collect())
    }

    fn drop_tables(&mut self, names: &[String]) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        let schema = quote(&self.conn.url.schema);
        let list: Vec<String> = names
            .iter()
            .map(|n| format!("{schema}.{}", quote(n)))
            .collect();
        self.conn
            .client
            .batch_execute(&format!("DROP TABLE {}", list.join(", ")))
            .map_err(|e| self.conn.err("dropping the tables being replaced", e))
    }

    fn create(&mut self, ddl: &Ddl) -> Result<()> {
        self.conn
            .client
            .batch_execute(ddl.postgres)
            .map_err(|e| self.conn.err("creating the tables", e))
    }

    fn table(&mut self, name: &str, columns: &[&str]) -> Result<TableId> {
        let types = self
            .conn
            .client
            .query(
                "SELECT a.attname::text, t.typname::text \
                 FROM pg_catalog.pg_attribute a \
                 JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
                 JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped",
                &[&self.conn.url.schema, &name],
            )
            .map_err(|e| self.conn.err(&format!("reading the columns of {name}"), e))?;
        let mut kinds = Vec::with_capacity(columns.len());
        for col in columns {
            let typ: String = types
                .iter()
                .find(|r| r.get::<_, String>(0) == *col)
                .map(|r| r.get(1))
                .ok_or_else(|| {
                    Error::Runtime(format!(
                        "internal: table {name} has no column {col} in {}; the transaction was rolled back",
                        self.conn.url.place()
                    ))
                })?;
            kinds.push(match typ.as_str() {
                "timestamptz" => Kind::Timestamptz,
                "timestamp" => Kind::Timestamp,
                "date" => Kind::Date,
                "bytea" => Kind::Bytea,
                _ => Kind::Other,
            });
        }
        let cols: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        self.tables.push(PgTable {
            name: name.to_string(),
            copy: format!(
                "COPY {}.{} ({}) FROM STDIN",
                quote(&self.conn.url.schema),
                quote(name),
                cols.join(", ")
            ),
            kinds,
        });
        Ok(TableId(self.tables.len() - 1))
    }

    fn with_rows(&mut self, fill: &mut dyn FnMut(&mut dyn Inserter) -> Result<()>) -> Result<()> {
        let PgLoader { conn, tables } = self;
        let tables: &[PgTable] = tables;
        let place = conn.url.place();
        let (tx, rx) = mpsc::sync_channel::<Chunk>(QUEUE);
        std::thread::scope(|s| {
            let sender = s.spawn(move || -> Result<()> {
                for (i, buf, rows) in rx {
                    copy_chunk(conn, &tables[i], &buf, rows)?;
                }
                Ok(())
            });
            let mut ins = PgInserter {
                tables,
                bufs: tables.iter().map(|_| (Vec::new(), 0)).collect(),
                tx,
                place,
            };
            let made = fill(&mut ins).and_then(|()| ins.send_all());
            drop(ins);
            let sent = sender.join().unwrap_or_else(|_| {
                Err(Error::Runtime(
                    "internal: the thread sending rows to PostgreSQL failed; the transaction was rolled back".into(),
                ))
            });
            // The sender's failure first: it is why a send was refused.
            sent.and(made)
        })
    }

    fn finish(&mut self, after: &Ddl, comment: &str) -> Result<()> {
        self.conn
            .client
            .batch_execute(after.postgres)
            .map_err(|e| self.conn.err("creating the foreign keys and indexes", e))?;
        let schema = quote(&self.conn.url.schema);
        let literal = format!("'{}'", comment.replace('\'', "''"));
        let sql: String = self
            .tables
            .iter()
            .map(|t| format!("COMMENT ON TABLE {schema}.{} IS {literal};", quote(&t.name)))
            .collect();
        self.conn
            .client
            .batch_execute(&sql)
            .map_err(|e| self.conn.err("commenting the tables", e))
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        self.conn
            .client
            .batch_execute("COMMIT")
            .map_err(|e| self.conn.err("committing", e))
    }
}

/// Rows into per-table buffers, each handed to the sending thread when
/// it is full (and the rest at the end of the rows).
struct PgInserter<'l> {
    tables: &'l [PgTable],
    bufs: Vec<(Vec<u8>, u64)>,
    tx: mpsc::SyncSender<Chunk>,
    /// For messages: the sending thread has the connection.
    place: String,
}

impl PgInserter<'_> {
    fn send(&mut self, i: usize) -> Result<()> {
        let (buf, rows) = std::mem::take(&mut self.bufs[i]);
        self.tx.send((i, buf, rows)).map_err(|_| {
            // The sender stopped on an error, which with_rows reports.
            Error::Runtime("the rows could not be sent".into())
        })
    }

    fn send_all(&mut self) -> Result<()> {
        for i in 0..self.bufs.len() {
            if self.bufs[i].1 > 0 {
                self.send(i)?;
            }
        }
        Ok(())
    }
}

impl Inserter for PgInserter<'_> {
    fn insert(&mut self, table: TableId, row: &[Value]) -> Result<()> {
        let (Some(t), Some((buf, rows))) = (self.tables.get(table.0), self.bufs.get_mut(table.0))
        else {
            return Err(Error::Runtime(
                "internal: a row for an undeclared table".into(),
            ));
        };
        if row.len() != t.kinds.len() {
            return Err(Error::Runtime(format!(
                "internal: a row of {} values for the {} columns of {}",
                row.len(),
                t.kinds.len(),
                t.name
            )));
        }
        if buf.capacity() == 0 {
            buf.reserve(CHUNK + 4096);
        }
        for (k, (v, kind)) in row.iter().zip(&t.kinds).enumerate() {
            if k > 0 {
                buf.push(b'\t');
            }
            encode(buf, v, *kind).map_err(|why| {
                Error::Runtime(format!(
                    "cannot load a row of {} into {}: {why}; the transaction was rolled back",
                    t.name, self.place
                ))
            })?;
        }
        buf.push(b'\n');
        *rows += 1;
        if buf.len() >= CHUNK {
            self.send(table.0)?;
        }
        Ok(())
    }
}

/// Appends one value in COPY's text format.
fn encode(out: &mut Vec<u8>, v: &Value, kind: Kind) -> std::result::Result<(), String> {
    match (v, kind) {
        (Value::Null, _) => out.extend_from_slice(b"\\N"),
        (Value::Integer(i), Kind::Timestamptz | Kind::Timestamp | Kind::Date) => {
            instant(out, *i, kind)?
        }
        (Value::Integer(i), _) => {
            let _ = write!(out, "{i}");
        }
        (Value::Real(f), Kind::Timestamptz | Kind::Timestamp | Kind::Date) if f.is_finite() => {
            instant(out, f.floor() as i64, kind)?
        }
        (Value::Real(f), _) => {
            if f.is_nan() {
                out.extend_from_slice(b"NaN");
            } else if f.is_infinite() {
                out.extend_from_slice(if *f > 0.0 { b"Infinity" } else { b"-Infinity" });
            } else {
                let _ = write!(out, "{f}");
            }
        }
        (Value::Text(s), Kind::Bytea) => hex(out, s.as_bytes()),
        (Value::Text(s), _) => escape(out, s)?,
        (Value::Blob(b), Kind::Bytea) => hex(out, b),
        (Value::Blob(_), _) => return Err("binary data for a column that is not bytea".into()),
        (other, _) => escape(out, &other.display_text().unwrap_or_default())?,
    }
    Ok(())
}

/// Unix seconds as the instant in UTC, in the column's type.
fn instant(out: &mut Vec<u8>, secs: i64, kind: Kind) -> std::result::Result<(), String> {
    let ts = Timestamp::from_second(secs)
        .map_err(|_| format!("{secs} is out of range for a date as Unix seconds"))?;
    let _ = match kind {
        Kind::Date => write!(out, "{}", ts.to_zoned(TimeZone::UTC).date()),
        Kind::Timestamp => write!(out, "{}", ts.to_zoned(TimeZone::UTC).datetime()),
        _ => write!(out, "{ts}"),
    };
    Ok(())
}

/// Text with COPY's escapes for backslash, newline, carriage return and tab.
fn escape(out: &mut Vec<u8>, s: &str) -> std::result::Result<(), String> {
    let special = |b: u8| matches!(b, b'\\' | b'\n' | b'\r' | b'\t' | 0);
    if !s.bytes().any(special) {
        out.extend_from_slice(s.as_bytes());
        return Ok(());
    }
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0 => return Err("a text with a NUL character, which PostgreSQL cannot store".into()),
            b => out.push(b),
        }
    }
    Ok(())
}

/// bytea's hex input (`\x…`), its backslash escaped for COPY.
fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\\\x");
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{open, Target};
    use super::*;
    use crate::store::pg::testing::{self, TestSchema};

    fn enc(v: Value, kind: Kind) -> String {
        let mut out = Vec::new();
        encode(&mut out, &v, kind).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn values_in_copy_text_format() {
        assert_eq!(enc(Value::Null, Kind::Other), "\\N");
        assert_eq!(enc(Value::Integer(-7), Kind::Other), "-7");
        assert_eq!(
            enc(Value::Integer(1_000_000_000), Kind::Timestamptz),
            "2001-09-09T01:46:40Z"
        );
        assert_eq!(
            enc(Value::Integer(1_000_000_000), Kind::Timestamp),
            "2001-09-09T01:46:40"
        );
        assert_eq!(enc(Value::Integer(1_000_000_000), Kind::Date), "2001-09-09");
        assert_eq!(enc(Value::Real(1234.5), Kind::Other), "1234.5");
        assert_eq!(enc(Value::Real(f64::NAN), Kind::Other), "NaN");
        assert_eq!(
            enc(Value::Real(f64::NEG_INFINITY), Kind::Other),
            "-Infinity"
        );
        assert_eq!(
            enc(Value::Text("a\\b\tc\nd\re".into()), Kind::Other),
            "a\\\\b\\tc\\nd\\re"
        );
        assert_eq!(enc(Value::Text("Åsa".into()), Kind::Other), "Åsa");
        assert_eq!(enc(Value::Blob(vec![0, 0xab]), Kind::Bytea), "\\\\x00ab");
        let mut out = Vec::new();
        assert!(encode(&mut out, &Value::Text("a\0b".into()), Kind::Other).is_err());
        assert!(encode(&mut out, &Value::Blob(vec![1]), Kind::Other).is_err());
        assert!(encode(&mut out, &Value::Integer(i64::MAX), Kind::Date).is_err());
    }

    #[test]
    fn awkward_values_go_through_copy_unchanged_and_only_a_commit_shows_them() {
        let Some(t) = TestSchema::new("load_copy") else {
            return;
        };
        let ddl = Ddl {
            sqlite: "",
            postgres: "CREATE TABLE a (t text, ts timestamptz, d date, b boolean, n numeric, f float8, by bytea, ip inet)",
        };
        let cols = ["t", "ts", "d", "b", "n", "f", "by", "ip"];
        // Dropped without a commit: nothing is left.
        let mut l = open(Target::Postgres(&t.url())).unwrap();
        l.create(&ddl).unwrap();
        drop(l);
        let mut admin = testing::admin().unwrap();
        let tables = |c: &mut postgres::Client| -> i64 {
            c.query_one(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
                &[&t.name],
            )
            .unwrap()
            .get(0)
        };
        assert_eq!(tables(&mut admin), 0);

        let mut l = open(Target::Postgres(&t.url())).unwrap();
        assert_eq!(l.describe(), t.url().place());
        l.create(&ddl).unwrap();
        let id = l.table("a", &cols).unwrap();
        assert!(l.table("a", &["nope"]).is_err());
        l.with_rows(&mut |ins| {
            ins.insert(
                id,
                &[
                    Value::Text("tab\there\nnew \\N back\\ cr\r Åsa".into()),
                    Value::Integer(1_000_000_000),
                    Value::Text("2026-05-14".into()),
                    Value::Integer(1),
                    Value::Real(1234.5),
                    Value::Real(f64::INFINITY),
                    Value::Blob(vec![0, 0x5c, 255]),
                    Value::Text("10.20.0.3".into()),
                ],
            )?;
            ins.insert(id, &vec![Value::Null; 8])?;
            // Several chunks, and the last one sent at the end of the rows.
            for k in 0..60_000 {
                ins.insert(
                    id,
                    &[
                        Value::Text(format!("row {k} {}", "x".repeat(20))),
                        Value::Text("2024-05-14T10:00:00Z".into()),
                        Value::Integer(0),
                        Value::Integer(0),
                        Value::Integer(k),
                        Value::Real(0.1),
                        Value::Null,
                        Value::Null,
                    ],
                )?;
            }
            Ok(())
        })
        .unwrap();
        l.finish(
            &Ddl {
                sqlite: "",
                postgres: "",
            },
            "it's the demo's",
        )
        .unwrap();
        assert_eq!(tables(&mut admin), 0, "visible before the commit");
        l.commit().unwrap();
        let q = quote(&t.name);
        let r = admin
            .query_one(
                &format!(
                    "SELECT t, extract(epoch from ts)::bigint, d::text, b, n::text, f::text, encode(by, 'hex'), host(ip), \
                     obj_description('{}.a'::regclass, 'pg_class') FROM {q}.a WHERE t LIKE 'tab%'",
                    q.replace('\'', "''")
                ),
                &[],
            )
            .unwrap();
        assert_eq!(r.get::<_, String>(0), "tab\there\nnew \\N back\\ cr\r Åsa");
        assert_eq!(r.get::<_, i64>(1), 1_000_000_000);
        assert_eq!(r.get::<_, String>(2), "2026-05-14");
        assert!(r.get::<_, bool>(3));
        assert_eq!(r.get::<_, String>(4), "1234.5");
        assert_eq!(r.get::<_, String>(5), "Infinity");
        assert_eq!(r.get::<_, String>(6), "005cff");
        assert_eq!(r.get::<_, String>(7), "10.20.0.3");
        assert_eq!(r.get::<_, String>(8), "it's the demo's");
        let r = admin
            .query_one(
                &format!("SELECT count(*), count(t), sum(n)::text, count(*) FILTER (WHERE NOT b) FROM {q}.a"),
                &[],
            )
            .unwrap();
        assert_eq!(r.get::<_, i64>(0), 60_002);
        assert_eq!(r.get::<_, i64>(1), 60_001);
        assert_eq!(
            r.get::<_, String>(2),
            format!("{}", 1234.5 + (0..60_000i64).sum::<i64>() as f64)
        );
        assert_eq!(r.get::<_, i64>(3), 60_000);
        // A row the server refuses: the load fails, named.
        let mut l = open(Target::Postgres(&t.url())).unwrap();
        let id = l.table("a", &cols).unwrap();
        let e = l
            .with_rows(&mut |ins| {
                ins.insert(
                    id,
                    &[
                        Value::Text("x".into()),
                        Value::Text("not a time".into()),
                        Value::Null,
                        Value::Null,
                        Value::Null,
                        Value::Null,
                        Value::Null,
                        Value::Null,
                    ],
                )
            })
            .unwrap_err();
        assert!(
            e.to_string().starts_with(&format!(
                "PostgreSQL failed while loading the rows of a in {}: invalid input syntax for type timestamp with time zone: \"not a time\"",
                t.url().place()
            )),
            "{e}"
        );
        drop(l);
        let n: i64 = admin
            .query_one(&format!("SELECT count(*) FROM {q}.a"), &[])
            .unwrap()
            .get(0);
        assert_eq!(n, 60_002);
    }
}
