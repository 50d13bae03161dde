//! The session's frames as `kyc_core::challenge` observations, the
//! per-gesture evidence, and a failed attempt recorded.

use crate::service::{audit, verifications::update_verification};
use crate::{
    AppState,
    backend::{LivenessSession, SessionStatus, Verification},
    error::ApiError,
};
use kyc_core::{
    Timestamp,
    api::v1::{
        FaceMatchEvidence, FrameSample, GestureEvidence, LivenessEvidence, LivenessStatus, Step,
        StepStatus, VerificationStatus,
    },
    challenge::{Evaluation, Observation, Outcome, evaluate},
};

pub(super) fn observations(s: &LivenessSession) -> Vec<Observation> {
    s.frames.iter().map(|f| f.observation).collect()
}

pub(super) fn gesture_evidence(
    session: &LivenessSession,
    eval: &Evaluation,
) -> Vec<GestureEvidence> {
    eval.steps
        .iter()
        .map(|s| {
            let end = s.completed_at.unwrap_or(Timestamp::from_unix_millis(i64::MAX));
            let frames = match s.started_at {
                Some(start) => session
                    .frames
                    .iter()
                    .filter(|f| f.observation.at >= start && f.observation.at <= end)
                    .take(90)
                    .map(|f| FrameSample {
                        frame_id: f.frame_id.to_string(),
                        at: f.observation.at,
                        face_present: f.observation.face_present,
                        yaw_deg: f.observation.yaw_deg,
                        pitch_deg: f.observation.pitch_deg,
                        left_eye_open: f.observation.left_eye_open,
                        right_eye_open: f.observation.right_eye_open,
                    })
                    .collect(),
                None => Vec::new(),
            };
            GestureEvidence {
                gesture: s.gesture,
                state: s.state,
                started_at: s.started_at,
                completed_at: s.completed_at,
                peak: s.peak,
                threshold: s.threshold,
                frames,
            }
        })
        .collect()
}

/// Records a failed liveness attempt; locks the verification after too many.
pub(super) async fn finish_failed(
    state: &AppState,
    v: &Verification,
    session: LivenessSession,
    now: Timestamp,
) -> Result<LivenessStatus, ApiError> {
    finish_failed_because(state, v, session, now, None, None).await
}

/// Records a failed attempt for `reason` (default: the gestures' own
/// reason), with the face evidence that found it.
pub(super) async fn finish_failed_because(
    state: &AppState,
    v: &Verification,
    mut session: LivenessSession,
    now: Timestamp,
    reason: Option<&str>,
    face_match: Option<FaceMatchEvidence>,
) -> Result<LivenessStatus, ApiError> {
    let eval =
        evaluate(&session.challenge, &observations(&session), now).map_err(ApiError::internal)?;
    let reason = match (reason, eval.final_outcome()) {
        (Some(r), _) => r.to_owned(),
        (None, Outcome::Failed { reason }) => reason.code().to_owned(),
        (None, Outcome::Passed { .. }) => "incomplete".to_owned(),
    };
    let max = state.config.liveness.max_failed_attempts;
    let gestures = gesture_evidence(&session, &eval);
    let saved = update_verification(state, &v.id, |v| {
        v.failed_liveness_attempts += 1;
        let locked_now = v.failed_liveness_attempts >= max;
        if locked_now {
            v.status = VerificationStatus::Review;
        }
        v.liveness = Some(LivenessEvidence {
            status: if locked_now { LivenessStatus::Review } else { LivenessStatus::Failed },
            reasons: if locked_now {
                vec![reason.clone(), "too_many_attempts".into()]
            } else {
                vec![reason.clone()]
            },
            evaluated_at: now,
            failed_attempts: v.failed_liveness_attempts,
            gestures: gestures.clone(),
            face_match: face_match.clone(),
        });
    })
    .await?;
    session.status = SessionStatus::Finished;
    let store = state.backends.liveness.clone();
    state.retry_policy().run(|| store.update_session(&session)).await?;
    state.metrics.liveness_fails(&reason);
    let status = saved.liveness.as_ref().map_or(LivenessStatus::Failed, |l| l.status);
    let identity = face_match.as_ref().and_then(|f| f.identity.as_ref());
    let detail = serde_json::json!({"reason": reason, "failedAttempts": saved.failed_liveness_attempts, "locked": status == LivenessStatus::Review, "identity": identity});
    audit(state, Some(v.id), Step::Liveness, StepStatus::Failed, None, "system", detail).await?;
    tracing::info!(verification_id = %v.id, step = "liveness", status = "failed", error_code = reason.as_str(), "liveness failed");
    Ok(status)
}
