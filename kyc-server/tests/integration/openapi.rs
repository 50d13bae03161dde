//! The OpenAPI document describes exactly the router's routes.

use crate::harness::*;
use axum::{
    body::Body,
    http::{Method, Request},
};
use kyc_core::ErrorCode;
use kyc_server::api::{OPENAPI, ROUTES};
use std::collections::BTreeSet;

fn documented() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn documents_exactly_the_routes() {
    let routes: BTreeSet<_> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented(), routes);
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let h = Harness::new();
    for (method, path) in documented() {
        let uri = path.replace("{id}", "8e0a1a57-2f4b-4f0e-9d7b-0d3c1b2a0f99");
        let req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(&uri)
            .body(Body::empty())
            .unwrap();
        let r = h.send(req).await;
        assert_ne!(r.status, 405, "{method} {path}");
        if r.status == 404 {
            assert_ne!(r.json()["message"], "no such route", "{method} {path} is not routed");
        }
    }
}

#[test]
fn documents_every_error_code() {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
    let listed: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, codes);
}

#[tokio::test]
async fn is_served_at_openapi_json() {
    let h = Harness::new();
    let r = h.get("/openapi.json", "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::from_str::<serde_json::Value>(OPENAPI).unwrap());
}
