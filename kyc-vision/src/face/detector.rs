//! YuNet (OpenCV Zoo, 2023mar, MIT): face boxes and five landmarks.
//!
//! Input `[1, 3, S, S]` BGR 0–255, letterboxed top-left. The published model
//! declares S = 640; its graph is size-agnostic, so live frames (large faces)
//! run at S = 320 for a quarter of the cost, documents (small printed faces)
//! at 640. Outputs per stride 8/16/32: `cls`, `obj`, `bbox`, `kps`, one anchor
//! per grid cell: `score = sqrt(cls·obj)`, `cx = (col + b0)·s`, `w = exp(b2)·s`,
//! `kp = (col + k)·s`; then non-maximum suppression at IoU 0.3.

use crate::VisionError;
use crate::onnx::{
    Model,
    geometry::{Layout, letterbox},
};
use image::RgbImage;
use kyc_core::face::{BoundingBox, Landmarks, Point};

pub(crate) const YUNET: &[u8] =
    include_bytes!("../../models/face/face_detection_yunet_2023mar.onnx");

/// A raw detection in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Detection {
    pub(crate) score: f32,
    pub(crate) bbox: BoundingBox,
    pub(crate) landmarks: Landmarks,
}

#[derive(Debug, Clone)]
pub(crate) struct Detector {
    model: Model,
    size: usize,
    threshold: f32,
}

fn iou(a: &BoundingBox, b: &BoundingBox) -> f32 {
    let x1 = a.x.max(b.x);
    let y1 = a.y.max(b.y);
    let x2 = (a.x + a.width).min(b.x + b.width);
    let y2 = (a.y + a.height).min(b.y + b.height);
    let inter = (x2 - x1).max(0.0) * (y2 - y1).max(0.0);
    let union = a.width * a.height + b.width * b.height - inter;
    if union <= 0.0 { 0.0 } else { inter / union }
}

impl Detector {
    pub(crate) fn load(size: usize, threshold: f32) -> tract_onnx::prelude::TractResult<Self> {
        Ok(Self { model: Model::load(YUNET, &[1, 3, size, size])?, size, threshold })
    }

    pub(crate) fn detect(&self, img: &RgbImage) -> Result<Vec<Detection>, VisionError> {
        let (input, scale) = letterbox(img, self.size, Layout::NchwBgr);
        let out = self.model.run(input)?;
        if out.len() != 12 {
            return Err(crate::onnx::inference_err("unexpected YuNet outputs"));
        }
        let mut found = Vec::new();
        for (k, stride) in [8usize, 16, 32].into_iter().enumerate() {
            let (cls, obj, bbox, kps) = (&out[k], &out[3 + k], &out[6 + k], &out[9 + k]);
            let cols = self.size / stride;
            let s = stride as f32;
            for idx in 0..cls.len().min(obj.len()) {
                let score = (cls[idx].clamp(0.0, 1.0) * obj[idx].clamp(0.0, 1.0)).sqrt();
                if score < self.threshold {
                    continue;
                }
                let (c, r) = ((idx % cols) as f32, (idx / cols) as f32);
                let b = &bbox[idx * 4..idx * 4 + 4];
                let (cx, cy) = ((c + b[0]) * s, (r + b[1]) * s);
                let (w, h) = (b[2].exp() * s, b[3].exp() * s);
                let p = &kps[idx * 10..idx * 10 + 10];
                let pt = |i: usize| Point {
                    x: (p[2 * i] + c) * s / scale,
                    y: (p[2 * i + 1] + r) * s / scale,
                };
                found.push(Detection {
                    score,
                    bbox: BoundingBox {
                        x: (cx - w / 2.0) / scale,
                        y: (cy - h / 2.0) / scale,
                        width: w / scale,
                        height: h / scale,
                    },
                    landmarks: Landmarks {
                        eye_image_left: pt(0),
                        eye_image_right: pt(1),
                        nose: pt(2),
                        mouth_image_left: pt(3),
                        mouth_image_right: pt(4),
                    },
                });
            }
        }
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut kept: Vec<Detection> = Vec::new();
        for d in found {
            if kept.iter().all(|k| iou(&k.bbox, &d.bbox) <= 0.3) {
                kept.push(d);
            }
        }
        // largest first
        kept.sort_by(|a, b| {
            (b.bbox.width * b.bbox.height).total_cmp(&(a.bbox.width * a.bbox.height))
        });
        Ok(kept)
    }
}
