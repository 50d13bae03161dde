//! The local document reader: PP-OCRv4 detection + recognition (PaddleOCR,
//! Apache-2.0, the ONNX exports shipped in the `rapidocr-onnxruntime` wheel)
//! run in pure Rust by tract. Models are compiled into the binary; plans
//! are made at startup.
//!
//! Per image: decode → detect line boxes and the page skew → recognise each
//! line → merge the pieces of each MRZ row (runs of `<` are often detected
//! as separate boxes) and read each row again as one line → lines in the
//! deskewed page frame, in reading order.

mod detect;
mod recognize;

use crate::{
    VisionError,
    onnx::{Parsed, decode_image},
};
use detect::{TextBox, TextDetector};
use image::RgbImage;
use kyc_core::document::{
    mrz_ocr::looks_like_mrz_piece,
    text::{DocumentText, TextLine, reading_order},
};
use recognize::TextRecognizer;
use std::time::Instant;

const DET_MODEL: &[u8] = include_bytes!("../../models/ocr/ch_PP-OCRv4_det_infer.onnx");
const REC_MODEL: &[u8] = include_bytes!("../../models/ocr/ch_PP-OCRv4_rec_infer.onnx");

/// Largest image the reader decodes (pixels).
const MAX_PIXELS: u64 = 40_000_000;
/// Detector input, landscape (width × height; portrait pages use it transposed).
const DET_LONG: usize = 1152;
const DET_SHORT: usize = 800;

/// Why the reader could not start.
#[derive(Debug, thiserror::Error)]
#[error("loading the {model} model: {message}")]
pub struct OcrLoadError {
    model: &'static str,
    message: String,
}

#[derive(Debug)]
struct Models {
    det: TextDetector,
    rec: TextRecognizer,
}

/// Time spent in each stage of reading one image.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OcrTimings {
    /// JPEG/PNG decoding.
    pub decode_ms: f64,
    /// Text detection (resize included).
    pub detect_ms: f64,
    /// Recognition of every line (MRZ re-reads included).
    pub recognise_ms: f64,
    /// Lines read.
    pub lines: usize,
}

/// The loaded PP-OCRv4 models. Share it behind an `Arc`; every method takes
/// `&self` and runs on the calling thread.
#[derive(Debug)]
pub struct TextReader {
    models: Models,
}

impl TextReader {
    /// Loads both models. Their optimised plans (one per input shape) are
    /// made on first use, or ahead of it by [`warm`](Self::warm).
    pub fn load() -> Result<Self, OcrLoadError> {
        let start = Instant::now();
        let err = |model| move |e: String| OcrLoadError { model, message: e };
        let det = Parsed::parse(DET_MODEL)
            .map_err(|e| format!("{e:#}"))
            .map_err(err("text detection"))?;
        let rec = Parsed::parse(REC_MODEL)
            .map_err(|e| format!("{e:#}"))
            .map_err(err("text recognition"))?;
        let models = Models {
            det: TextDetector::new(det, DET_LONG, DET_SHORT),
            rec: TextRecognizer::new(rec).map_err(err("text recognition"))?,
        };
        tracing::info!(
            load_ms = start.elapsed().as_millis() as u64,
            "document reader models loaded"
        );
        Ok(Self { models })
    }

    /// Makes every plan now (the landscape page and each line-width bucket),
    /// so no document pays for them.
    pub fn warm(&self) -> Result<(), VisionError> {
        let start = Instant::now();
        self.models.det.warm()?;
        self.models.rec.warm()?;
        tracing::info!(warm_ms = start.elapsed().as_millis() as u64, "document reader plans ready");
        Ok(())
    }

    /// Reads an already decoded image, with per-stage timings (benchmarks).
    pub fn read_image_timed(
        &self,
        img: &RgbImage,
    ) -> Result<(DocumentText, OcrTimings), VisionError> {
        self.models.read(img)
    }

    /// Every text line of an encoded JPEG/PNG, in reading order, with boxes
    /// in the deskewed page frame; an image without text has no lines.
    pub fn read(&self, bytes: &[u8]) -> Result<DocumentText, VisionError> {
        self.read_bytes_timed(bytes).map(|(text, _)| text)
    }

    /// Decodes and reads, with per-stage timings (benchmarks, `kyc document read`).
    pub fn read_bytes_timed(
        &self,
        bytes: &[u8],
    ) -> Result<(DocumentText, OcrTimings), VisionError> {
        let t = Instant::now();
        let img = decode_image(bytes, MAX_PIXELS)?;
        let decode_ms = ms(t);
        let (text, mut timings) = self.models.read(&img)?;
        timings.decode_ms = decode_ms;
        Ok((text, timings))
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// A recognised box, measured in the deskewed frame (u along rows, v down).
#[derive(Debug, Clone)]
struct Read {
    b: TextBox,
    u: f32,
    v: f32,
    text: String,
    confidence: f32,
}

impl Models {
    fn read(&self, img: &RgbImage) -> Result<(DocumentText, OcrTimings), VisionError> {
        let t = Instant::now();
        let detected = self.det.detect(img)?;
        let detect_ms = ms(t);
        let t = Instant::now();
        let (sin, cos) = detected.skew.sin_cos();
        let to_page = |b: &TextBox| (b.cx * cos + b.cy * sin, -b.cx * sin + b.cy * cos);
        let mut reads = Vec::with_capacity(detected.boxes.len());
        for b in &detected.boxes {
            let r = self.rec.recognise(img, b, detected.skew)?;
            if r.text.is_empty() {
                continue;
            }
            let (u, v) = to_page(b);
            reads.push(Read { b: *b, u, v, text: r.text, confidence: r.confidence });
        }
        let reads = self.merge_mrz_rows(img, reads, detected.skew)?;
        let recognise_ms = ms(t);
        let mut lines: Vec<TextLine> = reads
            .into_iter()
            .map(|r| TextLine {
                text: r.text,
                confidence: r.confidence,
                x: r.u - r.b.width / 2.0,
                y: r.v - r.b.height / 2.0,
                width: r.b.width,
                height: r.b.height,
            })
            .collect();
        reading_order(&mut lines);
        let timings = OcrTimings { decode_ms: 0.0, detect_ms, recognise_ms, lines: lines.len() };
        let text = DocumentText {
            engine: ENGINE_NAME.to_owned(),
            width: img.width(),
            height: img.height(),
            skew_deg: detected.skew.to_degrees(),
            lines,
        };
        Ok((text, timings))
    }

    /// Joins the MRZ-looking pieces of each row into one box and reads it again.
    fn merge_mrz_rows(
        &self,
        img: &RgbImage,
        reads: Vec<Read>,
        skew: f32,
    ) -> Result<Vec<Read>, VisionError> {
        let (mut mrz, mut rest): (Vec<Read>, Vec<Read>) =
            reads.into_iter().partition(|r| looks_like_mrz_piece(&r.text));
        mrz.sort_by(|a, b| a.v.total_cmp(&b.v));
        let mut rows: Vec<Vec<Read>> = Vec::new();
        for r in mrz {
            match rows.last_mut() {
                Some(row) if (row[0].v - r.v).abs() < 0.5 * row[0].b.height.max(r.b.height) => {
                    row.push(r)
                }
                _ => rows.push(vec![r]),
            }
        }
        let (sin, cos) = skew.sin_cos();
        for row in rows {
            if row.len() == 1 {
                rest.extend(row);
                continue;
            }
            let u0 = row.iter().map(|r| r.u - r.b.width / 2.0).fold(f32::MAX, f32::min);
            let u1 = row.iter().map(|r| r.u + r.b.width / 2.0).fold(f32::MIN, f32::max);
            let v0 = row.iter().map(|r| r.v - r.b.height / 2.0).fold(f32::MAX, f32::min);
            let v1 = row.iter().map(|r| r.v + r.b.height / 2.0).fold(f32::MIN, f32::max);
            let (u, v) = ((u0 + u1) / 2.0, (v0 + v1) / 2.0);
            let b = TextBox {
                cx: u * cos - v * sin,
                cy: u * sin + v * cos,
                width: u1 - u0,
                height: v1 - v0,
                score: row.iter().map(|r| r.b.score).fold(0.0, f32::max),
            };
            let r = self.rec.recognise(img, &b, skew)?;
            rest.push(Read { b, u, v, text: r.text, confidence: r.confidence });
        }
        Ok(rest)
    }
}

/// The engine's name in evidence and audits.
pub const ENGINE_NAME: &str = "local-onnx/pp-ocrv4";
