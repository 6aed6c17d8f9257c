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
//! Cost: the metadata is deserialised once per process (the crate keeps it
//! in a static) and its patterns are compiled once into the crate's regex
//! cache; parsing one stored value then takes some microseconds, which is
//! what a lookup that must scan a phone column pays per row.

use std::fmt;
use std::str::FromStr;

use phonenumber::country::Id;
use phonenumber::metadata::DATABASE;
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
        (Id::from_str(&up).is_ok() && DATABASE.by_id(up.as_str()).is_some())
            .then_some(Region([b[0], b[1]]))
    }

    pub fn as_str(&self) -> &str {
        // Built only from two ASCII capitals.
        std::str::from_utf8(&self.0).unwrap_or("SE")
    }

    fn id(self) -> Option<Id> {
        Id::from_str(self.as_str()).ok()
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
    let n = phonenumber::parse(region.id(), s).map_err(|_| IdentError::PhoneInvalid(region))?;
    if !n.is_valid() {
        return Err(IdentError::PhoneInvalid(region));
    }
    Ok(n.format().mode(Mode::E164).to_string())
}

/// A canonical key read back, with its country code and national
/// significant number as digit strings.
struct Parts {
    number: PhoneNumber,
    cc: String,
    nsn: String,
}

fn parts(key: &str) -> Option<Parts> {
    let digits = key.strip_prefix('+')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = phonenumber::parse(None, key).ok()?;
    let cc = number.code().value().to_string();
    let nsn = digits.strip_prefix(cc.as_str())?.to_string();
    (!nsn.is_empty()).then_some(Parts { number, cc, nsn })
}

/// The number's national (trunk) prefix, from its country's metadata.
fn trunk_prefix(p: &Parts) -> Option<String> {
    p.number
        .metadata(&DATABASE)
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
    let national = p.number.format().mode(Mode::National).to_string();
    vec![
        key.to_string(),
        p.number.format().mode(Mode::International).to_string(),
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
    out.push(digits_of(
        &p.number.format().mode(Mode::National).to_string(),
    ));
    super::dedup(out)
}

/// The national significant number's digits: every written form of the
/// number contains them in this order, whatever comes before them.
pub fn national_digits(key: &str) -> Option<String> {
    parts(key).map(|p| p.nsn)
}
