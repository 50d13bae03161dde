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
             jobs_table = \"{}\"\nocr_table = \"{}\"\naudit_table = \"{}\"\n",
            s.bucket,
            s.kms_key_id,
            s.verifications_table,
            s.keys_table,
            s.liveness_table,
            s.jobs_table,
            s.ocr_table,
            s.audit_table
        ),
    )
    .unwrap();

    let boot = on_aws(dir.path(), &moto, &["aws", "bootstrap", "--json"]).output().unwrap();
    let boot = json(&boot);
    assert_eq!(boot["created"], serde_json::json!([]), "everything exists already: {boot}");
    assert_eq!(boot["existing"].as_array().map(Vec::len), Some(8), "{boot}");

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
        if timeline.iter().any(|e| e["step"] == "document_read") {
            read = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(read, "the document was read on the AWS backends");
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
    let s3 = s.s3_client(&sdk);
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
    assert_eq!(dlq, serde_json::json!([]));
    // under another master key the same chain does not verify
    let other = on_aws(dir.path(), &moto, &["audit", "verify", "--json"])
        .env("KYC_MASTER_KEY", "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=")
        .output()
        .unwrap();
    assert_eq!(json(&other)["ok"], false);
    drop(moto);
}
