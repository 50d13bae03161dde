//! The list data model: one [`Entry`] per listed subject, grouped in a
//! [`ListSnapshot`] per list.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The list an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// US Treasury OFAC Specially Designated Nationals list.
    Ofac,
    /// OFAC consolidated non-SDN lists (SSI, NS-MBS, CAPTA, NS-PLC, …).
    OfacCons,
    /// UN Security Council consolidated list.
    Un,
    /// EU financial sanctions consolidated list (FSF).
    Eu,
    /// UK Sanctions List (FCDO).
    Uk,
}

impl Source {
    /// All sources, in a fixed order.
    pub const ALL: [Source; 5] =
        [Source::Ofac, Source::OfacCons, Source::Un, Source::Eu, Source::Uk];

    /// The wire name: `ofac`, `ofac_cons`, `un`, `eu`, `uk`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Ofac => "ofac",
            Source::OfacCons => "ofac_cons",
            Source::Un => "un",
            Source::Eu => "eu",
            Source::Uk => "uk",
        }
    }

    /// Whether the publisher's terms allow this list to be redistributed inside
    /// a released package (OFAC: US public domain; UN: free reuse with
    /// attribution; UK: OGL v3.0). EU data is excluded because the only copy we
    /// have is a third-party derivation without a licence.
    pub fn redistributable(self) -> bool {
        !matches!(self, Source::Eu)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How reliable an alias is, as the list states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasQuality {
    /// A good-quality a.k.a. (OFAC `aka`/`fka`/`nka` rows, UN `Good`, EU `strong="true"`).
    Strong,
    /// A low-quality a.k.a. (OFAC weak a.k.a. in Remarks, UN `Low`, EU `strong="false"`).
    Weak,
    /// The list does not say.
    Unknown,
}

/// One alternative name of an entry.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    /// The name as written in the list.
    pub name: String,
    /// Its quality.
    pub quality: AliasQuality,
}

impl fmt::Debug for Alias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Alias").field("quality", &self.quality).finish_non_exhaustive()
    }
}

/// What kind of subject an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    /// A natural person.
    Individual,
    /// A company, organisation, group or other legal person.
    Entity,
    /// A ship.
    Vessel,
    /// An aircraft.
    Aircraft,
    /// The list does not say.
    Unknown,
}

impl EntityType {
    /// Whether two types can describe the same subject. `Unknown` is compatible
    /// with everything; vessels, aircraft and entities are all non-persons but
    /// not interchangeable with individuals.
    pub fn compatible(self, other: EntityType) -> bool {
        self == other
            || self == EntityType::Unknown
            || other == EntityType::Unknown
            || (self != EntityType::Individual && other != EntityType::Individual)
    }
}

/// A date of birth as lists give it: exact, partial, a range or approximate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BirthDate {
    /// A full date.
    Exact {
        /// Year.
        year: i32,
        /// Month 1–12.
        month: u8,
        /// Day 1–31.
        day: u8,
    },
    /// Month and year.
    Month {
        /// Year.
        year: i32,
        /// Month 1–12.
        month: u8,
    },
    /// Year only.
    Year {
        /// Year.
        year: i32,
    },
    /// Between two years, inclusive (UN `BETWEEN`, OFAC `1960 to 1962`).
    Range {
        /// First year.
        from: i32,
        /// Last year.
        to: i32,
    },
    /// About this year (OFAC `circa`, UN `APPROXIMATELY`).
    Circa {
        /// Year.
        year: i32,
    },
}

impl BirthDate {
    /// Parses `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub fn parse_iso(s: &str) -> Option<BirthDate> {
        let s = s.trim();
        let mut parts = s.split('-');
        let year: i32 = parts.next()?.parse().ok()?;
        if !(1000..=2999).contains(&year) {
            return None;
        }
        let month = match parts.next() {
            None => return Some(BirthDate::Year { year }),
            Some(m) => m.parse::<u8>().ok().filter(|m| (1..=12).contains(m))?,
        };
        let day = match parts.next() {
            None => return Some(BirthDate::Month { year, month }),
            Some(d) => d.parse::<u8>().ok().filter(|d| (1..=31).contains(d))?,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(BirthDate::Exact { year, month, day })
    }

    /// The inclusive range of years this date covers.
    pub fn years(self) -> (i32, i32) {
        match self {
            BirthDate::Exact { year, .. }
            | BirthDate::Month { year, .. }
            | BirthDate::Year { year } => (year, year),
            BirthDate::Range { from, to } => (from.min(to), from.max(to)),
            BirthDate::Circa { year } => (year - 1, year + 1),
        }
    }
}

impl From<time::Date> for BirthDate {
    fn from(d: time::Date) -> Self {
        BirthDate::Exact { year: d.year(), month: u8::from(d.month()), day: d.day() }
    }
}

/// One listed subject.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The list.
    pub source: Source,
    /// The list's own identifier: OFAC `ent_num`, UN `REFERENCE_NUMBER`, UK
    /// `Unique ID`, EU `logicalId`, or `row<N>` for the derived EU CSV.
    pub id: String,
    /// The primary name as written in the list (OFAC `LAST, First` kept as is).
    pub primary_name: String,
    /// Every other name.
    pub aliases: Vec<Alias>,
    /// The kind of subject.
    pub entity_type: EntityType,
    /// Dates of birth (individuals).
    pub dates_of_birth: Vec<BirthDate>,
    /// Places of birth, as written.
    pub places_of_birth: Vec<String>,
    /// Nationalities or citizenships: ISO 3166 alpha-2 where derivable, else raw.
    pub nationalities: Vec<String>,
    /// Sanctions programmes or regimes.
    pub programmes: Vec<String>,
    /// Countries of addresses (ISO alpha-2 where derivable): weaker evidence
    /// than nationality, used only to support a match.
    pub address_countries: Vec<String>,
}

impl Entry {
    /// An entry with only a source, id, primary name and type.
    pub fn new(source: Source, id: impl Into<String>, primary_name: impl Into<String>) -> Self {
        Entry {
            source,
            id: id.into(),
            primary_name: primary_name.into(),
            aliases: Vec::new(),
            entity_type: EntityType::Unknown,
            dates_of_birth: Vec::new(),
            places_of_birth: Vec::new(),
            nationalities: Vec::new(),
            programmes: Vec::new(),
            address_countries: Vec::new(),
        }
    }

    /// The primary name followed by every alias.
    pub fn names(&self) -> impl Iterator<Item = (&str, AliasQuality)> {
        std::iter::once((self.primary_name.as_str(), AliasQuality::Strong))
            .chain(self.aliases.iter().map(|a| (a.name.as_str(), a.quality)))
    }

    /// `source:id`, the key reported for hits (`ofac:306`, `un:QDi.001`).
    pub fn key(&self) -> String {
        format!("{}:{}", self.source, self.id)
    }

    pub(crate) fn push_alias(&mut self, name: &str, quality: AliasQuality) {
        let name = name.trim();
        if name.is_empty()
            || name == self.primary_name
            || self.aliases.iter().any(|a| a.name == name)
        {
            return;
        }
        self.aliases.push(Alias { name: name.to_owned(), quality });
    }

    pub(crate) fn push_unique(list: &mut Vec<String>, value: &str) {
        let value = value.trim();
        if !value.is_empty() && !list.iter().any(|v| v == value) {
            list.push(value.to_owned());
        }
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("source", &self.source)
            .field("id", &self.id)
            .field("entity_type", &self.entity_type)
            .field("aliases", &self.aliases.len())
            .finish_non_exhaustive()
    }
}

/// One parsed list.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSnapshot {
    /// The list.
    pub source: Source,
    /// The publisher's version or generation date as written (`2026-02-27`),
    /// when the files carry one.
    pub version: Option<String>,
    /// The publication date (`YYYY-MM-DD`) when known.
    pub published: Option<String>,
    /// Where it was read from (file names, no directories).
    pub origin: String,
    /// The entries.
    pub entries: Vec<Entry>,
}

impl fmt::Debug for ListSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListSnapshot")
            .field("source", &self.source)
            .field("version", &self.version)
            .field("published", &self.published)
            .field("origin", &self.origin)
            .field("entries", &self.entries.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iso_dates() {
        assert_eq!(
            BirthDate::parse_iso("1970-02-03"),
            Some(BirthDate::Exact { year: 1970, month: 2, day: 3 })
        );
        assert_eq!(BirthDate::parse_iso("1970"), Some(BirthDate::Year { year: 1970 }));
        assert_eq!(BirthDate::parse_iso("1970-13-01"), None);
        assert_eq!(BirthDate::parse_iso("x"), None);
    }

    #[test]
    fn sources_serialise_snake_case() {
        assert_eq!(serde_json::to_string(&Source::OfacCons).ok().as_deref(), Some("\"ofac_cons\""));
        assert!(!Source::Eu.redistributable());
    }
}
