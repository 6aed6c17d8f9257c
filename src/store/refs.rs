//! How dsr's own tables (`_dsr_anonymized`, `_dsr_deferred`) name a row of
//! the store. A key that is not personal data is held as its JSON text
//! (`[42]`, `["acme","E1"]`); a key that is (a newsletter keyed by e-mail
//! address: see `map::Table::key_is_personal`) is held only as
//! `hmac-sha256:` + HMAC-SHA-256 under the tenant secret, never plain
//! (DESIGN §4). The HMAC cannot be reversed, so the few places that must
//! get from a record back to its row (the sweep completing a deferred
//! erasure) recompute the HMACs of the table's keys ([`Store::locate_hashed`]);
//! lookups by a known key compute the HMAC and compare.
//!
//! A second backend does the same with its own SQL: the references are
//! plain text columns, and the range `[` ≤ key < `\` picks out the plain
//! ones through the primary key (tbl, key).

use super::schema::TableSchema;
use super::write::key_text;
use super::{text, Store, Tx};
use crate::audit::hmac_hex;
use crate::error::{Error, Result};
use crate::value::Value;
use std::collections::{HashMap, HashSet};

/// What a hashed row reference starts with; a plain one starts with `[`.
pub const REF_PREFIX: &str = "hmac-sha256:";

/// dsr's tables that name rows of the store.
const REF_TABLES: [&str; 2] = ["_dsr_anonymized", "_dsr_deferred"];

/// The reference to a row whose key is personal: HMAC-SHA-256, under the
/// tenant secret, of the table's name and the key's text (so that the same
/// address keying two tables gives two unrelated references), hex.
pub fn hashed_ref(secret: &str, table: &str, key_text: &str) -> String {
    format!(
        "{REF_PREFIX}{}",
        hmac_hex(secret, format!("{table}\n{key_text}").as_bytes())
    )
}

/// A new tenant secret: 32 random bytes from the operating system, as
/// lowercase hex. Made in Rust so that every backend makes it the same way.
pub fn new_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        Error::Runtime(format!(
            "the operating system gave no random bytes for the tenant secret ({e}); nothing was changed"
        ))
    })?;
    Ok(crate::map::hex(&bytes))
}

/// What `hash` writes over a stored value: HMAC-SHA-256 under the tenant
/// secret, hex, of the value's bytes (text as UTF-8, numbers as their
/// decimal text, blobs as they are); NULL stays NULL. Every backend hashes
/// these bytes, so that a value hashes alike in every store (SQLite's
/// `dsr_hash` function does the same in SQL).
pub fn hash_value(secret: &str, v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Text(t) => Some(hmac_hex(secret, t.as_bytes())),
        Value::Blob(b) => Some(hmac_hex(secret, b)),
        Value::Integer(i) => Some(hmac_hex(secret, i.to_string().as_bytes())),
        Value::Real(f) => Some(hmac_hex(secret, f.to_string().as_bytes())),
        // A boolean as the integer SQLite stores it; exact numbers and
        // JSON documents as their text; arrays as their JSON text.
        Value::Bool(b) => Some(hmac_hex(secret, i64::from(*b).to_string().as_bytes())),
        Value::Numeric(t) | Value::Json(t) => Some(hmac_hex(secret, t.as_bytes())),
        Value::Array(_) => Some(hmac_hex(secret, v.to_json().to_string().as_bytes())),
    }
}

/// Both forms a row may be recorded under: plain, and hashed where there is
/// a secret. Lookups try both, so a record written under an earlier map
/// (when the key did not count as personal) is still found.
pub(super) fn ref_forms(
    secret: Option<&str>,
    table: &str,
    key: &[Value],
) -> (String, Option<String>) {
    let plain = key_text(key);
    let hashed = secret.map(|s| hashed_ref(s, table, &plain));
    (plain, hashed)
}

/// [`Store::row_refs`] with the tenant secret already read (`Store::secret`),
/// for many rows at once: the secret is read once, not once a row.
pub fn row_refs_under(secret: Option<&str>, table: &str, key: &[Value]) -> Vec<String> {
    let (plain, hashed) = ref_forms(secret, table, key);
    std::iter::once(plain).chain(hashed).collect()
}

impl Store {
    /// Which tables' keys are personal data (from the map; the store itself
    /// cannot tell): their rows are referred to by HMAC in dsr's tables.
    pub fn set_personal_keys(&mut self, tables: impl IntoIterator<Item = String>) {
        self.personal_keys = tables.into_iter().collect();
    }

    pub(super) fn personal_key_tables(&self) -> Vec<String> {
        let mut v: Vec<String> = self.personal_keys.iter().cloned().collect();
        v.sort();
        v
    }

    /// How dsr's tables name this row now: hashed where the table's key is
    /// personal (the tenant secret exists by then: dsr's tables are made
    /// with it), else the key's text.
    pub fn row_ref(&self, table: &str, key: &[Value]) -> Result<String> {
        let plain = key_text(key);
        if !self.personal_keys.contains(table) {
            return Ok(plain);
        }
        let secret = self.secret()?.ok_or_else(|| {
            Error::Runtime(format!(
                "the store {} has no tenant secret in _dsr_meta to key a row reference with; nothing was changed; run `dsr audit verify`",
                self.describe()
            ))
        })?;
        Ok(hashed_ref(&secret, table, &plain))
    }

    /// Every form a row may be recorded under (see [`ref_forms`]).
    pub fn row_refs(&self, table: &str, key: &[Value]) -> Result<Vec<String>> {
        Ok(row_refs_under(self.secret()?.as_deref(), table, key))
    }

    /// Whether a personal key is still held plain anywhere in dsr's tables
    /// (left by a release before versioning, or by a map under which the key
    /// did not count as personal).
    pub(super) fn has_plain_personal_refs(&self) -> Result<bool> {
        for table in self.personal_key_tables() {
            if !self.plain_refs(&table)?.is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The plain references of one table's rows in dsr's tables.
    pub(super) fn plain_refs(&self, table: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for t in REF_TABLES {
            if !self.has_table(t)? {
                continue;
            }
            self.query(
                &format!(
                    "SELECT key FROM {t} WHERE tbl = ?1 AND key >= '[' AND key < '\\' ORDER BY key"
                ),
                &[text(table)],
                &format!("reading {t} in"),
                |r| {
                    let k = r[0].to_text();
                    if !out.contains(&k) {
                        out.push(k);
                    }
                    Ok(())
                },
            )?;
        }
        Ok(out)
    }

    /// The hashed references to rows of `table` in `_dsr_deferred`.
    pub fn deferred_hashed_refs(&self, table: &str) -> Result<HashSet<String>> {
        if !self.has_table("_dsr_deferred")? {
            return Ok(HashSet::new());
        }
        // Every hashed reference starts with the prefix; ':' + 1 is ';'.
        let hi = format!("{};", REF_PREFIX.trim_end_matches(':'));
        let mut out = HashSet::new();
        self.query(
            "SELECT key FROM _dsr_deferred WHERE tbl = ?1 AND key >= ?2 AND key < ?3",
            &[text(table), text(REF_PREFIX), Value::Text(hi)],
            "reading _dsr_deferred in",
            |r| {
                out.insert(r[0].to_text());
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// The keys of `t`'s rows whose hashed reference is one of `refs`: reads
    /// every key of the table once (only the key columns), since an HMAC
    /// cannot be reversed. Used for tables whose key is personal, by the
    /// sweep, once per sweep and table that has such deferred erasures.
    pub fn locate_hashed(
        &self,
        t: &TableSchema,
        refs: &HashSet<String>,
    ) -> Result<HashMap<String, Vec<Value>>> {
        let mut out = HashMap::new();
        let Some(secret) = self.secret()? else {
            return Ok(out);
        };
        if refs.is_empty() {
            return Ok(out);
        }
        self.backend.table_keys(t, &mut |key| {
            let h = hashed_ref(&secret, &t.name, &key_text(&key));
            if refs.contains(&h) {
                out.insert(h, key);
            }
        })?;
        Ok(out)
    }
}

impl Tx<'_> {
    /// Runs a migration step's DDL.
    pub(super) fn ddl(&self, sql: &str, what: &str) -> Result<()> {
        if sql.trim().is_empty() {
            return Ok(());
        }
        self.store
            .backend
            .sql_batch(sql, &format!("migrating dsr's tables ({what}) in"))
    }

    /// Replaces a plain reference by its hashed form in dsr's tables; where
    /// the hashed form is already there, the plain record goes (the first
    /// record of a row is kept, as when it is written).
    pub(super) fn rename_ref(&self, table: &str, plain: &str, hashed: &str) -> Result<()> {
        for t in REF_TABLES {
            if !self.has_table(t)? {
                continue;
            }
            let doing = format!("migrating {t} in");
            let params = [text(table), text(plain), text(hashed)];
            // Where the hashed form is there already, the plain record goes;
            // else it is renamed (no backend-specific `UPDATE OR IGNORE`).
            self.exec(
                &format!("DELETE FROM {t} WHERE tbl = ?1 AND key = ?2 AND EXISTS (SELECT 1 FROM {t} WHERE tbl = ?1 AND key = ?3)"),
                &params,
                &doing,
            )?;
            self.exec(
                &format!("UPDATE {t} SET key = ?3 WHERE tbl = ?1 AND key = ?2"),
                &params,
                &doing,
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_hex_and_values_hash_as_their_bytes() {
        let a = new_secret().expect("secret");
        assert_eq!(a.len(), 64);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, new_secret().expect("secret"));
        assert_eq!(hash_value("s", &Value::Null), None);
        assert_eq!(
            hash_value("s", &Value::Integer(42)),
            hash_value("s", &Value::Text("42".into()))
        );
        assert_eq!(
            hash_value("s", &Value::Text("a".into())),
            Some(hmac_hex("s", b"a"))
        );
    }

    #[test]
    fn hashed_refs_are_keyed_per_table_and_never_plain() {
        let a = hashed_ref("s", "newsletter", "[\"a@example.se\"]");
        assert_eq!(a, hashed_ref("s", "newsletter", "[\"a@example.se\"]"));
        assert_ne!(a, hashed_ref("s", "visits", "[\"a@example.se\"]"));
        assert_ne!(a, hashed_ref("t", "newsletter", "[\"a@example.se\"]"));
        assert!(a.starts_with(REF_PREFIX) && !a.contains("example"));
        assert_eq!(a.len(), REF_PREFIX.len() + 64);
        let (plain, hashed) = ref_forms(
            Some("s"),
            "newsletter",
            &[Value::Text("a@example.se".into())],
        );
        assert_eq!(plain, "[\"a@example.se\"]");
        assert_eq!(hashed.as_deref(), Some(a.as_str()));
        // Plain references sort inside the range the store scans for them.
        assert!(plain.as_str() >= "[" && plain.as_str() < "\\");
        assert!(!(a.as_str() >= "[" && a.as_str() < "\\"));
    }
}
