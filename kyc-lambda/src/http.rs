//! `IDUploadLambda` and `LivenessOrchestratorLambda`: the HTTP API behind
//! API Gateway, the same axum router `kyc serve` serves, less `/metrics`:
//! behind a public API the exposition would be anyone's to read, and an
//! execution environment's counters say nothing of the fleet (the functions
//! write their metrics to CloudWatch, `[log] emf`).
//!
//! API Gateway is the listener here: the peer address the per-address
//! limits key on comes from the request context (`identity.sourceIp` of a
//! REST API, `http.sourceIp` of an HTTP API), never from a header a client
//! can set. A REST API's stage is taken off the path, so the routes are the
//! same with or without `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH`.

use axum::{
    Router,
    extract::ConnectInfo,
    response::{IntoResponse, Response},
};
use kyc_core::ErrorCode;
use kyc_server::{AppState, error::ApiError};
use lambda_http::{
    Request, RequestExt,
    http::{Uri, uri::PathAndQuery},
    request::RequestContext,
};
use std::net::{IpAddr, SocketAddr};
use tower::{ServiceExt, util::MapRequest};

/// What API Gateway says about a request: the client address it saw and
/// the REST API stage (an HTTP API's `$default` stage is no prefix).
fn gateway<B>(req: &lambda_http::http::Request<B>) -> (Option<IpAddr>, Option<String>) {
    let (ip, stage) = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(c)) => (c.identity.source_ip.clone(), c.stage.clone()),
        Some(RequestContext::ApiGatewayV2(c)) => (c.http.source_ip.clone(), None),
        _ => (None, None),
    };
    (ip.and_then(|ip| ip.parse().ok()), stage)
}

/// The client address API Gateway saw.
pub fn source_ip<B>(req: &lambda_http::http::Request<B>) -> Option<IpAddr> {
    gateway(req).0
}

/// `/{stage}/v1/…` → `/v1/…`: lambda_http puts a REST API's stage in
/// front of the path (unless `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` is set).
fn without_stage(uri: &Uri, stage: &str) -> Option<Uri> {
    let rest = uri.path().strip_prefix('/')?.strip_prefix(stage)?;
    if !rest.starts_with('/') {
        return None;
    }
    let pq = match uri.query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(PathAndQuery::try_from(pq).ok()?);
    Uri::from_parts(parts).ok()
}

fn from_gateway(mut req: Request) -> Request {
    let (ip, stage) = gateway(&req);
    if let Some(ip) = ip {
        req.extensions_mut().insert(ConnectInfo(SocketAddr::new(ip, 0)));
    }
    if let Some(uri) = stage.and_then(|s| without_stage(req.uri(), &s)) {
        *req.uri_mut() = uri;
    }
    req
}

/// `/metrics` answers 404 `not_found`, as an unknown route does.
async fn no_metrics(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if req.uri().path() == "/metrics" {
        return ApiError::new(ErrorCode::NotFound, "no such route").into_response();
    }
    next.run(req).await
}

/// The API as a Lambda HTTP service: the router of `kyc serve` without
/// `/metrics`, each request given the peer address from the request context
/// and its path without the REST API stage.
pub fn service(state: AppState) -> MapRequest<Router, fn(Request) -> Request> {
    kyc_server::app(state)
        .layer(axum::middleware::from_fn(no_metrics))
        .map_request(from_gateway as fn(Request) -> Request)
}

/// Serves the API until the environment shuts down; quota counters are
/// flushed every two seconds while the environment runs.
pub async fn run(state: AppState) -> Result<(), lambda_http::Error> {
    let flusher = tokio::spawn(kyc_server::limits::run_quota_flusher(state.clone()));
    let served = lambda_http::run(service(state)).await;
    flusher.abort();
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stage_comes_off_the_path_and_the_query_stays() {
        let uri: Uri = "https://x.example/prod/v1/verifications?limit=2".parse().unwrap();
        assert_eq!(
            without_stage(&uri, "prod").unwrap().to_string(),
            "https://x.example/v1/verifications?limit=2"
        );
        let uri: Uri = "/prod/healthz".parse().unwrap();
        assert_eq!(without_stage(&uri, "prod").unwrap().to_string(), "/healthz");
        // not the stage: a path that merely starts with its letters
        assert!(without_stage(&"/production/healthz".parse().unwrap(), "prod").is_none());
        assert!(without_stage(&"/v1/verifications".parse().unwrap(), "prod").is_none());
    }
}
