//! `DynamoAuditLog` and `DynamoOcrDataStore` against moto: the conformance
//! suites, then what an attacker with write access to a table can do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_dynamodb::types::AttributeValue;
use kyc_backend::{
    AuditLog, JobQueue, NewJob, OcrDataStore, OcrRecord, StoreError, VerificationStore,
    crypto::DataKey,
    testing::{
        audit_log_suite, job_queue_suite, key_store_suite, liveness_store_suite, new_id,
        ocr_data_suite, outbox_suite, sample_verification, verification_store_suite,
    },
    util::join_all,
};
use kyc_core::{
    Timestamp,
    api::v1::{Step, StepStatus},
    audit::{AuditEvent, ChainKey, ChainVerifier},
};
use kyc_server_aws::{
    DynamoAuditLog, DynamoJobQueue, DynamoKeyStore, DynamoLivenessStore, DynamoOcrDataStore,
    DynamoVerificationStore,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_stores_on_moto() {
    let moto = kyc_server_aws::testing::Moto::start();
    let (sdk, settings) = moto.fresh().await;
    let db = aws_sdk_dynamodb::Client::new(&sdk);

    // bootstrap made KycOcrData with TTL on expiresAt and a stream of new images
    let ttl = db.describe_time_to_live().table_name(&settings.ocr_table).send().await.unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expiresAt"));
    let table = db.describe_table().table_name(&settings.ocr_table).send().await.unwrap();
    let stream = table.table().and_then(|t| t.stream_specification()).unwrap();
    assert!(stream.stream_enabled());

    // KycAuditLog: the suite (16 concurrent appends serialised into one chain)
    let key = ChainKey::from_bytes([9; 32]);
    let log = DynamoAuditLog::new(&sdk, &settings.audit_table, key.clone());
    audit_log_suite(&log, &key).await;

    // someone with write access edits a record and keeps its hash: the chain says so
    let head = log.head().await.unwrap().unwrap();
    let mut forged = head.clone();
    forged.event.detail = serde_json::json!({"bytes": 2});
    db.put_item()
        .table_name(&settings.audit_table)
        .item("pk", AttributeValue::S("log".into()))
        .item("seq", AttributeValue::N(head.seq.to_string()))
        .item("record", AttributeValue::S(serde_json::to_string(&forged).unwrap()))
        .send()
        .await
        .unwrap();
    let mut verifier = ChainVerifier::new(key.clone());
    let broken = log.scan(0, usize::MAX).await.unwrap().iter().any(|r| verifier.push(r).is_err());
    assert!(broken, "an edited record does not verify");
    // and the next append still lands after it, never beside it
    let next = log
        .append(AuditEvent {
            at: Timestamp::from_unix_millis(1),
            verification_id: None,
            step: Step::Upload,
            status: StepStatus::Created,
            code: None,
            actor: "k".into(),
            detail: serde_json::json!({}),
        })
        .await
        .unwrap();
    assert_eq!(next.seq, head.seq + 1);

    // KycOcrData: the suite, then no plaintext and no splicing
    let ocr = DynamoOcrDataStore::new(&sdk, &settings.ocr_table, DataKey::generate());
    ocr_data_suite(&ocr).await;
    let (a, b) = (new_id(), new_id());
    let reading = |id| -> OcrRecord {
        serde_json::from_value(serde_json::json!({
            "verificationId": id,
            "documentSha256": "ab".repeat(32),
            "engine": "test",
            "readAt": "2026-12-07T10:00:00Z",
            "expiresAt": "2027-01-06T10:00:00Z",
            "latencyMs": 5,
            "fields": {
                "documentKind": "passport",
                "name": {"value": "JANE QUINTESSA DOE", "confidence": 0.9, "source": "mrz"},
                "disagreements": [], "problems": []
            }
        }))
        .unwrap()
    };
    ocr.put(&reading(a)).await.unwrap();
    ocr.put(&reading(b)).await.unwrap();
    assert_eq!(ocr.get(&a).await.unwrap(), Some(reading(a)));
    let item = |id: kyc_core::VerificationId| {
        let db = db.clone();
        let table = settings.ocr_table.clone();
        async move {
            db.get_item()
                .table_name(table)
                .key("verificationId", AttributeValue::S(id.to_string()))
                .send()
                .await
                .unwrap()
                .item()
                .cloned()
                .unwrap()
        }
    };
    let raw_a = item(a).await;
    assert!(!format!("{raw_a:?}").contains("QUINTESSA"), "no name in the table");
    assert_eq!(
        raw_a.get("expiresAt"),
        Some(&AttributeValue::N("1799229600".into())),
        "TTL in seconds"
    );
    // A's sealed reading pasted into B's item does not open as B's
    db.put_item()
        .table_name(&settings.ocr_table)
        .set_item(Some({
            let mut forged = raw_a.clone();
            forged.insert("verificationId".into(), AttributeValue::S(b.to_string()));
            forged
        }))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(ocr.get(&b).await, Err(StoreError::Corrupt(_))),
        "a spliced reading is refused"
    );

    // keys and liveness: their suites
    key_store_suite(&DynamoKeyStore::new(&sdk, &settings.keys_table)).await;
    liveness_store_suite(&DynamoLivenessStore::new(&sdk, &settings.liveness_table)).await;

    // the job queue: its suite, then eight workers racing for one due job
    let jobs = DynamoJobQueue::new(&sdk, &settings.jobs_table);
    job_queue_suite(&jobs).await;
    let at = Timestamp::from_unix_millis(50_000);
    let id = jobs
        .enqueue(&NewJob {
            kind: "race".into(),
            dedupe_key: None,
            payload: serde_json::json!({}),
            run_at: at,
            max_attempts: 3,
        })
        .await
        .unwrap();
    let leases = join_all((0..8).map(|_| jobs.lease(at, 60_000, 10))).await;
    let won: Vec<_> = leases.into_iter().flat_map(Result::unwrap).filter(|j| j.id == id).collect();
    assert_eq!(won.len(), 1, "one job, one lease, however many workers race");
    jobs.complete(&won[0]).await.unwrap();

    // verifications: the suite and the outbox into the queue's table
    let verifications =
        DynamoVerificationStore::new(&sdk, &settings.verifications_table, &settings.jobs_table);
    verification_store_suite(&verifications).await;
    outbox_suite(&verifications, &jobs).await;
    // the outbox keeps the queue's dedupe rule: a key already pending is not enqueued twice
    let v = sample_verification(new_id(), Timestamp::from_unix_millis(4_000_000_000_000));
    verifications.create(&v, None).await.unwrap();
    let keyed = |k: &str| NewJob {
        kind: "dedupe".into(),
        dedupe_key: Some(format!("{k}:{}", v.id)),
        payload: serde_json::json!({}),
        run_at: at,
        max_attempts: 1,
    };
    jobs.enqueue(&keyed("x")).await.unwrap();
    let before = jobs.stats().await.unwrap().pending;
    let v2 = verifications.update_with_jobs(&v, &[keyed("x"), keyed("y")]).await.unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(jobs.stats().await.unwrap().pending, before + 1, "only the new key is enqueued");
    assert!(matches!(
        verifications.update_with_jobs(&v, &[keyed("z")]).await,
        Err(StoreError::Conflict)
    ));
    drop(moto);
}
