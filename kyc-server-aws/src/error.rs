//! SDK errors to the backends' typed errors, in one place.

use aws_sdk_s3::{config::http::HttpResponse, error::ProvideErrorMetadata, error::SdkError};
use kyc_backend::StoreError;
use std::error::Error as StdError;

/// Maps a failed call: missing → `NotFound`, a lost condition → `Conflict`,
/// throttling, 5xx, timeouts and connection failures → retryable
/// `Unavailable`, anything else → `Backend`.
pub(crate) fn store_error<E>(e: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::unavailable(e)
        }
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            let code = se.err().code().unwrap_or_default();
            match (status, code) {
                // a missing bucket or table is a deployment fault, not a missing item
                (_, "NoSuchBucket" | "ResourceNotFoundException") => {
                    StoreError::Unavailable { retryable: false, source: Some(Box::new(e)) }
                }
                (404, _) | (_, "NoSuchKey" | "NotFound") => StoreError::NotFound,
                (412 | 409, _)
                | (
                    _,
                    "PreconditionFailed"
                    | "ConditionalRequestConflict"
                    | "ConditionalCheckFailedException"
                    | "TransactionCanceledException"
                    | "TransactionConflictException",
                ) => StoreError::Conflict,
                (429 | 500..=599, _)
                | (
                    _,
                    "SlowDown"
                    | "Throttling"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "ProvisionedThroughputExceededException",
                ) => StoreError::unavailable(e),
                _ => StoreError::backend(e),
            }
        }
        _ => StoreError::backend(e),
    }
}

/// Maps a failed engine call (Rekognition, Textract): a timeout →
/// `Timeout`; throttling, 5xx and connection failures → retryable
/// `Unavailable` (after the SDK's own retries); an image the service refuses
/// → `Rejected` with a stable reason; anything else → `Backend`.
pub(crate) fn provider_error<E>(
    provider: &'static str,
    e: SdkError<E, HttpResponse>,
) -> kyc_backend::ProviderError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    use kyc_backend::ProviderError;
    match &e {
        SdkError::TimeoutError(_) => ProviderError::Timeout,
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => ProviderError::Unavailable,
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            match (status, se.err().code().unwrap_or_default()) {
                (_, "InvalidImageFormatException" | "UnsupportedDocumentException") => {
                    ProviderError::Rejected("image format not accepted by the engine")
                }
                (_, "ImageTooLargeException" | "DocumentTooLargeException") => {
                    ProviderError::Rejected("image too large for the engine")
                }
                (_, "BadDocumentException") => ProviderError::Rejected("unreadable document image"),
                (_, "InvalidParameterException") => {
                    ProviderError::Rejected("the engine found no usable face")
                }
                (429 | 500..=599, _)
                | (
                    _,
                    "ThrottlingException"
                    | "ProvisionedThroughputExceededException"
                    | "LimitExceededException"
                    | "InternalServerError"
                    | "ServiceUnavailableException",
                ) => ProviderError::Unavailable,
                _ => ProviderError::Backend { provider, source: Box::new(e) },
            }
        }
        _ => ProviderError::Backend { provider, source: Box::new(e) },
    }
}

/// A failed call in one line: the service's code and message, or the
/// transport failure with its causes.
pub(crate) fn brief<E>(e: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    match e {
        SdkError::ServiceError(se) => format!(
            "{} ({})",
            se.err().code().unwrap_or("error"),
            se.err().message().unwrap_or("no message")
        ),
        other => aws_sdk_s3::error::DisplayErrorContext(other).to_string(),
    }
}

/// The error code of a service error, if it is one.
pub(crate) fn service_code<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> Option<&str> {
    match e {
        SdkError::ServiceError(se) => se.err().code(),
        _ => None,
    }
}
