//! Test harness: an app over chosen backends with a manual clock.

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use bytes::Bytes;
use http_body_util::BodyExt;
use kyc_core::{Timestamp, api::v1::KeyKind};
use kyc_server::{AppState, Backends, ServerConfig, app, auth::generate_key, clock::ManualClock};
use serde_json::Value;
use std::{io::Cursor, path::PathBuf, sync::Arc};
use tower::ServiceExt;

pub(crate) const T0: i64 = 1_764_064_800_000; // 2025-11-25T10:00:00Z

pub(crate) struct Harness {
    pub(crate) state: AppState,
    pub(crate) app: Router,
    pub(crate) clock: Arc<ManualClock>,
}

pub(crate) struct Response {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Response {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {:?}", String::from_utf8_lossy(&self.body)))
    }

    /// Asserts an error response with `code`.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", String::from_utf8_lossy(&self.body));
        let j = self.json();
        assert_eq!(j["code"], code, "{j}");
        assert!(j["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(
            j.as_object().unwrap().len(),
            2,
            "error bodies have exactly code and message: {j}"
        );
    }
}

impl Harness {
    pub(crate) fn new() -> Self {
        Self::with(ServerConfig::default(), Backends::memory())
    }

    pub(crate) fn with_config(config: ServerConfig) -> Self {
        Self::with(config, Backends::memory())
    }

    pub(crate) fn with(config: ServerConfig, backends: Backends) -> Self {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_millis(T0)));
        let state = AppState::new(config, backends, clock.clone(), [7u8; 32]);
        Self { app: app(state.clone()), state, clock }
    }

    pub(crate) async fn key(&self, kind: KeyKind, origins: &[&str]) -> String {
        let g = generate_key(
            kind,
            origins.iter().map(|s| s.to_string()).collect(),
            self.clock.now_ts(),
        );
        self.state.backends.keys.insert(&g.record).await.unwrap();
        g.key
    }

    pub(crate) async fn secret(&self) -> String {
        self.key(KeyKind::Secret, &[]).await
    }

    pub(crate) async fn send(&self, req: Request<Body>) -> Response {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        Response { status, headers, body }
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> Response {
        self.send(
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub(crate) async fn post_json(&self, path: &str, token: &str, body: &str) -> Response {
        let req = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap();
        self.send(req).await
    }

    pub(crate) async fn upload(
        &self,
        path: &str,
        token: &str,
        bytes: impl Into<Bytes>,
        content_type: &str,
    ) -> Response {
        let req = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(bytes.into()))
            .unwrap();
        self.send(req).await
    }

    /// Creates a verification; returns (id, client token).
    pub(crate) async fn verification(&self, secret: &str) -> (String, String) {
        let r = self.post_json("/v1/verifications", secret, "{}").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&r.body));
        let j = r.json();
        (
            j["verificationId"].as_str().unwrap().to_owned(),
            j["clientToken"].as_str().unwrap().to_owned(),
        )
    }
}

pub(crate) trait ClockExt {
    fn now_ts(&self) -> Timestamp;
}

impl ClockExt for ManualClock {
    fn now_ts(&self) -> Timestamp {
        kyc_server::clock::Clock::now(self)
    }
}

/// A real document photo from the shared test set (`../shared/data/documents/generated`).
pub(crate) fn document_photo(index: usize) -> Vec<u8> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/documents/generated");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    files.sort();
    std::fs::read(&files[index % files.len()]).unwrap()
}

/// A synthetic JPEG of `w`×`h`.
pub(crate) fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&img).unwrap();
    out.into_inner()
}

/// A synthetic PNG of `w`×`h` with a text chunk carrying "personal" metadata.
pub(crate) fn png_with_text(w: u32, h: u32) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 200) as u8, (y % 200) as u8, 30]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    let png = out.into_inner();
    // insert a tEXt chunk after IHDR (8 + 25 bytes)
    let data = b"Author\0Jane Q. Citizen";
    let mut chunk = Vec::new();
    chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
    chunk.extend_from_slice(b"tEXt");
    chunk.extend_from_slice(data);
    let crc = crc32(&[b"tEXt".as_slice(), data].concat());
    chunk.extend_from_slice(&crc.to_be_bytes());
    [&png[..33], &chunk, &png[33..]].concat()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

/// Inserts an EXIF APP1 segment with GPS-like content and `orientation` after SOI.
pub(crate) fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = vec![b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0];
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    tiff.extend_from_slice(b"GPSLatitude 48.8584 N GPSLongitude 2.2945 E");
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
