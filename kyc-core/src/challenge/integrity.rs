//! Whether a session's frames can come from one live camera watching one
//! person: server-side frame timing against the client's clock, and the
//! continuity of the tracked face from frame to frame.
//!
//! Both rules judge evidence the server measured (receive times, face
//! boxes); neither looks at pixels. Identity (one face throughout) is the
//! face engine's comparison; these rules make sure no frame can slip into a
//! gesture between compared frames by a jump of the face or of the clock.

use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// Frame-timing rules, enforced as each frame arrives.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FrameTiming {
    /// Largest allowed difference, in milliseconds, between the time elapsed
    /// since the session's first frame on the client's clock (`capturedAt`)
    /// and on the server's (receive time).
    pub max_clock_drift_ms: i64,
    /// Shortest time between two frames' arrivals on the server, in
    /// milliseconds (a camera sends at most 1000/this frames per second).
    pub min_interval_ms: i64,
}

impl Default for FrameTiming {
    /// 1.5 s of drift, 25 ms between frames (40 fps; the widget sends 8).
    fn default() -> Self {
        Self { max_clock_drift_ms: 1_500, min_interval_ms: 25 }
    }
}

/// When one frame was captured (client) and received (server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameTimes {
    /// The client's `capturedAt`.
    pub captured: Timestamp,
    /// The server's receive time.
    pub received: Timestamp,
}

/// Why a frame's timing was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimingViolation {
    /// The client's clock ran ahead of or behind the server's.
    #[error("client and server clocks drifted {drift_ms} ms apart during the session")]
    ClockDrift {
        /// Client elapsed minus server elapsed, in milliseconds.
        drift_ms: i64,
    },
    /// Frames arrive faster than a camera sends them.
    #[error("a frame arrived {interval_ms} ms after the previous one")]
    TooFast {
        /// Time since the previous frame's arrival, in milliseconds.
        interval_ms: i64,
    },
}

impl FrameTiming {
    /// Checks a new frame against the session's first and latest frames.
    pub fn check(
        &self,
        first: Option<FrameTimes>,
        latest: Option<FrameTimes>,
        this: FrameTimes,
    ) -> Result<(), TimingViolation> {
        if let Some(l) = latest {
            let interval_ms = this.received.millis_since(l.received);
            if interval_ms < self.min_interval_ms {
                return Err(TimingViolation::TooFast { interval_ms });
            }
        }
        if let Some(f) = first {
            let drift_ms =
                this.captured.millis_since(f.captured) - this.received.millis_since(f.received);
            if drift_ms.abs() > self.max_clock_drift_ms {
                return Err(TimingViolation::ClockDrift { drift_ms });
            }
        }
        Ok(())
    }
}

/// Where the face is in a frame, in units of the image width: centre
/// relative to the image centre, and face width.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FacePlacement {
    /// Horizontal offset of the face centre from the image centre.
    pub x: f32,
    /// Vertical offset of the face centre from the image centre.
    pub y: f32,
    /// Face width.
    pub width: f32,
}

/// How far a tracked face may move between two frames and still be the same
/// face: `base + per_second × gap` face widths of travel, and a size ratio of
/// `max_scale + scale_per_second × gap`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Continuity {
    /// Travel allowed between frames however close in time, in face widths.
    pub max_shift: f32,
    /// Travel allowed per second of gap, in face widths.
    pub shift_per_second: f32,
    /// Size ratio (larger / smaller) allowed between frames however close.
    pub max_scale: f32,
    /// Extra size ratio allowed per second of gap.
    pub scale_per_second: f32,
}

impl Default for Continuity {
    /// Calibrated on the shared real footage (`docs/liveness-integrity.md`).
    fn default() -> Self {
        Self { max_shift: 0.35, shift_per_second: 1.5, max_scale: 1.25, scale_per_second: 1.0 }
    }
}

/// A place where the tracked face jumped: a new face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jump {
    /// Index (in the slice given) of the frame the face jumped to.
    pub index: usize,
    /// Travel since the previous face, in face widths.
    pub shift: f32,
    /// Size ratio to the previous face (≥ 1).
    pub scale: f32,
}

impl Continuity {
    /// Travel (face widths) and size ratio between two placements.
    pub fn step(a: FacePlacement, b: FacePlacement) -> (f32, f32) {
        let w = (a.width + b.width) / 2.0;
        let shift = if w > 0.0 { (b.x - a.x).hypot(b.y - a.y) / w } else { f32::INFINITY };
        let (lo, hi) = if a.width <= b.width { (a.width, b.width) } else { (b.width, a.width) };
        let scale = if lo > 0.0 { hi / lo } else { f32::INFINITY };
        (shift, scale)
    }

    /// The first jump between consecutive face-present frames (oldest
    /// first), or `None` when the face moves like one face.
    pub fn first_jump(&self, frames: &[(Timestamp, FacePlacement)]) -> Option<Jump> {
        frames.windows(2).enumerate().find_map(|(i, w)| {
            let gap_s = w[1].0.millis_since(w[0].0).max(0) as f32 / 1000.0;
            let (shift, scale) = Self::step(w[0].1, w[1].1);
            let too_far = shift > self.max_shift + self.shift_per_second * gap_s;
            let too_scaled = scale > self.max_scale + self.scale_per_second * gap_s;
            (too_far || too_scaled).then_some(Jump { index: i + 1, shift, scale })
        })
    }

    /// The largest travel and size ratio between consecutive frames, for evidence.
    pub fn extremes(frames: &[(Timestamp, FacePlacement)]) -> (f32, f32) {
        frames.windows(2).fold((0.0f32, 1.0f32), |(s, k), w| {
            let (shift, scale) = Self::step(w[0].1, w[1].1);
            (s.max(shift), k.max(scale))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(1_800_000_000_000 + ms)
    }

    fn times(c: i64, s: i64) -> FrameTimes {
        FrameTimes { captured: at(c), received: at(s) }
    }

    #[test]
    fn timing_follows_the_server_clock() {
        let t = FrameTiming::default();
        let first = times(0, 40);
        assert_eq!(t.check(None, None, first), Ok(()));
        // 8 fps, steady 40 ms upload delay
        assert_eq!(t.check(Some(first), Some(times(875, 915)), times(1000, 1040)), Ok(()));
        // a recorded sequence uploaded in a burst: claimed 66 ms apart, received 30 ms apart
        let burst = (0..60).map(|i| times(i * 66, 40 + i * 30));
        let refused = burst
            .clone()
            .zip(burst.skip(1))
            .find_map(|(prev, this)| t.check(Some(first), Some(prev), this).err());
        assert!(
            matches!(refused, Some(TimingViolation::ClockDrift { drift_ms }) if drift_ms > 1500)
        );
        assert_eq!(
            t.check(Some(first), Some(times(100, 140)), times(110, 150)),
            Err(TimingViolation::TooFast { interval_ms: 10 })
        );
        // a client clock running slow is drift too
        assert!(t.check(Some(first), None, times(1000, 3000)).is_err());
    }

    #[test]
    fn a_face_that_jumps_is_a_new_face() {
        let c = Continuity::default();
        let p = |x: f32, width: f32| FacePlacement { x, y: 0.0, width };
        // a head drifting across the frame at 8 fps
        let steady: Vec<_> = (0..20).map(|i| (at(i * 125), p(i as f32 * 0.01, 0.25))).collect();
        assert_eq!(c.first_jump(&steady), None);
        // another face in another place
        let mut spliced = steady.clone();
        spliced[10].1 = p(0.3, 0.25);
        assert_eq!(c.first_jump(&spliced).map(|j| j.index), Some(10));
        // another face of another size in the same place
        let mut resized = steady.clone();
        resized[5].1 = p(0.05, 0.4);
        assert_eq!(c.first_jump(&resized).map(|j| j.index), Some(5));
        // a long gap allows more movement
        let gap = vec![(at(0), p(0.0, 0.25)), (at(1000), p(0.3, 0.25))];
        assert_eq!(c.first_jump(&gap), None);
        let (shift, scale) = Continuity::extremes(&spliced);
        assert!(shift > 0.8 && (scale - 1.0).abs() < 1e-6, "{shift} {scale}");
    }
}
