//! The demo page and the widget files `kyc serve` hands out on loopback.

use crate::harness::{Harness, document_photo};
use axum::{body::Body, http::Request};
use kyc_server::ServerConfig;

#[tokio::test]
async fn the_demo_page_runs_under_a_strict_csp_and_gets_a_client_token() {
    let mut config = ServerConfig::default();
    config.demo.enabled = true;
    let h = Harness::with_config(config);
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

    // another site's page cannot create demo verifications (nor can a request without an Origin)
    let session = |origin: Option<&str>| {
        let mut r = Request::post("/demo/session").header("host", "127.0.0.1:8080");
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        r.body(Body::empty()).unwrap()
    };
    for bad in [None, Some("https://evil.example"), Some("http://127.0.0.1:8080.evil.example")] {
        h.send(session(bad)).await.assert_error(403, "forbidden");
    }
    let r = h.send(session(Some("http://127.0.0.1:8080"))).await;
    assert_eq!(r.status, 201);
    let ct = r.json()["clientToken"].as_str().unwrap().to_owned();
    // the token works for the widget's calls
    assert_eq!(h.upload("/upload-id", &ct, document_photo(0), "image/jpeg").await.status, 200);
    // only the known bundle files are served, never arbitrary paths
    h.get("/widget/v0.1.0/../../Cargo.toml", "").await.assert_error(404, "not_found");
    h.get("/widget/v0.1.0/secret.txt", "").await.assert_error(404, "not_found");
}

#[tokio::test]
async fn no_demo_unless_asked_for_and_never_off_loopback() {
    let h = Harness::new();
    h.get("/", "").await.assert_error(404, "not_found");
    let r = h.send(Request::post("/demo/session").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 404);
    assert!(!ServerConfig::default().demo_enabled(), "off unless kyc serve --demo");
    // asked for on a public address: refused at startup
    let dir = tempfile::tempdir().unwrap();
    let o = kyc_server::config::Overrides {
        data_dir: Some(dir.path().into()),
        listen: Some("0.0.0.0:8080".into()),
        demo: true,
        ..Default::default()
    };
    let env = |name: &str| (name == "KYC_DANGER_ALLOW_PLAIN_HTTP").then(|| "true".to_owned());
    let e = ServerConfig::load(&o, env).unwrap_err().to_string();
    assert!(e.contains("demo.enabled") && e.contains("loopback"), "{e}");
}
