//! [`DocumentReader`] on Amazon Textract: `AnalyzeID` for identity
//! documents, `AnalyzeDocument` (FORMS) when `AnalyzeID` refuses the image
//! or finds no text. Both answer with `LINE` blocks; [`document_text`] turns
//! them into the same [`DocumentText`] the local engine produces, so
//! `kyc_core::document::fields` reads both alike. (`AnalyzeID`'s own
//! normalised fields are not used: the field reader and its rules stay in
//! `kyc-core`, one for every engine.)

use crate::error::{provider_error, service_code};
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_textract::{
    Client,
    primitives::Blob,
    types::{Block, BlockType, Document, FeatureType},
};
use bytes::Bytes;
use kyc_backend::{ProviderError, document::DocumentReader};
use kyc_core::document::text::{DocumentText, TextLine, reading_order};

const PROVIDER: &str = "textract";

/// Textract as the document reader.
#[derive(Debug, Clone)]
pub struct TextractDocumentReader {
    client: Client,
}

impl TextractDocumentReader {
    /// A reader on `sdk`'s region, credentials, endpoint, retries and timeouts.
    pub fn new(sdk: &SdkConfig) -> Self {
        Self { client: Client::new(sdk) }
    }
}

/// The `LINE` blocks of a Textract answer as page lines: boxes in pixels of
/// a `width` × `height` page, in the deskewed frame (the page's skew is the
/// median slope of the lines' top edges, from their polygons), confidences
/// 0–1, reading order as the local engine's.
pub fn document_text(engine: &str, width: u32, height: u32, blocks: &[Block]) -> DocumentText {
    let (w, h) = (width as f32, height as f32);
    let lines: Vec<(&Block, String)> = blocks
        .iter()
        .filter(|b| b.block_type == Some(BlockType::Line))
        .filter_map(|b| Some((b, b.text.clone()?)))
        .filter(|(_, t)| !t.trim().is_empty())
        .collect();
    let mut slopes: Vec<f32> = lines
        .iter()
        .filter_map(|(b, _)| {
            let p = b.geometry.as_ref()?.polygon.as_ref()?;
            let (a, c) = (p.first()?, p.get(1)?);
            let (dx, dy) = ((c.x - a.x) * w, (c.y - a.y) * h);
            (dx > 1.0).then(|| dy.atan2(dx).to_degrees())
        })
        .collect();
    slopes.sort_by(f32::total_cmp);
    let skew = slopes.get(slopes.len() / 2).copied().unwrap_or(0.0);
    let (sin, cos) = (-skew).to_radians().sin_cos();
    let (cx, cy) = (w / 2.0, h / 2.0);
    let deskew = |x: f32, y: f32| {
        let (dx, dy) = (x - cx, y - cy);
        (cx + dx * cos - dy * sin, cy + dx * sin + dy * cos)
    };
    let mut out: Vec<TextLine> = lines
        .into_iter()
        .filter_map(|(b, text)| {
            let g = b.geometry.as_ref()?;
            let corners: Vec<(f32, f32)> = match g.polygon.as_deref() {
                Some(p) if p.len() >= 4 => p.iter().map(|p| deskew(p.x * w, p.y * h)).collect(),
                _ => {
                    let bb = g.bounding_box.as_ref()?;
                    let (x, y) = (bb.left * w, bb.top * h);
                    vec![(x, y), (x + bb.width * w, y + bb.height * h)]
                }
            };
            let (x0, x1) =
                corners.iter().fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
            let (y0, y1) =
                corners.iter().fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
            Some(TextLine {
                text,
                confidence: (b.confidence.unwrap_or(0.0) / 100.0).clamp(0.0, 1.0),
                x: x0,
                y: y0,
                width: (x1 - x0).max(0.0),
                height: (y1 - y0).max(0.0),
            })
        })
        .collect();
    reading_order(&mut out);
    DocumentText { engine: engine.to_owned(), width, height, skew_deg: skew, lines: out }
}

#[async_trait]
impl DocumentReader for TextractDocumentReader {
    fn name(&self) -> &str {
        "aws-textract"
    }

    async fn read_text(&self, image: &Bytes) -> Result<DocumentText, ProviderError> {
        let info = kyc_core::image::inspect(image)
            .map_err(|_| ProviderError::Rejected("not a JPEG or PNG image"))?;
        let document = || Document::builder().bytes(Blob::new(image.to_vec())).build();
        let id = self.client.analyze_id().document_pages(document()).send().await;
        let blocks = match id {
            Ok(r) => r
                .identity_documents
                .unwrap_or_default()
                .into_iter()
                .flat_map(|d| d.blocks.unwrap_or_default())
                .collect(),
            // not an identity document Textract knows: read it as a form
            Err(e) if service_code(&e) == Some("UnsupportedDocumentException") => Vec::new(),
            Err(e) => return Err(provider_error(PROVIDER, e)),
        };
        let text = document_text("aws-textract/analyze-id", info.width, info.height, &blocks);
        if !text.lines.is_empty() {
            return Ok(text);
        }
        let forms = self
            .client
            .analyze_document()
            .document(document())
            .feature_types(FeatureType::Forms)
            .send()
            .await
            .map_err(|e| provider_error(PROVIDER, e))?;
        let blocks = forms.blocks.unwrap_or_default();
        Ok(document_text("aws-textract/analyze-document", info.width, info.height, &blocks))
    }
}
