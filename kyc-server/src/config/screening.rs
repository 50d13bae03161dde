//! `[screening]`: the screener, its thresholds and the list sources.

use serde::{Deserialize, Serialize};

/// Which screener screens verifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreenerKind {
    /// The embedded engine over the official lists (default).
    #[default]
    Embedded,
    /// A third-party screening API (`[screening.http]`, feature `http-client`).
    Http,
}

/// One list file `kyc lists update` downloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSourceConfig {
    /// The publisher's URL (https).
    pub url: String,
    /// Where it goes in the import directory, e.g. `ofac_sdn/sdn.csv`
    /// (OFAC files are recognised by these official names).
    pub file: String,
}

pub(super) fn official(url: &str, file: &str) -> ListSourceConfig {
    ListSourceConfig { url: url.to_owned(), file: file.to_owned() }
}

/// `[screening]`: sanctions and watchlist screening.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScreeningConfig {
    /// `embedded` (default) or `http`.
    pub provider: ScreenerKind,
    /// Score (0–1) from which a match needs review.
    pub review_threshold: f32,
    /// Score (0–1) from which a match is assumed.
    pub match_threshold: f32,
    /// At most this many matches per result.
    pub max_matches: usize,
    /// The files `kyc lists update` downloads (default: the publishers'
    /// official URLs of OFAC SDN and consolidated, UN and UK; the EU file
    /// needs a token, add it here).
    pub sources: Vec<ListSourceConfig>,
    /// Largest list file accepted by `kyc lists update`, in bytes.
    pub max_download_bytes: u64,
    /// Allow `http://` to loopback for list downloads and the screening
    /// provider (tests only; never in production).
    pub danger_allow_plain_http_loopback: bool,
    /// The screening provider (`provider = "http"`).
    #[cfg(feature = "http-client")]
    pub http: crate::backend::screening::http::HttpScreenerConfig,
}

impl Default for ScreeningConfig {
    fn default() -> Self {
        const OFAC: &str =
            "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports";
        Self {
            provider: ScreenerKind::Embedded,
            review_threshold: 0.81,
            match_threshold: 0.92,
            max_matches: 10,
            sources: vec![
                official(&format!("{OFAC}/SDN.CSV"), "ofac_sdn/sdn.csv"),
                official(&format!("{OFAC}/ADD.CSV"), "ofac_sdn/add.csv"),
                official(&format!("{OFAC}/ALT.CSV"), "ofac_sdn/alt.csv"),
                official(&format!("{OFAC}/CONS_PRIM.CSV"), "ofac_cons/cons_prim.csv"),
                official(&format!("{OFAC}/CONS_ADD.CSV"), "ofac_cons/cons_add.csv"),
                official(&format!("{OFAC}/CONS_ALT.CSV"), "ofac_cons/cons_alt.csv"),
                official(
                    "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
                    "un/consolidated.xml",
                ),
                official(
                    "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml",
                    "uk/UK-Sanctions-List.xml",
                ),
            ],
            max_download_bytes: 256 * 1024 * 1024,
            danger_allow_plain_http_loopback: false,
            #[cfg(feature = "http-client")]
            http: Default::default(),
        }
    }
}

impl ScreeningConfig {
    /// The decision thresholds (kyc-core decides the sanctions status).
    pub fn decision_policy(&self) -> kyc_core::decision::DecisionPolicy {
        kyc_core::decision::DecisionPolicy {
            screening_review: self.review_threshold,
            screening_match: self.match_threshold,
            ..Default::default()
        }
    }

    /// The embedded engine's policy: it reports what the decision reviews.
    pub fn engine_policy(&self) -> kyc_screening::Policy {
        kyc_screening::Policy {
            potential_match: self.review_threshold,
            match_threshold: self.match_threshold,
            max_matches: self.max_matches,
            ..Default::default()
        }
    }
}
