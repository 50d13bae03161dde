//! The liveness check attacked over HTTP with nothing but a client token:
//! replayed stills, gestures spliced from other people, faked client
//! clocks, repeated frames, two faces, frame-id races and reuse. Each
//! attack must fail with its own code; genuine footage must still pass.

use super::{Flow, her_document, issued_ms};
use crate::harness::*;
use kyc_core::{
    VerificationId,
    challenge::Gesture::{Blink, TurnLeft},
};
use kyc_server::{
    ServerConfig,
    backend::{FrameId, ObjectKey},
    fixtures::{clip, id_card_with},
};
use serde_json::{Value, json};

/// `bytes` decoded and encoded again at `quality`: the same still, other bytes.
fn reencode(bytes: &[u8], quality: u8) -> Vec<u8> {
    let img = image::load_from_memory(bytes).unwrap().to_rgb8();
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&img)
        .unwrap();
    out.into_inner()
}

/// `bytes` scaled by `zoom` about its centre (a face that suddenly jumps in size).
fn zoomed(bytes: &[u8], zoom: f32) -> Vec<u8> {
    let img = image::load_from_memory(bytes).unwrap().to_rgb8();
    let (w, h) = img.dimensions();
    let (cw, ch) = ((w as f32 / zoom) as u32, (h as f32 / zoom) as u32);
    let crop = image::imageops::crop_imm(&img, (w - cw) / 2, (h - ch) / 2, cw, ch).to_image();
    let big = image::imageops::resize(&crop, w, h, image::imageops::FilterType::Triangle);
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&big).unwrap();
    out.into_inner()
}

/// Two people side by side in one 640×480 frame.
fn two_faces() -> Vec<u8> {
    let a = image::load_from_memory(&clip("wh_address_a")[0].0).unwrap().to_rgb8();
    let b = image::load_from_memory(&clip("intel_headpose_female")[11].0).unwrap().to_rgb8();
    let half = |i: &image::RgbImage| {
        image::imageops::resize(i, 320, 240, image::imageops::FilterType::Triangle)
    };
    let mut canvas = image::RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]));
    image::imageops::overlay(&mut canvas, &half(&a), 0, 120);
    image::imageops::overlay(&mut canvas, &half(&b), 320, 120);
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&canvas).unwrap();
    out.into_inner()
}

impl Flow {
    /// Sends `frames` one camera interval (67 ms) apart from `start_ms`, each
    /// arriving 30 ms after capture; every one must be accepted.
    pub(super) async fn send_all(
        &self,
        nonce: &str,
        tag: &str,
        frames: &[Vec<u8>],
        start_ms: i64,
    ) -> i64 {
        let mut t = start_ms;
        for (i, bytes) in frames.iter().enumerate() {
            let r = self.frame(nonce, &format!("{tag}-{i}"), bytes, t).await;
            assert_eq!(r.status, 200, "{tag} {i}: {}", String::from_utf8_lossy(&r.body));
            t += 67;
        }
        t
    }

    async fn stored_frame(&self, frame_id: &str) -> Vec<u8> {
        let id: VerificationId = self.id.parse().unwrap();
        let key = ObjectKey::live_frame(id, FrameId::try_from(frame_id.to_owned()).unwrap());
        self.h.state.backends.objects.get(&key).await.unwrap().body.to_vec()
    }
}

/// The unique frames of a clip, in order (the turn clip shows each GIF frame twice).
pub(super) fn unique(clip_name: &str, range: std::ops::Range<usize>) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for (bytes, ..) in &clip(clip_name)[range] {
        if out.last() != Some(bytes) {
            out.push(bytes.clone());
        }
    }
    out
}

/// A document photo of the man in the blink clips (a frame of another clip of his).
fn his_document() -> Vec<u8> {
    id_card_with(&clip("wh_address_b")[5].0, 240)
}

pub(super) fn nonce(start: &Value) -> String {
    start["challenge"]["nonce"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_still_photo_replayed_never_passes() {
    let f = Flow::new(&[Blink, TurnLeft], her_document(), ServerConfig::default()).await;
    let start = f.start().await;
    let (n, t0) = (nonce(&start), issued_ms(&start));
    let still = clip("intel_headpose_female")[11].0.clone();
    assert_eq!(f.frame(&n, "s0", &still, t0 + 100).await.status, 200);
    // the same bytes again, under any frame id
    for i in 1..15 {
        f.frame(&n, &format!("s{i}"), &still, t0 + 100 + 67 * i)
            .await
            .assert_error(409, "frame_replayed");
    }
    // the same still re-encoded: accepted frame by frame, but a still performs no gesture
    let copies: Vec<_> = (0..15).map(|i| reencode(&still, 60 + 2 * i)).collect();
    f.send_all(&n, "r", &copies, t0 + 1_200).await;
    f.verify().await.assert_error(409, "liveness_incomplete");
    f.h.clock.advance_ms(181_000);
    assert_eq!(f.verify().await.json()["status"], "failed");
    assert_eq!(f.view().await["liveness"]["reasons"], json!(["expired"]));
}

/// The attack that passed at 9cb547a: the holder's own frames, and a
/// gesture performed by somebody else. The two clips frame their faces
/// alike (no jump between them), so the identity check alone catches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gesture_performed_by_another_person_fails_as_face_changed() {
    // the holder is the man of the blink clips; the document is a frame of another clip of his
    let doc = his_document();
    let f = Flow::new(&[Blink, TurnLeft], doc, ServerConfig::default()).await;
    let start = f.start().await;
    let (n, t0) = (nonce(&start), issued_ms(&start));
    // his own blink (frames 1–20 hold the first one) …
    let t = f.send_all(&n, "him", &unique("wh_address_a", 0..20), t0 + 100).await;
    // … then a woman turns her head (frontal first, so the step is armed)
    f.send_all(&n, "her", &unique("intel_headpose_female", 10..22), t).await;
    assert_eq!(f.verify().await.json(), json!({"status": "failed", "attemptsLeft": 4}));
    let v = f.view().await;
    let l = &v["liveness"];
    assert_eq!(l["reasons"], json!(["face_changed"]), "{l}");
    let id = &l["faceMatch"]["identity"];
    let (frame, sim) = (id["lowest"][0].as_str().unwrap(), id["lowest"][1].as_f64().unwrap());
    assert!(frame.starts_with("her-") && sim < 60.0, "{id}");
    assert!(id["framesCompared"].as_u64().unwrap() >= 20, "{id}");
    assert_ne!(v["status"], "liveness_passed");
    // no document match is made for a session that changed faces
    assert!(l["faceMatch"]["average"].is_null(), "{l}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_face_that_jumps_in_place_or_size_is_a_new_face() {
    let f = Flow::new(&[Blink], his_document(), ServerConfig::default()).await;
    let start = f.start().await;
    let (n, t0) = (nonce(&start), issued_ms(&start));
    let mut frames = unique("wh_address_a", 0..24);
    // one frame of the same man, after his blink, suddenly 1.6× larger
    frames[18] = zoomed(&frames[18], 1.6);
    f.send_all(&n, "f", &frames, t0 + 100).await;
    let r = f.verify().await.json();
    assert_eq!(r["status"], "failed", "{r}");
    let l = &f.view().await["liveness"];
    assert_eq!(l["reasons"], json!(["face_changed"]));
    let id = &l["faceMatch"]["identity"];
    assert_eq!(id["jumpFrame"], "f-18", "{id}");
    // the identity check alone would not have caught it: it is the same man
    assert!(id["lowest"][1].as_f64().unwrap() >= 85.0, "{id}");
    assert!(id["maxScale"].as_f64().unwrap() > 1.4, "{id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faked_client_timestamps_are_refused() {
    let f = Flow::new(&[Blink], his_document(), ServerConfig::default()).await;
    let start = f.start().await;
    let (n, t0) = (nonce(&start), issued_ms(&start));
    let frames = unique("wh_address_a", 0..58);
    // a recording uploaded in a burst: capture times 67 ms apart, arrivals 30 ms apart
    f.h.clock.set(kyc_core::Timestamp::from_unix_millis(t0 + 130));
    let mut refused = None;
    for (i, bytes) in frames.iter().enumerate() {
        let r = f.frame_now(&n, &format!("b{i}"), bytes, t0 + 100 + 67 * i as i64).await;
        if r.status != 200 {
            refused = Some((i, r));
            break;
        }
        f.h.clock.advance_ms(30);
    }
    let (i, r) = refused.expect("the burst was accepted");
    r.assert_error(422, "frame_timing_invalid");
    // 1.5 s of drift at 37 ms per frame
    assert!((40..=43).contains(&i), "refused at frame {i}");
    // frames faster than a camera: 5 ms apart
    let f = Flow::new(&[Blink], his_document(), ServerConfig::default()).await;
    let start = f.start().await;
    let (n, t0) = (nonce(&start), issued_ms(&start));
    assert_eq!(f.frame(&n, "a", &frames[0], t0 + 100).await.status, 200);
    f.h.clock.advance_ms(5);
    f.frame_now(&n, "b", &frames[1], t0 + 105).await.assert_error(429, "rate_limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_with_two_faces_is_reported_and_counts_for_nothing() {
    let f = Flow::new(&[Blink], her_document(), ServerConfig::default()).await;
    let start = f.start().await;
    let r = f.frame(&nonce(&start), "two", &two_faces(), issued_ms(&start) + 100).await;
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!((j["faces"].as_u64(), j["faceFound"].as_bool()), (Some(2), Some(false)), "{j}");
    assert!(j["issues"].as_array().unwrap().contains(&json!("multiple_faces")), "{j}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stored_frame_is_the_analysed_frame_without_metadata() {
    let f = Flow::new(&[Blink], her_document(), ServerConfig::default()).await;
    let start = f.start().await;
    let mut tagged = with_exif(&clip("intel_headpose_female")[11].0, 1);
    tagged.extend_from_slice(b"TRAILING-DATA-AFTER-EOI");
    assert_eq!(f.frame(&nonce(&start), "m", &tagged, issued_ms(&start) + 100).await.status, 200);
    let stored = f.stored_frame("m").await;
    assert!(!contains(&stored, b"GPSLatitude"), "EXIF kept");
    assert!(!contains(&stored, b"TRAILING-DATA"), "trailing data kept");
    assert!(stored == kyc_core::image::strip_metadata(&tagged).unwrap().bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submits_of_one_frame_id_store_the_winner() {
    let f = Flow::new(&[Blink], her_document(), ServerConfig::default()).await;
    let start = f.start().await;
    let (n, t0) = (nonce(&start), issued_ms(&start));
    let frames = unique("intel_headpose_female", 0..29);
    for round in 0..4usize {
        let t = t0 + 100 + 500 * round as i64;
        f.h.clock.set(kyc_core::Timestamp::from_unix_millis(t + 30));
        let id = format!("race{round}");
        let (a, b) = (&frames[2 * round], &frames[2 * round + 1]);
        let (ra, rb) = tokio::join!(f.frame_now(&n, &id, a, t), f.frame_now(&n, &id, b, t));
        let winner = match (ra.status.as_u16(), rb.status.as_u16()) {
            (200, _) => {
                assert!(matches!(rb.status.as_u16(), 409 | 429), "{:?}", rb.json());
                a
            }
            (_, 200) => {
                assert!(matches!(ra.status.as_u16(), 409 | 429), "{:?}", ra.json());
                b
            }
            other => panic!("no winner: {other:?}"),
        };
        let winner = kyc_core::image::strip_metadata(winner).unwrap().bytes;
        assert!(
            f.stored_frame(&id).await == winner,
            "round {round}: the stored bytes are not the winner's"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_id_names_one_image_across_attempts() {
    let f = Flow::new(&[Blink], her_document(), ServerConfig::default()).await;
    let start = f.start().await;
    let frames = unique("intel_headpose_female", 0..29);
    assert_eq!(
        f.frame(&nonce(&start), "f1", &frames[0], issued_ms(&start) + 100).await.status,
        200
    );
    f.h.clock.advance_ms(181_000);
    assert_eq!(f.verify().await.json()["status"], "failed");
    let again = f.start().await;
    f.frame(&nonce(&again), "f1", &frames[1], issued_ms(&again) + 100)
        .await
        .assert_error(409, "frame_conflict");
    let first = kyc_core::image::strip_metadata(&frames[0]).unwrap().bytes;
    assert!(f.stored_frame("f1").await == first, "the failed attempt's evidence is kept");
}

/// The real blink clips pass their challenge (the turn clip:
/// `a_real_head_turn_session_passes`). `wh_address_b` is left out: its
/// blinks are not recognised with or without this change's timing rules
/// (`blink_min_ms = 0` gives the same), a limit of the blink thresholds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn genuine_blink_footage_passes() {
    for (live, doc_clip) in [("wh_address_a", "wh_address_b"), ("wh_address_c", "wh_address_b")] {
        let doc = id_card_with(&clip(doc_clip)[5].0, 240);
        let f = Flow::new(&[Blink], doc, ServerConfig::default()).await;
        let start = f.start().await;
        f.play(&nonce(&start), live, issued_ms(&start) + 50).await;
        assert_eq!(f.verify().await.json()["status"], "passed", "{live}");
        let id = &f.view().await["liveness"]["faceMatch"]["identity"];
        // every frame was compared with the reference
        assert_eq!(id["framesCompared"].as_u64(), Some(clip(live).len() as u64 - 1), "{id}");
        assert!(id["lowest"][1].as_f64().unwrap() >= 95.0, "{id}");
    }
}
