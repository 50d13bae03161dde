//! PP-OCRv4 text detection (DBNet): a probability map of "text here", turned
//! into rotated line boxes.
//!
//! Input `[1, 3, H, W]` BGR, ImageNet mean/std on 0–1 values, H and W
//! multiples of 32; output `[1, 1, H, W]` probabilities. Post-processing as
//! PaddleOCR's `DBPostProcess`: threshold 0.3, connected components, box
//! score (mean probability) ≥ 0.5, then "unclip" — the network predicts
//! shrunk text kernels, so each box grows by `area · 1.6 / perimeter`.
//! Instead of one minimum-area rectangle per component, the page's skew is
//! estimated once from the long components (documents are flat, so all lines
//! share it) and every box is measured in that rotated frame: short boxes
//! (`1.`, `M`) get the page's angle instead of a noisy one of their own.

use crate::{
    VisionError,
    onnx::{Parsed, PlanCache},
};
use image::{RgbImage, imageops::FilterType};

/// Probability above which a pixel is text.
const BINARY_THRESHOLD: f32 = 0.3;
/// Mean probability a component needs to be kept.
const BOX_THRESHOLD: f32 = 0.5;
/// How much a kernel grows back into a text box.
const UNCLIP_RATIO: f32 = 1.6;
/// Smallest box side kept, in detector pixels.
const MIN_SIDE: f32 = 3.0;

/// A text box in image pixels: centre, size along/across the text, and the
/// page skew it is measured in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TextBox {
    pub(crate) cx: f32,
    pub(crate) cy: f32,
    pub(crate) width: f32,
    pub(crate) height: f32,
    pub(crate) score: f32,
}

/// Detection result: boxes and the page skew (radians, positive = clockwise
/// in image coordinates, i.e. text rising to the left).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Detected {
    pub(crate) boxes: Vec<TextBox>,
    pub(crate) skew: f32,
}

#[derive(Debug)]
pub(crate) struct TextDetector {
    plans: PlanCache,
    /// Long side of the detector input (landscape `long × short`).
    long: usize,
    short: usize,
}

impl TextDetector {
    pub(crate) fn new(parsed: Parsed, long: usize, short: usize) -> Self {
        Self { plans: PlanCache::new(parsed), long, short }
    }

    /// Builds the plan for landscape pages ahead of the first request.
    pub(crate) fn warm(&self) -> Result<(), VisionError> {
        self.plans.get(&[1, 3, self.short, self.long]).map(|_| ())
    }

    pub(crate) fn detect(&self, img: &RgbImage) -> Result<Detected, VisionError> {
        let (iw, ih) = (img.width() as usize, img.height() as usize);
        let (h, w) = if iw >= ih { (self.short, self.long) } else { (self.long, self.short) };
        let scale = (w as f32 / iw as f32).min(h as f32 / ih as f32);
        let (rw, rh) = (
            ((iw as f32 * scale).round() as u32).max(1),
            ((ih as f32 * scale).round() as u32).max(1),
        );
        let resized = image::imageops::resize(img, rw, rh, FilterType::Triangle);
        let input = normalise(&resized, w, h);
        let out = self.plans.get(&[1, 3, h, w])?.run(input)?;
        let prob = out
            .into_iter()
            .next()
            .ok_or_else(|| crate::onnx::inference_err("text detector returned nothing"))?;
        if prob.len() != w * h {
            return Err(crate::onnx::inference_err("unexpected detector output"));
        }
        Ok(post_process(&prob, w, rw as usize, rh as usize, scale))
    }
}

/// BGR, `(x/255 − mean)/std`, zero-padded to `w × h` (top-left aligned).
fn normalise(img: &RgbImage, w: usize, h: usize) -> Vec<f32> {
    const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
    const STD: [f32; 3] = [0.229, 0.224, 0.225];
    let plane = w * h;
    let mut buf = vec![0.0f32; plane * 3];
    for (x, y, p) in img.enumerate_pixels() {
        let i = y as usize * w + x as usize;
        let [r, g, b] = p.0;
        // channel order B, G, R as PaddleOCR reads images with OpenCV
        for (c, v) in [b, g, r].into_iter().enumerate() {
            buf[c * plane + i] = (f32::from(v) / 255.0 - MEAN[c]) / STD[c];
        }
    }
    buf
}

/// A connected component of the binary map.
struct Component {
    pixels: Vec<(u32, u32)>,
    prob_sum: f32,
}

/// 8-connected components of `prob > BINARY_THRESHOLD` inside the `rw × rh` region.
fn components(prob: &[f32], stride: usize, rw: usize, rh: usize) -> Vec<Component> {
    let mut seen = vec![false; rw * rh];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for y0 in 0..rh {
        for x0 in 0..rw {
            if seen[y0 * rw + x0] || prob[y0 * stride + x0] <= BINARY_THRESHOLD {
                continue;
            }
            seen[y0 * rw + x0] = true;
            stack.push((x0, y0));
            let mut c = Component { pixels: Vec::new(), prob_sum: 0.0 };
            while let Some((x, y)) = stack.pop() {
                c.pixels.push((x as u32, y as u32));
                c.prob_sum += prob[y * stride + x];
                for dy in -1i32..=1 {
                    for dx in -1i32..=1 {
                        let (nx, ny) = (x as i32 + dx, y as i32 + dy);
                        if nx < 0 || ny < 0 || nx >= rw as i32 || ny >= rh as i32 {
                            continue;
                        }
                        let (nx, ny) = (nx as usize, ny as usize);
                        if !seen[ny * rw + nx] && prob[ny * stride + nx] > BINARY_THRESHOLD {
                            seen[ny * rw + nx] = true;
                            stack.push((nx, ny));
                        }
                    }
                }
            }
            if c.pixels.len() >= 4 {
                out.push(c);
            }
        }
    }
    out
}

/// Orientation (radians) and elongation of a component from its second moments.
fn orientation(pixels: &[(u32, u32)]) -> (f32, f32) {
    let n = pixels.len() as f32;
    let (mx, my) =
        pixels.iter().fold((0.0f32, 0.0f32), |(a, b), &(x, y)| (a + x as f32, b + y as f32));
    let (mx, my) = (mx / n, my / n);
    let (mut sxx, mut syy, mut sxy) = (0.0f32, 0.0f32, 0.0f32);
    for &(x, y) in pixels {
        let (dx, dy) = (x as f32 - mx, y as f32 - my);
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let common = ((sxx - syy).powi(2) / 4.0 + sxy * sxy).sqrt();
    let (l1, l2) = ((sxx + syy) / 2.0 + common, ((sxx + syy) / 2.0 - common).max(1e-3));
    (angle, (l1 / l2).sqrt())
}

/// The page skew: median orientation of long, clearly elongated components.
fn page_skew(components: &[Component]) -> f32 {
    let mut angles: Vec<f32> = components
        .iter()
        .filter(|c| c.pixels.len() >= 150)
        .map(|c| orientation(&c.pixels))
        .filter(|&(a, e)| e >= 5.0 && a.abs() < 0.35)
        .map(|(a, _)| a)
        .collect();
    if angles.is_empty() {
        return 0.0;
    }
    angles.sort_by(f32::total_cmp);
    angles[angles.len() / 2]
}

fn post_process(prob: &[f32], stride: usize, rw: usize, rh: usize, scale: f32) -> Detected {
    let comps = components(prob, stride, rw, rh);
    let skew = page_skew(&comps);
    let (sin, cos) = skew.sin_cos();
    let mut boxes = Vec::new();
    for c in &comps {
        let score = c.prob_sum / c.pixels.len() as f32;
        if score < BOX_THRESHOLD {
            continue;
        }
        // extents in the frame rotated by −skew (u along the text, v across)
        let (mut u0, mut u1, mut v0, mut v1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for &(x, y) in &c.pixels {
            let (x, y) = (x as f32 + 0.5, y as f32 + 0.5);
            let u = x * cos + y * sin;
            let v = -x * sin + y * cos;
            u0 = u0.min(u - 0.5);
            u1 = u1.max(u + 0.5);
            v0 = v0.min(v - 0.5);
            v1 = v1.max(v + 0.5);
        }
        let (w, h) = (u1 - u0, v1 - v0);
        if w.min(h) < MIN_SIDE {
            continue;
        }
        let d = w * h * UNCLIP_RATIO / (2.0 * (w + h));
        let (w, h) = (w + 2.0 * d, h + 2.0 * d);
        if w.min(h) < MIN_SIDE + 2.0 {
            continue;
        }
        let (uc, vc) = ((u0 + u1) / 2.0, (v0 + v1) / 2.0);
        let (cx, cy) = (uc * cos - vc * sin, uc * sin + vc * cos);
        boxes.push(TextBox {
            cx: cx / scale,
            cy: cy / scale,
            width: w / scale,
            height: h / scale,
            score,
        });
    }
    Detected { boxes, skew }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A probability map with two slanted bars (text lines) and a dot.
    fn map(w: usize, h: usize, slope: f32) -> Vec<f32> {
        let mut p = vec![0.0f32; w * h];
        for (y0, x0, x1) in [(20.0, 10usize, 150usize), (50.0, 20, 120)] {
            for x in x0..x1 {
                let yc = y0 + slope * x as f32;
                for y in (yc - 3.0) as usize..=(yc + 3.0) as usize {
                    p[y * w + x] = 0.9;
                }
            }
        }
        for y in 80..84 {
            for x in 30..34 {
                p[y * w + x] = 0.8;
            }
        }
        p
    }

    #[test]
    fn finds_lines_and_the_page_skew() {
        let (w, h) = (200, 100);
        let d = post_process(&map(w, h, 0.05), w, w, h, 0.5);
        assert!((d.skew - 0.05f32.atan()).abs() < 0.01, "skew {}", d.skew);
        assert_eq!(d.boxes.len(), 3);
        let long = d.boxes.iter().map(|b| b.width).fold(0.0, f32::max);
        // 140 px along the bar at scale 0.5, grown by the unclip margin
        assert!(long > 280.0 && long < 320.0, "{long}");
        // the 4×4 dot is measured in the page frame and grown
        assert!(d.boxes.iter().any(|b| b.width < 30.0 && b.cy > 150.0));
    }

    #[test]
    fn an_empty_map_has_no_boxes() {
        let d = post_process(&vec![0.1; 64 * 64], 64, 64, 64, 1.0);
        assert!(d.boxes.is_empty());
        assert_eq!(d.skew, 0.0);
    }
}
