//! Whether the face in a session has depth.
//!
//! When a real head turns, its nose tip leaves the plane of the eyes and the
//! mouth corners: mapped from a frontal frame by the homography of those
//! four points, the nose lands visibly off the place it really is
//! (*parallax*). A photo, a print, a screen, or one still warped to fake a
//! turn is a plane: every landmark follows the same homography and the
//! parallax stays at the landmark detector's noise. The rule judges the
//! frames turned far enough to count toward a turn, so a flat face cannot
//! complete a turn even where the pose estimator is fooled.

use crate::face::{Landmarks, Point};
use serde::{Deserialize, Serialize};

/// The depth rule: frames turned at least `min_yaw_deg` must show a median
/// parallax of at least `min_parallax` eye distances.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Depth {
    /// Frames whose |yaw| reaches this (degrees) are measured.
    pub min_yaw_deg: f32,
    /// Median parallax the measured frames must reach, in eye distances.
    pub min_parallax: f32,
}

impl Default for Depth {
    /// Calibrated on the shared footage and on warped stills
    /// (`docs/liveness-integrity.md`).
    fn default() -> Self {
        Self { min_yaw_deg: 20.0, min_parallax: 0.15 }
    }
}

/// What the depth rule measured over a session.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepthEvidence {
    /// Turned frames measured.
    pub frames_measured: u32,
    /// Their median parallax, in eye distances (none when no frame was turned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_parallax: Option<f32>,
    /// The median the rule asks for.
    pub min_parallax: f32,
}

impl DepthEvidence {
    /// True when turned frames were measured and they lie on one plane.
    pub fn is_flat(&self) -> bool {
        self.median_parallax.is_some_and(|m| m < self.min_parallax)
    }
}

impl Depth {
    /// Measures the frames (yaw in degrees, landmarks) against the frontal
    /// `reference`.
    pub fn measure(&self, reference: &Landmarks, frames: &[(f32, Landmarks)]) -> DepthEvidence {
        let mut values: Vec<f32> = frames
            .iter()
            .filter(|(yaw, _)| yaw.abs() >= self.min_yaw_deg)
            .filter_map(|(_, l)| parallax(reference, l))
            .collect();
        values.sort_by(f32::total_cmp);
        let median = match values.len() {
            0 => None,
            n if n % 2 == 1 => Some(values[n / 2]),
            n => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
        };
        DepthEvidence {
            frames_measured: values.len() as u32,
            median_parallax: median,
            min_parallax: self.min_parallax,
        }
    }

    /// Whether the rule's values make sense (used when loading configuration).
    pub fn is_valid(&self) -> bool {
        (0.0..90.0).contains(&self.min_yaw_deg) && (0.0..2.0).contains(&self.min_parallax)
    }
}

/// How far, in the frame's eye distances, the nose tip lies from where the
/// homography of the eyes and mouth corners (`reference` → `frame`) puts
/// it. `None` when the four points are degenerate (collinear, coincident).
pub fn parallax(reference: &Landmarks, frame: &Landmarks) -> Option<f32> {
    let corners = |l: &Landmarks| {
        [l.eye_image_left, l.eye_image_right, l.mouth_image_left, l.mouth_image_right]
    };
    let h = homography(&corners(reference), &corners(frame))?;
    let (px, py) = apply(&h, reference.nose)?;
    let eyes = distance(frame.eye_image_left, frame.eye_image_right);
    if eyes.is_nan() || eyes <= 1e-3 {
        return None;
    }
    let off =
        ((px - f64::from(frame.nose.x)).powi(2) + (py - f64::from(frame.nose.y)).powi(2)).sqrt();
    let p = (off / eyes) as f32;
    p.is_finite().then_some(p)
}

fn distance(a: Point, b: Point) -> f64 {
    (f64::from(a.x) - f64::from(b.x)).hypot(f64::from(a.y) - f64::from(b.y))
}

/// The homography (h33 = 1) taking four `src` points to four `dst` points.
fn homography(src: &[Point; 4], dst: &[Point; 4]) -> Option<[f64; 8]> {
    let mut m = [[0f64; 9]; 8];
    for (i, (s, d)) in src.iter().zip(dst).enumerate() {
        let (x, y, u, v) = (f64::from(s.x), f64::from(s.y), f64::from(d.x), f64::from(d.y));
        m[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        m[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    solve(m)
}

/// Gaussian elimination with partial pivoting on an 8×8 system (augmented).
fn solve(mut m: [[f64; 9]; 8]) -> Option<[f64; 8]> {
    let scale = m.iter().flat_map(|r| r[..8].iter()).fold(0f64, |a, v| a.max(v.abs()));
    if scale.is_nan() || scale <= 0.0 {
        return None;
    }
    for col in 0..8 {
        let pivot = (col..8).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[pivot][col].abs() < 1e-9 * scale {
            return None;
        }
        m.swap(col, pivot);
        let pivot_row = m[col];
        for (row, r) in m.iter_mut().enumerate() {
            if row != col {
                let f = r[col] / pivot_row[col];
                for (v, p) in r[col..].iter_mut().zip(&pivot_row[col..]) {
                    *v -= f * p;
                }
            }
        }
    }
    let mut h = [0f64; 8];
    for (i, v) in h.iter_mut().enumerate() {
        *v = m[i][8] / m[i][i];
    }
    h.iter().all(|v| v.is_finite()).then_some(h)
}

fn apply(h: &[f64; 8], p: Point) -> Option<(f64, f64)> {
    let (x, y) = (f64::from(p.x), f64::from(p.y));
    let w = h[6] * x + h[7] * y + 1.0;
    if w.abs() < 1e-9 {
        return None;
    }
    Some(((h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f32, y: f32) -> Point {
        Point { x, y }
    }

    /// The landmarks of frame 0012 (frontal) of the shared turn clip.
    fn frontal() -> Landmarks {
        Landmarks {
            eye_image_left: p(276.5, 144.4),
            eye_image_right: p(362.8, 145.2),
            nose: p(319.7, 187.5),
            mouth_image_left: p(286.8, 227.9),
            mouth_image_right: p(359.2, 226.3),
        }
    }

    fn map(l: &Landmarks, f: impl Fn(Point) -> Point) -> Landmarks {
        Landmarks {
            eye_image_left: f(l.eye_image_left),
            eye_image_right: f(l.eye_image_right),
            nose: f(l.nose),
            mouth_image_left: f(l.mouth_image_left),
            mouth_image_right: f(l.mouth_image_right),
        }
    }

    /// A plane seen from another angle: a perspective map of the image.
    fn tilted(l: &Landmarks, k: f32) -> Landmarks {
        map(l, |q| {
            let w = 1.0 + k * (q.x - 320.0);
            p(320.0 + 0.8 * (q.x - 320.0) / w, 240.0 + (q.y - 240.0) / w)
        })
    }

    #[test]
    fn a_plane_has_no_parallax_whatever_the_warp() {
        for k in [-0.0008, -0.0003, 0.0, 0.0004, 0.0009] {
            let v = parallax(&frontal(), &tilted(&frontal(), k)).unwrap();
            assert!(v < 1e-3, "k={k}: {v}");
        }
        let moved = map(&frontal(), |q| p(q.x * 1.3 + 40.0, q.y * 1.3 - 10.0));
        assert!(parallax(&frontal(), &moved).unwrap() < 1e-3);
    }

    #[test]
    fn a_nose_off_the_plane_is_measured_in_eye_distances() {
        let mut turned = tilted(&frontal(), 0.0005);
        let eyes = distance(turned.eye_image_left, turned.eye_image_right) as f32;
        turned.nose.x += 0.3 * eyes;
        let v = parallax(&frontal(), &turned).unwrap();
        assert!((v - 0.3).abs() < 1e-3, "{v}");
    }

    /// Real turns of the shared clip (frames 0001, 0016 and 0028 against
    /// 0012, as `kyc face inspect --live` measured them): depth.
    #[test]
    fn the_real_turn_clip_has_depth() {
        let l = |e: [f32; 4], n: [f32; 2], m: [f32; 4]| Landmarks {
            eye_image_left: p(e[0], e[1]),
            eye_image_right: p(e[2], e[3]),
            nose: p(n[0], n[1]),
            mouth_image_left: p(m[0], m[1]),
            mouth_image_right: p(m[2], m[3]),
        };
        let turned = [
            (-42.3, l([203.9, 140.5, 258.5, 140.6], [197.6, 184.7], [202.8, 228.7, 252.8, 232.7])),
            (30.2, l([351.9, 146.2, 424.0, 145.4], [408.3, 193.9], [355.9, 239.8, 419.8, 241.4])),
            (-23.4, l([239.6, 144.7, 310.2, 150.7], [256.4, 186.9], [239.5, 226.8, 298.1, 231.3])),
        ];
        for (yaw, t) in &turned {
            let v = parallax(&frontal(), t).unwrap();
            assert!(v > 0.15, "yaw {yaw}: {v}");
        }
        let e = Depth::default().measure(&frontal(), &turned);
        assert_eq!(e.frames_measured, 3);
        assert!(!e.is_flat(), "{e:?}");
    }

    #[test]
    fn flat_turned_frames_are_flat_and_frontal_ones_are_not_measured() {
        let d = Depth::default();
        let flat: Vec<_> =
            [-0.0006f32, 0.0006, 0.0008].iter().map(|k| (25.0, tilted(&frontal(), *k))).collect();
        let e = d.measure(&frontal(), &flat);
        assert_eq!(e.frames_measured, 3);
        assert!(e.is_flat());
        let frontal_only = [(5.0, frontal()), (-12.0, tilted(&frontal(), 0.0002))];
        let e = d.measure(&frontal(), &frontal_only);
        assert_eq!((e.frames_measured, e.median_parallax), (0, None));
        assert!(!e.is_flat());
    }

    #[test]
    fn degenerate_landmarks_give_none_never_nan() {
        let same = map(&frontal(), |_| p(10.0, 10.0));
        assert_eq!(parallax(&same, &frontal()), None);
        assert_eq!(parallax(&frontal(), &same), None);
        let nan = map(&frontal(), |_| p(f32::NAN, 1.0));
        assert_eq!(parallax(&frontal(), &nan), None);
    }
}
