//! Cold start of the `bootstrap` binary under a local Lambda Runtime API:
//! for each handler, the time from process start to its first request for
//! an event (init: configuration, AWS clients, engines) and the first
//! invocation's round trip. The functions run on `KYC_BACKEND=aws` (what is
//! deployed) with an endpoint nothing listens on: init makes no AWS call, and
//! the measured invocations (`GET /healthz`, an S3 notification of another
//! bucket, an empty stream batch) need none.
//!
//! `KYC_LAMBDA_BOOTSTRAP` picks the binary (default: this build's
//! `kyc-lambda`; scripts/lambda-build.sh passes the packaged one),
//! `KYC_LAMBDA_REPORT` where the JSON report goes (default
//! `target/bench-reports/lambda-cold-start.json` or `$KYC_BENCH_OUT/…`), `KYC_LAMBDA_SIZES` a
//! sizes report to merge in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

#[path = "../tests/support/runtime_api.rs"]
mod runtime_api;

use runtime_api::{Answer, RuntimeApi, lambda_env};
use serde_json::json;
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn event(handler: &str) -> serde_json::Value {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(format!("{fixtures}{f}")).unwrap()).unwrap()
    };
    match handler {
        "api" => {
            let mut e = read("apigw-http-request.json");
            e["rawPath"] = json!("/healthz");
            e["requestContext"]["http"]["path"] = json!("/healthz");
            e
        }
        "ocr" => read("s3-object-created.json"),
        _ => json!({ "Records": [] }),
    }
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let bootstrap = std::env::var("KYC_LAMBDA_BOOTSTRAP")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_kyc-lambda").to_owned());
    let mut handlers = serde_json::Map::new();
    for handler in ["api", "ocr", "screening"] {
        let (mut init, mut first) = (Vec::new(), Vec::new());
        for run in 0..RUNS {
            let api = RuntimeApi::default();
            let addr = api.start().await;
            let id = format!("cold-{run}");
            api.invoke(&id, event(handler));
            let started = Instant::now();
            let mut child = tokio::process::Command::new(&bootstrap)
                .env_clear()
                .envs(lambda_env(addr))
                .env("KYC_LAMBDA_HANDLER", handler)
                .env("KYC_BACKEND", "aws")
                .env("KYC_AWS_BUCKET", "kyc-bench")
                .env("KYC_AWS_KMS_KEY_ID", "alias/kyc-bench")
                .env("KYC_MASTER_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
                .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
                .env("AWS_ACCESS_KEY_ID", "bench")
                .env("AWS_SECRET_ACCESS_KEY", "bench")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            let answer = api.answer(&id, Duration::from_secs(60)).await;
            let done = Instant::now();
            let Some(Answer::Response(r)) = answer else {
                panic!("{handler}: no response ({answer:?}; init error {:?})", api.init_error());
            };
            if handler == "api" {
                assert_eq!(r["statusCode"], 200, "{r}");
            }
            let ready = api.first_next().unwrap();
            init.push((ready - started).as_secs_f64() * 1e3);
            first.push((done - ready).as_secs_f64() * 1e3);
            child.kill().await.unwrap();
        }
        println!(
            "{handler}: init p50 {:.1} ms (max {:.1}), first invocation p50 {:.1} ms",
            percentile(init.clone(), 0.5),
            percentile(init.clone(), 1.0),
            percentile(first.clone(), 0.5)
        );
        handlers.insert(
            handler.to_owned(),
            json!({
                "init_ms_p50": percentile(init.clone(), 0.5),
                "init_ms_max": percentile(init, 1.0),
                "first_invocation_ms_p50": percentile(first, 0.5),
            }),
        );
    }
    let sizes = std::env::var("KYC_LAMBDA_SIZES")
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok());
    let report = json!({
        "bootstrap": bootstrap,
        "runs": RUNS,
        "backend": "aws (no AWS call during init)",
        "handlers": handlers,
        "artefacts": sizes,
    });
    let path = std::env::var("KYC_LAMBDA_REPORT").unwrap_or_else(|_| {
        let dir = std::env::var("KYC_BENCH_OUT")
            .unwrap_or_else(|_| format!("{}/../target/bench-reports", env!("CARGO_MANIFEST_DIR")));
        format!("{dir}/lambda-cold-start.json")
    });
    if let Some(dir) = std::path::Path::new(&path).parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("report: {path}");
}
