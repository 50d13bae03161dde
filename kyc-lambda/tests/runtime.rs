//! The real `bootstrap` binary under a local Lambda Runtime API: it starts,
//! asks for events, answers an API Gateway request through the router, and
//! refuses to start on a bad configuration with a precise, logged reason.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/runtime_api.rs"]
mod runtime_api;

use runtime_api::{Answer, RuntimeApi, lambda_env};
use serde_json::json;
use std::{process::Stdio, time::Duration};
use tokio::process::Command;

fn bootstrap(api: std::net::SocketAddr, data: &std::path::Path, handler: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kyc-lambda"));
    c.env_clear()
        .envs(lambda_env(api))
        .env("KYC_LAMBDA_HANDLER", handler)
        .env("KYC_DATA_DIR", data)
        .env("KYC_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

#[tokio::test]
async fn the_bootstrap_serves_api_gateway_requests() {
    let api = RuntimeApi::default();
    let addr = api.start().await;
    let data = tempfile::tempdir().unwrap();
    let mut child = bootstrap(addr, data.path(), "api").spawn().unwrap();

    let mut event: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/apigw-http-request.json"
        ))
        .unwrap(),
    )
    .unwrap();
    event["rawPath"] = json!("/healthz");
    event["requestContext"]["http"]["path"] = json!("/healthz");
    event["requestContext"]["http"]["method"] = json!("GET");
    api.invoke("req-1", event.clone());
    event["rawPath"] = json!("/v1/verifications");
    event["requestContext"]["http"]["path"] = json!("/v1/verifications");
    event["requestContext"]["http"]["method"] = json!("POST");
    api.invoke("req-2", event);

    let Some(Answer::Response(r)) = api.answer("req-1", Duration::from_secs(60)).await else {
        let out = child.kill().await;
        panic!("no response to req-1 ({out:?})");
    };
    assert_eq!(r["statusCode"], 200, "{r}");
    assert!(api.first_next().is_some());
    // no key: the API's typed error, through API Gateway's response shape
    let Some(Answer::Response(r)) = api.answer("req-2", Duration::from_secs(10)).await else {
        panic!("no response to req-2");
    };
    assert_eq!(r["statusCode"], 401, "{r}");
    let body: serde_json::Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["code"], "unauthorized", "{body}");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn a_bad_handler_or_configuration_stops_init_with_its_reason() {
    let api = RuntimeApi::default();
    let addr = api.start().await;
    let data = tempfile::tempdir().unwrap();
    for (handler, extra, reason) in [
        (
            "worker",
            ("KYC_LOG_FORMAT", "json"),
            "KYC_LAMBDA_HANDLER=\\\"worker\\\": use api, ocr, screening or jobs",
        ),
        ("ocr", ("KYC_BACKEND", "cloud"), "KYC_BACKEND"),
    ] {
        let out =
            bootstrap(addr, data.path(), handler).env(extra.0, extra.1).output().await.unwrap();
        assert!(!out.status.success());
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(log.contains("lambda_init_failed") && log.contains(reason), "{log}");
    }
    assert!(api.first_next().is_none(), "no event is taken before init succeeds");
}
