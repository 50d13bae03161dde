//! The liveness gesture challenge.
//!
//! The server [`issue`]s a challenge: a random sequence of gestures with a
//! nonce and a deadline, from an injected RNG and time. It keeps the
//! [`PendingChallenge`] (the expected answers) to itself and sends the client
//! a [`ChallengePrompt`], which reveals only the first gesture; each later
//! gesture is revealed in [`Progress::next`] once the previous one is done, so
//! a client cannot pre-render the whole sequence.
//!
//! The face engine turns frames into [`Observation`]s (head pose and eye
//! openness); [`evaluate`] replays them, in time order, against the pending
//! challenge and reports progress per step, a hint for the user, and — when it
//! is over — an [`Outcome`] with a reason. Rules:
//!
//! * **order**: gestures count only in sequence; a clearly different gesture
//!   from the challenge's pool (e.g. turning right when left is expected)
//!   fails the challenge. Blinks during turn steps are ignored (they are
//!   involuntary).
//! * **hysteresis**: a turn starts beyond `turn_enter_deg` and the head counts
//!   as centred again only inside `turn_exit_deg`; every step begins from a
//!   centred pose, so one movement can never satisfy two steps. A blink is
//!   eyes open → closed → open, relative to the person's own open-eye baseline.
//! * **timing**: observations must be strictly increasing in time, not before
//!   issue and not after the deadline; a face missing for longer than
//!   `max_gap_ms` fails the challenge. Times are the server's receive times
//!   ([`FrameTiming`] bounds how far the client's clock may drift from them);
//!   a turn or tilt must be held for `min_hold_frames` frames over
//!   `min_hold_ms`, and a blink's closure must last `blink_min_ms`.
//! * **continuity**: the tracked face may move only so far between frames
//!   ([`Continuity`]); a jump means a new face.
//! * **motion**: consecutive frames must not show a near-identical face
//!   region ([`Motion`]); a still re-sent frame by frame does.
//!
//! Angles are degrees. `yaw_deg` is positive when the person turns their head
//! to **their own left**; `pitch_deg` is positive when they look up. Eye
//! openness is 0 (closed) to 1 (fully open).

mod depth;
mod evaluate;
mod integrity;
mod motion;

pub use depth::{Depth, DepthEvidence, parallax};
pub use evaluate::{Evaluation, evaluate};
pub use integrity::{Continuity, FacePlacement, FrameTimes, FrameTiming, Jump, TimingViolation};
pub use motion::{Grey, Motion, MotionEvidence, THUMB, face_region_change, landmark_motion};

use crate::Timestamp;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A gesture the person is asked to perform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gesture {
    /// Close and reopen both eyes.
    Blink,
    /// Turn the head to the person's own left.
    TurnLeft,
    /// Turn the head to the person's own right.
    TurnRight,
    /// Tilt the head up.
    LookUp,
    /// Tilt the head down.
    LookDown,
}

impl Gesture {
    /// Every gesture.
    pub const ALL: [Gesture; 5] =
        [Self::Blink, Self::TurnLeft, Self::TurnRight, Self::LookUp, Self::LookDown];

    /// The gesture's wire name (`blink`, `turn_left`, …), as serde writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Blink => "blink",
            Self::TurnLeft => "turn_left",
            Self::TurnRight => "turn_right",
            Self::LookUp => "look_up",
            Self::LookDown => "look_down",
        }
    }

    /// The gesture with this wire name (for clients that read the JSON
    /// without serde).
    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == name)
    }
}

/// Thresholds for recognising gestures (degrees, ratios, milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GestureThresholds {
    /// |yaw| at which a turn is recognised.
    pub turn_enter_deg: f32,
    /// |yaw| under which the head counts as centred again.
    pub turn_exit_deg: f32,
    /// |pitch| at which looking up/down is recognised.
    pub pitch_enter_deg: f32,
    /// |pitch| under which the head counts as level again.
    pub pitch_exit_deg: f32,
    /// Eyes count as closed below this fraction of the open-eye baseline.
    pub eye_closed_ratio: f32,
    /// Eyes count as open again above this fraction of the baseline.
    pub eye_open_ratio: f32,
    /// The open-eye baseline must reach this for a blink to be recognisable.
    pub min_eye_baseline: f32,
    /// Longest closure that still counts as a blink (not eyes shut).
    pub blink_max_ms: i64,
    /// Shortest closure that counts as a blink, in milliseconds of server
    /// time (frames uploaded in a burst show none).
    pub blink_min_ms: i64,
    /// Consecutive frames a turn or tilt must be held for.
    pub min_hold_frames: u32,
    /// Server time, in milliseconds, a turn or tilt must be held for.
    pub min_hold_ms: i64,
}

impl Default for GestureThresholds {
    fn default() -> Self {
        Self {
            turn_enter_deg: 20.0,
            turn_exit_deg: 10.0,
            pitch_enter_deg: 15.0,
            pitch_exit_deg: 8.0,
            // measured on labelled real footage with the MediaPipe mesh's eye aspect
            // ratio: closed frames sit at 0.56–0.76 of the open-eye baseline, open
            // frames mostly above 0.77 (kyc-server's face engine docs)
            eye_closed_ratio: 0.78,
            eye_open_ratio: 0.86,
            min_eye_baseline: 0.2,
            blink_max_ms: 1500,
            blink_min_ms: 40,
            // two frames of the widget's 8 fps
            min_hold_frames: 2,
            min_hold_ms: 100,
        }
    }
}

/// How challenges are issued and judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChallengePolicy {
    /// The gestures to draw from (at least two distinct).
    pub gestures: Vec<Gesture>,
    /// How many gestures per challenge.
    pub steps: usize,
    /// Time from issue to deadline, in milliseconds.
    pub ttl_ms: i64,
    /// Longest stretch without a visible face, in milliseconds.
    pub max_gap_ms: i64,
    /// Recognition thresholds.
    pub thresholds: GestureThresholds,
    /// Frame-timing rules.
    pub timing: FrameTiming,
    /// How far the tracked face may move between frames.
    pub continuity: Continuity,
    /// How much depth turned frames must show.
    pub depth: Depth,
    /// How much the face must move between frames.
    pub motion: Motion,
}

impl Default for ChallengePolicy {
    /// Blink, turn left, turn right; 3 steps; 3 minutes; 2 s without a face.
    fn default() -> Self {
        Self {
            gestures: vec![Gesture::Blink, Gesture::TurnLeft, Gesture::TurnRight],
            steps: 3,
            ttl_ms: 180_000,
            max_gap_ms: 2_000,
            thresholds: GestureThresholds::default(),
            timing: FrameTiming::default(),
            continuity: Continuity::default(),
            depth: Depth::default(),
            motion: Motion::default(),
        }
    }
}

/// A challenge policy that cannot produce a fair challenge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Fewer than two distinct gestures.
    #[error("a challenge needs at least two distinct gestures")]
    TooFewGestures,
    /// Zero steps or more than 10.
    #[error("steps must be between 1 and 10")]
    BadStepCount,
    /// Non-positive TTL or gap, or timing/continuity rules out of range.
    #[error(
        "ttl_ms, max_gap_ms and timing.max_clock_drift_ms must be positive, continuity.max_scale above 1, depth.min_yaw_deg in [0, 90), depth.min_parallax in [0, 2) and motion.near_identical_below in [0, 64)"
    )]
    BadTiming,
    /// Thresholds out of order.
    #[error("enter thresholds must exceed exit thresholds and ratios must lie in (0, 1]")]
    BadThresholds,
}

impl ChallengePolicy {
    /// Checks the policy (used when loading configuration).
    pub fn validate(&self) -> Result<(), PolicyError> {
        let mut distinct = self.gestures.clone();
        distinct.sort_by_key(|g| *g as u8);
        distinct.dedup();
        if distinct.len() < 2 {
            return Err(PolicyError::TooFewGestures);
        }
        if self.steps == 0 || self.steps > 10 {
            return Err(PolicyError::BadStepCount);
        }
        if self.ttl_ms <= 0 || self.max_gap_ms <= 0 {
            return Err(PolicyError::BadTiming);
        }
        let t = &self.thresholds;
        let ratios_ok = [t.eye_closed_ratio, t.eye_open_ratio, t.min_eye_baseline]
            .iter()
            .all(|r| *r > 0.0 && *r <= 1.0);
        if !(t.turn_enter_deg > t.turn_exit_deg
            && t.turn_exit_deg > 0.0
            && t.pitch_enter_deg > t.pitch_exit_deg
            && t.pitch_exit_deg > 0.0
            && t.eye_closed_ratio < t.eye_open_ratio
            && ratios_ok
            && t.blink_max_ms > t.blink_min_ms
            && t.blink_min_ms >= 0
            && t.min_hold_frames >= 1
            && t.min_hold_ms >= 0)
        {
            return Err(PolicyError::BadThresholds);
        }
        let (tm, c) = (&self.timing, &self.continuity);
        if tm.max_clock_drift_ms <= 0
            || tm.min_interval_ms < 0
            || !(c.max_shift > 0.0 && c.shift_per_second >= 0.0)
            || !(c.max_scale > 1.0 && c.scale_per_second >= 0.0)
            || !self.depth.is_valid()
            || !self.motion.is_valid()
        {
            return Err(PolicyError::BadTiming);
        }
        Ok(())
    }
}

/// What the client sees: enough to guide the user, nothing to pre-compute answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengePrompt {
    /// Random nonce binding frames to this challenge.
    pub nonce: String,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// When it expires.
    pub deadline: Timestamp,
    /// How many gestures in total.
    pub step_count: usize,
    /// The first gesture to perform.
    pub first: Gesture,
}

/// The server-side half of a challenge: the expected answers.
///
/// **Keep this on the server.** It is `Serialize` only with the
/// `server-state` feature, which only `kyc-server` enables; never send it to
/// a client.
#[derive(Clone, PartialEq)]
#[cfg_attr(feature = "server-state", derive(Serialize, Deserialize))]
pub struct PendingChallenge {
    /// The nonce given to the client.
    pub nonce: String,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// When it expires.
    pub deadline: Timestamp,
    /// The expected gestures, in order.
    pub sequence: Vec<Gesture>,
    /// Longest stretch without a face, in milliseconds.
    pub max_gap_ms: i64,
    /// Recognition thresholds in force when it was issued.
    pub thresholds: GestureThresholds,
    /// Frame-timing rules in force when it was issued.
    #[cfg_attr(feature = "server-state", serde(default))]
    pub timing: FrameTiming,
    /// Face-continuity rules in force when it was issued.
    #[cfg_attr(feature = "server-state", serde(default))]
    pub continuity: Continuity,
    /// The depth rule in force when it was issued.
    #[cfg_attr(feature = "server-state", serde(default))]
    pub depth: Depth,
    /// The still-frames rule in force when it was issued.
    #[cfg_attr(feature = "server-state", serde(default))]
    pub motion: Motion,
}

impl PendingChallenge {
    /// The client's half of this challenge (what [`issue`] returned with it).
    pub fn prompt(&self) -> ChallengePrompt {
        ChallengePrompt {
            nonce: self.nonce.clone(),
            issued_at: self.issued_at,
            deadline: self.deadline,
            step_count: self.sequence.len(),
            // issue() never produces an empty sequence
            first: self.sequence.first().copied().unwrap_or(Gesture::Blink),
        }
    }

    /// A challenge with a fixed gesture sequence and a random nonce — only for
    /// replaying recorded footage in tests; production issues random sequences.
    pub fn fixed_for_tests(
        sequence: Vec<Gesture>,
        policy: &ChallengePolicy,
        now: Timestamp,
        rng: &mut impl CryptoRng,
    ) -> Result<(ChallengePrompt, PendingChallenge), PolicyError> {
        let (_, mut pending) = issue(policy, now, rng)?;
        if sequence.is_empty() {
            return Err(PolicyError::BadStepCount);
        }
        pending.sequence = sequence;
        Ok((pending.prompt(), pending))
    }
}

impl fmt::Debug for PendingChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // the sequence is the secret: keep it out of logs
        f.debug_struct("PendingChallenge")
            .field("issued_at", &self.issued_at)
            .field("deadline", &self.deadline)
            .field("steps", &self.sequence.len())
            .finish_non_exhaustive()
    }
}

/// A uniformly random index below `n` (rejection sampling, no modulo bias).
fn uniform(rng: &mut impl CryptoRng, n: u32) -> u32 {
    let zone = u32::MAX - (u32::MAX % n);
    loop {
        let v = rng.next_u32();
        if v < zone {
            return v % n;
        }
    }
}

/// Issues a challenge: a random gesture sequence (no gesture twice in a row),
/// a 128-bit nonce, and a deadline `policy.ttl_ms` after `now`.
pub fn issue(
    policy: &ChallengePolicy,
    now: Timestamp,
    rng: &mut impl CryptoRng,
) -> Result<(ChallengePrompt, PendingChallenge), PolicyError> {
    policy.validate()?;
    let mut pool = policy.gestures.clone();
    pool.sort_by_key(|g| *g as u8);
    pool.dedup();
    let mut sequence: Vec<Gesture> = Vec::with_capacity(policy.steps);
    while sequence.len() < policy.steps {
        let g = pool[uniform(rng, pool.len() as u32) as usize];
        if sequence.last() != Some(&g) {
            sequence.push(g);
        }
    }
    let mut nonce_bytes = [0u8; 16];
    rng.fill_bytes(&mut nonce_bytes);
    let nonce: String = nonce_bytes.iter().map(|b| format!("{b:02x}")).collect();
    let deadline = now.add_millis(policy.ttl_ms);
    let prompt = ChallengePrompt {
        nonce: nonce.clone(),
        issued_at: now,
        deadline,
        step_count: sequence.len(),
        first: sequence[0],
    };
    let pending = PendingChallenge {
        nonce,
        issued_at: now,
        deadline,
        sequence,
        max_gap_ms: policy.max_gap_ms,
        thresholds: policy.thresholds,
        timing: policy.timing,
        continuity: policy.continuity,
        depth: policy.depth,
        motion: policy.motion,
    };
    Ok((prompt, pending))
}

/// What the face engine saw in one frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    /// Capture time.
    pub at: Timestamp,
    /// Whether exactly one usable face was found.
    pub face_present: bool,
    /// Head yaw in degrees; positive = turned to the person's own left.
    pub yaw_deg: f32,
    /// Head pitch in degrees; positive = looking up.
    pub pitch_deg: f32,
    /// Left eye openness, 0 (closed) to 1 (open).
    pub left_eye_open: f32,
    /// Right eye openness, 0 (closed) to 1 (open).
    pub right_eye_open: f32,
}

impl Observation {
    /// A frame without a face.
    pub const fn no_face(at: Timestamp) -> Self {
        Self {
            at,
            face_present: false,
            yaw_deg: 0.0,
            pitch_deg: 0.0,
            left_eye_open: 0.0,
            right_eye_open: 0.0,
        }
    }

    /// A face is usable only if present and every measure is finite.
    fn usable(&self) -> bool {
        self.face_present
            && [self.yaw_deg, self.pitch_deg, self.left_eye_open, self.right_eye_open]
                .iter()
                .all(|v| v.is_finite())
    }
}

/// Where one step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Not reached yet.
    Pending,
    /// The current step.
    Active,
    /// Performed.
    Done,
}

/// Evidence of one step, kept for reviewers (why it passed or failed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepEvidence {
    /// The gesture.
    pub gesture: Gesture,
    /// Its state.
    pub state: StepState,
    /// When the step became active (head centred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    /// When it was recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    /// Observations while it was active.
    pub observations: u32,
    /// Peak measure: largest yaw/pitch in the asked direction, or for a blink
    /// the lowest eye openness relative to the baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak: Option<f32>,
    /// The threshold the peak was compared with.
    pub threshold: f32,
}

/// What the user should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "gesture", rename_all = "snake_case")]
pub enum Hint {
    /// No face is visible.
    ShowFace,
    /// Look straight at the camera before the next gesture.
    FaceCamera,
    /// Perform this gesture.
    Perform(Gesture),
    /// Nothing more to perform: every gesture is done, or the attempt is
    /// already over (the verdict comes from `GET /verify`).
    Done,
}

impl Hint {
    /// The hint's wire `kind` (`show_face`, `face_camera`, `perform`, `done`).
    pub const fn kind(self) -> &'static str {
        match self {
            Self::ShowFace => "show_face",
            Self::FaceCamera => "face_camera",
            Self::Perform(_) => "perform",
            Self::Done => "done",
        }
    }

    /// The hint with this wire `kind` and `gesture` (for clients that read
    /// the JSON without serde); `perform` needs a gesture.
    pub fn from_wire(kind: &str, gesture: Option<Gesture>) -> Option<Self> {
        Some(match kind {
            "show_face" => Self::ShowFace,
            "face_camera" => Self::FaceCamera,
            "perform" => Self::Perform(gesture?),
            "done" => Self::Done,
            _ => return None,
        })
    }
}

/// Why a challenge failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum FailureReason {
    /// The deadline passed before every gesture was done.
    Expired {
        /// Steps done.
        completed: usize,
        /// Steps in total.
        total: usize,
    },
    /// A different gesture from the pool was performed.
    WrongGesture {
        /// 0-based step.
        step: usize,
        /// What was asked.
        expected: Gesture,
        /// What was seen.
        observed: Gesture,
    },
    /// The face was missing for too long.
    FaceLost {
        /// Length of the gap, in milliseconds.
        gap_ms: i64,
    },
    /// The eyes stayed closed too long to count as a blink.
    EyesClosedTooLong {
        /// 0-based step.
        step: usize,
    },
    /// Evaluation ended before every gesture was done.
    Incomplete {
        /// Steps done.
        completed: usize,
        /// Steps in total.
        total: usize,
    },
}

impl FailureReason {
    /// A stable snake_case code for logs and metrics.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Expired { .. } => "expired",
            Self::WrongGesture { .. } => "wrong_gesture",
            Self::FaceLost { .. } => "face_lost",
            Self::EyesClosedTooLong { .. } => "eyes_closed_too_long",
            Self::Incomplete { .. } => "incomplete",
        }
    }
}

/// The end of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// Every gesture, in order, in time.
    Passed {
        /// When the last gesture was recognised.
        completed_at: Timestamp,
    },
    /// Failed, with the first reason.
    Failed {
        /// Why.
        #[serde(flatten)]
        reason: FailureReason,
    },
}

/// Per-frame progress, safe to show to the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Steps done so far.
    pub completed: usize,
    /// Steps in total.
    pub total: usize,
    /// The gesture to perform now, once revealed (after the previous step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Gesture>,
    /// What to tell the user.
    pub hint: Hint,
}

/// Observations were not usable as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// Timestamps must strictly increase.
    #[error("observation {index} is not later than the one before it")]
    NonMonotonic {
        /// 0-based index of the offending observation.
        index: usize,
    },
    /// An observation predates the challenge.
    #[error("observation {index} predates the challenge")]
    BeforeIssue {
        /// 0-based index of the offending observation.
        index: usize,
    },
}

#[cfg(test)]
mod tests;
