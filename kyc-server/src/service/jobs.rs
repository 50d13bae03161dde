//! The job worker: leases due jobs, runs them, and completes, retries (with
//! exponential backoff and full jitter) or dead-letters them.
//!
//! Delivery is at least once: a worker that dies loses its lease and the job
//! runs again, so every handler is idempotent.

use super::{
    liveness::{FACE_MATCH_JOB, FaceMatchError, complete_face_match},
    ocr::{OCR_JOB, read_document},
    screening::{SCREEN_JOB, screen_verification},
};
use crate::{
    AppState,
    backend::{Job, StoreError},
    telemetry::JobKindLabels,
};
use rand::RngExt;
use std::time::Duration;

/// First retry delay; doubles per attempt.
const BACKOFF_BASE_MS: i64 = 1_000;
/// Longest retry delay.
const BACKOFF_MAX_MS: i64 = 300_000;

/// Why a job failed.
#[derive(Debug)]
pub struct JobFailure {
    /// What to record (no PII).
    pub message: String,
    /// Whether another attempt may succeed.
    pub retryable: bool,
}

/// Delay before attempt `attempts + 1`: full jitter over an exponential cap.
pub fn backoff_ms(attempts: u32) -> i64 {
    let cap = BACKOFF_BASE_MS
        .saturating_mul(1i64 << attempts.saturating_sub(1).min(20))
        .min(BACKOFF_MAX_MS);
    rand::rng().random_range(cap / 2..=cap)
}

fn verification_id(job: &Job) -> Option<kyc_core::VerificationId> {
    job.payload.get("verificationId").and_then(|s| s.as_str()).and_then(|s| s.parse().ok())
}

async fn run_job(state: &AppState, job: &Job) -> Result<(), JobFailure> {
    match job.kind.as_str() {
        FACE_MATCH_JOB => {
            let Some(session) = job.payload.get("sessionId").and_then(|s| s.as_str()) else {
                return Err(JobFailure {
                    message: "payload has no sessionId".into(),
                    retryable: false,
                });
            };
            match complete_face_match(state, session).await {
                Ok(_) => Ok(()),
                Err(FaceMatchError::Engine(e)) => Err(JobFailure {
                    message: format!("face engine: {e}"),
                    retryable: e.is_retryable(),
                }),
                Err(FaceMatchError::Api(e)) => Err(JobFailure {
                    message: format!("error {}", e.code()),
                    retryable: e.code() == kyc_core::ErrorCode::StorageUnavailable,
                }),
            }
        }
        OCR_JOB => {
            let Some(id) = verification_id(job) else {
                return Err(JobFailure {
                    message: "payload has no verificationId".into(),
                    retryable: false,
                });
            };
            read_document(state, &id)
                .await
                .map_err(|e| JobFailure { message: e.to_string(), retryable: e.is_retryable() })
        }
        SCREEN_JOB => {
            let Some(id) = verification_id(job) else {
                return Err(JobFailure {
                    message: "payload has no verificationId".into(),
                    retryable: false,
                });
            };
            screen_verification(state, &id)
                .await
                .map_err(|e| JobFailure { message: e.to_string(), retryable: e.is_retryable() })
        }
        other => {
            Err(JobFailure { message: format!("unknown job kind {other:?}"), retryable: false })
        }
    }
}

async fn settle(
    state: &AppState,
    job: &Job,
    result: Result<(), JobFailure>,
) -> Result<(), StoreError> {
    let jobs = &state.backends.jobs;
    let now = state.clock.now();
    let (result_label, outcome) = match result {
        Ok(()) => ("ok", jobs.complete(job).await),
        Err(f) if f.retryable && job.attempts < job.max_attempts => {
            let at = now.add_millis(backoff_ms(job.attempts));
            ("retry", jobs.retry_later(job, &f.message, at).await)
        }
        Err(f) => {
            tracing::warn!(job_id = %job.id, kind = %job.kind, attempts = job.attempts, error_code = "job_dead_lettered", "job dead-lettered");
            ("dead", jobs.dead_letter(job, &f.message, now).await)
        }
    };
    state.metrics.job_settled(&job.kind, result_label);
    outcome
}

/// Leases and runs the due jobs once; returns how many ran.
pub async fn run_due(state: &AppState, limit: usize) -> Result<usize, StoreError> {
    let lease_ms =
        i64::try_from(state.config.jobs.lease_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let jobs = state.backends.jobs.lease(state.clock.now(), lease_ms, limit).await?;
    for job in &jobs {
        let started = std::time::Instant::now();
        let result = run_job(state, job).await;
        state
            .metrics
            .job_duration
            .get_or_create(&JobKindLabels { kind: job.kind.clone() })
            .observe(started.elapsed().as_secs_f64());
        match settle(state, job, result).await {
            // another worker took over after our lease expired: its result stands
            Ok(()) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(jobs.len())
}

/// Runs jobs until the task is dropped, polling every `jobs.poll_ms` when
/// there is nothing to do.
pub async fn run_worker(state: AppState) {
    let idle = Duration::from_millis(state.config.jobs.poll_ms);
    let batch = state.config.jobs.batch;
    loop {
        match run_due(&state, batch).await {
            Ok(0) => tokio::time::sleep(idle).await,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "job worker could not reach the queue");
                tokio::time::sleep(idle).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_full_jitter_and_is_capped() {
        for attempts in 1..30 {
            let cap = (1_000i64 << (attempts - 1).min(20)).min(300_000);
            let d = backoff_ms(attempts);
            assert!(d >= cap / 2 && d <= cap, "{attempts}: {d}");
        }
    }
}
