//! Phone numbers, read with libphonenumber's metadata (the `phonenumber`
//! crate) rather than rules of our own: every country's trunk prefix,
//! international call prefix and number lengths come from Google's data.
//!
//! The canonical key is E.164 (`+46701234567`). A number written without a
//! country code is read in a region: the kind's own, else the map's, else
//! Sweden. So `030-0074321` is a Berlin number in a `DE` kind and a
//! Kungsbacka number in an `SE` kind, and `(208) 555-8097` is a number only
//! in a `US` kind. A number that the metadata calls invalid in the region it
//! is read in is not a phone number of that kind.
//!
//! Cost: the crate's metadata is loaded one calling code at a time, when a
//! number of that code (or of a region of it) is first read, not all of it
//! up front ([`metadata`]); its patterns are compiled on first use and
//! cached. Parsing one stored value then takes some microseconds, which is
//! what a lookup that must scan a phone column pays per row.

mod format;
mod metadata;
mod pattern;

use std::fmt;
use std::str::FromStr;

use phonenumber::country::Id;
use phonenumber::metadata::Database;
use phonenumber::{Mode, PhoneNumber};

use super::IdentError;

/// An ISO 3166 alpha-2 region that libphonenumber has metadata for: where a
/// number written without a country code is read.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region([u8; 2]);

impl Region {
    /// The region when the map names none (DESIGN §2).
    pub const DEFAULT: Region = Region(*b"SE");

    /// A region code as written in a map, in either case (`SE`, `de`);
    /// `None` when it is not a region with phone metadata.
    pub fn parse(s: &str) -> Option<Region> {
        let up = s.to_ascii_uppercase();
        let b = up.as_bytes();
        if b.len() != 2 || !b.iter().all(u8::is_ascii_uppercase) {
            return None;
        }
        (Id::from_str(&up).is_ok() && metadata::calling_code(&up).is_some())
            .then_some(Region([b[0], b[1]]))
    }

    pub fn as_str(&self) -> &str {
        // Built only from two ASCII capitals.
        std::str::from_utf8(&self.0).unwrap_or("SE")
    }

    fn id(self) -> Option<Id> {
        Id::from_str(self.as_str()).ok()
    }

    /// The region's calling code (46 for `SE`): which metadata reads its numbers.
    fn calling_code(self) -> Option<u16> {
        metadata::calling_code(self.as_str())
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.as_str())
    }
}

/// Builds, on a thread of its own, what the first reading of a number in
/// `region` builds: its calling code's metadata and the patterns that
/// reading, validating and writing its fixed-line and mobile numbers ask
/// (~4 ms, a quarter of a small extract), while the command parses its
/// arguments, reads its map and opens the store. What is built is kept in
/// the same `OnceLock`s and caches a reading fills, so a reading that comes
/// first waits for it or builds it too; results are the same either way.
/// Once per region per process.
pub(super) fn warm(region: Region) {
    use std::sync::Mutex;
    static STARTED: Mutex<Vec<Region>> = Mutex::new(Vec::new());
    {
        let mut started = STARTED.lock().unwrap_or_else(|e| e.into_inner());
        if started.contains(&region) {
            return;
        }
        started.push(region);
    }
    let work = move || {
        let Some(code) = region.calling_code() else {
            return;
        };
        let Some(meta) = metadata::for_code(code).by_id(region.as_str()) else {
            return;
        };
        let d = meta.descriptors();
        let trunk = meta.national_prefix().unwrap_or("");
        for example in [d.mobile(), d.fixed_line()]
            .into_iter()
            .flatten()
            .filter_map(|d| d.example())
        {
            // As stored: with the trunk prefix, and with the country code.
            if let Ok(k) = key(&format!("{trunk}{example}"), region) {
                let _ = forms(&k);
                let _ = make_digit_patterns(&k);
            }
            let _ = key(&format!("+{code} {example}"), region);
        }
    };
    // Without a thread the first reading builds it; nothing is lost.
    let _ = std::thread::Builder::new()
        .name("dsr-phone-warm".into())
        .spawn(work);
}

/// The E.164 key of a number written in `region`.
///
/// Only what people write in a phone field is accepted: digits, spaces and
/// `- . / ( )`, with one leading `+`. The crate alone would also read
/// letters as keypad digits and pick a number out of surrounding words,
/// which would make a typo or a note in a phone column someone's number.
pub(super) fn key(raw: &str, region: Region) -> Result<String, IdentError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(IdentError::Empty(super::Kind::Phone(region)));
    }
    let mut digits = 0;
    for (i, c) in s.char_indices() {
        match c {
            '0'..='9' => digits += 1,
            '+' if i == 0 => {}
            '-' | '.' | '/' | '(' | ')' => {}
            c if c.is_whitespace() => {}
            _ => return Err(IdentError::PhoneCharacters),
        }
    }
    if digits == 0 {
        return Err(IdentError::PhoneInvalid(region));
    }
    let invalid = || IdentError::PhoneInvalid(region);
    // Read with the region's metadata; the number may have another code
    // (`+44…` in `SE`), whose metadata then says whether it is valid.
    let (id, code) = region.id().zip(region.calling_code()).ok_or_else(invalid)?;
    let n = metadata::parse_in(id, code, s).map_err(|_| invalid())?;
    let db = metadata::for_code(n.code().value());
    if !metadata::is_valid(&n, db) {
        return Err(invalid());
    }
    format::format(&n, db, Mode::E164).ok_or_else(invalid)
}

/// A canonical key read back, with its country code and national
/// significant number as digit strings.
struct Parts {
    number: PhoneNumber,
    /// The metadata of the number's calling code.
    db: &'static Database,
    cc: String,
    nsn: String,
}

fn parts(key: &str) -> Option<Parts> {
    let digits = key.strip_prefix('+')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (number, db) = metadata::parse_international(key)?;
    let cc = number.code().value().to_string();
    let nsn = digits.strip_prefix(cc.as_str())?.to_string();
    (!nsn.is_empty()).then_some(Parts {
        number,
        db,
        cc,
        nsn,
    })
}

impl Parts {
    /// The number as its metadata writes it in `mode`.
    fn written(&self, mode: Mode) -> String {
        // The database has the number's code, so the fallback is not reached.
        format::format(&self.number, self.db, mode)
            .unwrap_or_else(|| format!("+{}{}", self.cc, self.nsn))
    }
}

/// The number's national (trunk) prefix, from its country's metadata.
fn trunk_prefix(p: &Parts) -> Option<String> {
    p.number
        .metadata(p.db)
        .and_then(|m| m.national_prefix())
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
}

fn digits_of(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Written forms of a key as the metadata formats them: E.164, the
/// international and national formats, and the same as bare digits.
pub(super) fn forms(key: &str) -> Vec<String> {
    let Some(p) = parts(key) else {
        return vec![key.to_string()];
    };
    let national = p.written(Mode::National);
    vec![
        key.to_string(),
        p.written(Mode::International),
        national.clone(),
        digits_of(&national),
        format!("00{}{}", p.cc, p.nsn),
    ]
}

/// Digit sequences under which a key may be written in free text: with the
/// country code (after `+` or `00`), with the country code and the trunk
/// prefix in brackets (`+46 (0)70…`), and the national form's digits
/// (`070…` in Sweden, `208…` in the US, whose trunk `1` is also tried).
///
/// Free-text search calls this for every candidate row, so the patterns of
/// recent keys are kept (per thread) rather than parsed and formatted anew.
pub(super) fn digit_patterns(key: &str) -> std::rc::Rc<Vec<String>> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::rc::Rc;
    thread_local! {
        static CACHE: RefCell<HashMap<String, Rc<Vec<String>>>> = RefCell::new(HashMap::new());
    }
    if let Some(hit) = CACHE.with(|c| c.borrow().get(key).cloned()) {
        return hit;
    }
    let patterns = Rc::new(make_digit_patterns(key));
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 4096 {
            c.clear();
        }
        c.insert(key.to_string(), patterns.clone());
    });
    patterns
}

fn make_digit_patterns(key: &str) -> Vec<String> {
    let Some(p) = parts(key) else {
        return Vec::new();
    };
    let (cc, nsn) = (&p.cc, &p.nsn);
    let mut out = vec![format!("{cc}{nsn}"), format!("00{cc}{nsn}")];
    if let Some(t) = trunk_prefix(&p) {
        out.push(format!("{cc}{t}{nsn}"));
        out.push(format!("00{cc}{t}{nsn}"));
        out.push(format!("{t}{nsn}"));
    }
    out.push(digits_of(&p.written(Mode::National)));
    super::dedup(out)
}

/// The national significant number's digits: every written form of the
/// number contains them in this order, whatever comes before them.
pub fn national_digits(key: &str) -> Option<String> {
    parts(key).map(|p| p.nsn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use phonenumber::metadata::DATABASE;

    fn r(s: &str) -> Region {
        Region::parse(s).expect("region")
    }

    /// Readings racing the background build (several regions, the same
    /// region twice) wait for it or build alongside, and read as the crate does.
    #[test]
    fn readings_during_the_warm_up_read_as_without_it() {
        let raws = ["070-123 45 67", "+44 20 7946 0018", "0049 30 901820"];
        let threads: Vec<_> = (0..4)
            .map(|i| {
                std::thread::spawn(move || {
                    warm(r(["SE", "GB", "DE", "SE"][i]));
                    raws.map(|raw| key(raw, r("SE")).ok().map(|k| (forms(&k), k)))
                })
            })
            .collect();
        for t in threads {
            let got = t.join().expect("thread");
            for (raw, got) in raws.iter().zip(&got) {
                let want = crate_key(raw, r("SE"));
                assert_eq!(got.as_ref().map(|(_, k)| k), want.as_ref(), "{raw}");
            }
            let (se_forms, se) = got[0].clone().expect("a Swedish number");
            assert_eq!(se, "+46701234567");
            assert_eq!(se_forms[1..3], ["+46 70 123 45 67", "070-123 45 67"]);
        }
    }

    /// The key as the crate's whole database reads it: what [`key`] gave
    /// before the metadata was loaded per calling code.
    fn crate_key(raw: &str, region: Region) -> Option<String> {
        let n = phonenumber::parse(region.id(), raw.trim()).ok()?;
        n.is_valid()
            .then(|| n.format().mode(Mode::E164).to_string())
    }

    #[test]
    fn numbers_of_several_calling_codes() {
        for (region, raw, want) in [
            ("SE", "070-123 45 67", "+46701234567"),
            ("SE", "08-123 456 78", "+46812345678"),
            ("US", "(201) 555-0123", "+12015550123"),
            ("CA", "(506) 234-5678", "+15062345678"),
            ("JM", "876-523-0123", "+18765230123"),
            ("US", "+1 876 523 0123", "+18765230123"),
            ("GB", "07400 123456", "+447400123456"),
            ("GB", "0121 234 5678", "+441212345678"),
            ("FI", "040 123 4567", "+358401234567"),
            ("AX", "018 1234567", "+358181234567"),
            ("NO", "21 23 45 67", "+4721234567"),
            ("SJ", "79 12 34 56", "+4779123456"),
            ("SE", "00 44 7400 123456", "+447400123456"),
            ("US", "011 44 7400 123456", "+447400123456"),
            ("GB", "00 358 40 123 4567", "+358401234567"),
            ("FI", "00 47 21 23 45 67", "+4721234567"),
            ("NO", "+46 70 123 45 67", "+46701234567"),
            ("JM", "+1 (201) 555-0123", "+12015550123"),
        ] {
            let got = key(raw, r(region));
            assert_eq!(got.as_deref(), Ok(want), "{raw} in {region}");
            assert_eq!(
                crate_key(raw, r(region)).as_deref(),
                Some(want),
                "{raw} in {region}"
            );
        }
    }

    #[test]
    fn invalid_numbers_stay_invalid() {
        for (region, raw) in [
            ("SE", "070 12"),
            ("SE", "+46 70 123"),
            ("SE", "+999 1234 5678"),
            ("SE", "+0701234567"),
            ("GB", "07400 12345"),
            ("US", "(201) 055-0123"),
            ("US", "070-123 45 67"),
            ("FI", "+44 1234"),
            ("NO", "1"),
        ] {
            assert_eq!(
                key(raw, r(region)),
                Err(IdentError::PhoneInvalid(r(region))),
                "{raw} in {region}"
            );
            assert_eq!(crate_key(raw, r(region)), None, "{raw} in {region}");
        }
    }

    #[test]
    fn written_forms_of_several_calling_codes() {
        assert_eq!(
            forms("+447400123456"),
            [
                "+447400123456",
                "+44 7400 123456",
                "07400 123456",
                "07400123456",
                "00447400123456"
            ]
        );
        assert_eq!(
            *digit_patterns("+358401234567"),
            [
                "358401234567",
                "00358401234567",
                "3580401234567",
                "003580401234567",
                "0401234567"
            ]
        );
        assert_eq!(
            *digit_patterns("+12015550123"),
            [
                "12015550123",
                "0012015550123",
                "112015550123",
                "00112015550123",
                "2015550123"
            ]
        );
        assert_eq!(national_digits("+4721234567").as_deref(), Some("21234567"));
        assert_eq!(forms("+999123456"), ["+999123456"]);
        assert!(digit_patterns("+999123456").is_empty());
    }

    /// What the metadata makes of a number read in `id`: the parse error,
    /// or the E.164 and national forms and validity.
    fn reading(id: Id, raw: &str) -> String {
        let code = r(id.as_ref()).calling_code().expect("code");
        let full = phonenumber::parse(Some(id), raw);
        let n = match metadata::parse_in(id, code, raw) {
            Ok(n) => n,
            Err(e) => {
                assert_eq!(
                    full.err().map(|e| e.to_string()),
                    Some(e.to_string()),
                    "{raw}"
                );
                return format!("{e:?}");
            }
        };
        assert_eq!(full.ok().as_ref(), Some(&n), "{raw}");
        let db = metadata::for_code(n.code().value());
        let valid = metadata::is_valid(&n, db);
        assert_eq!(valid, n.is_valid(), "{raw}");
        let e164 = format::format(&n, db, Mode::E164).unwrap_or_default();
        let national = format::format(&n, db, Mode::National).unwrap_or_default();
        format!("{e164} {valid} {national}")
    }

    /// Numbers written with other scripts' digits (fullwidth, Arabic-Indic,
    /// Persian, Devanagari) read as before build.rs rewrote the metadata's
    /// `\d` as `[0-9]`: the crate turns such digits into ASCII ones (or
    /// rejects the number) before any metadata pattern sees them. Expected
    /// values recorded with main's code (f24a156), before the rewrite;
    /// `key` itself accepts only ASCII digits.
    #[test]
    fn numbers_in_other_digits_read_as_before() {
        let cases = [
            (Id::SE, "０７０-１２３ ４５ ６７", "NoNumber"),
            (Id::SE, "070-１２３ ４５ ６７", "NoNumber"),
            (Id::SE, "+４６ ７０ １２３ ４５ ６７", "NoNumber"),
            (Id::SE, "+46 ７０ １２３ ４５ ６７", "NoNumber"),
            (Id::SE, "00 ٤٤ ٧٤٠٠ ١٢٣٤٥٦", "NoNumber"),
            (Id::EG, "٠١٠ ٠١٢٣ ٤٥٦٧", "NoNumber"),
            (Id::EG, "010 ٠١٢٣ ٤٥٦٧", "NoNumber"),
            (Id::SA, "٠٥٠ ١٢٣ ٤٥٦٧", "NoNumber"),
            (Id::IR, "۰۹۱۲ ۳۴۵ ۶۷۸۹", "NoNumber"),
            (Id::IN, "०९८७६ ५४३२१०", "NoNumber"),
            (Id::IN, "09876 ५४३२१०", "NoNumber"),
            (Id::US, "(２０１) ５５５-０１２３", "NoNumber"),
            (Id::US, "201 ５５５-０１２３", "NoNumber"),
            (Id::BR, "0 15 11 ２３４５ ６７８９", "NoNumber"),
            (Id::GB, "07400 ١٢٣٤٥", "NoNumber"),
            (Id::SE, "070-123 45 67 ٨", "NoNumber"),
            (
                Id::SE,
                "070-123 45 67 ext. ١٢",
                "+46701234567 true 070-123 45 67 ext. 12",
            ),
            (
                Id::US,
                "201 555 0123 x ４",
                "+12015550123 true (201) 555-0123 ext. 4",
            ),
            (Id::DE, "030 123456 / ٧", "NoNumber"),
            (Id::SE, "070-123 45 67", "+46701234567 true 070-123 45 67"),
        ];
        for (id, raw, want) in cases {
            assert_eq!(reading(id, raw), want, "{raw} in {id:?}");
            let region = r(id.as_ref());
            if !raw.is_ascii() {
                assert_eq!(key(raw, region), Err(IdentError::PhoneCharacters), "{raw}");
            }
        }
        for raw in ["+４４ ７４００ １２３４５６", "+44 ٧٤٠٠ ١٢٣٤٥٦"] {
            assert!(metadata::parse_international(raw).is_none(), "{raw}");
            assert!(phonenumber::parse(None, raw).is_err(), "{raw}");
        }
    }

    /// Reading and writing numbers of several codes builds only their
    /// groups, never the crate's whole database (~60 ms). Run in a child
    /// process, since the other tests here build that database.
    #[test]
    fn reading_numbers_leaves_the_whole_database_unbuilt() {
        const TEST: &str = "ident::phone::tests::reading_numbers_leaves_the_whole_database_unbuilt";
        if std::env::var_os("DSR_TEST_PHONE_CHILD").is_some() {
            assert_eq!(
                key("070-123 45 67", Region::DEFAULT).as_deref(),
                Ok("+46701234567")
            );
            assert_eq!(
                key("+44 7400 123456", r("US")).as_deref(),
                Ok("+447400123456")
            );
            assert!(key("+999 1234 5678", Region::DEFAULT).is_err());
            assert_eq!(forms("+12015550123").len(), 5);
            assert_eq!(digit_patterns("+358401234567").len(), 5);
            assert_eq!(national_digits("+4721234567").as_deref(), Some("21234567"));
            assert!(once_cell::sync::Lazy::get(&DATABASE).is_none());
            return;
        }
        let exe = std::env::current_exe().expect("test binary");
        let out = std::process::Command::new(exe)
            .args([TEST, "--exact", "--test-threads=1"])
            .env("DSR_TEST_PHONE_CHILD", "1")
            .output()
            .expect("run the test binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("1 passed"), "{stdout}");
    }

    /// Every example number of every region, written nationally in its
    /// region and with `+` in two others, reads, validates and formats as
    /// with the crate's whole database.
    #[test]
    fn every_example_number_reads_as_with_the_whole_database() {
        let mut checked = 0;
        for m in DATABASE.iter() {
            let Some(home) = Region::parse(m.id()) else {
                continue;
            };
            let examples = std::iter::once(m.descriptors().general())
                .chain(metadata::number_types(m))
                .filter_map(|d| d.example());
            for ex in examples {
                let intl = format!("+{} {ex}", m.country_code());
                // One digit more or less: mostly invalid, sometimes another number.
                let longer = format!("{ex}9");
                let shorter = &ex[..ex.len().saturating_sub(1)];
                for (raw, region) in [
                    (ex, home),
                    (&intl, Region::DEFAULT),
                    (&intl, r("US")),
                    (&longer, home),
                    (shorter, home),
                ] {
                    let got = key(raw, region).ok();
                    assert_eq!(got, crate_key(raw, region), "{raw} in {region}");
                    let Some(k) = got else { continue };
                    let full = phonenumber::parse(None, &k).expect("key");
                    assert_eq!(
                        forms(&k)[1..3],
                        [Mode::International, Mode::National]
                            .map(|m| full.format().mode(m).to_string()),
                        "{k}"
                    );
                    let trunk = full.metadata(&DATABASE).and_then(|m| m.national_prefix());
                    let p = parts(&k).expect("parts");
                    assert_eq!(p.number, full, "{k}");
                    assert_eq!(
                        p.number.metadata(p.db).and_then(|m| m.national_prefix()),
                        trunk,
                        "{k}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 1500, "{checked}");
    }
}
