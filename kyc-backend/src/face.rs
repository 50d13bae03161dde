//! The face engine: detection, liveness observations and identity comparison.
//!
//! The trait takes encoded images (JPEG/PNG bytes) so that a cloud engine
//! (Rekognition `DetectFaces` / `CompareFaces`) fits it as well as the local
//! ONNX engine. It returns evidence (`kyc_core::face`) — boxes, landmarks,
//! pose, eye openness, quality, similarity on Rekognition's 0–100 scale —
//! and never a decision.

use async_trait::async_trait;
use bytes::Bytes;
use std::fmt;

pub use crate::provider::ProviderError;
pub use kyc_core::face::{
    BoundingBox, DetectedFace, FaceAnalysis, FaceMatch, FacePose, FaceQuality, ImageKind,
    Landmarks, Point,
};

/// An encoded image handed to the engine.
#[derive(Clone, PartialEq, Eq)]
pub struct FaceImage(pub Bytes);

impl fmt::Debug for FaceImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaceImage({} bytes)", self.0.len())
    }
}

/// A face engine. Contract:
/// * `analyze` returns every face (largest first) with landmarks, pose and
///   quality; an image without faces is `Ok` with no faces.
/// * `compare` finds the largest face of `reference` and of each probe and
///   returns one result per probe, in order: `Some(match)`, or `None` for a
///   probe without a face. A reference without a face is
///   `Err(Rejected("no face in the reference image"))`.
/// * Similarities are symmetric within rounding and calibrated so that 85
///   means the same on every engine.
#[async_trait]
pub trait FaceEngine: Send + Sync + fmt::Debug + 'static {
    /// A short name for logs and audit (e.g. `local-onnx/dlib-resnet-v1`).
    fn name(&self) -> &str;
    /// Detects faces and measures pose, eyes and quality.
    async fn analyze(
        &self,
        image: &FaceImage,
        kind: ImageKind,
    ) -> Result<FaceAnalysis, ProviderError>;
    /// Compares the reference's largest face with each probe's.
    async fn compare(
        &self,
        reference: (&FaceImage, ImageKind),
        probes: &[(FaceImage, ImageKind)],
    ) -> Result<Vec<Option<FaceMatch>>, ProviderError>;
}
