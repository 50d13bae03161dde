//! Liveness orchestration: `start-liveness → submit-frame… → verify`.
//!
//! The server keeps the expected gestures ([`PendingChallenge`]) and every
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

use super::{
    audit,
    verifications::{get_live, update_verification},
};
use crate::{
    AppState,
    auth::ClientClaims,
    backend::{
        FrameId, FrameRecord, LivenessSession, NewJob, ObjectKey, ObjectMeta, PutMode,
        SessionFrame, SessionStatus, StoreError, Verification,
        face::{FaceAnalysis, FaceImage, ImageKind, ProviderError},
    },
    error::ApiError,
};
use bytes::Bytes;
use kyc_core::{
    ErrorCode, Timestamp, VerificationId,
    api::v1::{
        FaceMatchEvidence, FrameFeedback, FrameIssue, FrameSample, GestureEvidence,
        LivenessEvidence, LivenessStatus, StartLivenessResponse, Step, StepStatus,
        VerificationStatus, VerifyResponse,
    },
    challenge::{Evaluation, Observation, Outcome, PendingChallenge, evaluate, issue},
    image::{UploadPolicy, check},
};
use sha2::{Digest, Sha256};

/// The job kind that finishes a face match when the engine was unavailable.
pub const FACE_MATCH_JOB: &str = "face_match";

/// Limits for one camera frame.
const FRAME_POLICY: UploadPolicy = UploadPolicy {
    max_bytes: 2 * 1024 * 1024,
    min_long_side: 160,
    min_short_side: 120,
    max_side: 4096,
    max_pixels: 16_000_000,
};

/// How far in the future a client's capture time may be (clock skew).
const MAX_CLOCK_SKEW_MS: i64 = 2_000;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn engine_error(state: &AppState, e: ProviderError) -> ApiError {
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

fn attempts_left(state: &AppState, v: &Verification) -> u32 {
    state.config.liveness.max_failed_attempts.saturating_sub(v.failed_liveness_attempts)
}

fn is_final(v: &Verification) -> bool {
    matches!(
        v.status,
        VerificationStatus::LivenessPassed
            | VerificationStatus::Review
            | VerificationStatus::Rejected
    )
}

fn locked(state: &AppState, v: &Verification) -> Result<(), ApiError> {
    if v.failed_liveness_attempts >= state.config.liveness.max_failed_attempts {
        return Err(ApiError::new(
            ErrorCode::LivenessLocked,
            "too many failed attempts; the verification is under review",
        ));
    }
    Ok(())
}

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

fn observations(s: &LivenessSession) -> Vec<Observation> {
    s.frames.iter().map(|f| f.observation).collect()
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
    if session.frames.last().is_some_and(|f| captured_at <= f.observation.at) {
        return Err(ApiError::new(
            ErrorCode::FrameOutOfOrder,
            "frames must be sent in capture order",
        ));
    }
    if let Some(seen) = store.frame_by_hash(&sha256).await?
        && seen.session_id != session.id
    {
        return Err(ApiError::new(
            ErrorCode::FrameReplayed,
            "this frame was already used in another session",
        ));
    }
    check(&input.image, &FRAME_POLICY)?;
    let image = FaceImage(input.image.clone());
    let analysis = state
        .face
        .analyze(&image, ImageKind::LiveFrame)
        .await
        .map_err(|e| engine_error(state, e))?;
    let obs = observation(&analysis, captured_at);

    // the frame itself, encrypted, for the face match and for reviewers
    let key = ObjectKey::live_frame(id, frame_id.clone());
    let meta = ObjectMeta { content_type: "image/jpeg".into() };
    let objects = state.backends.objects.clone();
    state
        .retry_policy()
        .run(|| objects.put(&key, input.image.clone(), &meta, PutMode::Overwrite))
        .await?;

    // append the observation (optimistic; re-check order on a concurrent change)
    for attempt in 0..5 {
        if attempt > 0 {
            session = store.get_session(&session.id).await?;
            if session.frames.iter().any(|f| f.frame_id == frame_id) {
                break;
            }
            if session.frames.last().is_some_and(|f| captured_at <= f.observation.at) {
                return Err(ApiError::new(
                    ErrorCode::FrameOutOfOrder,
                    "frames must be sent in capture order",
                ));
            }
        }
        let mut next = session.clone();
        next.frames.push(SessionFrame { frame_id: frame_id.clone(), observation: obs });
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

fn gesture_evidence(session: &LivenessSession, eval: &Evaluation) -> Vec<GestureEvidence> {
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
async fn finish_failed(
    state: &AppState,
    v: &Verification,
    mut session: LivenessSession,
    now: Timestamp,
) -> Result<LivenessStatus, ApiError> {
    let eval =
        evaluate(&session.challenge, &observations(&session), now).map_err(ApiError::internal)?;
    let reason = match eval.final_outcome() {
        Outcome::Failed { reason } => reason.code().to_owned(),
        Outcome::Passed { .. } => "incomplete".to_owned(),
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
            face_match: None,
        });
    })
    .await?;
    session.status = SessionStatus::Finished;
    let store = state.backends.liveness.clone();
    state.retry_policy().run(|| store.update_session(&session)).await?;
    state.metrics.liveness_fails(&reason);
    let status = saved.liveness.as_ref().map_or(LivenessStatus::Failed, |l| l.status);
    let detail = serde_json::json!({"reason": reason, "failedAttempts": saved.failed_liveness_attempts, "locked": status == LivenessStatus::Review});
    audit(state, Some(v.id), Step::Liveness, StepStatus::Failed, None, "system", detail).await?;
    tracing::info!(verification_id = %v.id, step = "liveness", status = "failed", error_code = reason.as_str(), "liveness failed");
    Ok(status)
}

/// Frontal frames with a face, spread evenly over the session, at most `n`.
fn frames_for_matching(session: &LivenessSession, n: usize) -> Vec<FrameId> {
    let frontal: Vec<&SessionFrame> = session
        .frames
        .iter()
        .filter(|f| {
            f.observation.face_present
                && f.observation.yaw_deg.abs() <= 12.0
                && f.observation.pitch_deg.abs() <= 15.0
        })
        .collect();
    if frontal.len() <= n {
        return frontal.iter().map(|f| f.frame_id.clone()).collect();
    }
    let mut picked: Vec<usize> = (0..n).map(|i| i * (frontal.len() - 1) / (n - 1).max(1)).collect();
    picked.dedup();
    picked.into_iter().map(|i| frontal[i].frame_id.clone()).collect()
}

/// Why the face match could not finish now.
#[derive(Debug)]
pub enum FaceMatchError {
    /// The engine failed; retry later.
    Engine(ProviderError),
    /// Anything else (storage, state).
    Api(ApiError),
}

impl From<ApiError> for FaceMatchError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<StoreError> for FaceMatchError {
    fn from(e: StoreError) -> Self {
        Self::Api(e.into())
    }
}

/// The face-match step of a session whose gestures passed: one face
/// throughout, then the document against the live frames. Idempotent: a
/// finished session returns its stored status.
pub async fn complete_face_match(
    state: &AppState,
    session_id: &str,
) -> Result<LivenessStatus, FaceMatchError> {
    let store = state.backends.liveness.clone();
    let session = store.get_session(session_id).await?;
    let id = session.verification_id;
    let v = get_live(state, &id).await?;
    if session.status == SessionStatus::Finished {
        return Ok(v.liveness.map_or(LivenessStatus::Failed, |l| l.status));
    }
    let now = state.clock.now();
    let eval =
        evaluate(&session.challenge, &observations(&session), now).map_err(ApiError::internal)?;
    let cfg = &state.config.liveness;
    let objects = state.backends.objects.clone();
    let doc = match &v.document {
        Some(d) => objects
            .get(&ObjectKey::id_upload(id))
            .await
            .map(|o| (FaceImage(o.body), d.summary.content_type.clone()))?,
        None => {
            return Err(ApiError::new(
                ErrorCode::DocumentMissing,
                "upload the document before verifying",
            )
            .into());
        }
    };
    let picked = frames_for_matching(&session, cfg.frames_compared);
    let mut live = Vec::with_capacity(picked.len());
    for f in &picked {
        let o = objects.get(&ObjectKey::live_frame(id, f.clone())).await?;
        live.push((FaceImage(o.body), ImageKind::LiveFrame));
    }
    let mut reasons = Vec::new();
    let mut evidence = FaceMatchEvidence {
        engine: state.face.name().to_owned(),
        threshold: cfg.match_threshold,
        average: None,
        document_similarities: Vec::new(),
        same_face_min: None,
    };
    let status = if live.is_empty() {
        reasons.push("no_frontal_face".to_owned());
        LivenessStatus::Review
    } else {
        // one and the same face throughout
        if live.len() > 1 {
            let same = state
                .face
                .compare((&live[0].0, ImageKind::LiveFrame), &live[1..])
                .await
                .map_err(FaceMatchError::Engine)?;
            let min = same.iter().map(|m| m.map_or(0.0, |m| m.similarity)).fold(100.0f32, f32::min);
            evidence.same_face_min = Some(min);
            if min < cfg.same_face_threshold {
                reasons.push("face_changed".to_owned());
            }
        }
        match state.face.compare((&doc.0, ImageKind::Document), &live).await {
            Ok(sims) => {
                evidence.document_similarities = picked
                    .iter()
                    .zip(&sims)
                    .map(|(f, m)| (f.to_string(), m.map_or(0.0, |m| m.similarity)))
                    .collect();
                let avg = evidence.document_similarities.iter().map(|(_, s)| s).sum::<f32>()
                    / sims.len().max(1) as f32;
                evidence.average = Some(avg);
                if !reasons.is_empty() {
                    LivenessStatus::Review
                } else if avg >= cfg.match_threshold {
                    LivenessStatus::Passed
                } else if avg < cfg.reject_below {
                    reasons.push("face_mismatch".to_owned());
                    LivenessStatus::Failed
                } else {
                    reasons.push("face_match_low".to_owned());
                    LivenessStatus::Review
                }
            }
            Err(ProviderError::Rejected(_)) => {
                reasons.push("no_face_in_document".to_owned());
                LivenessStatus::Review
            }
            Err(e) => return Err(FaceMatchError::Engine(e)),
        }
    };
    let gestures = gesture_evidence(&session, &eval);
    let face_match = evidence.clone();
    let saved = update_verification(state, &id, |v| {
        v.status = match status {
            LivenessStatus::Passed => VerificationStatus::LivenessPassed,
            LivenessStatus::Review => VerificationStatus::Review,
            LivenessStatus::Failed => VerificationStatus::Rejected,
        };
        v.liveness = Some(LivenessEvidence {
            status,
            reasons: reasons.clone(),
            evaluated_at: now,
            failed_attempts: v.failed_liveness_attempts,
            gestures: gestures.clone(),
            face_match: Some(face_match.clone()),
        });
    })
    .await?;
    let mut finished = store.get_session(session_id).await?;
    finished.status = SessionStatus::Finished;
    store.update_session(&finished).await?;
    let step_status =
        if status == LivenessStatus::Passed { StepStatus::Succeeded } else { StepStatus::Failed };
    let detail = serde_json::json!({
        "status": status,
        "reasons": reasons,
        "average": evidence.average,
        "sameFaceMin": evidence.same_face_min,
        "similarities": evidence.document_similarities,
        "threshold": evidence.threshold,
        "engine": evidence.engine,
    });
    audit(state, Some(id), Step::FaceMatch, step_status, None, "system", detail).await?;
    if status != LivenessStatus::Passed {
        state.metrics.liveness_fails(reasons.first().map_or("face_match", String::as_str));
    }
    tracing::info!(verification_id = %id, step = "face_match", status = ?status, "face match finished");
    Ok(saved.liveness.map_or(status, |l| l.status))
}

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

/// Runs the face match now; if the engine is unavailable, leaves a job to finish it and answers 503.
async fn run_face_match(
    state: &AppState,
    session: &LivenessSession,
) -> Result<LivenessStatus, ApiError> {
    match complete_face_match(state, &session.id).await {
        Ok(s) => Ok(s),
        Err(FaceMatchError::Api(e)) => Err(e),
        Err(FaceMatchError::Engine(e)) => {
            let job = NewJob {
                kind: FACE_MATCH_JOB.to_owned(),
                dedupe_key: Some(format!("{FACE_MATCH_JOB}:{}", session.id)),
                payload: serde_json::json!({"sessionId": session.id}),
                run_at: state.clock.now(),
                max_attempts: 8,
            };
            let jobs = state.backends.jobs.clone();
            state.retry_policy().run(|| jobs.enqueue(&job)).await?;
            tracing::warn!(verification_id = %session.verification_id, step = "face_match", status = "deferred", error_code = "face_engine_unavailable", "face match deferred to a job");
            Err(engine_error(state, e))
        }
    }
}
