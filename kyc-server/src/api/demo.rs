//! The demo page `kyc serve` shows at `/` (only while it listens on
//! loopback, or when `[demo] enabled = true`): it creates a verification
//! and embeds the `<kyc-verify>` widget, whose bundles (built by
//! `npm --prefix npm run build`) are served under `/widget/v0.1.0/`.
//!
//! The page, its script and the widget run under a strict Content-Security-
//! Policy: scripts and styles only from this origin, `'wasm-unsafe-eval'`
//! for WebAssembly, no inline code.

use crate::{AppState, error::ApiError, service::verifications as svc};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};

/// The widget's version path.
pub const WIDGET_PATH: &str = "/widget/v0.1.0";
/// The owner of verifications the demo page creates.
pub const DEMO_OWNER: &str = "demo";
/// The Content-Security-Policy of the demo page and the widget files.
pub const DEMO_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' blob:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The files of `npm/dist` the server hands out, with their types.
const FILES: &[(&str, &str)] = &[
    ("index.js", "text/javascript; charset=utf-8"),
    ("slim.js", "text/javascript; charset=utf-8"),
    ("kyc-verify.iife.js", "text/javascript; charset=utf-8"),
    ("kyc_wasm_widget_bg.wasm", "application/wasm"),
];

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DEMO_CSP)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

async fn page() -> Response {
    asset(include_str!("demo/index.html"), "text/html; charset=utf-8")
}

async fn script() -> Response {
    asset(include_str!("demo/demo.js"), "text/javascript; charset=utf-8")
}

async fn style() -> Response {
    asset(include_str!("demo/demo.css"), "text/css; charset=utf-8")
}

/// Whether a request comes from the demo page itself: its `Origin` is this
/// server (a cross-site form or fetch carries another origin, or none).
fn same_origin(headers: &axum::http::HeaderMap) -> bool {
    let value = |h| headers.get(h).and_then(|v: &HeaderValue| v.to_str().ok());
    match (value(header::ORIGIN), value(header::HOST)) {
        (Some(origin), Some(host)) => origin.strip_prefix("http://") == Some(host),
        _ => false,
    }
}

/// `POST /demo/session`: a verification and its client token for the page
/// (same-origin requests only).
async fn session(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    if !same_origin(&headers) {
        return Err(ApiError::forbidden("demo sessions are created only by the demo page"));
    }
    let (v, _) =
        svc::create(&state, DEMO_OWNER, DEMO_OWNER, &Default::default(), None, "demo").await?;
    Ok((StatusCode::CREATED, Json(super::verifications::created(&state, &v))).into_response())
}

/// `GET /widget/v0.1.0/{file}`: a built bundle from `[demo] widget_dir`.
async fn widget(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((name, content_type)) = FILES.iter().find(|(n, _)| *n == file) else {
        return ApiError::not_found().into_response();
    };
    match tokio::fs::read(state.config.demo.widget_dir.join(name)).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DEMO_CSP)),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => ApiError::not_found().into_response(),
    }
}

/// The demo routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route("/demo.js", get(script))
        .route("/demo.css", get(style))
        .route("/demo/session", post(session))
        .route(&format!("{WIDGET_PATH}/{{file}}"), get(widget))
}
