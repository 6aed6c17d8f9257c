//! A number's written forms, from the metadata of its calling code.
//!
//! The crate's `Formatter` reads the database it is given, but its `Display`
//! takes `self.database.unwrap_or(&DATABASE)`, which builds the crate's
//! whole database (~60 ms) before it looks at the one given (phonenumber
//! 0.3.10). So the crate's formatting steps are taken here, in its order,
//! with the metadata's patterns and rules: which format applies to a
//! number, and how the national prefix or carrier enters it. The tests
//! compare every example number of every region with the crate's own output.

use std::borrow::Cow;

use phonenumber::metadata::{Database, Format, Metadata};
use phonenumber::{Mode, PhoneNumber};

use super::pattern;

/// The crate's `consts::FIRST_GROUP`, `NP`, `FG` and `CC`: the first group
/// of a format, and the placeholders of a national-prefix rule.
const FIRST_GROUP: &str = r"(\$\d)";
const NP: &str = "$NP";
const FG: &str = "$FG";
const CC: &str = "$CC";

/// `number` written in `mode` (E.164, international or national), as the
/// crate writes it; `None` when `db` has no metadata for its calling code.
pub(super) fn format(number: &PhoneNumber, db: &Database, mode: Mode) -> Option<String> {
    let code = number.code().value();
    let meta = db.by_code(&code)?.into_iter().next()?;
    let national = number.national().to_string();
    let formats = if meta.international_formats().is_empty() || mode == Mode::National {
        meta.formats()
    } else {
        meta.international_formats()
    };
    let chosen = choose(&national, formats);
    let mut out = match (mode, chosen) {
        (Mode::International, Some(f)) => {
            format!("+{code} {}", replace(&national, meta, f, None, None))
        }
        (Mode::International, None) => format!("+{code} {national}"),
        (Mode::National, Some(f)) => {
            let carrier = number
                .carrier()
                .and_then(|c| f.domestic_carrier().map(|rule| (c.to_string(), rule)));
            match carrier {
                Some((c, rule)) => replace(&national, meta, f, Some(rule), Some(&c)),
                None => replace(&national, meta, f, f.national_prefix(), None),
            }
        }
        (Mode::National, None) => national,
        _ => return Some(format!("+{code}{national}")),
    };
    if let Some(ext) = number.extension() {
        out.push_str(meta.preferred_extension_prefix().unwrap_or(" ext. "));
        out.push_str(ext.as_ref());
    }
    Some(out)
}

/// The first format whose leading digits begin the number and whose
/// pattern spans it; a format without leading digits applies to any.
fn choose<'a>(national: &str, formats: &'a [Format]) -> Option<&'a Format> {
    formats.iter().find(|f| match f.leading_digits().last() {
        None => true,
        Some(leading) => {
            pattern::match_at_start(leading.as_str(), national).is_some()
                && pattern::match_at_start(f.pattern().as_str(), national) == Some(national.len())
        }
    })
}

/// The number through the format's pattern; with a rule (`$NP $FG`, a
/// carrier rule), the format's first group rewritten by it first.
fn replace(
    national: &str,
    meta: &Metadata,
    f: &Format,
    rule: Option<&str>,
    carrier: Option<&str>,
) -> String {
    let first = rule.and_then(|rule| Some((rule, pattern::find(FIRST_GROUP, f.format())?)));
    let template: Cow<str> = match first {
        Some((rule, first)) => {
            let rule = rule
                .replace(NP, meta.national_prefix().unwrap_or(""))
                .replace(FG, &format!("${first}"))
                .replace(CC, carrier.unwrap_or(""));
            Cow::Owned(pattern::replace_first(FIRST_GROUP, f.format(), &rule))
        }
        None => Cow::Borrowed(f.format()),
    };
    pattern::replace_first(f.pattern().as_str(), national, &template)
}

#[cfg(test)]
mod tests {
    use super::*;
    use phonenumber::country::Id;
    use phonenumber::metadata::DATABASE;

    /// Numbers with carriers, extensions, national prefixes inside the
    /// format and transform rules (Argentina's mobile 9), in three modes, as
    /// the crate writes them with its whole database.
    #[test]
    fn forms_are_the_crates() {
        let cases = [
            (Id::BR, "0 15 11 2345 6789"),
            (Id::BR, "(11) 2345-6789"),
            (Id::CO, "03 1 234 5678"),
            (Id::AR, "011 15 2345 6789"),
            (Id::AR, "+54 9 11 2345 6789"),
            (Id::MX, "55 1234 5678"),
            (Id::US, "+1 201 555 0123 ext. 12"),
            (Id::DE, "030 123456 ext 7"),
            (Id::GB, "020 7031 3000"),
            (Id::IT, "06 1234 5678"),
            (Id::SE, "070-123 45 67"),
            (Id::FI, "040 123 4567"),
            (Id::KR, "02-312-3456"),
            (Id::RU, "8 (812) 123-45-67"),
        ];
        let mut carriers = 0;
        let mut extensions = 0;
        for (id, raw) in cases {
            let n = phonenumber::parse(Some(id), raw).expect(raw);
            carriers += usize::from(n.carrier().is_some());
            extensions += usize::from(n.extension().is_some());
            let db = crate::ident::phone::metadata::for_code(n.code().value());
            for mode in [Mode::E164, Mode::International, Mode::National] {
                let want = n.format().mode(mode).to_string();
                assert_eq!(format(&n, db, mode), Some(want), "{raw} {mode:?}");
                assert_eq!(
                    format(&n, &DATABASE, mode),
                    format(&n, db, mode),
                    "{raw} {mode:?}"
                );
            }
        }
        assert!(
            carriers >= 2 && extensions >= 2,
            "{carriers} carriers, {extensions} extensions"
        );
    }
}
