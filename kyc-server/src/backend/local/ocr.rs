//! The local document reader as a [`DocumentReader`]: `kyc_vision::ocr`
//! (PP-OCRv4) run on the server's CPU pool.

use super::vision_err;
use crate::{
    backend::{ProviderError, document::DocumentReader},
    cpu_pool::CpuPool,
};
use async_trait::async_trait;
use bytes::Bytes;
use kyc_core::document::text::DocumentText;
pub use kyc_vision::ocr::{ENGINE_NAME, OcrLoadError, OcrTimings, TextReader};
use std::sync::Arc;

/// The local PP-OCRv4 document reader on the CPU pool.
#[derive(Debug, Clone)]
pub struct LocalDocumentReader {
    models: Arc<TextReader>,
    cpu: Arc<CpuPool>,
}

impl LocalDocumentReader {
    /// Loads both models to run on `cpu`; plans are made on first use, or
    /// ahead of it by [`TextReader::warm`] through [`models`](Self::models).
    pub fn load(cpu: Arc<CpuPool>) -> Result<Self, OcrLoadError> {
        Ok(Self { models: Arc::new(TextReader::load()?), cpu })
    }

    /// The models, for synchronous use.
    pub fn models(&self) -> &TextReader {
        &self.models
    }
}

#[async_trait]
impl DocumentReader for LocalDocumentReader {
    fn name(&self) -> &str {
        ENGINE_NAME
    }

    async fn read_text(&self, image: &Bytes) -> Result<DocumentText, ProviderError> {
        let models = Arc::clone(&self.models);
        let image = image.clone();
        self.cpu
            .run(move || models.read(&image).map_err(vision_err))
            .await
            .map_err(|_| ProviderError::Unavailable)?
    }
}
