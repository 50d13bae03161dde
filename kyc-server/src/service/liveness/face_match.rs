//! The face match: the document's face against live frames spread over the
//! session, inline in `/verify` or as the durable `face_match` job.

use super::evaluation::{finish_failed_because, gesture_evidence, observations};
use super::{FACE_MATCH_JOB, FRAME_POLICY, engine_error};
use crate::service::{
    audit,
    image::{grey, luma},
    verifications::{get_live, update_verification},
};
use crate::{
    AppState,
    backend::{
        FrameId, LivenessSession, NewJob, ObjectKey, SessionFrame, SessionStatus, StoreError,
        face::{FaceImage, ImageKind, ProviderError},
    },
    error::ApiError,
};
use bytes::Bytes;
use kyc_core::{
    ErrorCode,
    api::v1::{
        FaceMatchEvidence, IdentityEvidence, LivenessEvidence, LivenessStatus, Step, StepStatus,
        VerificationStatus,
    },
    challenge::{
        Continuity, DepthEvidence, MotionEvidence, evaluate, face_region_change, landmark_motion,
    },
    face::Landmarks,
};

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

/// Every face-present frame of the session, in order, with its stored bytes.
async fn face_frames<'a>(
    state: &AppState,
    session: &'a LivenessSession,
) -> Result<Vec<(&'a SessionFrame, Bytes)>, FaceMatchError> {
    let objects = state.backends.objects.clone();
    let mut out = Vec::new();
    for f in session.frames.iter().filter(|f| f.observation.face_present) {
        let o = objects
            .get(&ObjectKey::live_frame(session.verification_id, f.frame_id.clone()))
            .await?;
        out.push((f, o.body));
    }
    Ok(out)
}

/// Every face-present frame compared with `reference`, and the tracked
/// face's continuity between consecutive frames.
async fn same_face_throughout(
    state: &AppState,
    session: &LivenessSession,
    frames: &[(&SessionFrame, Bytes)],
    reference_id: &FrameId,
    reference: &FaceImage,
) -> Result<IdentityEvidence, FaceMatchError> {
    let (placed, track): (Vec<&SessionFrame>, Vec<_>) = session
        .frames
        .iter()
        .filter_map(|f| f.placement.map(|p| (f, (f.observation.at, p))))
        .unzip();
    let jump = session.challenge.continuity.first_jump(&track);
    let (max_shift, max_scale) = Continuity::extremes(&track);
    let jump_frame = jump.and_then(|j| placed.get(j.index)).map(|f| f.frame_id.to_string());
    let others: Vec<&(&SessionFrame, Bytes)> =
        frames.iter().filter(|(f, _)| &f.frame_id != reference_id).collect();
    let probes: Vec<(FaceImage, ImageKind)> =
        others.iter().map(|(_, b)| (FaceImage(b.clone()), ImageKind::LiveFrame)).collect();
    let sims = if probes.is_empty() {
        Vec::new()
    } else {
        state
            .face
            .compare((reference, ImageKind::LiveFrame), &probes)
            .await
            .map_err(FaceMatchError::Engine)?
    };
    // a frame where the engine found no face to compare counts as a stranger
    let lowest = others
        .iter()
        .zip(&sims)
        .map(|((f, _), m)| (f.frame_id.to_string(), m.map_or(0.0, |m| m.similarity)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    Ok(IdentityEvidence {
        reference_frame: reference_id.to_string(),
        frames_compared: others.len() as u32,
        lowest,
        threshold: state.config.liveness.same_face_threshold,
        max_shift,
        max_scale,
        jump_frame,
    })
}

/// How much the face moved between consecutive face-present frames: the
/// face region cut at the earlier frame's landmarks in both, and the
/// landmarks' travel. Frames that do not decode are not measured.
async fn motion_of(
    state: &AppState,
    session: &LivenessSession,
    frames: &[(&SessionFrame, Bytes)],
) -> Result<MotionEvidence, FaceMatchError> {
    let input: Vec<(Option<Landmarks>, Bytes)> =
        frames.iter().map(|(f, b)| (f.landmarks, b.clone())).collect();
    let rule = session.challenge.motion;
    state
        .cpu
        .run(move || {
            let decoded: Vec<Option<image::GrayImage>> =
                input.iter().map(|(_, b)| luma(b, &FRAME_POLICY)).collect();
            let pairs: Vec<(Option<f32>, Option<f32>)> = input
                .windows(2)
                .zip(decoded.windows(2))
                .map(|(l, d)| match (l[0].0, l[1].0) {
                    (Some(a), Some(b)) => {
                        let change = match (&d[0], &d[1]) {
                            (Some(p), Some(c)) => face_region_change(&grey(p), &grey(c), &a),
                            _ => None,
                        };
                        (change, landmark_motion(&a, &b))
                    }
                    _ => (None, None),
                })
                .collect();
            rule.measure(&pairs)
        })
        .await
        .map_err(|e| FaceMatchError::Api(ApiError::internal(e)))
}

/// The depth of the turned frames against the most frontal frame's
/// landmarks (none for sessions recorded before landmarks were kept). The
/// most frontal frame, not the first: a reference already turned a few
/// degrees hides part of a same-side turn's parallax.
fn depth_of(session: &LivenessSession) -> Option<DepthEvidence> {
    let frames: Vec<(f32, Landmarks)> = session
        .frames
        .iter()
        .filter(|f| f.observation.face_present)
        .filter_map(|f| f.landmarks.map(|l| (f.observation.yaw_deg, l)))
        .collect();
    let reference = frames.iter().min_by(|a, b| a.0.abs().total_cmp(&b.0.abs()))?.1;
    Some(session.challenge.depth.measure(&reference, &frames))
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
    // every face-present frame read once: the identity check and the motion
    // rule use them all, the document match its frontal ones (a subset)
    let frames = if picked.is_empty() { Vec::new() } else { face_frames(state, &session).await? };
    let live = picked
        .iter()
        .map(|p| {
            frames
                .iter()
                .find(|(f, _)| &f.frame_id == p)
                .map(|(_, b)| (FaceImage(b.clone()), ImageKind::LiveFrame))
                .ok_or(StoreError::NotFound)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut reasons = Vec::new();
    let mut evidence = FaceMatchEvidence {
        engine: state.face.name().to_owned(),
        threshold: cfg.match_threshold,
        average: None,
        document_similarities: Vec::new(),
        same_face_min: None,
        identity: None,
        depth: None,
        motion: None,
    };
    let status = if live.is_empty() {
        reasons.push("no_frontal_face".to_owned());
        LivenessStatus::Review
    } else {
        // one and the same face throughout: every face-present frame against the first frontal one
        let identity =
            same_face_throughout(state, &session, &frames, &picked[0], &live[0].0).await?;
        evidence.same_face_min = Some(identity.lowest.as_ref().map_or(100.0, |l| l.1));
        let changed = identity.jump_frame.is_some()
            || identity.lowest.as_ref().is_some_and(|l| l.1 < cfg.same_face_threshold);
        evidence.identity = Some(identity);
        // a plane (photo, print, screen, warped still) has no depth when it turns
        let depth = depth_of(&session);
        let flat = depth.is_some_and(|d| d.is_flat());
        evidence.depth = depth;
        // a still re-sent frame by frame shows no natural motion
        let motion = motion_of(state, &session, &frames).await?;
        let still = motion.is_still();
        evidence.motion = Some(motion);
        if changed || flat || still {
            let status = finish_failed_because(
                state,
                &v,
                session,
                now,
                Some(if changed {
                    "face_changed"
                } else if flat {
                    "flat_face"
                } else {
                    "still_frames"
                }),
                Some(evidence),
            )
            .await?;
            return Ok(status);
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
        "identity": evidence.identity,
        "depth": evidence.depth,
        "motion": evidence.motion,
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

/// Runs the face match now; if the engine is unavailable, leaves a job to finish it and answers 503.
pub(super) async fn run_face_match(
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
