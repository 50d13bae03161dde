//! `kyc` built with the `aws` feature, run as the README's "On AWS" section
//! says, against moto: `kyc aws bootstrap`, `kyc keys create`, `kyc serve`
//! with `KYC_BACKEND=aws`, then a verification through the HTTP API, its
//! document read by the job worker through `KycJobs`, and its erasure.

use crate::cli::{Served, json, kyc};
use crate::harness::document_photo;
use kyc_server_aws::testing::Moto;
use std::{path::Path, process::Command, time::Duration};

const MASTER: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// `kyc ARGS` on the emulator's resources (names in `DIR/kyc.toml`).
fn on_aws(dir: &Path, moto: &Moto, args: &[&str]) -> Command {
    let mut c = kyc(dir, args);
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            c.env_remove(k);
        }
    }
    c.env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("KYC_BACKEND", "aws")
        .env("KYC_MASTER_KEY", MASTER);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kyc_serve_on_aws_against_the_emulator() {
    let moto = Moto::start();
    let (sdk, s) = moto.fresh().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("kyc.toml"),
        format!(
            "[backend]\nkind = \"aws\"\n[backend.aws]\nbucket = \"{}\"\nkms_key_id = \"{}\"\n\
             verifications_table = \"{}\"\nkeys_table = \"{}\"\nliveness_table = \"{}\"\n\
             jobs_table = \"{}\"\nocr_table = \"{}\"\naudit_table = \"{}\"\n\
             dead_letter_queues = [\"{}\", \"{}\"]\n",
            s.bucket,
            s.kms_key_id,
            s.verifications_table,
            s.keys_table,
            s.liveness_table,
            s.jobs_table,
            s.ocr_table,
            s.audit_table,
            s.dead_letter_queues[0],
            s.dead_letter_queues[1],
        ),
    )
    .unwrap();

    let boot = on_aws(dir.path(), &moto, &["aws", "bootstrap", "--json"]).output().unwrap();
    let boot = json(&boot);
    assert_eq!(boot["created"], serde_json::json!([]), "everything exists already: {boot}");
    assert_eq!(boot["existing"].as_array().map(Vec::len), Some(10), "{boot}");
    let checked = on_aws(dir.path(), &moto, &["aws", "check", "--json"]).output().unwrap();
    assert_eq!(checked.status.code(), Some(0), "{}", String::from_utf8_lossy(&checked.stdout));
    assert_eq!(json(&checked)["findings"], serde_json::json!([]));

    let key = json(
        &on_aws(dir.path(), &moto, &["keys", "create", "--kind", "secret", "--json"])
            .output()
            .unwrap(),
    );
    let sk = key["key"].as_str().unwrap().to_owned();
    let refused = on_aws(dir.path(), &moto, &["keys", "rotate"]).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("local backend only"));
    // a key-less start fails at startup, naming what is missing
    let no_key =
        on_aws(dir.path(), &moto, &["serve"]).env_remove("KYC_MASTER_KEY").output().unwrap();
    assert!(String::from_utf8_lossy(&no_key.stderr).contains("KYC_MASTER_KEY"));

    let mut serve = on_aws(dir.path(), &moto, &["serve", "--listen", "127.0.0.1:0"]);
    serve.env("KYC_JOB_LEASE_SECS", "2");
    let server = Served::spawn(serve);
    let http = kyc_server::util::http_client_builder().build().unwrap();
    let created: serde_json::Value = http
        .post(format!("{}/v1/verifications", server.base))
        .bearer_auth(&sk)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["verificationId"].as_str().unwrap().to_owned();
    let ct = created["clientToken"].as_str().unwrap();
    let up = http
        .post(format!("{}/upload-id", server.base))
        .bearer_auth(ct)
        .header("content-type", "image/jpeg")
        .body(document_photo(0))
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), 200, "{:?}", up.text().await);

    // the worker leases the OCR job from KycJobs, the reading lands in KycOcrData
    let mut read = false;
    for _ in 0..120 {
        let v: serde_json::Value = http
            .get(format!("{}/v1/verifications/{id}", server.base))
            .bearer_auth(&sk)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let timeline = v["timeline"].as_array().cloned().unwrap_or_default();
        let done = |step: &str| timeline.iter().any(|e| e["step"] == step);
        // the reading's screening job follows it through the same queue
        if done("document_read") && done("screening") {
            read = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(read, "the document was read and screened on the AWS backends");
    let s3 = s.s3_client(&sdk);
    let head = s3
        .head_object()
        .bucket(&s.bucket)
        .key(format!("kyc-id-uploads/{id}.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.server_side_encryption().map(|e| e.as_str()), Some("aws:kms"));
    let db = aws_sdk_dynamodb::Client::new(&sdk);
    let reading = db
        .get_item()
        .table_name(&s.ocr_table)
        .key("verificationId", aws_sdk_dynamodb::types::AttributeValue::S(id.clone()))
        .send()
        .await
        .unwrap();
    assert!(reading.item().is_some(), "a KycOcrData row");

    let gone = http
        .delete(format!("{}/v1/verifications/{id}", server.base))
        .bearer_auth(&sk)
        .send()
        .await
        .unwrap();
    assert!(gone.status().is_success(), "{}", gone.status());
    let left = s3.list_object_versions().bucket(&s.bucket).send().await.unwrap();
    let mine = left.versions().iter().filter(|v| v.key().is_some_and(|k| k.contains(&id))).count();
    assert_eq!(mine, 0, "no object version of the erased verification");
    drop(server);

    // the operator's tools on the same tables: the chain verifies under the
    // key derived from KYC_MASTER_KEY, the dead-letter list is empty
    let audit = on_aws(dir.path(), &moto, &["audit", "verify", "--json"]).output().unwrap();
    assert_eq!(audit.status.code(), Some(0), "{}", String::from_utf8_lossy(&audit.stderr));
    let audit = json(&audit);
    assert_eq!(audit["ok"], true, "{audit}");
    assert!(audit["records"].as_u64().unwrap() >= 5, "{audit}");
    let head = json(&on_aws(dir.path(), &moto, &["audit", "head", "--json"]).output().unwrap());
    assert_eq!(head["seq"], audit["records"]);
    let dlq =
        json(&on_aws(dir.path(), &moto, &["jobs", "dlq", "list", "--json"]).output().unwrap());
    assert_eq!(dlq, serde_json::json!({"jobs": [], "events": []}));

    // the OCR function gave up on an upload (its redrive sent the S3
    // notification to its DLQ), and a message nobody can place
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let ocr_dlq = sqs.get_queue_url().queue_name(&s.dead_letter_queues[0]).send().await.unwrap();
    let ocr_dlq = ocr_dlq.queue_url().unwrap();
    let notification = serde_json::json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": s.bucket}, "object": {"key": format!("kyc-id-uploads/{id}.jpg")}}
    }]});
    sqs.send_message()
        .queue_url(ocr_dlq)
        .message_body(notification.to_string())
        .send()
        .await
        .unwrap();
    sqs.send_message().queue_url(ocr_dlq).message_body("{}").send().await.unwrap();
    let dlq =
        json(&on_aws(dir.path(), &moto, &["jobs", "dlq", "list", "--json"]).output().unwrap());
    let events = dlq["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{dlq}");
    let ours = events.iter().find(|e| e["source"]["kind"] == "uploads").unwrap();
    assert_eq!(ours["source"]["verificationIds"], serde_json::json!([id]));
    // retry: the step goes back in KycJobs, the message leaves; the unknown one stays
    let retry =
        on_aws(dir.path(), &moto, &["jobs", "dlq", "retry", "--all", "--json"]).output().unwrap();
    assert_eq!(retry.status.code(), Some(1), "one message could not be retried");
    let retry = json(&retry);
    assert_eq!(retry["retried"], serde_json::json!([ours["messageId"]]), "{retry}");
    assert_eq!(retry["failed"].as_array().unwrap().len(), 1, "{retry}");
    let jobs = db.scan().table_name(&s.jobs_table).send().await.unwrap();
    let queued = jobs.items().iter().any(|i| {
        i.values()
            .any(|v| matches!(v, aws_sdk_dynamodb::types::AttributeValue::S(t) if t.contains(&id)))
            && i.get("kind").is_some_and(|k| k.as_s().is_ok_and(|k| k == "ocr"))
    });
    assert!(queued, "an ocr job for {id} in KycJobs: {:?}", jobs.items());
    let dlq =
        json(&on_aws(dir.path(), &moto, &["jobs", "dlq", "list", "--json"]).output().unwrap());
    assert_eq!(dlq["events"].as_array().map(Vec::len), Some(1), "{dlq}");
    // under another master key the same chain does not verify
    let other = on_aws(dir.path(), &moto, &["audit", "verify", "--json"])
        .env("KYC_MASTER_KEY", "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=")
        .output()
        .unwrap();
    assert_eq!(json(&other)["ok"], false);
    drop(moto);
}
