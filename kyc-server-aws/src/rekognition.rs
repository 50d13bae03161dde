//! [`FaceEngine`] on Amazon Rekognition: `DetectFaces` for the observations
//! the liveness rules consume, `CompareFaces` for similarity (already on the
//! 0–100 scale the match threshold is written in).
//!
//! What Rekognition measures differently from the local engine, and how it is
//! mapped (all in [`face_analysis`], a pure function tested on the
//! developer guide's example response):
//! * boxes and landmarks are ratios of the image: multiplied by its size;
//! * eyes: one `EyesOpen` verdict with a confidence for both eyes, so both
//!   openness values are `confidence` when open and `1 − confidence` when
//!   closed;
//! * quality: `Brightness` 0–100 is scaled to 0–255 like the local luma;
//!   `Sharpness` is Rekognition's own 0–100 score, passed as is (not a
//!   Laplacian variance; the blur threshold has not been calibrated on it);
//! * the whole image's brightness (for "too dark" without a face) is the
//!   decoded image's mean luma, as the local engine computes it.

use crate::error::{provider_error, service_code};
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_rekognition::{
    Client,
    primitives::Blob,
    types::{Attribute, FaceDetail, Image},
};
use kyc_backend::{
    ProviderError,
    face::{
        BoundingBox, DetectedFace, FaceAnalysis, FaceEngine, FaceImage, FaceMatch, FacePose,
        FaceQuality, ImageKind, Landmarks, Point,
    },
};
use tokio::sync::OnceCell;

const PROVIDER: &str = "rekognition";

/// Rekognition as the face engine.
#[derive(Debug, Clone)]
pub struct RekognitionFaceEngine {
    client: Client,
}

impl RekognitionFaceEngine {
    /// An engine on `sdk`'s region, credentials, endpoint, retries and timeouts.
    pub fn new(sdk: &SdkConfig) -> Self {
        Self { client: Client::new(sdk) }
    }

    async fn detect(&self, image: &FaceImage) -> Result<Vec<FaceDetail>, ProviderError> {
        let out = self
            .client
            .detect_faces()
            .image(Image::builder().bytes(Blob::new(image.0.to_vec())).build())
            .attributes(Attribute::Default)
            .attributes(Attribute::EyesOpen)
            .send()
            .await
            .map_err(|e| provider_error(PROVIDER, e))?;
        Ok(out.face_details.unwrap_or_default())
    }
}

/// Size and mean luma of an encoded image, or `Rejected` when it is not a
/// JPEG or PNG the engine can be given.
fn decoded(bytes: &[u8]) -> Result<(u32, u32, f32), ProviderError> {
    const NOT_AN_IMAGE: ProviderError = ProviderError::Rejected("not a JPEG or PNG image");
    kyc_core::image::inspect(bytes).map_err(|_| NOT_AN_IMAGE)?;
    let luma = image::load_from_memory(bytes).map_err(|_| NOT_AN_IMAGE)?.to_luma8();
    let n = (luma.width() as u64 * luma.height() as u64).max(1);
    let sum: u64 = luma.as_raw().iter().map(|&v| u64::from(v)).sum();
    Ok((luma.width(), luma.height(), (sum as f64 / n as f64) as f32))
}

/// Rekognition's faces as the engine contract's evidence, largest first.
/// Faces without the five landmarks the rules need are left out.
pub fn face_analysis(
    width: u32,
    height: u32,
    brightness: f32,
    faces: &[FaceDetail],
) -> FaceAnalysis {
    let (w, h) = (width as f32, height as f32);
    let mut out: Vec<DetectedFace> = faces.iter().filter_map(|f| detected(f, w, h)).collect();
    out.sort_by(|a, b| {
        let area = |f: &DetectedFace| f.bounding_box.width * f.bounding_box.height;
        area(b).total_cmp(&area(a))
    });
    FaceAnalysis { width, height, brightness, faces: out }
}

fn detected(f: &FaceDetail, w: f32, h: f32) -> Option<DetectedFace> {
    let b = f.bounding_box.as_ref()?;
    let (left, top) = (b.left.unwrap_or(0.0), b.top.unwrap_or(0.0));
    let (bw, bh) = (b.width.unwrap_or(0.0), b.height.unwrap_or(0.0));
    let point = |name: &str| {
        f.landmarks
            .as_ref()?
            .iter()
            .find(|l| l.r#type.as_ref().is_some_and(|t| t.as_str() == name))
            .and_then(|l| Some(Point { x: l.x? * w, y: l.y? * h }))
    };
    let (mut eye_l, mut eye_r) = (point("eyeLeft")?, point("eyeRight")?);
    let (mut mouth_l, mut mouth_r) = (point("mouthLeft")?, point("mouthRight")?);
    // named from the image's point of view, whatever the service's naming
    if eye_l.x > eye_r.x {
        std::mem::swap(&mut eye_l, &mut eye_r);
    }
    if mouth_l.x > mouth_r.x {
        std::mem::swap(&mut mouth_l, &mut mouth_r);
    }
    let landmarks = Landmarks {
        eye_image_left: eye_l,
        eye_image_right: eye_r,
        nose: point("nose")?,
        mouth_image_left: mouth_l,
        mouth_image_right: mouth_r,
    };
    let eyes = f.eyes_open.as_ref().and_then(|e| {
        let c = (e.confidence? / 100.0).clamp(0.0, 1.0);
        Some(if e.value { c } else { 1.0 - c })
    });
    let pose = f.pose.as_ref().and_then(|p| {
        Some(FacePose {
            yaw_deg: p.yaw?,
            pitch_deg: p.pitch?,
            roll_deg: p.roll.unwrap_or(0.0),
            // without an eye verdict, eyes count as open (no blink is seen)
            left_eye_open: eyes.unwrap_or(1.0),
            right_eye_open: eyes.unwrap_or(1.0),
        })
    });
    let q = f.quality.as_ref();
    Some(DetectedFace {
        score: (f.confidence.unwrap_or(0.0) / 100.0).clamp(0.0, 1.0),
        bounding_box: BoundingBox { x: left * w, y: top * h, width: bw * w, height: bh * h },
        landmarks,
        pose,
        quality: FaceQuality {
            brightness: q.and_then(|q| q.brightness).map_or(0.0, |v| v * 2.55),
            sharpness: q.and_then(|q| q.sharpness).unwrap_or(0.0),
            face_width_fraction: bw,
            center_offset_x: left + bw / 2.0 - 0.5,
            center_offset_y: top + bh / 2.0 - 0.5,
        },
    })
}

#[async_trait]
impl FaceEngine for RekognitionFaceEngine {
    fn name(&self) -> &str {
        "aws-rekognition"
    }

    async fn analyze(
        &self,
        image: &FaceImage,
        _kind: ImageKind,
    ) -> Result<FaceAnalysis, ProviderError> {
        let (width, height, brightness) = decoded(&image.0)?;
        let faces = self.detect(image).await?;
        Ok(face_analysis(width, height, brightness, &faces))
    }

    /// One `CompareFaces` per probe (threshold 0, so every face of the probe
    /// gets a similarity; the largest is the probe's face). Rekognition
    /// answers `InvalidParameterException` both for a reference and for a
    /// probe without a face: the reference is then checked once with
    /// `DetectFaces` to tell which.
    async fn compare(
        &self,
        reference: (&FaceImage, ImageKind),
        probes: &[(FaceImage, ImageKind)],
    ) -> Result<Vec<Option<FaceMatch>>, ProviderError> {
        decoded(&reference.0.0)?;
        let reference_has_face = OnceCell::new();
        let mut out = Vec::with_capacity(probes.len());
        for (probe, _) in probes {
            let answer = self
                .client
                .compare_faces()
                .source_image(Image::builder().bytes(Blob::new(reference.0.0.to_vec())).build())
                .target_image(Image::builder().bytes(Blob::new(probe.0.to_vec())).build())
                .similarity_threshold(0.0)
                .send()
                .await;
            match answer {
                Ok(r) => {
                    let best = r
                        .face_matches
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|m| {
                            let b = m.face.as_ref()?.bounding_box.as_ref()?;
                            let area = b.width.unwrap_or(0.0) * b.height.unwrap_or(0.0);
                            Some((area, m.similarity?))
                        })
                        .max_by(|a, b| a.0.total_cmp(&b.0));
                    out.push(best.map(|(_, s)| FaceMatch { similarity: s, raw_score: s }));
                }
                Err(e) if service_code(&e) == Some("InvalidParameterException") => {
                    let has_face = reference_has_face
                        .get_or_try_init(|| async {
                            Ok::<_, ProviderError>(!self.detect(reference.0).await?.is_empty())
                        })
                        .await?;
                    if !has_face {
                        return Err(ProviderError::Rejected("no face in the reference image"));
                    }
                    out.push(None);
                }
                Err(e) => return Err(provider_error(PROVIDER, e)),
            }
        }
        Ok(out)
    }
}
