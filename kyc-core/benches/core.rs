//! Throughput of the pure parsers on real inputs.
//!
//! `cargo bench -p kyc-core --bench core` — writes
//! `target/bench-reports/core.json` (or `$KYC_BENCH_OUT/core.json`).
//! Inputs: the 30 document photos and 48 MRZ strings of `../shared/data/documents`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, missing_docs)]
#![allow(clippy::disallowed_methods)] // a benchmark reads the clock and its output directory

use kyc_core::{
    Timestamp,
    challenge::{Gesture, GestureThresholds, Observation, PendingChallenge, evaluate},
    document::mrz,
    image::{UploadPolicy, check, inspect, strip_metadata},
    names::match_key,
};
use std::{hint::black_box, path::Path, time::Instant};

/// Runs `f` over `items` repeatedly for about `secs`; returns items per second.
fn rate<T>(items: &[T], secs: f64, mut f: impl FnMut(&T)) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        for it in items {
            f(it);
        }
        n += items.len() as u64;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/documents");
    let mut photos: Vec<Vec<u8>> = std::fs::read_dir(shared.join("generated"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    photos.sort();
    let mrzs: Vec<String> = std::fs::read_to_string(shared.join("mrz.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["mrz"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let names = [
        "José María GARCÍA-López",
        "Владимир Владимирович Путин",
        "O'BRIEN<<CLAIRE",
        "王小明",
        "Dr. John Q. Public, Jr.",
    ];
    let policy = UploadPolicy::default();
    let mean_bytes = photos.iter().map(Vec::len).sum::<usize>() as f64 / photos.len() as f64;

    let inspect_rate = rate(&photos, 2.0, |p| {
        black_box(inspect(black_box(p)).unwrap());
    });
    let check_rate = rate(&photos, 2.0, |p| {
        black_box(check(black_box(p), &policy).unwrap());
    });
    let strip_rate = rate(&photos, 2.0, |p| {
        black_box(strip_metadata(black_box(p)).unwrap());
    });
    let mrz_rate = rate(&mrzs, 2.0, |m| {
        let parsed = mrz::parse(black_box(m)).unwrap();
        black_box(parsed.validate().is_ok());
    });
    let name_rate = rate(&names, 2.0, |n| {
        black_box(match_key(black_box(n)));
    });

    // a 3-gesture session of 150 frames (15 s at 10 frames/s)
    let pending = PendingChallenge {
        nonce: String::new(),
        issued_at: Timestamp::from_unix_millis(0),
        deadline: Timestamp::from_unix_millis(180_000),
        sequence: vec![Gesture::TurnLeft, Gesture::Blink, Gesture::TurnRight],
        max_gap_ms: 2000,
        thresholds: GestureThresholds::default(),
        timing: Default::default(),
        continuity: Default::default(),
        depth: Default::default(),
        motion: Default::default(),
    };
    // 100 idle frames, then turn left, blink, turn right: all 150 frames are evaluated
    let mut track: Vec<(f32, f32)> = vec![(0.0, 0.9); 100];
    track.extend([8.0, 16.0, 25.0, 30.0, 22.0, 12.0, 5.0, 0.0].map(|y| (y, 0.9)));
    track.extend([(0.0, 0.9), (0.0, 0.1), (0.0, 0.1), (0.0, 0.9), (0.0, 0.9)]);
    track.extend([-8.0, -16.0, -25.0, -30.0, -22.0, -12.0, -5.0, 0.0].map(|y| (y, 0.9)));
    track.resize(149, (0.0, 0.9));
    track.push((-30.0, 0.9));
    let frames: Vec<Observation> = track
        .iter()
        .enumerate()
        .map(|(i, &(yaw, eyes))| Observation {
            at: Timestamp::from_unix_millis(i as i64 * 100),
            face_present: true,
            yaw_deg: yaw,
            pitch_deg: 0.0,
            left_eye_open: eyes,
            right_eye_open: eyes,
        })
        .collect();
    assert!(matches!(
        evaluate(&pending, &frames, Timestamp::from_unix_millis(15_000)).unwrap().outcome,
        Some(kyc_core::challenge::Outcome::Passed { .. })
    ));
    let sessions = [frames];
    let eval_rate = rate(&sessions, 2.0, |f| {
        black_box(evaluate(&pending, black_box(f), Timestamp::from_unix_millis(15_000)).unwrap());
    });

    let report = serde_json::json!({
        "bench": "core",
        "inputs": { "photos": photos.len(), "mean_photo_bytes": mean_bytes, "mrz_strings": mrzs.len() },
        "image_inspect_headers_per_s": inspect_rate,
        "image_check_per_s": check_rate,
        "image_strip_metadata_per_s": strip_rate,
        "image_strip_metadata_mb_per_s": strip_rate * mean_bytes / 1e6,
        "mrz_parse_and_validate_per_s": mrz_rate,
        "name_match_key_per_s": name_rate,
        "challenge_evaluate_150_frames_per_s": eval_rate,
        "targets": { "image_inspect_headers_per_s": 50_000 },
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    let out = std::env::var("KYC_BENCH_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-reports"));
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("core.json"), serde_json::to_string_pretty(&report).unwrap()).unwrap();
}
