//! A local Lambda Runtime API (the interface a `provided.al2023` bootstrap
//! talks to: `GET /2018-06-01/runtime/invocation/next`, `POST …/{id}/response`,
//! `POST …/{id}/error`, `POST …/init/error`), enough to run the real
//! `bootstrap` binary outside Lambda: it hands out queued events and records
//! what comes back and when the first `next` came (the end of init).

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tokio::sync::Notify;

/// What the function answered to one event.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    /// `…/response`: the function's result.
    Response(serde_json::Value),
    /// `…/error`: the error document.
    #[allow(dead_code)]
    Error(serde_json::Value),
}

#[derive(Default)]
struct Inner {
    events: VecDeque<(String, serde_json::Value)>,
    answers: Vec<(String, Answer)>,
    first_next: Option<Instant>,
    init_error: Option<serde_json::Value>,
}

/// The emulator; cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct RuntimeApi {
    inner: Arc<Mutex<Inner>>,
    queued: Arc<Notify>,
    answered: Arc<Notify>,
}

async fn next(State(api): State<RuntimeApi>) -> impl IntoResponse {
    {
        let mut i = api.inner.lock().unwrap();
        i.first_next.get_or_insert_with(Instant::now);
    }
    loop {
        let notified = api.queued.notified();
        if let Some((id, event)) = api.inner.lock().unwrap().events.pop_front() {
            let deadline =
                SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(30);
            let mut h = HeaderMap::new();
            h.insert("lambda-runtime-aws-request-id", id.parse().unwrap());
            h.insert(
                "lambda-runtime-deadline-ms",
                deadline.as_millis().to_string().parse().unwrap(),
            );
            h.insert(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:eu-west-1:123456789012:function:kyc-test".parse().unwrap(),
            );
            h.insert(
                "lambda-runtime-trace-id",
                "Root=1-5e9f0c65-1de4d666d4dd26aced652b6c".parse().unwrap(),
            );
            return (h, event.to_string());
        }
        notified.await;
    }
}

async fn respond(State(api): State<RuntimeApi>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let v = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    api.inner.lock().unwrap().answers.push((id, Answer::Response(v)));
    api.answered.notify_waiters();
    StatusCode::ACCEPTED
}

async fn error(State(api): State<RuntimeApi>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let v = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    api.inner.lock().unwrap().answers.push((id, Answer::Error(v)));
    api.answered.notify_waiters();
    StatusCode::ACCEPTED
}

async fn init_error(State(api): State<RuntimeApi>, body: Bytes) -> StatusCode {
    api.inner.lock().unwrap().init_error = serde_json::from_slice(&body).ok();
    StatusCode::ACCEPTED
}

impl RuntimeApi {
    /// Serves the emulator on a free loopback port; returns its `host:port`.
    pub(crate) async fn start(&self) -> SocketAddr {
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(respond))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }

    /// Queues `event` under request id `id`.
    pub(crate) fn invoke(&self, id: &str, event: serde_json::Value) {
        self.inner.lock().unwrap().events.push_back((id.to_owned(), event));
        self.queued.notify_waiters();
    }

    /// The answer to request `id`, waiting up to `within`.
    pub(crate) async fn answer(&self, id: &str, within: Duration) -> Option<Answer> {
        let until = Instant::now() + within;
        loop {
            let notified = self.answered.notified();
            if let Some((_, a)) = self.inner.lock().unwrap().answers.iter().find(|(i, _)| i == id) {
                return Some(a.clone());
            }
            let left = until.checked_duration_since(Instant::now())?;
            let _ = tokio::time::timeout(left, notified).await;
        }
    }

    /// When the function first asked for an event.
    pub(crate) fn first_next(&self) -> Option<Instant> {
        self.inner.lock().unwrap().first_next
    }

    /// The init error the function reported, if any.
    #[allow(dead_code)]
    pub(crate) fn init_error(&self) -> Option<serde_json::Value> {
        self.inner.lock().unwrap().init_error.clone()
    }
}

/// The environment Lambda gives a function, pointed at `api`.
pub(crate) fn lambda_env(api: SocketAddr) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", "kyc-test".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "2026/12/07/[$LATEST]0123456789abcdef".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/kyc-test".into()),
        ("AWS_REGION", "eu-west-1".into()),
    ]
}
