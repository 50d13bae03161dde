//! Upload throughput on loopback: a real `kyc serve` (embedded backends) and
//! 64 concurrent clients uploading real document photos.
//!
//! `cargo bench -p kyc-server --bench upload` — writes
//! `target/bench-reports/upload.json` (or `$KYC_BENCH_OUT/upload.json`).
//! Settings: `BENCH_SECS` (default 20), `BENCH_CLIENTS` (default 64),
//! `BENCH_RATE` (default 200).
//!
//! Each image set runs twice: **saturation** (every client sends its next
//! upload as soon as the last one answers: maximum throughput; latency is
//! then 64 / throughput by Little's law) and **paced** (open loop: the 64
//! clients together send `BENCH_RATE` uploads/s on a fixed schedule, and
//! latency is measured from each request's scheduled time, so a slow server
//! cannot hide its queueing).
//!
//! Two image sets: the 30 photos of `../shared/data/documents/generated`
//! as they are (55–85 KB, ~1000×700), and the same photos re-encoded at
//! 2.3× size (about 0.4–0.7 MB, ~2500×1700) to stand for phone photos.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    missing_docs
)]

use std::{
    io::Cursor,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

fn upscaled(docs: &[Vec<u8>]) -> Vec<Vec<u8>> {
    docs.iter()
        .map(|d| {
            let img = image::load_from_memory(d).unwrap();
            let big = img.resize(
                img.width() * 23 / 10,
                img.height() * 23 / 10,
                image::imageops::FilterType::Triangle,
            );
            let mut out = Cursor::new(Vec::new());
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
                .encode_image(&big.to_rgb8())
                .unwrap();
            out.into_inner()
        })
        .collect()
}

mod common;
use common::env_num;
use common::{cpu_secs, documents, percentile, rss_kb, secret_key, start_server, write_report};

async fn create_tokens(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    n: usize,
    clients: usize,
) -> Vec<String> {
    let tokens = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, base, key, tokens) =
            (http.clone(), base.to_owned(), key.to_owned(), tokens.clone());
        let share = n / clients + usize::from(c < n % clients);
        tasks.push(tokio::spawn(async move {
            for _ in 0..share {
                let r = http
                    .post(format!("{base}/v1/verifications"))
                    .bearer_auth(&key)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                let j: serde_json::Value = r.json().await.unwrap();
                tokens.lock().unwrap().push(j["clientToken"].as_str().unwrap().to_owned());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    Arc::try_unwrap(tokens).unwrap().into_inner().unwrap()
}

async fn run_set(
    name: &str,
    images: Vec<Vec<u8>>,
    secs: u64,
    clients: usize,
    rate: Option<f64>,
) -> serde_json::Value {
    let server = start_server();
    let pid = server.child.id();
    let key = secret_key(server.data.path());
    let http =
        kyc_server::util::http_client_builder().pool_max_idle_per_host(clients).build().unwrap();
    let idle_rss = rss_kb(pid, "VmRSS:");

    // verifications are created before the timed window, so it measures uploads alone
    let budget = (secs as usize) * 1500;
    let t = Instant::now();
    let tokens = create_tokens(&http, &server.base, &key, budget, clients).await;
    let create_rate = tokens.len() as f64 / t.elapsed().as_secs_f64();

    let images = Arc::new(images);
    let tokens = Arc::new(Mutex::new(tokens));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let bytes_sent = Arc::new(Mutex::new(0u64));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let cpu_before = cpu_secs(pid);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, base, images, tokens, latencies, bytes_sent) = (
            http.clone(),
            server.base.clone(),
            images.clone(),
            tokens.clone(),
            latencies.clone(),
            bytes_sent.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = c;
            // paced: client c sends at start + (k * clients + c) / rate
            let mut k = 0u32;
            while Instant::now() < deadline {
                let scheduled = match rate {
                    Some(r) => {
                        let at = start
                            + Duration::from_secs_f64(
                                (f64::from(k) * clients as f64 + c as f64) / r,
                            );
                        k += 1;
                        if at >= deadline {
                            break;
                        }
                        tokio::time::sleep_until(at.into()).await;
                        at
                    }
                    None => Instant::now(),
                };
                let Some(token) = tokens.lock().unwrap().pop() else { break };
                let body = images[i % images.len()].clone();
                let n = body.len() as u64;
                let t = scheduled;
                let r = http
                    .post(format!("{base}/upload-id"))
                    .bearer_auth(&token)
                    .header("content-type", "image/jpeg")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let _ = r.bytes().await;
                assert_eq!(status, 200, "upload failed");
                latencies.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                *bytes_sent.lock().unwrap() += n;
                i += clients;
            }
        }));
    }
    let sampler = {
        let stop = deadline + Duration::from_secs(2);
        tokio::spawn(async move {
            let mut max = 0;
            while Instant::now() < stop {
                max = max.max(rss_kb(pid, "VmRSS:"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            max
        })
    };
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let server_cpu = cpu_secs(pid) - cpu_before;
    sampler.abort();
    let peak_rss = rss_kb(pid, "VmHWM:");
    let mut lat = Arc::try_unwrap(latencies).unwrap().into_inner().unwrap();
    lat.sort_by(f64::total_cmp);
    let uploads = lat.len();
    let mean_kb = images.iter().map(Vec::len).sum::<usize>() as f64 / images.len() as f64 / 1024.0;
    let mode = match rate {
        Some(r) => format!("paced at {r:.0}/s"),
        None => "saturation".to_owned(),
    };
    let report = serde_json::json!({
        "set": name,
        "mode": mode,
        "clients": clients,
        "duration_s": elapsed,
        "uploads": uploads,
        "uploads_per_s": uploads as f64 / elapsed,
        "mb_per_s": *bytes_sent.lock().unwrap() as f64 / elapsed / 1e6,
        "mean_image_kb": mean_kb,
        "latency_ms": {
            "p50": percentile(&lat, 0.50),
            "p90": percentile(&lat, 0.90),
            "p99": percentile(&lat, 0.99),
            "max": lat.last().copied().unwrap_or(0.0),
        },
        "server_rss_mb": { "idle": idle_rss as f64 / 1024.0, "peak": peak_rss as f64 / 1024.0 },
        "setup_creates_per_s": create_rate,
        "server_cpu_ms_per_upload": server_cpu * 1000.0 / uploads.max(1) as f64,
        "server_cpu_share_of_2_cores": server_cpu / elapsed / 2.0,
    });
    println!(
        "{name} ({mode}): {uploads} uploads in {elapsed:.1}s = {:.0}/s; server CPU {:.2} ms/upload ({:.0}% of 2 cores); p50 {:.1} ms, p99 {:.1} ms; peak RSS {:.0} MB (mean image {mean_kb:.0} KB)",
        uploads as f64 / elapsed,
        server_cpu * 1000.0 / uploads.max(1) as f64,
        server_cpu / elapsed / 2.0 * 100.0,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        peak_rss as f64 / 1024.0
    );
    report
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes; nothing to list
    }
    let secs = env_num("BENCH_SECS", 20);
    let rate = env_num("BENCH_RATE", 200) as f64;
    let clients = env_num("BENCH_CLIENTS", 64) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let docs = documents();
    let big = upscaled(&docs);
    let reports = rt.block_on(async {
        let mut out = Vec::new();
        for (name, set) in [("shared-documents", docs), ("phone-size", big)] {
            out.push(run_set(name, set.clone(), secs, clients, None).await);
            out.push(run_set(name, set, secs, clients, Some(rate)).await);
        }
        out
    });
    let report = serde_json::json!({
        "bench": "upload",
        "machine": { "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0) },
        "targets": { "uploads_per_s": 200, "p99_ms": 150, "rss_mb": 300, "clients": 64 },
        "paced_rate_per_s": rate,
        "results": reports,
    });
    write_report("upload", &report);
}
