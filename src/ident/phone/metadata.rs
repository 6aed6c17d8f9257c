//! libphonenumber's metadata, loaded one calling code at a time.
//!
//! The crate's own database (`phonenumber::metadata::DATABASE`) builds every
//! region and parses each of its thousands of patterns on first use: ~60 ms,
//! most of a small extract. build.rs splits the same metadata per calling
//! code; here a code's group becomes a `Database` the first time a number of
//! that code is read, and stays for the process.
//!
//! The parser decides where a country code ends by which codes exist
//! (`+4470…` is +44 because 4 is none and 44 is one). Codes are prefix-free
//! (a test checks), so a database of one code finds that code where the
//! whole one would, and fails on a number of any other code; that number is
//! read again with a database that also holds a stub for every other code.
//! A stub is never read otherwise: with a region given the parser reads the
//! region's own metadata, and validity and formats are read from the
//! number's code's database. Results are the crate's; the tests compare
//! them with its full database.

use std::sync::OnceLock;

use phonenumber::country::Id;
use phonenumber::metadata::{loader, Database, Descriptor, Metadata, DATABASE};
use phonenumber::{ParseError, PhoneNumber};

include!(concat!(env!("OUT_DIR"), "/phone_metadata.rs"));

static GROUPS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/phone_metadata.bin"));

/// The national-number pattern of a stub: no number belongs to it (and a
/// literal is the cheapest pattern to check when the database is built).
const STUB_PATTERN: &str = "x";

/// One built database per calling code (same index as [`CODES`]); `None`
/// when a group could not be read, and the full database is used instead.
static BY_CODE: [OnceLock<Option<Database>>; CODES.len()] =
    [const { OnceLock::new() }; CODES.len()];

/// The same with stubs for every other code, for numbers of another code.
static WITH_STUBS: [OnceLock<Option<Database>>; CODES.len()] =
    [const { OnceLock::new() }; CODES.len()];

/// Stubs only: enough to find a number's calling code.
static SKELETON: OnceLock<Option<Database>> = OnceLock::new();

/// The calling code of a region id (`SE` → 46); `None` when libphonenumber
/// has no metadata for it.
pub(super) fn calling_code(region: &str) -> Option<u16> {
    REGIONS
        .binary_search_by(|(id, _)| (*id).cmp(region))
        .ok()
        .map(|i| REGIONS[i].1)
}

/// The database that holds `code`'s regions, and no other code. An unknown
/// code gets the stubs alone, which, like the full database, know no number
/// of it.
pub(super) fn for_code(code: u16) -> &'static Database {
    cached(&BY_CODE, code, false)
}

/// `code`'s regions and a stub for every other code.
fn with_stubs(code: u16) -> &'static Database {
    cached(&WITH_STUBS, code, true)
}

fn cached(
    slots: &'static [OnceLock<Option<Database>>],
    code: u16,
    stubs: bool,
) -> &'static Database {
    match CODES.binary_search_by_key(&code, |c| c.0) {
        Ok(i) => slots[i].get_or_init(|| build(Some(i), stubs)).as_ref(),
        Err(_) => skeleton(),
    }
    // Not `unwrap_or(&DATABASE)`: its deref would build the whole database.
    .unwrap_or_else(|| &DATABASE)
}

/// `s` read in region `id` of calling code `code`, as the crate reads it
/// with its whole database.
pub(super) fn parse_in(id: Id, code: u16, s: &str) -> Result<PhoneNumber, ParseError> {
    // Most numbers are written without a code or with the region's own, and
    // read as with the whole database by the region's code alone; any other
    // fails there, and is read again with every code known.
    phonenumber::parse_with(for_code(code), Some(id), s)
        .or_else(|_| phonenumber::parse_with(with_stubs(code), Some(id), s))
}

fn skeleton() -> Option<&'static Database> {
    SKELETON.get_or_init(|| build(None, true)).as_ref()
}

/// A number written with its country code (`+46…`), read without a region,
/// with the database of its code.
pub(super) fn parse_international(s: &str) -> Option<(PhoneNumber, &'static Database)> {
    // The parser takes the first of the leading one to three digits that is
    // a calling code; read with that code's database, the number is read as
    // with the crate's. The guess is checked, not trusted: if the parser
    // found another code, or failed, the number is read the careful way.
    if let Some(guess) = guess_code(s) {
        let db = for_code(guess);
        if let Ok(n) = phonenumber::parse_with(db, None, s) {
            if n.code().value() == guess {
                return Some((n, db));
            }
        }
    }
    // With the skeleton the parser finds the code, then reads a stub's
    // metadata: that may only end the reading early. Errors that come
    // before (no number, no such code) are final; others are asked of the
    // crate's full database.
    let code = match skeleton().map(|db| phonenumber::parse_with(db, None, s)) {
        Some(Ok(n)) => n.code().value(),
        Some(Err(ParseError::NoNumber | ParseError::InvalidCountryCode)) => return None,
        Some(Err(_)) | None => {
            let n = phonenumber::parse_with(&DATABASE, None, s).ok()?;
            return Some((n, &DATABASE));
        }
    };
    let n = phonenumber::parse_with(with_stubs(code), None, s).ok()?;
    Some((n, for_code(code)))
}

/// Whether the metadata calls `n` valid, as the crate's `is_valid_with`.
///
/// The crate asks its descriptors in the order of its number types, premium
/// rate first, and each pattern is compiled when first asked: ~0.5 ms each,
/// for eight patterns ordinary numbers do not match. A number is valid when
/// the general pattern and any one descriptor match, whatever the order, so
/// for a code of one region the fixed-line and mobile patterns are asked
/// first. A code of several regions is left to the crate, which first picks
/// the region.
pub(super) fn is_valid(n: &PhoneNumber, db: &Database) -> bool {
    let code = n.code().value();
    let single = db.region(&code).is_some_and(|r| {
        r.len() == 1 && (r[0] == "001" || r[0].parse::<phonenumber::country::Id>().is_ok())
    });
    let meta = db.by_code(&code).and_then(|m| m.into_iter().next());
    let (true, Some(meta)) = (single, meta) else {
        return n.is_valid_with(db);
    };
    let national = n.national().to_string();
    super::pattern::holds(meta.descriptors().general(), &national)
        && number_types(meta).any(|d| super::pattern::holds(d, &national))
}

/// The descriptors of a region's number types (the crate's `number_type`
/// asks these), fixed line and mobile first.
pub(super) fn number_types(meta: &Metadata) -> impl Iterator<Item = &Descriptor> {
    let d = meta.descriptors();
    [
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.voip(),
        d.personal_number(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ]
    .into_iter()
    .flatten()
}

/// The first calling code among the one to three digits after the `+`
/// (none begins with 0).
fn guess_code(s: &str) -> Option<u16> {
    let digits = s.strip_prefix('+').filter(|d| !d.starts_with('0'))?;
    (1..=3)
        .filter_map(|len| digits.get(..len)?.parse::<u16>().ok())
        .find(|code| CODES.binary_search_by_key(code, |c| c.0).is_ok())
}

fn stub(code: u16) -> loader::Metadata {
    loader::Metadata {
        id: Some("001".to_string()),
        country_code: Some(code),
        general: Some(loader::Descriptor {
            national_number: Some(STUB_PATTERN.to_string()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Stubs for every code but `full` (an index into [`CODES`]) if `stubs`,
/// then `full`'s group in the crate's order, so its regions win any shared
/// id.
fn build(full: Option<usize>, stubs: bool) -> Option<Database> {
    // Reserved once: a loader entry is some 2 kB, and there are ~200 stubs.
    let mut metas = Vec::with_capacity(if stubs { CODES.len() + 32 } else { 32 });
    if stubs {
        metas.extend(
            CODES
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != full)
                .map(|(_, c)| stub(c.0)),
        );
    }
    if let Some(i) = full {
        let (_, at, len) = CODES[i];
        let group: Vec<loader::Metadata> = postcard::from_bytes(GROUPS.get(at..at + len)?).ok()?;
        metas.extend(group);
    }
    Database::from(metas).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(db: &Database) -> Vec<&str> {
        let mut ids: Vec<&str> = db
            .iter()
            .filter(|m| m.descriptors().general().national_number().as_str() != STUB_PATTERN)
            .map(|m| m.id())
            .collect();
        ids.sort_unstable();
        ids
    }

    /// No calling code begins another, which lets a database of one code
    /// find it where the whole database would.
    #[test]
    fn calling_codes_are_prefix_free() {
        for &(a, _, _) in CODES {
            for &(b, _, _) in CODES {
                let (a, b) = (a.to_string(), b.to_string());
                assert!(a == b || !b.starts_with(&a), "+{a} begins +{b}");
            }
        }
    }

    #[test]
    fn tables_cover_the_crate_database() {
        let mut codes: Vec<u16> = DATABASE.iter().map(|m| m.country_code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(CODES.iter().map(|c| c.0).collect::<Vec<_>>(), codes);
        for m in DATABASE.iter() {
            assert_eq!(calling_code(m.id()), Some(m.country_code()), "{}", m.id());
        }
        assert_eq!(calling_code("SE"), Some(46));
        assert_eq!(calling_code("XX"), None);
        assert_eq!(calling_code("se"), None);
    }

    /// Every region's metadata, every code's region order and main country
    /// are the crate's, field for field (Debug shows every field), but for
    /// build.rs's one rewrite: each `\d` of a pattern is `[0-9]`. The
    /// crate's side is rewritten the same way as text: in Debug a pattern's
    /// `\d` is `\\d`, and no pattern holds an escaped backslash (checked),
    /// so no `\\d` is anything else.
    #[test]
    fn groups_equal_the_crate_database() {
        let mut rewritten = 0;
        for &(code, _, _) in CODES {
            let db = for_code(code);
            let ours: Vec<String> = db
                .by_code(&code)
                .expect("group")
                .iter()
                .map(|m| format!("{m:?}"))
                .collect();
            let theirs: Vec<String> = DATABASE
                .by_code(&code)
                .expect("group")
                .iter()
                .map(|m| {
                    let debug = format!("{m:?}");
                    assert!(!debug.contains(r"\\\\"), "+{code}: {debug}");
                    rewritten += debug.matches(r"\\d").count();
                    debug.replace(r"\\d", "[0-9]")
                })
                .collect();
            for m in &ours {
                assert!(!m.contains(r"\\d"), "+{code}: {m}");
            }
            assert_eq!(ours, theirs, "+{code}");
            assert_eq!(db.region(&code), DATABASE.region(&code), "+{code}");
        }
        // phonenumber 0.3.10+9.0.33's count; another version may differ.
        assert_eq!(rewritten, 7870);
    }

    #[test]
    fn a_code_is_built_once_and_holds_only_its_regions() {
        let se = for_code(46);
        assert!(std::ptr::eq(se, for_code(46)));
        assert!(!std::ptr::eq(se, &*DATABASE));
        assert_eq!(loaded(se), ["SE"]);
        assert_eq!(loaded(for_code(358)), ["AX", "FI"]);
        assert_eq!(loaded(for_code(47)), ["NO", "SJ"]);
        assert_eq!(loaded(for_code(44)), ["GB", "GG", "IM", "JE"]);
        let nanp = loaded(for_code(1));
        assert_eq!(nanp.len(), 25, "{nanp:?}");
        assert!(nanp.contains(&"US") && nanp.contains(&"CA") && nanp.contains(&"JM"));
        assert!(se.by_code(&44).is_none());
        // With stubs, every other code is there, so codes are found as in the crate.
        let stubbed = with_stubs(46);
        assert!(std::ptr::eq(stubbed, with_stubs(46)) && !std::ptr::eq(stubbed, se));
        assert_eq!(loaded(stubbed), ["SE"]);
        for &(code, _, _) in CODES {
            assert!(stubbed.by_code(&code).is_some(), "+{code}");
        }
        // An unknown code: no regions, like the crate's database.
        assert!(CODES.iter().all(|c| c.0 != 0 && c.0 != 999));
        assert!(for_code(999).by_code(&999).is_none());
        assert!(std::ptr::eq(for_code(999), for_code(0)));
    }

    #[test]
    fn international_numbers_read_as_the_crate_reads_them() {
        for s in [
            "+46701234567",
            "+12015550123",
            "+447400123456",
            "+358401234567",
            "+4722334455",
        ] {
            let (n, db) = parse_international(s).expect(s);
            let full = phonenumber::parse(None, s).expect(s);
            assert_eq!(n, full, "{s}");
            assert!(std::ptr::eq(db, for_code(full.code().value())), "{s}");
        }
        assert_eq!(guess_code("+447400123456"), Some(44));
        assert_eq!(guess_code("+12015550123"), Some(1));
        assert_eq!(guess_code("+358401234567"), Some(358));
        assert_eq!(guess_code("+0701234567"), None);
        assert_eq!(guess_code("46701234567"), None);
        // Short, unknown and malformed numbers: the crate's answer, error or not.
        for s in [
            "+4670",
            "+0701234567",
            "+999123456",
            "+",
            "+1",
            "+12",
            "+123456789012345678901",
        ] {
            let ours = parse_international(s).map(|(n, _)| n);
            assert_eq!(ours, phonenumber::parse(None, s).ok(), "{s}");
        }
        assert!(parse_international("+0701234567").is_none());
        assert!(parse_international("+999123456").is_none());
    }
}
