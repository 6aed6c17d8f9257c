//! `dsr demo`: writes a synthetic tenant, the store of a fictional Swedish
//! district-heating provider plus its data map (DESIGN §1), so that every
//! command can be tried and benchmarked without real personal data. The
//! tables go into `DIR/tenant.db` (SQLite) or into a PostgreSQL schema;
//! the map always into DIR.
//!
//! Everything follows from (subjects, seed, today) through a small
//! hand-written PRNG, so a run can be reproduced exactly from a bug report or
//! a benchmark, on either store. Dates are spread around `today` so that
//! every retention rule and hold in the map has rows on both sides of its
//! limit, and the data holds the awkward cases the tool must handle:
//! identifiers in several written forms, timestamps as text and as integers
//! in one column, two customers sharing a phone number, and people mentioned
//! in other people's free text.
//!
//! The generator writes rows through the store's loader
//! ([`crate::store::load`]) and names no driver.

mod calendar;
mod files;
mod idents;
mod map;
mod people;
mod rng;
mod rows;
mod schema;
mod summary;
mod tickets;
mod words;

#[cfg(test)]
mod data_tests;
#[cfg(test)]
mod pg_tests;
#[cfg(test)]
mod tests;

pub use map::DATAMAP;
pub use schema::TABLES;
pub use summary::{DemoSummary, Written};

use crate::error::{Error, Result};
use crate::store::load::{self, Existing, Loader, Target};
use crate::store::pg::PgUrl;
use calendar::Clock;
use files::{
    create_temp, ensure_dir, exists, install, refusal, sqlite_sidecars, sync_dir, sync_file,
    Cleanup,
};
use std::fs;
use std::io::ErrorKind;
use std::path::Path;

/// File name of the demo store inside DIR.
pub const STORE_FILE: &str = "tenant.db";
/// File name of the demo data map inside DIR.
pub const MAP_FILE: &str = "datamap.toml";
/// The generator keeps a few bytes per subject in memory (to make identifiers
/// unique and to mention customers in other customers' tickets); this bound
/// keeps that well under a gigabyte.
pub const MAX_SUBJECTS: u64 = 10_000_000;

/// Where the tables go.
#[derive(Debug, Clone)]
pub enum Destination {
    /// `DIR/tenant.db`, beside the map.
    Dir,
    /// The URL's schema (which must exist); only the map goes into DIR.
    Postgres(Box<PgUrl>),
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
struct Spec {
    subjects: u64,
    seed: u64,
    today: jiff::civil::Date,
    /// Replace an existing demo tenant.
    force: bool,
}

/// Writes DIR/tenant.db and DIR/datamap.toml, creating DIR (mode 0700) if it
/// is missing. Refuses when either file exists unless `force`, which replaces
/// both. Both files get mode 0600: they hold (synthetic) personal data and
/// should be handled like the real thing. The store is built in a temporary
/// file in DIR and moved into place at the end, so a failure leaves nothing
/// half-written.
pub fn generate(
    dir: &Path,
    subjects: u64,
    seed: u64,
    today: jiff::civil::Date,
    force: bool,
) -> Result<DemoSummary> {
    generate_to(dir, &Destination::Dir, subjects, seed, today, force)
}

/// As [`generate`], with the tables going to `dest`. On PostgreSQL the
/// tables are loaded in one transaction that is committed only once the
/// map is in place; a schema that already holds the demo tenant is refused
/// unless `force` (which replaces only tables dsr demo wrote), and one that
/// holds other tables of those names always.
pub fn generate_to(
    dir: &Path,
    dest: &Destination,
    subjects: u64,
    seed: u64,
    today: jiff::civil::Date,
    force: bool,
) -> Result<DemoSummary> {
    if subjects > MAX_SUBJECTS {
        return Err(Error::Usage(format!(
            "--subjects {subjects} is more than the demo generates (at most {MAX_SUBJECTS}); pick a smaller number"
        )));
    }
    let spec = Spec {
        subjects,
        seed,
        today,
        force,
    };
    match dest {
        Destination::Dir => into_sqlite(dir, &spec),
        Destination::Postgres(url) => into_postgres(dir, url, &spec),
    }
}

/// Creates the tables, generates every row into them and runs what
/// follows the rows; the caller commits. Returns the row count of each
/// table, in `TABLES` order.
fn build(loader: &mut dyn Loader, spec: &Spec) -> Result<[u64; 8]> {
    loader.create(&schema::TABLES_DDL)?;
    let rows = rows::fill(loader, spec.subjects, spec.seed, &Clock::new(spec.today))?;
    loader.finish(&schema::AFTER_DDL, schema::MARKER)?;
    Ok(rows)
}

fn summary(store: Written, map: &Path, spec: &Spec, rows: [u64; 8]) -> DemoSummary {
    DemoSummary {
        store,
        map: map.to_path_buf(),
        subjects: spec.subjects,
        rows: TABLES
            .iter()
            .zip(rows)
            .map(|(t, n)| (t.to_string(), n))
            .collect(),
    }
}

fn into_sqlite(dir: &Path, spec: &Spec) -> Result<DemoSummary> {
    let force = spec.force;
    let store = dir.join(STORE_FILE);
    let map = dir.join(MAP_FILE);
    // A leftover -wal or -journal beside a new store would be replayed into
    // it by SQLite, so those count as existing files too.
    let stale = sqlite_sidecars(&store);
    if !force {
        for p in [&store, &map].into_iter().chain(stale.iter()) {
            if exists(p) {
                return Err(refusal(p, dir));
            }
        }
    }
    ensure_dir(dir)?;

    let mut temps = Cleanup(Vec::new());
    let (db_tmp, file) = create_temp(dir, STORE_FILE, &mut temps)?;
    drop(file);
    temps.0.extend(sqlite_sidecars(&db_tmp));
    let mut loader = load::open(Target::SqliteFile(&db_tmp))?;
    let rows = build(&mut *loader, spec)?;
    loader.commit()?;
    sync_file(&db_tmp)?;

    let map_tmp = map::write_temp(dir, MAP_FILE, &map::text(false), &mut temps)?;
    if force {
        for p in &stale {
            match fs::remove_file(p) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Error::Runtime(format!(
                        "cannot remove {} (left over from the store being replaced): {}",
                        p.display(),
                        crate::error::io_reason(&e)
                    )))
                }
            }
        }
    }
    install(&db_tmp, &store, force, dir)?;
    if let Err(e) = install(&map_tmp, &map, force, dir) {
        if !force {
            // We created the store a moment ago; don't leave half a tenant.
            let _ = fs::remove_file(&store);
        }
        return Err(e);
    }
    sync_dir(dir);
    Ok(summary(Written::File(store), &map, spec, rows))
}

fn into_postgres(dir: &Path, url: &PgUrl, spec: &Spec) -> Result<DemoSummary> {
    let map = dir.join(MAP_FILE);
    if !spec.force && exists(&map) {
        return Err(refusal(&map, dir));
    }
    let mut loader = load::open(Target::Postgres(url))?;
    make_room(&mut *loader, spec.force)?;
    ensure_dir(dir)?;
    let rows = build(&mut *loader, spec)?;
    let mut temps = Cleanup(Vec::new());
    let map_tmp = map::write_temp(dir, MAP_FILE, &map::text(true), &mut temps)?;
    // The map first, then the commit: a map that cannot be put in place
    // leaves the schema untouched (the transaction is rolled back when the
    // loader is dropped).
    install(&map_tmp, &map, spec.force, dir)?;
    if let Err(e) = loader.commit() {
        if !spec.force {
            let _ = fs::remove_file(&map);
        }
        return Err(e);
    }
    sync_dir(dir);
    Ok(summary(
        Written::Postgres(url.to_string()),
        &map,
        spec,
        rows,
    ))
}

/// Refuses a target that holds tables in the way, or with `force` drops
/// them when they are a demo tenant's: the demo's tables, each with the
/// demo's comment, and the dsr tables that came with it.
fn make_room(loader: &mut dyn Loader, force: bool) -> Result<()> {
    let found = loader.existing(&TABLES)?;
    if found.is_empty() {
        return Ok(());
    }
    let place = loader.describe();
    let is_demo = |e: &&Existing| TABLES.contains(&e.name.as_str());
    let names = |es: &[&Existing]| -> String {
        es.iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let demo: Vec<&Existing> = found.iter().filter(is_demo).collect();
    let foreign: Vec<&Existing> = demo
        .iter()
        .copied()
        .filter(|e| !(e.table && e.comment.as_deref() == Some(schema::MARKER)))
        .collect();
    let elsewhere = "pick another schema (?schema=NAME in --store; dsr never creates a schema, so create it first)";
    if !foreign.is_empty() {
        return Err(Error::Usage(format!(
            "{} in {place} {} not written by dsr demo (it marks its own tables with a comment), and dsr demo replaces only its own: {elsewhere}; nothing was changed",
            names(&foreign),
            if foreign.len() == 1 { "is" } else { "are" },
        )));
    }
    if demo.is_empty() {
        let dsr: Vec<&Existing> = found.iter().collect();
        return Err(Error::Usage(format!(
            "{place} already belongs to a tenant (it holds dsr's own tables {}); the demo needs a schema of its own: {elsewhere}; nothing was changed",
            names(&dsr)
        )));
    }
    if !force {
        let all: Vec<&Existing> = found.iter().collect();
        return Err(Error::Usage(format!(
            "a demo tenant is already in {place} (tables {}); pass --force to replace it, or {elsewhere}; nothing was changed",
            names(&all)
        )));
    }
    let drop: Vec<String> = found.into_iter().map(|e| e.name).collect();
    loader.drop_tables(&drop)
}
