//! The durable job queue (SQLite): jobs per second through enqueue + lease +
//! complete with a trivial handler, at both durability settings.
//!
//! `cargo bench -p kyc-server --bench jobs` — writes
//! `target/bench-reports/jobs.json` (or `$KYC_BENCH_OUT/jobs.json`).
//! Settings: `BENCH_JOBS` (default 5000).
//!
//! Two shapes per durability:
//! * **drain**: enqueue every job (one transaction each, as an upload
//!   does), then one worker leases batches of 8 (as `kyc serve` does) and
//!   completes each job in its own transaction;
//! * **concurrent**: 4 producers enqueue while the worker drains; the clock
//!   stops when the last job is completed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    missing_docs
)]

use kyc_core::Timestamp;
use kyc_server::backend::{
    JobQueue, NewJob,
    local::{Database, Durability, SqliteJobQueue},
};
use std::{
    path::{Path, PathBuf},
    time::Instant,
};

fn job(i: usize) -> NewJob {
    NewJob {
        kind: "noop".into(),
        dedupe_key: Some(format!("noop:{i}")),
        payload: serde_json::json!({ "verificationId": format!("v{i}") }),
        run_at: Timestamp::from_unix_millis(0),
        max_attempts: 5,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Leases and completes until `target` jobs are done; the trivial handler
/// reads the payload.
async fn drain(queue: &SqliteJobQueue, target: usize) -> usize {
    let mut done = 0;
    let now = Timestamp::from_unix_millis(1);
    while done < target {
        let leased = queue.lease(now, 60_000, 8).await.unwrap();
        if leased.is_empty() {
            tokio::task::yield_now().await;
            continue;
        }
        for j in &leased {
            assert!(j.payload["verificationId"].is_string());
            queue.complete(j).await.unwrap();
            done += 1;
        }
    }
    done
}

async fn run(durability: Durability, n: usize, dir: &Path) -> serde_json::Value {
    let label = format!("{durability:?}").to_lowercase();
    // drain: enqueue all, then run all
    let queue = SqliteJobQueue::new(
        Database::open(&dir.join(format!("drain-{label}.db")), durability).unwrap(),
    );
    let mut enqueue_ms = Vec::with_capacity(n);
    let t = Instant::now();
    for i in 0..n {
        let s = Instant::now();
        queue.enqueue(&job(i)).await.unwrap();
        enqueue_ms.push(s.elapsed().as_secs_f64() * 1e3);
    }
    let enqueued = t.elapsed().as_secs_f64();
    let t2 = Instant::now();
    assert_eq!(drain(&queue, n).await, n);
    let drained = t2.elapsed().as_secs_f64();
    let stats = queue.stats().await.unwrap();
    assert_eq!((stats.pending, stats.dead), (0, 0));
    enqueue_ms.sort_by(f64::total_cmp);

    // concurrent: 4 producers, 1 worker
    let queue = SqliteJobQueue::new(
        Database::open(&dir.join(format!("concurrent-{label}.db")), durability).unwrap(),
    );
    let t = Instant::now();
    let producers: Vec<_> = (0..4)
        .map(|p| {
            let q = queue.clone();
            tokio::spawn(async move {
                for i in (p..n).step_by(4) {
                    q.enqueue(&job(i)).await.unwrap();
                }
            })
        })
        .collect();
    let worker = {
        let q = queue.clone();
        tokio::spawn(async move { drain(&q, n).await })
    };
    for p in producers {
        p.await.unwrap();
    }
    assert_eq!(worker.await.unwrap(), n);
    let concurrent = t.elapsed().as_secs_f64();
    let stats = queue.stats().await.unwrap();
    assert_eq!((stats.pending, stats.dead), (0, 0));

    let report = serde_json::json!({
        "durability": label,
        "jobs": n,
        "drain": {
            "enqueuePerSec": n as f64 / enqueued,
            "completePerSec": n as f64 / drained,
            "enqueuePlusCompletePerSec": n as f64 / (enqueued + drained),
            "enqueueP50Ms": percentile(&enqueue_ms, 0.5),
            "enqueueP99Ms": percentile(&enqueue_ms, 0.99),
        },
        "concurrent": { "producers": 4, "workers": 1, "jobsPerSec": n as f64 / concurrent },
    });
    println!("{report}");
    report
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = std::env::var("BENCH_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(5000);
    let dir = tempfile::tempdir().unwrap();
    let mut results = Vec::new();
    for d in [Durability::Full, Durability::Normal] {
        results.push(run(d, n, dir.path()).await);
    }
    let out = std::env::var("KYC_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-reports"));
    std::fs::create_dir_all(&out).unwrap();
    let report = serde_json::json!({ "bench": "jobs", "results": results });
    std::fs::write(out.join("jobs.json"), serde_json::to_vec_pretty(&report).unwrap()).unwrap();
    println!("wrote {}", out.join("jobs.json").display());
}
