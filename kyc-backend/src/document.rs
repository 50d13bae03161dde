//! The document reader: the text on a photo of an identity document, with
//! where each line is. It returns evidence (lines, confidences, geometry);
//! `kyc_core::document::fields` turns that into fields and decides what is
//! valid, so the local engine and a cloud one (Textract) share one reader.

use crate::ProviderError;
use async_trait::async_trait;
use bytes::Bytes;
use kyc_core::document::text::DocumentText;
use std::fmt;

/// A document reader. Contract:
/// * `read_text` returns every line it found, in reading order, with boxes in
///   the deskewed page frame; an image without text is `Ok` with no lines.
/// * A body that is not a JPEG/PNG image is `Err(Rejected(..))`; engine
///   failures are retryable errors.
#[async_trait]
pub trait DocumentReader: Send + Sync + fmt::Debug + 'static {
    /// Engine name and model, e.g. `local-onnx/pp-ocrv4`.
    fn name(&self) -> &str;
    /// Reads the text of an encoded image.
    async fn read_text(&self, image: &Bytes) -> Result<DocumentText, ProviderError>;
}

/// A reader for builds without one: every call is `NotSupported`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDocumentReader;

#[async_trait]
impl DocumentReader for NoDocumentReader {
    fn name(&self) -> &str {
        "none"
    }

    async fn read_text(&self, _image: &Bytes) -> Result<DocumentText, ProviderError> {
        Err(ProviderError::NotSupported)
    }
}
