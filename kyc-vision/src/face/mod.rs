//! The local face engine: three ONNX models run in pure Rust by tract, on
//! the calling thread. Nothing leaves the machine.
//!
//! | step | model | cost (2 cores, release; `benches/face.rs`) |
//! |---|---|---|
//! | detection + 5 landmarks | YuNet 2023mar, 320 px for live frames, 640 px for documents | see the bench report |
//! | pose + eye openness | MediaPipe face mesh | |
//! | identity descriptor | dlib ResNet v1 (default) or HSE faceres | |
//!
//! Models are loaded once, at startup, from the bytes compiled into the
//! binary (an alternative embedding model may be loaded from a file).

mod detector;
mod embedder;
mod mesh;

pub use embedder::{Calibration, Metric};

use crate::VisionError;
use detector::{Detection, Detector};
use embedder::{DLIB_RESNET, DLIB_SPEC, Embedder, FACERES_SPEC};
use image::RgbImage;
pub use kyc_core::face::{DetectedFace, FaceAnalysis, FaceMatch, FaceQuality, ImageKind};
use mesh::Mesh;
use serde::{Deserialize, Serialize};
use std::{path::PathBuf, time::Instant};

/// Largest image decoded (pixels).
const MAX_PIXELS: u64 = 40_000_000;

/// Which identity model to use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaceConfig {
    /// `dlib-resnet-v1` (built in, default) or `hse-faceres` (needs `embedding_model_path`).
    pub embedding_model: String,
    /// ONNX file of the embedding model when it is not built in.
    pub embedding_model_path: Option<PathBuf>,
    /// Overrides the model's built-in calibration.
    pub calibration: Option<Calibration>,
    /// Minimum detection score (0–1).
    pub detection_threshold: f32,
}

impl Default for FaceConfig {
    fn default() -> Self {
        Self {
            embedding_model: DLIB_SPEC.name.to_owned(),
            embedding_model_path: None,
            calibration: None,
            detection_threshold: 0.6,
        }
    }
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaceLoadError {
    /// Unknown embedding model name.
    #[error("unknown face.embedding_model {0:?} (use dlib-resnet-v1 or hse-faceres)")]
    UnknownModel(String),
    /// The model needs a file that was not given.
    #[error("face.embedding_model {0:?} needs face.embedding_model_path")]
    MissingPath(String),
    /// Reading the model file failed.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// tract could not load a model.
    #[error("loading the {model} model: {message}")]
    Model {
        /// Which model.
        model: &'static str,
        /// tract's message.
        message: String,
    },
}

#[derive(Debug)]
struct Models {
    live: Detector,
    document: Detector,
    mesh: Mesh,
    embedder: Embedder,
}

/// Time spent in each stage of analysing one image (for benchmarks and diagnostics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageTimings {
    /// JPEG/PNG decoding.
    pub decode_ms: f64,
    /// YuNet detection (letterbox included).
    pub detect_ms: f64,
    /// Mesh, pose, eyes and quality of the largest face.
    pub observe_ms: f64,
    /// Identity descriptor of the largest face (both flips).
    pub embed_ms: f64,
    /// Faces found.
    pub faces: usize,
}

/// The loaded face models: detection (one plan for live frames, one for
/// documents), mesh and identity embedding. Share it behind an `Arc`; every
/// method takes `&self` and runs on the calling thread.
#[derive(Debug)]
pub struct FaceModels {
    models: Models,
    name: String,
}

/// An identity descriptor of one face (compare two with [`FaceModels::compare`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Descriptor(Vec<f32>);

fn decode(image: &[u8]) -> Result<RgbImage, VisionError> {
    crate::onnx::decode_image(image, MAX_PIXELS)
}

impl Models {
    fn detector(&self, kind: ImageKind) -> &Detector {
        match kind {
            ImageKind::LiveFrame => &self.live,
            ImageKind::Document => &self.document,
        }
    }

    fn face(&self, img: &RgbImage, d: &Detection) -> Result<DetectedFace, VisionError> {
        let b = d.bbox;
        let (brightness, sharpness) =
            crate::onnx::geometry::luma_stats(img, b.x, b.y, b.width, b.height);
        let (w, h) = (img.width() as f32, img.height() as f32);
        let mesh = self.mesh.measure(img, &d.bbox, &d.landmarks)?;
        Ok(DetectedFace {
            score: d.score,
            bounding_box: b,
            landmarks: d.landmarks,
            pose: (mesh.confidence >= 0.5).then_some(mesh.pose),
            quality: FaceQuality {
                brightness,
                sharpness,
                face_width_fraction: b.width / w,
                center_offset_x: (b.x + b.width / 2.0) / w - 0.5,
                center_offset_y: (b.y + b.height / 2.0) / h - 0.5,
            },
        })
    }
}

impl FaceModels {
    /// Loads every model (once; takes well under a second).
    pub fn load(config: &FaceConfig) -> Result<Self, FaceLoadError> {
        let start = Instant::now();
        let tract = |model: &'static str| {
            move |e: tract_onnx::prelude::TractError| FaceLoadError::Model {
                model,
                message: format!("{e:#}"),
            }
        };
        let (mut spec, bytes): (_, std::borrow::Cow<'static, [u8]>) =
            match config.embedding_model.as_str() {
                "dlib-resnet-v1" => match &config.embedding_model_path {
                    None => (DLIB_SPEC, DLIB_RESNET.into()),
                    Some(p) => (DLIB_SPEC, read(p)?.into()),
                },
                "hse-faceres" => {
                    let p = config.embedding_model_path.as_ref().ok_or_else(|| {
                        FaceLoadError::MissingPath(config.embedding_model.clone())
                    })?;
                    (FACERES_SPEC, read(p)?.into())
                }
                other => return Err(FaceLoadError::UnknownModel(other.to_owned())),
            };
        if let Some(c) = config.calibration {
            spec.calibration = c;
        }
        let models = Models {
            live: Detector::load(320, config.detection_threshold).map_err(tract("YuNet"))?,
            document: Detector::load(640, config.detection_threshold).map_err(tract("YuNet"))?,
            mesh: Mesh::load().map_err(tract("face mesh"))?,
            embedder: Embedder::load(&bytes, spec).map_err(tract("embedding"))?,
        };
        tracing::info!(
            embedding = spec.name,
            load_ms = start.elapsed().as_millis() as u64,
            "face models loaded"
        );
        Ok(Self { models, name: format!("local-onnx/{}", spec.name) })
    }

    /// Engine and model, for logs and audit (e.g. `local-onnx/dlib-resnet-v1`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every face of an encoded JPEG/PNG (up to three, largest first) with
    /// landmarks, pose, eyes and quality; an image without faces is `Ok`
    /// with none.
    pub fn analyze(&self, image: &[u8], kind: ImageKind) -> Result<FaceAnalysis, VisionError> {
        let img = decode(image)?;
        self.analyze_image(&img, kind)
    }

    /// [`analyze`](Self::analyze) on an already decoded image.
    pub fn analyze_image(
        &self,
        img: &RgbImage,
        kind: ImageKind,
    ) -> Result<FaceAnalysis, VisionError> {
        let detections = self.models.detector(kind).detect(img)?;
        let faces = detections
            .iter()
            .take(3)
            .map(|d| self.models.face(img, d))
            .collect::<Result<Vec<_>, _>>()?;
        let (brightness, _) = crate::onnx::geometry::luma_stats(
            img,
            0.0,
            0.0,
            img.width() as f32,
            img.height() as f32,
        );
        Ok(FaceAnalysis { width: img.width(), height: img.height(), brightness, faces })
    }

    /// The identity descriptor of the largest face of an encoded image, `None`
    /// without a face.
    pub fn descriptor(
        &self,
        image: &[u8],
        kind: ImageKind,
    ) -> Result<Option<Descriptor>, VisionError> {
        let img = decode(image)?;
        match self.models.detector(kind).detect(&img)?.first() {
            Some(d) => self.models.embedder.embed(&img, &d.landmarks).map(|v| Some(Descriptor(v))),
            None => Ok(None),
        }
    }

    /// Compares two descriptors: the model's raw score and the calibrated
    /// similarity (symmetric; 85 is the policy's operating point).
    pub fn compare(&self, a: &Descriptor, b: &Descriptor) -> FaceMatch {
        let spec = &self.models.embedder.spec;
        let raw = self.models.embedder.raw_score(&a.0, &b.0);
        FaceMatch { similarity: spec.calibration.similarity(spec.metric, raw), raw_score: raw }
    }

    /// Runs every stage on one image and times each.
    pub fn profile(&self, image: &[u8], kind: ImageKind) -> Result<StageTimings, VisionError> {
        let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        let img = decode(image)?;
        let decode_ms = ms(t);
        let t = Instant::now();
        let detections = self.models.detector(kind).detect(&img)?;
        let detect_ms = ms(t);
        let Some(d) = detections.first() else {
            return Ok(StageTimings { decode_ms, detect_ms, ..Default::default() });
        };
        let t = Instant::now();
        self.models.face(&img, d)?;
        let observe_ms = ms(t);
        let t = Instant::now();
        self.models.embedder.embed(&img, &d.landmarks)?;
        Ok(StageTimings {
            decode_ms,
            detect_ms,
            observe_ms,
            embed_ms: ms(t),
            faces: detections.len(),
        })
    }

    /// The embedding model's metric and calibration.
    pub fn calibration(&self) -> (Metric, Calibration) {
        (self.models.embedder.spec.metric, self.models.embedder.spec.calibration)
    }
}

fn read(p: &std::path::Path) -> Result<Vec<u8>, FaceLoadError> {
    std::fs::read(p).map_err(|source| FaceLoadError::Read { path: p.display().to_string(), source })
}
