//! Request bodies as an attacker sends them, through the real router over
//! memory backends: multipart and JSON frames on `/submit-frame`, multipart
//! documents on `/upload-id`, JSON on `POST /v1/verifications`. Whatever
//! the bytes, the answer is a 2xx or a 4xx with the error shape: never a
//! 5xx, never a panic.
#![no_main]

use axum::{
    Router,
    body::Body,
    http::{Request, header},
};
use kyc_core::{Timestamp, api::v1::{KeyKind, KeyRole, DEFAULT_ACCOUNT}};
use kyc_server::{AppState, ServerConfig, app, auth::generate_key};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tower::ServiceExt;

struct World {
    rt: tokio::runtime::Runtime,
    app: Router,
    secret: String,
    token: String,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let mut config = ServerConfig::default();
        // a fuzzer sends millions of requests: no limit may answer instead of the parser
        config.rate_limit.requests_per_second = u32::MAX;
        config.rate_limit.burst = u32::MAX;
        config.rate_limit.daily_quota = u64::MAX;
        config.rate_limit.client_token_daily_quota = u64::MAX;
        let state = AppState::memory(config);
        let g = generate_key(KeyKind::Secret, vec![], DEFAULT_ACCOUNT, KeyRole::Integrator, Timestamp::from_unix_millis(0));
        let app = app(state.clone());
        let (secret, token) = rt.block_on(async {
            state.backends.keys.insert(&g.record).await.unwrap();
            let r = app
                .clone()
                .oneshot(
                    Request::post("/v1/verifications")
                        .header(header::AUTHORIZATION, format!("Bearer {}", g.key))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            (g.key.clone(), v["clientToken"].as_str().unwrap().to_owned())
        });
        World { rt, app, secret, token }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&route, body)) = data.split_first() else { return };
    let w = world();
    let multipart = "multipart/form-data; boundary=XyZ";
    let (path, token, content_type) = match route % 4 {
        0 => ("/submit-frame", &w.token, multipart),
        1 => ("/submit-frame", &w.token, "application/json"),
        2 => ("/upload-id", &w.token, multipart),
        _ => ("/v1/verifications", &w.secret, "application/json"),
    };
    let req = Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_vec()))
        .unwrap();
    let status = w.rt.block_on(async {
        let r = w.app.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        if status.is_client_error() {
            let v: serde_json::Value = serde_json::from_slice(&body).expect("error bodies are JSON");
            assert!(v["code"].is_string() && v["message"].is_string(), "{v}");
        }
        status
    });
    assert!(!status.is_server_error(), "{path}: {status}");
});
