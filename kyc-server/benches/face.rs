//! Face engine accuracy and speed, and `/submit-frame` throughput.
//!
//! `cargo bench -p kyc-server --bench face` — writes
//! `target/bench-reports/face.json` (or `$KYC_BENCH_OUT/face.json`).
//!
//! * Accuracy on the 300 labelled pairs of `../shared/data/faces/pairs.csv`
//!   (38 same / 262 different): photo vs photo, and a document-style copy of
//!   the first photo (grey, ~110 px face, JPEG q35, on a synthetic ID card)
//!   vs the second. ROC over the 0–100 similarity, accuracy and false
//!   accepts at the policy threshold 85.
//! * With `BENCH_FACE_EVAL=<dir>`: accuracy on the unseen set made by
//!   `scripts/eval/faces_unseen.py` (document portraits of 47 people nobody
//!   tuned on against other photos of them), per degradation kind.
//! * Speed per stage on one thread, on the 640×480 frames of the labelled
//!   clips (live-frame detector) and on the document-style cards; the whole
//!   liveness cost of a frame: analysis at `/submit-frame`, and at `/verify`
//!   its identity descriptor and its share of the still-frames rule.
//! * `/submit-frame`: a real `kyc serve`, `BENCH_CLIENTS` (default 4)
//!   concurrent clients sending 640×480 frames for `BENCH_SECS` (default 15);
//!   frames/s and the server's peak RSS.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    missing_docs
)]

mod common;
use common::env_num;

use base64::{Engine, engine::general_purpose::STANDARD};
use kyc_core::challenge::face_region_change;
use kyc_server::{
    backend::{
        face::{FaceEngine, FaceImage, ImageKind},
        local::face::{LocalFaceConfig, LocalFaceEngine},
    },
    cpu_pool::CpuPool,
    fixtures::{clip, face_photo, id_card_with},
    service::{
        image::{grey, luma},
        liveness::FRAME_POLICY,
    },
};
use serde_json::json;
use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

fn stats(mut v: Vec<f64>) -> serde_json::Value {
    v.sort_by(f64::total_cmp);
    let p = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    json!({"n": v.len(), "mean": v.iter().sum::<f64>() / v.len() as f64, "p50": p(0.5), "p95": p(0.95), "max": p(1.0)})
}

/// ROC points and the accuracy at `threshold` from (similarity, same) pairs.
fn roc(scores: &[(f32, bool)], threshold: f32) -> serde_json::Value {
    let pos = scores.iter().filter(|s| s.1).count() as f64;
    let neg = scores.len() as f64 - pos;
    let mut points = Vec::new();
    for t in (0..=100).step_by(5) {
        let t = t as f32;
        let tp = scores.iter().filter(|s| s.1 && s.0 >= t).count() as f64;
        let fp = scores.iter().filter(|s| !s.1 && s.0 >= t).count() as f64;
        points.push(json!({"threshold": t, "tpr": tp / pos, "fpr": fp / neg}));
    }
    // AUC: probability that a random same pair scores above a random different pair
    let mut wins = 0.0;
    for a in scores.iter().filter(|s| s.1) {
        for b in scores.iter().filter(|s| !s.1) {
            wins += if a.0 > b.0 {
                1.0
            } else if a.0 == b.0 {
                0.5
            } else {
                0.0
            };
        }
    }
    let fa = scores.iter().filter(|s| !s.1 && s.0 >= threshold).count();
    let fr = scores.iter().filter(|s| s.1 && s.0 < threshold).count();
    let same_min = scores.iter().filter(|s| s.1).map(|s| s.0).fold(f32::MAX, f32::min);
    let diff_max = scores.iter().filter(|s| !s.1).map(|s| s.0).fold(f32::MIN, f32::max);
    json!({
        "pairs": scores.len(), "same": pos, "different": neg,
        "threshold": threshold,
        "accuracy": 1.0 - (fa + fr) as f64 / scores.len() as f64,
        "false_accepts": fa, "false_rejects": fr,
        "same_min_similarity": same_min, "different_max_similarity": diff_max,
        "auc": wins / (pos * neg),
        "roc": points,
    })
}

async fn accuracy(engine: &LocalFaceEngine) -> serde_json::Value {
    let pairs_csv = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/faces/pairs.csv"),
    )
    .unwrap();
    let pairs: Vec<(String, String, bool)> = pairs_csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[1].to_owned(), f[2] == "1")
        })
        .collect();
    let img = |n: &str| FaceImage(face_photo(n).into());
    let card = |n: &str| FaceImage(id_card_with(&face_photo(n), 180).into());
    let mut photo = Vec::new();
    let mut doc = Vec::new();
    let mut raw_same = Vec::new();
    let mut raw_diff = Vec::new();
    for (a, b, same) in &pairs {
        let m = engine
            .compare((&img(a), ImageKind::Document), &[(img(b), ImageKind::Document)])
            .await
            .unwrap()[0]
            .unwrap();
        photo.push((m.similarity, *same));
        if *same {
            raw_same.push(f64::from(m.raw_score))
        } else {
            raw_diff.push(f64::from(m.raw_score))
        }
        let d = engine
            .compare((&card(a), ImageKind::Document), &[(img(b), ImageKind::Document)])
            .await
            .unwrap()[0]
            .unwrap();
        doc.push((d.similarity, *same));
    }
    let (metric, calibration) = engine.models().calibration();
    json!({
        "model": engine.name(),
        "metric": metric,
        "calibration": calibration,
        "raw_score": {"same": stats(raw_same), "different": stats(raw_diff)},
        "photo_vs_photo": roc(&photo, 85.0),
        "document_style_vs_photo": roc(&doc, 85.0),
    })
}

/// Accuracy on an evaluation set made by `scripts/eval/faces_unseen.py`
/// (`BENCH_FACE_EVAL=<dir>`): every `pairs.csv` row's document portrait
/// against its live photo; a side without a face scores 0. Overall ROC and
/// a table per degradation kind.
async fn unseen_accuracy(engine: &LocalFaceEngine, dir: &Path) -> serde_json::Value {
    let csv = std::fs::read_to_string(dir.join("pairs.csv")).unwrap();
    let read = |n: &str| FaceImage(std::fs::read(dir.join(n)).unwrap().into());
    let mut scores = Vec::new();
    let mut kinds: std::collections::BTreeMap<String, Vec<(f32, bool)>> = Default::default();
    let (mut no_face_doc, mut no_face_live) = (0u32, 0u32);
    let mut misses = Vec::new();
    for l in csv.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let (doc, live, same, kind) = (f[0], f[1], f[2] == "1", f[3]);
        let sim = match engine
            .compare((&read(doc), ImageKind::Document), &[(read(live), ImageKind::Document)])
            .await
        {
            Ok(m) => m[0].map_or_else(
                || {
                    no_face_live += 1;
                    0.0
                },
                |m| m.similarity,
            ),
            Err(_) => {
                no_face_doc += 1;
                0.0
            }
        };
        if same && sim < 85.0 || !same && sim >= 85.0 {
            misses.push(json!({"doc": doc, "live": live, "same": same, "similarity": sim}));
        }
        scores.push((sim, same));
        kinds.entry(kind.to_owned()).or_default().push((sim, same));
    }
    let per_kind: serde_json::Map<String, serde_json::Value> = kinds
        .iter()
        .map(|(k, v)| {
            let r = roc(v, 85.0);
            let summary = json!({
                "same": r["same"], "different": r["different"], "accuracy": r["accuracy"],
                "false_rejects": r["false_rejects"], "false_accepts": r["false_accepts"],
                "same_min_similarity": r["same_min_similarity"],
                "different_max_similarity": r["different_max_similarity"],
            });
            (k.clone(), summary)
        })
        .collect();
    json!({
        "dir": dir.display().to_string(),
        "model": engine.name(),
        "at_85": roc(&scores, 85.0),
        "per_kind": per_kind,
        "no_face": {"document": no_face_doc, "live": no_face_live},
        "misses": misses,
    })
}

/// The bench's live frames: three clips' 640×480 frames, in order.
fn live_frames() -> Vec<Vec<u8>> {
    let mut frames: Vec<Vec<u8>> = Vec::new();
    for c in ["wh_address_a", "wh_address_b", "intel_headpose_female"] {
        frames.extend(clip(c).into_iter().map(|f| f.0));
    }
    frames
}

/// Cost of the still-frames rule per pair of consecutive frames, as `/verify`
/// runs it: decode both to grey, cut the face region at the earlier frame's
/// landmarks, compare (landmarks come from the engine, outside the timing).
async fn motion_cost(engine: &LocalFaceEngine, frames: &[Vec<u8>]) -> Vec<f64> {
    let mut marks = Vec::new();
    for f in frames {
        let a = engine.analyze(&FaceImage(f.clone().into()), ImageKind::LiveFrame).await.unwrap();
        marks.push(a.largest().map(|d| d.landmarks));
    }
    let mut out = Vec::new();
    for (pair, m) in frames.windows(2).zip(&marks) {
        let Some(m) = m else { continue };
        let t = Instant::now();
        let a = luma(&pair[0], &FRAME_POLICY).unwrap();
        let b = luma(&pair[1], &FRAME_POLICY).unwrap();
        std::hint::black_box(face_region_change(&grey(&a), &grey(&b), m));
        // each frame is decoded once at /verify; a pair here decodes two
        out.push(t.elapsed().as_secs_f64() * 1000.0 / 2.0);
    }
    out
}

fn speed(engine: &LocalFaceEngine, motion_ms: Vec<f64>) -> serde_json::Value {
    let frames = live_frames();
    let mut live = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for f in &frames {
        let t = engine.models().profile(f, ImageKind::LiveFrame).unwrap();
        live.0.push(t.decode_ms);
        live.1.push(t.detect_ms);
        live.2.push(t.observe_ms);
        live.3.push(t.embed_ms);
    }
    let per_frame: Vec<f64> =
        live.0.iter().zip(&live.1).zip(&live.2).map(|((a, b), c)| a + b + c).collect();
    // the whole liveness cost of one frame: /submit-frame's analysis, and at
    // /verify its identity descriptor and its share of the motion rule
    let motion_p50 = {
        let mut m = motion_ms.clone();
        m.sort_by(f64::total_cmp);
        m.get(m.len() / 2).copied().unwrap_or(0.0)
    };
    let with_identity: Vec<f64> =
        per_frame.iter().zip(&live.3).map(|(a, e)| a + e + motion_p50).collect();
    let cards: Vec<Vec<u8>> = ["img1.jpg", "img5.jpg", "img10.jpg", "img16.jpg", "img20.jpg"]
        .iter()
        .map(|n| id_card_with(&face_photo(n), 180))
        .collect();
    let mut doc_detect = Vec::new();
    for c in &cards {
        doc_detect.push(engine.models().profile(c, ImageKind::Document).unwrap().detect_ms);
    }
    json!({
        "frames": frames.len(),
        "live_frame_640x480_ms": {
            "decode": stats(live.0), "detect_320": stats(live.1), "observations": stats(live.2),
            "decode_detect_observe": stats(per_frame),
            "identity_descriptor": stats(live.3.clone()),
            "motion_rule": stats(motion_ms),
            "total_detect_observe_identity_motion": stats(with_identity),
        },
        "threads": "one (each stage runs on the calling thread)",
        "embedding_per_face_ms": stats(live.3),
        "document_900x600_detect_640_ms": stats(doc_detect),
    })
}

fn rss_mb(pid: u32, field: &str) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

async fn submit_frame_throughput(secs: u64, clients: usize) -> serde_json::Value {
    let data = tempfile::tempdir().unwrap();
    let kyc = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kyc"));
        c.arg("--data-dir")
            .arg(data.path())
            .env("KYC_LOG", "warn")
            .env("KYC_RATE_LIMIT_RPS", "100000")
            .env("KYC_RATE_LIMIT_BURST", "100000")
            .args(args);
        c
    };
    let started = Instant::now();
    let mut child = kyc(&["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let startup_ms = started.elapsed().as_secs_f64() * 1000.0;
    let base = line.split_whitespace().nth(3).unwrap().to_owned();
    let pid = child.id();
    let key_json: serde_json::Value = serde_json::from_slice(
        &kyc(&["keys", "create", "--kind", "secret", "--json"]).output().unwrap().stdout,
    )
    .unwrap();
    let key = key_json["key"].as_str().unwrap().to_owned();
    let frames: Arc<Vec<Vec<u8>>> = Arc::new(
        ["wh_address_a", "wh_address_b", "wh_address_c"]
            .iter()
            .flat_map(|c| clip(c).into_iter().map(|f| f.0))
            .collect(),
    );
    let http = kyc_server::util::http_client_builder().build().unwrap();
    let sent = Arc::new(Mutex::new(Vec::<f64>::new()));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let idle_rss = rss_mb(pid, "VmRSS:");
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, base, key, frames, sent) =
            (http.clone(), base.clone(), key.clone(), frames.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let mut serial = 0u64;
            while Instant::now() < deadline {
                // a fresh verification and session every 250 frames (the cap is 300)
                let v: serde_json::Value = http.post(format!("{base}/v1/verifications")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
                let ct = v["clientToken"].as_str().unwrap().to_owned();
                let s: serde_json::Value = http.post(format!("{base}/start-liveness")).bearer_auth(&ct).send().await.unwrap().json().await.unwrap();
                let nonce = s["challenge"]["nonce"].as_str().unwrap().to_owned();
                for i in 0..250 {
                    if Instant::now() >= deadline {
                        break;
                    }
                    serial += 1;
                    // unique bytes per frame (the server refuses a frame reused across sessions)
                    let mut bytes = frames[(c * 37 + i) % frames.len()].clone();
                    bytes.extend_from_slice(format!("bench-{c}-{serial}").as_bytes());
                    let body = json!({"frameId": format!("f{i}"), "nonce": nonce, "image": STANDARD.encode(&bytes)});
                    let t = Instant::now();
                    let r = http.post(format!("{base}/submit-frame")).bearer_auth(&ct).json(&body).send().await.unwrap();
                    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
                    let _ = r.bytes().await;
                    sent.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }));
    }
    let start = Instant::now();
    let mut peak = 0.0f64;
    while Instant::now() < deadline {
        peak = peak.max(rss_mb(pid, "VmRSS:"));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let hwm = rss_mb(pid, "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();
    let lat = Arc::try_unwrap(sent).unwrap().into_inner().unwrap();
    let n = lat.len();
    println!(
        "submit-frame: {n} frames in {elapsed:.1}s = {:.1}/s with {clients} clients; peak RSS {hwm:.0} MB; startup {startup_ms:.0} ms",
        n as f64 / elapsed
    );
    json!({
        "clients": clients, "frames": n, "seconds": elapsed, "frames_per_s": n as f64 / elapsed,
        "latency_ms": stats(lat), "server_rss_mb": {"idle": idle_rss, "peak_sampled": peak, "peak_hwm": hwm},
        "server_startup_to_listening_ms": startup_ms,
    })
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let t = Instant::now();
    let engine = LocalFaceEngine::load(&LocalFaceConfig::default(), CpuPool::per_core()).unwrap();
    let load_ms = t.elapsed().as_secs_f64() * 1000.0;
    let acc = rt.block_on(accuracy(&engine));
    println!(
        "accuracy at 85: photo {:.4} (FA {}), document-style {:.4} (FA {})",
        acc["photo_vs_photo"]["accuracy"],
        acc["photo_vs_photo"]["false_accepts"],
        acc["document_style_vs_photo"]["accuracy"],
        acc["document_style_vs_photo"]["false_accepts"]
    );
    let unseen = std::env::var_os("BENCH_FACE_EVAL").map(|d| {
        let u = rt.block_on(unseen_accuracy(&engine, Path::new(&d)));
        println!(
            "unseen set at 85: accuracy {:.4}, false accepts {}, false rejects {} of {} same; per kind: {}",
            u["at_85"]["accuracy"], u["at_85"]["false_accepts"], u["at_85"]["false_rejects"],
            u["at_85"]["same"], u["per_kind"]
        );
        u
    });
    let motion_ms = rt.block_on(motion_cost(&engine, &live_frames()));
    let speed = speed(&engine, motion_ms);
    let live = &speed["live_frame_640x480_ms"];
    println!(
        "per 640x480 frame, one thread: decode+detect+observe p50 {:.1} ms; + identity descriptor p50 {:.1} ms; + motion rule p50 {:.2} ms; total p50 {:.1} ms (target 40); model load {load_ms:.0} ms",
        live["decode_detect_observe"]["p50"].as_f64().unwrap(),
        live["identity_descriptor"]["p50"].as_f64().unwrap(),
        live["motion_rule"]["p50"].as_f64().unwrap(),
        live["total_detect_observe_identity_motion"]["p50"].as_f64().unwrap(),
    );
    // the alternative model, for the record
    let faceres_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../kyc-vision/models/face/hse_faceres.onnx");
    let faceres = LocalFaceEngine::load(
        &LocalFaceConfig {
            embedding_model: "hse-faceres".into(),
            embedding_model_path: Some(faceres_path),
            ..Default::default()
        },
        CpuPool::per_core(),
    )
    .unwrap();
    let acc_faceres = rt.block_on(accuracy(&faceres));
    println!(
        "hse-faceres at 85: photo {:.4} (FA {}), document-style {:.4} (FA {})",
        acc_faceres["photo_vs_photo"]["accuracy"],
        acc_faceres["photo_vs_photo"]["false_accepts"],
        acc_faceres["document_style_vs_photo"]["accuracy"],
        acc_faceres["document_style_vs_photo"]["false_accepts"]
    );
    let throughput = rt.block_on(submit_frame_throughput(
        env_num("BENCH_SECS", 15),
        env_num("BENCH_CLIENTS", 4) as usize,
    ));
    let report = json!({
        "bench": "face",
        "machine": {"cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)},
        "targets": {"accuracy": 0.99, "false_accepts": 0, "detect_observe_ms": 30, "detect_observe_identity_ms": 40, "embed_ms": 40, "submit_frames_per_s": 20, "startup_ms": 2000},
        "model_load_ms": load_ms,
        "accuracy": acc,
        "accuracy_alternative_model": acc_faceres,
        "accuracy_unseen": unseen,
        "speed": speed,
        "submit_frame": throughput,
    });
    common::write_report("face", &report);
}
