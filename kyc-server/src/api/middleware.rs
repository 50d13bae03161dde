//! Request observation: one span per request, metrics, one log line.

use crate::{AppState, error::ErrorSource};
use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::Response,
};
use kyc_core::ErrorCode;
use std::time::Instant;
use tracing::{Instrument, field::Empty};

/// Wraps every request in a span with `method`, `route`, `verification_id`
/// (recorded by handlers), `status` and `error_code`, and counts it.
pub(super) async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let route =
        req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let span = tracing::info_span!(
        "request",
        method = %method,
        route = %route,
        verification_id = Empty,
        status = Empty,
        error_code = Empty,
    );
    let start = Instant::now();
    let resp = next.run(req).instrument(span.clone()).await;
    let elapsed = start.elapsed();
    let status = resp.status().as_u16();
    let m = &state.metrics;
    m.http_requests
        .get_or_create(&crate::telemetry::HttpLabels {
            method: method.clone(),
            route: route.clone(),
            status,
        })
        .inc();
    m.http_duration
        .get_or_create(&crate::telemetry::RouteLabels { method, route })
        .observe(elapsed.as_secs_f64());
    let code = resp.extensions().get::<ErrorCode>().copied();
    span.record("status", status);
    if let Some(c) = code {
        span.record("error_code", c.as_str());
    }
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let _enter = span.enter();
    match resp.extensions().get::<ErrorSource>() {
        Some(src) if status >= 500 => tracing::error!(latency_ms, error = %src.0, "request failed"),
        Some(src) => tracing::warn!(latency_ms, error = %src.0, "request rejected"),
        None if status >= 500 => tracing::error!(latency_ms, "request failed"),
        None if code.is_some() => tracing::info!(latency_ms, "request rejected"),
        None => tracing::info!(latency_ms, "request"),
    }
    drop(_enter);
    resp
}
