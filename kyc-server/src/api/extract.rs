//! Body extractors that answer with the API's own error shape.

use crate::error::ApiError;
use axum::{
    body::Body,
    extract::{FromRequest, Multipart, Request},
    http::header,
};
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use kyc_core::ErrorCode;
use serde::de::DeserializeOwned;

/// Largest JSON request body.
pub(crate) const JSON_LIMIT: usize = 64 * 1024;

fn too_large(limit: u64) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge, format!("the request body exceeds {limit} bytes"))
}

/// Reads a whole body, at most `limit` bytes.
async fn read_limited(body: Body, limit: u64) -> Result<Bytes, ApiError> {
    let limited = Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX));
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large(limit)),
        Err(_) => Err(ApiError::invalid("the request body could not be read")),
    }
}

fn declared_length(req: &Request) -> Option<u64> {
    req.headers().get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

fn content_type(req: &Request) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Reads a JSON body of at most `limit` bytes (an empty body is `{}`).
pub(crate) async fn read_json<T: DeserializeOwned>(
    req: Request,
    limit: u64,
) -> Result<T, ApiError> {
    let ct = content_type(&req);
    let bytes = read_limited(req.into_body(), limit).await?;
    let bytes =
        if bytes.iter().all(u8::is_ascii_whitespace) { Bytes::from_static(b"{}") } else { bytes };
    if !(ct.starts_with("application/json") || ct.is_empty()) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "expected Content-Type: application/json",
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}")))
}

/// Whether the request body is `multipart/form-data`.
pub(crate) fn is_multipart(req: &Request) -> bool {
    content_type(req).starts_with("multipart/form-data")
}

/// JSON body (`Content-Type: application/json`, at most 64 KiB). An empty
/// body is read as `{}`, so optional bodies may be omitted.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let ct = content_type(&req);
        let bytes = read_limited(req.into_body(), JSON_LIMIT as u64).await?;
        let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
            Bytes::from_static(b"{}")
        } else {
            bytes
        };
        if !(ct.starts_with("application/json") || ct.is_empty()) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "expected Content-Type: application/json",
            ));
        }
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}")))
    }
}

/// Field names accepted for the image in a multipart upload.
const FILE_FIELDS: &[&str] = &["file", "document", "image"];

/// Reads an uploaded image: a raw body (any `Content-Type`; the bytes decide)
/// or the first file field of a `multipart/form-data` body. At most `limit` bytes.
pub(crate) async fn read_upload(req: Request, limit: u64) -> Result<Bytes, ApiError> {
    let whole = limit.saturating_add(MULTIPART_OVERHEAD);
    if declared_length(&req).is_some_and(|n| n > whole) {
        return Err(too_large(limit));
    }
    if !content_type(&req).starts_with("multipart/form-data") {
        return read_limited(req.into_body(), limit).await;
    }
    // part headers and skipped fields count too, as the body streams
    let req = req.map(|b| Body::new(Limited::new(b, usize::try_from(whole).unwrap_or(usize::MAX))));
    let mut multipart = open_multipart(req).await?;
    let bad = multipart_error(limit);
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let is_file =
            field.name().is_some_and(|n| FILE_FIELDS.contains(&n)) || field.file_name().is_some();
        if !is_file {
            continue;
        }
        let mut buf = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            if (buf.len() + chunk.len()) as u64 > limit {
                return Err(too_large(limit));
            }
            buf.extend_from_slice(&chunk);
        }
        return Ok(buf.freeze());
    }
    Err(ApiError::invalid("the multipart body has no file field (file, document or image)"))
}

async fn open_multipart(req: Request) -> Result<Multipart, ApiError> {
    Multipart::from_request(req, &())
        .await
        .map_err(|_| ApiError::invalid("malformed multipart body"))
}

/// Maps a multipart read error: too large (413) or malformed (400).
fn multipart_error(
    limit: u64,
) -> impl Fn(axum::extract::multipart::MultipartError) -> ApiError + Copy {
    move |e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            too_large(limit)
        } else {
            ApiError::invalid("malformed multipart body")
        }
    }
}

/// Room for boundaries, part headers and small text fields on top of a
/// multipart body's file data.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// The text and file fields of a multipart body (fields at most `limit`
/// bytes in total, the whole body, part headers included, at most `limit`
/// plus 64 KiB: checked against Content-Length first, then as it streams).
pub(crate) async fn read_multipart(
    req: Request,
    limit: u64,
) -> Result<Vec<(String, Bytes)>, ApiError> {
    let whole = limit.saturating_add(MULTIPART_OVERHEAD);
    if declared_length(&req).is_some_and(|n| n > whole) {
        return Err(too_large(limit));
    }
    let req = req.map(|b| Body::new(Limited::new(b, usize::try_from(whole).unwrap_or(usize::MAX))));
    let mut multipart = open_multipart(req).await?;
    let bad = multipart_error(limit);
    let mut fields = Vec::new();
    let mut total = 0u64;
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        let mut buf = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            total += chunk.len() as u64;
            if total > limit {
                return Err(too_large(limit));
            }
            buf.extend_from_slice(&chunk);
        }
        fields.push((name, buf.freeze()));
    }
    Ok(fields)
}
