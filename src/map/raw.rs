//! The data map as written: serde shapes that keep every value's position, so
//! that validation can point at file:line:column.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;
use toml::Spanned;

/// A TOML table read in file order (the order tables and columns appear in
/// reports and exports).
#[derive(Debug)]
pub struct Ordered<V>(pub Vec<(Spanned<String>, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<Spanned<String>, V>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V2(PhantomData))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMap {
    pub version: Spanned<i64>,
    /// The default region for phone numbers (ISO 3166 alpha-2).
    pub region: Option<Spanned<String>>,
    /// The default `--lang` of outputs for people (`sv` or `en`).
    pub language: Option<Spanned<String>>,
    /// The IANA time zone dates are shown in to people.
    pub timezone: Option<Spanned<String>>,
    pub controller: Spanned<RawController>,
    #[serde(default)]
    pub identifiers: Ordered<Spanned<RawIdentifier>>,
    #[serde(default)]
    pub tables: Ordered<Spanned<RawTable>>,
    #[serde(default)]
    pub labels: RawLabels,
}

/// `[labels]`: the map's own words over the built-in ones.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLabels {
    #[serde(default)]
    pub categories: Ordered<Spanned<RawText>>,
    #[serde(default)]
    pub legal_bases: Ordered<Spanned<RawText>>,
    #[serde(default)]
    pub identifiers: Ordered<Spanned<RawText>>,
}

/// A text for people: one string for both languages, or
/// `{ sv = "…", en = "…" }` (either may be left out; the other stands in).
#[derive(Debug)]
pub struct RawText {
    pub sv: Option<String>,
    pub en: Option<String>,
}

impl<'de> Deserialize<'de> for RawText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a text, or { sv = \"…\", en = \"…\" }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawText {
                    sv: Some(v.to_string()),
                    en: Some(v.to_string()),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let (mut sv, mut en) = (None, None);
                while let Some(k) = m.next_key::<String>()? {
                    match k.as_str() {
                        "sv" => sv = Some(m.next_value()?),
                        "en" => en = Some(m.next_value()?),
                        other => return Err(serde::de::Error::unknown_field(other, &["sv", "en"])),
                    }
                }
                Ok(RawText { sv, en })
            }
        }
        d.deserialize_any(V)
    }
}

/// An `[identifiers]` entry: a kind's name (`email = "email"`), or a table
/// naming the kind and, for a phone kind, its own region
/// (`phone = { kind = "phone", region = "DE" }`).
///
/// Read by hand rather than as an untagged enum, which would buffer the
/// value and lose the positions of `kind` and `region`.
#[derive(Debug)]
pub struct RawIdentifier {
    pub kind: String,
    /// Where `kind` is written, when the entry is a table; otherwise the
    /// entry's own position is the kind's.
    pub kind_span: Option<std::ops::Range<usize>>,
    pub region: Option<Spanned<String>>,
}

impl<'de> Deserialize<'de> for RawIdentifier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawIdentifier;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "an identifier kind such as \"email\", or { kind = \"phone\", region = \"DE\" }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawIdentifier {
                    kind: v.to_string(),
                    kind_span: None,
                    region: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut kind: Option<Spanned<String>> = None;
                let mut region = None;
                while let Some(k) = m.next_key::<String>()? {
                    match k.as_str() {
                        "kind" => kind = Some(m.next_value()?),
                        "region" => region = Some(m.next_value()?),
                        other => {
                            return Err(serde::de::Error::unknown_field(other, &["kind", "region"]))
                        }
                    }
                }
                let kind = kind.ok_or_else(|| serde::de::Error::missing_field("kind"))?;
                Ok(RawIdentifier {
                    kind_span: Some(kind.span()),
                    kind: kind.into_inner(),
                    region,
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawController {
    pub name: String,
    pub contact: String,
    pub authority: String,
    /// Art. 15(1)(h): replaces the fixed "no automated decisions" text.
    pub automated_decisions: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTable {
    #[serde(default)]
    pub subjects: bool,
    pub label: Option<Spanned<RawText>>,
    pub description: Option<Spanned<RawText>>,
    pub purpose: String,
    pub legal_basis: Spanned<String>,
    pub source: Option<String>,
    #[serde(default)]
    pub recipients: Vec<String>,
    #[serde(default)]
    pub transfers: Vec<String>,
    #[serde(default)]
    pub identify: Ordered<Spanned<OneOrMany>>,
    /// One link table or a list of them; read as a value first because
    /// serde's untagged enums lose positions.
    pub link: Option<Spanned<toml::Value>>,
    pub on_erase: Spanned<String>,
    pub retention: Option<Spanned<RawRetention>>,
    pub hold: Option<Spanned<RawHold>>,
    /// Why an `on_erase = "keep"` table is not erased on request, for people.
    pub keep_reason: Option<Spanned<RawText>>,
    #[serde(default)]
    pub columns: Ordered<Spanned<RawColumn>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLink {
    pub to: String,
    pub on: toml::Table,
    pub on_erase: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetention {
    pub after: Spanned<String>,
    pub keep: Spanned<String>,
    pub action: Option<Spanned<String>>,
    pub round: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHold {
    pub after: Spanned<String>,
    pub keep: Spanned<String>,
    pub reason: String,
    pub round: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawColumn {
    pub label: Option<Spanned<RawText>>,
    pub description: Option<Spanned<RawText>>,
    pub category: Option<String>,
    pub erase: Option<Spanned<String>>,
    pub with: Option<Spanned<String>>,
    #[serde(default = "yes")]
    pub extract: bool,
    #[serde(default)]
    pub scan: bool,
}

fn yes() -> bool {
    true
}

/// Makes serde's "unknown variant" style messages usable without a custom type.
pub fn unknown(what: &str, got: &str, choices: &[&str]) -> String {
    format!(
        "unknown {what} \"{got}\"; expected one of: {}",
        choices.join(", ")
    )
}
