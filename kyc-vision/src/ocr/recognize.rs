//! PP-OCRv4 text recognition (SVTR-LCNet + CTC): one text line in, characters out.
//!
//! Input `[1, 3, 48, W]` BGR, `(x/255 − 0.5)/0.5`; output `[1, W/8, C]`
//! softmax over `C = 1 + dictionary + 1` classes (blank, the dictionary
//! from the model's `character` metadata, space). Lines are cut straight
//! from the full-resolution image along the page skew, scaled to height 48
//! and padded to a width bucket, so only a few plans are ever made.
//! Decoding is greedy CTC restricted to Latin script: identity documents
//! read here are Latin (ICAO 9303 MRZ and the Latin printed zone), and the
//! model's 6,600 CJK classes only add confusions (`0` vs `〇`).

use super::detect::TextBox;
use crate::{
    VisionError,
    onnx::{
        Parsed, PlanCache,
        geometry::{Affine, Layout, warp_into},
        inference_err,
    },
};
use image::RgbImage;

/// Height of a line at the recogniser's input.
const LINE_HEIGHT: usize = 48;
/// Weight of the space class in decoding: the model, trained mostly on CJK
/// text without spaces, under-calls the narrow gaps between Latin words
/// (`ANNAMARIA`); tuned on the developers' document set.
const SPACE_WEIGHT: f32 = 3.0;
/// A blank run between two characters whose space probability peaks at or
/// above this is a word gap even when blank wins every step: inside words
/// the space class stays near 1e-4, in narrow gaps it rises to 0.05–0.12
/// ("ANNA MARIA" on the held-out licences).
const GAP_SPACE_MIN: f32 = 0.03;
/// Width buckets (pixels at height 48). Wider lines are squeezed into the last.
const BUCKETS: [usize; 8] = [160, 320, 480, 640, 960, 1280, 1600, 2048];

/// A recognised line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Recognised {
    pub(crate) text: String,
    pub(crate) confidence: f32,
}

#[derive(Debug)]
pub(crate) struct TextRecognizer {
    plans: PlanCache,
    /// Class index → character (index 0 is the CTC blank).
    classes: Vec<char>,
    /// Classes decoding may emit (blank included).
    allowed: Vec<usize>,
}

/// Whether a character can appear on a Latin-script identity document.
fn latin(c: char) -> bool {
    matches!(c, ' '..='~') || matches!(c as u32, 0xC0..=0x17F) && c.is_alphabetic()
}

impl TextRecognizer {
    pub(crate) fn new(parsed: Parsed) -> Result<Self, String> {
        let dict = parsed.metadata("character").ok_or("the model has no `character` dictionary")?;
        let mut classes = vec!['\0'];
        classes.extend(dict.lines().filter_map(|l| l.chars().next()));
        classes.push(' ');
        let allowed = (0..classes.len()).filter(|&i| i == 0 || latin(classes[i])).collect();
        Ok(Self { plans: PlanCache::new(parsed), classes, allowed })
    }

    /// Builds every bucket's plan ahead of the first request.
    pub(crate) fn warm(&self) -> Result<(), VisionError> {
        BUCKETS.iter().try_for_each(|&b| self.plans.get(&[1, 3, LINE_HEIGHT, b]).map(|_| ()))
    }

    /// Reads the line in `b` (page skew `skew`, radians).
    pub(crate) fn recognise(
        &self,
        img: &RgbImage,
        b: &TextBox,
        skew: f32,
    ) -> Result<Recognised, VisionError> {
        let (input, bucket) = crop(img, b, skew);
        let out = self.plans.get(&[1, 3, LINE_HEIGHT, bucket])?.run(input)?;
        let probs = out.into_iter().next().ok_or_else(|| inference_err("recogniser output"))?;
        let c = self.classes.len();
        if probs.is_empty() || probs.len() % c != 0 {
            return Err(inference_err("unexpected recogniser output"));
        }
        Ok(self.decode(&probs, c))
    }

    /// Greedy CTC over the allowed classes.
    fn decode(&self, probs: &[f32], c: usize) -> Recognised {
        ctc_decode(&self.classes, &self.allowed, probs, c)
    }
}

/// Greedy CTC decoding over the `allowed` classes of `classes` (0 is the
/// blank, the last is the space); `probs` holds `c` probabilities per step.
fn ctc_decode(classes: &[char], allowed: &[usize], probs: &[f32], c: usize) -> Recognised {
    let mut text = String::new();
    let (mut sum, mut n) = (0.0f32, 0usize);
    let mut prev = 0usize;
    let space = classes.len() - 1;
    // the highest space probability since the last emitted character
    let mut gap_space = 0.0f32;
    for step in probs.chunks_exact(c) {
        let (best, _) = allowed
            .iter()
            .map(|&i| (i, if i == space { step[i] * SPACE_WEIGHT } else { step[i] }))
            .fold((0, f32::MIN), |a, b| if b.1 > a.1 { b } else { a });
        let p = step[best];
        if best == 0 {
            gap_space = gap_space.max(step[space]);
        }
        if best != 0 && best != space && best != prev {
            if gap_space >= GAP_SPACE_MIN && !text.is_empty() && !text.ends_with(' ') {
                text.push(' ');
            }
            gap_space = 0.0;
        }
        if best != 0 && best != prev {
            text.push(classes[best]);
            sum += p;
            n += 1;
        }
        prev = best;
    }
    let confidence = if n == 0 { 0.0 } else { sum / n as f32 };
    Recognised { text: text.trim().to_owned(), confidence }
}

/// Cuts the line out of the image at height 48 along the skew and pads it to
/// its bucket; returns the tensor and the bucket width.
fn crop(img: &RgbImage, b: &TextBox, skew: f32) -> (Vec<f32>, usize) {
    let ky = b.height / LINE_HEIGHT as f32;
    let natural = ((b.width / ky).ceil() as usize).max(8);
    let bucket = BUCKETS.iter().copied().find(|&w| w >= natural).unwrap_or(BUCKETS[7]);
    let out_w = natural.min(bucket);
    let kx = b.width / out_w as f32;
    let (sin, cos) = skew.sin_cos();
    let (hw, hh) = (out_w as f32 / 2.0, LINE_HEIGHT as f32 / 2.0);
    let map = Affine([
        kx * cos,
        -ky * sin,
        b.cx - kx * cos * hw + ky * sin * hh,
        kx * sin,
        ky * cos,
        b.cy - kx * sin * hw - ky * cos * hh,
    ]);
    let line = warp_into(img, &map, out_w, LINE_HEIGHT, Layout::NchwBgr, 2.0 / 255.0, false);
    // (x/255 − 0.5)/0.5; the padding is 0, as PaddleOCR pads normalised tensors
    let mut input = vec![0.0f32; 3 * LINE_HEIGHT * bucket];
    for c in 0..3 {
        for y in 0..LINE_HEIGHT {
            let src = &line[(c * LINE_HEIGHT + y) * out_w..][..out_w];
            let dst = &mut input[(c * LINE_HEIGHT + y) * bucket..][..out_w];
            for (d, s) in dst.iter_mut().zip(src) {
                *d = s - 1.0;
            }
        }
    }
    (input, bucket)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One step per row: probabilities of blank, A, M, N, space.
    fn decode_steps(steps: &[[f32; 5]]) -> String {
        let classes = ['\0', 'A', 'M', 'N', ' '];
        let probs: Vec<f32> = steps.iter().flatten().copied().collect();
        ctc_decode(&classes, &[0, 1, 2, 3, 4], &probs, 5).text
    }

    #[test]
    fn a_space_probability_peak_in_a_blank_gap_separates_words() {
        let a = [0.01, 0.98, 0.0, 0.0, 0.0];
        let m = [0.01, 0.0, 0.98, 0.0, 0.0];
        let blank = [0.999, 0.0, 0.0, 0.0, 0.0001];
        let gap = [0.88, 0.0, 0.0, 0.0, 0.117];
        assert_eq!(decode_steps(&[a, blank, blank, m]), "AM");
        assert_eq!(decode_steps(&[a, blank, gap, blank, m]), "A M");
        // a repeated letter needs its blank; a gap before the first letter is no space
        assert_eq!(decode_steps(&[gap, a, a, blank, a]), "AA");
        // an emitted space is kept once
        let space = [0.1, 0.0, 0.0, 0.0, 0.5];
        assert_eq!(decode_steps(&[a, gap, space, gap, m]), "A M");
    }

    #[test]
    fn latin_script_only() {
        assert!(latin('A') && latin('<') && latin('é') && latin('Ł') && latin(' '));
        assert!(!latin('〇') && !latin('中') && !latin('×'));
    }

    #[test]
    fn crops_pick_the_smallest_bucket_and_squeeze_beyond_the_last() {
        let img = RgbImage::new(4000, 200);
        let b = TextBox { cx: 500.0, cy: 100.0, width: 600.0, height: 60.0, score: 1.0 };
        let (t, w) = crop(&img, &b, 0.0);
        assert_eq!(w, 480);
        assert_eq!(t.len(), 3 * 48 * 480);
        let wide = TextBox { width: 3900.0, height: 40.0, ..b };
        assert_eq!(crop(&img, &wide, 0.0).1, 2048);
    }
}
