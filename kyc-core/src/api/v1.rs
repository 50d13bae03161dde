//! Version 1 of the HTTP API's request and response bodies (`serde`, camelCase).
//!
//! These types are the contract: the server produces them, the widget and
//! integrators consume them. Each one is snapshot-tested so an accidental wire
//! change fails a test.

use crate::{
    ErrorCode, Timestamp, VerificationId,
    challenge::{ChallengePrompt, Gesture, Progress, StepState},
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Limits on caller-supplied data attached to a verification.
pub mod limits {
    /// Longest `externalRef`, in bytes.
    pub const EXTERNAL_REF_MAX: usize = 256;
    /// Most metadata entries.
    pub const METADATA_MAX_ENTRIES: usize = 20;
    /// Longest metadata key, in bytes.
    pub const METADATA_KEY_MAX: usize = 64;
    /// Longest metadata value, in bytes.
    pub const METADATA_VALUE_MAX: usize = 512;
}

/// Where a verification is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VerificationStatus {
    /// Created; waiting for the document.
    Created,
    /// The document image is stored.
    DocumentUploaded,
    /// The liveness challenge passed and the live face matches the document.
    LivenessPassed,
    /// A person must review it (uncertain face match, or too many failed attempts).
    Review,
    /// The live face clearly does not match the document.
    Rejected,
}

/// A pipeline step, as shown in the timeline and in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Step {
    /// Creation, reads and erasure of the verification itself.
    Verification,
    /// The document upload.
    Upload,
    /// Retention: expiry and erasure.
    Retention,
    /// The liveness challenge.
    Liveness,
    /// Document face against live face.
    FaceMatch,
    /// Reading the document's fields (OCR).
    DocumentRead,
    /// Sanctions and watchlist screening.
    Screening,
}

impl Step {
    /// The step as its stable `snake_case` string (for logs).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Verification => "verification",
            Self::Upload => "upload",
            Self::Retention => "retention",
            Self::Liveness => "liveness",
            Self::DocumentRead => "document_read",
            Self::Screening => "screening",
            Self::FaceMatch => "face_match",
        }
    }
}

/// What happened at a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StepStatus {
    /// The step started or the resource was created.
    Created,
    /// The step finished successfully.
    Succeeded,
    /// The step failed; the entry's `code` says why.
    Failed,
    /// The verification's data was erased.
    Erased,
}

impl StepStatus {
    /// The status as its stable `snake_case` string (for logs).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Erased => "erased",
        }
    }
}

/// `POST /v1/verifications` body. `{}` is valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateVerificationRequest {
    /// The integrator's own reference (e.g. a customer id). Not PII by contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_ref: Option<String>,
    /// Free-form string metadata, returned as given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// A request field broke a documented limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    /// Which field (JSON name).
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl CreateVerificationRequest {
    /// Checks the documented [`limits`].
    pub fn validate(&self) -> Result<(), FieldError> {
        if let Some(r) = &self.external_ref {
            if r.is_empty() || r.len() > limits::EXTERNAL_REF_MAX {
                return Err(FieldError { field: "externalRef", problem: "must be 1..=256 bytes" });
            }
            if r.chars().any(char::is_control) {
                return Err(FieldError {
                    field: "externalRef",
                    problem: "must not contain control characters",
                });
            }
        }
        if self.metadata.len() > limits::METADATA_MAX_ENTRIES {
            return Err(FieldError { field: "metadata", problem: "at most 20 entries" });
        }
        for (k, v) in &self.metadata {
            if k.is_empty() || k.len() > limits::METADATA_KEY_MAX {
                return Err(FieldError { field: "metadata", problem: "keys must be 1..=64 bytes" });
            }
            if v.len() > limits::METADATA_VALUE_MAX {
                return Err(FieldError {
                    field: "metadata",
                    problem: "values must be at most 512 bytes",
                });
            }
        }
        Ok(())
    }
}

/// `POST /v1/verifications` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVerificationResponse {
    /// The new verification.
    pub verification_id: VerificationId,
    /// Bearer token for the widget, scoped to this verification only.
    pub client_token: String,
    /// When the client token stops working.
    pub client_token_expires_at: Timestamp,
    /// When the verification and all its data are erased (retention).
    pub expires_at: Timestamp,
}

/// `POST /v1/verifications/{id}/client-token` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientTokenResponse {
    /// The verification.
    pub verification_id: VerificationId,
    /// A new client token for it.
    pub client_token: String,
    /// When it expires.
    pub client_token_expires_at: Timestamp,
}

/// `POST /upload-id` (and `POST /v1/verifications/{id}/document`) response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadResponse {
    /// The verification the document belongs to.
    pub verification_id: VerificationId,
    /// When the stored document (and the verification) expire.
    pub expiration: Timestamp,
    /// Present when the upload created the verification (publishable-key mode):
    /// the client token for the rest of the flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    /// When `clientToken` expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token_expires_at: Option<Timestamp>,
}

/// A stored document image, described without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentSummary {
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Width in pixels (after orientation was applied).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Stored size in bytes (after metadata removal).
    pub size_bytes: u64,
    /// Hex SHA-256 of the bytes as uploaded (used for idempotent retries).
    pub sha256: String,
    /// When it was stored.
    pub uploaded_at: Timestamp,
}

/// One entry of a verification's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    /// When it happened.
    pub at: Timestamp,
    /// Which step.
    pub step: Step,
    /// What happened.
    pub status: StepStatus,
    /// Why it failed, for failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
}

/// `GET /v1/verifications/{id}` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationView {
    /// The verification.
    pub verification_id: VerificationId,
    /// Current status.
    pub status: VerificationStatus,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it and its data expire.
    pub expires_at: Timestamp,
    /// The integrator's reference, as given at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_ref: Option<String>,
    /// The integrator's metadata, as given at creation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// The stored document, once uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<DocumentSummary>,
    /// The liveness result with its evidence, once evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness: Option<LivenessEvidence>,
    /// The fields read from the document, once read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_data: Option<crate::document::fields::DocumentFields>,
    /// The sanctions screening of the name and date of birth read, once screened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screening: Option<ScreeningSummary>,
    /// A person should look at this verification (e.g. document fields missing).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub needs_review: bool,
    /// What happened so far, oldest first.
    pub timeline: Vec<TimelineEntry>,
}

/// The outcome of sanctions screening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SanctionsStatus {
    /// Nothing at or above the review threshold.
    Clear,
    /// A person must review the matches.
    PotentialMatch,
    /// A match above the match threshold.
    Match,
}

impl SanctionsStatus {
    /// The status as its stable `snake_case` string (for logs and metrics).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Clear => "clear",
            Self::PotentialMatch => "potential_match",
            Self::Match => "match",
        }
    }
}

/// One listed entry a screening matched (public list data, not the subject's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SanctionsMatch {
    /// The list: `ofac`, `ofac_cons`, `un`, `eu`, `uk`, or a provider's source name.
    pub source: String,
    /// The list's own identifier of the entry.
    pub id: String,
    /// The listed name (primary or alias) that matched.
    pub name: String,
    /// Score in 0–1.
    pub score: f32,
    /// A readable account of the score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// The same subject's entries on other lists (OFAC, UN, UK, EU side by
    /// side), best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_listed: Vec<SanctionsListing>,
}

/// Another list's entry for the subject of a [`SanctionsMatch`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SanctionsListing {
    /// The list.
    pub source: String,
    /// The list's own identifier of the entry.
    pub id: String,
    /// Its listed name that scored best for the subject.
    pub name: String,
    /// Its own score in 0–1.
    pub score: f32,
    /// True when it is listed under the same full name as the match (so the
    /// same subject) rather than scoring above the threshold on its own.
    #[serde(default)]
    pub linked: bool,
}

/// The latest screening of a verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScreeningSummary {
    /// The outcome, decided by the decision policy from the match scores.
    pub sanctions_status: SanctionsStatus,
    /// The matches at or above the review threshold, best first.
    pub matches: Vec<SanctionsMatch>,
    /// When it was screened.
    pub screened_at: Timestamp,
    /// Which screener (`embedded` or a provider's name).
    pub provider: String,
    /// The version of the lists screened against.
    pub lists_version: String,
}

/// The coarse liveness status a client sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LivenessStatus {
    /// Gestures performed and the live face matches the document.
    Passed,
    /// This attempt failed; another may be started if attempts are left.
    Failed,
    /// A person will review it.
    Review,
}

impl LivenessStatus {
    /// Every status.
    pub const ALL: [LivenessStatus; 3] = [Self::Passed, Self::Failed, Self::Review];

    /// The status's wire name (`passed`, `failed`, `review`), as serde writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Review => "review",
        }
    }

    /// The status with this wire name (for clients that read the JSON
    /// without serde).
    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// `POST /start-liveness` response: what to show the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartLivenessResponse {
    /// Nonce, deadline, number of gestures and the first one.
    pub challenge: ChallengePrompt,
    /// Frames this session accepts.
    pub max_frames: u32,
    /// Failed attempts left for this verification (including this one).
    pub attempts_left: u32,
}

/// `POST /submit-frame` JSON body (multipart: the same fields, `image` as a file).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmitFrameRequest {
    /// Client-chosen id, unique within the session (1–64 of `A–Z a–z 0–9 _ -`).
    pub frame_id: String,
    /// The challenge nonce from `POST /start-liveness`.
    pub nonce: String,
    /// The JPEG or PNG frame, base64.
    pub image: String,
    /// When the frame was captured (defaults to the time it was received).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<Timestamp>,
}

impl std::fmt::Debug for SubmitFrameRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubmitFrameRequest")
            .field("frame_id", &self.frame_id)
            .field("image_len", &self.image.len())
            .finish_non_exhaustive()
    }
}

/// Something to fix in the user's framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameIssue {
    /// No face in the frame.
    NoFace,
    /// More than one face.
    MultipleFaces,
    /// The face is too small: come closer.
    TooFar,
    /// The face fills the frame: move back.
    TooClose,
    /// Too dark.
    TooDark,
    /// Too bright.
    TooBright,
    /// Blurred (movement or focus).
    Blurry,
    /// The face is not centred.
    OffCenter,
}

impl FrameIssue {
    /// Every issue.
    pub const ALL: [FrameIssue; 8] = [
        Self::NoFace,
        Self::MultipleFaces,
        Self::TooFar,
        Self::TooClose,
        Self::TooDark,
        Self::TooBright,
        Self::Blurry,
        Self::OffCenter,
    ];

    /// The issue's wire name (`no_face`, `too_dark`, …), as serde writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NoFace => "no_face",
            Self::MultipleFaces => "multiple_faces",
            Self::TooFar => "too_far",
            Self::TooClose => "too_close",
            Self::TooDark => "too_dark",
            Self::TooBright => "too_bright",
            Self::Blurry => "blurry",
            Self::OffCenter => "off_center",
        }
    }

    /// The issue with this wire name (for clients that read the JSON
    /// without serde).
    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.as_str() == name)
    }
}

/// `POST /submit-frame` response: per-frame feedback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameFeedback {
    /// The frame this answers.
    pub frame_id: String,
    /// Exactly one usable face was found.
    pub face_found: bool,
    /// Faces found.
    pub faces: u32,
    /// What to fix, if anything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<FrameIssue>,
    /// Gestures done, the one to do now, and a hint.
    pub progress: Progress,
    /// When the challenge ends.
    pub deadline: Timestamp,
}

/// `GET /verify` response: a coarse status, no scores, no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResponse {
    /// The outcome.
    pub status: LivenessStatus,
    /// Failed attempts still allowed (0 when locked).
    pub attempts_left: u32,
}

/// One frame's measurements, as kept for reviewers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameSample {
    /// The frame.
    pub frame_id: String,
    /// When it was captured.
    pub at: Timestamp,
    /// Whether one usable face was found.
    pub face_present: bool,
    /// Yaw, degrees (positive: the person's own left).
    pub yaw_deg: f32,
    /// Pitch, degrees (positive: up).
    pub pitch_deg: f32,
    /// Left eye openness 0–1.
    pub left_eye_open: f32,
    /// Right eye openness 0–1.
    pub right_eye_open: f32,
}

/// Why one gesture passed or failed: its frames, curve and threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GestureEvidence {
    /// The gesture asked for.
    pub gesture: Gesture,
    /// Whether it was done.
    pub state: StepState,
    /// When the step became active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    /// When it was recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    /// Peak measure (degrees for turns; eye openness relative to the baseline for blinks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak: Option<f32>,
    /// The threshold the peak was compared with.
    pub threshold: f32,
    /// The frames while the step was active: the observed yaw and eye-openness curve.
    pub frames: Vec<FrameSample>,
}

/// The face comparison behind a liveness result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceMatchEvidence {
    /// The engine and model (e.g. `local-onnx/dlib-resnet-v1`).
    pub engine: String,
    /// Similarity needed to pass (0–100).
    pub threshold: f32,
    /// Average document-to-live similarity (0–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average: Option<f32>,
    /// Per live frame: its similarity with the document.
    pub document_similarities: Vec<(String, f32)>,
    /// Lowest similarity between the live frames (one face throughout?).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_face_min: Option<f32>,
    /// How one face was followed through the whole session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityEvidence>,
    /// Whether the turned frames showed a face with depth (not a plane).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<crate::challenge::DepthEvidence>,
    /// Whether consecutive frames showed natural motion (not a still re-sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motion: Option<crate::challenge::MotionEvidence>,
}

/// One face through the whole session: every face-present frame (gesture
/// frames included) compared with a reference frame, and the tracked face's
/// movement between consecutive frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityEvidence {
    /// The frontal frame the others were compared with.
    pub reference_frame: String,
    /// Frames compared with it.
    pub frames_compared: u32,
    /// Lowest similarity (0–100) with the reference, and its frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lowest: Option<(String, f32)>,
    /// Similarity every frame must reach.
    pub threshold: f32,
    /// Largest travel of the face between consecutive frames, in face widths.
    pub max_shift: f32,
    /// Largest size ratio of the face between consecutive frames.
    pub max_scale: f32,
    /// The frame where the tracked face jumped (a new face), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jump_frame: Option<String>,
}

/// The liveness result with everything a reviewer needs (secret-key view).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LivenessEvidence {
    /// The outcome of the last evaluated attempt.
    pub status: LivenessStatus,
    /// Stable reason codes (`wrong_gesture`, `expired`, `face_mismatch`, …).
    pub reasons: Vec<String>,
    /// When it was evaluated.
    pub evaluated_at: Timestamp,
    /// Failed attempts so far.
    pub failed_attempts: u32,
    /// Per gesture: frames, curve, threshold.
    pub gestures: Vec<GestureEvidence>,
    /// The face comparison, when liveness got that far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_match: Option<FaceMatchEvidence>,
}

/// Every error response body: `{"code": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation; never contains PII or internal details.
    pub message: String,
}

/// The two kinds of API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// `kyc_sk_…`: server to server; full access.
    Secret,
    /// `kyc_pk_…`: browser-safe; may only call `POST /upload-id` from allowed origins.
    Publishable,
}

impl KeyKind {
    /// The key prefix, e.g. `kyc_sk_`.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Secret => "kyc_sk_",
            Self::Publishable => "kyc_pk_",
        }
    }

    /// The kind as its stable string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Secret => "secret",
            Self::Publishable => "publishable",
        }
    }
}

/// What a secret key may reach beyond its own account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyRole {
    /// The integrator's key: only its own account's verifications.
    #[default]
    Integrator,
    /// An operator's key (secret keys only): every account's verifications.
    Admin,
}

impl KeyRole {
    /// The role as its stable string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Integrator => "integrator",
            Self::Admin => "admin",
        }
    }
}

/// The account every key belongs to unless it is given another.
pub const DEFAULT_ACCOUNT: &str = "default";

/// Whether `s` can name an account: 1–64 of `a-z`, `0-9`, `-`, `_`.
pub fn is_valid_account(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Output of `kyc keys create --json`. The `key` is shown once and never stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKey {
    /// Public key id (safe to log).
    pub id: String,
    /// The full key; shown once.
    pub key: String,
    /// Secret or publishable.
    pub kind: KeyKind,
    /// The account (tenant) whose verifications the key acts on.
    pub account: String,
    /// Integrator or admin.
    pub role: KeyRole,
    /// Allowed browser origins (publishable keys).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<String>,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("account", &self.account)
            .field("role", &self.role)
            .field("origins", &self.origins)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
