//! Splits libphonenumber's metadata (the `phonenumber` crate's, so the crate
//! stays the source of truth) into one serialised group per calling code.
//!
//! Why: the crate builds its database for every region at once and parses
//! each of its thousands of patterns first, ~60 ms per process; a process
//! that reads Swedish numbers needs only the +46 group. `src/ident/phone/
//! metadata.rs` loads a group when a number of that calling code is first
//! read.
//!
//! Out: `phone_metadata.bin` (the groups, postcard-encoded
//! `Vec<loader::Metadata>`, one after the other) and `phone_metadata.rs` (the
//! calling codes with each group's place in the file, and every region with
//! its calling code). A group keeps the order the crate's own database gives
//! its regions (main country first), which decides how a number is read.
//!
//! One rewrite: every `\d` in a pattern becomes `[0-9]` ([`ascii_digits`]).
//! The regex crate's `\d` is Unicode's decimal digits (some 60 ranges), whose
//! automaton is most of the cost of compiling a pattern, several ms on a
//! process's first number. The two match alike on the strings the patterns
//! are matched against, which hold ASCII digits only: the crate's parser
//! rejects a number with other digits (its `is_viable` takes ASCII digits)
//! and normalises the rest (`helper::normalize` maps every kept character
//! to an ASCII digit) before a metadata pattern sees it; validation and
//! formatting match the national number's decimal `Display`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use phonenumber::metadata::{loader, Descriptor, Format, Metadata, DATABASE};

/// `pattern` with each `\d` written `[0-9]` (inside a class too, where
/// `[[0-9]]` is the same set); every other escape is kept.
fn ascii_digits(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str("[0-9]"),
            Some(next) => {
                out.push('\\');
                out.push(next);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn descriptor(d: &Descriptor) -> loader::Descriptor {
    loader::Descriptor {
        national_number: Some(ascii_digits(d.national_number().as_str())),
        possible_length: d.possible_length().to_vec(),
        possible_local_length: d.possible_local_length().to_vec(),
        example: d.example().map(str::to_string),
    }
}

fn format(f: &Format) -> loader::Format {
    loader::Format {
        pattern: Some(ascii_digits(f.pattern().as_str())),
        format: Some(f.format().to_string()),
        leading_digits: f
            .leading_digits()
            .iter()
            .map(|r| ascii_digits(r.as_str()))
            .collect(),
        national_prefix_formatting_rule: f.national_prefix().map(str::to_string),
        national_prefix_optional_when_formatting: f.is_national_prefix_optional(),
        domestic_carrier: f.domestic_carrier().map(str::to_string),
    }
}

/// The loader's form of one region's metadata: every field the crate's
/// `Database::from` reads, taken back from the built database.
fn metadata(m: &Metadata) -> loader::Metadata {
    let d = m.descriptors();
    let opt = |d: Option<&Descriptor>| d.map(descriptor);
    loader::Metadata {
        general: Some(descriptor(d.general())),
        fixed_line: opt(d.fixed_line()),
        mobile: opt(d.mobile()),
        toll_free: opt(d.toll_free()),
        premium_rate: opt(d.premium_rate()),
        shared_cost: opt(d.shared_cost()),
        personal_number: opt(d.personal_number()),
        voip: opt(d.voip()),
        pager: opt(d.pager()),
        uan: opt(d.uan()),
        emergency: opt(d.emergency()),
        voicemail: opt(d.voicemail()),
        short_code: opt(d.short_code()),
        standard_rate: opt(d.standard_rate()),
        carrier: opt(d.carrier()),
        no_international: opt(d.no_international()),
        id: Some(m.id().to_string()),
        country_code: Some(m.country_code()),
        international_prefix: m.international_prefix().map(|r| ascii_digits(r.as_str())),
        preferred_international_prefix: m.preferred_international_prefix().map(str::to_string),
        national_prefix: m.national_prefix().map(str::to_string),
        preferred_extension_prefix: m.preferred_extension_prefix().map(str::to_string),
        national_prefix_for_parsing: m
            .national_prefix_for_parsing()
            .map(|r| ascii_digits(r.as_str())),
        national_prefix_transform_rule: m.national_prefix_transform_rule().map(str::to_string),
        formats: m.formats().iter().map(format).collect(),
        international_formats: m.international_formats().iter().map(format).collect(),
        main_country_for_code: m.is_main_country_for_code(),
        leading_digits: m.leading_digits().map(|r| ascii_digits(r.as_str())),
        mobile_number_portable: m.is_mobile_number_portable(),
        defaults: Default::default(),
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let mut regions = BTreeMap::new();
    let mut codes = BTreeMap::new();
    for m in DATABASE.iter() {
        regions.insert(m.id().to_string(), m.country_code());
        codes.insert(m.country_code(), ());
    }

    let mut blob = Vec::new();
    let mut index = String::from(
        "/// Every calling code, ascending, with its group's offset and length in the blob.\n\
         const CODES: &[(u16, usize, usize)] = &[\n",
    );
    for code in codes.keys() {
        let group: Vec<loader::Metadata> = DATABASE
            .by_code(code)
            .expect("a code of the database has regions")
            .into_iter()
            .map(metadata)
            .collect();
        let bytes = postcard::to_stdvec(&group).expect("metadata serialises");
        writeln!(index, "    ({code}, {}, {}),", blob.len(), bytes.len()).expect("string");
        blob.extend_from_slice(&bytes);
    }
    index.push_str(
        "];\n\n/// Every region id, ascending, with its calling code.\n\
         const REGIONS: &[(&str, u16)] = &[\n",
    );
    for (id, code) in &regions {
        writeln!(index, "    ({id:?}, {code}),").expect("string");
    }
    index.push_str("];\n");

    std::fs::write(out.join("phone_metadata.bin"), blob).expect("write phone_metadata.bin");
    std::fs::write(out.join("phone_metadata.rs"), index).expect("write phone_metadata.rs");
}
