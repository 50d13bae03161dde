//! Body-read and whole-request deadlines (`[http]`).
//!
//! The body must arrive in full within `body_read_timeout_secs` of the
//! request head, however it is paced (a body dripped at a byte a second
//! keeps an idle timeout happy for ever, so this is a deadline, not an idle
//! timeout); a late body is answered 408 `request_timeout` and the
//! connection closed. The handler runs as a task of its own: when
//! `request_timeout_secs` passes, the client is answered 503
//! `processing_timeout` but the work is not dropped half-way (a dropped
//! handler future could stop between two writes), it finishes in the
//! background and a retry with the same `Idempotency-Key` finds its result.

use crate::{config::HttpConfig, error::ApiError};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use kyc_core::ErrorCode;
use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};
use tokio::time::{Instant, Sleep};
use tracing::Instrument;

/// The error a body yields once its deadline has passed.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not received before its deadline")]
struct BodyDeadlineExceeded;

/// A request body that fails once its deadline passes, and says so.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        // the deadline first: a body that always has a byte ready must
        // still run out of time
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.expired.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(axum::Error::new(BodyDeadlineExceeded))));
        }
        Pin::new(&mut this.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Applies both deadlines to every request.
pub(super) async fn deadlines(
    State(http): State<HttpConfig>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let expired = Arc::new(AtomicBool::new(false));
    let req = req.map(|inner| {
        if http_body::Body::is_end_stream(&inner) {
            return inner;
        }
        let deadline = start + Duration::from_secs(http.body_read_timeout_secs);
        Body::new(DeadlineBody {
            inner,
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
            expired: expired.clone(),
        })
    });
    let handler = tokio::spawn(next.run(req).in_current_span());
    let answer = start + Duration::from_secs(http.request_timeout_secs);
    let resp = match tokio::time::timeout_at(answer, handler).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(join)) => ApiError::internal(join).into_response(),
        Err(_) => ApiError::new(
            ErrorCode::ProcessingTimeout,
            "the request is still being processed; retry with the same Idempotency-Key",
        )
        .with_retry_after(5)
        .into_response(),
    };
    if expired.load(Ordering::Acquire) {
        // whatever the handler made of its failed read, the cause is the deadline
        let mut late =
            ApiError::new(ErrorCode::RequestTimeout, "the request body was not received in time")
                .into_response();
        late.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        return late;
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Router, http::StatusCode, routing::post};
    use http_body_util::BodyExt;
    use std::convert::Infallible;
    use tower::ServiceExt;

    fn config(body_secs: u64, request_secs: u64) -> HttpConfig {
        HttpConfig {
            body_read_timeout_secs: body_secs,
            request_timeout_secs: request_secs,
            ..HttpConfig::default()
        }
    }

    fn router(http: HttpConfig, finished: Arc<AtomicBool>) -> Router {
        Router::new()
            .route("/echo", post(|body: Bytes| async move { body }))
            .route(
                "/slow",
                post(move || async move {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    finished.store(true, Ordering::SeqCst);
                    "done"
                }),
            )
            .layer(axum::middleware::from_fn_with_state(http, deadlines))
    }

    /// A body that yields one byte every `every`, `n` times.
    struct Dripped(tokio::sync::mpsc::Receiver<Bytes>);

    impl http_body::Body for Dripped {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
        }
    }

    fn dripped(n: usize, every: Duration) -> Body {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            for _ in 0..n {
                tokio::time::sleep(every).await;
                if tx.send(Bytes::from_static(b"x")).await.is_err() {
                    return;
                }
            }
        });
        Body::new(Dripped(rx))
    }

    async fn error_code(resp: Response) -> String {
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        v["code"].as_str().unwrap().to_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn a_dripped_body_gets_408_at_its_deadline() {
        let app = router(config(10, 20), Arc::default());
        let start = Instant::now();
        // a byte a second for 60 s: never idle, always late
        let req = Request::post("/echo").body(dripped(60, Duration::from_secs(1))).unwrap();
        let resp = app.oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(resp.headers()[header::CONNECTION], "close");
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(10) && waited < Duration::from_secs(11),
            "{waited:?}"
        );
        assert_eq!(error_code(resp).await, "request_timeout");
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_in_time_is_untouched() {
        let app = router(config(10, 20), Arc::default());
        let req = Request::post("/echo").body(dripped(5, Duration::from_secs(1))).unwrap();
        let resp = app.oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.into_body().collect().await.unwrap().to_bytes(), "xxxxx");
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_handler_gets_503_and_still_finishes() {
        let finished = Arc::new(AtomicBool::new(false));
        let app = router(config(10, 20), finished.clone());
        let start = Instant::now();
        let resp = app.oneshot(Request::post("/slow").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(resp.headers().contains_key(header::RETRY_AFTER));
        assert!(start.elapsed() < Duration::from_secs(21));
        assert_eq!(error_code(resp).await, "processing_timeout");
        assert!(!finished.load(Ordering::SeqCst));
        // the handler was not dropped half-way: it completes on its own
        tokio::time::sleep(Duration::from_secs(15)).await;
        assert!(finished.load(Ordering::SeqCst));
    }
}
