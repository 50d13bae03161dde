//! Screening: candidate retrieval from the index and the pairwise scorer.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Result, ScreeningError};
use crate::index::{self, Index, Token};
use crate::model::{AliasQuality, BirthDate, EntityType, Entry, Source};
use crate::normalize::{self, TokenKind};
use crate::sim;

mod group;
mod search;
pub use search::dob_agreement;

/// A screening request.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Query {
    /// The full name, in any order and script.
    pub name: String,
    /// Date of birth, if known (exact date, or year only).
    pub dob: Option<BirthDate>,
    /// Nationality or country of residence: ISO alpha-2 or a country name.
    pub country: Option<String>,
    /// The kind of subject, if known.
    pub entity_type: Option<EntityType>,
}

impl Query {
    /// A query by name only.
    pub fn name(name: impl Into<String>) -> Self {
        Query { name: name.into(), ..Query::default() }
    }

    /// Adds a date of birth.
    pub fn with_dob(mut self, dob: BirthDate) -> Self {
        self.dob = Some(dob);
        self
    }

    /// Adds a country.
    pub fn with_country(mut self, country: impl Into<String>) -> Self {
        self.country = Some(country.into());
        self
    }

    /// Adds an entity type.
    pub fn with_entity_type(mut self, t: EntityType) -> Self {
        self.entity_type = Some(t);
        self
    }
}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Query")
            .field("has_dob", &self.dob.is_some())
            .field("has_country", &self.country.is_some())
            .field("entity_type", &self.entity_type)
            .finish_non_exhaustive()
    }
}

/// Thresholds and limits. The defaults are calibrated by the `screening`
/// benchmark on generated variants of the shared lists (see the README).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Scores at or above this are reported and make the result at least
    /// `potential_match`.
    pub potential_match: f32,
    /// Scores at or above this make the result `match`.
    #[serde(rename = "match")]
    pub match_threshold: f32,
    /// At most this many matches are returned, best first.
    pub max_matches: usize,
    /// Names re-scored after retrieval.
    pub candidates: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { potential_match: 0.81, match_threshold: 0.92, max_matches: 10, candidates: 48 }
    }
}

/// The outcome of a screening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No match at or above `potential_match`.
    Clear,
    /// Needs review.
    PotentialMatch,
    /// A match at or above the `match` threshold.
    Match,
}

/// How the query's date of birth compares with the entry's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DobAgreement {
    /// Same full date.
    Exact,
    /// Same year (or the year falls in the listed range).
    Year,
    /// One year apart.
    WithinOneYear,
    /// More than a year apart from every listed date.
    Contradicts,
    /// The query or the entry has no date of birth.
    Unknown,
}

/// How the query's country compares with the entry's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountryAgreement {
    /// A listed nationality/citizenship.
    Agrees,
    /// Only an address country of the entry.
    Address,
    /// The entry lists nationalities and this is none of them.
    Contradicts,
    /// Not comparable.
    Unknown,
}

/// The parts of a match score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Components {
    /// Name similarity in 0–1: IDF-weighted token alignment coverage of both
    /// names, with the generic-token guard applied.
    pub token_similarity: f32,
    /// Weighted share of aligned tokens whose phonetic keys agree.
    pub phonetic_agreement: f32,
    /// Date of birth evidence.
    pub dob_agreement: DobAgreement,
    /// Country evidence.
    pub country_agreement: CountryAgreement,
    /// False when the query's entity type cannot be the entry's.
    pub entity_type_agrees: bool,
}

/// Another entry grouped under a [`Match`] as the same listed subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListedRef {
    /// The list.
    pub source: Source,
    /// The list's id of the entry.
    pub id: String,
    /// Its name (primary or alias) that scored best for this query, as listed.
    #[serde(default)]
    pub name: String,
    /// Its score for this query.
    pub score: f32,
    /// True when it is here because it is listed under the same full name as
    /// the match on another list (the same subject), not because it scored
    /// above the threshold on its own.
    #[serde(default)]
    pub linked: bool,
}

/// One listed subject that matched: the best-scoring entry, plus the entries
/// of other lists (or the same list) that carry the same matched name and no
/// contradicting date of birth or entity type, and every other list's entry
/// linked to it as the same subject (`also_listed`) — one alert for a
/// reviewer, not one per list, with each publisher's record.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// The list.
    pub source: Source,
    /// The list's id of the entry.
    pub id: String,
    /// The name (primary or alias) that matched, as listed.
    pub name: String,
    /// Quality of that name.
    pub matched_alias_quality: AliasQuality,
    /// The entry's type.
    pub entity_type: EntityType,
    /// Score in 0–1.
    pub score: f32,
    /// Its parts.
    pub components: Components,
    /// A readable account of the score.
    pub explanation: String,
    /// The same subject on other entries (cross-list duplicates), best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_listed: Vec<ListedRef>,
}

impl fmt::Debug for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Match")
            .field("source", &self.source)
            .field("id", &self.id)
            .field("score", &self.score)
            .finish_non_exhaustive()
    }
}

/// The result of [`Index::screen`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreeningResult {
    /// The outcome.
    pub status: Status,
    /// Matches at or above `potential_match`, best first.
    pub matches: Vec<Match>,
}

impl fmt::Debug for ScreeningResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScreeningResult")
            .field("status", &self.status)
            .field("matches", &self.matches.len())
            .finish()
    }
}

#[cfg(test)]
mod tests;
