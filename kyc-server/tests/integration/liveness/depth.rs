//! A flat face cannot turn: one still warped into a fake head turn, over
//! HTTP, against the real engine and against an engine whose pose
//! estimate is fooled.

use super::attacks::nonce;
use super::{Flow, her_document, issued_ms};
use crate::harness::*;
use async_trait::async_trait;
use kyc_core::challenge::Gesture::TurnLeft;
use kyc_server::{
    ServerConfig,
    backend::face::{FaceAnalysis, FaceEngine, FaceImage, FaceMatch, ImageKind, ProviderError},
    fixtures::clip,
};
use serde_json::json;
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

/// `bytes` as a plane turned `theta_deg` about the vertical axis, seen
/// by a camera of focal length `f` pixels: a printed photo tilted in front
/// of the camera, or a still warped to fake a head turn.
fn tilted(bytes: &[u8], theta_deg: f32, f: f32, quality: u8) -> Vec<u8> {
    let src = image::load_from_memory(bytes).unwrap().to_rgb8();
    let (w, h) = src.dimensions();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (s, c) = theta_deg.to_radians().sin_cos();
    let out = image::RgbImage::from_fn(w, h, |u, v| {
        // inverse of u = cx + f·X·cos/(f + X·sin), v = cy + f·(y − cy)/(f + X·sin)
        let uu = u as f32 - cx;
        let x = uu * f / (f * c - uu * s);
        let z = f + x * s;
        let (sx, sy) = (cx + x, cy + (v as f32 - cy) * z / f);
        if sx < 0.0 || sy < 0.0 || sx >= (w - 1) as f32 || sy >= (h - 1) as f32 || z <= 0.0 {
            return image::Rgb([0, 0, 0]);
        }
        let (x0, y0) = (sx as u32, sy as u32);
        let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
        let px = |x, y| src.get_pixel(x, y).0.map(f32::from);
        let (a, b, cc, d) = (px(x0, y0), px(x0 + 1, y0), px(x0, y0 + 1), px(x0 + 1, y0 + 1));
        image::Rgb(std::array::from_fn(|k| {
            let top = a[k] + (b[k] - a[k]) * fx;
            let bottom = cc[k] + (d[k] - cc[k]) * fx;
            (top + (bottom - top) * fy).round() as u8
        }))
    });
    let mut buf = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality)
        .encode_image(&out)
        .unwrap();
    buf.into_inner()
}

/// Her frontal frame as a plane turning to one side and back: the angles
/// of a head turn, every frame with bytes of its own.
fn fake_turn(angles: &[f32]) -> Vec<Vec<u8>> {
    let still = &clip("intel_headpose_female")[11].0;
    angles.iter().enumerate().map(|(i, a)| tilted(still, *a, 400.0, 60 + i as u8)).collect()
}

const TURN: [f32; 16] =
    [0.0, 0.0, 0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 60.0, 50.0, 40.0, 30.0, 20.0, 10.0, 0.0];

/// On the real engine the warped still never even turns: the pose
/// estimate of a tilted plane stays near frontal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_still_warped_into_a_fake_turn_never_turns() {
    let f = Flow::new(&[TurnLeft], her_document(), ServerConfig::default()).await;
    let start = f.start().await;
    let mut angles = TURN.to_vec();
    angles.extend(TURN.iter().map(|a| -a));
    f.send_all(&nonce(&start), "w", &fake_turn(&angles), issued_ms(&start) + 100).await;
    f.verify().await.assert_error(409, "liveness_incomplete");
    f.h.clock.advance_ms(181_000);
    assert_eq!(f.verify().await.json()["status"], "failed");
    let l = &f.view().await["liveness"];
    assert_eq!(l["reasons"], json!(["expired"]), "{l}");
    let peak = l["gestures"][0]["peak"].as_f64().unwrap_or(0.0);
    assert!(peak < 20.0, "a tilted plane reached a turn: {l}");
}

/// The real engine, except that live frames get the yaw of a script: a
/// pose estimator fooled into seeing a turn.
#[derive(Debug)]
struct FooledPose {
    inner: kyc_server::backend::local::face::LocalFaceEngine,
    yaws: Vec<f32>,
    frames: AtomicUsize,
}

#[async_trait]
impl FaceEngine for FooledPose {
    fn name(&self) -> &str {
        self.inner.name()
    }
    async fn analyze(
        &self,
        image: &FaceImage,
        kind: ImageKind,
    ) -> Result<FaceAnalysis, ProviderError> {
        let mut a = self.inner.analyze(image, kind).await?;
        if kind == ImageKind::LiveFrame {
            let i = self.frames.fetch_add(1, Ordering::SeqCst);
            let yaw = self.yaws.get(i).copied();
            if let (Some(yaw), Some(pose)) =
                (yaw, a.faces.first_mut().and_then(|f| f.pose.as_mut()))
            {
                pose.yaw_deg = yaw;
            }
        }
        Ok(a)
    }
    async fn compare(
        &self,
        reference: (&FaceImage, ImageKind),
        probes: &[(FaceImage, ImageKind)],
    ) -> Result<Vec<Option<FaceMatch>>, ProviderError> {
        self.inner.compare(reference, probes).await
    }
}

async fn fooled_flow(yaws: Vec<f32>) -> Flow {
    let engine = Arc::new(FooledPose { inner: face_engine(), yaws, frames: AtomicUsize::new(0) });
    let h = Harness::with_engine(ServerConfig::default(), Some(vec![TurnLeft]), engine);
    Flow::on(h, her_document()).await
}

/// Where the pose estimate is fooled, the turn completes, and the depth
/// rule fails the attempt: the turned frames lie on one plane.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flat_face_cannot_turn_even_when_the_pose_estimator_is_fooled() {
    let f = fooled_flow(TURN.to_vec()).await;
    let start = f.start().await;
    f.send_all(&nonce(&start), "w", &fake_turn(&TURN), issued_ms(&start) + 100).await;
    let r = f.verify().await.json();
    assert_eq!(r["status"], "failed", "{r}");
    let l = &f.view().await["liveness"];
    assert_eq!(l["gestures"][0]["state"], "done", "the fooled turn completed: {l}");
    assert_eq!(l["reasons"], json!(["flat_face"]), "{l}");
    let depth = &l["faceMatch"]["depth"];
    assert!(depth["framesMeasured"].as_u64().unwrap() >= 6, "{depth}");
    assert!(depth["medianParallax"].as_f64().unwrap() < 0.15, "{depth}");
    // it is her, in one place: neither identity nor continuity caught it
    let id = &l["faceMatch"]["identity"];
    assert!(id["lowest"][1].as_f64().unwrap() >= 85.0 && id["jumpFrame"].is_null(), "{id}");
    assert!(l["faceMatch"]["average"].is_null(), "no document match for a flat face: {l}");
}

/// Her real head turn passes the same rule: real turned frames have depth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_turn_has_depth_under_the_same_rule() {
    // her frontal frame 12, then her left turn (yaw up to +33°) and back
    let frames = super::attacks::unique("intel_headpose_female", 11..24);
    let f = Flow::new(&[TurnLeft], her_document(), ServerConfig::default()).await;
    let start = f.start().await;
    f.send_all(&nonce(&start), "w", &frames, issued_ms(&start) + 100).await;
    let r = f.verify().await.json();
    assert_eq!(r["status"], "passed", "{r}: {}", f.view().await["liveness"]);
    let depth = &f.view().await["liveness"]["faceMatch"]["depth"];
    assert!(depth["framesMeasured"].as_u64().unwrap() >= 4, "{depth}");
    assert!(depth["medianParallax"].as_f64().unwrap() >= 0.15, "{depth}");
}
