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
    /// The request body did not arrive within the server's body-read timeout.
    RequestTimeout,
    // ---- liveness and faces ------------------------------------------------
    /// No face was found where one is required.
    NoFaceFound,
    /// `POST /start-liveness` has not been called (or its session is gone).
    LivenessNotStarted,
    /// The liveness challenge's deadline has passed.
    ChallengeExpired,
    /// The session already received its maximum number of frames.
    FrameLimitExceeded,
    /// The same `frameId` was sent before with different bytes.
    FrameConflict,
    /// The frame's timestamp is not later than the previous frame's.
    FrameOutOfOrder,
    /// The frame's capture time drifted from the server's receive times
    /// beyond the allowed bound (a recorded or retimed sequence).
    FrameTimingInvalid,
    /// The frame belongs to another session (wrong nonce), or its bytes were already sent as another frame.
    FrameReplayed,
    /// `GET /verify` was called before every gesture was performed.
    LivenessIncomplete,
    /// Too many failed liveness attempts: the verification is locked for review.
    LivenessLocked,
    /// The verification has no document to compare the live face with.
    DocumentMissing,
    /// The face engine is unavailable (circuit open); retry after `Retry-After`.
    FaceEngineUnavailable,
    // ---- document reading ------------------------------------------------
    /// No identity document text could be read from the image.
    DocumentUnreadable,
    /// The document's MRZ fails its check digits.
    MrzChecksumFailed,
    /// Name, date of birth or document number could not be read.
    FieldsMissing,
    // ---- server side -----------------------------------------------------
    /// Storage is unavailable after retries; retry later.
    StorageUnavailable,
    /// The server could not answer within its whole-request timeout; the
    /// work may still complete, so retry with the same `Idempotency-Key`.
    ProcessingTimeout,
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
            Self::RequestTimeout => "request_timeout",
            Self::NoFaceFound => "no_face_found",
            Self::LivenessNotStarted => "liveness_not_started",
            Self::ChallengeExpired => "challenge_expired",
            Self::FrameLimitExceeded => "frame_limit_exceeded",
            Self::FrameConflict => "frame_conflict",
            Self::FrameOutOfOrder => "frame_out_of_order",
            Self::FrameTimingInvalid => "frame_timing_invalid",
            Self::FrameReplayed => "frame_replayed",
            Self::LivenessIncomplete => "liveness_incomplete",
            Self::LivenessLocked => "liveness_locked",
            Self::DocumentMissing => "document_missing",
            Self::FaceEngineUnavailable => "face_engine_unavailable",
            Self::DocumentUnreadable => "document_unreadable",
            Self::MrzChecksumFailed => "mrz_checksum_failed",
            Self::FieldsMissing => "fields_missing",
            Self::StorageUnavailable => "storage_unavailable",
            Self::ProcessingTimeout => "processing_timeout",
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
        Self::RequestTimeout,
        Self::NoFaceFound,
        Self::LivenessNotStarted,
        Self::ChallengeExpired,
        Self::FrameLimitExceeded,
        Self::FrameConflict,
        Self::FrameOutOfOrder,
        Self::FrameTimingInvalid,
        Self::FrameReplayed,
        Self::LivenessIncomplete,
        Self::LivenessLocked,
        Self::DocumentMissing,
        Self::FaceEngineUnavailable,
        Self::DocumentUnreadable,
        Self::MrzChecksumFailed,
        Self::FieldsMissing,
        Self::StorageUnavailable,
        Self::ProcessingTimeout,
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
