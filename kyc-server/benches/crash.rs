//! Crash harness: `kyc serve` killed with SIGKILL at random points while
//! clients create verifications, upload documents and submit liveness
//! frames and the job worker reads documents; restarted on the same data
//! directory; checked after every restart.
//!
//! `cargo bench -p kyc-server --bench crash` — writes
//! `target/bench-reports/crash.json` (or `$KYC_BENCH_OUT/crash.json`) and
//! exits 1 on the first broken invariant. Settings: `CRASH_ITERATIONS`
//! (default 500), `CRASH_MAX_SECS` (default 1200: stops early, and says so),
//! `CRASH_SEED`, `CRASH_DRAIN_SECS` (default 120: how long the last restart
//! lets the job worker catch up before the counts are reported).
//!
//! Invariants, after each restart:
//! * every acknowledged create answers 200 and its `Idempotency-Key`
//!   replays the same verification id;
//! * every acknowledged upload reads back byte for byte; an upload cut off
//!   by the kill is either absent or complete, never partial (nor a 500);
//! * every acknowledged frame is in its session (the server refuses the
//!   same frame id with other bytes as `frame_conflict`, and answers the
//!   same bytes as a replay of its own frame);
//! * no job lost: every acknowledged upload has its reading, or a pending
//!   `ocr` job, and none is dead;
//! * the audit chain verifies (`kyc audit verify`), every 25 iterations and
//!   at the end.
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
use common::{Server, kyc, secret_key, serve_in, write_report};
use std::{
    collections::BTreeMap,
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// xorshift: the harness's own randomness, reproducible from `CRASH_SEED`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn start(data: &Path) -> Server {
    // the same data directory across restarts: `common::start_server` makes a fresh one
    let (child, base) = serve_in(data, &[("KYC_JOB_LEASE_SECS", "2")]);
    Server { child, base, data: tempfile::tempdir().unwrap() }
}

#[derive(Default)]
struct Ledger {
    /// idempotency key → verification id (acknowledged creates)
    creates: BTreeMap<String, String>,
    /// verification id → client token
    tokens: BTreeMap<String, String>,
    /// verification id → the image acknowledged for it
    uploads: BTreeMap<String, usize>,
    /// verification ids whose upload was sent but not acknowledged
    unacknowledged: BTreeMap<String, usize>,
    /// (verification id, frame id) → frame index, acknowledged
    frames: BTreeMap<(String, String), usize>,
    /// verification id → (token, nonce) of its liveness session
    sessions: BTreeMap<String, (String, String)>,
}

struct Fixtures {
    documents: Vec<Vec<u8>>,
    frames: Vec<Vec<u8>>,
}

impl Fixtures {
    /// Frame `index` of the clip as verification `id` sends it: the clip's
    /// bytes are accepted once across all verifications, so each carries a
    /// trailer of its own after the JPEG's end (stripped by the server).
    fn frame(&self, index: usize, id: &str, tag: usize) -> String {
        let mut bytes = self.frames[index % self.frames.len()].clone();
        bytes.extend_from_slice(format!("crash-harness:{id}:{tag}").as_bytes());
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

async fn client_ops(
    http: reqwest::Client,
    base: String,
    key: String,
    fx: Arc<Fixtures>,
    ledger: Arc<Mutex<Ledger>>,
    seed: u64,
    stop: Instant,
) {
    let mut rng = Rng(seed | 1);
    while Instant::now() < stop {
        match rng.below(4) {
            0 => {
                let idem = format!("idem-{seed}-{}", rng.next());
                let Ok(r) = http
                    .post(format!("{base}/v1/verifications"))
                    .bearer_auth(&key)
                    .header("idempotency-key", &idem)
                    .json(&serde_json::json!({}))
                    .send()
                    .await
                else {
                    return;
                };
                let Ok(v) = r.json::<serde_json::Value>().await else { return };
                let (Some(id), Some(ct)) =
                    (v["verificationId"].as_str(), v["clientToken"].as_str())
                else {
                    return;
                };
                let mut l = ledger.lock().unwrap();
                l.creates.insert(idem, id.to_owned());
                l.tokens.insert(id.to_owned(), ct.to_owned());
            }
            1 => {
                let target = {
                    let l = ledger.lock().unwrap();
                    let free: Vec<_> = l
                        .tokens
                        .iter()
                        .filter(|(id, _)| {
                            !l.uploads.contains_key(*id) && !l.unacknowledged.contains_key(*id)
                        })
                        .map(|(id, ct)| (id.clone(), ct.clone()))
                        .collect();
                    (!free.is_empty()).then(|| free[rng.below(free.len() as u64) as usize].clone())
                };
                let Some((id, ct)) = target else { continue };
                let doc = rng.below(fx.documents.len() as u64) as usize;
                ledger.lock().unwrap().unacknowledged.insert(id.clone(), doc);
                let r = http
                    .post(format!("{base}/upload-id"))
                    .bearer_auth(&ct)
                    .body(fx.documents[doc].clone())
                    .send()
                    .await;
                let Ok(r) = r else { return };
                let ok = r.status().is_success();
                if r.bytes().await.is_err() {
                    return;
                }
                if ok {
                    let mut l = ledger.lock().unwrap();
                    l.unacknowledged.remove(&id);
                    l.uploads.insert(id, doc);
                }
            }
            _ => {
                // a frame for a verification with an acknowledged document
                let target = {
                    let l = ledger.lock().unwrap();
                    let ids: Vec<_> = l.uploads.keys().cloned().collect();
                    (!ids.is_empty()).then(|| {
                        let id = ids[rng.below(ids.len() as u64) as usize].clone();
                        let ct = l.tokens[&id].clone();
                        (id.clone(), ct, l.sessions.get(&id).cloned())
                    })
                };
                let Some((id, ct, session)) = target else { continue };
                let nonce = match session {
                    Some((_, n)) => n,
                    None => {
                        let Ok(r) = http
                            .post(format!("{base}/start-liveness"))
                            .bearer_auth(&ct)
                            .send()
                            .await
                        else {
                            return;
                        };
                        let Ok(v) = r.json::<serde_json::Value>().await else { return };
                        let Some(n) = v["challenge"]["nonce"].as_str() else { continue };
                        ledger
                            .lock()
                            .unwrap()
                            .sessions
                            .insert(id.clone(), (ct.clone(), n.to_owned()));
                        n.to_owned()
                    }
                };
                let sent = ledger.lock().unwrap().frames.keys().filter(|(v, _)| *v == id).count();
                if sent >= fx.frames.len() {
                    continue;
                }
                let frame_id = format!("f{sent}");
                let body = serde_json::json!({"frameId": frame_id, "nonce": nonce, "image": fx.frame(sent, &id, sent)});
                let Ok(r) = http
                    .post(format!("{base}/submit-frame"))
                    .bearer_auth(&ct)
                    .json(&body)
                    .send()
                    .await
                else {
                    return;
                };
                let ok = r.status().is_success();
                if r.bytes().await.is_err() {
                    return;
                }
                if ok {
                    ledger.lock().unwrap().frames.insert((id, frame_id), sent);
                }
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
        }
    }
}

/// Keeps about `n` entries of `m`, chosen at random (all when `n` is 0).
fn sample<K: Ord + Clone, V: Clone>(m: &BTreeMap<K, V>, n: usize, rng: &mut Rng) -> BTreeMap<K, V> {
    if n == 0 || m.len() <= n {
        return m.clone();
    }
    let len = m.len() as u64;
    m.iter().filter(|_| rng.below(len) < n as u64).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// How much of the ledger one check covers.
#[derive(Clone, Copy)]
struct Coverage {
    /// About this many random entries of each kind (0: every entry).
    sample: usize,
    seed: u64,
}

/// Checks the invariants against the restarted server, on a random sample
/// of each kind of entry (or all), every upload the kill cut off, and the
/// jobs of every upload; the first broken one.
async fn check(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    data: &Path,
    fx: &Fixtures,
    ledger: &Mutex<Ledger>,
    coverage: Coverage,
) -> Result<BTreeMap<&'static str, u64>, String> {
    let mut rng = Rng(coverage.seed | 1);
    let n = coverage.sample;
    let (creates, all_uploads, unacked, frames, sessions, totals) = {
        let l = ledger.lock().unwrap();
        (
            sample(&l.creates, n, &mut rng),
            l.uploads.clone(),
            l.unacknowledged.clone(),
            sample(&l.frames, n, &mut rng),
            l.sessions.clone(),
            (l.creates.len() as u64, l.frames.len() as u64),
        )
    };
    let uploads = sample(&all_uploads, n, &mut rng);
    for (idem, id) in &creates {
        let r = http
            .get(format!("{base}/v1/verifications/{id}"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        if r.status() != 200 {
            return Err(format!("acknowledged verification {id}: {}", r.status()));
        }
        let again: serde_json::Value = http
            .post(format!("{base}/v1/verifications"))
            .bearer_auth(key)
            .header("idempotency-key", idem)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if again["verificationId"].as_str() != Some(id) {
            return Err(format!("Idempotency-Key {idem} replayed {again} instead of {id}"));
        }
    }
    for (id, doc) in
        uploads.iter().map(|(i, d)| (i, *d)).chain(unacked.iter().map(|(i, d)| (i, *d)))
    {
        let r = http
            .get(format!("{base}/v1/verifications/{id}/document"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.bytes().await.unwrap();
        let acknowledged = uploads.contains_key(id);
        match status {
            200 if body[..] == fx.documents[doc][..] => {}
            404 if !acknowledged => {}
            _ => {
                return Err(format!(
                    "document of {id} (acknowledged: {acknowledged}): {status}, {} bytes, expected {}",
                    body.len(),
                    fx.documents[doc].len()
                ));
            }
        }
    }
    for ((id, frame_id), index) in &frames {
        let (ct, nonce) = &sessions[id];
        // another image under an acknowledged frame id: the stored one stands
        let other = fx.frame(index + 1, id, *index);
        let body = serde_json::json!({"frameId": frame_id, "nonce": nonce, "image": other});
        let r = http
            .post(format!("{base}/submit-frame"))
            .bearer_auth(ct)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        // 409: the id names its first image; 410/423: the session ended or the verification locked
        if !matches!(status, 409 | 410 | 423 | 429) {
            return Err(format!("frame {frame_id} of {id} with other bytes: {status} {text}"));
        }
    }
    // jobs: every acknowledged upload is read, or still queued; none dead
    let db = rusqlite::Connection::open(data.join("kyc.db")).unwrap();
    let (mut read, mut queued) = (0u64, 0u64);
    for id in all_uploads.keys() {
        let done: i64 = db
            .query_row("SELECT count(*) FROM kyc_ocr_data WHERE verification_id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        let pending: i64 = db
            .query_row(
                "SELECT count(*) FROM jobs WHERE dedupe_key = ?1",
                [format!("ocr:{id}")],
                |r| r.get(0),
            )
            .unwrap();
        match (done, pending) {
            (1, _) => read += 1,
            (0, 1) => queued += 1,
            _ => return Err(format!("upload {id}: no reading and no ocr job (lost)")),
        }
    }
    let dead: i64 = db.query_row("SELECT count(*) FROM dead_jobs", [], |r| r.get(0)).unwrap();
    if dead > 0 {
        return Err(format!("{dead} dead jobs"));
    }
    Ok(BTreeMap::from([
        ("creates", totals.0),
        ("uploads", all_uploads.len() as u64),
        ("uploadsCutOff", unacked.len() as u64),
        ("frames", totals.1),
        ("documentsRead", read),
        ("ocrJobsQueued", queued),
    ]))
}

fn audit_ok(data: &Path) -> Result<u64, String> {
    let o = kyc(data).args(["audit", "verify", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).map_err(|e| e.to_string())?;
    if v["ok"] == true {
        Ok(v["records"].as_u64().unwrap_or(0))
    } else {
        Err(format!("audit: {v}"))
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let iterations = env_num("CRASH_ITERATIONS", 500);
    let budget = Duration::from_secs(env_num("CRASH_MAX_SECS", 1200));
    let seed = env_num("CRASH_SEED", 0x5eed_cafe);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = secret_key(&data);
    let documents: Vec<Vec<u8>> = (0..30).map(kyc_server::fixtures::document_photo).collect();
    let frames =
        kyc_server::fixtures::clip("wh_address_a").into_iter().map(|(jpg, ..)| jpg).collect();
    let fx = Arc::new(Fixtures { documents, frames });
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let http = kyc_server::util::http_client_builder().build().unwrap();
    let mut rng = Rng(seed);
    let started = Instant::now();
    let mut done = 0;
    let mut failure = None;
    let mut last = BTreeMap::new();
    let mut audit_records = 0;
    while done < iterations && started.elapsed() < budget {
        let server = start(&data);
        let base = server.base.clone();
        if let Err(e) = rt.block_on(check(
            &http,
            &base,
            &key,
            &data,
            &fx,
            &ledger,
            Coverage { sample: 40, seed: rng.next() },
        )) {
            failure = Some(format!("after kill {done}: {e}"));
            break;
        }
        if done % 25 == 0 {
            match audit_ok(&data) {
                Ok(n) => audit_records = n,
                Err(e) => {
                    failure = Some(format!("after kill {done}: {e}"));
                    break;
                }
            }
        }
        // load, then SIGKILL at a random point in it; every 50th run is long
        // enough for the job worker (its models load first) to read documents
        // and be killed in the middle of it
        let run_for = if done % 50 == 49 {
            Duration::from_millis(8_000 + rng.below(8_000))
        } else {
            Duration::from_millis(50 + rng.below(450))
        };
        let stop = Instant::now() + run_for + Duration::from_secs(5);
        let tasks: Vec<_> = (0..4)
            .map(|c| {
                let seed = rng.next() ^ c;
                rt.spawn(client_ops(
                    http.clone(),
                    base.clone(),
                    key.clone(),
                    fx.clone(),
                    ledger.clone(),
                    seed,
                    stop,
                ))
            })
            .collect();
        std::thread::sleep(run_for);
        drop(server); // SIGKILL, then wait
        rt.block_on(async {
            for t in tasks {
                let _ = t.await;
            }
        });
        done += 1;
        if done % 50 == 0 {
            println!("{done} kills, {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    // the final restart: the queue drains (bounded), invariants and the chain once more
    let drain = Duration::from_secs(env_num("CRASH_DRAIN_SECS", 120));
    if failure.is_none() {
        let server = start(&data);
        let until = Instant::now() + drain;
        loop {
            match rt.block_on(check(
                &http,
                &server.base,
                &key,
                &data,
                &fx,
                &ledger,
                Coverage { sample: 0, seed: 1 },
            )) {
                Ok(counts) => {
                    let queued = counts["ocrJobsQueued"];
                    last = counts;
                    if queued == 0 || Instant::now() >= until {
                        break;
                    }
                }
                Err(e) => {
                    failure = Some(format!("after the last kill: {e}"));
                    break;
                }
            }
            std::thread::sleep(Duration::from_secs(5));
        }
        drop(server);
        match audit_ok(&data) {
            Ok(n) => audit_records = n,
            Err(e) => failure = failure.or(Some(e)),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let report = serde_json::json!({
        "bench": "crash",
        "seed": seed,
        "kills": done,
        "iterations_asked": iterations,
        "stopped_by_time_budget": done < iterations && failure.is_none(),
        "seconds": elapsed,
        "acknowledged": last,
        "audit_records_verified": audit_records,
        "failure": failure,
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    write_report("crash", &report);
    if report["failure"].is_string() {
        std::process::exit(1);
    }
}
