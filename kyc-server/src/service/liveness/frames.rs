//! `POST /submit-frame`: one camera frame checked, analysed by the face
//! engine, stored and judged against the challenge so far.

use super::evaluation::observations;
use super::{FRAME_POLICY, MAX_CLOCK_SKEW_MS, engine_error, hex, locked};
use crate::service::verifications::get_live;
use crate::{
    AppState,
    auth::ClientClaims,
    backend::{
        FrameId, FrameRecord, ObjectKey, ObjectMeta, PutMode, SessionFrame, SessionStatus,
        StoreError,
        face::{FaceAnalysis, FaceImage, ImageKind},
    },
    error::ApiError,
};
use bytes::Bytes;
use kyc_core::{
    ErrorCode, Timestamp,
    api::v1::{FrameFeedback, FrameIssue},
    challenge::{FacePlacement, FrameTimes, Observation, TimingViolation, evaluate},
    image::{check, strip_metadata},
};
use sha2::{Digest, Sha256};

/// A frame as received.
#[derive(Clone)]
pub struct FrameInput {
    /// Client-chosen id.
    pub frame_id: String,
    /// The session nonce the client was given.
    pub nonce: String,
    /// The encoded image.
    pub image: Bytes,
    /// Capture time (defaults to receipt).
    pub captured_at: Option<Timestamp>,
}

impl std::fmt::Debug for FrameInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameInput")
            .field("frame_id", &self.frame_id)
            .field("len", &self.image.len())
            .finish_non_exhaustive()
    }
}

/// What to tell the user about framing, from the analysis.
fn issues(a: &FaceAnalysis) -> Vec<FrameIssue> {
    let mut out = Vec::new();
    match a.faces.len() {
        0 => {
            out.push(FrameIssue::NoFace);
            if a.brightness < 50.0 {
                out.push(FrameIssue::TooDark);
            }
            return out;
        }
        1 => {}
        _ => out.push(FrameIssue::MultipleFaces),
    }
    let q = a.faces[0].quality;
    if q.face_width_fraction < 0.18 {
        out.push(FrameIssue::TooFar);
    } else if q.face_width_fraction > 0.75 {
        out.push(FrameIssue::TooClose);
    }
    if q.brightness < 60.0 {
        out.push(FrameIssue::TooDark);
    } else if q.brightness > 215.0 {
        out.push(FrameIssue::TooBright);
    }
    if q.sharpness < 12.0 {
        out.push(FrameIssue::Blurry);
    }
    if q.center_offset_x.abs() > 0.25 || q.center_offset_y.abs() > 0.3 {
        out.push(FrameIssue::OffCenter);
    }
    out
}

/// Where the one face is, in units of the image width (none unless exactly one face).
fn placement(a: &FaceAnalysis) -> Option<FacePlacement> {
    match a.faces.as_slice() {
        [f] if a.width > 0 => Some(FacePlacement {
            x: f.quality.center_offset_x,
            y: f.quality.center_offset_y * a.height as f32 / a.width as f32,
            width: f.quality.face_width_fraction,
        }),
        _ => None,
    }
}

fn timing_error(v: TimingViolation) -> ApiError {
    match v {
        TimingViolation::TooFast { .. } => {
            ApiError::new(ErrorCode::RateLimited, "frames arrive faster than a camera sends them")
                .with_retry_after(1)
        }
        _ => ApiError::new(
            ErrorCode::FrameTimingInvalid,
            "the frames' capture times do not match when they arrived",
        ),
    }
}

fn out_of_order() -> ApiError {
    ApiError::new(ErrorCode::FrameOutOfOrder, "frames must be sent in capture order")
}

/// The client's capture time of a stored frame (older rows: the observation time).
fn captured(f: &SessionFrame) -> Timestamp {
    f.captured_at.unwrap_or(f.observation.at)
}

fn times(f: &SessionFrame) -> FrameTimes {
    FrameTimes { captured: captured(f), received: f.observation.at }
}

fn observation(a: &FaceAnalysis, at: Timestamp) -> Observation {
    match (a.faces.len(), a.faces.first().and_then(|f| f.pose)) {
        (1, Some(p)) => Observation {
            at,
            face_present: true,
            yaw_deg: p.yaw_deg,
            pitch_deg: p.pitch_deg,
            left_eye_open: p.left_eye_open,
            right_eye_open: p.right_eye_open,
        },
        _ => Observation::no_face(at),
    }
}

/// `POST /submit-frame`: checks, measures and records one frame; answers with feedback.
pub async fn submit_frame(
    state: &AppState,
    claims: &ClientClaims,
    input: FrameInput,
) -> Result<FrameFeedback, ApiError> {
    let id = claims.verification_id;
    tracing::Span::current().record("verification_id", id.to_string());
    let frame_id = FrameId::try_from(input.frame_id.clone()).map_err(ApiError::invalid)?;
    let v = get_live(state, &id).await?;
    locked(state, &v)?;
    let store = state.backends.liveness.clone();
    let mut session =
        state.retry_policy().run(|| store.latest_session(&id)).await?.ok_or_else(|| {
            ApiError::new(ErrorCode::LivenessNotStarted, "call POST /start-liveness first")
        })?;
    if input.nonce != session.challenge.nonce {
        return Err(ApiError::new(
            ErrorCode::FrameReplayed,
            "this frame does not belong to the current liveness session",
        ));
    }
    let sha256 = hex(&Sha256::digest(&input.image));
    // idempotency first: the same frame again gets the same answer
    match store.get_frame(&session.id, &frame_id).await {
        Ok(existing) if existing.sha256 == sha256 => return Ok(existing.feedback),
        Ok(_) => {
            return Err(ApiError::new(
                ErrorCode::FrameConflict,
                "this frameId was already sent with different content",
            ));
        }
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let now = state.clock.now();
    if session.status != SessionStatus::Active || now > session.challenge.deadline {
        return Err(ApiError::new(
            ErrorCode::ChallengeExpired,
            "the liveness challenge is over; start a new one",
        ));
    }
    if session.frames.len() >= state.config.liveness.max_frames_per_session as usize {
        return Err(ApiError::new(
            ErrorCode::FrameLimitExceeded,
            "this session has received its maximum number of frames",
        ));
    }
    // server time is what counts; the client's capture time only orders frames
    let captured_at = input.captured_at.unwrap_or(now);
    if captured_at < session.challenge.issued_at {
        return Err(ApiError::new(
            ErrorCode::FrameReplayed,
            "the frame was captured before the challenge was issued",
        ));
    }
    if captured_at > now.add_millis(MAX_CLOCK_SKEW_MS) {
        return Err(ApiError::invalid("capturedAt is in the future"));
    }
    if session.frames.last().is_some_and(|f| captured_at <= captured(f)) {
        return Err(out_of_order());
    }
    let this = FrameTimes { captured: captured_at, received: now };
    session
        .challenge
        .timing
        .check(session.frames.first().map(times), session.frames.last().map(times), this)
        .map_err(timing_error)?;
    // a camera never sends the same bytes twice
    if let Some(seen) = store.frame_by_hash(&sha256).await? {
        return Err(ApiError::new(
            ErrorCode::FrameReplayed,
            if seen.session_id == session.id {
                "this image was already sent as another frame"
            } else {
                "this frame was already used in another session"
            },
        ));
    }
    check(&input.image, &FRAME_POLICY)?;
    // what is analysed is what is stored: the frame without its metadata
    let clean = Bytes::from(strip_metadata(&input.image)?.bytes);
    let image = FaceImage(clean.clone());
    let analysis = state
        .face
        .analyze(&image, ImageKind::LiveFrame)
        .await
        .map_err(|e| engine_error(state, e))?;

    // the frame itself, encrypted, create-only: a frame id names one image
    // for the whole verification, across attempts
    let key = ObjectKey::live_frame(id, frame_id.clone());
    let meta = ObjectMeta { content_type: "image/jpeg".into() };
    let objects = state.backends.objects.clone();
    match state
        .retry_policy()
        .run(|| objects.put(&key, clean.clone(), &meta, PutMode::Create))
        .await
    {
        Ok(()) => {}
        // a retry after a crash finds its own bytes; anything else is another image
        Err(StoreError::Conflict) if objects.get(&key).await?.body == clean => {}
        Err(StoreError::Conflict) => {
            return Err(ApiError::new(
                ErrorCode::FrameConflict,
                "this frameId was already used for another image in this verification",
            ));
        }
        Err(e) => return Err(e.into()),
    }

    // append the observation (optimistic; re-check order on a concurrent change)
    let mut obs = observation(&analysis, now);
    let placed = placement(&analysis);
    let landmarks = match analysis.faces.as_slice() {
        [f] => Some(f.landmarks),
        _ => None,
    };
    for attempt in 0..5 {
        if attempt > 0 {
            session = store.get_session(&session.id).await?;
            if session.frames.iter().any(|f| f.frame_id == frame_id) {
                break;
            }
            if session.frames.last().is_some_and(|f| captured_at <= captured(f)) {
                return Err(out_of_order());
            }
        }
        // receive times stay strictly increasing in append order
        if let Some(last) = session.frames.last()
            && obs.at <= last.observation.at
        {
            obs.at = last.observation.at.add_millis(1);
        }
        let mut next = session.clone();
        next.frames.push(SessionFrame {
            frame_id: frame_id.clone(),
            observation: obs,
            captured_at: Some(captured_at),
            placement: placed,
            landmarks,
        });
        match state.retry_policy().run(|| store.update_session(&next)).await {
            Ok(saved) => {
                session = saved;
                break;
            }
            Err(StoreError::Conflict) if attempt < 4 => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let eval =
        evaluate(&session.challenge, &observations(&session), now).map_err(ApiError::internal)?;
    let feedback = FrameFeedback {
        frame_id: frame_id.to_string(),
        face_found: obs.face_present,
        faces: analysis.faces.len() as u32,
        issues: issues(&analysis),
        progress: eval.progress,
        deadline: session.challenge.deadline,
    };
    let record = FrameRecord {
        session_id: session.id.clone(),
        verification_id: id,
        frame_id: frame_id.clone(),
        sha256: sha256.clone(),
        received_at: now,
        feedback: feedback.clone(),
    };
    match state.retry_policy().run(|| store.put_frame(&record)).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            let existing = store.get_frame(&session.id, &frame_id).await?;
            return if existing.sha256 == sha256 {
                Ok(existing.feedback)
            } else {
                Err(ApiError::new(
                    ErrorCode::FrameConflict,
                    "this frameId was already sent with different content",
                ))
            };
        }
        Err(e) => return Err(e.into()),
    }
    state.metrics.liveness_frames.inc();
    tracing::debug!(
        step = "liveness",
        status = "frame",
        completed = feedback.progress.completed,
        face_found = feedback.face_found,
        "frame accepted"
    );
    Ok(feedback)
}
