//! The liveness flow over HTTP with the real face engine and real footage:
//! `start-liveness → submit-frame… → verify`.

mod attacks;
mod depth;
mod motion;

use crate::harness::*;
use axum::{
    body::Body,
    http::{Request, header},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use kyc_core::challenge::Gesture::{self, Blink, TurnLeft, TurnRight};
use kyc_server::{
    ServerConfig,
    clock::Clock,
    fixtures::{clip, face_photo, id_card_with},
};
use serde_json::{Value, json};

struct Flow {
    h: Harness,
    sk: String,
    id: String,
    ct: String,
}

impl Flow {
    /// A verification with `document` uploaded, on an engine with a pinned challenge.
    async fn new(fixed: &[Gesture], document: Vec<u8>, config: ServerConfig) -> Self {
        Self::on(Harness::with_face(config, Some(fixed.to_vec())), document).await
    }

    /// A verification with `document` uploaded on harness `h`.
    async fn on(h: Harness, document: Vec<u8>) -> Self {
        let sk = h.secret().await;
        let (id, ct) = h.verification(&sk).await;
        let r = h.upload("/upload-id", &ct, document, "image/jpeg").await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        Self { h, sk, id, ct }
    }

    async fn start(&self) -> Value {
        let r = self.h.send(self.req("POST", "/start-liveness", Body::empty())).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.json()
    }

    fn req(&self, method: &str, path: &str, body: Body) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.ct))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .unwrap()
    }

    /// Sends a frame captured at `captured_ms` that arrives 30 ms later (the
    /// server's clock moves forward to then, never back).
    async fn frame(&self, nonce: &str, frame_id: &str, bytes: &[u8], captured_ms: i64) -> Response {
        let arrives = kyc_core::Timestamp::from_unix_millis(captured_ms + 30);
        if arrives > self.h.clock.now() {
            self.h.clock.set(arrives);
        }
        self.frame_now(nonce, frame_id, bytes, captured_ms).await
    }

    /// Sends a frame claiming `captured_ms`, at whatever the server's clock says.
    async fn frame_now(
        &self,
        nonce: &str,
        frame_id: &str,
        bytes: &[u8],
        captured_ms: i64,
    ) -> Response {
        let at = kyc_core::Timestamp::from_unix_millis(captured_ms);
        let body = json!({"frameId": frame_id, "nonce": nonce, "image": STANDARD.encode(bytes), "capturedAt": at});
        self.h.send(self.req("POST", "/submit-frame", Body::from(body.to_string()))).await
    }

    /// Sends every frame of `clip_name` at its own timestamps after `start_ms`,
    /// moving the clock along; returns the last feedback.
    async fn play(&self, nonce: &str, clip_name: &str, start_ms: i64) -> Value {
        self.play_from(nonce, clip_name, start_ms, 0).await
    }

    /// Plays `clip_name` as a looping camera would that started at frame
    /// `first` (0-based): `first..`, then `..first`, one frame interval apart.
    /// Frames identical to the one before are skipped: the turn clip comes
    /// from a GIF that shows each frame twice, and a camera never sends the
    /// same bytes twice (the server refuses them).
    async fn play_from(&self, nonce: &str, clip_name: &str, start_ms: i64, first: usize) -> Value {
        let frames = clip(clip_name);
        let interval = frames.get(1).map_or(67, |f| f.1);
        let order = (first..frames.len()).chain(0..first);
        let mut last = Value::Null;
        let mut previous: Option<&[u8]> = None;
        for (k, i) in order.enumerate() {
            let bytes = frames[i].0.as_slice();
            if previous == Some(bytes) {
                continue;
            }
            previous = Some(bytes);
            let captured = start_ms + k as i64 * interval;
            let r = self.frame(nonce, &format!("{clip_name}-{i}"), bytes, captured).await;
            assert_eq!(r.status, 200, "frame {i}: {}", String::from_utf8_lossy(&r.body));
            last = r.json();
        }
        last
    }

    async fn verify(&self) -> Response {
        self.h.send(self.req("GET", "/verify", Body::empty())).await
    }

    async fn view(&self) -> Value {
        self.h.get(&format!("/v1/verifications/{}", self.id), &self.sk).await.json()
    }
}

fn issued_ms(start: &Value) -> i64 {
    kyc_core::Timestamp::parse_rfc3339(start["challenge"]["issuedAt"].as_str().unwrap())
        .unwrap()
        .unix_millis()
}

/// A document photo of the person in the turn clip: one of her frontal frames, printed small and grey.
fn her_document() -> Vec<u8> {
    id_card_with(&clip("intel_headpose_female")[11].0, 260)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_head_turn_session_passes() {
    let f = Flow::new(&[TurnLeft, TurnRight], her_document(), ServerConfig::default()).await;
    let start = f.start().await;
    assert_eq!(start["challenge"]["first"], "turn_left");
    assert_eq!(start["challenge"]["stepCount"], 2);
    assert!(
        start["challenge"].get("sequence").is_none(),
        "expected answers never leave the server"
    );
    let nonce = start["challenge"]["nonce"].as_str().unwrap().to_owned();
    // from her first frontal frame: left, centre, right (the loop's wrap continues the right turn)
    let last = f.play_from(&nonce, "intel_headpose_female", issued_ms(&start) + 100, 10).await;
    assert_eq!(last["progress"]["completed"], 2, "{last}");
    assert_eq!(last["progress"]["hint"]["kind"], "done");

    let r = f.verify().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json(), json!({"status": "passed", "attemptsLeft": 5}));
    // the client sees nothing else; the integrator sees the evidence
    let v = f.view().await;
    assert_eq!(v["status"], "liveness_passed");
    let l = &v["liveness"];
    assert_eq!(l["status"], "passed");
    let turns = l["gestures"].as_array().unwrap();
    assert_eq!(turns.len(), 2);
    assert_eq!(
        (turns[0]["gesture"].as_str(), turns[0]["state"].as_str()),
        (Some("turn_left"), Some("done"))
    );
    assert!(turns[0]["peak"].as_f64().unwrap() >= 20.0 && turns[0]["threshold"] == 20.0);
    assert!(!turns[0]["frames"].as_array().unwrap().is_empty(), "the yaw curve is kept");
    let fm = &l["faceMatch"];
    assert!(fm["average"].as_f64().unwrap() >= 85.0, "{fm}");
    assert!(fm["sameFaceMin"].as_f64().unwrap() >= 85.0, "{fm}");
    // both turns measured for depth, well above the flat-face line
    assert!(fm["depth"]["framesMeasured"].as_u64().unwrap() >= 8, "{fm}");
    assert!(fm["depth"]["medianParallax"].as_f64().unwrap() >= 0.15, "{fm}");
    assert_eq!(fm["engine"], "local-onnx/dlib-resnet-v1");
    // verify is idempotent
    assert_eq!(f.verify().await.json()["status"], "passed");
    let steps: Vec<_> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        steps.contains(&"liveness".to_owned()) && steps.contains(&"face_match".to_owned()),
        "{steps:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_blinks_pass_a_blink_challenge() {
    // the document is a frame of a *different* clip of the same person
    let doc = id_card_with(&clip("wh_address_b")[5].0, 240);
    let f = Flow::new(&[Blink], doc, ServerConfig::default()).await;
    let start = f.start().await;
    let nonce = start["challenge"]["nonce"].as_str().unwrap().to_owned();
    let last = f.play(&nonce, "wh_address_a", issued_ms(&start) + 50).await;
    assert_eq!(last["progress"]["completed"], 1, "{last}");
    assert_eq!(f.verify().await.json()["status"], "passed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gestures_in_the_wrong_order_fail() {
    let f = Flow::new(&[TurnRight, TurnLeft], her_document(), ServerConfig::default()).await;
    let start = f.start().await;
    let nonce = start["challenge"]["nonce"].as_str().unwrap().to_owned();
    f.play(&nonce, "intel_headpose_female", issued_ms(&start) + 100).await;
    let r = f.verify().await;
    assert_eq!(r.json(), json!({"status": "failed", "attemptsLeft": 4}));
    let l = &f.view().await["liveness"];
    assert_eq!(l["reasons"], json!(["wrong_gesture"]));
    assert!(l.get("faceMatch").is_none(), "no face match after failed gestures");
    let metrics = String::from_utf8(f.h.get("/metrics", "").await.body.to_vec()).unwrap();
    assert!(metrics.contains(r#"kyc_liveness_fails_total{reason="wrong_gesture"} 1"#), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_person_is_rejected() {
    // blinks performed by one man, document of somebody else
    let doc = id_card_with(&face_photo("img1.jpg"), 200);
    let f = Flow::new(&[Blink], doc, ServerConfig::default()).await;
    let start = f.start().await;
    let nonce = start["challenge"]["nonce"].as_str().unwrap().to_owned();
    f.play(&nonce, "wh_address_a", issued_ms(&start) + 50).await;
    assert_eq!(f.verify().await.json()["status"], "failed");
    let v = f.view().await;
    assert_eq!(v["status"], "rejected");
    let fm = &v["liveness"]["faceMatch"];
    assert!(fm["average"].as_f64().unwrap() < 60.0, "{fm}");
    assert!(
        fm["sameFaceMin"].as_f64().unwrap() >= 85.0,
        "the live face itself is consistent: {fm}"
    );
    assert_eq!(v["liveness"]["reasons"], json!(["face_mismatch"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_face_means_no_progress_and_a_timeout_fails() {
    let f = Flow::new(&[Blink, TurnLeft], her_document(), ServerConfig::default()).await;
    let start = f.start().await;
    let nonce = start["challenge"]["nonce"].as_str().unwrap().to_owned();
    let t0 = issued_ms(&start);
    let empty_room = jpeg(640, 480);
    for i in 0..5 {
        let r = f
            .frame(
                &nonce,
                &format!("n{i}"),
                &with_exif(&empty_room, (i + 1) as u16),
                t0 + 100 * (i + 1),
            )
            .await;
        assert_eq!(r.status, 200);
        let j = r.json();
        assert_eq!((j["faceFound"].as_bool(), j["faces"].as_u64()), (Some(false), Some(0)));
        assert_eq!(j["issues"], json!(["no_face"]));
        assert_eq!(j["progress"]["hint"]["kind"], "show_face");
    }
    f.verify().await.assert_error(409, "liveness_incomplete");
    f.h.clock.advance_ms(181_000);
    f.frame(&nonce, "late", &her_document(), t0 + 180_500)
        .await
        .assert_error(410, "challenge_expired");
    assert_eq!(f.verify().await.json(), json!({"status": "failed", "attemptsLeft": 4}));
    assert_eq!(f.view().await["liveness"]["reasons"], json!(["expired"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_are_idempotent_ordered_capped_and_bound_to_their_session() {
    let mut config = ServerConfig::default();
    config.liveness.max_frames_per_session = 4;
    let f = Flow::new(&[TurnLeft, TurnRight], her_document(), config).await;
    let start = f.start().await;
    let nonce = start["challenge"]["nonce"].as_str().unwrap().to_owned();
    let t0 = issued_ms(&start);
    let frames = clip("intel_headpose_female");
    let a = f.frame(&nonce, "f1", &frames[11].0, t0 + 100).await;
    assert_eq!(a.status, 200);
    assert!(a.json()["faceFound"].as_bool().unwrap());
    // same id, same bytes: the same answer; same id, other bytes: conflict
    assert_eq!(f.frame(&nonce, "f1", &frames[11].0, t0 + 100).await.json(), a.json());
    f.frame(&nonce, "f1", &frames[12].0, t0 + 150).await.assert_error(409, "frame_conflict");
    // timestamps must increase
    f.frame(&nonce, "f2", &frames[12].0, t0 + 50).await.assert_error(422, "frame_out_of_order");
    f.frame(&nonce, "f2", &frames[12].0, t0 - 1_000).await.assert_error(409, "frame_replayed");
    // the wrong nonce is another session's frame
    f.frame(&"ab".repeat(16), "f2", &frames[12].0, t0 + 200)
        .await
        .assert_error(409, "frame_replayed");
    // not an image
    f.frame(&nonce, "f2", b"GIF89a....", t0 + 200)
        .await
        .assert_error(415, "unsupported_media_type");
    f.frame(&nonce, "bad id!", &frames[12].0, t0 + 200).await.assert_error(400, "invalid_request");
    // (frames 13 and 14 of the clip are the same bytes)
    for (i, n) in [12usize, 14, 15].iter().enumerate() {
        assert_eq!(
            f.frame(&nonce, &format!("g{i}"), &frames[*n].0, t0 + 300 + 100 * i as i64)
                .await
                .status,
            200
        );
    }
    f.frame(&nonce, "g9", &frames[20].0, t0 + 900).await.assert_error(429, "frame_limit_exceeded");

    // a new session after this one failed cannot reuse its frames
    f.h.clock.advance_ms(181_000);
    assert_eq!(f.verify().await.json()["status"], "failed");
    let again = f.start().await;
    let nonce2 = again["challenge"]["nonce"].as_str().unwrap().to_owned();
    assert_ne!(nonce2, nonce);
    assert_eq!(again["attemptsLeft"], 4);
    let t1 = issued_ms(&again);
    f.frame(&nonce2, "h1", &frames[11].0, t1 + 100).await.assert_error(409, "frame_replayed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_is_idempotent_and_five_failures_lock_the_verification() {
    let f = Flow::new(&[TurnLeft, TurnRight], her_document(), ServerConfig::default()).await;
    let first = f.start().await;
    assert_eq!(f.start().await, first, "a running challenge is returned again");
    for attempt in 1..=5u64 {
        f.h.clock.advance_ms(181_000);
        let r = f.verify().await;
        assert_eq!(r.json()["attemptsLeft"], 5 - attempt);
        if attempt < 5 {
            assert_eq!(r.json()["status"], "failed");
            f.start().await;
        } else {
            assert_eq!(r.json()["status"], "review", "locked for review");
        }
    }
    let r = f.h.send(f.req("POST", "/start-liveness", Body::empty())).await;
    r.assert_error(423, "liveness_locked");
    let v = f.view().await;
    assert_eq!(v["status"], "review");
    assert_eq!(v["liveness"]["failedAttempts"], 5);
    assert_eq!(v["liveness"]["reasons"], json!(["expired", "too_many_attempts"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_endpoints_need_the_client_token_and_a_session() {
    let f = Flow::new(&[Blink, TurnLeft], her_document(), ServerConfig::default()).await;
    f.verify().await.assert_error(409, "liveness_not_started");
    let r =
        f.h.send(
            Request::post("/start-liveness")
                .header(header::AUTHORIZATION, format!("Bearer {}", f.sk))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    r.assert_error(403, "forbidden");
    f.h.send(Request::get("/verify").body(Body::empty()).unwrap())
        .await
        .assert_error(401, "unauthorized");
    // multipart frames work too
    let start = f.start().await;
    let nonce = start["challenge"]["nonce"].as_str().unwrap();
    let boundary = "frameBoundary";
    let frame = &clip("intel_headpose_female")[12].0;
    let mut body = Vec::new();
    for (name, value) in [("frameId", "m1"), ("nonce", nonce)] {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"f.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes());
    body.extend(frame);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = f
        .h
        .upload("/submit-frame", &f.ct, body, &format!("multipart/form-data; boundary={boundary}"))
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["frameId"], "m1");

    // Found by the security review: part headers did not count towards the
    // limit (a 153 MiB header-only body was read in full). 8 MiB of headers:
    let mut huge =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"image\"\r\n").into_bytes();
    while huge.len() < 8 << 20 {
        huge.extend_from_slice(
            b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
        );
    }
    let ct = format!("multipart/form-data; boundary={boundary}");
    // streamed without a length: cut off at the limit
    f.h.upload("/submit-frame", &f.ct, huge.clone(), &ct)
        .await
        .assert_error(413, "payload_too_large");
    // with a declared length: refused before reading
    let req = Request::post("/submit-frame")
        .header(header::AUTHORIZATION, format!("Bearer {}", f.ct))
        .header(header::CONTENT_TYPE, ct)
        .header(header::CONTENT_LENGTH, huge.len())
        .body(Body::from(huge))
        .unwrap();
    f.h.send(req).await.assert_error(413, "payload_too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_needs_the_document() {
    let h = Harness::with_face(ServerConfig::default(), Some(vec![Blink]));
    let sk = h.secret().await;
    let (_, ct) = h.verification(&sk).await;
    let f = Flow { h, sk, id: String::new(), ct };
    let start = f.start().await;
    let nonce = start["challenge"]["nonce"].as_str().unwrap().to_owned();
    f.play(&nonce, "wh_address_a", issued_ms(&start) + 50).await;
    f.verify().await.assert_error(409, "document_missing");
}

mod resilience {
    use super::*;
    use async_trait::async_trait;
    use kyc_server::{
        backend::face::{FaceAnalysis, FaceEngine, FaceImage, FaceMatch, ImageKind, ProviderError},
        service::jobs::run_due,
    };
    use std::sync::{
        Arc,
        atomic::{AtomicBool, AtomicU32, Ordering},
    };

    /// The real engine, with switches to make either call fail.
    #[derive(Debug)]
    struct Flaky {
        inner: kyc_server::backend::local::face::LocalFaceEngine,
        fail_analyze: AtomicBool,
        fail_compare: AtomicBool,
        calls: AtomicU32,
    }

    #[async_trait]
    impl FaceEngine for Flaky {
        fn name(&self) -> &str {
            self.inner.name()
        }
        async fn analyze(
            &self,
            image: &FaceImage,
            kind: ImageKind,
        ) -> Result<FaceAnalysis, ProviderError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.fail_analyze.load(Ordering::SeqCst) {
                return Err(ProviderError::Timeout);
            }
            self.inner.analyze(image, kind).await
        }
        async fn compare(
            &self,
            reference: (&FaceImage, ImageKind),
            probes: &[(FaceImage, ImageKind)],
        ) -> Result<Vec<Option<FaceMatch>>, ProviderError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.fail_compare.load(Ordering::SeqCst) {
                return Err(ProviderError::Timeout);
            }
            self.inner.compare(reference, probes).await
        }
    }

    async fn flaky_flow(
        config: ServerConfig,
        fixed: &[Gesture],
        doc: Vec<u8>,
    ) -> (Flow, Arc<Flaky>) {
        let flaky = Arc::new(Flaky {
            inner: face_engine(),
            fail_analyze: AtomicBool::new(false),
            fail_compare: AtomicBool::new(false),
            calls: AtomicU32::new(0),
        });
        let h = Harness::with_engine(config, Some(fixed.to_vec()), flaky.clone());
        (Flow::on(h, doc).await, flaky)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn repeated_engine_failures_open_the_breaker() {
        let mut config = ServerConfig::default();
        config.liveness.engine_breaker_failures = 3;
        config.liveness.engine_breaker_cooldown_secs = 60;
        let (f, flaky) = flaky_flow(config, &[Blink], her_document()).await;
        let start = f.start().await;
        let nonce = start["challenge"]["nonce"].as_str().unwrap().to_owned();
        let t0 = issued_ms(&start);
        flaky.fail_analyze.store(true, Ordering::SeqCst);
        let frame = &clip("intel_headpose_female")[12].0;
        for i in 0..3 {
            let r = f.frame(&nonce, &format!("x{i}"), frame, t0 + 100 + i).await;
            r.assert_error(503, "face_engine_unavailable");
            assert!(r.headers.contains_key("retry-after"));
        }
        let before = flaky.calls.load(Ordering::SeqCst);
        let r = f.frame(&nonce, "x9", frame, t0 + 200).await;
        r.assert_error(503, "face_engine_unavailable");
        let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((50..=60).contains(&retry), "{retry}");
        assert_eq!(
            flaky.calls.load(Ordering::SeqCst),
            before,
            "an open breaker does not call the engine"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_compare_becomes_a_job_then_a_dead_letter_then_a_pass() {
        let mut config = ServerConfig::default();
        config.liveness.engine_breaker_failures = 1000; // exercise the job path, not the breaker
        let doc = id_card_with(&clip("wh_address_b")[5].0, 240);
        let (f, flaky) = flaky_flow(config, &[Blink], doc).await;
        // the upload's OCR job is not what this test is about: finish it
        let queue = f.h.state.backends.jobs.clone();
        for j in queue.lease(f.h.clock.now_ts(), 60_000, 10).await.unwrap() {
            assert_eq!(j.kind, "ocr");
            queue.complete(&j).await.unwrap();
        }
        let start = f.start().await;
        let nonce = start["challenge"]["nonce"].as_str().unwrap().to_owned();
        f.play(&nonce, "wh_address_a", issued_ms(&start) + 50).await;

        flaky.fail_compare.store(true, Ordering::SeqCst);
        let r = f.verify().await;
        r.assert_error(503, "face_engine_unavailable");
        let jobs = f.h.state.backends.jobs.clone();
        assert_eq!(jobs.stats().await.unwrap().pending, 1, "the compare is queued");
        // a second verify while the engine is down does not queue a second job
        f.verify().await.assert_error(503, "face_engine_unavailable");
        assert_eq!(jobs.stats().await.unwrap().pending, 1);

        // the worker retries with backoff until the job is dead-lettered (8 attempts)
        for _ in 0..8 {
            f.h.clock.advance_ms(600_000);
            assert_eq!(run_due(&f.h.state, 10).await.unwrap(), 1);
        }
        assert_eq!(
            jobs.stats().await.unwrap(),
            kyc_server::backend::JobStats { pending: 0, dead: 1 }
        );
        let dead = jobs.dead_letters(10).await.unwrap();
        assert_eq!((dead[0].kind.as_str(), dead[0].attempts), ("face_match", 8));
        assert!(dead[0].last_error.contains("face engine"), "{}", dead[0].last_error);
        let metrics = String::from_utf8(f.h.get("/metrics", "").await.body.to_vec()).unwrap();
        assert!(
            metrics.contains(r#"kyc_jobs_total{kind="face_match",result="dead"} 1"#),
            "{metrics}"
        );
        // every attempt timed, whatever its result
        assert!(
            metrics.contains(r#"kyc_job_duration_seconds_count{kind="face_match"} 8"#),
            "{metrics}"
        );

        // the engine recovers; the operator replays the dead letter (kyc jobs dlq retry)
        flaky.fail_compare.store(false, Ordering::SeqCst);
        jobs.requeue_dead(&dead[0].id, f.h.clock.now_ts()).await.unwrap();
        assert_eq!(run_due(&f.h.state, 10).await.unwrap(), 1);
        assert_eq!(
            jobs.stats().await.unwrap(),
            kyc_server::backend::JobStats { pending: 0, dead: 0 }
        );
        // hours later the user's token has expired; the integrator mints a new one
        f.verify().await.assert_error(401, "unauthorized");
        let fresh =
            f.h.post_json(&format!("/v1/verifications/{}/client-token", f.id), &f.sk, "")
                .await
                .json();
        let f = Flow { ct: fresh["clientToken"].as_str().unwrap().to_owned(), ..f };
        assert_eq!(f.verify().await.json(), json!({"status": "passed", "attemptsLeft": 5}));
        assert_eq!(f.view().await["status"], "liveness_passed");
    }
}
