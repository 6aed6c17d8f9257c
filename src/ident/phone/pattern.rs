//! The metadata's patterns where dsr matches them itself: which format a
//! number takes, and whether a number type's pattern holds it.
//!
//! The crate compiles each pattern on first use with the regex crate's
//! defaults, whose literal prefilter and one-pass DFA make a compile cost
//! ~250 µs; a number met for the first time asks a few dozen patterns, which
//! made a third of a small extract. Here the same pattern text is compiled
//! by the same engine (`regex-automata`'s meta regex, what `regex::Regex`
//! wraps) without those two, in ~30 µs. They only speed up searches of long
//! texts, and these texts are a number's digits. Matches are the same: the
//! same syntax (the crate's verbose flag) and the same leftmost-first
//! search; the tests compare every example number of every region with the
//! crate's output.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use regex_automata::meta::{Config, Regex};
use regex_automata::util::syntax;

/// Compiled patterns by their text, for the process. The metadata of one
/// calling code holds some hundreds at most.
static COMPILED: LazyLock<Mutex<HashMap<String, Option<Regex>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// `source` compiled as the crate compiles it (verbose: whitespace is not
/// part of the pattern); `None` if it does not compile, which the crate
/// would have refused when the metadata was loaded.
fn compiled(source: &str) -> Option<Regex> {
    let cache = || COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(hit) = cache().get(source) {
        return hit.clone();
    }
    // Compiled outside the lock: the warm-up thread (`phone::warm`) may be
    // compiling others meanwhile. Two compiling one pattern keep the first.
    let re = Regex::builder()
        .configure(Config::new().auto_prefilter(false).onepass(false))
        .syntax(syntax::Config::new().ignore_whitespace(true))
        .build(source)
        .ok();
    cache().entry(source.to_string()).or_insert(re).clone()
}

/// Where the leftmost-first match of `source` in `text` ends, if it begins
/// at the start (the crate's `find(..).start() == 0`).
pub(super) fn match_at_start(source: &str, text: &str) -> Option<usize> {
    compiled(source)?
        .find(text)
        .filter(|m| m.start() == 0)
        .map(|m| m.end())
}

/// The text of the leftmost-first match of `source` in `text`.
pub(super) fn find<'t>(source: &str, text: &'t str) -> Option<&'t str> {
    compiled(source)?.find(text).map(|m| &text[m.range()])
}

/// Whether a number type's pattern holds a national number, as the crate's
/// `Descriptor::is_match` asks it: one of its lengths, and a match that
/// begins at the start.
pub(super) fn holds(d: &phonenumber::metadata::Descriptor, national: &str) -> bool {
    let lengths = d.possible_length();
    (lengths.is_empty() || u16::try_from(national.len()).is_ok_and(|n| lengths.contains(&n)))
        && match_at_start(d.national_number().as_str(), national).is_some()
}

/// `text` with its first match of `source` replaced by `template`, in
/// which `$1` (or `${1}`) is the first group, `$$` a dollar: what the regex
/// crate's `Regex::replace` gives. `text` itself when nothing matches.
pub(super) fn replace_first(source: &str, text: &str, template: &str) -> String {
    let Some(re) = compiled(source) else {
        return text.to_string();
    };
    let mut caps = re.create_captures();
    re.captures(text, &mut caps);
    let Some(m) = caps.get_match() else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len() + template.len());
    out.push_str(&text[..m.start()]);
    caps.interpolate_string_into(text, template, &mut out);
    out.push_str(&text[m.end()..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same answers as the regex crate for what the metadata asks:
    /// anchoring by position, groups in a template, `$$`, whitespace.
    #[test]
    fn matches_and_replacements_are_the_regex_crates() {
        let cases = [
            ("([0-9]{2})([0-9]{3})", "0701234567", "$1-$2"),
            ("7[0-9]", "0701234567", "x"),
            ("0 7", "0701234567", "${1}"),
            ("(1)?([0-9])", "0701234567", "[$1][$2]$$"),
            ("(?:\n  [1-3]|\n  7\n)", "70", "<$0>"),
            ("9", "0701234567", "$1"),
        ];
        for (source, text, template) in cases {
            let theirs = regex::RegexBuilder::new(source)
                .ignore_whitespace(true)
                .build()
                .expect(source);
            assert_eq!(
                match_at_start(source, text),
                theirs
                    .find(text)
                    .filter(|m| m.start() == 0)
                    .map(|m| m.end()),
                "{source}"
            );
            assert_eq!(
                replace_first(source, text, template),
                theirs.replace(text, template),
                "{source}"
            );
        }
        assert_eq!(find(r"(\$\d)", "$NP $1 $2"), Some("$1"));
        assert_eq!(find(r"(\$\d)", "$NP"), None);
        assert_eq!(match_at_start("(", "1"), None);
        assert_eq!(replace_first("(", "1", "x"), "1");
    }
}
