//! The generator's output: rows by table, handed to the store's loader and
//! counted, and the order in which the phases make them.

use super::calendar::Clock;
use super::idents::Unique;
use super::people::{customers, prospects, staff};
use super::rng::Rng;
use super::schema::Table;
use super::tickets::{tickets, TicketCtx};
use crate::error::Result;
use crate::store::load::{Inserter, Loader, TableId};
use crate::value::Value;

/// Where the generator puts its rows.
pub(super) struct Rows<'a> {
    inserter: &'a mut dyn Inserter,
    ids: &'a [TableId],
    counts: [u64; 8],
}

impl Rows<'_> {
    pub(super) fn put(&mut self, table: Table, row: &[Value]) -> Result<()> {
        self.inserter.insert(self.ids[table.index()], row)?;
        self.counts[table.index()] += 1;
        Ok(())
    }

    /// The id the next row of `table` gets (ids are dense from 1).
    pub(super) fn next_id(&self, table: Table) -> i64 {
        self.counts[table.index()] as i64 + 1
    }
}

pub(super) fn int(v: i64) -> Value {
    Value::Integer(v)
}

pub(super) fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

pub(super) fn opt_text(s: Option<String>) -> Value {
    s.map_or(Value::Null, Value::Text)
}

/// Generates every row into the loader (whose tables exist) and returns
/// the row count of each table, in `TABLES` order.
pub(super) fn fill(loader: &mut dyn Loader, n: u64, seed: u64, clock: &Clock) -> Result<[u64; 8]> {
    let ids = Table::ALL
        .iter()
        .map(|t| loader.table(t.name(), t.columns()))
        .collect::<Result<Vec<_>>>()?;
    let mut counts = [0; 8];
    loader.with_rows(&mut |inserter| {
        let mut rows = Rows {
            inserter,
            ids: &ids,
            counts: [0; 8],
        };
        phases(&mut rows, n, seed, clock)?;
        counts = rows.counts;
        Ok(())
    })?;
    Ok(counts)
}

/// Each phase draws from its own PRNG stream, so the phases do not disturb
/// each other's sequences.
fn phases(rows: &mut Rows, n: u64, seed: u64, clock: &Clock) -> Result<()> {
    let mut uniq = Unique::default();
    let customers = customers(rows, &mut uniq, n, Rng::new(seed, 1), clock)?;
    let staff = staff(rows, &mut uniq, n, Rng::new(seed, 2), clock)?;
    let prospects = prospects(rows, &mut uniq, n, Rng::new(seed, 3), clock)?;
    let mut ctx = TicketCtx {
        rng: Rng::new(seed, 4),
        clock,
        customers: &customers,
        staff: &staff,
    };
    tickets(rows, &mut ctx, &prospects)
}
