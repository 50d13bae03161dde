//! The operations behind the HTTP API, independent of HTTP: creating,
//! reading and erasing verifications, storing documents, retention.

pub mod audit;
pub mod image;
pub mod jobs;
pub mod liveness;
pub mod ocr;
pub mod retention;
pub mod screening;
pub mod upload;
pub mod verifications;

use crate::{AppState, error::ApiError};
use kyc_core::{
    ErrorCode, VerificationId,
    api::v1::{Step, StepStatus},
    audit::AuditEvent,
};

/// Why a job step that calls a provider (document reader, screener) failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderJobError {
    /// The provider failed (retryable or not, as it says).
    #[error("provider: {0}")]
    Provider(#[from] crate::backend::ProviderError),
    /// Storage failed.
    #[error("error {}", .0.code())]
    Api(ApiError),
}

impl From<ApiError> for ProviderJobError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<crate::backend::StoreError> for ProviderJobError {
    fn from(e: crate::backend::StoreError) -> Self {
        Self::Api(e.into())
    }
}

impl ProviderJobError {
    /// Whether another attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Provider(e) => e.is_retryable(),
            Self::Api(e) => e.code() == ErrorCode::StorageUnavailable,
        }
    }
}

/// Appends an audit event (with storage retries). The event carries ids,
/// codes and numbers only, never PII.
pub(crate) async fn audit(
    state: &AppState,
    verification_id: Option<VerificationId>,
    step: Step,
    status: StepStatus,
    code: Option<ErrorCode>,
    actor: &str,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    let event = AuditEvent {
        at: state.clock.now(),
        verification_id,
        step,
        status,
        code,
        actor: actor.to_owned(),
        detail,
    };
    let log = state.backends.audit.clone();
    state.retry_policy().run(|| log.append(event.clone())).await?;
    tracing::info!(
        verification_id = verification_id.map(|v| v.to_string()),
        step = step.as_str(),
        status = status.as_str(),
        error_code = code.map(ErrorCode::as_str),
        "audit"
    );
    Ok(())
}
