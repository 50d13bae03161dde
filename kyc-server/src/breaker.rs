//! A circuit breaker for calls to an engine that can fail (face engine, and
//! later OCR and screening providers).
//!
//! Closed: calls pass; `threshold` consecutive retryable failures open it.
//! Open: calls fail at once with [`ProviderError::Unavailable`] until
//! `cooldown` has passed. Half-open: the next call is a trial; success closes
//! the breaker, failure opens it for another cooldown.

use crate::backend::face::{
    FaceAnalysis, FaceEngine, FaceImage, FaceMatch, ImageKind, ProviderError,
};
use async_trait::async_trait;
use std::{
    fmt,
    future::Future,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

#[derive(Debug, Clone, Copy)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
}

/// The breaker itself.
#[derive(Debug)]
pub struct CircuitBreaker {
    name: &'static str,
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
}

impl CircuitBreaker {
    /// Opens after `threshold` consecutive failures, for `cooldown`.
    pub fn new(name: &'static str, threshold: u32, cooldown: Duration) -> Self {
        Self {
            name,
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    /// Time until the breaker lets a trial call through (`None` when closed).
    pub fn retry_after(&self) -> Option<Duration> {
        match *self.state.lock().unwrap_or_else(PoisonError::into_inner) {
            State::Open { until } => Some(until.saturating_duration_since(Instant::now())),
            State::Closed { .. } => None,
        }
    }

    /// Runs `f` unless the breaker is open.
    pub async fn call<T, F, Fut>(&self, f: F) -> Result<T, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        {
            let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if let State::Open { until } = *state
                && Instant::now() < until
            {
                return Err(ProviderError::Unavailable);
            }
        }
        let result = f().await;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match &result {
            Ok(_) => *state = State::Closed { failures: 0 },
            Err(e) if e.is_retryable() => {
                let failures = match *state {
                    State::Closed { failures } => failures + 1,
                    State::Open { .. } => self.threshold, // a failed trial re-opens at once
                };
                *state = if failures >= self.threshold {
                    tracing::warn!(
                        breaker = self.name,
                        error_code = "engine_unavailable",
                        "circuit breaker opened"
                    );
                    State::Open { until: Instant::now() + self.cooldown }
                } else {
                    State::Closed { failures }
                };
            }
            // bad input is not the engine's fault
            Err(_) => {}
        }
        result
    }
}

/// A face engine behind a circuit breaker.
pub struct GuardedFaceEngine {
    inner: Arc<dyn FaceEngine>,
    /// The breaker (shared so callers can read `retry_after`).
    pub breaker: Arc<CircuitBreaker>,
}

impl fmt::Debug for GuardedFaceEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedFaceEngine")
            .field("inner", &self.inner.name())
            .field("breaker", &self.breaker)
            .finish()
    }
}

impl GuardedFaceEngine {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn FaceEngine>, breaker: Arc<CircuitBreaker>) -> Self {
        Self { inner, breaker }
    }
}

#[async_trait]
impl FaceEngine for GuardedFaceEngine {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn analyze(
        &self,
        image: &FaceImage,
        kind: ImageKind,
    ) -> Result<FaceAnalysis, ProviderError> {
        self.breaker.call(|| self.inner.analyze(image, kind)).await
    }

    async fn compare(
        &self,
        reference: (&FaceImage, ImageKind),
        probes: &[(FaceImage, ImageKind)],
    ) -> Result<Vec<Option<FaceMatch>>, ProviderError> {
        self.breaker.call(|| self.inner.compare(reference, probes)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn fail() -> Result<(), ProviderError> {
        Err(ProviderError::Timeout)
    }
    async fn ok() -> Result<(), ProviderError> {
        Ok(())
    }

    #[tokio::test]
    async fn opens_after_consecutive_failures_and_recovers_after_cooldown() {
        let b = CircuitBreaker::new("test", 3, Duration::from_millis(50));
        for _ in 0..3 {
            assert!(matches!(b.call(fail).await, Err(ProviderError::Timeout)));
        }
        assert!(b.retry_after().is_some());
        // open: fails fast without calling
        let mut called = false;
        let r = b
            .call(|| {
                called = true;
                ok()
            })
            .await;
        assert!(matches!(r, Err(ProviderError::Unavailable)) && !called);
        tokio::time::sleep(Duration::from_millis(60)).await;
        // half-open trial fails: open again
        assert!(matches!(b.call(fail).await, Err(ProviderError::Timeout)));
        assert!(matches!(b.call(ok).await, Err(ProviderError::Unavailable)));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(b.call(ok).await.is_ok());
        assert!(b.retry_after().is_none());
    }

    #[tokio::test]
    async fn bad_input_does_not_count() {
        let b = CircuitBreaker::new("test", 1, Duration::from_secs(60));
        let r: Result<(), _> = b.call(|| async { Err(ProviderError::Rejected("no face")) }).await;
        assert!(r.is_err());
        assert!(b.retry_after().is_none());
        assert!(b.call(ok).await.is_ok());
    }

    #[tokio::test]
    async fn a_success_resets_the_count() {
        let b = CircuitBreaker::new("test", 2, Duration::from_secs(60));
        let _ = b.call(fail).await;
        b.call(ok).await.unwrap();
        let _ = b.call(fail).await;
        assert!(b.retry_after().is_none());
    }
}
