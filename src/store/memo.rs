//! Many subjects looked up in one run (the extract lines `dsr batch`
//! resolves together): a phone or an email that no index can answer is a
//! scan of its column for every subject (`Filter::Normalized`). While the
//! memo is on, the first such lookup of a column reads the column once and
//! keeps each row's key under the value's normalised form; every later
//! lookup of that column is a hash lookup and a read by key. Only text
//! columns (those the whole-column read sees completely: a `%%` needle
//! passes every text value, and a text column holds only text), and only
//! while nothing writes: `Store` drops the memo when it is switched off.

use super::{Filter, Needle, Store};
use crate::error::Result;
use crate::ident::{self, Kind};
use crate::store::schema::{ColumnType, TableSchema};
use crate::value::Value;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// A column's row keys by the normalised form of its values.
pub(super) type Index = HashMap<String, Vec<Vec<Value>>>;

/// The indexes read so far, by (table, column, kind).
#[derive(Default)]
pub(super) struct Memo {
    indexes: HashMap<(String, String, Kind), Rc<Index>>,
}

/// How many keys one read by key asks for.
const CHUNK: usize = 400;

impl Store {
    /// Turns the memo on (for a run of read-only lookups) or off (dropping
    /// what it holds, before anything is written).
    pub fn memoize_lookups(&self, on: bool) {
        *self.memo.borrow_mut() = on.then(Memo::default);
    }

    /// Answers a `Filter::Normalized` from the memo, when it is on and the
    /// column is text; `false` when the caller must ask the backend.
    pub(super) fn select_memoized(
        &self,
        t: &TableSchema,
        filter: &Filter<'_>,
        f: &mut dyn FnMut(super::Row),
    ) -> Result<bool> {
        let Filter::Normalized { column, kind, keys } = filter else {
            return Ok(false);
        };
        let is_text = t
            .columns
            .iter()
            .any(|c| c.name == *column && c.ty == ColumnType::Text);
        if !is_text || self.memo.borrow().is_none() {
            return Ok(false);
        }
        let index = self.memo_index(t, column, *kind)?;
        let mut seen = HashSet::new();
        let mut wanted: Vec<Vec<Value>> = Vec::new();
        for k in *keys {
            for key in index.get(k).into_iter().flatten() {
                if seen.insert(format!("{key:?}")) {
                    wanted.push(key.clone());
                }
            }
        }
        for chunk in wanted.chunks(CHUNK) {
            self.backend.select(t, &Filter::Keys(chunk), f)?;
        }
        Ok(true)
    }

    fn memo_index(&self, t: &TableSchema, column: &str, kind: Kind) -> Result<Rc<Index>> {
        let id = (t.name.clone(), column.to_string(), kind);
        if let Some(i) = self.memo.borrow().as_ref().and_then(|m| m.indexes.get(&id)) {
            return Ok(i.clone());
        }
        let mut index = Index::new();
        let every = [Needle::Substring {
            text: String::new(),
            ignore_case: false,
        }];
        let today = self.today;
        self.backend
            .scan_text(t, column, &every, &mut |key, text| {
                if let Some(n) = ident::normalize_stored(kind, text, today) {
                    index.entry(n).or_default().push(key);
                }
            })?;
        let index = Rc::new(index);
        if let Some(m) = self.memo.borrow_mut().as_mut() {
            m.indexes.insert(id, index.clone());
        }
        Ok(index)
    }
}
