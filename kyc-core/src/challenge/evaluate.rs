//! Replaying observations against a pending challenge.

use super::{
    ChallengeError, FailureReason, Gesture, Hint, Observation, Outcome, PendingChallenge, Progress,
    StepEvidence, StepState,
};
use crate::Timestamp;

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Evidence per step, in challenge order.
    pub steps: Vec<StepEvidence>,
    /// Client-safe progress.
    pub progress: Progress,
    /// `Some` once the challenge is over (passed, failed or expired).
    pub outcome: Option<Outcome>,
}

impl Evaluation {
    /// The outcome if evaluation must end now: a running challenge counts as incomplete.
    pub fn final_outcome(&self) -> Outcome {
        self.outcome.unwrap_or(Outcome::Failed {
            reason: FailureReason::Incomplete {
                completed: self.progress.completed,
                total: self.progress.total,
            },
        })
    }
}

/// Zone of one angle, with hysteresis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    Centre,
    Positive,
    Negative,
}

fn next_zone(prev: Zone, v: f32, enter: f32, exit: f32) -> Zone {
    if v >= enter {
        Zone::Positive
    } else if v <= -enter {
        Zone::Negative
    } else if v.abs() <= exit {
        Zone::Centre
    } else {
        prev
    }
}

/// The pose gesture a pair of zones shows, if any.
fn pose_gesture(yaw: Zone, pitch: Zone) -> Option<Gesture> {
    match (yaw, pitch) {
        (Zone::Positive, _) => Some(Gesture::TurnLeft),
        (Zone::Negative, _) => Some(Gesture::TurnRight),
        (_, Zone::Positive) => Some(Gesture::LookUp),
        (_, Zone::Negative) => Some(Gesture::LookDown),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy)]
enum Eyes {
    Open,
    Closed { since: Timestamp },
}

struct Replay<'a> {
    p: &'a PendingChallenge,
    steps: Vec<StepEvidence>,
    step: usize,
    /// The head has been centred since the last step: the current step is active.
    armed: bool,
    yaw: Zone,
    pitch: Zone,
    eyes: Eyes,
    baseline: Option<f32>,
    last_face: Option<Timestamp>,
    last_usable: bool,
    /// Since when, and for how many frames, the expected turn or tilt has been held.
    hold: Option<(Timestamp, u32)>,
    outcome: Option<Outcome>,
}

impl<'a> Replay<'a> {
    fn new(p: &'a PendingChallenge) -> Self {
        let t = &p.thresholds;
        let steps = p
            .sequence
            .iter()
            .enumerate()
            .map(|(i, g)| StepEvidence {
                gesture: *g,
                state: if i == 0 { StepState::Active } else { StepState::Pending },
                started_at: None,
                completed_at: None,
                observations: 0,
                peak: None,
                threshold: match g {
                    Gesture::Blink => t.eye_closed_ratio,
                    Gesture::TurnLeft | Gesture::TurnRight => t.turn_enter_deg,
                    Gesture::LookUp | Gesture::LookDown => t.pitch_enter_deg,
                },
            })
            .collect();
        Self {
            p,
            steps,
            step: 0,
            armed: false,
            yaw: Zone::Centre,
            pitch: Zone::Centre,
            eyes: Eyes::Open,
            baseline: None,
            last_face: None,
            last_usable: false,
            hold: None,
            outcome: None,
        }
    }

    fn in_pool(&self, g: Gesture) -> bool {
        self.p.sequence.contains(&g)
    }

    fn fail(&mut self, reason: FailureReason) {
        self.outcome = Some(Outcome::Failed { reason });
    }

    /// Updates the eye state; returns whether a blink (closed → open) completed now,
    /// with the time the eyes closed.
    fn track_eyes(&mut self, o: &Observation) -> Option<Timestamp> {
        let t = &self.p.thresholds;
        let avg = (o.left_eye_open + o.right_eye_open) / 2.0;
        let base = self.baseline.unwrap_or(avg);
        match self.eyes {
            Eyes::Open => {
                if base >= t.min_eye_baseline && avg < base * t.eye_closed_ratio {
                    self.eyes = Eyes::Closed { since: o.at };
                } else {
                    // slowly decaying maximum of open-eye frames
                    self.baseline = Some(avg.max(base * 0.98));
                }
                None
            }
            Eyes::Closed { since } => {
                if avg > base * t.eye_open_ratio {
                    self.eyes = Eyes::Open;
                    let closed_ms = o.at.millis_since(since);
                    (closed_ms >= t.blink_min_ms && closed_ms <= t.blink_max_ms).then_some(since)
                } else {
                    None
                }
            }
        }
    }

    fn observe(&mut self, o: &Observation) {
        if let Some(last) = self.last_face {
            let gap = o.at.millis_since(last);
            if gap > self.p.max_gap_ms {
                return self.fail(FailureReason::FaceLost { gap_ms: gap });
            }
        }
        self.last_usable = o.usable();
        if !self.last_usable {
            self.hold = None;
            return;
        }
        self.last_face = Some(o.at);
        let t = self.p.thresholds;
        self.yaw = next_zone(self.yaw, o.yaw_deg, t.turn_enter_deg, t.turn_exit_deg);
        self.pitch = next_zone(self.pitch, o.pitch_deg, t.pitch_enter_deg, t.pitch_exit_deg);
        let blink_closed_at = self.track_eyes(o);
        let Some(&expected) = self.p.sequence.get(self.step) else { return };

        if !self.armed {
            if self.yaw == Zone::Centre && self.pitch == Zone::Centre {
                self.armed = true;
                self.steps[self.step].started_at = Some(o.at);
            }
            return;
        }

        let seen = pose_gesture(self.yaw, self.pitch);
        let wrong = seen.filter(|s| *s != expected && self.in_pool(*s));
        self.hold = match (seen == Some(expected), self.hold) {
            (true, Some((since, n))) => Some((since, n + 1)),
            (true, None) => Some((o.at, 1)),
            (false, _) => None,
        };
        let held = self.hold.is_some_and(|(since, n)| {
            n >= t.min_hold_frames && o.at.millis_since(since) >= t.min_hold_ms
        });
        let step_index = self.step;
        let step = &mut self.steps[step_index];
        step.observations += 1;
        let avg = (o.left_eye_open + o.right_eye_open) / 2.0;
        let measure = match expected {
            Gesture::TurnLeft => o.yaw_deg,
            Gesture::TurnRight => -o.yaw_deg,
            Gesture::LookUp => o.pitch_deg,
            Gesture::LookDown => -o.pitch_deg,
            Gesture::Blink => avg / self.baseline.unwrap_or(1.0).max(f32::EPSILON),
        };
        step.peak = Some(match (step.peak, expected) {
            (None, _) => measure,
            (Some(p), Gesture::Blink) => p.min(measure),
            (Some(p), _) => p.max(measure),
        });

        if let Some(observed) = wrong {
            let reason = FailureReason::WrongGesture { step: step_index, expected, observed };
            return self.fail(reason);
        }
        let done = match (expected, seen) {
            (Gesture::Blink, None) => blink_closed_at.is_some_and(|c| Some(c) >= step.started_at),
            (e, Some(s)) => s == e && held,
            _ => false,
        };
        if done {
            self.hold = None;
            step.state = StepState::Done;
            step.completed_at = Some(o.at);
            self.step += 1;
            self.armed = false;
            if let Some(next) = self.steps.get_mut(self.step) {
                next.state = StepState::Active;
            } else {
                self.outcome = Some(Outcome::Passed { completed_at: o.at });
            }
        }
    }

    fn finish(mut self, now: Timestamp) -> Evaluation {
        let total = self.steps.len();
        if self.outcome.is_none() && now > self.p.deadline {
            self.fail(FailureReason::Expired { completed: self.step, total });
        }
        let next = self.p.sequence.get(self.step).copied();
        let hint = match (&self.outcome, next) {
            // over, either way: nothing more to perform, ask `/verify`
            (Some(_), _) | (_, None) => Hint::Done,
            _ if !self.last_usable => Hint::ShowFace,
            _ if !self.armed => Hint::FaceCamera,
            (_, Some(g)) => Hint::Perform(g),
        };
        Evaluation {
            progress: Progress { completed: self.step, total, next, hint },
            steps: self.steps,
            outcome: self.outcome,
        }
    }
}

/// Replays `observations` (oldest first) against the challenge, as of `now`.
///
/// Observations after the deadline are not counted. Returns an error, without
/// judging, if the timestamps are not strictly increasing or predate the challenge.
pub fn evaluate(
    pending: &PendingChallenge,
    observations: &[Observation],
    now: Timestamp,
) -> Result<Evaluation, ChallengeError> {
    let mut prev: Option<Timestamp> = None;
    for (index, o) in observations.iter().enumerate() {
        if o.at < pending.issued_at {
            return Err(ChallengeError::BeforeIssue { index });
        }
        if prev.is_some_and(|p| o.at <= p) {
            return Err(ChallengeError::NonMonotonic { index });
        }
        prev = Some(o.at);
    }
    let mut replay = Replay::new(pending);
    for o in observations {
        if replay.outcome.is_some() {
            break;
        }
        if o.at > pending.deadline {
            let (completed, total) = (replay.step, replay.steps.len());
            replay.fail(FailureReason::Expired { completed, total });
            break;
        }
        replay.observe(o);
    }
    Ok(replay.finish(now))
}
