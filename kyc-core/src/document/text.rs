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

/// Sorts lines top to bottom, grouping lines whose centres are within half a
/// line height into one row, left to right inside a row.
pub fn reading_order(lines: &mut [TextLine]) {
    lines.sort_by(|a, b| a.center_y().total_cmp(&b.center_y()));
    let mut start = 0;
    while start < lines.len() {
        let mut end = start + 1;
        while end < lines.len()
            && lines[end].center_y() - lines[start].center_y()
                < 0.5 * lines[start].height.min(lines[end].height)
        {
            end += 1;
        }
        lines[start..end].sort_by(|a, b| a.x.total_cmp(&b.x));
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_order_groups_rows() {
        let line = |text: &str, x: f32, y: f32| TextLine {
            text: text.into(),
            confidence: 1.0,
            x,
            y,
            width: 50.0,
            height: 20.0,
        };
        let mut lines = vec![line("c", 0.0, 50.0), line("b", 100.0, 3.0), line("a", 0.0, 0.0)];
        reading_order(&mut lines);
        let order: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(order, ["a", "b", "c"]);
    }
}
