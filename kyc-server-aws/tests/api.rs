//! The HTTP API over every AWS backend (moto): create a verification,
//! upload a document, read it back, see where it landed in S3 and
//! DynamoDB, erase it and see nothing left.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use kyc_backend::{Backends, crypto::DataKey, testing::all_suites};
use kyc_core::{
    Timestamp,
    api::v1::{DEFAULT_ACCOUNT, KeyKind, KeyRole},
    audit::{ChainKey, ChainVerifier},
};
use kyc_server::{AppState, ServerConfig, app, auth::generate_key, clock::ManualClock, fixtures};
use kyc_server_aws::*;
use std::sync::Arc;
use tower::ServiceExt;

fn aws_backends(sdk: &aws_config::SdkConfig, s: &AwsSettings, audit: ChainKey) -> Backends {
    Backends {
        objects: Arc::new(S3ObjectStore::new(sdk, s)),
        verifications: Arc::new(DynamoVerificationStore::new(
            sdk,
            &s.verifications_table,
            &s.jobs_table,
        )),
        keys: Arc::new(DynamoKeyStore::new(sdk, &s.keys_table)),
        audit: Arc::new(DynamoAuditLog::new(sdk, &s.audit_table, audit)),
        liveness: Arc::new(DynamoLivenessStore::new(sdk, &s.liveness_table)),
        jobs: Arc::new(DynamoJobQueue::new(sdk, &s.jobs_table)),
        ocr: Arc::new(DynamoOcrDataStore::new(sdk, &s.ocr_table, DataKey::generate())),
    }
}

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, serde_json::Value, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, serde_json::from_slice(&body).unwrap_or_default(), body)
}

fn req(method: &str, path: &str, token: &str, ct: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, ct)
        .body(body.into())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_on_aws_backends() {
    let moto = kyc_server_aws::testing::Moto::start();
    let (sdk, settings) = moto.fresh().await;
    let audit = ChainKey::from_bytes([4; 32]);
    let backends = aws_backends(&sdk, &settings, audit.clone());

    // every suite on the set as the server holds it (the outbox across tables included)
    all_suites(&backends, &audit).await;

    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_millis(1_764_064_800_000)));
    let state = AppState::new(ServerConfig::default(), backends.clone(), clock.clone(), [7; 32]);
    let app = app(state);
    let key = generate_key(
        KeyKind::Secret,
        vec![],
        DEFAULT_ACCOUNT,
        KeyRole::Integrator,
        kyc_server::clock::Clock::now(clock.as_ref()),
    );
    backends.keys.insert(&key.record).await.unwrap();
    let sk = key.key;

    let (status, created, _) =
        call(&app, req("POST", "/v1/verifications", &sk, "application/json", "{}")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["verificationId"].as_str().unwrap().to_owned();
    let ct = created["clientToken"].as_str().unwrap().to_owned();

    let queued_before = backends.jobs.stats().await.unwrap().pending;
    let photo = fixtures::document_photo(0);
    let (status, up, _) =
        call(&app, req("POST", "/upload-id", &ct, "image/jpeg", photo.clone())).await;
    assert_eq!(status, StatusCode::OK, "{up}");
    let (status, _, back) = call(
        &app,
        req(
            "GET",
            &format!("/v1/verifications/{id}/document"),
            &sk,
            "application/json",
            Body::empty(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(back, photo, "the document comes back byte for byte from S3");

    // in S3: sealed, under the customer key, at the workstreams' key name
    let s3 = S3ObjectStore::new(&sdk, &settings);
    let head = s3
        .s3()
        .head_object()
        .bucket(&settings.bucket)
        .key(format!("kyc-id-uploads/{id}.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.server_side_encryption().map(|s| s.as_str()), Some("aws:kms"));
    // the upload queued its OCR job through the outbox, in KycJobs
    let pending = backends.jobs.stats().await.unwrap().pending;
    assert_eq!(pending, queued_before + 1, "the upload's job is queued");

    let (status, _, _) = call(
        &app,
        req("DELETE", &format!("/v1/verifications/{id}"), &sk, "application/json", Body::empty()),
    )
    .await;
    assert!(status.is_success(), "{status}");
    let left = s3
        .s3()
        .list_object_versions()
        .bucket(&settings.bucket)
        .prefix(format!("kyc-id-uploads/{id}"))
        .send()
        .await
        .unwrap();
    assert!(
        left.versions().is_empty() && left.delete_markers().is_empty(),
        "no version of the upload left"
    );
    let keys = s3
        .s3()
        .list_object_versions()
        .bucket(&settings.bucket)
        .prefix(format!("kyc-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert!(keys.versions().is_empty(), "the data key is gone");
    let (status, _, _) = call(
        &app,
        req("GET", &format!("/v1/verifications/{id}"), &sk, "application/json", Body::empty()),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // and the audit chain in KycAuditLog verifies from the first record to the erasure
    let mut verifier = ChainVerifier::new(audit);
    for r in backends.audit.scan(0, usize::MAX).await.unwrap() {
        verifier.push(&r).unwrap();
    }
    assert!(verifier.checked() >= 3);
    drop(moto);
}

/// `[backend] kind = "aws"` as `kyc serve` reads it: `AppState::aws`
/// builds every backend from the config's names and the master key alone,
/// and two instances sharing that key accept each other's client tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_state_from_an_aws_config() {
    let moto = kyc_server_aws::testing::Moto::start();
    let (sdk, settings) = moto.fresh().await;
    let mut config = ServerConfig::default();
    config.backend.kind = kyc_server::config::BackendKind::Aws;
    let a = &mut config.backend.aws;
    a.bucket = settings.bucket.clone();
    a.kms_key_id = settings.kms_key_id.clone();
    a.verifications_table = settings.verifications_table.clone();
    a.keys_table = settings.keys_table.clone();
    a.liveness_table = settings.liveness_table.clone();
    a.jobs_table = settings.jobs_table.clone();
    a.ocr_table = settings.ocr_table.clone();
    a.audit_table = settings.audit_table.clone();
    config.validate().unwrap();

    let missing = AppState::aws(config.clone(), &sdk, |_| None).map(|_| ()).unwrap_err();
    assert!(missing.to_string().contains("KYC_MASTER_KEY"), "{missing}");
    let master = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes, base64
    let env = |n: &str| (n == "KYC_MASTER_KEY").then(|| master.to_owned());
    let one = AppState::aws(config.clone(), &sdk, env).unwrap();
    let two = AppState::aws(config, &sdk, env).unwrap();

    let now = kyc_server::clock::Clock::now(one.clock.as_ref());
    let key = generate_key(KeyKind::Secret, vec![], DEFAULT_ACCOUNT, KeyRole::Integrator, now);
    one.backends.keys.insert(&key.record).await.unwrap();
    let (status, created, _) =
        call(&app(one), req("POST", "/v1/verifications", &key.key, "application/json", "{}")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let ct = created["clientToken"].as_str().unwrap();
    // the other instance: same tables, same derived keys
    let (status, up, _) =
        call(&app(two), req("POST", "/upload-id", ct, "image/jpeg", fixtures::document_photo(1)))
            .await;
    assert_eq!(status, StatusCode::OK, "{up}");
    drop(moto);
}
