//! The demo tenant's tables: their names and columns, and their DDL for
//! each backend. The two describe one tenant: the same tables, columns,
//! nullability, keys, foreign keys with their `ON DELETE` actions and
//! indexes, so that the one data map fits both (a test compares the
//! catalogs). PostgreSQL gets the native types a real application would
//! use where SQLite has ISO text and 0/1 (`timestamptz`, `date`, `boolean`,
//! `numeric`, `inet`), and keeps text and bigint Unix-second dates where
//! the SQLite demo mixes them, so that both kinds of date column have work.

use crate::store::load::Ddl;

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

/// One of the demo's tables: the typed name the generator writes rows by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Customers,
    Meters,
    Readings,
    Invoices,
    Staff,
    Logins,
    Tickets,
    Newsletter,
}

impl Table {
    /// Every table, in `TABLES` order.
    pub const ALL: [Table; 8] = [
        Table::Customers,
        Table::Meters,
        Table::Readings,
        Table::Invoices,
        Table::Staff,
        Table::Logins,
        Table::Tickets,
        Table::Newsletter,
    ];

    /// The position in `TABLES` (and in the summary's row counts).
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        TABLES[self.index()]
    }

    /// The columns of a row the generator writes, in the row's order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Table::Customers => &[
                "id",
                "customer_no",
                "name",
                "email",
                "personnummer",
                "phone",
                "street",
                "postcode",
                "city",
                "created_at",
                "closed_at",
                "marketing_consent",
                "notes",
                "password_hash",
            ],
            Table::Meters => &["id", "customer_id", "meter_no", "address", "installed_at"],
            Table::Readings => &["meter_id", "month", "kwh", "read_at"],
            Table::Invoices => &[
                "id",
                "customer_id",
                "invoice_no",
                "issued",
                "due",
                "amount_ore",
                "paid_at",
            ],
            Table::Staff => &[
                "id",
                "name",
                "email",
                "phone",
                "employed_from",
                "employed_to",
            ],
            Table::Logins => &["id", "staff_id", "at", "ip"],
            Table::Tickets => &[
                "id",
                "customer_id",
                "handled_by",
                "opened_at",
                "closed_at",
                "subject",
                "body",
            ],
            Table::Newsletter => &["email", "subscribed_at", "source"],
        }
    }
}

/// The comment the loader puts on each table (on PostgreSQL): how `dsr demo
/// --force` knows a table is its own to replace (it never drops another).
pub const MARKER: &str = "synthetic data written by dsr demo; dsr demo --force replaces it";

/// The tables, before any row.
pub const TABLES_DDL: Ddl = Ddl {
    sqlite: SQLITE_TABLES,
    postgres: PG_TABLES,
};

/// What follows the rows: building an index (or checking a foreign key)
/// once is much faster than keeping it up to date row by row.
pub const AFTER_DDL: Ddl = Ddl {
    sqlite: SQLITE_INDEXES,
    postgres: PG_AFTER,
};

const SQLITE_TABLES: &str = "
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

const SQLITE_INDEXES: &str = "
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

/// Run with the tenant's schema alone on the search path, so every name
/// below is that schema's. Foreign keys come after the rows (PostgreSQL
/// checks each with one join then, as pg_dump's output does).
const PG_TABLES: &str = "
CREATE TABLE customers (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    customer_no text NOT NULL UNIQUE,
    name text NOT NULL,
    email text NOT NULL,
    personnummer text,
    phone varchar(20),
    street text NOT NULL,
    postcode varchar(6),
    city text,
    created_at timestamptz NOT NULL,
    closed_at timestamptz,   -- the SQLite demo's mixed forms, as instants
    marketing_consent boolean NOT NULL DEFAULT false,
    notes text,
    password_hash text
);
CREATE TABLE meters (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL,
    meter_no text NOT NULL UNIQUE,
    address text NOT NULL,
    installed_at date NOT NULL
);
CREATE TABLE meter_readings (
    meter_id bigint NOT NULL,
    month text NOT NULL,     -- YYYY-MM
    kwh numeric(8, 1) NOT NULL,
    read_at bigint NOT NULL, -- Unix seconds
    PRIMARY KEY (meter_id, month)
);
CREATE TABLE invoices (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL,
    invoice_no text NOT NULL UNIQUE,
    issued date NOT NULL,
    due date NOT NULL,
    amount_ore bigint NOT NULL,
    paid_at date
);
CREATE TABLE staff (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL,
    phone varchar(20),
    employed_from text NOT NULL, -- ISO dates as text, as the HR system exports them
    employed_to text
);
CREATE TABLE staff_logins (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    staff_id bigint NOT NULL,
    at bigint NOT NULL,      -- Unix seconds
    ip inet
);
CREATE TABLE tickets (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    customer_id bigint,
    handled_by bigint,
    opened_at timestamptz NOT NULL,
    closed_at text,          -- ISO date-time, ISO date or Unix seconds, mixed; NULL while open
    subject text NOT NULL,
    body text NOT NULL
);
CREATE TABLE newsletter (
    email text PRIMARY KEY,
    subscribed_at bigint NOT NULL, -- Unix seconds
    source text NOT NULL
);
";

/// citext is not always installed, so case-insensitive lookups get
/// `lower(email)` indexes (what dsr's PostgreSQL lookups use). The identity
/// sequences are moved past the loaded ids, so that the application's own
/// inserts (the sweep benchmark's, say) do not collide with them.
const PG_AFTER: &str = "
ALTER TABLE meters ADD FOREIGN KEY (customer_id) REFERENCES customers(id) ON DELETE CASCADE;
ALTER TABLE meter_readings ADD FOREIGN KEY (meter_id) REFERENCES meters(id) ON DELETE CASCADE;
ALTER TABLE invoices ADD FOREIGN KEY (customer_id) REFERENCES customers(id);
ALTER TABLE staff_logins ADD FOREIGN KEY (staff_id) REFERENCES staff(id);
ALTER TABLE tickets ADD FOREIGN KEY (customer_id) REFERENCES customers(id) ON DELETE SET NULL;
ALTER TABLE tickets ADD FOREIGN KEY (handled_by) REFERENCES staff(id);
CREATE INDEX customers_email ON customers (lower(email));
CREATE INDEX customers_personnummer ON customers (personnummer);
CREATE INDEX customers_phone ON customers (phone);
CREATE INDEX meters_customer_id ON meters (customer_id);
CREATE INDEX invoices_customer_id ON invoices (customer_id);
CREATE INDEX tickets_customer_id ON tickets (customer_id);
CREATE INDEX tickets_handled_by ON tickets (handled_by);
CREATE INDEX staff_email ON staff (lower(email));
CREATE INDEX staff_phone ON staff (phone);
CREATE INDEX staff_logins_staff_id ON staff_logins (staff_id);
CREATE INDEX newsletter_email ON newsletter (lower(email));
SELECT setval(pg_get_serial_sequence('customers', 'id'), coalesce(max(id), 0) + 1, false) FROM customers;
SELECT setval(pg_get_serial_sequence('meters', 'id'), coalesce(max(id), 0) + 1, false) FROM meters;
SELECT setval(pg_get_serial_sequence('invoices', 'id'), coalesce(max(id), 0) + 1, false) FROM invoices;
SELECT setval(pg_get_serial_sequence('staff', 'id'), coalesce(max(id), 0) + 1, false) FROM staff;
SELECT setval(pg_get_serial_sequence('staff_logins', 'id'), coalesce(max(id), 0) + 1, false) FROM staff_logins;
SELECT setval(pg_get_serial_sequence('tickets', 'id'), coalesce(max(id), 0) + 1, false) FROM tickets;
ANALYZE customers, meters, meter_readings, invoices, staff, staff_logins, tickets, newsletter;
";
