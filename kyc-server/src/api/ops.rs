//! Health, readiness, metrics and the OpenAPI document.

use crate::{AppState, backend::StoreError, error::ApiError};
use axum::{
    Json,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use kyc_core::{ErrorCode, VerificationId};
use std::time::Duration;

/// The OpenAPI 3.1 document of this API.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// `GET /healthz`: the process is up.
pub(super) async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// `GET /readyz`: storage answers within 2 seconds.
pub(super) async fn readyz(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let probe = async {
        let nil: VerificationId =
            "00000000-0000-4000-8000-000000000000".parse().map_err(StoreError::backend)?;
        match state.backends.verifications.get(&nil).await {
            Ok(_) | Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
        state.backends.audit.scan(0, 1).await.map(|_| ())
    };
    match tokio::time::timeout(Duration::from_secs(2), probe).await {
        Ok(Ok(())) => Ok(Json(serde_json::json!({"status": "ready"}))),
        Ok(Err(e)) => Err(ApiError::new(ErrorCode::StorageUnavailable, "storage is not ready")
            .with_retry_after(5)
            .with_source(e)),
        Err(_) => Err(ApiError::new(ErrorCode::StorageUnavailable, "storage is not ready")
            .with_retry_after(5)),
    }
}

/// `GET /metrics`: Prometheus/OpenMetrics text.
pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        state.metrics.render(),
    )
        .into_response()
}

/// `GET /openapi.json`
pub(super) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}
