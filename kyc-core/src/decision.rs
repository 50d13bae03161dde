//! The decision policy: evidence in, decision out. Pure and deterministic.
//!
//! Backends only produce evidence (a similarity score, OCR fields, screening
//! matches); this module alone turns evidence into approve, reject or review,
//! with reason codes an auditor can follow.

use serde::{Deserialize, Serialize};

/// The evidence collected for one verification so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// A document image is stored.
    pub document_uploaded: bool,
    /// Liveness result: `Some(true)` passed, `Some(false)` failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness_passed: Option<bool>,
    /// Average document-to-live face similarity, 0–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_similarity: Option<f32>,
    /// Whether the document's check digits all passed (`None`: no MRZ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_checks_passed: Option<bool>,
    /// Whether the document has expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_expired: Option<bool>,
    /// Expected document fields that could not be read.
    #[serde(default)]
    pub missing_fields: u32,
    /// Screening: best match score 0–1 (`Some(0.0)`: screened, nothing found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screening_score: Option<f32>,
}

/// Thresholds of the decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DecisionPolicy {
    /// Face similarity (0–100) needed to pass.
    pub face_match_threshold: f32,
    /// Face similarity below which the result is a clear reject, not a review.
    pub face_reject_below: f32,
    /// Screening score from which a match is assumed (reject).
    pub screening_match: f32,
    /// Screening score from which a human must review.
    pub screening_review: f32,
}

impl Default for DecisionPolicy {
    fn default() -> Self {
        Self {
            face_match_threshold: 85.0,
            face_reject_below: 60.0,
            // the embedded screening engine's calibration (kyc-screening README)
            screening_match: 0.92,
            screening_review: 0.81,
        }
    }
}

/// Why a decision came out as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// No document yet.
    DocumentMissing,
    /// Liveness not performed yet.
    LivenessMissing,
    /// Liveness failed.
    LivenessFailed,
    /// Face match not computed yet.
    FaceMatchMissing,
    /// Face similarity below the reject threshold.
    FaceMismatch,
    /// Face similarity between the reject and the match thresholds.
    FaceMatchLow,
    /// A check digit failed.
    DocumentChecksFailed,
    /// The document has expired.
    DocumentExpired,
    /// Fields could not be read.
    DocumentFieldsMissing,
    /// Not screened yet.
    ScreeningMissing,
    /// A likely sanctions match.
    SanctionsMatch,
    /// A possible sanctions match.
    SanctionsPotentialMatch,
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed.
    Approved,
    /// A check failed clearly.
    Rejected,
    /// A human must look.
    Review,
    /// Evidence is still missing.
    Pending,
}

/// A verdict with every reason that contributed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The outcome.
    pub verdict: Verdict,
    /// Why (empty for approvals).
    pub reasons: Vec<Reason>,
}

/// The sanctions outcome of a screening whose best match scored `best`
/// (`None`: no match at all).
pub fn sanctions_status(best: Option<f32>, p: &DecisionPolicy) -> crate::api::v1::SanctionsStatus {
    use crate::api::v1::SanctionsStatus;
    match best {
        Some(s) if s >= p.screening_match => SanctionsStatus::Match,
        Some(s) if s >= p.screening_review => SanctionsStatus::PotentialMatch,
        _ => SanctionsStatus::Clear,
    }
}

/// Decides. Rejection beats review, review beats pending, pending beats approval.
pub fn decide(e: &Evidence, p: &DecisionPolicy) -> Decision {
    let mut reject = vec![];
    let mut review = vec![];
    let mut pending = vec![];
    if !e.document_uploaded {
        pending.push(Reason::DocumentMissing);
    }
    match e.liveness_passed {
        None => pending.push(Reason::LivenessMissing),
        Some(false) => reject.push(Reason::LivenessFailed),
        Some(true) => {}
    }
    match e.face_similarity {
        None => pending.push(Reason::FaceMatchMissing),
        Some(s) if s < p.face_reject_below => reject.push(Reason::FaceMismatch),
        Some(s) if s < p.face_match_threshold => review.push(Reason::FaceMatchLow),
        Some(_) => {}
    }
    if e.document_checks_passed == Some(false) {
        reject.push(Reason::DocumentChecksFailed);
    }
    if e.document_expired == Some(true) {
        reject.push(Reason::DocumentExpired);
    }
    if e.missing_fields > 0 {
        review.push(Reason::DocumentFieldsMissing);
    }
    match e.screening_score {
        None => pending.push(Reason::ScreeningMissing),
        Some(s) if s >= p.screening_match => reject.push(Reason::SanctionsMatch),
        Some(s) if s >= p.screening_review => review.push(Reason::SanctionsPotentialMatch),
        Some(_) => {}
    }
    let (verdict, reasons) = if !reject.is_empty() {
        (Verdict::Rejected, reject)
    } else if !review.is_empty() {
        (Verdict::Review, review)
    } else if !pending.is_empty() {
        (Verdict::Pending, pending)
    } else {
        (Verdict::Approved, vec![])
    };
    Decision { verdict, reasons }
}

#[cfg(test)]
mod sanctions_tests {
    use super::*;
    use crate::api::v1::SanctionsStatus;

    #[test]
    fn sanctions_status_follows_the_thresholds() {
        let p = DecisionPolicy::default();
        assert_eq!(sanctions_status(None, &p), SanctionsStatus::Clear);
        assert_eq!(sanctions_status(Some(0.5), &p), SanctionsStatus::Clear);
        assert_eq!(sanctions_status(Some(p.screening_review), &p), SanctionsStatus::PotentialMatch);
        assert_eq!(sanctions_status(Some(0.9), &p), SanctionsStatus::PotentialMatch);
        assert_eq!(sanctions_status(Some(p.screening_match), &p), SanctionsStatus::Match);
        assert_eq!(sanctions_status(Some(1.0), &p), SanctionsStatus::Match);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> Evidence {
        Evidence {
            document_uploaded: true,
            liveness_passed: Some(true),
            face_similarity: Some(97.0),
            document_checks_passed: Some(true),
            document_expired: Some(false),
            missing_fields: 0,
            screening_score: Some(0.1),
        }
    }

    #[test]
    fn approves_complete_clean_evidence() {
        let d = decide(&complete(), &DecisionPolicy::default());
        assert_eq!(d, Decision { verdict: Verdict::Approved, reasons: vec![] });
    }

    #[test]
    fn pending_lists_what_is_missing() {
        let d = decide(
            &Evidence { document_uploaded: true, ..Default::default() },
            &DecisionPolicy::default(),
        );
        assert_eq!(d.verdict, Verdict::Pending);
        assert_eq!(
            d.reasons,
            vec![Reason::LivenessMissing, Reason::FaceMatchMissing, Reason::ScreeningMissing]
        );
    }

    #[test]
    fn threshold_85_is_inclusive() {
        let p = DecisionPolicy::default();
        let at = Evidence { face_similarity: Some(85.0), ..complete() };
        assert_eq!(decide(&at, &p).verdict, Verdict::Approved);
        let below = Evidence { face_similarity: Some(84.9), ..complete() };
        assert_eq!(decide(&below, &p).reasons, vec![Reason::FaceMatchLow]);
        let far = Evidence { face_similarity: Some(20.0), ..complete() };
        assert_eq!(decide(&far, &p).reasons, vec![Reason::FaceMismatch]);
    }

    #[test]
    fn rejection_beats_review() {
        let e =
            Evidence { liveness_passed: Some(false), screening_score: Some(0.85), ..complete() };
        let d = decide(&e, &DecisionPolicy::default());
        assert_eq!(d.verdict, Verdict::Rejected);
        assert_eq!(d.reasons, vec![Reason::LivenessFailed]);
        let e = Evidence { screening_score: Some(0.85), ..complete() };
        assert_eq!(
            decide(&e, &DecisionPolicy::default()).reasons,
            vec![Reason::SanctionsPotentialMatch]
        );
    }
}
