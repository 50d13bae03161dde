//! `POST /start-liveness`: the session and its challenge.

use super::evaluation::finish_failed;
use super::{attempts_left, hex, is_final, locked};
use crate::service::{audit, verifications::get_live};
use crate::{
    AppState,
    auth::ClientClaims,
    backend::{LivenessSession, SessionStatus},
    error::ApiError,
};
use kyc_core::{
    ErrorCode, VerificationId,
    api::v1::{StartLivenessResponse, Step, StepStatus},
    challenge::{PendingChallenge, issue},
};

/// `POST /start-liveness`: issues a challenge, or returns the one still running.
pub async fn start(
    state: &AppState,
    claims: &ClientClaims,
) -> Result<StartLivenessResponse, ApiError> {
    let id = claims.verification_id;
    tracing::Span::current().record("verification_id", id.to_string());
    let v = get_live(state, &id).await?;
    locked(state, &v)?;
    if is_final(&v) {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "liveness was already evaluated for this verification",
        ));
    }
    let now = state.clock.now();
    let store = state.backends.liveness.clone();
    if let Some(s) = state.retry_policy().run(|| store.latest_session(&id)).await? {
        match s.status {
            SessionStatus::Active if now <= s.challenge.deadline => {
                return Ok(StartLivenessResponse {
                    challenge: s.challenge.prompt(),
                    max_frames: state.config.liveness.max_frames_per_session,
                    attempts_left: attempts_left(state, &v),
                });
            }
            // an abandoned session counts as a failed (expired) attempt
            SessionStatus::Active => {
                finish_failed(state, &v, s, now).await?;
                let v = get_live(state, &id).await?;
                locked(state, &v)?;
            }
            SessionStatus::Processing => {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    "the previous attempt is being evaluated; call GET /verify",
                ));
            }
            SessionStatus::Finished => {}
        }
    }
    let policy = &state.config.liveness.challenge;
    // the thread RNG is not Send: use it before the next await
    let (issued, session_id) = {
        let mut rng = rand::rng();
        let issued = match &state.fixed_challenge {
            Some(seq) => PendingChallenge::fixed_for_tests(seq.clone(), policy, now, &mut rng),
            None => issue(policy, now, &mut rng),
        };
        (issued, hex(&VerificationId::generate(&mut rng).as_uuid().into_bytes()))
    };
    let (prompt, pending) = issued.map_err(ApiError::internal)?;
    let session = LivenessSession {
        id: session_id,
        verification_id: id,
        version: 1,
        challenge: pending,
        created_at: now,
        status: SessionStatus::Active,
        frames: Vec::new(),
    };
    state.retry_policy().run(|| store.create_session(&session)).await?;
    let v = get_live(state, &id).await?;
    let detail = serde_json::json!({"steps": prompt.step_count, "deadline": prompt.deadline});
    audit(
        state,
        Some(id),
        Step::Liveness,
        StepStatus::Created,
        None,
        &format!("client:{}", claims.owner_key_id),
        detail,
    )
    .await?;
    Ok(StartLivenessResponse {
        challenge: prompt,
        max_frames: state.config.liveness.max_frames_per_session,
        attempts_left: attempts_left(state, &v),
    })
}
