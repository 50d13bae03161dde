//! Liveness orchestration: `start-liveness → submit-frame… → verify`.
//!
//! The server keeps the expected gestures (`kyc_core::challenge::PendingChallenge`) and every
//! frame's observation; `kyc-core` judges the gestures, the face engine
//! measures, and the face-match step compares the document with frontal live
//! frames spread over the session. Evidence (per-gesture frames and curves,
//! similarities, thresholds) is stored on the verification for reviewers;
//! clients only ever see a coarse status.
//!
//! Abuse limits: one session at a time, a deadline (3 minutes by default), a
//! frame cap, monotonic frame timestamps, frames bound to the session's nonce
//! and never reused across sessions, and at most `max_failed_attempts`
//! failed attempts before the verification is locked for review.

mod evaluation;
mod face_match;
mod frames;
mod session;
mod verify;

pub use face_match::{FaceMatchError, complete_face_match};
pub use frames::{FrameInput, submit_frame};
pub use session::start;
pub use verify::verify;

use crate::{
    AppState,
    backend::{Verification, face::ProviderError},
    error::ApiError,
};
use kyc_core::{ErrorCode, api::v1::VerificationStatus, image::UploadPolicy};

/// The job kind that finishes a face match when the engine was unavailable.
pub const FACE_MATCH_JOB: &str = "face_match";

/// Limits for one camera frame.
pub const FRAME_POLICY: UploadPolicy = UploadPolicy {
    max_bytes: 2 * 1024 * 1024,
    min_long_side: 160,
    min_short_side: 120,
    max_side: 4096,
    max_pixels: 16_000_000,
};

/// How far in the future a client's capture time may be (clock skew).
pub(super) const MAX_CLOCK_SKEW_MS: i64 = 2_000;

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn engine_error(state: &AppState, e: ProviderError) -> ApiError {
    match e {
        ProviderError::Rejected(why) => ApiError::new(ErrorCode::MalformedImage, why),
        other => {
            let retry = state.face_breaker.retry_after().map_or(5, |d| d.as_secs().max(1));
            ApiError::new(
                ErrorCode::FaceEngineUnavailable,
                "the face engine is unavailable; retry later",
            )
            .with_retry_after(retry)
            .with_source(other)
        }
    }
}

pub(super) fn attempts_left(state: &AppState, v: &Verification) -> u32 {
    state.config.liveness.max_failed_attempts.saturating_sub(v.failed_liveness_attempts)
}

pub(super) fn is_final(v: &Verification) -> bool {
    matches!(
        v.status,
        VerificationStatus::LivenessPassed
            | VerificationStatus::Review
            | VerificationStatus::Rejected
    )
}

pub(super) fn locked(state: &AppState, v: &Verification) -> Result<(), ApiError> {
    if v.failed_liveness_attempts >= state.config.liveness.max_failed_attempts {
        return Err(ApiError::new(
            ErrorCode::LivenessLocked,
            "too many failed attempts; the verification is under review",
        ));
    }
    Ok(())
}
