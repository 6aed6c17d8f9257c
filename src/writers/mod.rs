//! Writers of personal data to files: created 0600, written under a
//! temporary name in the same directory and renamed into place at the end,
//! so that a failure leaves no partial file and nothing is overwritten
//! without `--force`.

pub mod csv;
pub mod html;
pub mod info;
pub mod json;
pub mod xlsx;

use crate::error::{io_reason, Error, Result};
use crate::labels::show::{is_date_column, Shape};
use crate::labels::{self, Lang};
use crate::map::DataMap;
use crate::report::{Doc, TableRows};
use crate::value::Value;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written; becomes visible at `path` only on [`Pending::commit`].
pub struct Pending {
    tmp: PathBuf,
    path: PathBuf,
    force: bool,
    out: Option<BufWriter<File>>,
    /// Renamed into place: the temporary name is gone.
    done: bool,
}

fn refuse_existing(path: &Path) -> Error {
    refuse(path, "a file")
}

fn refuse(path: &Path, what: &str) -> Error {
    Error::Usage(format!(
        "{} already exists; dsr never overwrites {what} that may hold personal data: choose another path, or pass --force",
        path.display()
    ))
}

/// Refuses an existing output before anything is read: a file for json,
/// xlsx and html; for csv a directory that exists and is not empty.
pub fn check_output(path: &Path, force: bool, dir: bool) -> Result<()> {
    if is_stdout(path) {
        if dir {
            return Err(Error::Usage(
                "--format csv writes a directory of files, so it cannot go to standard output (-o -); give -o DIR".into(),
            ));
        }
        return Ok(());
    }
    let taken = if dir {
        std::fs::read_dir(path).map_or(path.exists(), |mut d| d.next().is_some())
    } else {
        path.exists()
    };
    if taken && !force {
        return Err(refuse(path, if dir { "files" } else { "a file" }));
    }
    Ok(())
}

/// `-o -`: standard output (DESIGN §3), never a file named `-`.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// An output path as a status line names it.
pub fn shown(path: &Path) -> String {
    if is_stdout(path) {
        "standard output".into()
    } else {
        path.display().to_string()
    }
}

impl Pending {
    /// A file at `path`, or with `-o -` a private spool file whose contents
    /// go to standard output on commit (so that, as for files, nothing is
    /// released before the audit record commits).
    pub fn create(path: &Path, force: bool) -> Result<Pending> {
        if !force && !is_stdout(path) && path.exists() {
            return Err(refuse_existing(path));
        }
        let (dir, name) = if is_stdout(path) {
            (std::env::temp_dir(), "stdout".to_string())
        } else {
            dir_and_name(path)
        };
        let tmp = dir.join(format!(".{name}.dsr-{}.tmp", std::process::id()));
        let f = create_private(&tmp).map_err(|e| {
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
            out: Some(BufWriter::with_capacity(1 << 16, f)),
            done: false,
        })
    }

    /// The directory the file is written in (for a writer's own scratch files).
    pub fn dir(&self) -> PathBuf {
        dir_and_name(&self.tmp).0
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.out.as_mut().expect("writer used after commit")
    }

    pub fn write_error(&self, e: std::io::Error) -> Error {
        write_failed(&self.path, e)
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(mut self) -> Result<PathBuf> {
        let out = self.out.take().expect("commit once");
        let f = out
            .into_inner()
            .map_err(|e| self.write_error(e.into_error()))?;
        if is_stdout(&self.path) {
            drop(f);
            let copied = File::open(&self.tmp).and_then(|mut spool| {
                let stdout = std::io::stdout();
                let mut w = stdout.lock();
                std::io::copy(&mut spool, &mut w)?;
                w.flush()
            });
            // Drop removes the spool file.
            copied.map_err(crate::error::stdout_error)?;
            return Ok(self.path.clone());
        }
        f.sync_all().map_err(|e| self.write_error(e))?;
        if !self.force && self.path.exists() {
            return Err(refuse_existing(&self.path));
        }
        std::fs::rename(&self.tmp, &self.path).map_err(|e| self.write_error(e))?;
        self.done = true;
        Ok(self.path.clone())
    }
}

impl Drop for Pending {
    /// A file never renamed into place (a failure anywhere, also in
    /// `commit`) is removed.
    fn drop(&mut self) {
        if !self.done {
            self.out = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes one JSON document, pretty, with a final newline.
pub fn write_json(w: &mut impl Write, doc: &impl serde::Serialize) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, doc)?;
    w.write_all(b"\n")
}

/// Writing an output failed; the temporary file or directory goes with it.
pub fn write_failed(path: &Path, e: std::io::Error) -> Error {
    Error::Runtime(format!(
        "writing {} failed: {}; nothing was left behind",
        path.display(),
        io_reason(&e)
    ))
}

/// The directory and bare file name of an output path.
fn dir_and_name(path: &Path) -> (PathBuf, String) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (dir, name)
}

/// Creates a new file holding personal data: mode 0600, never over an
/// existing one.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// A directory of files being written (CSV): built under a temporary name
/// beside `path`, mode 0700, and renamed into place only on
/// [`PendingDir::commit`]; dropped uncommitted, it is removed.
pub struct PendingDir {
    tmp: PathBuf,
    path: PathBuf,
    force: bool,
    committed: bool,
}

/// Whether `path` may receive a new output directory: absent, an empty
/// directory, or (with --force) a directory holding only `.csv` files, as an
/// earlier export left it. Anything else is refused, --force or not, so that
/// a mistyped `-o` never removes someone's files.
fn check_dir_target(path: &Path, force: bool) -> Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(Error::Runtime(format!(
                "cannot inspect {}: {}",
                path.display(),
                io_reason(&e)
            )))
        }
    };
    if !meta.is_dir() {
        return Err(Error::Usage(format!(
            "{} already exists and is not a directory; with --format csv, -o names a directory to create: choose another path",
            path.display()
        )));
    }
    let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(path)
        .and_then(|d| d.collect::<std::io::Result<_>>())
        .map_err(|e| {
            Error::Runtime(format!(
                "cannot read the directory {}: {}",
                path.display(),
                io_reason(&e)
            ))
        })?;
    if entries.is_empty() {
        return Ok(());
    }
    if !force {
        return Err(Error::Usage(format!(
            "{} already exists and is not empty; dsr never overwrites files that may hold personal data: choose another path, or pass --force to replace an earlier CSV export",
            path.display()
        )));
    }
    let only_csv = entries.iter().all(|e| {
        e.file_type().is_ok_and(|t| t.is_file()) && e.path().extension().is_some_and(|x| x == "csv")
    });
    if !only_csv {
        return Err(Error::Usage(format!(
            "{} holds files other than .csv files; --force replaces only a directory of an earlier CSV export: choose another path",
            path.display()
        )));
    }
    Ok(())
}

impl PendingDir {
    pub fn create(path: &Path, force: bool) -> Result<PendingDir> {
        check_dir_target(path, force)?;
        let (dir, name) = dir_and_name(path);
        let tmp = dir.join(format!(".{name}.dsr-{}.tmp", std::process::id()));
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(&tmp).map_err(|e| {
            Error::Runtime(format!(
                "cannot create the directory {name} in {}: {}; check that the directory exists and is writable",
                dir.display(),
                io_reason(&e)
            ))
        })?;
        Ok(PendingDir {
            tmp,
            path: path.to_path_buf(),
            force,
            committed: false,
        })
    }

    /// A new 0600 file in the directory being built.
    pub fn file(&self, name: &str) -> std::io::Result<BufWriter<File>> {
        create_private(&self.tmp.join(name)).map(|f| BufWriter::with_capacity(1 << 16, f))
    }

    pub fn write_error(&self, e: std::io::Error) -> Error {
        write_failed(&self.path, e)
    }

    /// Renames the directory into place (replacing an empty directory, or
    /// with --force an earlier CSV export).
    pub fn commit(mut self) -> Result<PathBuf> {
        check_dir_target(&self.path, self.force)?;
        if self.path.exists() {
            let (dir, name) = dir_and_name(&self.path);
            let old = dir.join(format!(".{name}.dsr-{}.old", std::process::id()));
            std::fs::rename(&self.path, &old).map_err(|e| self.write_error(e))?;
            std::fs::rename(&self.tmp, &self.path).map_err(|e| self.write_error(e))?;
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&self.tmp, &self.path).map_err(|e| self.write_error(e))?;
        }
        self.committed = true;
        Ok(self.path.clone())
    }
}

impl Drop for PendingDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

/// An output being written: a file, or a directory of files (CSV).
pub enum Output {
    File(Pending),
    Dir(PendingDir),
}

impl Output {
    pub fn commit(self) -> Result<PathBuf> {
        match self {
            Output::File(p) => p.commit(),
            Output::Dir(d) => d.commit(),
        }
    }
}

/// A column as the table writers see it: its name, its category from the
/// map, and for the outputs meant for people its label and how its values
/// read ([`Shape`]: dates, personnummer).
#[derive(Debug, Clone)]
pub struct ColumnHead {
    pub name: String,
    pub category: Option<String>,
    pub label: Option<String>,
    pub shape: Shape,
}

impl ColumnHead {
    /// A column by its name and category; integers are times in a date
    /// column ([`is_date_column`]).
    pub fn new(name: &str, category: Option<String>) -> ColumnHead {
        let shape = if is_date_column(name, category.as_deref()) {
            Shape::Date
        } else {
            Shape::Plain
        };
        ColumnHead {
            name: name.to_string(),
            category,
            label: None,
            shape,
        }
    }

    /// The column of a mapped table, labelled for people.
    pub fn labelled(map: &DataMap, table: &str, name: &str, lang: Lang) -> ColumnHead {
        let t = map.table(table);
        ColumnHead {
            name: name.to_string(),
            category: t
                .and_then(|t| t.column(name))
                .and_then(|c| c.category.clone()),
            label: t.and_then(|t| labels::column(map, t, name, lang)),
            shape: labels::show::shape(t, name),
        }
    }

    /// The label, or the name where there is none.
    pub fn title(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }
}

/// Writes tables row by row, in constant memory: XLSX, CSV and the
/// streaming JSON of a whole-tenant export.
pub trait TableSink {
    fn begin_table(&mut self, name: &str, columns: &[ColumnHead]) -> std::io::Result<()>;
    fn row(&mut self, values: &[Value]) -> std::io::Result<()>;
    fn end_table(&mut self) -> std::io::Result<()>;
}

/// A JSON value of a `dsr.extract/1` row as a stored value (blobs are
/// already base64 text there). A number whose digits a double does not
/// give back exactly (a `numeric`'s `12.50`) stays exact digits.
pub fn json_to_value(j: &serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::Integer(i),
            (None, Some(f)) if serde_json::Number::from_f64(f).as_ref() == Some(n) => {
                Value::Real(f)
            }
            _ => Value::Numeric(n.to_string()),
        },
        serde_json::Value::String(s) => Value::Text(s.clone()),
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(json_to_value).collect()),
        other => Value::Json(other.to_string()),
    }
}

/// What a document table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// Rows of a mapped table that belong to the subject.
    Rows,
    /// Excerpts of other people's free text that name the subject.
    Mentions,
    /// The subject's requests in the register.
    Requests,
}

/// Where a document table's rows are: held (mentions, requests), or a
/// table of the document whose rows may stream from the store.
pub enum DocRows<'d> {
    Held(Vec<Vec<Value>>),
    Table(&'d TableRows<'d>),
}

/// One table of a `dsr.extract/1`-shaped document: its name (for people:
/// its label), columns and rows as values.
pub struct DocTable<'d> {
    pub name: String,
    /// The mapped table this came from.
    pub source: String,
    pub kind: DocKind,
    /// The map's description of the table, for people.
    pub description: Option<String>,
    pub columns: Vec<ColumnHead>,
    pub rows: DocRows<'d>,
}

/// A value of the document as the table writers take it: as the JSON
/// gives it back ([`json_to_value`] of [`Value::to_json`]: blobs as base64
/// text, a JSON document's scalars as scalars), so that every format shows
/// what the JSON holds.
pub fn doc_value(v: &Value) -> Value {
    match v {
        Value::Null | Value::Integer(_) | Value::Text(_) => v.clone(),
        // A finite real comes back as itself; NaN and the infinities are
        // JSON's null.
        Value::Real(f) if f.is_finite() => Value::Real(*f),
        Value::Real(_) => Value::Null,
        Value::Numeric(d) => plain_numeric(d).unwrap_or_else(|| json_to_value(&v.to_json())),
        other => json_to_value(&other.to_json()),
    }
}

/// Whether a value is its own [`doc_value`].
fn is_doc_value(v: &Value) -> bool {
    match v {
        Value::Null | Value::Integer(_) | Value::Text(_) => true,
        Value::Real(f) => f.is_finite(),
        _ => false,
    }
}

/// [`doc_value`] of exact digits in plain form (`-?(0|[1-9][0-9]*)`, with
/// or without `.[0-9]+`: what PostgreSQL writes for a `numeric`), without
/// the JSON round trip: an integer where an `i64` holds it; a real where
/// the JSON writes that real with these very digits, else the digits.
/// `None` for any other form (and integers beyond an `i64`).
fn plain_numeric(d: &str) -> Option<Value> {
    let body = d.strip_prefix('-').unwrap_or(d);
    let (int, frac) = match body.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (int.len() > 1 && int.starts_with('0')) || !frac.is_none_or(digits) {
        return None;
    }
    if frac.is_none() {
        return d.parse::<i64>().ok().map(Value::Integer);
    }
    Some(match d.parse::<f64>() {
        Ok(f) if serde_json::Number::from_f64(f).is_some_and(|n| n.as_str() == d) => Value::Real(f),
        _ => Value::Numeric(d.to_string()),
    })
}

impl DocTable<'_> {
    /// Calls `f` with each row's values, in order (streamed from the store
    /// where the document left them there).
    pub fn each_row(&self, mut f: impl FnMut(&[Value]) -> Result<()>) -> Result<()> {
        match &self.rows {
            DocRows::Held(rows) => rows.iter().try_for_each(|r| f(r)),
            DocRows::Table(t) => {
                let mut buf: Vec<Value> = Vec::with_capacity(t.columns.len());
                t.each(|vals| {
                    buf.clear();
                    buf.extend(vals.iter().map(|v| doc_value(v)));
                    f(&buf)
                })
            }
        }
    }
}

impl DocTable<'_> {
    /// [`DocTable::each_row`] without copying the values that are already
    /// what the JSON gives back (nulls, integers, text, finite reals: the
    /// rows of a large copy), so that a row costs no allocation, nor those
    /// that `same` also says (values a writer shows as their [`doc_value`]
    /// without it); the others as their [`doc_value`].
    pub fn each_row_passing(
        &self,
        same: impl Fn(&Value) -> bool,
        mut f: impl FnMut(&[&Value]) -> Result<()>,
    ) -> Result<()> {
        let same = |v: &Value| is_doc_value(v) || same(v);
        match &self.rows {
            DocRows::Held(rows) => {
                let mut refs: Vec<&Value> = Vec::new();
                rows.iter().try_for_each(|r| {
                    refs.clear();
                    refs.extend(r.iter());
                    f(&refs)
                })
            }
            DocRows::Table(t) => {
                // The values that are not (a `numeric`'s in a large copy),
                // and the row's references: buffers kept from row to row.
                let mut owned: Vec<Value> = Vec::new();
                let mut spare: Vec<&'static Value> = Vec::new();
                t.each(|vals| {
                    if vals.iter().all(|v| same(v)) {
                        return f(vals);
                    }
                    owned.clear();
                    owned.extend(vals.iter().filter(|v| !same(v)).map(|v| doc_value(v)));
                    let mut refs = recycle(std::mem::take(&mut spare));
                    let mut next = owned.iter();
                    refs.extend(vals.iter().map(|v| {
                        if same(v) {
                            *v
                        } else {
                            next.next().unwrap_or(v)
                        }
                    }));
                    let res = f(&refs);
                    spare = recycle(refs);
                    res
                })
            }
        }
    }
}

/// An empty vector of references of another lifetime, in the same
/// allocation (the standard library collects a `vec::IntoIter` in place).
fn recycle<'b>(mut v: Vec<&Value>) -> Vec<&'b Value> {
    v.clear();
    // `filter_map`, not `filter`: the element type changes (its lifetime).
    #[allow(clippy::unnecessary_filter_map)]
    v.into_iter().filter_map(|_| None).collect()
}

/// For the outputs meant for people: the map and the language their labels
/// come from.
#[derive(Clone, Copy)]
pub struct People<'a> {
    pub map: &'a DataMap,
    pub lang: Lang,
}

/// The data tables of an extract-like document, then its mentions (one row
/// per excerpt, after the key), in document order. With `people`, tables
/// and columns carry their labels.
pub fn doc_tables<'d>(doc: &Doc<'d>, map: &DataMap, people: Option<People>) -> Vec<DocTable<'d>> {
    let lang = people.map_or(Lang::En, |p| p.lang);
    let l = info::labels(lang);
    let mut out = Vec::new();
    for (name, t) in doc.tables() {
        let columns: Vec<ColumnHead> = t
            .rows
            .columns
            .iter()
            .map(|k| match people {
                Some(p) => ColumnHead::labelled(p.map, name, k, p.lang),
                None => ColumnHead::new(k, commands_category(map, name, k)),
            })
            .collect();
        let mt = map.table(name);
        out.push(DocTable {
            name: match (people, mt) {
                (Some(p), Some(t)) => labels::table(t, p.lang),
                _ => name.to_string(),
            },
            source: name.to_string(),
            kind: DocKind::Rows,
            description: people.and_then(|p| {
                mt.and_then(|t| t.description.as_ref())
                    .map(|d| d.get(p.lang).to_string())
            }),
            columns,
            rows: DocRows::Table(&t.rows),
        });
    }
    for (name, m) in doc.mentions().into_iter().flat_map(|m| m.iter()) {
        let source = name.split('.').next().unwrap_or(name);
        let key_names: Vec<String> = m
            .rows
            .first()
            .map(|r| r.key.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default();
        let mut columns: Vec<ColumnHead> = key_names
            .iter()
            .map(|k| match people {
                Some(p) => ColumnHead::labelled(p.map, source, k, p.lang),
                None => ColumnHead::new(k, None),
            })
            .collect();
        let mut excerpt = ColumnHead::new("excerpt", None);
        if people.is_some() {
            excerpt.label = Some(l.excerpt.to_string());
        }
        columns.push(excerpt);
        let mut values = Vec::new();
        for r in &m.rows {
            let key: Vec<Value> = key_names
                .iter()
                .map(|k| {
                    r.key
                        .iter()
                        .find(|(have, _)| have == k)
                        .map_or(Value::Null, |(_, v)| doc_value(v))
                })
                .collect();
            for e in &r.excerpts {
                let mut row = key.clone();
                row.push(Value::Text(e.clone()));
                values.push(row);
            }
        }
        let shown = match people {
            Some(p) => {
                let col = m.column.as_str();
                let t = labels::table_named(p.map, source, p.lang);
                let c = labels::column_or_name(p.map, source, col, p.lang);
                // The word first, so that a sheet name cut at 31
                // characters still says what the sheet holds.
                if t == c || name == source {
                    format!("{} – {t}", l.mentions_title)
                } else {
                    format!("{} – {t}, {c}", l.mentions_title)
                }
            }
            None => format!("{name} ({})", l.mentions),
        };
        out.push(DocTable {
            name: shown,
            source: source.to_string(),
            kind: DocKind::Mentions,
            description: None,
            columns,
            rows: DocRows::Held(values),
        });
    }
    out
}

fn commands_category(map: &DataMap, table: &str, column: &str) -> Option<String> {
    map.table(table)
        .and_then(|t| t.column(column))
        .and_then(|c| c.category.clone())
}

/// The subject's requests in the register (an extract's `requests`), as
/// one more table, for the formats meant for people.
pub fn requests_table<'d>(doc: &Doc<'d>, lang: Lang, people: bool) -> Option<DocTable<'d>> {
    let l = info::labels(lang);
    let rows = doc.requests()?;
    let columns: Vec<ColumnHead> = rows
        .first()?
        .fields
        .iter()
        .map(|(k, _)| {
            let mut c = ColumnHead::new(k, None);
            if people {
                c.label = info::request_field(k, lang).map(str::to_string);
                if matches!(*k, "received" | "due" | "closed_at") {
                    c.shape = Shape::Date;
                }
            }
            c
        })
        .collect();
    let rows = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| {
                    r.fields
                        .iter()
                        .find(|(k, _)| *k == c.name)
                        .map_or(Value::Null, |(_, v)| doc_value(v))
                })
                .collect()
        })
        .collect();
    Some(DocTable {
        name: l.requests.to_string(),
        // Its own source: not a mapped table, and not a table's mentions.
        source: l.requests.to_string(),
        kind: DocKind::Requests,
        description: None,
        columns,
        rows: DocRows::Held(rows),
    })
}

/// Feeds document tables into a sink, rows streamed where the document
/// left them in the store; `werr` names a failed write.
pub fn feed(
    tables: &[DocTable],
    sink: &mut impl TableSink,
    werr: &dyn Fn(std::io::Error) -> Error,
) -> Result<()> {
    for t in tables {
        sink.begin_table(&t.name, &t.columns).map_err(werr)?;
        t.each_row(|r| sink.row(r).map_err(werr))?;
        sink.end_table().map_err(werr)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact digits without the JSON round trip give what the round trip
    /// gives: integers, reals the JSON writes with the same digits, the
    /// digits otherwise, and the other forms through the JSON as before.
    #[test]
    fn numerics_are_what_the_json_gives_back() {
        let mut forms: Vec<String> = [
            "0",
            "-0",
            "7",
            "-12",
            "007",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775809",
            "0.0",
            "-0.0",
            "0.5",
            "12.5",
            "12.50",
            "12.0",
            "-12.0",
            "100.0",
            "0.1",
            "0.10",
            "00.1",
            "01.5",
            "1.",
            ".5",
            "-.5",
            "1e5",
            "1E5",
            "1.5e3",
            "123456789012345678901234567890.1",
            "1.00000000000000000001",
            "9007199254740993.0",
            "0.000001",
            "0.0000001",
            "1e-7",
            "123456789.123456789",
            "1234567890123456.0",
            "99999999999999999999.0",
            "NaN",
            "Infinity",
            "-Infinity",
            "",
            "-",
            "1.2.3",
            "+1",
            "1_0",
            "١.٥",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for i in 0..1000 {
            forms.push(format!("{}.{}", i / 10, i % 10));
            forms.push(format!("-{}.{:02}", i, i % 100));
        }
        forms.push(format!("{}.5", "9".repeat(400)));
        for d in forms {
            let v = Value::Numeric(d.clone());
            assert_eq!(doc_value(&v), json_to_value(&v.to_json()), "{d:?}");
        }
    }

    /// The table writers take a value as the JSON gives it back, without
    /// the round trip for the common types.
    #[test]
    fn doc_values_are_what_the_json_gives_back() {
        let vals = [
            Value::Null,
            Value::Integer(-7),
            Value::Text("t".into()),
            Value::Real(8.0),
            Value::Real(0.1),
            Value::Real(1e300),
            Value::Real(f64::NAN),
            Value::Blob(vec![1, 2]),
            Value::Numeric("12.50".into()),
            Value::Json("\"s\"".into()),
        ];
        for v in &vals {
            let want = json_to_value(&v.to_json());
            assert_eq!(doc_value(v), want, "{v:?}");
            let doc = crate::report::JsonCell(v);
            assert_eq!(
                serde_json::to_string(&doc).expect("json"),
                v.to_json().to_string(),
                "{v:?}"
            );
        }
    }

    #[test]
    fn extract_json_back_to_values_keeps_the_types() {
        let doc: serde_json::Value = serde_json::from_str(
            r#"[1, 2.5, 12.50, 18446744073709551616, true, "t", null, [1], {"a": 1}]"#,
        )
        .expect("json");
        let got: Vec<Value> = doc
            .as_array()
            .expect("array")
            .iter()
            .map(json_to_value)
            .collect();
        assert_eq!(
            got,
            [
                Value::Integer(1),
                Value::Real(2.5),
                Value::Numeric("12.50".into()),
                Value::Numeric("18446744073709551616".into()),
                Value::Bool(true),
                Value::Text("t".into()),
                Value::Null,
                Value::Array(vec![Value::Integer(1)]),
                Value::Json(r#"{"a":1}"#.into()),
            ]
        );
    }
}
