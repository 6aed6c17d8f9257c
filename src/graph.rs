//! The subject graph: which rows belong to a data subject. A row belongs when
//! one of its `identify` columns holds one of the subject's identifiers, or
//! when a link leads to it from a row that belongs. Belonging flows only
//! from a link's `to` table into the table that declares the link.

use crate::error::{Error, Result};
use crate::ident::{self, Kind};
use crate::map::{DataMap, OnErase, Table};
use crate::store::schema::{ColumnType, Schema, TableSchema};
use crate::store::{Filter, Row, Store};
use crate::value::Value;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

mod mentions;
pub use mentions::{held_ids, mention_ids, mentions, mentions_many, searchable, Mention};

/// One identifier of the subject, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubjectId {
    /// The identifier's name as the map declares it (`email`, `customer_id`).
    pub name: String,
    pub kind: Kind,
    pub key: String,
}

/// One identifier the subject was looked for by: given in the request, or
/// found in an `identify` column of one of the subject's own rows in a
/// `subjects = true` table (DESIGN §2, "The subject's identifiers").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub id: SubjectId,
    /// None: given; Some(table): the table of the row it was first found
    /// in (the earliest round of the expansion, then map order).
    pub found_in: Option<String>,
}

/// Parses `KIND:VALUE` arguments against the map's declared identifiers.
/// Messages never repeat the value: it may be a personnummer.
pub fn parse_subjects(
    map: &DataMap,
    args: &[String],
    today: jiff::civil::Date,
) -> Result<Vec<SubjectId>> {
    let declared = || {
        map.identifiers
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out: Vec<SubjectId> = Vec::new();
    for (n, a) in args.iter().enumerate() {
        let Some((name, value)) = a.split_once(':') else {
            return Err(Error::Usage(format!(
                "subject {} has no kind: write KIND:VALUE, e.g. email:anna@example.se; this map declares: {}",
                n + 1,
                declared()
            )));
        };
        let name = name.trim();
        let Some(decl) = map.identifier(name) else {
            // Never the whole of a long value: it may be personal data pasted
            // in the wrong place.
            let shown: String = name.chars().take(40).collect();
            let more = if shown.len() < name.len() { "…" } else { "" };
            return Err(Error::Usage(format!(
                "subject {}: \"{shown}{more}\" is not an identifier kind of this map; declared: {}",
                n + 1,
                declared()
            )));
        };
        let key = ident::normalize(decl.kind, value, today)
            .map_err(|e| Error::Usage(format!("subject {}: {e}", n + 1)))?;
        let id = SubjectId {
            name: name.to_string(),
            kind: decl.kind,
            key,
        };
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.is_empty() {
        return Err(Error::Usage(
            "name at least one subject as KIND:VALUE".into(),
        ));
    }
    Ok(out)
}

/// How a row came to belong: directly through `identify`, through links
/// (indices into its table's `links`), or both. The planner needs this to
/// pick the strongest `on_erase`.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    pub direct: bool,
    pub links: Links,
    /// For a root of a sweep: the action it gets (its rule's), instead of
    /// the table's on_erase.
    pub action: Option<OnErase>,
}

/// The links a row was reached through (indices into its table's `links`):
/// almost always one, kept without an allocation of its own (a subject may
/// have many thousand rows).
#[derive(Debug, Clone, Default)]
pub struct Links {
    first: Option<usize>,
    more: Vec<usize>,
}

impl Links {
    fn one(link: Option<usize>) -> Links {
        Links {
            first: link,
            more: Vec::new(),
        }
    }

    pub fn contains(&self, link: &usize) -> bool {
        self.first == Some(*link) || self.more.contains(link)
    }

    pub fn push(&mut self, link: usize) {
        match self.first {
            None => self.first = Some(link),
            Some(_) => self.more.push(link),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.first.into_iter().chain(self.more.iter().copied())
    }
}

/// The belonging rows of one mapped table.
#[derive(Debug, Default)]
pub struct Found {
    pub rows: Vec<Row>,
    pub reach: Vec<Reach>,
    /// For a leaf read for a copy ([`resolve_copy`]): the rows not held,
    /// but how to read them from the store. `rows` is then empty.
    pub linked: Option<Linked>,
    /// Row positions by the hash of their key, so that a key is not kept
    /// twice (a subject may have many thousand rows). Row keys are hashed
    /// often (every row of a sweep); FxHash is several times faster than the
    /// default SipHash, and keys are not attacker-chosen in a way that
    /// matters for a short-lived process.
    index: FxHashMap<u64, Slot>,
}

/// The rows whose keys have one hash: almost always one.
#[derive(Debug)]
enum Slot {
    One(usize),
    Many(Vec<usize>),
}

fn key_hash(key: &[Value]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    key.hash(&mut h);
    h.finish()
}

impl Found {
    /// Adds a row, or records the new way it was reached; true when new.
    fn add(&mut self, row: Row, direct: bool, link: Option<usize>) -> bool {
        let h = key_hash(&row.key);
        if let Some(i) = self.find(h, &row.key) {
            let r = &mut self.reach[i];
            r.direct |= direct;
            if let Some(l) = link {
                if !r.links.contains(&l) {
                    r.links.push(l);
                }
            }
            return false;
        }
        let at = self.rows.len();
        match self.index.get_mut(&h) {
            None => {
                self.index.insert(h, Slot::One(at));
            }
            Some(Slot::Many(v)) => v.push(at),
            Some(slot) => {
                if let Slot::One(first) = *slot {
                    *slot = Slot::Many(vec![first, at]);
                }
            }
        }
        self.rows.push(row);
        self.reach.push(Reach {
            direct,
            links: Links::one(link),
            action: None,
        });
        true
    }

    pub fn contains(&self, key: &[Value]) -> bool {
        self.position(key).is_some()
    }

    /// The index of the row with this key, if it belongs.
    pub fn position(&self, key: &[Value]) -> Option<usize> {
        self.find(key_hash(key), key)
    }

    fn find(&self, h: u64, key: &[Value]) -> Option<usize> {
        let is = |i: &usize| self.rows[*i].key.as_slice() == key;
        match self.index.get(&h)? {
            Slot::One(i) => Some(*i).filter(is),
            Slot::Many(v) => v.iter().copied().find(is),
        }
    }

    /// The rows that belong, held or not.
    pub fn len(&self) -> usize {
        self.rows.len() + self.linked.as_ref().map_or(0, |l| l.count as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The rows of a leaf table, not held: those whose link `columns` hold one
/// of `tuples` (the linked-to rows' values, distinct), `count` of them.
/// Read them with [`Store::select_in_key_order`].
#[derive(Debug, Clone)]
pub struct Linked {
    /// The index of the link in the table's `links`.
    pub link: usize,
    pub columns: Vec<String>,
    pub tuples: Vec<Vec<Value>>,
    pub count: u64,
}

/// Whether a table's rows need not be held when a copy is made: nothing is
/// read through them (no link leads from another table to it), they hold
/// no identifiers to expand by (not `subjects`, no `identify`), no
/// free-text search asks whether a row belongs (no `scan` column), its
/// rows have a primary key to be read in order by, and an index answers
/// each of its links (without one, the rows are read once, as a batch's
/// memo of lookups does, rather than scanned to count and again to copy).
pub fn is_leaf(map: &DataMap, schema: &Schema, ti: usize) -> bool {
    let t = &map.tables[ti];
    let linked_to = map
        .tables
        .iter()
        .any(|o| o.links.iter().any(|l| l.to == t.name));
    !linked_to
        && !t.subjects
        && t.identify.is_empty()
        && !t.links.is_empty()
        && !t.columns.iter().any(|c| c.scan)
        && schema.table(&t.name).is_some_and(|ts| {
            !ts.pk.is_empty()
                && t.links
                    .iter()
                    .all(|l| l.on.first().is_some_and(|(c, _)| ts.is_indexed(c, false)))
        })
}

/// Rows of a `subjects = true` table that the identifiers matched directly,
/// when there is more than one.
#[derive(Debug, Clone)]
pub struct Ambiguity {
    pub table: String,
    /// The matching keys, or None where the key itself is personal data.
    pub keys: Option<Vec<String>>,
    pub rows: usize,
    /// The identifier kinds that matched these rows (names as the map
    /// declares them), in the map's order, each with whether it was given.
    pub matched_by: Vec<(String, bool)>,
    /// Per row (in key order): the identifier kinds that matched it, each
    /// with whether it was given, so support can tell who is who.
    pub row_matched_by: Vec<Vec<(String, bool)>>,
}

/// Everything that belongs to one subject, per mapped table (map order).
#[derive(Debug)]
pub struct Belonging {
    pub tables: Vec<Found>,
    pub ambiguous: Vec<Ambiguity>,
    /// Every identifier used: those given (in the order given), then those
    /// found in the subject's rows (in the map's order of identifier kinds,
    /// then by value). Empty for the roots of a sweep.
    pub identifiers: Vec<Known>,
    /// Every map link was followed from every row found, leaving out only
    /// the rows of the `Skip` the caller plans with (see [`resolve_from`]):
    /// so the rows of a table that a link leads to from found rows are all
    /// found, and the planner need not read them again.
    pub links_followed: bool,
}

impl Belonging {
    pub fn total(&self) -> usize {
        self.tables.iter().map(|f| f.len()).sum()
    }
}

/// Binds an identifier key the way the column stores it, so that an integer
/// key compares as an integer (and an index on it is used).
fn bind(col: &crate::store::schema::ColumnSchema, v: &str) -> Value {
    if col.ty == ColumnType::Integer {
        if let Ok(i) = v.parse::<i64>() {
            return Value::Integer(i);
        }
    }
    Value::Text(v.to_string())
}

/// Reads the rows one identify column matches for the given identifiers.
fn identify_rows(
    store: &Store,
    ts: &TableSchema,
    column: &str,
    kind: Kind,
    keys: &[String],
    mut f: impl FnMut(Row),
) -> Result<()> {
    let (Some(col), Some(ci)) = (ts.column(column), ts.column_index(column)) else {
        return Ok(()); // the map was checked against the schema before
    };
    // The index finds candidates by written form; the normaliser decides
    // (a ten-digit personnummer may name people born a century apart).
    let today = store.today();
    let mut f = |row: Row| {
        let text = match &row.values[ci] {
            Value::Text(s) => s.clone(),
            Value::Integer(i) => i.to_string(),
            _ => return,
        };
        if ident::normalize_stored(kind, &text, today).is_some_and(|k| keys.contains(&k)) {
            f(row);
        }
    };
    // Where an index can answer exactly, it does: email through a NOCASE
    // index, personnummer and text keys of a text column through ranges of
    // prefixes (which also reach values stored with padding or in another
    // written form). Phones, and email without a NOCASE index, are scanned.
    let prefixes: Vec<String> = keys
        .iter()
        .flat_map(|k| ident::stored_prefixes(kind, k).unwrap_or_default())
        .collect();
    match kind {
        Kind::Email if ts.is_indexed(column, true) => store.select(
            ts,
            &Filter::Prefixed {
                column,
                prefixes: &prefixes,
                nocase: true,
            },
            &mut f,
        ),
        Kind::Email | Kind::Phone(_) => {
            store.select(ts, &Filter::Normalized { column, kind, keys }, &mut f)
        }
        Kind::Personnummer | Kind::Text if col.ty.holds_text() => store.select(
            ts,
            &Filter::Prefixed {
                column,
                prefixes: &prefixes,
                nocase: false,
            },
            &mut f,
        ),
        // A numeric column holds the digit forms as numbers: look them up
        // as the column stores them.
        Kind::Personnummer | Kind::Text => {
            let mut forms: Vec<Vec<Value>> = Vec::new();
            for k in keys {
                for form in ident::stored_forms(kind, k) {
                    let v = vec![bind(col, &form)];
                    if !forms.contains(&v) {
                        forms.push(v);
                    }
                }
            }
            let columns = [column.to_string()];
            store.select(
                ts,
                &Filter::In {
                    columns: &columns,
                    tuples: &forms,
                },
                &mut f,
            )
        }
    }
}

/// The identifiers held in the `identify` columns of one row of table `t`,
/// normalised as stored values are (messy values are left out).
fn row_ids(t: &Table, ts: &TableSchema, row: &Row, today: jiff::civil::Date) -> Vec<SubjectId> {
    let mut out = Vec::new();
    for idf in &t.identify {
        for c in &idf.columns {
            let Some(ci) = ts.column_index(c) else {
                continue;
            };
            let text = match &row.values[ci] {
                Value::Text(s) => s.clone(),
                Value::Integer(i) => i.to_string(),
                _ => continue,
            };
            if let Some(key) = ident::normalize_stored(idf.kind, &text, today) {
                let id = SubjectId {
                    name: idf.name.clone(),
                    kind: idf.kind,
                    key,
                };
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
    }
    out
}

/// Finds every row that belongs to the subject. The identifiers given are
/// expanded first: every identifier held in an `identify` column of a row
/// they match directly in a `subjects = true` table is looked for too, and
/// so on until nothing new is found (a request by personnummer reaches the
/// newsletter row keyed by the email address of the customer row). Only
/// rows matched directly count as the subject's own here: a row of a
/// subjects table reached through a link (another member of a household)
/// is someone else, and their identifiers are not the subject's. Ambiguity
/// is judged on the rows matched after the expansion; then links are
/// followed from every directly matched row.
pub fn resolve(
    store: &Store,
    schema: &Schema,
    map: &DataMap,
    ids: &[SubjectId],
) -> Result<Belonging> {
    resolve_with(store, schema, map, ids, &[])
}

/// [`resolve`] for an erasure that may leave some leaf tables unread
/// (`unread`, by table index; see `planner::unread_leaves`): such a table
/// reached through one link is counted, not read ([`Found::linked`]), and
/// its rows are deleted along that link.
pub fn resolve_erase(
    store: &Store,
    schema: &Schema,
    map: &DataMap,
    ids: &[SubjectId],
    unread: &[bool],
) -> Result<Belonging> {
    resolve_with(store, schema, map, ids, unread)
}

/// [`resolve`] for a copy of the data (extract, export): the rows of leaf
/// tables ([`is_leaf`]) reached through one link are not read but counted,
/// and [`Found::linked`] says how to stream them to the writer, so that a
/// subject with millions of rows is copied in constant memory. Erasure
/// plans from [`resolve`], which holds every row.
pub fn resolve_copy(
    store: &Store,
    schema: &Schema,
    map: &DataMap,
    ids: &[SubjectId],
) -> Result<Belonging> {
    let leaf: Vec<bool> = (0..map.tables.len())
        .map(|ti| is_leaf(map, schema, ti))
        .collect();
    resolve_with(store, schema, map, ids, &leaf)
}

fn resolve_with(
    store: &Store,
    schema: &Schema,
    map: &DataMap,
    ids: &[SubjectId],
    leaf: &[bool],
) -> Result<Belonging> {
    let n = map.tables.len();
    let schemas = table_schemas(schema, map)?;
    let today = store.today();
    let mut found: Vec<Found> = (0..n).map(|_| Found::default()).collect();
    let mut known: Vec<Known> = Vec::new();
    for i in ids {
        if !known.iter().any(|k| k.id == *i) {
            known.push(Known {
                id: i.clone(),
                found_in: None,
            });
        }
    }
    // Per table: the identifier names that matched its rows, and whether
    // the identifier was given.
    let mut matched_by: Vec<Vec<(String, bool)>> = vec![Vec::new(); n];
    // Per subjects-table row (by its index in `found`): what matched it.
    let mut row_matched: Vec<HashMap<usize, Vec<(String, bool)>>> = vec![HashMap::new(); n];

    // 1. Direct matches, round by round with the identifiers new in each.
    let mut new: Vec<SubjectId> = known.iter().map(|k| k.id.clone()).collect();
    let mut given = true;
    while !new.is_empty() {
        let mut harvested: Vec<(SubjectId, usize)> = Vec::new();
        for (ti, t) in map.tables.iter().enumerate() {
            let ts = schemas[ti];
            for idf in &t.identify {
                let keys: Vec<String> = new
                    .iter()
                    .filter(|i| i.name == idf.name)
                    .map(|i| i.key.clone())
                    .collect();
                if keys.is_empty() {
                    continue;
                }
                // A given identifier counts as matching whatever it finds; a
                // found one only where it reaches rows not already found.
                let mut matched = false;
                for column in &idf.columns {
                    identify_rows(store, ts, column, idf.kind, &keys, |row| {
                        matched |= given;
                        let held = if t.subjects && !found[ti].contains(&row.key) {
                            row_ids(t, ts, &row, today)
                        } else {
                            Vec::new()
                        };
                        let key = t.subjects.then(|| row.key.clone());
                        let is_new = found[ti].add(row, true, None);
                        if is_new {
                            matched = true;
                            harvested.extend(held.into_iter().map(|id| (id, ti)));
                        }
                        // What reached the row: any given identifier, and a
                        // found one only where it reached the row first.
                        let reached = key.filter(|_| given || is_new);
                        if let Some(i) = reached.and_then(|k| found[ti].position(&k)) {
                            let by = row_matched[ti].entry(i).or_default();
                            let entry = (idf.name.clone(), given);
                            if !by.contains(&entry) {
                                by.push(entry);
                            }
                        }
                    })?;
                }
                let entry = (idf.name.clone(), given);
                if matched && !matched_by[ti].contains(&entry) {
                    matched_by[ti].push(entry);
                }
            }
        }
        new.clear();
        for (id, ti) in harvested {
            if !known.iter().any(|k| k.id == id) {
                new.push(id.clone());
                known.push(Known {
                    id,
                    found_in: Some(map.tables[ti].name.clone()),
                });
            }
        }
        given = false;
    }
    let declared = |name: &str| map.identifiers.iter().position(|i| i.name == name);
    let n_given = known.iter().filter(|k| k.found_in.is_none()).count();
    known[n_given..].sort_by(|a, b| {
        (declared(&a.id.name), &a.id.name, &a.id.key).cmp(&(
            declared(&b.id.name),
            &b.id.name,
            &b.id.key,
        ))
    });

    let mut ambiguous = Vec::new();
    let mut frontier: Vec<(usize, Range<usize>)> = Vec::new();
    for (ti, t) in map.tables.iter().enumerate() {
        let len = found[ti].len();
        if t.subjects && len > 1 {
            let mut by = std::mem::take(&mut matched_by[ti]);
            by.sort_by_key(|(name, _)| declared(name));
            let mut per_row = std::mem::take(&mut row_matched[ti]);
            for v in per_row.values_mut() {
                v.sort_by_key(|(name, given)| (!*given, declared(name)));
            }
            ambiguous.push(ambiguity(t, schemas[ti], &found[ti].rows, by, per_row));
        }
        if len > 0 {
            frontier.push((ti, 0..len));
        }
    }

    follow_links(
        store,
        map,
        &schemas,
        &mut found,
        frontier,
        &Skip::default(),
        leaf,
    )?;
    Ok(Belonging {
        tables: found,
        ambiguous,
        identifiers: known,
        links_followed: false,
    })
}

/// The rows of `subjects = true` tables that the identifiers match
/// directly, as (table index, row key, the identifier it holds), with no
/// expansion: for a sweep to tell which of an erased person's identifiers
/// someone who stays still holds.
pub fn subject_rows(
    store: &Store,
    schema: &Schema,
    map: &DataMap,
    ids: &[SubjectId],
    mut f: impl FnMut(usize, &[Value], &SubjectId),
) -> Result<()> {
    let schemas = table_schemas(schema, map)?;
    let today = store.today();
    for (ti, t) in map.tables.iter().enumerate().filter(|(_, t)| t.subjects) {
        let ts = schemas[ti];
        for idf in &t.identify {
            let keys: Vec<String> = ids
                .iter()
                .filter(|i| i.name == idf.name)
                .map(|i| i.key.clone())
                .collect();
            if keys.is_empty() {
                continue;
            }
            for column in &idf.columns {
                identify_rows(store, ts, column, idf.kind, &keys, |row| {
                    for id in row_ids(t, ts, &row, today) {
                        if id.name == idf.name && keys.contains(&id.key) {
                            f(ti, &row.key, &id);
                        }
                    }
                })?;
            }
        }
    }
    Ok(())
}

/// Rows to treat as no longer there: those an earlier batch of a dry-run
/// sweep would already have deleted (table index -> keys).
#[derive(Debug, Default)]
pub struct Skip {
    pub deleted: HashMap<usize, FxHashSet<Vec<Value>>>,
    /// Rows an earlier batch would have anonymized.
    pub anonymized: HashMap<usize, FxHashSet<Vec<Value>>>,
}

impl Skip {
    pub fn has(&self, table: usize, key: &[Value]) -> bool {
        self.deleted.get(&table).is_some_and(|s| s.contains(key))
    }

    pub fn was_anonymized(&self, table: usize, key: &[Value]) -> bool {
        self.anonymized.get(&table).is_some_and(|s| s.contains(key))
    }
}

/// Follows links from the rows in `frontier` into the tables that declare
/// them, over any number of hops, adding what is found. A table marked in
/// `leaf` gets its link values gathered instead; reached through one link,
/// its rows are counted and left in the store ([`Found::linked`]), through
/// several they are read (a row reached twice is one row).
fn follow_links(
    store: &Store,
    map: &DataMap,
    schemas: &[&TableSchema],
    found: &mut [Found],
    mut frontier: Vec<(usize, Range<usize>)>,
    skip: &Skip,
    leaf: &[bool],
) -> Result<()> {
    // Per leaf table: per link, the distinct link values met.
    type Gathered = Vec<(usize, Vec<Vec<Value>>, HashSet<Vec<Value>>)>;
    let mut gathered: HashMap<usize, Gathered> = HashMap::new();
    let n = map.tables.len();
    let mut children: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (ci, t) in map.tables.iter().enumerate() {
        for (li, l) in t.links.iter().enumerate() {
            if let Some(pi) = map.table_index(&l.to) {
                children[pi].push((ci, li));
            }
        }
    }
    while let Some((pi, range)) = frontier.pop() {
        for &(ci, li) in &children[pi] {
            let link = &map.tables[ci].links[li];
            let pcols: Vec<usize> = link
                .on
                .iter()
                .filter_map(|(_, p)| schemas[pi].column_index(p))
                .collect();
            let mut seen: HashSet<Vec<Value>> = HashSet::new();
            let mut tuples = Vec::new();
            for row in &found[pi].rows[range.clone()] {
                let t: Vec<Value> = pcols.iter().map(|&i| row.values[i].clone()).collect();
                if t.iter().any(Value::is_null) || !seen.insert(t.clone()) {
                    continue;
                }
                tuples.push(t);
            }
            if tuples.is_empty() {
                continue;
            }
            if leaf.get(ci).copied().unwrap_or(false) {
                let per_link = gathered.entry(ci).or_default();
                let at = match per_link.iter().position(|(l, _, _)| *l == li) {
                    Some(at) => at,
                    None => {
                        per_link.push((li, Vec::new(), HashSet::new()));
                        per_link.len() - 1
                    }
                };
                let (_, list, set) = &mut per_link[at];
                for t in tuples {
                    if set.insert(t.clone()) {
                        list.push(t);
                    }
                }
                continue;
            }
            let start = found[ci].len();
            let columns = link_columns(link);
            read_linked(
                store,
                schemas[ci],
                &mut found[ci],
                (ci, li),
                &columns,
                &tuples,
                skip,
            )?;
            let end = found[ci].len();
            if end > start {
                frontier.push((ci, start..end));
            }
        }
    }
    let mut leaves: Vec<(usize, Gathered)> = gathered.into_iter().collect();
    leaves.sort_by_key(|(ci, _)| *ci);
    for (ci, mut per_link) in leaves {
        per_link.sort_by_key(|(li, _, _)| *li);
        let columns = |li: usize| link_columns(&map.tables[ci].links[li]);
        if let [(li, tuples, _)] = per_link.as_slice() {
            let columns = columns(*li);
            let count = store.count_in(schemas[ci], &columns, tuples)?;
            if count > 0 {
                found[ci].linked = Some(Linked {
                    link: *li,
                    columns,
                    tuples: tuples.clone(),
                    count,
                });
            }
            continue;
        }
        for (li, tuples, _) in per_link {
            let columns = columns(li);
            read_linked(
                store,
                schemas[ci],
                &mut found[ci],
                (ci, li),
                &columns,
                &tuples,
                skip,
            )?;
        }
    }
    Ok(())
}

/// The declaring table's columns of a link.
fn link_columns(link: &crate::map::Link) -> Vec<String> {
    link.on.iter().map(|(c, _)| c.clone()).collect()
}

/// Adds to `child` (table `ci`, reached along its link `li`) the rows whose
/// link `columns` hold one of `tuples`, less those `skip` has gone.
fn read_linked(
    store: &Store,
    schema: &TableSchema,
    child: &mut Found,
    (ci, li): (usize, usize),
    columns: &[String],
    tuples: &[Vec<Value>],
    skip: &Skip,
) -> Result<()> {
    store.select_to_change(schema, &Filter::In { columns, tuples }, |row| {
        if !skip.has(ci, &row.key) {
            child.add(row, false, Some(li));
        }
    })
}

/// What belongs beneath given root rows (expired rows, deferred erasures):
/// the roots themselves, each with the action it gets, and every row linked
/// beneath them.
pub fn resolve_from(
    store: &Store,
    schema: &Schema,
    map: &DataMap,
    roots: Vec<(usize, Row, OnErase)>,
    skip: &Skip,
) -> Result<Belonging> {
    let schemas = table_schemas(schema, map)?;
    let mut found: Vec<Found> = (0..map.tables.len()).map(|_| Found::default()).collect();
    for (ti, row, action) in roots {
        if found[ti].add(row, true, None) {
            if let Some(r) = found[ti].reach.last_mut() {
                r.action = Some(action);
            }
        }
    }
    // One frontier entry per table, so that links are followed for all the
    // roots of a table at once rather than one query per root.
    let frontier: Vec<(usize, Range<usize>)> = found
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.is_empty())
        .map(|(ti, f)| (ti, 0..f.len()))
        .collect();
    follow_links(store, map, &schemas, &mut found, frontier, skip, &[])?;
    Ok(Belonging {
        tables: found,
        ambiguous: Vec::new(),
        identifiers: Vec::new(),
        links_followed: true,
    })
}

fn table_schemas<'a>(schema: &'a Schema, map: &DataMap) -> Result<Vec<&'a TableSchema>> {
    map.tables
        .iter()
        .map(|t| {
            schema.table(&t.name).ok_or_else(|| {
                Error::MapInvalid(format!(
                    "table {} is in the map but not in the store; run `dsr check`",
                    t.name
                ))
            })
        })
        .collect()
}

fn ambiguity(
    t: &Table,
    ts: &TableSchema,
    rows: &[Row],
    matched_by: Vec<(String, bool)>,
    mut per_row: HashMap<usize, Vec<(String, bool)>>,
) -> Ambiguity {
    let personal_key = ts.pk.is_empty()
        || ts.pk.iter().any(|k| {
            t.identify.iter().any(|i| i.columns.contains(k))
                || t.column(k).is_some_and(|c| c.category.is_some())
        });
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| crate::value::key_cmp(&rows[a].key, &rows[b].key));
    let keys = (!personal_key).then(|| {
        order
            .iter()
            .map(|&i| {
                ts.pk
                    .iter()
                    .zip(&rows[i].key)
                    .map(|(c, v)| format!("{c}={}", display_value(v)))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    });
    let row_matched_by = order
        .iter()
        .map(|i| per_row.remove(i).unwrap_or_default())
        .collect();
    Ambiguity {
        table: t.name.clone(),
        keys,
        rows: rows.len(),
        matched_by,
        row_matched_by,
    }
}

pub fn display_value(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(s) => s.clone(),
        Value::Blob(b) => format!("<{} bytes>", b.len()),
        v => v.display_text().unwrap_or_default(),
    }
}

/// For tests: the map (`tables` after a fixed controller and an `email`
/// identifier) over `dir`'s t.db, the store opened read-only on
/// 2026-11-22, and its schema.
#[cfg(test)]
pub(crate) fn test_tenant(dir: &std::path::Path, tables: &str) -> (DataMap, Store, Schema) {
    let map_path = dir.join("map.toml");
    std::fs::write(
        &map_path,
        format!("version = 1\n[controller]\nname = \"C\"\ncontact = \"c@example.se\"\nauthority = \"IMY\"\n[identifiers]\nemail = \"email\"\n{tables}"),
    )
    .expect("map");
    let map = crate::map::load(&map_path).expect("load map");
    let today = jiff::civil::date(2026, 11, 22);
    let store = crate::store::open(
        dir.join("t.db").to_str().expect("utf8"),
        crate::store::Mode::ReadOnly,
        today,
    )
    .expect("store");
    let schema = store.schema().expect("schema");
    (map, store, schema)
}

#[cfg(test)]
mod tests {
    use super::mentions::needle;
    use super::*;
    use crate::store::sqlite::like_pattern;

    fn like(text: &str, pattern: &str) -> bool {
        let c = rusqlite::Connection::open_in_memory().expect("memory db");
        c.query_row("SELECT ?1 LIKE ?2 ESCAPE '\\'", [text, pattern], |r| {
            r.get::<_, bool>(0)
        })
        .expect("like")
    }

    /// More identifiers than one search statement takes (a sweep batch of
    /// many people): every mention is found, and each row reported once.
    #[test]
    fn many_identifiers_are_searched_in_chunks_and_each_row_reported_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("t.db");
        let conn = rusqlite::Connection::open(&db).expect("db");
        conn.execute_batch(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
             INSERT INTO notes VALUES (1, 'from p1@example.se and p1199@example.se'),
                 (2, 'only p700@example.se'), (3, 'nobody');",
        )
        .expect("schema");
        drop(conn);
        let (map, store, schema) = test_tenant(
            dir.path(),
            "[tables.notes]\npurpose = \"Notes\"\nlegal_basis = \"contract\"\non_erase = \"keep\"\n[tables.notes.columns]\nbody = { category = \"content.free_text\", scan = true }\n",
        );
        let ids: Vec<(Kind, String)> = (1..=1200)
            .map(|i| (Kind::Email, format!("p{i}@example.se")))
            .collect();
        let b = Belonging {
            tables: vec![Found::default()],
            ambiguous: Vec::new(),
            identifiers: Vec::new(),
            links_followed: false,
        };
        let mut found: Vec<(Vec<Value>, usize)> = mentions(&store, &schema, &map, &b, &ids)
            .expect("mentions")
            .into_iter()
            .map(|m| (m.key, m.ranges.len()))
            .collect();
        found.sort_by(|a, b| crate::value::key_cmp(&a.0, &b.0));
        assert_eq!(
            found,
            [(vec![Value::Integer(1)], 2), (vec![Value::Integer(2)], 1)]
        );
    }

    #[test]
    fn the_sql_prefilter_admits_every_written_form() {
        let pnr = like_pattern(&needle(Kind::Personnummer, "198112189876"));
        for t in [
            "x 811218-9876 y",
            "19811218-9876",
            "8112189876.",
            "811218+9876",
            "19811218 9876",
        ] {
            assert!(like(t, &pnr), "{t}");
        }
        assert!(!like("811218-9875", &pnr));
        let phone = like_pattern(&needle(Kind::Phone(ident::Region::DEFAULT), "+46701234567"));
        for t in [
            "ring 070-123 45 67",
            "+46 70 123 45 67",
            "0046701234567",
            "(070) 123-4567",
        ] {
            assert!(like(t, &phone), "{t}");
        }
        let email = like_pattern(&needle(Kind::Email, "anna_b%@example.se"));
        assert_eq!(email, "%anna\\_b\\%@example.se%");
        assert!(like("Mail ANNA_B%@Example.SE now", &email));
        assert!(!like("annaxb%@example.se", &email), "_ is literal");
        let text = like_pattern(&needle(Kind::Text, "K-000017"));
        assert!(like("kundnr k-000017", &text));
    }
}
