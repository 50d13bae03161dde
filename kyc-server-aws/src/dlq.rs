//! The dead-letter queues of the Lambda functions, on SQS.
//!
//! What lands there is written by Lambda, not by us, in one of three forms:
//! * an S3 notification, when the document-reading function reads its
//!   uploads through an SQS queue whose redrive policy gave up on the
//!   message, or when it is invoked asynchronously with a dead-letter queue
//!   (the reason then comes as the `ErrorMessage` message attribute);
//! * an invocation record of an on-failure destination (`requestContext`,
//!   `requestPayload` = the S3 notification, `responsePayload` = the error);
//! * a stream batch record of the screening function's on-failure
//!   destination (`DDBStreamBatchInfo`: the shard and the sequence numbers,
//!   not the records — they are read back from the stream while it keeps
//!   them, 24 hours).
//!
//! [`SqsDeadLetters`] lists them without consuming them, and hands the
//! verifications they name to the caller, which re-runs the step through the
//! job queue and then deletes the message.

use crate::{AwsSettings, error::store_error};
use aws_config::SdkConfig;
use aws_sdk_dynamodbstreams::types::{AttributeValue, ShardIteratorType};
use aws_sdk_sqs::types::MessageSystemAttributeName;
use kyc_backend::StoreError;
use kyc_core::VerificationId;
use serde::Serialize;
use serde_json::Value;
use std::{collections::BTreeSet, time::Duration};

/// The prefix of uploaded documents in the bucket.
pub const UPLOADS_PREFIX: &str = "kyc-id-uploads/";

/// The verification whose uploaded document `key` is
/// (`kyc-id-uploads/{id}.jpg`), as an S3 event names it: event keys are
/// URL-encoded (emulators encode `/` too), so the key is decoded first.
pub fn upload_of(key: &str) -> Option<VerificationId> {
    let key = percent_encoding::percent_decode_str(key).decode_utf8().ok()?;
    key.strip_prefix(UPLOADS_PREFIX)?.strip_suffix(".jpg")?.parse().ok()
}

/// A queue given as a URL rather than a name (in this account and region).
pub(crate) fn is_queue_url(queue: &str) -> bool {
    queue.starts_with("https://") || queue.starts_with("http://")
}

/// What a dead-lettered message is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum DeadEventSource {
    /// Uploads whose documents were not read (the document-reading function).
    #[serde(rename_all = "camelCase")]
    Uploads {
        /// The uploads' verifications.
        verification_ids: Vec<VerificationId>,
    },
    /// A batch of `KycOcrData` stream records the screening function gave up on.
    #[serde(rename_all = "camelCase")]
    StreamBatch {
        /// The table's stream.
        stream_arn: String,
        /// The shard.
        shard_id: String,
        /// The batch's first record.
        start_sequence_number: String,
        /// Its last.
        end_sequence_number: String,
    },
    /// Nothing this deployment's functions send: listed, never retried.
    Unknown,
}

/// One dead-lettered message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadEvent {
    /// The queue (as configured: a name or a URL).
    pub queue: String,
    /// The SQS message id: what `kyc jobs dlq retry` takes.
    pub message_id: String,
    /// What it is about.
    pub source: DeadEventSource,
    /// Why it failed, as Lambda recorded it (its condition and the
    /// function's error message; our messages carry no personal data).
    pub reason: Option<String>,
    /// Receives so far, this listing's included.
    pub receive_count: u32,
    /// When SQS got it (Unix milliseconds).
    pub sent_at_ms: Option<i64>,
    #[serde(skip)]
    queue_url: String,
    #[serde(skip)]
    receipt_handle: String,
}

fn uploads(event: &Value) -> Option<Vec<VerificationId>> {
    let records = event.get("Records")?.as_array()?;
    let ids: Vec<VerificationId> = records
        .iter()
        .filter(|r| r.get("eventSource").and_then(Value::as_str) == Some("aws:s3"))
        .filter_map(|r| r.pointer("/s3/object/key")?.as_str())
        .filter_map(upload_of)
        .collect();
    (!ids.is_empty()).then_some(ids)
}

fn field(v: &Value, name: &str) -> Option<String> {
    v.get(name)?.as_str().map(str::to_owned)
}

/// Reads a dead-lettered message body (and its `ErrorMessage` attribute, set
/// by an asynchronous invocation's dead-letter queue).
pub fn classify(body: &str, error_message: Option<&str>) -> (DeadEventSource, Option<String>) {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return (DeadEventSource::Unknown, error_message.map(str::to_owned));
    };
    // an on-failure destination's record: the condition and the function's error
    let condition = v.pointer("/requestContext/condition").and_then(Value::as_str);
    let error =
        v.pointer("/responsePayload/errorMessage").and_then(Value::as_str).or(error_message);
    let reason = match (condition, error) {
        (Some(c), Some(e)) => Some(format!("{c}: {e}")),
        (c, e) => c.or(e).map(str::to_owned),
    };
    if let Some(b) = v.get("DDBStreamBatchInfo") {
        if let (Some(stream_arn), Some(shard_id), Some(start), Some(end)) = (
            field(b, "streamArn"),
            field(b, "shardId"),
            field(b, "startSequenceNumber"),
            field(b, "endSequenceNumber"),
        ) {
            let source = DeadEventSource::StreamBatch {
                stream_arn,
                shard_id,
                start_sequence_number: start,
                end_sequence_number: end,
            };
            return (source, reason);
        }
        return (DeadEventSource::Unknown, reason);
    }
    let event = v.get("requestPayload").unwrap_or(&v);
    match uploads(event) {
        Some(verification_ids) => (DeadEventSource::Uploads { verification_ids }, reason),
        None => (DeadEventSource::Unknown, reason),
    }
}

/// `a <= b` for DynamoDB Streams sequence numbers (decimal strings of any length).
fn seq_le(a: &str, b: &str) -> bool {
    (a.len(), a) <= (b.len(), b)
}

/// The dead-letter queues `settings` names, and the stream reader that
/// resolves stream batches.
#[derive(Debug, Clone)]
pub struct SqsDeadLetters {
    sqs: aws_sdk_sqs::Client,
    streams: aws_sdk_dynamodbstreams::Client,
    queues: Vec<String>,
}

/// How long a listing hides the messages it has seen from other consumers,
/// so that one pass sees each message once; they are released right after.
const HOLD: Duration = Duration::from_secs(30);

impl SqsDeadLetters {
    /// The queues of `settings.dead_letter_queues`.
    pub fn new(sdk: &SdkConfig, settings: &AwsSettings) -> Self {
        Self {
            sqs: aws_sdk_sqs::Client::new(sdk),
            streams: aws_sdk_dynamodbstreams::Client::new(sdk),
            queues: settings.dead_letter_queues.clone(),
        }
    }

    /// The URL of `queue` (a URL already, or a name in this account and region).
    pub async fn url(&self, queue: &str) -> Result<String, StoreError> {
        if is_queue_url(queue) {
            return Ok(queue.to_owned());
        }
        let out = self.sqs.get_queue_url().queue_name(queue).send().await.map_err(store_error)?;
        out.queue_url().map(str::to_owned).ok_or(StoreError::NotFound)
    }

    /// Receives up to `limit` messages of every queue, hidden from other
    /// consumers until [`release`](Self::release) or [`delete`](Self::delete)
    /// (or for 30 s, if this process dies first).
    pub async fn receive(&self, limit: usize) -> Result<Vec<DeadEvent>, StoreError> {
        let mut out = Vec::new();
        for queue in &self.queues {
            let url = self.url(queue).await?;
            while out.len() < limit {
                let batch = self
                    .sqs
                    .receive_message()
                    .queue_url(&url)
                    .max_number_of_messages((limit - out.len()).clamp(1, 10) as i32)
                    .visibility_timeout(HOLD.as_secs() as i32)
                    .wait_time_seconds(1)
                    .message_system_attribute_names(MessageSystemAttributeName::All)
                    .message_attribute_names("All")
                    .send()
                    .await
                    .map_err(store_error)?;
                let messages = batch.messages();
                if messages.is_empty() {
                    break;
                }
                for m in messages {
                    let error = m
                        .message_attributes()
                        .and_then(|a| a.get("ErrorMessage"))
                        .and_then(|a| a.string_value());
                    let (source, reason) = classify(m.body().unwrap_or_default(), error);
                    let attr = |n: MessageSystemAttributeName| {
                        m.attributes().and_then(|a| a.get(&n)).and_then(|v| v.parse().ok())
                    };
                    out.push(DeadEvent {
                        queue: queue.clone(),
                        message_id: m.message_id().unwrap_or_default().to_owned(),
                        source,
                        reason,
                        receive_count: attr(MessageSystemAttributeName::ApproximateReceiveCount)
                            .unwrap_or(0) as u32,
                        sent_at_ms: attr(MessageSystemAttributeName::SentTimestamp),
                        queue_url: url.clone(),
                        receipt_handle: m.receipt_handle().unwrap_or_default().to_owned(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Makes received messages visible again. Best effort: a message
    /// another consumer deleted meanwhile is skipped, and one this fails to
    /// release comes back by itself when its 30 s are up.
    pub async fn release(&self, events: &[DeadEvent]) {
        for e in events {
            let r = self
                .sqs
                .change_message_visibility()
                .queue_url(&e.queue_url)
                .receipt_handle(&e.receipt_handle)
                .visibility_timeout(0)
                .send()
                .await;
            if let Err(err) = r {
                tracing::warn!(message_id = %e.message_id, error = %crate::error::brief(&err), "dead letter not released; visible again within 30 s");
            }
        }
    }

    /// Deletes a received message (its step has been put back in the queue).
    pub async fn delete(&self, event: &DeadEvent) -> Result<(), StoreError> {
        self.sqs
            .delete_message()
            .queue_url(&event.queue_url)
            .receipt_handle(&event.receipt_handle)
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// Every message of every queue (up to `limit`), left in place.
    pub async fn list(&self, limit: usize) -> Result<Vec<DeadEvent>, StoreError> {
        let events = self.receive(limit).await?;
        self.release(&events).await;
        Ok(events)
    }

    /// The verifications a dead event names: an upload's directly, a stream
    /// batch's by reading its records back from the stream. `NotFound` when
    /// the stream no longer holds them (past its 24 hours): the queued
    /// screening jobs still cover those verifications.
    pub async fn subjects(&self, event: &DeadEvent) -> Result<Vec<VerificationId>, StoreError> {
        match &event.source {
            DeadEventSource::Uploads { verification_ids } => Ok(verification_ids.clone()),
            DeadEventSource::Unknown => Ok(Vec::new()),
            DeadEventSource::StreamBatch {
                stream_arn,
                shard_id,
                start_sequence_number,
                end_sequence_number,
            } => {
                self.stream_subjects(
                    stream_arn,
                    shard_id,
                    start_sequence_number,
                    end_sequence_number,
                )
                .await
            }
        }
    }

    async fn stream_subjects(
        &self,
        arn: &str,
        shard: &str,
        start: &str,
        end: &str,
    ) -> Result<Vec<VerificationId>, StoreError> {
        let it = self
            .streams
            .get_shard_iterator()
            .stream_arn(arn)
            .shard_id(shard)
            .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
            .sequence_number(start)
            .send()
            .await
            .map_err(|e| match crate::error::service_code(&e) {
                Some("TrimmedDataAccessException" | "ResourceNotFoundException") => {
                    StoreError::NotFound
                }
                _ => store_error(e),
            })?;
        let mut iterator = it.shard_iterator().map(str::to_owned);
        let mut ids = BTreeSet::new();
        // a batch is at most 10 000 records; a closed shard ends the iterator
        for _ in 0..200 {
            let Some(current) = iterator.take() else { break };
            let page = self
                .streams
                .get_records()
                .shard_iterator(current)
                .limit(1000)
                .send()
                .await
                .map_err(store_error)?;
            let mut past_end = false;
            for r in page.records() {
                let Some(change) = r.dynamodb() else { continue };
                if change.sequence_number().is_some_and(|s| !seq_le(s, end)) {
                    past_end = true;
                    break;
                }
                if let Some(AttributeValue::S(id)) =
                    change.keys().and_then(|k| k.get("verificationId"))
                    && let Ok(id) = id.parse()
                {
                    ids.insert(id);
                }
            }
            if past_end || page.records().is_empty() {
                break;
            }
            iterator = page.next_shard_iterator().map(str::to_owned);
        }
        Ok(ids.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0b7e8f5c-3c1d-4d8e-9f6a-2b1c3d4e5f60";

    fn s3_event(key: &str) -> String {
        serde_json::json!({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "kyc-data-prod"}, "object": {"key": key, "size": 1024}}
        }]})
        .to_string()
    }

    #[test]
    fn upload_keys_are_decoded_and_checked() {
        let id: VerificationId = ID.parse().unwrap();
        assert_eq!(upload_of(&format!("kyc-id-uploads/{ID}.jpg")), Some(id));
        // moto encodes the slash; AWS leaves it
        assert_eq!(upload_of(&format!("kyc-id-uploads%2F{ID}.jpg")), Some(id));
        assert_eq!(upload_of(&format!("kyc-live-frames/{ID}/1.jpg")), None);
        assert_eq!(upload_of(&format!("kyc-id-uploads/{ID}.png")), None);
        assert_eq!(upload_of("kyc-id-uploads/not-an-id.jpg"), None);
        assert_eq!(upload_of("kyc-id-uploads/%FF.jpg"), None);
    }

    #[test]
    fn a_redriven_s3_notification_names_its_upload() {
        let (source, reason) = classify(&s3_event(&format!("kyc-id-uploads/{ID}.jpg")), None);
        assert_eq!(
            source,
            DeadEventSource::Uploads { verification_ids: vec![ID.parse().unwrap()] }
        );
        assert_eq!(reason, None);
        // an asynchronous invocation's DLQ: the reason is an attribute
        let (_, reason) =
            classify(&s3_event(&format!("kyc-id-uploads/{ID}.jpg")), Some("engine unavailable"));
        assert_eq!(reason.as_deref(), Some("engine unavailable"));
    }

    #[test]
    fn an_on_failure_invocation_record_names_its_upload_and_error() {
        // the shape of Lambda's asynchronous-invocation destination record
        let body = serde_json::json!({
            "version": "1.0",
            "timestamp": "2026-11-14T18:16:05.568Z",
            "requestContext": {
                "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
                "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:kyc-prod-ocr:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3
            },
            "requestPayload": serde_json::from_str::<Value>(&s3_event(&format!("kyc-id-uploads/{ID}.jpg"))).unwrap(),
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": "1 of 1 records failed and will be retried", "errorType": "RetryableFailures"}
        });
        let (source, reason) = classify(&body.to_string(), None);
        assert_eq!(
            source,
            DeadEventSource::Uploads { verification_ids: vec![ID.parse().unwrap()] }
        );
        assert_eq!(
            reason.as_deref(),
            Some("RetriesExhausted: 1 of 1 records failed and will be retried")
        );
    }

    #[test]
    fn a_stream_batch_record_names_its_shard_and_range() {
        // the shape of Lambda's stream on-failure destination record
        let body = serde_json::json!({
            "requestContext": {
                "requestId": "316aa6d0-8154-xmpl-9af7-85d5f4a6bc81",
                "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:kyc-prod-screening",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": 4
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": "2026-11-14T00:13:49.717Z",
            "DDBStreamBatchInfo": {
                "shardId": "shardId-00000001573689847184-864758bb",
                "startSequenceNumber": "800000000003126276362",
                "endSequenceNumber": "800000000003126276362",
                "approximateArrivalOfFirstRecord": "2026-11-14T00:13:19Z",
                "approximateArrivalOfLastRecord": "2026-11-14T00:13:19Z",
                "batchSize": 1,
                "streamArn": "arn:aws:dynamodb:eu-west-1:123456789012:table/KycOcrData/stream/2026-10-22T18:02:02.893"
            }
        });
        let (source, reason) = classify(&body.to_string(), None);
        assert!(
            matches!(&source, DeadEventSource::StreamBatch { shard_id, start_sequence_number, .. }
                if shard_id == "shardId-00000001573689847184-864758bb" && start_sequence_number == "800000000003126276362"),
            "{source:?}"
        );
        assert_eq!(reason.as_deref(), Some("RetryAttemptsExhausted"));
    }

    #[test]
    fn anything_else_is_unknown_never_a_guess() {
        for body in
            ["", "not json", "{}", "[1,2]", r#"{"Records": []}"#, r#"{"DDBStreamBatchInfo": {}}"#]
        {
            assert_eq!(classify(body, None).0, DeadEventSource::Unknown, "{body}");
        }
        // another bucket layout's key is not an upload
        assert_eq!(classify(&s3_event("other/x.jpg"), None).0, DeadEventSource::Unknown);
    }

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert!(seq_le("99", "100"));
        assert!(!seq_le("100", "99"));
        assert!(seq_le("800000000003126276362", "800000000003126276362"));
        assert!(!seq_le("800000000003126276363", "800000000003126276362"));
    }
}
