//! The Lambda handlers invoked with real event documents (the AWS examples
//! in tests/fixtures, edited to name this deployment's objects): the HTTP
//! API through an API Gateway REST proxy event, document reading on an S3
//! notification (directly and through SQS), screening on a DynamoDB Streams
//! batch, and the job sweeper on a schedule event. The state is the
//! embedded one with the local engines and the shipped lists; the handlers
//! are the code the deployed functions run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use async_trait::async_trait;
use base64::Engine;
use bytes::Bytes;
use http_body_util::BodyExt;
use kyc_core::{
    VerificationId,
    api::v1::{DEFAULT_ACCOUNT, KeyKind, KeyRole, Step},
    document::text::DocumentText,
};
use kyc_lambda::{events, http};
use kyc_server::{
    AppState, Backends, ServerConfig,
    auth::generate_key,
    backend::{ProviderError, document::DocumentReader},
    clock::SystemClock,
    fixtures::document_photo,
};
use serde_json::{Value, json};
use std::{
    sync::{Arc, OnceLock},
    time::{Duration, SystemTime},
};
use tower::ServiceExt;

const BUCKET: &str = "kyc-uploads-test";

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn config() -> ServerConfig {
    let mut c = ServerConfig::default();
    c.backend.aws.bucket = BUCKET.into();
    c
}

/// The embedded state with the local engines, loaded once per test binary.
fn engines() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE
        .get_or_init(|| {
            AppState::new(config(), Backends::memory(), Arc::new(SystemClock), [7u8; 32])
                .with_local_engines()
                .unwrap()
        })
        .clone()
}

/// A fresh state (its own stores) sharing the loaded engines.
fn state() -> AppState {
    let e = engines();
    AppState::new(config(), Backends::memory(), Arc::new(SystemClock), [7u8; 32])
        .with_face_engine(e.face.clone())
        .with_document_reader(e.document.clone())
        .with_screener(e.screener.clone())
}

async fn secret(state: &AppState) -> String {
    let g = generate_key(
        KeyKind::Secret,
        vec![],
        DEFAULT_ACCOUNT,
        KeyRole::Integrator,
        state.clock.now(),
    );
    state.backends.keys.insert(&g.record).await.unwrap();
    g.key
}

/// Sends a request through the API function as an API Gateway REST proxy
/// event (stage `testStage`, client 192.168.196.186) would arrive.
async fn api(
    state: &AppState,
    method: &str,
    path: &str,
    token: &str,
    body: (&str, &[u8]),
) -> (u16, Value) {
    let mut e = fixture("apigw-rest-request.json");
    let headers = json!({
        "Authorization": format!("Bearer {token}"),
        "Content-Type": body.0,
        "Host": "gy415nuibc.execute-api.us-east-1.amazonaws.com",
    });
    let multi: serde_json::Map<String, Value> =
        headers.as_object().unwrap().iter().map(|(k, v)| (k.clone(), json!([v]))).collect();
    e["httpMethod"] = json!(method);
    e["path"] = json!(path);
    e["requestContext"]["path"] = json!(format!("/testStage{path}"));
    e["requestContext"]["httpMethod"] = json!(method);
    e["pathParameters"] = json!({ "proxy": &path[1..] });
    e["headers"] = headers;
    e["multiValueHeaders"] = Value::Object(multi);
    e["queryStringParameters"] = Value::Null;
    e["multiValueQueryStringParameters"] = Value::Null;
    e["body"] = json!(base64::engine::general_purpose::STANDARD.encode(body.1));
    e["isBase64Encoded"] = json!(true);
    let req = lambda_http::request::from_str(&e.to_string()).unwrap();
    assert_eq!(http::source_ip(&req), Some("192.168.196.186".parse().unwrap()));
    let resp = http::service(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_api_function_does_not_serve_metrics() {
    let state = state();
    let (status, body) = api(&state, "GET", "/metrics", "", ("text/plain", b"")).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{body}");
    // the rest of the router is there
    let (status, _) = api(&state, "GET", "/healthz", "", ("text/plain", b"")).await;
    assert_eq!(status, 200);
}

/// A verification created and its document uploaded through the API function.
async fn uploaded(state: &AppState) -> (String, VerificationId) {
    let sk = secret(state).await;
    let (status, v) =
        api(state, "POST", "/v1/verifications", &sk, ("application/json", b"{}")).await;
    assert_eq!(status, 201, "{v}");
    let ct = v["clientToken"].as_str().unwrap().to_owned();
    let id: VerificationId = v["verificationId"].as_str().unwrap().parse().unwrap();
    let (status, r) =
        api(state, "POST", "/upload-id", &ct, ("image/jpeg", &document_photo(0))).await;
    assert_eq!(status, 200, "{r}");
    (sk, id)
}

/// The S3 notification of `key` in `bucket`.
fn s3_event(bucket: &str, key: &str, name: &str) -> Value {
    let mut e = fixture("s3-object-created.json");
    e["Records"][0]["s3"]["bucket"]["name"] = json!(bucket);
    e["Records"][0]["s3"]["bucket"]["arn"] = json!(format!("arn:aws:s3:::{bucket}"));
    e["Records"][0]["s3"]["object"]["key"] = json!(key);
    e["Records"][0]["eventName"] = json!(name);
    e
}

fn upload_key(id: &VerificationId) -> String {
    format!("kyc-id-uploads/{id}.jpg")
}

/// A DynamoDB Streams batch of `KycOcrData` records: (event name, id, sequence number).
fn stream_event(
    records: &[(&str, &VerificationId, &str)],
) -> aws_lambda_events::event::dynamodb::Event {
    let template = fixture("dynamodb-stream.json")["Records"][0].clone();
    let records: Vec<Value> = records
        .iter()
        .map(|(name, id, seq)| {
            let mut r = template.clone();
            let keys = json!({ "verificationId": { "S": id.to_string() } });
            r["eventName"] = json!(name);
            r["dynamodb"]["Keys"] = keys.clone();
            r["dynamodb"]["NewImage"] = keys;
            r["dynamodb"]["SequenceNumber"] = json!(seq);
            r["eventSourceARN"] =
                json!("arn:aws:dynamodb:eu-west-1:123456789012:table/KycOcrData/stream/2026-12-01T00:00:00.000");
            r
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

async fn audits(state: &AppState, id: &VerificationId, step: Step) -> usize {
    state
        .backends
        .audit
        .for_verification(id)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.event.step == step)
        .count()
}

#[tokio::test]
async fn a_verification_through_the_api_ocr_screening_and_sweeper_functions() {
    let state = state();
    let (sk, id) = uploaded(&state).await;

    // OCRExtractionLambda on the upload's notification, delivered twice
    let event = s3_event(BUCKET, &upload_key(&id), "ObjectCreated:Put");
    for _ in 0..2 {
        let out = events::ocr(&state, event.clone()).await.unwrap();
        assert_eq!(out["records"], 1);
    }
    let record = state.backends.ocr.get(&id).await.unwrap().expect("the reading is stored");
    let fields = record.fields.expect("the document was read");
    assert!(fields.name.is_some() && fields.date_of_birth.is_some(), "{fields:?}");
    assert_eq!(audits(&state, &id, Step::DocumentRead).await, 1, "redelivery reads once");

    // SanctionsScreeningLambda on the reading record's stream: an insert,
    // a modify and (after) its removal, redelivered
    let batch =
        stream_event(&[("INSERT", &id, "100"), ("MODIFY", &id, "101"), ("REMOVE", &id, "102")]);
    for _ in 0..2 {
        let out = events::screen(&state, batch.clone()).await;
        assert!(out.batch_item_failures.is_empty(), "{out:?}");
    }
    assert_eq!(audits(&state, &id, Step::Screening).await, 1, "redelivery screens once");
    let (status, v) =
        api(&state, "GET", &format!("/v1/verifications/{id}"), &sk, ("application/json", b""))
            .await;
    assert_eq!(status, 200, "{v}");
    assert!(v["screening"]["sanctionsStatus"].is_string(), "{v}");

    // JobSweeperLambda on a schedule: the queued jobs of the steps the
    // events already ran complete without running them again
    let deadline = SystemTime::now() + Duration::from_secs(60);
    let out = events::sweep(&state, deadline).await.unwrap();
    assert!(out["jobs"].as_u64().unwrap() >= 2, "{out}");
    let stats = state.backends.jobs.stats().await.unwrap();
    assert_eq!((stats.pending, stats.dead), (0, 0), "{stats:?}");
    assert_eq!(audits(&state, &id, Step::DocumentRead).await, 1);
    assert_eq!(audits(&state, &id, Step::Screening).await, 1);
    // a schedule event is what invokes it; its body is not read
    assert!(fixture("eventbridge-schedule.json")["detail-type"] == "Scheduled Event");
}

#[tokio::test]
async fn notifications_that_are_not_this_deployments_uploads_are_ignored() {
    let state = state();
    let (_, id) = uploaded(&state).await;
    let key = upload_key(&id);
    for event in [
        s3_event("someone-elses-bucket", &key, "ObjectCreated:Put"),
        s3_event(BUCKET, &key, "ObjectRemoved:Delete"),
        s3_event(BUCKET, &format!("kyc-ocr-raw/{id}.json"), "ObjectCreated:Put"),
        // keys come URL-encoded: this one decodes to "{id} .jpg", no upload of ours
        s3_event(BUCKET, &format!("kyc-id-uploads/{id}%20.jpg"), "ObjectCreated:Put"),
        fixture("s3-object-created.json"),
    ] {
        events::ocr(&state, event).await.unwrap();
    }
    assert!(state.backends.ocr.get(&id).await.unwrap().is_none(), "nothing was read");
    // a verification erased (or never created) since: nothing to read, no failure
    let gone: VerificationId = "0b5e7c1e-0000-4000-8000-000000000001".parse().unwrap();
    events::ocr(&state, s3_event(BUCKET, &upload_key(&gone), "ObjectCreated:Put")).await.unwrap();
    // something that is no event of ours at all is refused
    assert!(events::ocr(&state, json!({ "Records": "no" })).await.is_err());
}

/// A document reader that is down (a Textract outage, say).
#[derive(Debug)]
struct Down;

#[async_trait]
impl DocumentReader for Down {
    fn name(&self) -> &str {
        "down"
    }

    async fn read_text(&self, _: &Bytes) -> Result<DocumentText, ProviderError> {
        Err(ProviderError::Unavailable)
    }
}

#[tokio::test]
async fn a_reader_outage_fails_the_invocation_so_lambda_retries_it() {
    let state = state().with_document_reader(Arc::new(Down));
    let (_, id) = uploaded(&state).await;
    let e = events::ocr(&state, s3_event(BUCKET, &upload_key(&id), "ObjectCreated:Put"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("1 of 1 records failed"), "{e}");
    assert!(state.backends.ocr.get(&id).await.unwrap().is_none());
}

#[tokio::test]
async fn sqs_batches_report_only_the_messages_that_failed() {
    let state = state();
    let (_, id) = uploaded(&state).await;
    let template = fixture("sqs.json")["Records"][0].clone();
    let message = |n: usize, body: String| {
        let mut m = template.clone();
        m["messageId"] = json!(format!("m-{n}"));
        m["body"] = json!(body);
        m
    };
    let notification = s3_event(BUCKET, &upload_key(&id), "ObjectCreated:Put").to_string();
    let test_event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-12-07T10:00:00.000Z", "Bucket": BUCKET}).to_string();
    let batch = json!({ "Records": [
        message(1, notification),
        message(2, test_event),
        message(3, "Message Body".to_owned()),
    ]});
    let out = events::ocr(&state, batch).await.unwrap();
    assert_eq!(out, json!({ "batchItemFailures": [{ "itemIdentifier": "m-3" }] }));
    assert!(state.backends.ocr.get(&id).await.unwrap().is_some(), "the upload was read");

    // the reader down: the notification's message is reported too
    let down = state.with_document_reader(Arc::new(Down));
    let (_, other) = uploaded(&down).await;
    let batch = json!({ "Records": [message(4, s3_event(BUCKET, &upload_key(&other), "ObjectCreated:Put").to_string())] });
    let out = events::ocr(&down, batch).await.unwrap();
    assert_eq!(out["batchItemFailures"][0]["itemIdentifier"], "m-4");
}

#[tokio::test]
async fn a_screening_outage_is_reported_from_the_first_failed_record_on() {
    use kyc_server::backend::screening::http::{HttpScreener, HttpScreenerConfig};
    let state = state();
    let (_, id) = uploaded(&state).await;
    events::ocr(&state, s3_event(BUCKET, &upload_key(&id), "ObjectCreated:Put")).await.unwrap();
    // the provider unreachable (nothing listens on port 9)
    let provider = HttpScreenerConfig {
        url: "http://127.0.0.1:9/v1".into(),
        retry_base_ms: 5,
        attempts: 2,
        timeout_ms: 1_000,
        ..Default::default()
    };
    let down =
        state.with_screener(Arc::new(HttpScreener::new(provider, "sk_test".into(), true).unwrap()));
    let gone: VerificationId = "0b5e7c1e-0000-4000-8000-000000000001".parse().unwrap();
    let batch =
        stream_event(&[("INSERT", &gone, "200"), ("INSERT", &id, "201"), ("MODIFY", &id, "202")]);
    let out = events::screen(&down, batch).await;
    let failed: Vec<_> =
        out.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, [Some("201".to_owned())], "the erased one is done, the rest retried");
    assert_eq!(audits(&down, &id, Step::Screening).await, 0);
}
