//! The event functions: document reading on uploads, screening on reading
//! records, and the job sweeper.
//!
//! Each event runs the step a queued job would run, and the step is
//! idempotent, so a redelivered event, an event racing its job, and an event
//! for a verification erased meanwhile all end with the step done at most
//! once. A failure another attempt may cure is reported back to Lambda
//! (a batch item failure, or an error for an S3 event), which retries and
//! finally sends the event to the function's dead-letter queue; one that
//! cannot be cured is logged and left to the queued job, which records it
//! as a dead letter of its own (`kyc jobs dlq list`).

use aws_lambda_events::event::{
    dynamodb,
    s3::S3Event,
    sqs::SqsEvent,
    streams::{
        DynamoDbBatchItemFailure, DynamoDbEventResponse, SqsBatchItemFailure, SqsEventResponse,
    },
};
use kyc_core::VerificationId;
use kyc_server::{
    AppState,
    service::{
        ProviderJobError, jobs::run_due, ocr::read_document, retention::sweep_once,
        screening::screen_verification,
    },
};
use std::time::{Duration, SystemTime};

pub use kyc_server_aws::{UPLOADS_PREFIX, upload_of};

/// An event the function must fail so that Lambda retries it.
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} records failed and will be retried")]
pub struct RetryableFailures {
    /// Records that failed retryably.
    pub failed: usize,
    /// Records in the event.
    pub total: usize,
}

/// What happened to one record.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// The step ran (or had already run).
    Done,
    /// Not for this function: another prefix, bucket or event kind.
    Ignored,
    /// Failed; another attempt may succeed.
    Retry,
    /// Failed for good: logged, left to the queued job.
    Failed,
}

fn outcome(step: &str, id: &VerificationId, result: Result<(), ProviderJobError>) -> Outcome {
    match result {
        Ok(()) => Outcome::Done,
        Err(e) if e.is_retryable() => {
            tracing::warn!(verification_id = %id, step, status = "retry", error = %e, "event step failed; Lambda retries it");
            Outcome::Retry
        }
        Err(e) => {
            tracing::error!(verification_id = %id, step, status = "failed", error = %e, "event step failed for good; the queued job records it");
            Outcome::Failed
        }
    }
}

async fn read_upload(
    state: &AppState,
    bucket: Option<&str>,
    event: Option<&str>,
    key: Option<&str>,
) -> Outcome {
    let ours = bucket == Some(state.config.backend.aws.bucket.as_str())
        && event.is_some_and(|e| e.starts_with("ObjectCreated:"));
    let Some(id) = key.and_then(upload_of).filter(|_| ours) else {
        tracing::debug!(bucket, event, "not an upload of this deployment; ignored");
        return Outcome::Ignored;
    };
    outcome("document_read", &id, read_document(state, &id).await)
}

async fn read_uploads(state: &AppState, event: S3Event) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(event.records.len());
    for r in event.records {
        let o = read_upload(
            state,
            r.s3.bucket.name.as_deref(),
            r.event_name.as_deref(),
            r.s3.object.key.as_deref(),
        )
        .await;
        outcomes.push(o);
    }
    outcomes
}

/// `OCRExtractionLambda`: reads the document of every upload an event
/// names. The event is an S3 notification (asynchronous invocation: a
/// retryable failure fails the invocation, Lambda retries it twice and then
/// sends it to the on-failure destination) or an SQS batch of S3
/// notifications (the failed messages are reported; the queue's redrive
/// policy dead-letters them). Anything else is refused.
pub async fn ocr(
    state: &AppState,
    event: serde_json::Value,
) -> Result<serde_json::Value, lambda_http::Error> {
    let records = event.get("Records").and_then(|r| r.as_array());
    let from_sqs = records
        .and_then(|r| r.first())
        .and_then(|r| r.get("eventSource"))
        .is_some_and(|s| s == "aws:sqs");
    if from_sqs {
        let batch: SqsEvent = serde_json::from_value(event)?;
        return Ok(serde_json::to_value(ocr_from_sqs(state, batch).await)?);
    }
    let event: S3Event = serde_json::from_value(event)?;
    let total = event.records.len();
    let failed =
        read_uploads(state, event).await.into_iter().filter(|o| *o == Outcome::Retry).count();
    if failed > 0 {
        return Err(RetryableFailures { failed, total }.into());
    }
    Ok(serde_json::json!({ "records": total }))
}

/// The SQS form of [`ocr`]: each message is an S3 notification (or the
/// `s3:TestEvent` S3 sends when the notification is set up).
pub async fn ocr_from_sqs(state: &AppState, batch: SqsEvent) -> SqsEventResponse {
    let mut response = SqsEventResponse::default();
    for m in batch.records {
        let body = m.body.as_deref().unwrap_or_default();
        let fail = match serde_json::from_str::<S3Event>(body) {
            Ok(event) => read_uploads(state, event).await.contains(&Outcome::Retry),
            Err(_) if is_s3_test_event(body) => false,
            Err(e) => {
                // a poison message: after the queue's receive count it is dead-lettered
                tracing::error!(message_id = m.message_id.as_deref(), error = %e, error_code = "bad_event", "SQS message is not an S3 notification");
                true
            }
        };
        if fail {
            let mut f = SqsBatchItemFailure::default();
            f.item_identifier = m.message_id;
            response.batch_item_failures.push(f);
        }
    }
    response
}

fn is_s3_test_event(body: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(body)
        .is_ok_and(|v| v.get("Event").is_some_and(|e| e == "s3:TestEvent"))
}

/// The verification a `KycOcrData` stream record is about.
fn stream_subject(record: &dynamodb::EventRecord) -> Option<VerificationId> {
    // the keys in DynamoDB's JSON form: {"verificationId": {"S": "…"}}
    let keys = serde_json::to_value(&record.change.keys).ok()?;
    keys.get("verificationId")?.get("S")?.as_str()?.parse().ok()
}

/// `SanctionsScreeningLambda`: screens the verification of every reading
/// record written (`INSERT`, `MODIFY`; a `REMOVE` is an erasure or an
/// expiry: nothing to screen). A retryable failure is reported by its
/// sequence number (`ReportBatchItemFailures`), so Lambda retries from that
/// record on and, after the mapping's retries, sends it to the dead-letter
/// queue; the records before it are not redelivered.
pub async fn screen(state: &AppState, event: dynamodb::Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for r in &event.records {
        if !matches!(r.event_name.as_str(), "INSERT" | "MODIFY") {
            continue;
        }
        let result = match stream_subject(r) {
            Some(id) => outcome("screening", &id, screen_verification(state, &id).await),
            None => {
                tracing::error!(event_id = %r.event_id, error_code = "bad_event", "stream record has no verificationId key; skipped");
                Outcome::Ignored
            }
        };
        if result == Outcome::Retry {
            let mut f = DynamoDbBatchItemFailure::default();
            f.item_identifier = r.change.sequence_number.clone();
            response.batch_item_failures.push(f);
            // Lambda retries from the first failure on: the rest come again
            break;
        }
    }
    response
}

/// How long before the invocation's deadline the sweeper stops taking jobs.
const SWEEP_MARGIN: Duration = Duration::from_secs(20);

/// `JobSweeperLambda` (a schedule, e.g. every minute): runs the due jobs in
/// batches until none is left or the deadline nears, then the retention
/// sweep. Returns how many jobs ran and how many verifications expired.
pub async fn sweep(
    state: &AppState,
    deadline: SystemTime,
) -> Result<serde_json::Value, lambda_http::Error> {
    let batch = state.config.jobs.batch.max(1);
    let mut ran = 0;
    while deadline.duration_since(SystemTime::now()).unwrap_or_default() > SWEEP_MARGIN {
        let n = run_due(state, batch).await?;
        ran += n;
        if n == 0 {
            break;
        }
    }
    let expired =
        sweep_once(state).await.map_err(|e| format!("retention sweep: error {}", e.code()))?;
    state.limits.flush(state.clock.now()).await;
    Ok(serde_json::json!({ "jobs": ran, "expired": expired }))
}
