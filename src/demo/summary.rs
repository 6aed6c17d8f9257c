//! What `dsr demo` reports: the human summary on stderr and `dsr.demo/1`.

use serde_json::json;
use std::path::PathBuf;

/// Where the tables were written, as it may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// The SQLite store, `DIR/tenant.db`.
    File(PathBuf),
    /// The PostgreSQL URL dsr connected with, its password as `***`.
    Postgres(String),
}

/// What `generate` wrote, for the command's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub store: Written,
    pub map: PathBuf,
    pub subjects: u64,
    /// (table, row count), in creation order.
    pub rows: Vec<(String, u64)>,
}

impl DemoSummary {
    /// The summary for people, with the command to try next. On
    /// PostgreSQL that command says `--store URL` rather than repeat the
    /// URL, which may carry a password.
    pub fn text(&self) -> String {
        let total: u64 = self.rows.iter().map(|(_, n)| n).sum();
        let (store, try_store, note) = match &self.store {
            Written::File(p) => (p.display().to_string(), p.display().to_string(), ""),
            Written::Postgres(url) => (
                url.clone(),
                "URL".to_string(),
                "\n     with URL the --store given here (or set DSR_STORE=URL and leave --store out)",
            ),
        };
        format!(
            "wrote a demo tenant with {} subjects ({total} rows in {} tables):\n  store {store}\n  map   {}\ntry: dsr --store {try_store} --map {} extract customer_id:1{note}",
            self.subjects,
            self.rows.len(),
            self.map.display(),
            self.map.display(),
        )
    }

    /// `dsr.demo/1`.
    pub fn json(&self, seed: u64) -> serde_json::Value {
        let tables: serde_json::Map<String, serde_json::Value> = self
            .rows
            .iter()
            .map(|(t, n)| (t.clone(), json!(n)))
            .collect();
        let store = match &self.store {
            Written::File(p) => json!(p),
            Written::Postgres(url) => json!(url),
        };
        json!({
            "schema": "dsr.demo/1",
            "store": store,
            "map": self.map,
            "subjects": self.subjects,
            "seed": seed,
            "tables": tables,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(store: Written) -> DemoSummary {
        DemoSummary {
            store,
            map: PathBuf::from("d/datamap.toml"),
            subjects: 2,
            rows: vec![("customers".into(), 2), ("meters".into(), 3)],
        }
    }

    #[test]
    fn the_sqlite_summary_names_the_file_twice() {
        let s = summary(Written::File("d/tenant.db".into()));
        assert_eq!(
            s.text(),
            "wrote a demo tenant with 2 subjects (5 rows in 2 tables):\n  store d/tenant.db\n  map   d/datamap.toml\ntry: dsr --store d/tenant.db --map d/datamap.toml extract customer_id:1"
        );
        assert_eq!(s.json(4)["store"], "d/tenant.db");
        assert_eq!(s.json(4)["tables"]["meters"], 3);
    }

    #[test]
    fn the_postgres_summary_shows_the_url_once() {
        let url = "postgres://app:***@db:5432/app?schema=demo&sslmode=prefer";
        let s = summary(Written::Postgres(url.into()));
        assert_eq!(
            s.text(),
            format!("wrote a demo tenant with 2 subjects (5 rows in 2 tables):\n  store {url}\n  map   d/datamap.toml\ntry: dsr --store URL --map d/datamap.toml extract customer_id:1\n     with URL the --store given here (or set DSR_STORE=URL and leave --store out)")
        );
        assert_eq!(s.json(4)["store"], url);
    }
}
