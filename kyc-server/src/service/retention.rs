//! Retention: expired verifications are erased by a periodic sweep.

use super::verifications::{EraseReason, erase};
use crate::AppState;
use std::time::Duration;

/// Erases every verification whose `expires_at` has passed, in batches.
/// Returns how many were erased.
pub async fn sweep_once(state: &AppState) -> Result<usize, crate::error::ApiError> {
    let mut erased = 0;
    loop {
        let store = state.backends.verifications.clone();
        let now = state.clock.now();
        let batch = state.retry_policy().run(|| store.list_expired(now, 100)).await?;
        if batch.is_empty() {
            return Ok(erased);
        }
        for id in &batch {
            erase(state, id, EraseReason::Expired, "system").await?;
            erased += 1;
        }
    }
}

/// Runs [`sweep_once`] every `interval` until the task is dropped.
pub async fn run_sweeper(state: AppState, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match sweep_once(&state).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(step = "retention", status = "erased", count = n, "retention sweep")
            }
            Err(e) => tracing::warn!(
                step = "retention",
                status = "failed",
                error_code = e.code().as_str(),
                "retention sweep failed"
            ),
        }
    }
}
