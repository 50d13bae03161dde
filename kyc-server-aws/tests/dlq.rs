//! The Lambda functions' dead-letter queues and `kyc aws check`, against
//! moto (SQS, DynamoDB Streams, S3, KMS and DynamoDB descriptions are
//! faithful there): messages in the three forms Lambda writes are listed
//! without being consumed and resolved to their verifications (a stream
//! batch by reading the records back from the table's stream); the check
//! passes on what bootstrap makes and names each thing broken afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveSpecification};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use kyc_backend::StoreError;
use kyc_core::VerificationId;
use kyc_server_aws::{DeadEventSource, SqsDeadLetters, check, testing::Moto};

fn s3_notification(bucket: &str, id: &VerificationId) -> serde_json::Value {
    serde_json::json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": format!("kyc-id-uploads%2F{id}.jpg"), "size": 2048}}
    }]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_in_place_and_resolved_to_their_verifications() {
    let moto = Moto::start();
    let (sdk, s) = moto.fresh().await;
    let dlq = SqsDeadLetters::new(&sdk, &s);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let ocr_q = dlq.url(&s.dead_letter_queues[0]).await.unwrap();
    let screening_q = dlq.url(&s.dead_letter_queues[1]).await.unwrap();
    let mut rng = rand::rng();
    let [x, y, z] = [(); 3].map(|()| VerificationId::generate(&mut rng));

    // a redriven S3 notification, an on-failure invocation record, and junk
    sqs.send_message()
        .queue_url(&ocr_q)
        .message_body(s3_notification(&s.bucket, &x).to_string())
        .send()
        .await
        .unwrap();
    let record = serde_json::json!({
        "version": "1.0", "timestamp": "2026-12-07T10:00:00.000Z",
        "requestContext": {"requestId": "r-1", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:kyc-ocr", "condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": s3_notification(&s.bucket, &y),
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "1 of 1 records failed and will be retried"}
    });
    sqs.send_message().queue_url(&ocr_q).message_body(record.to_string()).send().await.unwrap();
    sqs.send_message().queue_url(&ocr_q).message_body("not an event").send().await.unwrap();

    // a reading written for z, and the stream batch record that names it
    let db = aws_sdk_dynamodb::Client::new(&sdk);
    db.put_item()
        .table_name(&s.ocr_table)
        .item("verificationId", AttributeValue::S(z.to_string()))
        .item("expiresAt", AttributeValue::N("4102444800".into()))
        .send()
        .await
        .unwrap();
    let table = db.describe_table().table_name(&s.ocr_table).send().await.unwrap();
    let arn = table.table().unwrap().latest_stream_arn().unwrap().to_owned();
    let streams = aws_sdk_dynamodbstreams::Client::new(&sdk);
    let described = streams.describe_stream().stream_arn(&arn).send().await.unwrap();
    let shard = described.stream_description().unwrap().shards()[0].shard_id().unwrap().to_owned();
    let it = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(&shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap();
    let records =
        streams.get_records().shard_iterator(it.shard_iterator().unwrap()).send().await.unwrap();
    let seq = records.records()[0].dynamodb().unwrap().sequence_number().unwrap().to_owned();
    let batch = |start: &str| {
        serde_json::json!({
            "requestContext": {"requestId": "r-2", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:kyc-screening", "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 4},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0", "timestamp": "2026-12-07T10:00:00.000Z",
            "DDBStreamBatchInfo": {"shardId": shard, "startSequenceNumber": start, "endSequenceNumber": start,
                "batchSize": 1, "streamArn": arn}
        })
        .to_string()
    };
    sqs.send_message().queue_url(&screening_q).message_body(batch(&seq)).send().await.unwrap();

    // listed, every form, and still there for the next listing
    let listed = dlq.list(100).await.unwrap();
    assert_eq!(listed.len(), 4, "{listed:#?}");
    let again = dlq.list(100).await.unwrap();
    assert_eq!(again.len(), 4, "a listing consumes nothing");
    let by_source = |want: &DeadEventSource| listed.iter().filter(|e| &e.source == want).count();
    assert_eq!(by_source(&DeadEventSource::Uploads { verification_ids: vec![x] }), 1);
    assert_eq!(by_source(&DeadEventSource::Uploads { verification_ids: vec![y] }), 1);
    assert_eq!(by_source(&DeadEventSource::Unknown), 1);
    let reasons: Vec<_> = listed.iter().filter_map(|e| e.reason.as_deref()).collect();
    assert!(reasons.contains(&"RetriesExhausted: 1 of 1 records failed and will be retried"));
    assert!(listed.iter().all(|e| e.receive_count >= 1 && e.sent_at_ms.is_some()));

    // the stream batch resolves to z by reading the stream back
    let held = dlq.receive(100).await.unwrap();
    let stream_event =
        held.iter().find(|e| matches!(e.source, DeadEventSource::StreamBatch { .. })).unwrap();
    assert_eq!(dlq.subjects(stream_event).await.unwrap(), vec![z]);
    // deleting one leaves the others
    dlq.delete(stream_event).await.unwrap();
    dlq.release(&held).await;
    assert_eq!(dlq.list(100).await.unwrap().len(), 3);

    // a batch of a stream that is gone (its table deleted, or past its
    // retention) is NotFound, never a guess (moto answers an unknown shard of
    // a live stream with a 500, so the table is what goes here)
    let gone_arn = arn.replace(&s.ocr_table, "KycOcrData-deleted");
    sqs.send_message()
        .queue_url(&screening_q)
        .message_body(batch(&seq).replace(&arn, &gone_arn))
        .send()
        .await
        .unwrap();
    let held = dlq.receive(100).await.unwrap();
    let gone =
        held.iter().find(|e| matches!(e.source, DeadEventSource::StreamBatch { .. })).unwrap();
    let err = dlq.subjects(gone).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    dlq.release(&held).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_passes_on_bootstrap_and_names_what_breaks() {
    let moto = Moto::start();
    let (sdk, s) = moto.fresh().await;
    let report = check(&sdk, &s).await;
    assert!(report.is_ok(), "{report:#?}");
    assert_eq!(report.ok.len(), 10, "key, bucket, six tables, two queues: {report:#?}");

    // break four things
    let s3 = s.s3_client(&sdk);
    s3.put_bucket_versioning()
        .bucket(&s.bucket)
        .versioning_configuration(
            VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build(),
        )
        .send()
        .await
        .unwrap();
    let db = aws_sdk_dynamodb::Client::new(&sdk);
    db.update_time_to_live()
        .table_name(&s.ocr_table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(false)
                .attribute_name("expiresAt")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    db.delete_table().table_name(&s.liveness_table).send().await.unwrap();
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = SqsDeadLetters::new(&sdk, &s).url(&s.dead_letter_queues[1]).await.unwrap();
    sqs.delete_queue().queue_url(&url).send().await.unwrap();
    let kms = aws_sdk_kms::Client::new(&sdk);
    let key_id = kms.describe_key().key_id(&s.kms_key_id).send().await.unwrap();
    let key_id = key_id.key_metadata().unwrap().key_id().to_owned();
    kms.disable_key_rotation().key_id(key_id).send().await.unwrap();

    let report = check(&sdk, &s).await;
    let problem = |resource: &str| {
        report
            .findings
            .iter()
            .filter(|f| f.resource == resource)
            .map(|f| f.problem.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(problem(&format!("s3 {}", s.bucket)), ["versioning is not enabled"], "{report:#?}");
    assert_eq!(
        problem(&format!("dynamodb {}", s.ocr_table)),
        ["TTL is not on expiresAt: records outlive retention"]
    );
    assert!(problem(&format!("dynamodb {}", s.liveness_table))[0].starts_with("not found"));
    assert!(problem(&format!("sqs {}", s.dead_letter_queues[1]))[0].starts_with("not found"));
    assert_eq!(problem(&format!("kms {}", s.kms_key_id)), ["automatic key rotation is off"]);
    assert_eq!(report.findings.len(), 5, "{report:#?}");
    assert_eq!(report.ok.len(), 5, "the rest is still fine: {report:#?}");
}
