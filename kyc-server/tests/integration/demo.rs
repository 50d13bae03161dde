//! The demo page and the widget files `kyc serve` hands out on loopback.

use crate::harness::{Harness, document_photo};
use axum::{body::Body, http::Request};
use kyc_server::ServerConfig;

#[tokio::test]
async fn the_demo_page_runs_under_a_strict_csp_and_gets_a_client_token() {
    let h = Harness::new();
    let r = h.get("/", "").await;
    assert_eq!(r.status, 200);
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let html = String::from_utf8(r.body.to_vec()).unwrap();
    assert!(
        html.contains("<kyc-verify")
            && html.contains("src=\"/demo.js\"")
            && !html.contains("<script>")
    );
    assert_eq!(h.get("/demo.js", "").await.status, 200);

    let r = h.send(Request::post("/demo/session").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 201);
    let ct = r.json()["clientToken"].as_str().unwrap().to_owned();
    // the token works for the widget's calls
    assert_eq!(h.upload("/upload-id", &ct, document_photo(0), "image/jpeg").await.status, 200);
    // only the known bundle files are served, never arbitrary paths
    h.get("/widget/v0.1.0/../../Cargo.toml", "").await.assert_error(404, "not_found");
    h.get("/widget/v0.1.0/secret.txt", "").await.assert_error(404, "not_found");
}

#[tokio::test]
async fn no_demo_unless_loopback_or_enabled() {
    let mut config = ServerConfig::default();
    config.demo.enabled = Some(false);
    let h = Harness::with_config(config);
    h.get("/", "").await.assert_error(404, "not_found");
    let r = h.send(Request::post("/demo/session").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 404);
    let public = ServerConfig {
        listen: "0.0.0.0:8080".into(),
        danger_allow_plain_http_on_non_loopback: true,
        ..Default::default()
    };
    assert!(!public.demo_enabled());
    assert!(ServerConfig::default().demo_enabled());
}
