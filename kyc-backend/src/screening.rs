//! Sanctions and watchlist screening: a name (with date of birth and
//! country when known) in, the listed entries it may be, with scores, out.
//!
//! The screener returns evidence — matches and their 0–1 scores, and the
//! full payload for the audit store; `kyc_core::decision::sanctions_status`
//! decides clear / potential match / match. Implementations live in
//! `kyc-server` (the embedded engine and the HTTP provider adapter).

use crate::ProviderError;
use async_trait::async_trait;
use kyc_core::api::v1::SanctionsMatch;
use std::fmt;

/// Who to screen. Names, dates and countries are personal data: never log them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ScreeningQuery {
    /// The full name.
    pub name: String,
    /// Date of birth, `YYYY-MM-DD` or `YYYY`.
    pub date_of_birth: Option<String>,
    /// Nationality: ISO 3166 alpha-2 or alpha-3, or a country name.
    pub country: Option<String>,
    /// The subject is a natural person (a KYC subject always is): listed
    /// companies, vessels and aircraft count against a match.
    pub individual: bool,
}

impl fmt::Debug for ScreeningQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScreeningQuery")
            .field("has_dob", &self.date_of_birth.is_some())
            .field("has_country", &self.country.is_some())
            .field("individual", &self.individual)
            .finish_non_exhaustive()
    }
}

/// What a screener found.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreeningEvidence {
    /// The screener, e.g. `embedded` or `comply_advantage`.
    pub provider: String,
    /// The version of the lists (or the provider's search reference).
    pub lists_version: String,
    /// Matches at or above the screener's reporting threshold, best first.
    pub matches: Vec<SanctionsMatch>,
    /// The full answer (components, explanations, provider payload), kept
    /// encrypted for audit, never logged.
    pub raw: serde_json::Value,
}

impl ScreeningEvidence {
    /// The best score, if anything matched.
    pub fn best_score(&self) -> Option<f32> {
        self.matches.iter().map(|m| m.score).reduce(f32::max)
    }
}

/// A screener. Contract:
/// * `screen` of an empty name is `Err(Rejected(..))`, not a clear result;
/// * matches are sorted best first, scores in 0–1;
/// * outages and timeouts are retryable errors, bad requests are `Rejected`.
#[async_trait]
pub trait Screener: Send + Sync + fmt::Debug + 'static {
    /// The screener's name (recorded with each result).
    fn name(&self) -> &str;
    /// The version of the lists a screening now would use.
    fn lists_version(&self) -> String;
    /// Screens one subject.
    async fn screen(&self, query: &ScreeningQuery) -> Result<ScreeningEvidence, ProviderError>;
}

/// A screener for states built without one: every call is `NotSupported`
/// (the screening job then records nothing).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoScreener;

#[async_trait]
impl Screener for NoScreener {
    fn name(&self) -> &str {
        "none"
    }
    fn lists_version(&self) -> String {
        String::new()
    }
    async fn screen(&self, _: &ScreeningQuery) -> Result<ScreeningEvidence, ProviderError> {
        Err(ProviderError::NotSupported)
    }
}
