//! Stable, machine-readable error codes shared by every layer.
//!
//! The server maps each [`ErrorCode`] to an HTTP status in one place
//! (`kyc_server::error`); the widget turns the same codes into `kyc-error`
//! events. Codes are serialised as `snake_case` and never change meaning once
//! released.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A stable error code. New codes may be added; existing ones never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    // ---- request shape -------------------------------------------------
    /// The request body or parameters are not valid.
    InvalidRequest,
    /// The uploaded bytes are not a supported image format (JPEG, PNG).
    UnsupportedMediaType,
    /// The request body exceeds the configured size limit.
    PayloadTooLarge,
    /// The image is smaller than the minimum dimensions.
    ImageTooSmall,
    /// The image exceeds the maximum dimensions or pixel count.
    ImageTooLarge,
    /// The image claims a supported format but its bytes are corrupt.
    MalformedImage,
    // ---- auth and limits -------------------------------------------------
    /// Missing, unknown, expired or malformed credentials.
    Unauthorized,
    /// The credentials are valid but do not allow this request.
    Forbidden,
    /// Too many requests for this key; retry after `Retry-After` seconds.
    RateLimited,
    /// The key's daily quota is used up; retry after `Retry-After` seconds.
    QuotaExceeded,
    // ---- resources -------------------------------------------------------
    /// No such resource (or it was erased or has expired).
    NotFound,
    /// The HTTP method is not allowed on this path.
    MethodNotAllowed,
    /// The verification already has a different document.
    DocumentAlreadyUploaded,
    /// The `Idempotency-Key` was already used with a different request body.
    IdempotencyKeyReused,
    /// The verification has expired.
    VerificationExpired,
    /// A concurrent update won; retry the request.
    Conflict,
    // ---- server side -----------------------------------------------------
    /// Storage is unavailable after retries; retry later.
    StorageUnavailable,
    /// An unexpected internal error; details are only in the server log.
    Internal,
}

impl ErrorCode {
    /// The code as its stable `snake_case` string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::ImageTooSmall => "image_too_small",
            Self::ImageTooLarge => "image_too_large",
            Self::MalformedImage => "malformed_image",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::RateLimited => "rate_limited",
            Self::QuotaExceeded => "quota_exceeded",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::DocumentAlreadyUploaded => "document_already_uploaded",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::VerificationExpired => "verification_expired",
            Self::Conflict => "conflict",
            Self::StorageUnavailable => "storage_unavailable",
            Self::Internal => "internal",
        }
    }

    /// Every code, in declaration order (for docs, OpenAPI and tests).
    pub const ALL: &'static [ErrorCode] = &[
        Self::InvalidRequest,
        Self::UnsupportedMediaType,
        Self::PayloadTooLarge,
        Self::ImageTooSmall,
        Self::ImageTooLarge,
        Self::MalformedImage,
        Self::Unauthorized,
        Self::Forbidden,
        Self::RateLimited,
        Self::QuotaExceeded,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::DocumentAlreadyUploaded,
        Self::IdempotencyKeyReused,
        Self::VerificationExpired,
        Self::Conflict,
        Self::StorageUnavailable,
        Self::Internal,
    ];
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_str_matches_serde() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, *code);
        }
    }
}
