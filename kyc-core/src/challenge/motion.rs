//! Natural motion between frames.
//!
//! A live face in front of a camera never holds still: between two frames
//! the face region changes by breathing, tremor, blinks and sensor noise. A
//! still photo sent again and again (re-encoded, or with a little noise added
//! so its bytes differ) changes only by compression noise. The face region
//! of consecutive face-present frames is cut out at the **same place** in
//! both (a square around the earlier frame's landmarks), shrunk to
//! [`THUMB`]×[`THUMB`] cells of mean luma, centred on its mean brightness,
//! and compared cell by cell ([`face_region_change`], mean absolute
//! difference in grey levels). Pairs below [`Motion::near_identical_below`]
//! are near-identical; more than [`Motion::max_near_identical_pairs`] of them
//! and the session shows a still, not a person. The landmarks' own travel
//! ([`landmark_motion`], in eye distances) is reported beside it as
//! evidence; it overlaps between stills and people pair by pair, so no rule
//! reads it.

use crate::face::{Landmarks, Point};
use serde::{Deserialize, Serialize};

/// Side of the thumbnail the face region is reduced to, in cells.
pub const THUMB: usize = 16;

/// Side of the square cut around the landmarks, in eye distances.
const CROP_EYE_DISTANCES: f32 = 2.5;

/// An 8-bit grey image borrowed from a decoded frame.
#[derive(Debug, Clone, Copy)]
pub struct Grey<'a> {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major luma, `width * height` bytes.
    pub pixels: &'a [u8],
}

/// The still-frames rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Motion {
    /// A pair of consecutive face-present frames whose face region changes
    /// less than this (mean absolute difference of the centred thumbnail,
    /// grey levels) is near-identical.
    pub near_identical_below: f32,
    /// Near-identical pairs a session may contain.
    pub max_near_identical_pairs: u32,
}

impl Default for Motion {
    /// Calibrated on the shared footage and on re-encoded stills
    /// (`docs/liveness-integrity.md`).
    fn default() -> Self {
        Self { near_identical_below: 0.6, max_near_identical_pairs: 1 }
    }
}

impl Motion {
    /// Whether the rule's values are usable.
    pub fn is_valid(&self) -> bool {
        self.near_identical_below.is_finite() && (0.0..64.0).contains(&self.near_identical_below)
    }

    /// Judges the measured pairs: `(face region change, landmark motion)` per
    /// pair of consecutive face-present frames, either absent when it could
    /// not be measured.
    pub fn measure(&self, pairs: &[(Option<f32>, Option<f32>)]) -> MotionEvidence {
        let mut region: Vec<f32> = pairs.iter().filter_map(|p| p.0).collect();
        let mut marks: Vec<f32> = pairs.iter().filter_map(|p| p.1).collect();
        let near_identical = region.iter().filter(|c| **c < self.near_identical_below).count();
        MotionEvidence {
            pairs: region.len() as u32,
            near_identical: near_identical as u32,
            min_change: region.iter().copied().reduce(f32::min),
            median_change: median(&mut region),
            median_landmark_motion: median(&mut marks),
            near_identical_below: self.near_identical_below,
            max_near_identical_pairs: self.max_near_identical_pairs,
        }
    }
}

/// What the still-frames rule measured over a session.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MotionEvidence {
    /// Pairs of consecutive face-present frames measured.
    pub pairs: u32,
    /// Of those, near-identical.
    pub near_identical: u32,
    /// The smallest face-region change (grey levels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_change: Option<f32>,
    /// The median face-region change (grey levels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_change: Option<f32>,
    /// The median landmark travel between frames (eye distances).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_landmark_motion: Option<f32>,
    /// The rule's near-identical bound.
    pub near_identical_below: f32,
    /// The rule's allowance.
    pub max_near_identical_pairs: u32,
}

impl MotionEvidence {
    /// True when the session holds more near-identical pairs than allowed.
    pub fn is_still(&self) -> bool {
        self.near_identical > self.max_near_identical_pairs
    }
}

fn median(v: &mut [f32]) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(v[v.len() / 2])
}

fn eye_distance(l: &Landmarks) -> f32 {
    let (a, b) = (l.eye_image_left, l.eye_image_right);
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// The square face region of `at`: centre and side in pixels.
fn crop_of(at: &Landmarks) -> Option<(Point, f32)> {
    let pts = at.points();
    let n = pts.len() as f32;
    let centre = Point {
        x: pts.iter().map(|p| p.x).sum::<f32>() / n,
        y: pts.iter().map(|p| p.y).sum::<f32>() / n,
    };
    let side = eye_distance(at) * CROP_EYE_DISTANCES;
    (centre.x.is_finite() && centre.y.is_finite() && side.is_finite() && side >= THUMB as f32)
        .then_some((centre, side))
}

/// The region `(centre, side)` of `img` as `THUMB`² cell means, centred on
/// their mean; `None` when the region lies outside the image or the buffer
/// does not match its size.
fn thumbnail(img: &Grey<'_>, centre: Point, side: f32) -> Option<[f32; THUMB * THUMB]> {
    let (w, h) = (img.width as usize, img.height as usize);
    if w == 0 || h == 0 || img.pixels.len() != w * h {
        return None;
    }
    let x0 = centre.x - side / 2.0;
    let y0 = centre.y - side / 2.0;
    let cell = side / THUMB as f32;
    let mut out = [0f32; THUMB * THUMB];
    for cy in 0..THUMB {
        let ya = ((y0 + cy as f32 * cell).floor().max(0.0) as usize).min(h);
        let yb = ((y0 + (cy + 1) as f32 * cell).floor().max(0.0) as usize).min(h);
        for cx in 0..THUMB {
            let xa = ((x0 + cx as f32 * cell).floor().max(0.0) as usize).min(w);
            let xb = ((x0 + (cx + 1) as f32 * cell).floor().max(0.0) as usize).min(w);
            if ya >= yb || xa >= xb {
                return None;
            }
            let sum: u64 = (ya..yb)
                .map(|y| {
                    img.pixels[y * w + xa..y * w + xb].iter().map(|p| u64::from(*p)).sum::<u64>()
                })
                .sum();
            out[cy * THUMB + cx] = sum as f32 / ((yb - ya) * (xb - xa)) as f32;
        }
    }
    let mean = out.iter().sum::<f32>() / out.len() as f32;
    out.iter_mut().for_each(|v| *v -= mean);
    Some(out)
}

/// How much the face region changed from `prev` to `cur`, both cut where
/// `prev_landmarks` put the face (grey levels, mean absolute difference of
/// the centred thumbnails); `None` when the region cannot be cut from both.
pub fn face_region_change(
    prev: &Grey<'_>,
    cur: &Grey<'_>,
    prev_landmarks: &Landmarks,
) -> Option<f32> {
    let (centre, side) = crop_of(prev_landmarks)?;
    let a = thumbnail(prev, centre, side)?;
    let b = thumbnail(cur, centre, side)?;
    Some(a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32)
}

/// Mean travel of the five landmarks from `a` to `b`, in `a`'s eye distances.
pub fn landmark_motion(a: &Landmarks, b: &Landmarks) -> Option<f32> {
    let d = eye_distance(a);
    if !(d.is_finite() && d > 0.0) {
        return None;
    }
    let (pa, pb) = (a.points(), b.points());
    let travel: f32 =
        pa.iter().zip(&pb).map(|(p, q)| ((p.x - q.x).powi(2) + (p.y - q.y).powi(2)).sqrt()).sum();
    let m = travel / pa.len() as f32 / d;
    m.is_finite().then_some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(dx: f32) -> Landmarks {
        let p = |x: f32, y: f32| Point { x: x + dx, y };
        Landmarks {
            eye_image_left: p(40.0, 40.0),
            eye_image_right: p(80.0, 40.0),
            nose: p(60.0, 60.0),
            mouth_image_left: p(45.0, 80.0),
            mouth_image_right: p(75.0, 80.0),
        }
    }

    /// A textured 128×128 image, shifted right by `shift` pixels, plus `noise`.
    fn image(shift: usize, noise: u8, seed: u32) -> Vec<u8> {
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        (0..128 * 128)
            .map(|i| {
                let (x, y) = ((i % 128usize).saturating_sub(shift), i / 128);
                let base = ((x * 7 + y * 13) % 97) as i32 * 2 + ((x / 9 + y / 11) % 2) as i32 * 40;
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                let n = if noise == 0 {
                    0
                } else {
                    (s % (2 * u32::from(noise) + 1)) as i32 - i32::from(noise)
                };
                (base + n).clamp(0, 255) as u8
            })
            .collect()
    }

    fn grey(p: &[u8]) -> Grey<'_> {
        Grey { width: 128, height: 128, pixels: p }
    }

    #[test]
    fn the_same_image_does_not_change_and_a_moved_one_does() {
        let a = image(0, 0, 1);
        let noisy = image(0, 1, 2);
        let moved = image(2, 0, 3);
        let m = marks(0.0);
        assert_eq!(face_region_change(&grey(&a), &grey(&a), &m), Some(0.0));
        let n = face_region_change(&grey(&a), &grey(&noisy), &m).unwrap();
        let s = face_region_change(&grey(&a), &grey(&moved), &m).unwrap();
        assert!(n < 0.6, "±1 noise is near-identical: {n}");
        assert!(s > 2.0, "a 2-pixel move is motion: {s}");
    }

    #[test]
    fn regions_outside_the_image_or_wrong_buffers_are_not_measured() {
        let a = image(0, 0, 1);
        assert_eq!(face_region_change(&grey(&a), &grey(&a), &marks(500.0)), None);
        let short = Grey { width: 128, height: 128, pixels: &a[..100] };
        assert_eq!(face_region_change(&short, &grey(&a), &marks(0.0)), None);
        let tiny = Landmarks { eye_image_right: Point { x: 41.0, y: 40.0 }, ..marks(0.0) };
        assert_eq!(face_region_change(&grey(&a), &grey(&a), &tiny), None);
    }

    #[test]
    fn landmark_motion_is_in_eye_distances() {
        assert_eq!(landmark_motion(&marks(0.0), &marks(4.0)), Some(0.1));
        let collapsed = Landmarks { eye_image_right: Point { x: 40.0, y: 40.0 }, ..marks(0.0) };
        assert_eq!(landmark_motion(&collapsed, &marks(0.0)), None);
    }

    #[test]
    fn more_near_identical_pairs_than_allowed_is_a_still() {
        let rule = Motion::default();
        let live =
            rule.measure(&[(Some(2.0), Some(0.05)), (Some(0.3), None), (Some(3.0), Some(0.1))]);
        assert!(!live.is_still(), "one near-identical pair is allowed");
        assert_eq!((live.pairs, live.near_identical), (3, 1));
        assert_eq!(live.min_change, Some(0.3));
        assert_eq!(live.median_change, Some(2.0));
        let still = rule.measure(&[(Some(0.2), Some(0.01)), (Some(0.3), Some(0.0)), (None, None)]);
        assert!(still.is_still());
        assert_eq!(still.pairs, 2);
        let none = rule.measure(&[]);
        assert!(!none.is_still());
        assert_eq!(none.median_change, None);
    }
}
