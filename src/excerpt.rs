//! Art. 15(4) excerpts: a mention of the subject in someone else's free
//! text is handed out as the passage around each place the subject is
//! named — the sentence, at most [`REACH`] characters either side — with
//! every other email address, phone number and personnummer in it masked
//! as [`MASK`]. The rest of the other person's text is not handed out.
//!
//! Masking errs on the side of hiding: any run of 7 to 15 digits (with the
//! separators people write numbers with) that is not an ISO date counts as
//! a phone number or personnummer.

use std::ops::Range;

/// What a masked identifier becomes.
pub const MASK: &str = "***";
/// The most characters an excerpt reaches beyond the mention on each side.
pub const REACH: usize = 80;

/// The excerpts of `text` around `named` (byte ranges, ascending), masked.
pub fn excerpts(text: &str, named: &[Range<usize>]) -> Vec<String> {
    let named: Vec<Range<usize>> = named
        .iter()
        .filter(|r| r.start < r.end && text.get(r.start..r.end).is_some())
        .cloned()
        .collect();
    let masks: Vec<Range<usize>> = others(text)
        .into_iter()
        .filter(|m| !named.iter().any(|n| m.start < n.end && n.start < m.end))
        .collect();
    let mut windows: Vec<Range<usize>> = Vec::new();
    for r in &named {
        let w = window(text, r);
        match windows.last_mut() {
            Some(last) if w.start <= last.end => last.end = last.end.max(w.end),
            _ => windows.push(w),
        }
    }
    windows
        .into_iter()
        .map(|w| {
            // A mask that the window cuts is widened to cover its part.
            let mut out = String::new();
            if w.start > 0 {
                out.push('…');
            }
            let mut pos = w.start;
            for m in masks.iter().filter(|m| m.start < w.end && w.start < m.end) {
                let (s, e) = (m.start.max(w.start), m.end.min(w.end));
                if s < pos {
                    continue;
                }
                out.push_str(&text[pos..s]);
                out.push_str(MASK);
                pos = e;
            }
            out.push_str(&text[pos..w.end]);
            if w.end < text.len() {
                out.push('…');
            }
            out
        })
        .collect()
}

/// The passage around one mention: back to the start of its sentence and on
/// to its end, but no further than [`REACH`] characters, and then only to a
/// word boundary.
fn window(text: &str, r: &Range<usize>) -> Range<usize> {
    let before = &text[..r.start];
    let mut start = sentence_start(before);
    let reach_back = before
        .char_indices()
        .rev()
        .nth(REACH - 1)
        .map_or(0, |(i, _)| i);
    if start < reach_back {
        // Cut inside the sentence: begin after a space.
        start = before[reach_back..]
            .find(char::is_whitespace)
            .map_or(r.start, |i| reach_back + i)
            .min(r.start);
        start += text[start..r.start]
            .chars()
            .take_while(|c| c.is_whitespace())
            .map(char::len_utf8)
            .sum::<usize>();
    }
    let after = &text[r.end..];
    let mut end = r.end + sentence_end(after);
    let reach_on = r.end
        + after
            .char_indices()
            .nth(REACH)
            .map_or(after.len(), |(i, _)| i);
    if end > reach_on {
        end = text[r.end..reach_on]
            .rfind(char::is_whitespace)
            .map_or(reach_on, |i| r.end + i);
    }
    let end = r.end + text[r.end..end].trim_end().len();
    start..end
}

/// Where the sentence that `before` ends in begins.
fn sentence_start(before: &str) -> usize {
    let b = before.as_bytes();
    let mut i = b.len();
    while i > 0 {
        let c = b[i - 1];
        if c == b'\n' {
            return i;
        }
        if c.is_ascii_whitespace() && i >= 2 && matches!(b[i - 2], b'.' | b'!' | b'?') {
            return i;
        }
        i -= 1;
    }
    0
}

/// How far into `after` the current sentence goes (its full stop included).
fn sentence_end(after: &str) -> usize {
    let b = after.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'\n' {
            return i;
        }
        if matches!(b[i], b'.' | b'!' | b'?')
            && b.get(i + 1).is_none_or(|n| n.is_ascii_whitespace())
        {
            return i + 1;
        }
    }
    b.len()
}

fn is_local(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

/// Identifier-shaped values in `text`: email addresses and runs of 7 to 15
/// digits that are not ISO dates. Ascending, not overlapping.
pub fn others(text: &str) -> Vec<Range<usize>> {
    let mut found = emails(text);
    found.extend(numbers(text));
    found.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in found {
        match out.last_mut() {
            Some(last) if r.start < last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

fn emails(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = text[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_local(*c))
            .last()
            .map_or(at, |(i, _)| i);
        let rest = &text[at + 1..];
        let len = rest
            .char_indices()
            .find(|(_, c)| !is_domain(*c))
            .map_or(rest.len(), |(i, _)| i);
        let domain = rest[..len].trim_end_matches(['.', '-']);
        if start < at && domain.contains('.') && !domain.starts_with('.') {
            out.push(start..at + 1 + domain.len());
        }
    }
    out
}

fn numbers(text: &str) -> Vec<Range<usize>> {
    const SEPS: &[char] = &[' ', '-', '.', '/', '(', ')', '\u{2013}', '\u{a0}'];
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        let prev = i.checked_sub(1).map(|j| chars[j].1);
        if !c.is_ascii_digit() || prev.is_some_and(|p| p.is_alphanumeric()) {
            i += 1;
            continue;
        }
        let mut start = pos;
        if prev == Some('+') {
            start -= 1;
        }
        let (mut j, mut digits, mut last_digit) = (i, 0, i);
        while j < chars.len() {
            let c = chars[j].1;
            if c.is_ascii_digit() {
                digits += 1;
                last_digit = j;
                j += 1;
            } else if SEPS.contains(&c)
                && chars.get(j + 1).is_some_and(|n| {
                    n.1.is_ascii_digit()
                        || (SEPS.contains(&n.1)
                            && n.1 != c
                            && chars.get(j + 2).is_some_and(|m| m.1.is_ascii_digit()))
                })
            {
                j += 1;
            } else {
                break;
            }
        }
        let end = chars[last_digit].0 + 1;
        let next = chars.get(last_digit + 1).map(|n| n.1);
        let run = &text[start..end];
        if (7..=15).contains(&digits) && !is_iso_date(run) && !next.is_some_and(char::is_alphabetic)
        {
            // A bracket opened before the number and closed inside it.
            let mut s = start;
            if run.contains(')') && !run.contains('(') && s > 0 && text.as_bytes()[s - 1] == b'(' {
                s -= 1;
            }
            out.push(s..end);
        }
        i = last_digit + 1;
    }
    out
}

/// `YYYY-MM-DD`, alone or followed by a time.
fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && b.len() == 10
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(text: &str, what: &str) -> Vec<Range<usize>> {
        text.match_indices(what)
            .map(|(i, m)| i..i + m.len())
            .collect()
    }

    #[test]
    fn an_excerpt_is_the_sentence_with_others_masked() {
        let text = "Kunden har avlidit. Dödsbo: kontaktperson Anna Berg (19811218-9876), nås på anna@example.se eller via Bo på bo@example.se, 070-123 45 67. Ärendet stängt 2024-05-01.";
        assert_eq!(
            excerpts(text, &named(text, "anna@example.se")),
            ["…Dödsbo: kontaktperson Anna Berg (***), nås på anna@example.se eller via Bo på ***, ***.…"]
        );
    }

    #[test]
    fn each_place_gets_its_excerpt_and_near_places_share_one() {
        let text = "Ring 0701112233. Övrigt: Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. Ring igen 0701112233 eller 0731234567.";
        assert_eq!(
            excerpts(text, &named(text, "0701112233")),
            ["Ring 0701112233.…", "…Ring igen 0701112233 eller ***."]
        );
        // Within one sentence, both places in one excerpt.
        let text = "a@b.se och a@b.se";
        assert_eq!(
            excerpts(text, &named(text, "a@b.se")),
            ["a@b.se och a@b.se"]
        );
    }

    #[test]
    fn a_long_sentence_is_cut_at_words_within_reach() {
        let filler = "ord ".repeat(40);
        let text = format!("{filler}dan@example.se {filler}slut.");
        let got = excerpts(&text, &named(&text, "dan@example.se"));
        assert_eq!(got.len(), 1);
        let e = &got[0];
        assert!(e.starts_with("…ord ") && e.ends_with(" ord…"), "{e}");
        assert!(
            e.chars().count() <= 2 * REACH + "dan@example.se".len() + 2,
            "{e}"
        );
        assert!(!e.contains("slut"));
    }

    #[test]
    fn identifier_shapes_are_found_and_dates_are_not() {
        let text = "Mejl: x.y+z@ex-ample.co.uk. Tel +46 (0)70-123 45 67, pnr 811218-9876, 19811218 9876. Datum 2024-05-01, belopp 350 kr, order 12345.";
        let got: Vec<&str> = others(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(
            got,
            [
                "x.y+z@ex-ample.co.uk",
                "+46 (0)70-123 45 67",
                "811218-9876",
                "19811218 9876"
            ]
        );
    }
}
