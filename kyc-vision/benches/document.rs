//! Document reading accuracy and speed on `../shared/data/documents/generated/`.
//!
//! `cargo bench -p kyc-vision --bench document` — writes
//! `target/bench-reports/document.json` (or `$KYC_BENCH_OUT/document.json`).
//!
//! For every image with ground truth: OCR (local PP-OCRv4) → fields
//! (`kyc_core::document::fields`) → exact match per field after the ground
//! truth's own normalisation (upper case, apostrophes dropped, other
//! punctuation a space). Accuracy per field, for documents with and without
//! an MRZ, per distortion kind; latency per document (release, the whole
//! read: decode, detection, recognition, fields) on one thread and with two
//! documents at a time on the 2 cores. `BENCH_VERBOSE=1` prints each miss;
//! `BENCH_DOCS_DIR` reads another generated set (e.g. a held-out one made
//! with `gen_documents.py --seed 7`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    missing_docs
)]

use kyc_core::document::fields::{DocumentFields, read_fields};
use kyc_vision::ocr::TextReader;
use serde_json::{Value, json};
use std::{collections::BTreeMap, path::PathBuf, time::Instant};

fn norm_name(s: &str) -> String {
    let t: String = s
        .chars()
        .filter(|c| *c != '\'')
        .map(|c| if c.is_alphanumeric() { c.to_ascii_uppercase() } else { ' ' })
        .collect();
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Default)]
struct Tally {
    n: u32,
    name: u32,
    dob: u32,
    number: u32,
    all3: u32,
}

impl Tally {
    fn add(&mut self, ok: [bool; 3]) {
        self.n += 1;
        self.name += u32::from(ok[0]);
        self.dob += u32::from(ok[1]);
        self.number += u32::from(ok[2]);
        self.all3 += u32::from(ok.iter().all(|b| *b));
    }
    fn json(&self) -> Value {
        let r = |k: u32| if self.n == 0 { 0.0 } else { f64::from(k) / f64::from(self.n) };
        json!({"documents": self.n, "name": r(self.name), "dateOfBirth": r(self.dob),
               "documentNumber": r(self.number), "all3": r(self.all3)})
    }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let dir = std::env::var("BENCH_DOCS_DIR").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/documents/generated")
    });
    let verbose = std::env::var("BENCH_VERBOSE").is_ok();
    let t = Instant::now();
    let reader = TextReader::load().unwrap();
    reader.warm().unwrap();
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let today = time::OffsetDateTime::now_utc().date();

    let mut cases: Vec<(Value, Vec<u8>)> = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    names.sort();
    for p in names.iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let truth: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        let img = std::fs::read(dir.join(truth["image"].as_str().unwrap())).unwrap();
        cases.push((truth, img));
    }

    let mut all = Tally::default();
    let mut by: BTreeMap<String, Tally> = BTreeMap::new();
    let mut latencies = Vec::new();
    let mut stages = (0.0, 0.0, 0.0, 0.0);
    let mut misses = Vec::new();
    for (truth, img) in &cases {
        let t = Instant::now();
        let (text, timings) = reader.read_bytes_timed(img).unwrap();
        let fields = read_fields(&text, today).ok();
        let t_fields = Instant::now();
        latencies.push(t.elapsed().as_secs_f64() * 1e3);
        stages.0 += timings.decode_ms;
        stages.1 += timings.detect_ms;
        stages.2 += timings.recognise_ms;
        stages.3 += t_fields.elapsed().as_secs_f64() * 1e3;
        let f = &truth["fields"];
        let got = |g: fn(&DocumentFields) -> Option<&kyc_core::document::fields::Field>| {
            fields.as_ref().and_then(g).map(|f| f.value.clone()).unwrap_or_default()
        };
        let ok = [
            norm_name(&got(|d| d.name.as_ref())) == norm_name(f["name"].as_str().unwrap()),
            got(|d| d.date_of_birth.as_ref()) == f["date_of_birth"].as_str().unwrap(),
            got(|d| d.document_number.as_ref()) == f["document_number"].as_str().unwrap(),
        ];
        all.add(ok);
        let d = &truth["distortions"];
        let mut kinds = vec![
            format!("type:{}", truth["document_type"].as_str().unwrap()),
            format!("mrz:{}", truth["has_mrz"].as_bool().unwrap()),
            format!("date_format:{}", truth["printed_date_format"].as_str().unwrap()),
            format!(
                "rotation:{}",
                if d["rotation_deg"].as_f64().unwrap_or(0.0).abs() > 1.5 {
                    ">1.5deg"
                } else {
                    "<=1.5deg"
                }
            ),
            format!(
                "blur:{}",
                if d["blur_radius"].as_f64().unwrap_or(0.0) > 0.5 { ">0.5" } else { "<=0.5" }
            ),
            format!(
                "jpeg:{}",
                if d["jpeg_quality"].as_i64().unwrap_or(100) < 80 { "<80" } else { ">=80" }
            ),
            format!("background:{}", d.get("background_margin").is_some()),
            format!(
                "scale:{}",
                if d["scale"].as_f64().unwrap_or(1.0) < 0.85 { "<0.85" } else { ">=0.85" }
            ),
        ];
        if let Some(m) = truth["fonts"].get("mrz").and_then(Value::as_str)
            && truth["has_mrz"].as_bool().unwrap()
        {
            kinds.push(format!("mrz_font:{m}"));
        }
        for k in kinds {
            by.entry(k).or_default().add(ok);
        }
        if !ok.iter().all(|b| *b) {
            let miss = json!({
                "image": truth["image"],
                "name": [f["name"], got(|d| d.name.as_ref())],
                "dateOfBirth": [f["date_of_birth"], got(|d| d.date_of_birth.as_ref())],
                "documentNumber": [f["document_number"], got(|d| d.document_number.as_ref())],
            });
            if verbose {
                println!("MISS {miss}");
                for l in &text.lines {
                    println!("    {:.2} {}", l.confidence, l.text);
                }
            }
            misses.push(miss);
        }
    }
    let n = cases.len() as f64;
    let mut lat = latencies.clone();

    // two documents at a time, one per core
    let pairs = std::thread::scope(|s| {
        let t = Instant::now();
        let halves: Vec<_> = cases.chunks(cases.len().div_ceil(2)).collect();
        let handles: Vec<_> = halves
            .into_iter()
            .map(|chunk| {
                let reader = &reader;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(_, img)| {
                            let t = Instant::now();
                            let (text, _) = reader.read_bytes_timed(img).unwrap();
                            let _ = read_fields(&text, today);
                            t.elapsed().as_secs_f64() * 1e3
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut l: Vec<f64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        let wall = t.elapsed().as_secs_f64();
        (pct(&mut l, 0.5), pct(&mut l, 0.99), l.len() as f64 / wall)
    });

    let with_mrz = by.get("mrz:true").map(Tally::json);
    let without = by.get("mrz:false").map(Tally::json);
    let report = json!({
        "dataset": dir.display().to_string(),
        "engine": "local-onnx/pp-ocrv4 (tract), fields by kyc_core::document::fields",
        "model_load_and_plans_ms": load_ms,
        "accuracy": {
            "all": all.json(),
            "with_mrz": with_mrz,
            "printed_only": without,
            "by_distortion": by.iter().map(|(k, v)| (k.clone(), v.json())).collect::<BTreeMap<_, _>>(),
        },
        "latency_ms_one_at_a_time": {
            "p50": pct(&mut lat, 0.5), "p99": pct(&mut lat, 0.99), "max": pct(&mut lat, 1.0),
            "mean": latencies.iter().sum::<f64>() / n,
            "stages_mean": {"decode": stages.0 / n, "detect": stages.1 / n, "recognise": stages.2 / n, "fields": stages.3 / n},
        },
        "two_at_a_time": {"p50_ms": pairs.0, "p99_ms": pairs.1, "documents_per_s": pairs.2},
        "misses": misses,
    });
    let out = std::env::var("KYC_BENCH_OUT").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-reports")
    });
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("document.json"), serde_json::to_string_pretty(&report).unwrap())
        .unwrap();
    println!(
        "documents: {} | all3 {:.3} (MRZ {:?}, printed {:?}) | name {:.3} dob {:.3} number {:.3}",
        cases.len(),
        f64::from(all.all3) / n,
        with_mrz.as_ref().map(|v| v["all3"].clone()),
        without.as_ref().map(|v| v["all3"].clone()),
        f64::from(all.name) / n,
        f64::from(all.dob) / n,
        f64::from(all.number) / n
    );
    println!(
        "latency one at a time: p50 {:.0} ms, max {:.0} ms; two at a time: p50 {:.0} ms, p99 {:.0} ms, {:.2} docs/s; load {:.0} ms",
        report["latency_ms_one_at_a_time"]["p50"].as_f64().unwrap(),
        report["latency_ms_one_at_a_time"]["max"].as_f64().unwrap(),
        pairs.0,
        pairs.1,
        pairs.2,
        load_ms
    );
}
