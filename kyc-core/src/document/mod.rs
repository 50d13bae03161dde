//! Identity documents: machine-readable zones, OCR text and the fields read from it.

pub mod fields;
pub mod mrz;
pub mod mrz_ocr;
pub mod text;
