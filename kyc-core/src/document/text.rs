//! What an OCR engine found on a document image: lines of text with their
//! place on the page. Engines (local PP-OCR, Textract) produce it; the field
//! reader ([`super::fields`]) consumes it.

use serde::{Deserialize, Serialize};

/// One line of recognised text.
///
/// The box is axis-aligned in the *deskewed* page frame: the engine rotates
/// its coordinates by the page's skew so rows are horizontal, which is what
/// layout rules ("the value below the label") need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextLine {
    /// The text as read.
    pub text: String,
    /// Recognition confidence, 0–1.
    pub confidence: f32,
    /// Left edge, in page pixels.
    pub x: f32,
    /// Top edge, in page pixels.
    pub y: f32,
    /// Width, in page pixels.
    pub width: f32,
    /// Height, in page pixels.
    pub height: f32,
}

impl TextLine {
    /// Vertical centre.
    pub fn center_y(&self) -> f32 {
        self.y + self.height / 2.0
    }

    /// Right edge.
    pub fn right(&self) -> f32 {
        self.x + self.width
    }

    /// Bottom edge.
    pub fn bottom(&self) -> f32 {
        self.y + self.height
    }
}

/// The whole text of one document image.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentText {
    /// Which engine read it (e.g. `local-onnx/pp-ocrv4`).
    pub engine: String,
    /// Image width, in pixels.
    pub width: u32,
    /// Image height, in pixels.
    pub height: u32,
    /// The page's skew that was corrected, in degrees (positive = clockwise).
    pub skew_deg: f32,
    /// Lines in reading order (top to bottom, then left to right).
    pub lines: Vec<TextLine>,
}
