//! `dsr demo`: writes a synthetic tenant, the store of a fictional Swedish
//! district-heating provider plus its data map (DESIGN §1), so that every
//! command can be tried and benchmarked without real personal data.
//!
//! Everything follows from (subjects, seed, today) through a small
//! hand-written PRNG, so a run can be reproduced exactly from a bug report or
//! a benchmark. Dates are spread around `today` so that every retention rule
//! and hold in the map has rows on both sides of its limit, and the data holds
//! the awkward cases the tool must handle: identifiers in several written
//! forms, timestamps as text and as integers in one column, two customers
//! sharing a phone number, and people mentioned in other people's free text.

use crate::error::{io_reason, Error, Result};
use rusqlite::types::Value;
use rusqlite::{params, Connection, Statement};
use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// The data map describing the demo store, written as `DIR/datamap.toml`.
pub const DATAMAP: &str = include_str!("demo_datamap.toml");
/// File name of the demo store inside DIR.
pub const STORE_FILE: &str = "tenant.db";
/// File name of the demo data map inside DIR.
pub const MAP_FILE: &str = "datamap.toml";
/// The generator keeps a few bytes per subject in memory (to make identifiers
/// unique and to mention customers in other customers' tickets); this bound
/// keeps that well under a gigabyte.
pub const MAX_SUBJECTS: u64 = 10_000_000;

/// The tables of the demo store, in creation order.
pub const TABLES: [&str; 8] = [
    "customers",
    "meters",
    "meter_readings",
    "invoices",
    "staff",
    "staff_logins",
    "tickets",
    "newsletter",
];
const CUSTOMERS: usize = 0;
const METERS: usize = 1;
const READINGS: usize = 2;
const INVOICES: usize = 3;
const STAFF: usize = 4;
const LOGINS: usize = 5;
const TICKETS: usize = 6;
const NEWSLETTER: usize = 7;

/// What `generate` wrote, for the command's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub store: PathBuf,
    pub map: PathBuf,
    pub subjects: u64,
    /// (table, row count), in creation order.
    pub rows: Vec<(String, u64)>,
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
    if subjects > MAX_SUBJECTS {
        return Err(Error::Usage(format!(
            "--subjects {subjects} is more than the demo generates (at most {MAX_SUBJECTS}); pick a smaller number"
        )));
    }
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
    let rows = build(&db_tmp, subjects, seed, &Clock::new(today))?;
    sync_file(&db_tmp)?;

    let (map_tmp, mut file) = create_temp(dir, MAP_FILE, &mut temps)?;
    file.write_all(DATAMAP.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            Error::Runtime(format!(
                "cannot write the demo data map {}: {}",
                map_tmp.display(),
                io_reason(&e)
            ))
        })?;
    drop(file);

    if force {
        for p in &stale {
            match fs::remove_file(p) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Error::Runtime(format!(
                        "cannot remove {} (left over from the store being replaced): {}",
                        p.display(),
                        io_reason(&e)
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
    Ok(DemoSummary {
        store,
        map,
        subjects,
        rows: TABLES
            .iter()
            .zip(rows)
            .map(|(t, n)| (t.to_string(), n))
            .collect(),
    })
}

// ---------------------------------------------------------------------------
// Files

/// Removes the temporary files on every exit path; after a successful
/// install they are already gone (renamed) or are spare hard links.
struct Cleanup(Vec<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = fs::remove_file(p);
        }
    }
}

fn exists(p: &Path) -> bool {
    fs::symlink_metadata(p).is_ok()
}

fn refusal(p: &Path, dir: &Path) -> Error {
    Error::Usage(format!(
        "{} already exists; pass --force to replace the demo tenant in {}, or pick another directory",
        p.display(),
        dir.display()
    ))
}

fn sqlite_sidecars(db: &Path) -> [PathBuf; 3] {
    ["-wal", "-shm", "-journal"].map(|suffix| {
        let mut s = db.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    })
}

fn ensure_dir(dir: &Path) -> Result<()> {
    let fail = |e: std::io::Error| {
        Error::Runtime(format!(
            "cannot create the directory {}: {}",
            dir.display(),
            io_reason(&e)
        ))
    };
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => {
            return Err(Error::Usage(format!(
                "{} is not a directory; pick a directory for the demo tenant",
                dir.display()
            )))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(fail(e)),
    }
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent).map_err(fail)?;
    }
    let mut b = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    match b.create(dir) {
        Ok(()) => set_mode(dir, 0o700).map_err(fail),
        Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(fail(e)),
    }
}

/// Sets the exact mode, whatever the umask took away.
fn set_mode(p: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(p, fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (p, mode);
        Ok(())
    }
}

/// Creates `DIR/.NAME.PID.K.tmp` with mode 0600, never reusing an existing file.
fn create_temp(dir: &Path, name: &str, temps: &mut Cleanup) -> Result<(PathBuf, File)> {
    let pid = std::process::id();
    for k in 0..1000 {
        let p = dir.join(format!(".{name}.{pid}.{k}.tmp"));
        let mut o = OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        match o.open(&p) {
            Ok(f) => {
                temps.0.push(p.clone());
                set_mode(&p, 0o600).map_err(|e| {
                    Error::Runtime(format!(
                        "cannot make {} private (mode 0600): {}",
                        p.display(),
                        io_reason(&e)
                    ))
                })?;
                return Ok((p, f));
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(Error::Runtime(format!(
                    "cannot create {}: {}; check that {} is writable",
                    p.display(),
                    io_reason(&e),
                    dir.display()
                )))
            }
        }
    }
    Err(Error::Runtime(format!(
        "cannot create a temporary file in {}: too many leftover .{name}.*.tmp files; remove them",
        dir.display()
    )))
}

fn sync_file(p: &Path) -> Result<()> {
    File::open(p).and_then(|f| f.sync_all()).map_err(|e| {
        Error::Runtime(format!(
            "cannot write the demo store {} to disk: {}",
            p.display(),
            io_reason(&e)
        ))
    })
}

/// Best effort: makes the renames durable where the platform allows it.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Moves a finished temporary file to its name. Without `force` this is a
/// hard link, which fails rather than replace a file that appeared meanwhile.
fn install(tmp: &Path, dst: &Path, force: bool, dir: &Path) -> Result<()> {
    let rename = || {
        fs::rename(tmp, dst).map_err(|e| {
            Error::Runtime(format!(
                "cannot move {} to {}: {}",
                tmp.display(),
                dst.display(),
                io_reason(&e)
            ))
        })
    };
    if force {
        return rename();
    }
    match fs::hard_link(tmp, dst) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(refusal(dst, dir)),
        // The file system has no hard links: check, then rename.
        Err(_) if exists(dst) => Err(refusal(dst, dir)),
        Err(_) => rename(),
    }
}

// ---------------------------------------------------------------------------
// The store

const SCHEMA: &str = "
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    customer_no TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    personnummer TEXT,
    phone TEXT,
    street TEXT NOT NULL,
    postcode TEXT,
    city TEXT,
    created_at TEXT NOT NULL,
    closed_at DATETIME,   -- ISO date, ISO date-time or Unix seconds, mixed
    marketing_consent INTEGER NOT NULL DEFAULT 0 CHECK (marketing_consent IN (0, 1)),
    notes TEXT,
    password_hash TEXT
);
CREATE TABLE meters (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    meter_no TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL,
    installed_at TEXT NOT NULL
);
CREATE TABLE meter_readings (
    meter_id INTEGER NOT NULL REFERENCES meters(id) ON DELETE CASCADE,
    month TEXT NOT NULL,
    kwh REAL NOT NULL,
    read_at INTEGER NOT NULL,
    PRIMARY KEY (meter_id, month)
);
CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    invoice_no TEXT NOT NULL UNIQUE,
    issued TEXT NOT NULL,
    due TEXT NOT NULL,
    amount_ore INTEGER NOT NULL,
    paid_at TEXT
);
CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    employed_from TEXT NOT NULL,
    employed_to TEXT
);
CREATE TABLE staff_logins (
    id INTEGER PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    at INTEGER NOT NULL,
    ip TEXT
);
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    handled_by INTEGER REFERENCES staff(id),
    opened_at TEXT NOT NULL,
    closed_at DATETIME,   -- ISO text or Unix seconds, mixed; NULL while open
    subject TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE newsletter (
    email TEXT PRIMARY KEY,
    subscribed_at INTEGER NOT NULL,
    source TEXT NOT NULL
);
";

/// Created after the bulk insert: building an index once is much faster
/// than keeping it up to date row by row.
const INDEXES: &str = "
CREATE INDEX customers_email ON customers(email COLLATE NOCASE);
CREATE INDEX customers_personnummer ON customers(personnummer);
CREATE INDEX customers_phone ON customers(phone);
CREATE INDEX meters_customer_id ON meters(customer_id);
CREATE INDEX invoices_customer_id ON invoices(customer_id);
CREATE INDEX tickets_customer_id ON tickets(customer_id);
CREATE INDEX tickets_handled_by ON tickets(handled_by);
CREATE INDEX staff_email ON staff(email COLLATE NOCASE);
CREATE INDEX staff_phone ON staff(phone);
CREATE INDEX staff_logins_staff_id ON staff_logins(staff_id);
CREATE INDEX newsletter_email ON newsletter(email COLLATE NOCASE);
";

/// Builds the store at `path` (an empty file) and returns the row count of
/// each table, in `TABLES` order.
fn build(path: &Path, subjects: u64, seed: u64, clock: &Clock) -> Result<[u64; 8]> {
    let fail = |doing: &'static str| {
        move |e: rusqlite::Error| {
            Error::Runtime(format!(
                "cannot build the demo store {}: {doing}: {e}",
                path.display()
            ))
        }
    };
    let mut conn = Connection::open(path).map_err(fail("opening it"))?;
    // No journal and no fsync while building: on failure the file is thrown
    // away anyway.
    conn.query_row("PRAGMA journal_mode = OFF", [], |_| Ok(()))
        .map_err(fail("setting it up"))?;
    conn.execute_batch(
        "PRAGMA synchronous = OFF; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
    )
    .map_err(fail("setting it up"))?;
    let tx = conn
        .transaction()
        .map_err(fail("starting the transaction"))?;
    tx.execute_batch(SCHEMA)
        .map_err(fail("creating the tables"))?;
    let rows = fill(&tx, subjects, seed, clock).map_err(fail("inserting rows"))?;
    tx.execute_batch(INDEXES)
        .map_err(fail("creating the indexes"))?;
    tx.commit().map_err(fail("committing"))?;
    // WAL is what `dsr check` recommends for a store an application writes
    // to while dsr works; the setting is kept in the file.
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .map_err(fail("switching it to WAL"))?;
    conn.close().map_err(|(_, e)| fail("closing it")(e))?;
    Ok(rows)
}

struct Inserts<'c> {
    customer: Statement<'c>,
    meter: Statement<'c>,
    reading: Statement<'c>,
    invoice: Statement<'c>,
    staff: Statement<'c>,
    login: Statement<'c>,
    ticket: Statement<'c>,
    newsletter: Statement<'c>,
    rows: [u64; 8],
}

impl<'c> Inserts<'c> {
    fn prepare(c: &'c Connection) -> rusqlite::Result<Self> {
        Ok(Inserts {
            customer: c.prepare(
                "INSERT INTO customers (id, customer_no, name, email, personnummer, phone, street, postcode, city, \
                 created_at, closed_at, marketing_consent, notes, password_hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?,
            meter: c.prepare(
                "INSERT INTO meters (id, customer_id, meter_no, address, installed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            reading: c.prepare(
                "INSERT INTO meter_readings (meter_id, month, kwh, read_at) VALUES (?1, ?2, ?3, ?4)",
            )?,
            invoice: c.prepare(
                "INSERT INTO invoices (id, customer_id, invoice_no, issued, due, amount_ore, paid_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?,
            staff: c.prepare(
                "INSERT INTO staff (id, name, email, phone, employed_from, employed_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
            login: c.prepare("INSERT INTO staff_logins (id, staff_id, at, ip) VALUES (?1, ?2, ?3, ?4)")?,
            ticket: c.prepare(
                "INSERT INTO tickets (id, customer_id, handled_by, opened_at, closed_at, subject, body) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?,
            newsletter: c.prepare(
                "INSERT INTO newsletter (email, subscribed_at, source) VALUES (?1, ?2, ?3)",
            )?,
            rows: [0; 8],
        })
    }

    /// The id the next row of `table` gets (ids are dense from 1).
    fn next_id(&self, table: usize) -> i64 {
        self.rows[table] as i64 + 1
    }
}

/// Generates and inserts every row. Each phase draws from its own PRNG
/// stream, so the phases do not disturb each other's sequences.
fn fill(c: &Connection, n: u64, seed: u64, clock: &Clock) -> rusqlite::Result<[u64; 8]> {
    let mut ins = Inserts::prepare(c)?;
    let mut uniq = Unique::default();
    let customers = customers(&mut ins, &mut uniq, n, Rng::new(seed, 1), clock)?;
    let staff = staff(&mut ins, &mut uniq, n, Rng::new(seed, 2), clock)?;
    let prospects = prospects(&mut ins, &mut uniq, n, Rng::new(seed, 3), clock)?;
    let mut ctx = TicketCtx {
        rng: Rng::new(seed, 4),
        clock,
        customers: &customers,
        staff: &staff,
    };
    tickets(&mut ins, &mut ctx, &prospects)?;
    Ok(ins.rows)
}

// ---------------------------------------------------------------------------
// Customers, with their meters, readings, invoices and newsletter sign-ups

/// What later phases need to know about a customer.
struct Customer {
    id: i64,
    name: String,
    email: String,
    pnr: u64,
    phone: Option<u64>,
    created: i64,
    closed: Option<i64>,
    first_meter: i64,
}

/// Identifier values handed out so far (emails lowercased), so that no two
/// people share one by accident.
#[derive(Default)]
struct Unique {
    emails: HashSet<String>,
    pnrs: HashSet<u64>,
    phones: HashSet<u64>,
}

fn customers(
    ins: &mut Inserts,
    uniq: &mut Unique,
    n: u64,
    mut rng: Rng,
    clock: &Clock,
) -> rusqlite::Result<Vec<Customer>> {
    // Creation times first, sorted, so that ids and customer numbers grow
    // with the date the customer signed, as in a real system.
    let mut created: Vec<i64> = (0..n)
        .map(|_| {
            let day = clock.today - rng.range(1, 12 * 365);
            day * DAY + rng.range(7 * HOUR, 19 * HOUR)
        })
        .collect();
    created.sort_unstable();
    let ten_years_ago = years_before(clock.today, 10);

    let mut out: Vec<Customer> = Vec::with_capacity(n as usize);
    for created in created {
        let id = ins.next_id(CUSTOMERS);
        let first = rng.pick(FIRST_NAMES);
        let last = rng.pick(LAST_NAMES);
        let name = format!("{first} {last}");
        let email = new_email(&mut rng, uniq, first, last, id);
        let email = if rng.chance(15) {
            capitalised(&email)
        } else {
            email
        };
        // About one in a hundred has a coordination number (day + 60).
        let pnr = new_pnr(&mut rng, uniq, clock, id % 100 == 37);
        let pnr_form = match rng.below(4) {
            0 | 1 => PnrForm::Dash12,
            2 => PnrForm::Dash10,
            _ => PnrForm::Plain12,
        };
        // About one in 500 shares the phone number of one of the customers
        // just before it (a household), so the "ambiguous subject" refusal
        // can be shown. Never among the first customers: a request by any
        // identifier of a customer who shares a phone number is ambiguous
        // (the number, found in their row, matches the other's row too),
        // and the first customers are the ones people try first.
        let shared = if id % 500 == 250 {
            out.iter().rev().take(10).find_map(|c| c.phone)
        } else {
            None
        };
        let phone = match shared {
            Some(p) => Some(p),
            None if rng.chance(40) => None,
            None => Some(new_phone(&mut rng, uniq)),
        };
        let phone_text = phone.map(|p| phone_text(p, rng.pick(&STORED_PHONE_FORMS)));
        let city = rng.pick(CITIES);
        let street = street_address(&mut rng);
        let postcode = format!("{} {:02}", rng.range(city.1, city.2), rng.below(100));

        let created_day = created.div_euclid(DAY);
        let closed_day = (created_day < clock.today - 31 && rng.chance(300))
            .then(|| rng.range(created_day + 30, clock.today - 1));
        let closed = closed_day.map(|d| d * DAY + rng.range(8 * HOUR, 17 * HOUR));
        let closed_value = match closed {
            None => Value::Null,
            Some(secs) => match rng.below(10) {
                0..=3 => Value::Text(date_text(secs.div_euclid(DAY))),
                4..=6 => Value::Text(datetime_text(secs)),
                _ => Value::Integer(secs),
            },
        };
        let subscribes = rng.chance(300);
        let consent = if subscribes {
            rng.chance(900)
        } else {
            rng.chance(100)
        };
        let notes = rng
            .chance(400)
            .then(|| note(&mut rng, created_day, phone, clock));
        let password_hash = rng.chance(850).then(|| fake_password_hash(&mut rng));

        ins.customer.execute(params![
            id,
            format!("K-{id:06}"),
            name,
            email,
            pnr_text(pnr, pnr_form),
            phone_text,
            street,
            postcode,
            city.0,
            datetime_text(created),
            closed_value,
            consent as i64,
            notes,
            password_hash,
        ])?;
        ins.rows[CUSTOMERS] += 1;

        // Meters and their monthly readings, read at the end of each month:
        // up to the month the contract ended, and never this month.
        let end_day = closed_day.unwrap_or(clock.today - 1);
        let end_month = month_index(end_day).min(month_index(clock.today) - 1);
        let meters = 1 + u64::from(rng.chance(300));
        let mut annual_kwh = 0.0;
        let mut first_meter = 0;
        for k in 0..meters {
            let meter_id = ins.next_id(METERS);
            let installed = if k == 0 {
                first_meter = meter_id;
                created_day
            } else {
                rng.range(created_day, end_day)
            };
            let address = if k == 0 {
                format!("{street}, {postcode} {}", city.0)
            } else {
                format!("{}, {postcode} {}", street_address(&mut rng), city.0)
            };
            ins.meter.execute(params![
                meter_id,
                id,
                format!("FV-{meter_id:07}"),
                address,
                date_text(installed),
            ])?;
            ins.rows[METERS] += 1;

            let annual = rng.range(8_000, 30_000) as f64;
            annual_kwh += annual;
            let start_month = (end_month - rng.range(18, 46) + 1).max(month_index(installed));
            for m in start_month..=end_month {
                let (y, mo) = (m.div_euclid(12), m.rem_euclid(12) + 1);
                let noise = 0.85 + 0.3 * rng.unit();
                let kwh = (annual * MONTH_SHARE[(mo - 1) as usize] * noise * 10.0).round() / 10.0;
                let last_day = days_from_civil(y, mo, days_in_month(y, mo));
                let read_at = last_day * DAY + 22 * HOUR + rng.range(0, HOUR - 1);
                ins.reading
                    .execute(params![meter_id, format!("{y:04}-{mo:02}"), kwh, read_at])?;
                ins.rows[READINGS] += 1;
            }
        }

        // Quarterly invoices, at most ten years back.
        let first_day = created_day.max(ten_years_ago);
        let offset = rng.range(0, 14);
        let mut q = month_index(first_day).div_euclid(3) * 3;
        loop {
            let (y, mo) = (q.div_euclid(12), q.rem_euclid(12) + 1);
            q += 3;
            let issued = days_from_civil(y, mo, 1) + offset;
            if issued < first_day {
                continue;
            }
            if issued > end_day {
                break;
            }
            let invoice_id = ins.next_id(INVOICES);
            let share = QUARTER_SHARE[((mo - 1) / 3) as usize];
            let amount = (annual_kwh * PRICE_ORE_PER_KWH * share * (0.9 + 0.2 * rng.unit())).round()
                as i64
                + FIXED_FEE_ORE;
            let paid = if clock.today - issued < 30 {
                (rng.chance(500) && issued + 3 < clock.today)
                    .then(|| rng.range(issued + 3, clock.today - 1))
            } else if rng.chance(20) {
                None
            } else {
                Some((issued + rng.range(5, 45)).min(clock.today - 1))
            };
            ins.invoice.execute(params![
                invoice_id,
                id,
                format!("F{invoice_id:08}"),
                date_text(issued),
                date_text(issued + 30),
                amount,
                paid.map(date_text),
            ])?;
            ins.rows[INVOICES] += 1;
        }

        if subscribes {
            // Mostly the address as stored, sometimes typed differently.
            let address = if rng.chance(150) {
                other_case(&email, &mut rng)
            } else {
                email.clone()
            };
            let from = created.max(clock.now - 6 * 365 * DAY);
            ins.newsletter.execute(params![
                address,
                rng.range(from, clock.now - 1),
                rng.pick(NEWSLETTER_SOURCES),
            ])?;
            ins.rows[NEWSLETTER] += 1;
        }

        out.push(Customer {
            id,
            name,
            email,
            pnr,
            phone,
            created,
            closed,
            first_meter,
        });
    }
    Ok(out)
}

/// A note as customer service writes them; now and then with the customer's
/// own phone number in another written form.
fn note(rng: &mut Rng, created_day: i64, phone: Option<u64>, clock: &Clock) -> String {
    match (rng.below(8), phone) {
        (0, _) => "Föredrar kontakt via e-post.".into(),
        (1, _) => format!("Portkod {}.", rng.range(1000, 9999)),
        (2, _) => "Hund på tomten – ring innan besök.".into(),
        (3, _) => format!("Autogiro sedan {}.", civil_from_days(created_day).0),
        (4, _) => format!(
            "Betalningsanstånd beviljat till {}.",
            date_text(rng.range(created_day, clock.today + 60))
        ),
        (5, Some(p)) => format!(
            "Nås bäst på {} dagtid.",
            phone_text(p, rng.pick(&MENTION_PHONE_FORMS))
        ),
        (6, _) => "Undercentralen bytt, garanti fem år.".into(),
        _ => "Vill ha fakturan på engelska.".into(),
    }
}

// ---------------------------------------------------------------------------
// Staff and their logins

struct Staff {
    id: i64,
    from: i64,
    to: Option<i64>,
}

fn staff(
    ins: &mut Inserts,
    uniq: &mut Unique,
    n: u64,
    mut rng: Rng,
    clock: &Clock,
) -> rusqlite::Result<Vec<Staff>> {
    let count = (n / 200).max(3);
    let mut froms: Vec<i64> = (0..count)
        .map(|_| clock.today - rng.range(60, 15 * 365))
        .collect();
    froms.sort_unstable();
    let mut out = Vec::with_capacity(froms.len());
    for from in froms {
        let id = ins.next_id(STAFF);
        let first = rng.pick(FIRST_NAMES);
        let last = rng.pick(LAST_NAMES);
        let email = new_email(&mut rng, uniq, first, last, id);
        let phone = rng
            .chance(850)
            .then(|| phone_text(new_phone(&mut rng, uniq), rng.pick(&STORED_PHONE_FORMS)));
        let to = if rng.chance(150) {
            let to = clock.today - rng.range(20, 170);
            (to > from + 30).then_some(to)
        } else {
            None
        };
        ins.staff.execute(params![
            id,
            format!("{first} {last}"),
            email,
            phone,
            date_text(from),
            to.map(date_text),
        ])?;
        ins.rows[STAFF] += 1;

        // Logins over the last 180 days of employment; from the office
        // network mostly, from home sometimes.
        let lo = (clock.now - 180 * DAY).max(from * DAY);
        let hi = to.map_or(clock.now, |t| (t + 1) * DAY) - 1;
        let mut times: Vec<i64> = if hi > lo {
            (0..rng.range(10, 30)).map(|_| rng.range(lo, hi)).collect()
        } else {
            Vec::new()
        };
        times.sort_unstable();
        let office = format!("10.20.{}.{}", id / 250, id % 250 + 2);
        let home = format!(
            "{}.{}",
            rng.pick(&["192.0.2", "198.51.100", "203.0.113"]),
            rng.range(1, 254)
        );
        for at in times {
            let ip = if rng.chance(700) { &office } else { &home };
            ins.login
                .execute(params![ins.next_id(LOGINS), id, at, ip])?;
            ins.rows[LOGINS] += 1;
        }
        out.push(Staff { id, from, to });
    }
    Ok(out)
}

/// Newsletter subscribers who are not customers; some of them also wrote to
/// customer service about getting connected.
fn prospects(
    ins: &mut Inserts,
    uniq: &mut Unique,
    n: u64,
    mut rng: Rng,
    clock: &Clock,
) -> rusqlite::Result<Vec<String>> {
    let count = n / 10 + 3;
    let mut out = Vec::with_capacity(count as usize);
    for k in 0..count {
        let first = rng.pick(FIRST_NAMES);
        let last = rng.pick(LAST_NAMES);
        let email = new_email(&mut rng, uniq, first, last, k as i64 + 1);
        ins.newsletter.execute(params![
            email,
            clock.now - rng.range(DAY, 6 * 365 * DAY),
            rng.pick(NEWSLETTER_SOURCES),
        ])?;
        ins.rows[NEWSLETTER] += 1;
        out.push(email);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Tickets

struct TicketCtx<'a> {
    rng: Rng,
    clock: &'a Clock,
    customers: &'a [Customer],
    staff: &'a [Staff],
}

struct Ticket {
    opened: i64,
    customer: Option<i64>,
    handler: Option<i64>,
    closed: Value,
    subject: &'static str,
    body: String,
}

fn tickets(ins: &mut Inserts, ctx: &mut TicketCtx, prospects: &[String]) -> rusqlite::Result<()> {
    let clock = ctx.clock;
    let mut all = Vec::new();
    for (i, c) in ctx.customers.iter().enumerate() {
        // 60 % none, 30 % one, 10 % two: half a ticket per customer.
        let count = match ctx.rng.below(10) {
            0..=5 => 0,
            6..=8 => 1,
            _ => 2,
        };
        for _ in 0..count {
            let hi = c.closed.unwrap_or(clock.now) - 1;
            let mut lo = c.created.max(clock.now - 4 * 365 * DAY);
            if lo >= hi {
                lo = c.created.max(hi - 180 * DAY);
            }
            let opened = ctx.rng.range(lo, hi);
            let (subject, mut body) = ticket_text(&mut ctx.rng, c, opened);
            // One in ten mentions someone else: a neighbour, a relative.
            if ctx.customers.len() > 1 && ctx.rng.chance(100) {
                let mut j = ctx.rng.below(ctx.customers.len() as u64 - 1) as usize;
                if j >= i {
                    j += 1;
                }
                body.push(' ');
                body.push_str(&mention(&mut ctx.rng, &ctx.customers[j]));
            }
            all.push(ctx.finish(opened, Some(c.id), subject, body));
        }
    }
    // Enquiries from people who are not customers.
    for _ in 0..ctx.customers.len() / 100 {
        let opened = clock.now - ctx.rng.range(DAY, 3 * 365 * DAY);
        let body = format!(
            "Vill veta vad det kostar att ansluta villan till fjärrvärme. Svar till {}.",
            prospects[ctx.rng.below(prospects.len() as u64) as usize]
        );
        all.push(ctx.finish(opened, None, "Intresseanmälan", body));
    }
    // Ids in the order the tickets were opened, as a ticket system gives them.
    all.sort_by_key(|t| t.opened);
    for t in all {
        ins.ticket.execute(params![
            ins.next_id(TICKETS),
            t.customer,
            t.handler,
            datetime_text(t.opened),
            t.closed,
            t.subject,
            t.body,
        ])?;
        ins.rows[TICKETS] += 1;
    }
    Ok(())
}

impl TicketCtx<'_> {
    /// Closes the ticket (or not) and assigns it to someone employed then.
    fn finish(
        &mut self,
        opened: i64,
        customer: Option<i64>,
        subject: &'static str,
        body: String,
    ) -> Ticket {
        let now = self.clock.now;
        let age = now - opened;
        let open =
            (age < 14 * DAY && self.rng.chance(500)) || (age < 60 * DAY && self.rng.chance(100));
        let closed = if open {
            Value::Null
        } else {
            let at = (opened + self.rng.range(600, 21 * DAY)).min(now - 1);
            match self.rng.below(10) {
                0..=4 => Value::Text(datetime_text(at)),
                5 => Value::Text(date_text(at.div_euclid(DAY))),
                _ => Value::Integer(at),
            }
        };
        let unassigned = if open {
            self.rng.chance(500)
        } else {
            self.rng.chance(20)
        };
        let handler = if unassigned {
            None
        } else {
            let employed =
                |s: &Staff| s.from * DAY <= opened && s.to.is_none_or(|t| opened < (t + 1) * DAY);
            let mut pick = self.rng.below(self.staff.len() as u64) as usize;
            for _ in 0..8 {
                if employed(&self.staff[pick]) {
                    break;
                }
                pick = self.rng.below(self.staff.len() as u64) as usize;
            }
            Some(self.staff[pick].id)
        };
        Ticket {
            opened,
            customer,
            handler,
            closed,
            subject,
            body,
        }
    }
}

fn ticket_text(rng: &mut Rng, c: &Customer, opened: i64) -> (&'static str, String) {
    match rng.below(10) {
        0 => ("Fråga om faktura", "Kunden undrar varför fakturan är högre än samma kvartal i fjol. Förklarat att förbrukningen ökat under den kalla vintern. Kunden nöjd med svaret.".into()),
        1 => ("Mätaravläsning", format!("Kunden menar att mätarställningen på FV-{:07} inte stämmer. Kontrollavläsning bokad.", c.first_meter)),
        2 => ("Flytt", format!("Kunden flyttar och vill säga upp avtalet från {}. Slutavläsning bokad.", date_text(opened.div_euclid(DAY) + rng.range(14, 90)))),
        3 => ("Avbrott i värmeleveransen", "Inget varmvatten sedan i morse. Driften larmad, felet åtgärdat samma dag.".into()),
        4 => ("Autogiro", "Kunden vill betala med autogiro. Medgivande skickat per post.".into()),
        5 => ("Läckage i undercentral", "Det droppar från en ventil i undercentralen. Tekniker skickad, packning bytt.".into()),
        6 => ("Ändrade kontaktuppgifter", "Kunden har bytt telefonnummer och e-postadress. Uppdaterat i kundregistret.".into()),
        7 => ("Synpunkter på priset", "Kunden är missnöjd med prishöjningen. Hänvisat till prisändringsbrevet och jämförpriset.".into()),
        8 => ("Betalningspåminnelse", "Kunden har fått en påminnelse men har betalat. Betalningen kom in sent; påminnelseavgiften struken.".into()),
        _ => ("Elementen blir inte varma", "Tipsat om att lufta elementen och se över termostatventilerna. Kunden återkommer om det inte hjälper.".into()),
    }
}

/// A sentence naming another customer by an identifier, written the way
/// people write them: rarely in the form the store uses.
fn mention(rng: &mut Rng, other: &Customer) -> String {
    let pnr = |rng: &mut Rng| pnr_text(other.pnr, rng.pick(&MENTION_PNR_FORMS));
    let email = |rng: &mut Rng| {
        if rng.chance(500) {
            other_case(&other.email, rng)
        } else {
            other.email.clone()
        }
    };
    let kind = rng.below(6);
    match (kind, other.phone) {
        (0, _) => format!("Ringde å grannens vägnar, {}.", pnr(rng)),
        (1, _) => format!("Dödsbo: kontaktperson {} ({}).", other.name, pnr(rng)),
        (2, _) => format!("Fakturan ska enligt kunden skickas till {}.", email(rng)),
        (3, _) => format!("Kopia av svaret till {} enligt önskemål.", email(rng)),
        (4, Some(p)) => format!(
            "Kunden ber oss ringa hyresgästen på {} i stället.",
            phone_text(p, rng.pick(&MENTION_PHONE_FORMS))
        ),
        (_, Some(p)) => format!(
            "Delar undercentral med {}, nås på {}.",
            other.name,
            phone_text(p, rng.pick(&MENTION_PHONE_FORMS))
        ),
        (_, None) => format!("Delar undercentral med {}, {}.", other.name, email(rng)),
    }
}

// ---------------------------------------------------------------------------
// Identifiers

#[derive(Debug, Clone, Copy)]
enum PnrForm {
    /// YYYYMMDD-NNNN
    Dash12,
    /// YYMMDD-NNNN
    Dash10,
    /// YYYYMMDDNNNN
    Plain12,
    /// YYMMDDNNNN
    Plain10,
}

const MENTION_PNR_FORMS: [PnrForm; 4] = [
    PnrForm::Dash12,
    PnrForm::Dash10,
    PnrForm::Plain12,
    PnrForm::Plain10,
];

/// A new personnummer (or samordningsnummer, day + 60) as the twelve-digit
/// number YYYYMMDDNNNC, for someone aged 18 to 90 (so never the `+` form).
fn new_pnr(rng: &mut Rng, uniq: &mut Unique, clock: &Clock, samordning: bool) -> u64 {
    let year = civil_from_days(clock.today).0;
    loop {
        let birth = rng.range(
            days_from_civil(year - 90, 1, 1),
            days_from_civil(year - 18, 1, 1),
        );
        let (y, m, d) = civil_from_days(birth);
        let d = if samordning { d + 60 } else { d };
        let serial = rng.below(1000) as i64;
        let nine = ((y % 100) * 10_000 + m * 100 + d) * 1000 + serial;
        let v = ((y * 10_000 + m * 100 + d) * 10_000 + serial * 10 + luhn(nine)) as u64;
        if uniq.pnrs.insert(v) {
            return v;
        }
    }
}

/// The Luhn check digit over nine digits (weights 2, 1, 2, … from the left).
fn luhn(nine: i64) -> i64 {
    let mut sum = 0;
    let mut rest = nine;
    for i in 0..9 {
        let digit = rest % 10;
        rest /= 10;
        // Counted from the right, the last of the nine digits has weight 2.
        let p = if i % 2 == 0 { digit * 2 } else { digit };
        sum += if p > 9 { p - 9 } else { p };
    }
    (10 - sum % 10) % 10
}

fn pnr_text(v: u64, form: PnrForm) -> String {
    let s = format!("{v:012}");
    match form {
        PnrForm::Dash12 => format!("{}-{}", &s[..8], &s[8..]),
        PnrForm::Dash10 => format!("{}-{}", &s[2..8], &s[8..]),
        PnrForm::Plain12 => s,
        PnrForm::Plain10 => s[2..].to_string(),
    }
}

#[derive(Debug, Clone, Copy)]
enum PhoneForm {
    /// 070-123 45 67
    Dashed,
    /// +46701234567
    Intl,
    /// 0701234567
    Plain,
    /// 070 123 45 67
    Spaced,
    /// +46 70 123 45 67
    IntlSpaced,
}

const STORED_PHONE_FORMS: [PhoneForm; 3] = [PhoneForm::Dashed, PhoneForm::Intl, PhoneForm::Plain];
const MENTION_PHONE_FORMS: [PhoneForm; 5] = [
    PhoneForm::Dashed,
    PhoneForm::Intl,
    PhoneForm::Plain,
    PhoneForm::Spaced,
    PhoneForm::IntlSpaced,
];

/// A new Swedish mobile number, as the nine digits after the leading 0.
fn new_phone(rng: &mut Rng, uniq: &mut Unique) -> u64 {
    loop {
        let v = rng.pick(&[70u64, 72, 73, 76, 79]) * 10_000_000 + rng.below(10_000_000);
        if uniq.phones.insert(v) {
            return v;
        }
    }
}

fn phone_text(v: u64, form: PhoneForm) -> String {
    let s = format!("{v:09}");
    let (a, b, c, d) = (&s[..2], &s[2..5], &s[5..7], &s[7..]);
    match form {
        PhoneForm::Dashed => format!("0{a}-{b} {c} {d}"),
        PhoneForm::Intl => format!("+46{s}"),
        PhoneForm::Plain => format!("0{s}"),
        PhoneForm::Spaced => format!("0{a} {b} {c} {d}"),
        PhoneForm::IntlSpaced => format!("+46 {a} {b} {c} {d}"),
    }
}

/// A new lowercase address at example.se or example.com, made from the name.
fn new_email(rng: &mut Rng, uniq: &mut Unique, first: &str, last: &str, serial: i64) -> String {
    let f = ascii_fold(first);
    let l = ascii_fold(last);
    let local = match rng.below(10) {
        0..=5 => format!("{f}.{l}"),
        6 | 7 => format!("{f}{l}"),
        _ => format!("{}.{l}", &f[..1]),
    };
    let domain = if rng.chance(700) {
        "example.se"
    } else {
        "example.com"
    };
    let mut candidate = format!("{local}@{domain}");
    let mut k = 0;
    while !uniq.emails.insert(candidate.clone()) {
        let suffix = if k < 5 { rng.range(2, 99) } else { serial + k };
        candidate = format!("{local}{suffix}@{domain}");
        k += 1;
    }
    candidate
}

fn ascii_fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'å' | 'ä' | 'Å' | 'Ä' => 'a',
            'ö' | 'Ö' => 'o',
            'é' | 'É' => 'e',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// `anna.berg@example.se` → `Anna.Berg@Example.se`.
fn capitalised(email: &str) -> String {
    let mut out = String::with_capacity(email.len());
    let mut up = true;
    for c in email.chars() {
        out.push(if up { c.to_ascii_uppercase() } else { c });
        up = (c == '.' && !out.contains('@')) || c == '@';
    }
    out
}

/// The same address with different capitalisation than `email`.
fn other_case(email: &str, rng: &mut Rng) -> String {
    if email.bytes().any(|b| b.is_ascii_uppercase()) {
        email.to_ascii_lowercase()
    } else if rng.chance(500) {
        capitalised(email)
    } else {
        email.to_ascii_uppercase()
    }
}

fn fake_password_hash(rng: &mut Rng) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut chars = |n: usize| -> String {
        (0..n)
            .map(|_| B64[rng.below(64) as usize] as char)
            .collect()
    };
    let salt = chars(22);
    let hash = chars(43);
    format!("$argon2id$v=19$m=19456,t=2,p=1${salt}${hash}")
}

fn street_address(rng: &mut Rng) -> String {
    let mut s = format!("{} {}", rng.pick(STREETS), rng.range(1, 120));
    if rng.chance(150) {
        s.push(' ');
        s.push(rng.pick(&['A', 'B', 'C']));
    }
    if rng.chance(250) {
        s.push_str(&format!(" lgh {}{:02}", rng.range(11, 16), rng.range(1, 4)));
    }
    s
}

// ---------------------------------------------------------------------------
// Calendar: plain day counts (days since 1970-01-01, UTC) keep the millions
// of readings and invoices cheap to generate.

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

struct Clock {
    /// Today, as days since the epoch.
    today: i64,
    /// The start of today (UTC) in Unix seconds; every generated instant is
    /// before it, so nothing lies in the future.
    now: i64,
}

impl Clock {
    fn new(today: jiff::civil::Date) -> Clock {
        let d = days_from_civil(
            i64::from(today.year()),
            i64::from(today.month()),
            i64::from(today.day()),
        );
        Clock {
            today: d,
            now: d * DAY,
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)
}

/// Months since year 0 (year * 12 + month - 1), for stepping by months.
fn month_index(day: i64) -> i64 {
    let (y, m, _) = civil_from_days(day);
    y * 12 + m - 1
}

fn years_before(day: i64, years: i64) -> i64 {
    let (y, m, d) = civil_from_days(day);
    days_from_civil(y - years, m, d.min(days_in_month(y - years, m)))
}

fn date_text(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

fn datetime_text(secs: i64) -> String {
    let s = secs.rem_euclid(DAY);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date_text(secs.div_euclid(DAY)),
        s / HOUR,
        s / 60 % 60,
        s % 60
    )
}

// ---------------------------------------------------------------------------
// PRNG: xoshiro256** seeded by splitmix64. Hand-written so that the output
// never changes with a dependency's version.

struct Rng([u64; 4]);

impl Rng {
    /// Independent streams from one seed.
    fn new(seed: u64, stream: u64) -> Rng {
        let mut x = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng([next(), next(), next(), next()])
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in 0..n (0 when n is 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in lo..=hi (lo when hi < lo).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    /// True with probability per_mille / 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

// ---------------------------------------------------------------------------
// Word lists

const FIRST_NAMES: &[&str] = &[
    "Anna",
    "Eva",
    "Maria",
    "Karin",
    "Kristina",
    "Lena",
    "Sara",
    "Emma",
    "Ingrid",
    "Märta",
    "Åsa",
    "Ebba",
    "Linnéa",
    "Maja",
    "Elsa",
    "Astrid",
    "Sofia",
    "Ida",
    "Hanna",
    "Birgitta",
    "Margareta",
    "Signe",
    "Greta",
    "Tove",
    "Erik",
    "Lars",
    "Karl",
    "Anders",
    "Johan",
    "Per",
    "Nils",
    "Mikael",
    "Jan",
    "Hans",
    "Björn",
    "Göran",
    "Sören",
    "Örjan",
    "Åke",
    "Olof",
    "Gustav",
    "Oskar",
    "Axel",
    "Linus",
    "Mattias",
    "Jörgen",
    "Håkan",
    "Måns",
    "André",
    "Ture",
];

const LAST_NAMES: &[&str] = &[
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Jönsson",
    "Lindberg",
    "Lindström",
    "Lindqvist",
    "Lundgren",
    "Berg",
    "Bergström",
    "Sjöberg",
    "Åberg",
    "Öberg",
    "Ström",
    "Holmström",
    "Nordström",
    "Näslund",
    "Wikström",
    "Öhman",
    "Åström",
    "Sandström",
    "Häggström",
    "Björk",
    "Lövgren",
    "Söderberg",
    "Hedström",
    "Forsberg",
    "Dahlén",
    "Lundmark",
    "Marklund",
    "Burström",
    "Öqvist",
];

const STREETS: &[&str] = &[
    "Storgatan",
    "Kungsgatan",
    "Rådhusesplanaden",
    "Skolgatan",
    "Järnvägsgatan",
    "Östra Kyrkogatan",
    "Västra Esplanaden",
    "Björkvägen",
    "Tallvägen",
    "Granvägen",
    "Älvgatan",
    "Sjögatan",
    "Hamngatan",
    "Smedjegatan",
    "Backgränd",
    "Ängsvägen",
    "Rönnvägen",
    "Sörbyvägen",
    "Norra Strandgatan",
    "Åkervägen",
    "Myrstigen",
    "Fjällgatan",
];

/// City, and the range of the first three digits of its postcodes.
const CITIES: &[(&str, i64, i64)] = &[
    ("Umeå", 903, 907),
    ("Luleå", 972, 977),
    ("Skellefteå", 931, 934),
    ("Piteå", 941, 943),
    ("Sundsvall", 852, 857),
    ("Östersund", 831, 834),
    ("Örnsköldsvik", 891, 894),
    ("Kiruna", 981, 981),
    ("Boden", 961, 961),
    ("Härnösand", 871, 871),
];

const NEWSLETTER_SOURCES: &[&str] = &["webbplats", "kundportal", "mässa", "kampanj"];

/// Share of a year's heat use by month, January first (sums to 1).
const MONTH_SHARE: [f64; 12] = [
    0.15, 0.13, 0.12, 0.09, 0.06, 0.04, 0.03, 0.03, 0.05, 0.08, 0.10, 0.12,
];
/// Share of a year's heat use by quarter.
const QUARTER_SHARE: [f64; 4] = [0.40, 0.19, 0.11, 0.30];
const PRICE_ORE_PER_KWH: f64 = 85.0;
const FIXED_FEE_ORE: i64 = 125_000;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn today() -> jiff::civil::Date {
        jiff::civil::date(2026, 5, 14)
    }

    fn open(dir: &Path) -> Connection {
        Connection::open(dir.join(STORE_FILE)).unwrap()
    }

    fn count(c: &Connection, sql: &str) -> i64 {
        c.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    fn texts(c: &Connection, sql: &str) -> Vec<String> {
        let mut st = c.prepare(sql).unwrap();
        let rows = st.query_map([], |r| r.get(0)).unwrap();
        rows.map(|r| r.unwrap()).collect()
    }

    /// Every row of every table, values with their SQL types.
    fn dump(dir: &Path) -> Vec<String> {
        let c = open(dir);
        let mut out = Vec::new();
        for t in TABLES {
            let mut st = c
                .prepare(&format!("SELECT * FROM {t} ORDER BY rowid"))
                .unwrap();
            let n = st.column_count();
            let rows = st
                .query_map([], |r| {
                    let mut s = format!("{t}:");
                    for i in 0..n {
                        s.push_str(&format!("{:?}|", r.get_ref(i)?));
                    }
                    Ok(s)
                })
                .unwrap();
            out.extend(rows.map(|r| r.unwrap()));
        }
        out
    }

    /// A stored personnummer as its ten digits, checked for shape.
    fn ten_digits(s: &str) -> String {
        let digits: String = s.chars().filter(|c| *c != '-' && *c != '+').collect();
        assert!(digits.chars().all(|c| c.is_ascii_digit()), "{s}");
        match digits.len() {
            12 => digits[2..].to_string(),
            10 => digits,
            _ => panic!("personnummer {s} has neither 10 nor 12 digits"),
        }
    }

    fn luhn_ok(ten: &str) -> bool {
        let sum: u32 = ten
            .bytes()
            .enumerate()
            .map(|(i, b)| {
                let p = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
                p / 10 + p % 10
            })
            .sum();
        sum.is_multiple_of(10)
    }

    fn phone_digits(s: &str) -> String {
        let d: String = s.chars().filter(char::is_ascii_digit).collect();
        d.strip_prefix("46").map(|r| format!("0{r}")).unwrap_or(d)
    }

    #[test]
    fn same_inputs_same_tables_and_other_seed_differs() {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let sa = generate(a.path(), 300, 42, today(), false).unwrap();
        let sb = generate(b.path(), 300, 42, today(), false).unwrap();
        generate(c.path(), 300, 43, today(), false).unwrap();
        assert_eq!(sa.rows, sb.rows);
        let (da, db, dc) = (dump(a.path()), dump(b.path()), dump(c.path()));
        assert!(da.len() > 1000);
        assert_eq!(da, db);
        assert_ne!(da, dc);
        assert_eq!(
            fs::read(a.path().join(MAP_FILE)).unwrap(),
            DATAMAP.as_bytes()
        );
    }

    #[test]
    fn refuses_to_overwrite_unless_forced() {
        let d = tempfile::tempdir().unwrap();
        generate(d.path(), 20, 1, today(), false).unwrap();
        let before = dump(d.path());
        let e = generate(d.path(), 20, 2, today(), false).unwrap_err();
        assert!(matches!(e, Error::Usage(_)), "{e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains("tenant.db") && msg.contains("--force"),
            "{msg}"
        );
        assert_eq!(dump(d.path()), before);

        // Either file alone is enough to refuse.
        fs::remove_file(d.path().join(STORE_FILE)).unwrap();
        let msg = generate(d.path(), 20, 2, today(), false)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("datamap.toml") && msg.contains("--force"),
            "{msg}"
        );
        assert!(!d.path().join(STORE_FILE).exists());

        // --force replaces both, and a stale WAL of the old store is not
        // replayed into the new one.
        fs::write(d.path().join("tenant.db-wal"), b"stale").unwrap();
        generate(d.path(), 20, 2, today(), true).unwrap();
        let c = open(d.path());
        assert_eq!(texts(&c, "PRAGMA integrity_check"), ["ok"]);
        drop(c);
        assert_ne!(dump(d.path()), before);
        generate(d.path(), 20, 1, today(), true).unwrap();
        assert_eq!(dump(d.path()), before);
    }

    #[test]
    fn row_counts_for_a_thousand_subjects() {
        let d = tempfile::tempdir().unwrap();
        let s = generate(d.path(), 1000, 7, today(), false).unwrap();
        println!("{:?}", s.rows);
        let names: Vec<&str> = s.rows.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(names, TABLES);
        let n: HashMap<&str, u64> = s.rows.iter().map(|(t, n)| (t.as_str(), *n)).collect();
        assert_eq!(n["customers"], 1000);
        assert!((1200..=1400).contains(&n["meters"]), "{n:?}");
        let per_meter = n["meter_readings"] as f64 / n["meters"] as f64;
        assert!((20.0..=30.0).contains(&per_meter), "{per_meter}");
        assert!((8_000..=30_000).contains(&n["invoices"]), "{n:?}");
        assert_eq!(n["staff"], 5);
        assert!((50..=150).contains(&n["staff_logins"]), "{n:?}");
        assert!((420..=600).contains(&n["tickets"]), "{n:?}");
        assert!((330..=480).contains(&n["newsletter"]), "{n:?}");
        let c = open(d.path());
        for (t, rows) in &s.rows {
            assert_eq!(
                count(&c, &format!("SELECT count(*) FROM {t}")) as u64,
                *rows,
                "{t}"
            );
        }
        assert_eq!(texts(&c, "PRAGMA integrity_check"), ["ok"]);
        assert_eq!(
            count(&c, "SELECT count(*) FROM pragma_foreign_key_check"),
            0
        );
        assert_eq!(texts(&c, "PRAGMA journal_mode"), ["wal"]);
        // Only the two files are left in DIR.
        drop(c);
        let mut left: Vec<String> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["datamap.toml", "tenant.db"]);
    }

    #[test]
    fn no_subjects_is_still_a_store() {
        let d = tempfile::tempdir().unwrap();
        let s = generate(d.path(), 0, 7, today(), false).unwrap();
        assert_eq!(s.rows[0], ("customers".to_string(), 0));
        assert_eq!(s.rows[4], ("staff".to_string(), 3));
        assert!(generate(d.path(), MAX_SUBJECTS + 1, 7, today(), true).is_err());
    }

    #[test]
    fn identifiers_are_valid_unique_and_in_mixed_forms() {
        let d = tempfile::tempdir().unwrap();
        generate(d.path(), 1000, 11, today(), false).unwrap();
        let c = open(d.path());

        let pnrs = texts(&c, "SELECT personnummer FROM customers");
        assert_eq!(pnrs.len(), 1000);
        let mut seen = HashSet::new();
        let mut samordning = 0;
        for p in &pnrs {
            let ten = ten_digits(p);
            assert!(luhn_ok(&ten), "{p} fails the Luhn check");
            let month: u32 = ten[2..4].parse().unwrap();
            let day: u32 = ten[4..6].parse().unwrap();
            assert!((1..=12).contains(&month), "{p}");
            assert!((1..=31).contains(&day) || (61..=91).contains(&day), "{p}");
            samordning += usize::from(day > 60);
            assert!(seen.insert(ten), "{p} twice");
        }
        assert!(samordning >= 5, "{samordning} samordningsnummer");
        let forms = |glob: &str| {
            count(
                &c,
                &format!("SELECT count(*) FROM customers WHERE personnummer GLOB '{glob}'"),
            )
        };
        let d8 = "[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]";
        let dash12 = forms(&format!("{d8}-[0-9][0-9][0-9][0-9]"));
        let dash10 = forms("[0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]");
        let plain12 = forms(&format!("{d8}[0-9][0-9][0-9][0-9]"));
        assert!((400..=600).contains(&dash12), "{dash12}");
        assert!((170..=330).contains(&dash10), "{dash10}");
        assert!((170..=330).contains(&plain12), "{plain12}");
        assert_eq!(dash12 + dash10 + plain12, 1000);

        let phones = texts(&c, "SELECT phone FROM customers WHERE phone IS NOT NULL");
        assert!(phones.iter().any(|p| p.starts_with("+467")));
        assert!(phones
            .iter()
            .any(|p| p.len() == 13 && p.as_bytes()[3] == b'-'));
        assert!(phones.iter().any(|p| p.len() == 10 && p.starts_with("07")));
        let mut by_number: HashMap<String, usize> = HashMap::new();
        for p in &phones {
            assert!(
                phone_digits(p).len() == 10 && phone_digits(p).starts_with("07"),
                "{p}"
            );
            *by_number.entry(phone_digits(p)).or_default() += 1;
        }
        let shared = by_number.values().filter(|n| **n > 1).count();
        assert!((1..=5).contains(&shared), "{shared} shared phone numbers");

        let emails = texts(&c, "SELECT email FROM customers");
        let lower: HashSet<String> = emails.iter().map(|e| e.to_lowercase()).collect();
        assert_eq!(lower.len(), 1000, "emails are unique ignoring case");
        assert!(emails
            .iter()
            .all(|e| e.to_lowercase().ends_with("@example.se")
                || e.to_lowercase().ends_with("@example.com")));
        assert!(emails
            .iter()
            .any(|e| e.bytes().any(|b| b.is_ascii_uppercase())));
        assert!(count(&c, "SELECT count(*) FROM newsletter n JOIN customers c ON lower(n.email) = lower(c.email) AND n.email <> c.email") > 0);
        assert!(count(&c, "SELECT count(*) FROM newsletter n WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE lower(c.email) = lower(n.email))") > 50);
        let names = texts(&c, "SELECT name FROM customers");
        assert!(names.iter().any(|n| n.contains(['å', 'ä', 'ö'])));
    }

    #[test]
    fn timestamps_are_mixed_and_every_rule_has_work() {
        let d = tempfile::tempdir().unwrap();
        generate(d.path(), 1000, 5, today(), false).unwrap();
        let c = open(d.path());
        let by_type = |t: &str, col: &str, cond: &str| {
            count(
                &c,
                &format!("SELECT count(*) FROM {t} WHERE {col} IS NOT NULL AND {cond}"),
            )
        };
        for t in ["customers", "tickets"] {
            assert!(
                by_type(t, "closed_at", "typeof(closed_at) = 'integer'") > 0,
                "{t}"
            );
            assert!(
                by_type(
                    t,
                    "closed_at",
                    "typeof(closed_at) = 'text' AND length(closed_at) = 10"
                ) > 0,
                "{t}"
            );
            assert!(
                by_type(
                    t,
                    "closed_at",
                    "typeof(closed_at) = 'text' AND length(closed_at) = 20"
                ) > 0,
                "{t}"
            );
        }
        let open_customers = count(&c, "SELECT count(*) FROM customers WHERE closed_at IS NULL");
        assert!((620..=780).contains(&open_customers), "{open_customers}");

        // Both sides of every limit (today is 2026-05-14).
        let secs = |col: &str| {
            format!("(CASE typeof({col}) WHEN 'integer' THEN {col} ELSE unixepoch({col}) END)")
        };
        let sides = |t: &str, col: &str, limit: &str| {
            let at = secs(col);
            let lim = format!("unixepoch('{limit}')");
            (
                count(
                    &c,
                    &format!("SELECT count(*) FROM {t} WHERE {col} IS NOT NULL AND {at} < {lim}"),
                ),
                count(
                    &c,
                    &format!("SELECT count(*) FROM {t} WHERE {col} IS NOT NULL AND {at} >= {lim}"),
                ),
            )
        };
        for (t, col, limit) in [
            ("customers", "closed_at", "2024-05-14"),
            ("tickets", "closed_at", "2025-05-14"),
            ("staff_logins", "at", "2026-02-13"),
            ("newsletter", "subscribed_at", "2023-05-14"),
            ("invoices", "issued", "2019-01-01"),
        ] {
            let (expired, kept) = sides(t, col, limit);
            assert!(
                expired > 0 && kept > 0,
                "{t}.{col}: {expired} expired, {kept} not"
            );
        }
        // Nothing in the future.
        for (t, col) in [
            ("customers", "created_at"),
            ("customers", "closed_at"),
            ("tickets", "opened_at"),
            ("tickets", "closed_at"),
            ("invoices", "issued"),
            ("invoices", "paid_at"),
            ("staff_logins", "at"),
            ("newsletter", "subscribed_at"),
            ("meter_readings", "read_at"),
        ] {
            assert_eq!(sides(t, col, "2026-05-14").1, 0, "{t}.{col}");
        }
        assert!(
            count(
                &c,
                "SELECT count(*) FROM invoices WHERE issued < '2016-05-14'"
            ) == 0
        );
        assert!(count(&c, "SELECT count(*) FROM tickets WHERE customer_id IS NULL") > 0);
    }

    #[test]
    fn tickets_mention_other_customers() {
        let d = tempfile::tempdir().unwrap();
        generate(d.path(), 1000, 3, today(), false).unwrap();
        let c = open(d.path());
        let mut st = c
            .prepare("SELECT id, email, personnummer, phone FROM customers")
            .unwrap();
        let people: Vec<(i64, Vec<String>)> = st
            .query_map([], |r| {
                let (id, email, pnr, phone): (i64, String, String, Option<String>) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                // The ten-digit core, whatever form is stored.
                let s = ten_digits(&pnr);
                let mut forms = vec![email.to_lowercase(), format!("{}-{}", &s[..6], &s[6..]), s];
                if let Some(p) = phone {
                    let n = phone_digits(&p);
                    forms.push(n.clone());
                    forms.push(format!(
                        "+46 {} {} {} {}",
                        &n[1..3],
                        &n[3..6],
                        &n[6..8],
                        &n[8..]
                    ));
                    forms.push(format!("{} {} {} {}", &n[..3], &n[3..6], &n[6..8], &n[8..]));
                    forms.push(format!("+46{}", &n[1..]));
                    forms.push(format!("{}-{} {} {}", &n[..3], &n[3..6], &n[6..8], &n[8..]));
                }
                Ok((id, forms))
            })
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let mut st = c
            .prepare("SELECT customer_id, body FROM tickets WHERE customer_id IS NOT NULL")
            .unwrap();
        let tickets: Vec<(i64, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let mentioning = tickets
            .iter()
            .filter(|(owner, body)| {
                let body = body.to_lowercase();
                people.iter().any(|(id, forms)| {
                    id != owner && forms.iter().any(|f| body.contains(f.as_str()))
                })
            })
            .count();
        let share = mentioning as f64 / tickets.len() as f64;
        assert!(
            (0.05..=0.16).contains(&share),
            "{mentioning} of {} tickets mention someone else",
            tickets.len()
        );
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("new").join("tenant");
        generate(&dir, 10, 1, today(), false).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(STORE_FILE)), 0o600);
        assert_eq!(mode(&dir.join(MAP_FILE)), 0o600);
        generate(&dir, 10, 2, today(), true).unwrap();
        assert_eq!(mode(&dir.join(STORE_FILE)), 0o600);
        assert_eq!(mode(&dir.join(MAP_FILE)), 0o600);
    }

    /// The map fits the store the way `dsr check` wants it: every table and
    /// column exists, links are foreign keys, `null` only on nullable columns.
    #[test]
    fn the_map_describes_the_store() {
        let map: toml::Table = toml::from_str(DATAMAP).unwrap();
        assert_eq!(map["version"].as_integer(), Some(1));
        let tables = map["tables"].as_table().unwrap();
        let mut mapped: Vec<&str> = tables.keys().map(String::as_str).collect();
        let mut all = TABLES.to_vec();
        mapped.sort_unstable();
        all.sort_unstable();
        assert_eq!(mapped, all);
        let kinds = map["identifiers"].as_table().unwrap();

        let d = tempfile::tempdir().unwrap();
        generate(d.path(), 50, 1, today(), false).unwrap();
        let c = open(d.path());
        let columns = |t: &str| -> HashMap<String, bool> {
            let mut st = c
                .prepare(&format!(
                    "SELECT name, \"notnull\" FROM pragma_table_info('{t}')"
                ))
                .unwrap();
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        for (t, spec) in tables {
            let cols = columns(t);
            for key in ["purpose", "legal_basis", "on_erase"] {
                assert!(spec.get(key).is_some(), "{t} has no {key}");
            }
            if let Some(identify) = spec.get("identify") {
                for (kind, col) in identify.as_table().unwrap() {
                    assert!(kinds.contains_key(kind), "{t}: kind {kind}");
                    assert!(cols.contains_key(col.as_str().unwrap()), "{t}.{col}");
                }
            }
            for key in ["retention", "hold"] {
                if let Some(rule) = spec.get(key) {
                    assert!(
                        cols.contains_key(rule["after"].as_str().unwrap()),
                        "{t} {key}"
                    );
                }
            }
            let links: Vec<&toml::Value> = match spec.get("link") {
                None => vec![],
                Some(toml::Value::Array(a)) => a.iter().collect(),
                Some(l) => vec![l],
            };
            let mut fks = c
                .prepare(&format!(
                    "SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list('{t}')"
                ))
                .unwrap();
            let fks: Vec<(String, String, String)> = fks
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            for l in links {
                let to = l["to"].as_str().unwrap();
                for (from, target) in l["on"].as_table().unwrap() {
                    let target = target.as_str().unwrap();
                    assert!(cols.contains_key(from), "{t}.{from}");
                    assert!(columns(to).contains_key(target), "{to}.{target}");
                    assert!(
                        fks.contains(&(to.to_string(), from.clone(), target.to_string())),
                        "{t}.{from} -> {to}.{target} is not a foreign key"
                    );
                }
            }
            for (col, cs) in spec.get("columns").and_then(|c| c.as_table()).unwrap() {
                let notnull = *cols
                    .get(col)
                    .unwrap_or_else(|| panic!("{t}.{col} is not in the store"));
                if cs.get("erase").and_then(|e| e.as_str()) == Some("null") {
                    assert!(!notnull, "{t}.{col} is NOT NULL but erased with null");
                }
            }
        }
        assert_eq!(
            tables["customers"]["columns"]["password_hash"]["extract"].as_bool(),
            Some(false)
        );
        assert_eq!(
            tables["customers"]["columns"]["notes"]["scan"].as_bool(),
            Some(true)
        );
        assert_eq!(
            tables["tickets"]["columns"]["body"]["scan"].as_bool(),
            Some(true)
        );
    }

    #[test]
    fn calendar_and_luhn_helpers() {
        for day in [-1000, 0, 1, 59, 60, 365, 10_957, 20_587, 100_000] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(date_text(Clock::new(today()).today), "2026-05-14");
        assert_eq!(datetime_text(1_000_000_000), "2001-09-09T01:46:40Z");
        assert_eq!(
            years_before(days_from_civil(2024, 2, 29), 1),
            days_from_civil(2023, 2, 28)
        );
        // A textbook example: 811218-9876.
        assert_eq!(luhn(811_218_987), 6);
        assert!(luhn_ok("8112189876"));
        assert_eq!(pnr_text(198_112_189_876, PnrForm::Dash10), "811218-9876");
        assert_eq!(phone_text(701_234_567, PhoneForm::Dashed), "070-123 45 67");
        assert_eq!(capitalised("anna.berg@example.se"), "Anna.Berg@Example.se");
    }

    /// `cargo test --release -- --ignored --nocapture bench_100k`
    #[test]
    #[ignore]
    fn bench_100k() {
        let d = tempfile::tempdir().unwrap();
        let t = std::time::Instant::now();
        let s = generate(d.path(), 100_000, 1, today(), false).unwrap();
        let took = t.elapsed();
        let size = fs::metadata(&s.store).unwrap().len();
        println!(
            "100k subjects: {took:?}, {} MB, {:?}",
            size / 1_000_000,
            s.rows
        );
        assert!(took.as_secs() < 60);
    }
}
