//! Identity embeddings: face alignment, the model, flip averaging, and the
//! calibration that puts scores on Rekognition's 0–100 similarity scale.
//!
//! Two models are built in (see `models/face/README.md`):
//!
//! * `dlib-resnet-v1` (default): dlib's face-recognition ResNet (CC0),
//!   converted to ONNX from the tfjs port in `@vladmandic/face-api`.
//!   150×150 chip aligned on the eyes to dlib's face-chip geometry (padding
//!   0.25), NCHW RGB 0–255, 128-d descriptor, euclidean distance.
//! * `hse-faceres`: the HSE MobileNet (Apache-2.0), 224×224 chip aligned on
//!   five points to the ArcFace template ×2, NHWC RGB 0–255, 1024-d, cosine.
//!
//! Each descriptor is the mean of the chip's and its mirror image's
//! descriptors (flip averaging), which measurably tightens same-person scores.

use crate::VisionError;
use crate::onnx::{
    Model,
    geometry::{Affine, Layout, warp_into},
};
use image::RgbImage;
use kyc_core::face::Landmarks;
use serde::{Deserialize, Serialize};

pub(crate) const DLIB_RESNET: &[u8] =
    include_bytes!("../../models/face/dlib_face_recognition_resnet_v1.onnx");

/// How raw scores become 0–100 similarities:
/// `S = 100 / (1 + (15/85)·exp(−(g − g85)/k))`, where `g` is the score with
/// "higher is more similar" (−distance, or cosine), `g85` the raw score that
/// maps to 85, and `k = spread / ln(19·85/15)` so that `g85 − spread` maps to 5.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// Raw score (distance or cosine) that maps to similarity 85.
    pub score_at_85: f32,
    /// How far on the dissimilar side the score must move to reach similarity 5.
    pub spread: f32,
}

/// How descriptors are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Euclidean distance (lower is more similar).
    Euclidean,
    /// Cosine similarity of L2-normalised descriptors (higher is more similar).
    Cosine,
}

impl Calibration {
    /// Maps a raw score to 0–100.
    pub fn similarity(&self, metric: Metric, raw: f32) -> f32 {
        let k = self.spread / (19.0f32 * 85.0 / 15.0).ln();
        let delta = match metric {
            Metric::Euclidean => self.score_at_85 - raw,
            Metric::Cosine => raw - self.score_at_85,
        };
        100.0 / (1.0 + (15.0 / 85.0) * (-delta / k).exp())
    }
}

/// How a chip is cut out of the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alignment {
    /// Eyes onto dlib's 5-point mean face (eye centres), with padding 0.25.
    DlibEyes,
    /// Five points onto the ArcFace 112 template, scaled to the chip size.
    ArcFace,
}

/// An embedding model's contract.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EmbeddingSpec {
    pub(crate) name: &'static str,
    size: usize,
    layout: Layout,
    alignment: Alignment,
    output: usize,
    pub(crate) metric: Metric,
    pub(crate) calibration: Calibration,
}

/// dlib ResNet. Calibration from `benches/face.rs` on `../shared/data/faces`
/// (see `docs/face-calibration.md`): same-person distances ≤ 0.54 (live vs
/// live) and ≤ 0.59 (grey 80 px document-style vs live), different people
/// ≥ 0.646; dlib's own decision distance 0.6 maps to 85, the
/// different-person mean 0.86 to 5.
pub(crate) const DLIB_SPEC: EmbeddingSpec = EmbeddingSpec {
    name: "dlib-resnet-v1",
    size: 150,
    layout: Layout::NchwRgb,
    alignment: Alignment::DlibEyes,
    output: 0,
    metric: Metric::Euclidean,
    calibration: Calibration { score_at_85: 0.60, spread: 0.26 },
};

/// HSE faceres. Calibration from the research notes' distributions on the
/// same pairs: cosine 0.60 → 85 (1.5 % false accepts there), the
/// different-person mean 0.41 → 5.
pub(crate) const FACERES_SPEC: EmbeddingSpec = EmbeddingSpec {
    name: "hse-faceres",
    size: 224,
    layout: Layout::NhwcRgb,
    alignment: Alignment::ArcFace,
    output: 1,
    metric: Metric::Cosine,
    calibration: Calibration { score_at_85: 0.60, spread: 0.19 },
};

/// dlib's mean face (5-point model) in the unit square, padding 0.25: the
/// two corners of each eye, averaged to eye centres.
fn dlib_eye_targets(size: f32) -> [(f32, f32); 2] {
    let pad = 0.25f32;
    let n = |x: f32, y: f32| {
        ((pad + x) / (2.0 * pad + 1.0) * size, (pad + y) / (2.0 * pad + 1.0) * size)
    };
    let (r0, r1) = (n(0.859_567_5, 0.213_498_15), n(0.646_060_5, 0.228_967_44));
    let (l0, l1) = (n(0.120_575_06, 0.213_727_45), n(0.334_085_06, 0.229_064_24));
    [((l0.0 + l1.0) / 2.0, (l0.1 + l1.1) / 2.0), ((r0.0 + r1.0) / 2.0, (r0.1 + r1.1) / 2.0)]
}

/// The ArcFace 112×112 five-point template.
const ARCFACE: [(f32, f32); 5] = [
    (38.2946, 51.6963),
    (73.5318, 51.5014),
    (56.0252, 71.7366),
    (41.5493, 92.3655),
    (70.7299, 92.2041),
];

/// A model and its contract.
#[derive(Debug, Clone)]
pub(crate) struct Embedder {
    model: Model,
    pub(crate) spec: EmbeddingSpec,
}

impl Embedder {
    pub(crate) fn load(
        bytes: &[u8],
        spec: EmbeddingSpec,
    ) -> tract_onnx::prelude::TractResult<Self> {
        let shape = match spec.layout {
            Layout::NhwcRgb => [1, spec.size, spec.size, 3],
            _ => [1, 3, spec.size, spec.size],
        };
        Ok(Self { model: Model::load(bytes, &shape)?, spec })
    }

    fn chip_to_image(&self, lm: &Landmarks) -> Option<Affine> {
        let size = self.spec.size as f32;
        let img_to_chip = match self.spec.alignment {
            Alignment::DlibEyes => Affine::from_two_points(
                [
                    (lm.eye_image_left.x, lm.eye_image_left.y),
                    (lm.eye_image_right.x, lm.eye_image_right.y),
                ],
                dlib_eye_targets(size),
            ),
            Alignment::ArcFace => {
                let k = size / 112.0;
                let dst: Vec<(f32, f32)> = ARCFACE.iter().map(|p| (p.0 * k, p.1 * k)).collect();
                let src = [
                    lm.eye_image_left,
                    lm.eye_image_right,
                    lm.nose,
                    lm.mouth_image_left,
                    lm.mouth_image_right,
                ]
                .map(|p| (p.x, p.y));
                Affine::fit_similarity(&src, &dst)
            }
        }?;
        img_to_chip.inverse()
    }

    /// The flip-averaged descriptor of the face with these landmarks.
    pub(crate) fn embed(&self, img: &RgbImage, lm: &Landmarks) -> Result<Vec<f32>, VisionError> {
        let map =
            self.chip_to_image(lm).ok_or(VisionError::Rejected("degenerate face landmarks"))?;
        let size = self.spec.size;
        let mut sum: Option<Vec<f32>> = None;
        for flip in [false, true] {
            let input = warp_into(img, &map, size, size, self.spec.layout, 1.0, flip);
            let outputs = self.model.run(input)?;
            let d = outputs
                .into_iter()
                .nth(self.spec.output)
                .ok_or_else(|| crate::onnx::inference_err("missing embedding output"))?;
            let d = if self.spec.metric == Metric::Cosine { l2_normalise(d) } else { d };
            sum = Some(match sum {
                None => d,
                Some(s) => s.iter().zip(&d).map(|(a, b)| (a + b) / 2.0).collect(),
            });
        }
        let d = sum.unwrap_or_default();
        Ok(if self.spec.metric == Metric::Cosine { l2_normalise(d) } else { d })
    }

    /// Raw score between two descriptors (distance or cosine).
    pub(crate) fn raw_score(&self, a: &[f32], b: &[f32]) -> f32 {
        match self.spec.metric {
            Metric::Euclidean => {
                a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt()
            }
            Metric::Cosine => a.iter().zip(b).map(|(x, y)| x * y).sum(),
        }
    }
}

fn l2_normalise(v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.into_iter().map(|x| x / n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_anchors() {
        let c = DLIB_SPEC.calibration;
        assert!((c.similarity(Metric::Euclidean, 0.60) - 85.0).abs() < 1e-3);
        assert!((c.similarity(Metric::Euclidean, 0.86) - 5.0).abs() < 1e-2);
        assert!(c.similarity(Metric::Euclidean, 0.38) > 99.0);
        assert!(
            c.similarity(Metric::Euclidean, 0.59) >= 85.0
                && c.similarity(Metric::Euclidean, 0.61) < 85.0
        );
        let f = FACERES_SPEC.calibration;
        assert!((f.similarity(Metric::Cosine, 0.60) - 85.0).abs() < 1e-3);
        assert!(f.similarity(Metric::Cosine, 0.8) > f.similarity(Metric::Cosine, 0.7));
    }
}
