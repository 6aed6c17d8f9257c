//! The data map written beside the tenant. It is the same for both
//! stores (the PostgreSQL tenant has the same tables, columns and links as
//! the SQLite one), so one map and every command's results carry over;
//! only its opening comment says where the tables are.

use super::files::{create_temp, Cleanup};
use crate::error::{io_reason, Error, Result};
use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The data map describing the demo store, written as `DIR/datamap.toml`.
pub const DATAMAP: &str = include_str!("datamap.toml");

/// Where the SQLite map's comment says the tables are.
const SQLITE_PLACE: &str = "next to the store it\n# describes (tenant.db).";
/// … and the PostgreSQL map's. The schema's name is not written: it may
/// hold any character, a newline too, which would end the comment.
const PG_PLACE: &str = "for the PostgreSQL tables it\n# describes (in the schema of --store).";

/// The map's text for the SQLite tenant, or for the PostgreSQL one.
pub(super) fn text(postgres: bool) -> Cow<'static, str> {
    if postgres {
        Cow::Owned(DATAMAP.replacen(SQLITE_PLACE, PG_PLACE, 1))
    } else {
        Cow::Borrowed(DATAMAP)
    }
}

/// Writes the map under a temporary name in DIR (0600, synced), for
/// `install` to move into place.
pub(super) fn write_temp(
    dir: &Path,
    name: &str,
    text: &str,
    temps: &mut Cleanup,
) -> Result<PathBuf> {
    let (tmp, mut file) = create_temp(dir, name, temps)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            Error::Runtime(format!(
                "cannot write the demo data map {}: {}",
                tmp.display(),
                io_reason(&e)
            ))
        })?;
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_postgres_map_differs_only_in_its_comment() {
        assert_eq!(text(false), DATAMAP);
        let pg = text(true);
        assert_ne!(pg, DATAMAP);
        assert!(
            pg.contains("for the PostgreSQL tables it\n# describes"),
            "{pg}"
        );
        let body = |s: &str| -> Vec<String> {
            s.lines()
                .filter(|l| !l.starts_with('#'))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(body(&pg), body(DATAMAP));
        let a: toml::Table = toml::from_str(&pg).unwrap();
        let b: toml::Table = toml::from_str(DATAMAP).unwrap();
        assert_eq!(a, b);
    }
}
