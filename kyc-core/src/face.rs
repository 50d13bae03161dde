//! Face evidence: what a face engine reports about an image (boxes,
//! landmarks, pose, eye openness, quality) and about a comparison
//! (similarity on Rekognition's 0–100 scale). Engines produce it — the local
//! ONNX engine in `kyc-vision`, Rekognition on AWS — and the liveness and
//! face-match rules here consume it; it never holds a decision.

use serde::{Deserialize, Serialize};

/// What kind of picture it is: documents hold small printed faces and are
/// analysed at a higher resolution than live camera frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageKind {
    /// A camera frame from the liveness step (a large, near face).
    LiveFrame,
    /// A photo of an identity document (a small printed face).
    Document,
}

/// A point in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// x, from the left.
    pub x: f32,
    /// y, from the top.
    pub y: f32,
}

/// An axis-aligned box in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoundingBox {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

/// Five landmarks, named from the image's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Landmarks {
    /// Centre of the eye on the image's left (the person's right eye).
    pub eye_image_left: Point,
    /// Centre of the eye on the image's right.
    pub eye_image_right: Point,
    /// Nose tip.
    pub nose: Point,
    /// Mouth corner on the image's left.
    pub mouth_image_left: Point,
    /// Mouth corner on the image's right.
    pub mouth_image_right: Point,
}

impl Landmarks {
    /// The five points: eyes, nose, mouth corners (image left before right).
    pub fn points(&self) -> [Point; 5] {
        [
            self.eye_image_left,
            self.eye_image_right,
            self.nose,
            self.mouth_image_left,
            self.mouth_image_right,
        ]
    }
}

/// Head pose and eyes, as the liveness challenge consumes them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FacePose {
    /// Degrees; positive when the person turns to their own left.
    pub yaw_deg: f32,
    /// Degrees; positive when looking up.
    pub pitch_deg: f32,
    /// Degrees; positive when the head tilts clockwise in the image.
    pub roll_deg: f32,
    /// Left eye openness 0 (closed) to 1 (open).
    pub left_eye_open: f32,
    /// Right eye openness 0 (closed) to 1 (open).
    pub right_eye_open: f32,
}

/// Image quality around one face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceQuality {
    /// Mean luma of the face region, 0–255.
    pub brightness: f32,
    /// Variance of the Laplacian of the face region (higher is sharper).
    pub sharpness: f32,
    /// Face width as a fraction of the image width.
    pub face_width_fraction: f32,
    /// Face centre's horizontal offset from the image centre, as a fraction of the width (−0.5…0.5).
    pub center_offset_x: f32,
    /// Face centre's vertical offset from the image centre, as a fraction of the height.
    pub center_offset_y: f32,
}

/// One detected face.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetectedFace {
    /// Detection confidence 0–1.
    pub score: f32,
    /// Where it is.
    pub bounding_box: BoundingBox,
    /// Eyes, nose, mouth corners.
    pub landmarks: Landmarks,
    /// Pose and eyes (absent if the engine could not measure them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pose: Option<FacePose>,
    /// Image quality around the face.
    pub quality: FaceQuality,
}

/// Every face of an image, largest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceAnalysis {
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Mean luma of the whole image, 0–255.
    pub brightness: f32,
    /// The faces, largest first.
    pub faces: Vec<DetectedFace>,
}

impl FaceAnalysis {
    /// The largest face, if any.
    pub fn largest(&self) -> Option<&DetectedFace> {
        self.faces.first()
    }
}

/// The result of comparing one probe with the reference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceMatch {
    /// Similarity on Rekognition's 0–100 scale (calibrated per model).
    pub similarity: f32,
    /// The model's raw score (e.g. a euclidean distance), for audits and calibration.
    pub raw_score: f32,
}
