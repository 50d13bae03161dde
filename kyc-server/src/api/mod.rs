//! The HTTP API: routes, middleware, extractors.

mod deadline;
pub mod demo;
mod extract;
mod liveness;
mod middleware;
mod ops;
mod verifications;

pub use extract::ApiJson;
pub use ops::OPENAPI;

use crate::{AppState, error::ApiError};
use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderName, HeaderValue, Method, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use kyc_core::ErrorCode;
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    set_header::SetResponseHeaderLayer,
};

/// Every route: `(method, path)`. The OpenAPI document must describe exactly
/// these (checked in tests).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("POST", "/v1/verifications"),
    ("GET", "/v1/verifications/{id}"),
    ("DELETE", "/v1/verifications/{id}"),
    ("POST", "/v1/verifications/{id}/document"),
    ("GET", "/v1/verifications/{id}/document"),
    ("POST", "/v1/verifications/{id}/client-token"),
    ("POST", "/upload-id"),
    ("POST", "/start-liveness"),
    ("POST", "/submit-frame"),
    ("GET", "/verify"),
];

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "method not allowed on this route")
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!(error_code = "internal", "handler panicked");
    ApiError::new(ErrorCode::Internal, "internal error").into_response()
}

fn cors(state: &AppState) -> CorsLayer {
    let origins: Vec<HeaderValue> = state
        .config
        .cors
        .allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(600))
}

/// The application router over `state`.
pub fn app(state: AppState) -> Router {
    let security_headers = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    let mut router = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi))
        .route("/v1/verifications", post(verifications::create))
        .route("/v1/verifications/{id}", get(verifications::get).delete(verifications::delete))
        .route(
            "/v1/verifications/{id}/document",
            post(verifications::upload).get(verifications::document),
        )
        .route("/v1/verifications/{id}/client-token", post(verifications::client_token))
        .route("/upload-id", post(verifications::upload_id))
        .route("/start-liveness", post(liveness::start))
        .route("/submit-frame", post(liveness::submit_frame))
        .route("/verify", get(liveness::verify));
    if state.config.demo_enabled() {
        router = router.merge(demo::routes());
    }
    let mut router = router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // bodies are read by our own extractors, each with its own limit and error code
        .layer(DefaultBodyLimit::disable())
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn_with_state(state.config.http, deadline::deadlines))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::observe))
        .layer(cors(&state));
    for (name, value) in security_headers {
        router = router
            .layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    let tls = &state.config.tls;
    if tls.files().is_some() && tls.hsts_max_age_secs > 0 {
        let hsts = HeaderValue::from_str(&format!("max-age={}", tls.hsts_max_age_secs))
            .unwrap_or(HeaderValue::from_static("max-age=31536000"));
        router = router
            .layer(SetResponseHeaderLayer::if_not_present(header::STRICT_TRANSPORT_SECURITY, hsts));
    }
    router.with_state(state)
}
