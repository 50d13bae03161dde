//! `GET /verify`: the attempt's verdict, running the face match when the
//! gestures are done.

use super::attempts_left;
use super::evaluation::{finish_failed, observations};
use super::face_match::run_face_match;
use crate::service::{audit, verifications::get_live};
use crate::{
    AppState,
    auth::ClientClaims,
    backend::{SessionStatus, StoreError},
    error::ApiError,
};
use kyc_core::{
    ErrorCode,
    api::v1::{LivenessStatus, Step, StepStatus, VerifyResponse},
    challenge::{Outcome, evaluate},
};

/// `GET /verify`: judges the gestures and, if they passed, the face.
pub async fn verify(state: &AppState, claims: &ClientClaims) -> Result<VerifyResponse, ApiError> {
    let id = claims.verification_id;
    tracing::Span::current().record("verification_id", id.to_string());
    let v = get_live(state, &id).await?;
    let store = state.backends.liveness.clone();
    let session =
        state.retry_policy().run(|| store.latest_session(&id)).await?.ok_or_else(|| {
            ApiError::new(ErrorCode::LivenessNotStarted, "call POST /start-liveness first")
        })?;
    let now = state.clock.now();
    let status = match session.status {
        SessionStatus::Finished => v.liveness.as_ref().map_or(LivenessStatus::Failed, |l| l.status),
        SessionStatus::Processing => run_face_match(state, &session).await?,
        SessionStatus::Active => {
            if v.document.is_none() {
                return Err(ApiError::new(
                    ErrorCode::DocumentMissing,
                    "upload the document before verifying",
                ));
            }
            let eval = evaluate(&session.challenge, &observations(&session), now)
                .map_err(ApiError::internal)?;
            match eval.outcome {
                None if now <= session.challenge.deadline => {
                    return Err(ApiError::new(
                        ErrorCode::LivenessIncomplete,
                        "not every gesture has been performed yet",
                    ));
                }
                Some(Outcome::Passed { .. }) => {
                    let mut processing = session.clone();
                    processing.status = SessionStatus::Processing;
                    let processing = match state
                        .retry_policy()
                        .run(|| store.update_session(&processing))
                        .await
                    {
                        Ok(s) => s,
                        // a concurrent /verify got there first
                        Err(StoreError::Conflict) => store.get_session(&session.id).await?,
                        Err(e) => return Err(e.into()),
                    };
                    let detail = serde_json::json!({"frames": processing.frames.len()});
                    audit(
                        state,
                        Some(id),
                        Step::Liveness,
                        StepStatus::Succeeded,
                        None,
                        "system",
                        detail,
                    )
                    .await?;
                    run_face_match(state, &processing).await?
                }
                _ => finish_failed(state, &v, session, now).await?,
            }
        }
    };
    let v = get_live(state, &id).await?;
    Ok(VerifyResponse { status, attempts_left: attempts_left(state, &v) })
}
