//! Storage failures, crash safety, encryption at rest, metrics.

use crate::harness::*;
use async_trait::async_trait;
use bytes::Bytes;
use kyc_core::{Timestamp, VerificationId};
use kyc_server::{
    AppState, Backends, ServerConfig, app,
    backend::{
        CreateOutcome, IdempotencyClaim, NewJob, ObjectKey, ObjectMeta, ObjectStore, PutMode,
        StoreError, StoredObject, Verification, VerificationStore,
        memory::{MemoryJobQueue, MemoryObjectStore, MemoryVerificationStore},
    },
};
use std::sync::{
    Arc,
    atomic::{AtomicU32, Ordering},
};

/// An object store whose `put` fails `failures` times with a retryable error.
#[derive(Debug)]
struct FlakyObjects {
    inner: MemoryObjectStore,
    failures: AtomicU32,
    puts: AtomicU32,
}

#[async_trait]
impl ObjectStore for FlakyObjects {
    async fn put(
        &self,
        key: &ObjectKey,
        body: Bytes,
        meta: &ObjectMeta,
        mode: PutMode,
    ) -> Result<(), StoreError> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err(StoreError::unavailable(std::io::Error::other("disk busy")));
        }
        self.inner.put(key, body, meta, mode).await
    }
    async fn get(&self, key: &ObjectKey) -> Result<StoredObject, StoreError> {
        self.inner.get(key).await
    }
    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        self.inner.delete(key).await
    }
    async fn erase_verification(&self, id: &VerificationId) -> Result<(), StoreError> {
        self.inner.erase_verification(id).await
    }
}

fn fast_retries() -> ServerConfig {
    let mut c = ServerConfig::default();
    c.storage.retry_attempts = 3;
    c.storage.retry_base_ms = 1;
    c
}

fn with_objects(objects: Arc<dyn ObjectStore>) -> Harness {
    Harness::with(fast_retries(), Backends { objects, ..Backends::memory() })
}

#[tokio::test]
async fn transient_storage_failures_are_retried() {
    let flaky = Arc::new(FlakyObjects {
        inner: MemoryObjectStore::new(),
        failures: AtomicU32::new(2),
        puts: AtomicU32::new(0),
    });
    let h = with_objects(flaky.clone());
    let sk = h.secret().await;
    let (_, ct) = h.verification(&sk).await;
    assert_eq!(h.upload("/upload-id", &ct, document_photo(0), "image/jpeg").await.status, 200);
    assert_eq!(flaky.puts.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn persistent_storage_failure_is_503_and_recoverable() {
    let flaky = Arc::new(FlakyObjects {
        inner: MemoryObjectStore::new(),
        failures: AtomicU32::new(1000),
        puts: AtomicU32::new(0),
    });
    let h = with_objects(flaky.clone());
    let sk = h.secret().await;
    let (id, ct) = h.verification(&sk).await;
    let photo = document_photo(0);
    let r = h.upload("/upload-id", &ct, photo.clone(), "image/jpeg").await;
    r.assert_error(503, "storage_unavailable");
    assert!(r.headers.contains_key("retry-after"));
    assert_eq!(flaky.puts.load(Ordering::SeqCst), 4, "first attempt + 3 retries");
    let v = h.get(&format!("/v1/verifications/{id}"), &sk).await.json();
    assert!(v.get("document").is_none(), "no record points at an object that was never written");
    let metrics = String::from_utf8(h.get("/metrics", &sk).await.body.to_vec()).unwrap();
    assert!(
        metrics.contains(r#"kyc_upload_errors_total{code="storage_unavailable"} 1"#),
        "{metrics}"
    );

    // storage comes back: the client's retry finishes the upload
    flaky.failures.store(0, Ordering::SeqCst);
    assert_eq!(h.upload("/upload-id", &ct, photo.clone(), "image/jpeg").await.status, 200);
    assert_eq!(h.get(&format!("/v1/verifications/{id}/document"), &sk).await.body, photo);
}

/// A verification store that fails updates that would record a document
/// (as if the process died between writing the object and the record).
#[derive(Debug)]
struct CrashBeforeCommit {
    inner: MemoryVerificationStore,
    armed: AtomicU32,
}

#[async_trait]
impl VerificationStore for CrashBeforeCommit {
    async fn create(
        &self,
        v: &Verification,
        i: Option<&IdempotencyClaim>,
    ) -> Result<CreateOutcome, StoreError> {
        self.inner.create(v, i).await
    }
    async fn get(&self, id: &VerificationId) -> Result<Verification, StoreError> {
        self.inner.get(id).await
    }
    async fn update(&self, v: &Verification) -> Result<Verification, StoreError> {
        self.update_with_jobs(v, &[]).await
    }
    async fn update_with_jobs(
        &self,
        v: &Verification,
        jobs: &[NewJob],
    ) -> Result<Verification, StoreError> {
        if v.document.is_some() && self.armed.load(Ordering::SeqCst) > 0 {
            self.armed.fetch_sub(1, Ordering::SeqCst);
            return Err(StoreError::Unavailable { retryable: false, source: None });
        }
        self.inner.update_with_jobs(v, jobs).await
    }
    async fn delete(&self, id: &VerificationId) -> Result<(), StoreError> {
        self.inner.delete(id).await
    }
    async fn list_expired(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<VerificationId>, StoreError> {
        self.inner.list_expired(now, limit).await
    }
}

#[tokio::test]
async fn a_crash_between_object_and_record_is_finished_by_a_retry() {
    let jobs = Arc::new(MemoryJobQueue::new());
    let store = Arc::new(CrashBeforeCommit {
        inner: MemoryVerificationStore::with_outbox(jobs.clone()),
        armed: AtomicU32::new(1),
    });
    let h = Harness::with(
        fast_retries(),
        Backends { verifications: store, jobs, ..Backends::memory() },
    );
    let sk = h.secret().await;
    let (id, ct) = h.verification(&sk).await;
    let photo = document_photo(1);
    h.upload("/upload-id", &ct, photo.clone(), "image/jpeg")
        .await
        .assert_error(503, "storage_unavailable");
    let v = h.get(&format!("/v1/verifications/{id}"), &sk).await.json();
    assert_eq!(v["status"], "created");
    assert!(v.get("document").is_none());
    // a different image cannot sneak in while the first upload is unfinished
    h.upload("/upload-id", &ct, document_photo(2), "image/jpeg")
        .await
        .assert_error(409, "document_already_uploaded");
    // the retry of the same image completes it
    assert_eq!(h.upload("/upload-id", &ct, photo.clone(), "image/jpeg").await.status, 200);
    assert_eq!(h.get(&format!("/v1/verifications/{id}/document"), &sk).await.body, photo);
    // and after five minutes a stale claim no longer blocks anyone
    let (id2, ct2) = h.verification(&sk).await;
    let store2 = h.state.backends.verifications.clone();
    let mut v2 = store2.get(&id2.parse().unwrap()).await.unwrap();
    v2.upload_claim =
        Some(kyc_server::backend::UploadClaim { sha256: "00".repeat(32), at: h.clock.now_ts() });
    store2.update(&v2).await.unwrap();
    h.upload("/upload-id", &ct2, photo.clone(), "image/jpeg")
        .await
        .assert_error(409, "document_already_uploaded");
    h.clock.advance_ms(5 * 60 * 1000);
    assert_eq!(h.upload("/upload-id", &ct2, photo, "image/jpeg").await.status, 200);
}

fn all_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(all_files(&p)) } else { out.push(p) }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_on_disk_holds_the_plaintext_image_and_erasure_shreds_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig { data_dir: dir.path().join("data"), ..Default::default() };
    let (state, _local) = AppState::local(config, None).unwrap();
    assert_eq!(
        state.face.name(),
        "local-onnx/dlib-resnet-v1",
        "kyc serve runs the local face engine"
    );
    let h = Harness {
        app: app(state.clone()),
        clock: Arc::new(kyc_server::clock::ManualClock::new(Timestamp::from_unix_millis(T0))),
        state,
    };
    let sk = h.secret().await;
    let (id, ct) = h.verification(&sk).await;
    let photo = document_photo(7);
    assert_eq!(h.upload("/upload-id", &ct, photo.clone(), "image/jpeg").await.status, 200);
    assert_eq!(h.get(&format!("/v1/verifications/{id}/document"), &sk).await.body, photo);

    // any 64-byte window of the image, anywhere under the data directory?
    let windows: Vec<&[u8]> =
        [100usize, photo.len() / 2, photo.len() - 100].iter().map(|&i| &photo[i..i + 64]).collect();
    let files = all_files(&config_dir(&h));
    assert!(files.iter().any(|f| f.to_string_lossy().contains("kyc-id-uploads")), "{files:?}");
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for w in &windows {
            assert!(!contains(&bytes, w), "{} holds plaintext image bytes", f.display());
        }
        assert!(!contains(&bytes, b"JFIF"), "{}", f.display());
    }
    let object =
        files.iter().find(|f| f.to_string_lossy().contains("kyc-id-uploads")).unwrap().clone();
    let stolen = std::fs::read(&object).unwrap();

    let req = axum::http::Request::delete(format!("/v1/verifications/{id}"))
        .header("authorization", format!("Bearer {sk}"))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(h.send(req).await.status, 204);
    let after = all_files(&config_dir(&h));
    assert!(
        !after.iter().any(|f| f.to_string_lossy().contains(&id)),
        "erased files remain: {after:?}"
    );
    // a copy taken before erasure can no longer be decrypted: its data key is gone
    std::fs::create_dir_all(object.parent().unwrap()).unwrap();
    std::fs::write(&object, &stolen).unwrap();
    let key = ObjectKey::id_upload(id.parse().unwrap());
    assert!(h.state.backends.objects.get(&key).await.is_err());
}

/// Found by the security review: erasure left the liveness session and frame
/// rows, and erased `externalRef`/`metadata` text stayed in `kyc.db-wal`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_removes_liveness_rows_and_leaves_no_erased_text_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig { data_dir: dir.path().join("data"), ..Default::default() };
    let (state, _local) = AppState::local(config, None).unwrap();
    let h = Harness {
        app: app(state.clone()),
        clock: Arc::new(kyc_server::clock::ManualClock::new(Timestamp::from_unix_millis(T0))),
        state,
    };
    let sk = h.secret().await;
    let body = r#"{"externalRef":"ERASE-ME-REF-7734","metadata":{"note":"ERASE-ME-META-1191"}}"#;
    let r = h.post_json("/v1/verifications", &sk, body).await;
    assert_eq!(r.status, 201);
    let (id, ct) = (
        r.json()["verificationId"].as_str().unwrap().to_owned(),
        r.json()["clientToken"].as_str().unwrap().to_owned(),
    );
    let vid: VerificationId = id.parse().unwrap();
    assert_eq!(h.upload("/upload-id", &ct, document_photo(7), "image/jpeg").await.status, 200);
    let start = h.post_json("/start-liveness", &ct, "{}").await;
    assert_eq!(start.status, 200);
    let nonce = start.json()["challenge"]["nonce"].as_str().unwrap().to_owned();
    let frame = &kyc_server::fixtures::clip("wh_address_a")[0].0;
    let sha: String =
        <sha2::Sha256 as sha2::Digest>::digest(frame).iter().map(|b| format!("{b:02x}")).collect();
    let submit = serde_json::json!({
        "frameId": "f1",
        "nonce": nonce,
        "image": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, frame),
    });
    assert_eq!(h.post_json("/submit-frame", &ct, &submit.to_string()).await.status, 200);
    let liveness = h.state.backends.liveness.clone();
    assert!(liveness.latest_session(&vid).await.unwrap().is_some());
    assert!(liveness.frame_by_hash(&sha).await.unwrap().is_some());

    let req = axum::http::Request::delete(format!("/v1/verifications/{id}"))
        .header("authorization", format!("Bearer {sk}"))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(h.send(req).await.status, 204);
    assert!(liveness.latest_session(&vid).await.unwrap().is_none(), "the session survived");
    assert!(liveness.frame_by_hash(&sha).await.unwrap().is_none(), "a frame row survived");
    for f in all_files(&config_dir(&h)) {
        let bytes = std::fs::read(&f).unwrap();
        for text in [&b"ERASE-ME-REF-7734"[..], b"ERASE-ME-META-1191", nonce.as_bytes()] {
            assert!(!contains(&bytes, text), "{} still holds erased text", f.display());
        }
    }
}

/// Found by the security review: an existing 0755 data directory kept a
/// world-readable `kyc.db`.
#[cfg(unix)]
#[test]
fn an_existing_open_data_dir_is_tightened_on_start() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = ServerConfig { data_dir: data.clone(), ..Default::default() };
    drop(AppState::local(config.clone(), None).unwrap());
    std::fs::set_permissions(data.join("kyc.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(AppState::local(config, None).unwrap());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    for f in all_files(&data).iter().filter(|f| f.to_string_lossy().contains("kyc.db")) {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
}

fn config_dir(h: &Harness) -> std::path::PathBuf {
    h.state.config.data_dir.clone()
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let h = Harness::new();
    let sk = h.secret().await;
    assert_eq!(h.get("/healthz", "").await.json()["status"], "ok");
    assert_eq!(h.get("/readyz", "").await.json()["status"], "ready");
    let (_, ct) = h.verification(&sk).await;
    h.upload("/upload-id", &ct, b"GIF89a".to_vec(), "image/gif")
        .await
        .assert_error(415, "unsupported_media_type");
    let m = h.get("/metrics", "").await;
    assert!(
        m.headers["content-type"].to_str().unwrap().starts_with("application/openmetrics-text")
    );
    let text = String::from_utf8(m.body.to_vec()).unwrap();
    assert!(text.contains(r#"kyc_upload_errors_total{code="unsupported_media_type"} 1"#), "{text}");
    assert!(
        text.contains(
            r#"kyc_http_requests_total{method="POST",route="/v1/verifications",status="201"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("kyc_http_request_duration_seconds_bucket"));
    assert!(!text.contains(&sk), "no secrets in metrics");
}

/// Every update loses an optimistic-concurrency race.
#[derive(Debug)]
struct AlwaysContended(MemoryVerificationStore);

#[async_trait]
impl VerificationStore for AlwaysContended {
    async fn create(
        &self,
        v: &Verification,
        i: Option<&IdempotencyClaim>,
    ) -> Result<CreateOutcome, StoreError> {
        self.0.create(v, i).await
    }
    async fn get(&self, id: &VerificationId) -> Result<Verification, StoreError> {
        self.0.get(id).await
    }
    async fn update(&self, _: &Verification) -> Result<Verification, StoreError> {
        Err(StoreError::Conflict)
    }
    async fn update_with_jobs(
        &self,
        _: &Verification,
        _: &[NewJob],
    ) -> Result<Verification, StoreError> {
        Err(StoreError::Conflict)
    }
    async fn delete(&self, id: &VerificationId) -> Result<(), StoreError> {
        self.0.delete(id).await
    }
    async fn list_expired(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<VerificationId>, StoreError> {
        self.0.list_expired(now, limit).await
    }
}

#[tokio::test]
async fn endless_write_contention_is_a_409_conflict() {
    let h = Harness::with(
        fast_retries(),
        Backends {
            verifications: Arc::new(AlwaysContended(MemoryVerificationStore::new())),
            ..Backends::memory()
        },
    );
    let sk = h.secret().await;
    let (_, ct) = h.verification(&sk).await;
    h.upload("/upload-id", &ct, document_photo(0), "image/jpeg")
        .await
        .assert_error(409, "conflict");
}

/// An audit log whose backend fails with an error that must not leak.
#[derive(Debug)]
struct BrokenAudit;

#[async_trait]
impl kyc_server::backend::AuditLog for BrokenAudit {
    async fn append(
        &self,
        _: kyc_core::audit::AuditEvent,
    ) -> Result<kyc_core::audit::AuditRecord, StoreError> {
        Err(StoreError::backend(std::io::Error::other("corrupt page in /var/lib/secret/kyc.db")))
    }
    async fn for_verification(
        &self,
        _: &VerificationId,
    ) -> Result<Vec<kyc_core::audit::AuditRecord>, StoreError> {
        Ok(vec![])
    }
    async fn head(&self) -> Result<Option<kyc_core::audit::AuditRecord>, StoreError> {
        Ok(None)
    }
    async fn scan(
        &self,
        _: u64,
        _: usize,
    ) -> Result<Vec<kyc_core::audit::AuditRecord>, StoreError> {
        Ok(vec![])
    }
}

#[tokio::test]
async fn internal_errors_answer_500_without_details() {
    let h = Harness::with(
        fast_retries(),
        Backends { audit: Arc::new(BrokenAudit), ..Backends::memory() },
    );
    let sk = h.secret().await;
    let r = h.post_json("/v1/verifications", &sk, "{}").await;
    r.assert_error(500, "internal");
    assert_eq!(r.json()["message"], "internal error");
    assert!(!String::from_utf8_lossy(&r.body).contains("secret"));
}
