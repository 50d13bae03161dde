//! Retrying storage calls with exponential backoff and jitter.

use crate::backend::StoreError;
use backon::{ExponentialBuilder, Retryable};
use std::{future::Future, time::Duration};

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// First delay; doubles each retry, with full jitter.
    pub base: Duration,
}

impl RetryPolicy {
    /// Runs `op` until it succeeds, fails with a non-retryable error, or retries run out.
    pub async fn run<T, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.base)
            .with_max_delay(self.base * 32)
            .with_max_times(self.retries as usize)
            .with_jitter();
        op.retry(backoff)
            .when(StoreError::is_retryable)
            .notify(|e, after| tracing::warn!(error = %e, retry_in_ms = after.as_millis() as u64, "retrying storage call"))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn retries_retryable_errors_then_gives_up() {
        let p = RetryPolicy { retries: 3, base: Duration::from_millis(1) };
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = p
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(StoreError::unavailable(std::io::Error::other("down")))
            })
            .await;
        assert!(r.unwrap_err().is_retryable());
        assert_eq!(calls.load(Ordering::SeqCst), 4);

        let calls = AtomicU32::new(0);
        let r = p
            .run(|| async {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                if n < 2 {
                    Err(StoreError::unavailable(std::io::Error::other("blip")))
                } else {
                    Ok(n)
                }
            })
            .await;
        assert_eq!(r.unwrap(), 2);
    }

    #[tokio::test]
    async fn does_not_retry_permanent_errors() {
        let p = RetryPolicy { retries: 3, base: Duration::from_millis(1) };
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = p
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(StoreError::Conflict)
            })
            .await;
        assert!(matches!(r, Err(StoreError::Conflict)));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
