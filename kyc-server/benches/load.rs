//! Load on loopback, 1 → 256 concurrent clients, against a real `kyc serve`
//! (embedded backends, the real face engine): document uploads and liveness
//! frames. Per level: throughput, p50/p99, every status seen (5xx counted
//! apart), the server's CPU per request and its RSS sampled every 250 ms.
//!
//! `cargo bench -p kyc-server --bench load` — writes
//! `target/bench-reports/load.json` (or `$KYC_BENCH_OUT/load.json`).
//! Settings: `BENCH_LEVEL_SECS` (default 8), `BENCH_LEVELS` (default
//! `1,4,16,64,256`).
//!
//! * **uploads**: `POST /upload-id` with the secret key (creates the
//!   verification and stores the photo: the server-side upload), closed
//!   loop, the shared document photos (55–85 KB).
//! * **frames**: each client owns a verification with its document and a
//!   liveness session, and sends the frames of a real clip
//!   (`../shared/data/faces/video`) to `/submit-frame` as JSON, at most one
//!   every 40 ms (the server refuses frames closer than 25 ms); a client
//!   that has sent its clip starts a new verification.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    missing_docs
)]

mod common;
use common::env_num;

use base64::Engine;
use common::{cpu_secs, documents, percentile, rss_kb, secret_key, start_server, write_report};
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

#[derive(Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    statuses: BTreeMap<u16, u64>,
}

impl Tally {
    fn record(&mut self, status: u16, ms: f64) {
        *self.statuses.entry(status).or_default() += 1;
        if status < 400 {
            self.latencies_ms.push(ms);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Uploads,
    Frames,
}

struct Ctx {
    http: reqwest::Client,
    base: String,
    key: String,
    documents: Vec<Vec<u8>>,
    frames: Vec<Vec<u8>>,
}

/// Frame `index` of the clip as client `c`'s session `n` sends it: a clip's
/// bytes are accepted once across all verifications, so each copy carries
/// a trailer of its own after the JPEG's end (the server strips it).
fn frame(ctx: &Ctx, index: usize, c: usize, n: usize) -> String {
    let mut bytes = ctx.frames[index].clone();
    bytes.extend_from_slice(format!("load-bench:{c}:{n}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A verification with its document and a started liveness session: (client token, nonce).
async fn liveness_session(ctx: &Ctx, i: usize) -> Option<(String, String)> {
    let r = ctx
        .http
        .post(format!("{}/v1/verifications", ctx.base))
        .bearer_auth(&ctx.key)
        .send()
        .await
        .ok()?;
    let v: serde_json::Value = r.json().await.ok()?;
    let token = v["clientToken"].as_str()?.to_owned();
    let up = ctx
        .http
        .post(format!("{}/upload-id", ctx.base))
        .bearer_auth(&token)
        .body(ctx.documents[i % ctx.documents.len()].clone())
        .send()
        .await
        .ok()?;
    if !up.status().is_success() {
        return None;
    }
    let s: serde_json::Value = ctx
        .http
        .post(format!("{}/start-liveness", ctx.base))
        .bearer_auth(&token)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    Some((token, s["challenge"]["nonce"].as_str()?.to_owned()))
}

async fn client(
    ctx: Arc<Ctx>,
    c: usize,
    scenario: Scenario,
    deadline: Instant,
    tally: Arc<Mutex<Tally>>,
) {
    let mut i = c;
    let mut session: Option<(String, String, usize)> = None;
    let mut sessions = 0;
    while Instant::now() < deadline {
        match scenario {
            Scenario::Uploads => {
                let t = Instant::now();
                let r = ctx
                    .http
                    .post(format!("{}/upload-id", ctx.base))
                    .bearer_auth(&ctx.key)
                    .header("content-type", "image/jpeg")
                    .body(ctx.documents[i % ctx.documents.len()].clone())
                    .send()
                    .await;
                let status = match r {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => 599, // transport error, counted as a server failure
                };
                tally.lock().unwrap().record(status, t.elapsed().as_secs_f64() * 1000.0);
            }
            Scenario::Frames => {
                if session.as_ref().is_none_or(|s| s.2 >= ctx.frames.len()) {
                    sessions += 1;
                    session = liveness_session(&ctx, i).await.map(|(t, n)| (t, n, 0));
                    if session.is_none() {
                        tally.lock().unwrap().record(598, 0.0);
                        continue;
                    }
                }
                let Some((token, nonce, next)) = session.as_mut() else { continue };
                let body = serde_json::json!({
                    "frameId": format!("f{next}"),
                    "nonce": nonce,
                    "image": frame(&ctx, *next, c, sessions),
                });
                *next += 1;
                let t = Instant::now();
                let r = ctx
                    .http
                    .post(format!("{}/submit-frame", ctx.base))
                    .bearer_auth(&*token)
                    .json(&body)
                    .send()
                    .await;
                let status = match r {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => 599,
                };
                let took = t.elapsed();
                tally.lock().unwrap().record(status, took.as_secs_f64() * 1000.0);
                if let Some(rest) = Duration::from_millis(40).checked_sub(took) {
                    tokio::time::sleep(rest).await;
                }
            }
        }
        i += 1;
    }
}

async fn level(
    ctx: &Arc<Ctx>,
    pid: u32,
    scenario: Scenario,
    clients: usize,
    secs: u64,
    rss: &Arc<Mutex<Vec<(f64, f64)>>>,
    t0: Instant,
) -> serde_json::Value {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let cpu_before = cpu_secs(pid);
    let rss_before = rss_kb(pid, "VmRSS:");
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| tokio::spawn(client(ctx.clone(), c, scenario, deadline, tally.clone())))
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_secs(pid) - cpu_before;
    let mut tally = Arc::try_unwrap(tally).ok().unwrap().into_inner().unwrap();
    tally.latencies_ms.sort_by(f64::total_cmp);
    let ok = tally.latencies_ms.len();
    let total: u64 = tally.statuses.values().sum();
    let server_errors: u64 =
        tally.statuses.iter().filter(|(s, _)| **s >= 500).map(|(_, n)| n).sum();
    let lat = &tally.latencies_ms;
    let name = if scenario == Scenario::Uploads { "uploads" } else { "frames" };
    let rss_in_level: Vec<f64> = rss
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| *t >= (start - t0).as_secs_f64())
        .map(|(_, mb)| *mb)
        .collect();
    let rss_max = rss_in_level.iter().copied().fold(0.0, f64::max);
    println!(
        "{name:7} {clients:3} clients: {:7.1}/s ok, p50 {:6.1} ms, p99 {:6.1} ms, 5xx {server_errors}, statuses {:?}, server CPU {:.1} ms/req, RSS {:.0} → {:.0} MB (max {rss_max:.0})",
        ok as f64 / elapsed,
        percentile(lat, 0.5),
        percentile(lat, 0.99),
        tally.statuses,
        cpu * 1000.0 / total.max(1) as f64,
        rss_before as f64 / 1024.0,
        rss_kb(pid, "VmRSS:") as f64 / 1024.0,
    );
    serde_json::json!({
        "scenario": name,
        "clients": clients,
        "duration_s": elapsed,
        "ok": ok,
        "ok_per_s": ok as f64 / elapsed,
        "statuses": tally.statuses.iter().map(|(s, n)| (s.to_string(), *n)).collect::<BTreeMap<_, _>>(),
        "server_errors": server_errors,
        "error_rate": (total - ok as u64) as f64 / total.max(1) as f64,
        "latency_ms": {
            "p50": percentile(lat, 0.50),
            "p90": percentile(lat, 0.90),
            "p99": percentile(lat, 0.99),
            "max": lat.last().copied().unwrap_or(0.0),
        },
        "server_cpu_ms_per_request": cpu * 1000.0 / total.max(1) as f64,
        "server_cpu_share_of_2_cores": cpu / elapsed / 2.0,
        "rss_mb": {
            "start": rss_before as f64 / 1024.0,
            "end": rss_kb(pid, "VmRSS:") as f64 / 1024.0,
            "max": rss_max,
        },
    })
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs = env_num("BENCH_LEVEL_SECS", 8);
    let levels: Vec<usize> = std::env::var("BENCH_LEVELS")
        .unwrap_or_else(|_| "1,4,16,64,256".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let server = start_server();
    let pid = server.child.id();
    let key = secret_key(server.data.path());
    let frames: Vec<Vec<u8>> =
        kyc_server::fixtures::clip("wh_address_a").into_iter().map(|(jpg, ..)| jpg).collect();
    let results = rt.block_on(async {
        let http =
            kyc_server::util::http_client_builder().pool_max_idle_per_host(256).build().unwrap();
        let ctx =
            Arc::new(Ctx { http, base: server.base.clone(), key, documents: documents(), frames });
        let t0 = Instant::now();
        let rss = Arc::new(Mutex::new(Vec::new()));
        let sampler = {
            let rss = rss.clone();
            tokio::spawn(async move {
                loop {
                    let mb = rss_kb(pid, "VmRSS:") as f64 / 1024.0;
                    rss.lock().unwrap().push((t0.elapsed().as_secs_f64(), mb));
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            })
        };
        let mut out = Vec::new();
        for scenario in [Scenario::Uploads, Scenario::Frames] {
            for &clients in &levels {
                out.push(level(&ctx, pid, scenario, clients, secs, &rss, t0).await);
            }
        }
        sampler.abort();
        let timeline: Vec<_> =
            rss.lock().unwrap().iter().map(|(t, mb)| serde_json::json!([t, mb])).collect();
        (out, timeline)
    });
    let report = serde_json::json!({
        "bench": "load",
        "machine": { "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0) },
        "targets": { "uploads_per_s": 200, "frames_per_s": 20, "p99_ms_below_saturation": 250, "server_errors": 0 },
        "level_secs": secs,
        "results": results.0,
        "rss_timeline_mb": results.1,
    });
    write_report("load", &report);
}
