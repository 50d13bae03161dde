//! Test harness: an app over chosen backends with a manual clock.

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use bytes::Bytes;
use http_body_util::BodyExt;
use kyc_core::{
    Timestamp,
    api::v1::{DEFAULT_ACCOUNT, KeyKind, KeyRole},
};
use kyc_server::{AppState, Backends, ServerConfig, app, auth::generate_key, clock::ManualClock};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

pub(crate) const T0: i64 = 1_764_064_800_000; // 2025-11-25T10:00:00Z

pub(crate) struct Harness {
    pub(crate) state: AppState,
    pub(crate) app: Router,
    pub(crate) clock: Arc<ManualClock>,
}

pub(crate) struct Response {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Response {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {:?}", String::from_utf8_lossy(&self.body)))
    }

    /// Asserts an error response with `code`.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", String::from_utf8_lossy(&self.body));
        let j = self.json();
        assert_eq!(j["code"], code, "{j}");
        assert!(j["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(
            j.as_object().unwrap().len(),
            2,
            "error bodies have exactly code and message: {j}"
        );
    }
}

impl Harness {
    pub(crate) fn new() -> Self {
        Self::with(ServerConfig::default(), Backends::memory())
    }

    pub(crate) fn with_config(config: ServerConfig) -> Self {
        Self::with(config, Backends::memory())
    }

    pub(crate) fn with(config: ServerConfig, backends: Backends) -> Self {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_millis(T0)));
        let state = AppState::new(config, backends, clock.clone(), [7u8; 32]);
        Self { app: app(state.clone()), state, clock }
    }

    pub(crate) async fn key(&self, kind: KeyKind, origins: &[&str]) -> String {
        self.key_for(kind, origins, DEFAULT_ACCOUNT, KeyRole::Integrator).await
    }

    /// A key of `account` with `role`.
    pub(crate) async fn key_for(
        &self,
        kind: KeyKind,
        origins: &[&str],
        account: &str,
        role: KeyRole,
    ) -> String {
        let g = generate_key(
            kind,
            origins.iter().map(|s| s.to_string()).collect(),
            account,
            role,
            self.clock.now_ts(),
        );
        self.state.backends.keys.insert(&g.record).await.unwrap();
        g.key
    }

    pub(crate) async fn secret(&self) -> String {
        self.key(KeyKind::Secret, &[]).await
    }

    pub(crate) async fn send(&self, req: Request<Body>) -> Response {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        Response { status, headers, body }
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> Response {
        self.send(
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub(crate) async fn post_json(&self, path: &str, token: &str, body: &str) -> Response {
        let req = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap();
        self.send(req).await
    }

    pub(crate) async fn upload(
        &self,
        path: &str,
        token: &str,
        bytes: impl Into<Bytes>,
        content_type: &str,
    ) -> Response {
        let req = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(bytes.into()))
            .unwrap();
        self.send(req).await
    }

    /// Creates a verification; returns (id, client token).
    pub(crate) async fn verification(&self, secret: &str) -> (String, String) {
        let r = self.post_json("/v1/verifications", secret, "{}").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&r.body));
        let j = r.json();
        (
            j["verificationId"].as_str().unwrap().to_owned(),
            j["clientToken"].as_str().unwrap().to_owned(),
        )
    }
}

pub(crate) trait ClockExt {
    fn now_ts(&self) -> Timestamp;
}

impl ClockExt for ManualClock {
    fn now_ts(&self) -> Timestamp {
        kyc_server::clock::Clock::now(self)
    }
}

/// The local face engine, loaded once per test binary.
pub(crate) fn face_engine() -> kyc_server::backend::local::face::LocalFaceEngine {
    static ENGINE: std::sync::OnceLock<kyc_server::backend::local::face::LocalFaceEngine> =
        std::sync::OnceLock::new();
    ENGINE
        .get_or_init(|| {
            kyc_server::backend::local::face::LocalFaceEngine::load(
                &Default::default(),
                kyc_server::cpu_pool::CpuPool::per_core(),
            )
            .unwrap()
        })
        .clone()
}

impl Harness {
    /// A harness with the real local face engine and, optionally, a pinned challenge.
    pub(crate) fn with_face(
        config: ServerConfig,
        fixed: Option<Vec<kyc_core::challenge::Gesture>>,
    ) -> Self {
        Self::with_engine(config, fixed, Arc::new(face_engine()))
    }

    /// A harness on memory backends with `engine` as the face engine.
    pub(crate) fn with_engine(
        config: ServerConfig,
        fixed: Option<Vec<kyc_core::challenge::Gesture>>,
        engine: Arc<dyn kyc_server::backend::face::FaceEngine>,
    ) -> Self {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_millis(T0)));
        let mut state = AppState::new(config, Backends::memory(), clock.clone(), [7u8; 32])
            .with_face_engine(engine);
        if let Some(seq) = fixed {
            state = state.with_fixed_challenge(seq);
        }
        Self { app: app(state.clone()), state, clock }
    }
}

pub(crate) use kyc_server::fixtures::{
    contains, document_photo, jpeg, png_header, png_with_text, with_exif,
};
