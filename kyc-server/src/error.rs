//! `ApiError`: the one place where error codes become HTTP statuses.
//!
//! Client errors carry their code and a fixed, PII-free message. Internal
//! errors answer `{"code":"internal","message":"internal error"}`; the real
//! cause travels in a response extension ([`ErrorSource`]) that the logging
//! middleware records inside the request span. Nothing from an inner error is
//! ever formatted into a response body.

use crate::backend::StoreError;
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use kyc_core::{ErrorCode, api::v1::ErrorBody, image::ImageError};
use std::{borrow::Cow, error::Error as StdError, sync::Arc};

/// The HTTP status of each error code.
pub const fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
        ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::ImageTooSmall | ErrorCode::ImageTooLarge | ErrorCode::MalformedImage => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::RateLimited | ErrorCode::QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::DocumentAlreadyUploaded | ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::VerificationExpired => StatusCode::GONE,
        ErrorCode::NoFaceFound
        | ErrorCode::DocumentUnreadable
        | ErrorCode::MrzChecksumFailed
        | ErrorCode::FieldsMissing => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::LivenessNotStarted
        | ErrorCode::LivenessIncomplete
        | ErrorCode::DocumentMissing => StatusCode::CONFLICT,
        ErrorCode::ChallengeExpired => StatusCode::GONE,
        ErrorCode::FrameLimitExceeded => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::FrameConflict | ErrorCode::FrameReplayed => StatusCode::CONFLICT,
        ErrorCode::FrameOutOfOrder | ErrorCode::FrameTimingInvalid => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ErrorCode::LivenessLocked => StatusCode::LOCKED,
        ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        ErrorCode::StorageUnavailable
        | ErrorCode::FaceEngineUnavailable
        | ErrorCode::ProcessingTimeout => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        // codes added later default to a server error until mapped here
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The internal cause of an error response, for the log only.
#[derive(Debug, Clone)]
pub struct ErrorSource(pub Arc<dyn StdError + Send + Sync>);

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: Cow<'static, str>,
    retry_after_secs: Option<u64>,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

impl ApiError {
    /// An error with a client-facing message (no PII, no internals).
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self { code, message: message.into(), retry_after_secs: None, source: None }
    }

    /// An internal error: the client sees only `internal`.
    pub fn internal(source: impl StdError + Send + Sync + 'static) -> Self {
        Self::new(ErrorCode::Internal, "internal error").with_source(source)
    }

    /// Adds a `Retry-After` header.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs.max(1));
        self
    }

    /// Records the cause for the log.
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// Shorthand for 400 `invalid_request`.
    pub fn invalid(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    /// Shorthand for 401 `unauthorized`.
    pub fn unauthorized() -> Self {
        Self::new(ErrorCode::Unauthorized, "missing, invalid or expired credentials")
    }

    /// Shorthand for 403 `forbidden`.
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// Shorthand for 404 `not_found`.
    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "not found")
    }
}

impl From<ImageError> for ApiError {
    fn from(e: ImageError) -> Self {
        // ImageError messages carry sizes and formats only: safe for clients
        Self::new(e.code(), e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            StoreError::Conflict => {
                Self::new(ErrorCode::Conflict, "a concurrent request changed this resource; retry")
                    .with_source(e)
            }
            StoreError::Unavailable { .. } => {
                Self::new(ErrorCode::StorageUnavailable, "storage is unavailable; retry later")
                    .with_retry_after(5)
                    .with_source(e)
            }
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.code);
        let body = ErrorBody { code: self.code, message: self.message.into_owned() };
        let mut resp = (status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.code == ErrorCode::Unauthorized {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp.extensions_mut().insert(self.code);
        if let Some(src) = self.source {
            resp.extensions_mut().insert(ErrorSource(src));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body_json(r: Response) -> serde_json::Value {
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn error_bodies_are_stable() {
        let mut snapshot = serde_json::Map::new();
        for code in ErrorCode::ALL {
            let r = ApiError::new(*code, "message").into_response();
            assert_eq!(r.status(), status_of(*code));
            let status = r.status().as_u16();
            let body = body_json(r).await;
            assert_eq!(body["code"], code.as_str());
            snapshot
                .insert(code.as_str().into(), serde_json::json!({"status": status, "body": body}));
        }
        insta::assert_json_snapshot!("error_codes_and_statuses", snapshot);
    }

    #[tokio::test]
    async fn internal_errors_hide_their_cause() {
        let r =
            ApiError::internal(std::io::Error::other("disk /secret/path exploded")).into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(r.extensions().get::<ErrorSource>().is_some());
        let body = body_json(r).await;
        assert_eq!(body, serde_json::json!({"code": "internal", "message": "internal error"}));
    }

    #[tokio::test]
    async fn retry_after_and_www_authenticate() {
        let r =
            ApiError::new(ErrorCode::RateLimited, "slow down").with_retry_after(0).into_response();
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        let r = ApiError::unauthorized().into_response();
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer");
        let r: Response =
            ApiError::from(StoreError::unavailable(std::io::Error::other("x"))).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "5");
    }
}
