//! Natural motion: a gesture made of a few stills, each re-sent with fresh
//! noise so its bytes differ, completes the gesture but shows no motion
//! between its copies; the attempt fails as `still_frames`. Genuine footage
//! keeps every pair well above the near-identical line.

use super::attacks::{nonce, unique};
use super::{Flow, her_document, issued_ms};
use kyc_core::challenge::Gesture::{Blink, TurnLeft, TurnRight};
use kyc_server::{
    ServerConfig,
    backend::face::{FaceImage, ImageKind},
    fixtures::{clip, id_card_with},
};
use serde_json::{Value, json};

/// `bytes` with uniform noise of ±`amplitude` grey levels per channel,
/// encoded at JPEG `quality`: the same still, other bytes every time.
fn noisy_copy(bytes: &[u8], amplitude: u8, quality: u8, seed: u32) -> Vec<u8> {
    let mut img = image::load_from_memory(bytes).unwrap().to_rgb8();
    let mut s = seed.wrapping_mul(2_654_435_761).max(1);
    let span = 2 * u32::from(amplitude) + 1;
    for p in img.pixels_mut() {
        for c in p.0.iter_mut() {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let n = (s % span) as i32 - i32::from(amplitude);
            *c = (i32::from(*c) + n).clamp(0, 255) as u8;
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&img)
        .unwrap();
    out.into_inner()
}

/// `n` noisy copies of `still`, seeded from `seed`.
fn copies(still: &[u8], n: usize, amplitude: u8, seed: u32) -> Vec<Vec<u8>> {
    (0..n).map(|i| noisy_copy(still, amplitude, 80 + (i % 3) as u8 * 5, seed + i as u32)).collect()
}

/// The frames of `clip_name` with the most open and the most closed eyes,
/// as the server's engine sees them.
async fn open_and_closed(f: &Flow, clip_name: &str) -> (Vec<u8>, Vec<u8>) {
    let mut scored = Vec::new();
    for (bytes, ..) in clip(clip_name) {
        let a =
            f.h.state.face.analyze(&FaceImage(bytes.clone().into()), ImageKind::LiveFrame).await;
        if let Some(p) = a.unwrap().largest().and_then(|face| face.pose) {
            scored.push((p.left_eye_open + p.right_eye_open, bytes));
        }
    }
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    (scored.last().unwrap().1.clone(), scored[0].1.clone())
}

fn motion(v: &Value) -> &Value {
    &v["liveness"]["faceMatch"]["motion"]
}

/// Eyes open, closed, open: each still of the man of the blink clips held
/// for a few frames, every copy with fresh noise; the verdict on `config`.
async fn blink_of_two_stills(config: ServerConfig) -> (Value, Value) {
    let doc = id_card_with(&clip("wh_address_b")[5].0, 240);
    let f = Flow::new(&[Blink], doc, config).await;
    let (open, closed) = open_and_closed(&f, "wh_address_a").await;
    let start = f.start().await;
    let (n, t0) = (nonce(&start), issued_ms(&start));
    let mut frames = copies(&open, 6, 3, 1);
    frames.extend(copies(&closed, 3, 3, 100));
    frames.extend(copies(&open, 6, 3, 200));
    f.send_all(&n, "still", &frames, t0 + 100).await;
    (f.verify().await.json(), f.view().await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blink_made_of_two_stills_fails_as_still_frames() {
    // the gesture itself is performed: the attack gets as far as the face match
    let (verdict, v) = blink_of_two_stills(ServerConfig::default()).await;
    assert_eq!(verdict, json!({"status": "failed", "attemptsLeft": 4}));
    assert_eq!(v["liveness"]["reasons"], json!(["still_frames"]), "{v}");
    let m = motion(&v);
    assert_eq!(m["pairs"], 14, "{m}");
    // the two cuts (open → closed → open) move; the copies do not
    assert!(m["nearIdentical"].as_u64().unwrap() >= 11, "{m}");
    assert!(m["medianChange"].as_f64().unwrap() < 0.6, "{m}");
    // without the rule the same frames pass: the motion rule is what stops it
    let mut lax = ServerConfig::default();
    lax.liveness.challenge.motion.max_near_identical_pairs = 100;
    let (verdict, _) = blink_of_two_stills(lax).await;
    assert_eq!(verdict["status"], "passed", "{verdict}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_still_held_to_pad_a_real_turn_fails_as_still_frames() {
    // her real turn, but the turned frames are each sent twice (a copy with
    // noise) so a short recording holds the pose long enough
    let f = Flow::new(&[TurnLeft, TurnRight], her_document(), ServerConfig::default()).await;
    let start = f.start().await;
    let (n, t0) = (nonce(&start), issued_ms(&start));
    let mut frames = Vec::new();
    let mut real = unique("intel_headpose_female", 10..29);
    real.extend(unique("intel_headpose_female", 0..10));
    for (i, real) in real.into_iter().enumerate() {
        frames.push(real.clone());
        frames.push(noisy_copy(&real, 2, 85, i as u32 + 1));
    }
    f.send_all(&n, "pad", &frames, t0 + 100).await;
    let r = f.verify().await.json();
    assert_eq!(r["status"], "failed", "{r}");
    let v = f.view().await;
    assert_eq!(v["liveness"]["reasons"], json!(["still_frames"]), "{v}");
    // every other pair is a copy
    let m = motion(&v);
    assert!(m["nearIdentical"].as_u64().unwrap() * 2 + 2 >= m["pairs"].as_u64().unwrap(), "{m}");
}

/// Genuine footage: no pair is near-identical, and the smallest change
/// keeps a margin above the line. Prints the figures the calibration in
/// `docs/liveness-integrity.md` quotes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn genuine_footage_moves_between_every_pair_of_frames() {
    let turn = Flow::new(&[TurnLeft, TurnRight], her_document(), ServerConfig::default()).await;
    let start = turn.start().await;
    turn.play_from(&nonce(&start), "intel_headpose_female", issued_ms(&start) + 100, 10).await;
    assert_eq!(turn.verify().await.json()["status"], "passed");
    let mut sessions = vec![("intel_headpose_female", turn.view().await)];
    for live in ["wh_address_a", "wh_address_c"] {
        let doc = id_card_with(&clip("wh_address_b")[5].0, 240);
        let f = Flow::new(&[Blink], doc, ServerConfig::default()).await;
        let start = f.start().await;
        f.play(&nonce(&start), live, issued_ms(&start) + 50).await;
        assert_eq!(f.verify().await.json()["status"], "passed", "{live}");
        sessions.push((live, f.view().await));
    }
    for (name, v) in &sessions {
        let m = motion(v);
        eprintln!("motion {name}: {m}");
        assert_eq!(m["nearIdentical"], 0, "{name}: {m}");
        assert!(m["pairs"].as_u64().unwrap() >= 20, "{name}: {m}");
        assert!(m["minChange"].as_f64().unwrap() >= 0.75, "{name}: {m}");
        assert!(m["medianLandmarkMotion"].as_f64().unwrap() > 0.0, "{name}: {m}");
    }
}
