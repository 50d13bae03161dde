//! Conformance suites: one per backend trait, checking every sentence of its
//! contract. Any implementation (memory, local, AWS, or yours) runs them:
//!
//! ```no_run
//! # async fn demo() {
//! use kyc_backend::{memory::MemoryObjectStore, testing};
//! testing::object_store_suite(&MemoryObjectStore::new()).await;
//! # }
//! ```
//!
//! Failures panic with a message naming the broken rule (this module is test
//! support, enabled by the `testing` feature).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::util::join_all;
use crate::*;
use kyc_core::{
    Timestamp, VerificationId,
    api::v1::{KeyKind, Step, StepStatus, VerificationStatus},
    audit::{AuditEvent, ChainKey, ChainVerifier, Checkpoint},
};
use std::collections::BTreeMap;

/// A fresh random verification id.
pub fn new_id() -> VerificationId {
    VerificationId::generate(&mut rand::rng())
}

/// A verification record for tests.
pub fn sample_verification(id: VerificationId, expires_at: Timestamp) -> Verification {
    Verification {
        id,
        version: 1,
        status: VerificationStatus::Created,
        created_at: Timestamp::from_unix_millis(1_764_064_800_000),
        expires_at,
        owner_key_id: "k_owner".into(),
        account: "acme".into(),
        external_ref: Some("cust-1".into()),
        metadata: BTreeMap::from([("plan".into(), "gold".into())]),
        document: None,
        upload_claim: None,
        liveness: None,
        failed_liveness_attempts: 0,
        needs_review: false,
        review_reasons: Vec::new(),
        screening: None,
    }
}

fn meta(ct: &str) -> ObjectMeta {
    ObjectMeta { content_type: ct.into() }
}

/// [`ObjectStore`] contract.
pub async fn object_store_suite(store: &dyn ObjectStore) {
    let id = new_id();
    let key = ObjectKey::id_upload(id);

    assert!(
        matches!(store.get(&key).await, Err(StoreError::NotFound)),
        "get of a missing key is NotFound"
    );

    let body = Bytes::from_static(b"\xFF\xD8\xFFfirst body");
    store.put(&key, body.clone(), &meta("image/jpeg"), PutMode::Create).await.unwrap();
    let got = store.get(&key).await.unwrap();
    assert_eq!(got.body, body, "get returns the exact bytes put");
    assert_eq!(got.meta, meta("image/jpeg"), "get returns the metadata put");

    let other = Bytes::from_static(b"second body");
    assert!(
        matches!(
            store.put(&key, other.clone(), &meta("image/png"), PutMode::Create).await,
            Err(StoreError::Conflict)
        ),
        "Create on an existing key is Conflict"
    );
    assert_eq!(
        store.get(&key).await.unwrap().body,
        body,
        "a failed Create leaves the object as it was"
    );

    store.put(&key, other.clone(), &meta("image/png"), PutMode::Overwrite).await.unwrap();
    let got = store.get(&key).await.unwrap();
    assert_eq!(
        (got.body, got.meta),
        (other, meta("image/png")),
        "Overwrite replaces body and metadata"
    );

    let big = Bytes::from(vec![0xA5u8; 3 * 1024 * 1024]);
    let key2 = ObjectKey::id_upload(new_id());
    store.put(&key2, big.clone(), &meta("image/jpeg"), PutMode::Overwrite).await.unwrap();
    assert_eq!(store.get(&key2).await.unwrap().body, big, "large objects round-trip");

    store.delete(&key).await.unwrap();
    assert!(matches!(store.get(&key).await, Err(StoreError::NotFound)), "deleted objects are gone");
    store.delete(&key).await.unwrap();

    // erasure is per verification and idempotent
    store
        .put(&key, Bytes::from_static(b"again"), &meta("image/jpeg"), PutMode::Create)
        .await
        .unwrap();
    store.erase_verification(&id).await.unwrap();
    assert!(
        matches!(store.get(&key).await, Err(StoreError::NotFound)),
        "erase removes the objects"
    );
    assert_eq!(store.get(&key2).await.unwrap().body, big, "erase leaves other verifications alone");
    store.erase_verification(&id).await.unwrap();
    store
        .put(&key, Bytes::from_static(b"after erase"), &meta("image/jpeg"), PutMode::Create)
        .await
        .unwrap();
    assert_eq!(
        &store.get(&key).await.unwrap().body[..],
        b"after erase",
        "an erased id can store again"
    );

    // concurrent creates: exactly one wins
    let key3 = ObjectKey::id_upload(new_id());
    let results = futures_join(store, key3).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "exactly one concurrent Create wins"
    );
    assert!(results.iter().all(|r| r.is_ok() || matches!(r, Err(StoreError::Conflict))));
}

async fn futures_join(store: &dyn ObjectStore, key: ObjectKey) -> Vec<Result<(), StoreError>> {
    let m = meta("image/jpeg");
    let bodies: Vec<Bytes> = (0..8u8).map(|i| Bytes::from(vec![i; 1000])).collect();
    join_all(bodies.into_iter().map(|b| store.put(&key, b, &m, PutMode::Create))).await
}

/// [`VerificationStore`] contract.
pub async fn verification_store_suite(store: &dyn VerificationStore) {
    let t = |ms: i64| Timestamp::from_unix_millis(1_764_064_800_000 + ms);
    let v = sample_verification(new_id(), t(1000));
    assert!(matches!(store.get(&v.id).await, Err(StoreError::NotFound)));
    assert_eq!(store.create(&v, None).await.unwrap(), CreateOutcome::Created);
    assert_eq!(store.get(&v.id).await.unwrap(), v, "get returns what was created");
    assert!(
        matches!(store.create(&v, None).await, Err(StoreError::Conflict)),
        "duplicate id is Conflict"
    );

    // optimistic concurrency
    let mut changed = v.clone();
    changed.status = VerificationStatus::DocumentUploaded;
    let stored = store.update(&changed).await.unwrap();
    assert_eq!(stored.version, 2, "update bumps the version");
    assert_eq!(store.get(&v.id).await.unwrap(), stored);
    assert!(
        matches!(store.update(&changed).await, Err(StoreError::Conflict)),
        "a stale version is Conflict"
    );
    let ghost = sample_verification(new_id(), t(0));
    assert!(
        matches!(store.update(&ghost).await, Err(StoreError::NotFound)),
        "update of a missing id is NotFound"
    );

    // idempotency claims
    let claim = IdempotencyClaim {
        owner_key_id: "k1".into(),
        key: "idem-1".into(),
        request_hash: "h1".into(),
    };
    let a = sample_verification(new_id(), t(2000));
    assert_eq!(store.create(&a, Some(&claim)).await.unwrap(), CreateOutcome::Created);
    let b = sample_verification(new_id(), t(2000));
    match store.create(&b, Some(&claim)).await.unwrap() {
        CreateOutcome::Existing { verification, same_request } => {
            assert_eq!(
                verification.id, a.id,
                "a reused idempotency key returns the first verification"
            );
            assert!(same_request);
        }
        other => panic!("expected Existing, got {other:?}"),
    }
    assert!(
        matches!(store.get(&b.id).await, Err(StoreError::NotFound)),
        "nothing is created on replay"
    );
    let changed_body = IdempotencyClaim { request_hash: "h2".into(), ..claim.clone() };
    assert!(matches!(
        store.create(&b, Some(&changed_body)).await.unwrap(),
        CreateOutcome::Existing { same_request: false, .. }
    ));
    let other_owner = IdempotencyClaim { owner_key_id: "k2".into(), ..claim.clone() };
    assert_eq!(
        store.create(&b, Some(&other_owner)).await.unwrap(),
        CreateOutcome::Created,
        "claims are per key"
    );

    // expiry listing
    let expired = store.list_expired(t(1500), 10).await.unwrap();
    assert_eq!(expired, vec![v.id], "list_expired returns expires_at <= now");
    let all = store.list_expired(t(5000), 10).await.unwrap();
    assert!(all.len() >= 3 && all[0] == v.id, "oldest first");
    assert_eq!(store.list_expired(t(5000), 1).await.unwrap().len(), 1, "limit is respected");

    // delete
    store.delete(&a.id).await.unwrap();
    assert!(matches!(store.get(&a.id).await, Err(StoreError::NotFound)));
    store.delete(&a.id).await.unwrap();
    let c = sample_verification(new_id(), t(2000));
    assert_eq!(
        store.create(&c, Some(&claim)).await.unwrap(),
        CreateOutcome::Created,
        "delete frees the claim"
    );
}

/// [`KeyStore`] contract.
pub async fn key_store_suite(store: &dyn KeyStore) {
    let id = format!("k{}", new_id().as_uuid().simple());
    let k = ApiKeyRecord {
        id: id.clone(),
        kind: KeyKind::Publishable,
        secret_hash: "ab".repeat(32),
        origins: vec!["https://shop.example".into()],
        account: "acme-eu".into(),
        role: kyc_core::api::v1::KeyRole::Admin,
        created_at: Timestamp::from_unix_millis(1),
        revoked_at: None,
    };
    assert!(matches!(store.get(&id).await, Err(StoreError::NotFound)));
    store.insert(&k).await.unwrap();
    assert_eq!(store.get(&id).await.unwrap(), k);
    assert!(
        matches!(store.insert(&k).await, Err(StoreError::Conflict)),
        "duplicate id is Conflict"
    );
    assert!(store.list().await.unwrap().iter().any(|x| x.id == id));

    store.revoke(&id, Timestamp::from_unix_millis(10)).await.unwrap();
    store.revoke(&id, Timestamp::from_unix_millis(20)).await.unwrap();
    assert_eq!(
        store.get(&id).await.unwrap().revoked_at,
        Some(Timestamp::from_unix_millis(10)),
        "first revocation time is kept"
    );
    assert!(matches!(
        store.revoke("nope", Timestamp::from_unix_millis(1)).await,
        Err(StoreError::NotFound)
    ));

    assert_eq!(store.add_usage(&id, 100, 3).await.unwrap(), 3);
    assert_eq!(store.add_usage(&id, 100, 4).await.unwrap(), 7, "usage accumulates");
    assert_eq!(store.add_usage(&id, 101, 1).await.unwrap(), 1, "usage is per day");
}

/// [`AuditLog`] contract.
pub async fn audit_log_suite(log: &dyn AuditLog, key: &ChainKey) {
    let start = log.scan(0, usize::MAX).await.unwrap().last().map_or(0, |r| r.seq);
    let id = new_id();
    let event = |status| AuditEvent {
        at: Timestamp::from_unix_millis(1_764_064_800_000),
        verification_id: Some(id),
        step: Step::Upload,
        status,
        code: None,
        actor: "k_test".into(),
        detail: serde_json::json!({"bytes": 1}),
    };
    let a = log.append(event(StepStatus::Created)).await.unwrap();
    assert_eq!(a.seq, start + 1, "sequence numbers are consecutive");
    let b = log.append(event(StepStatus::Succeeded)).await.unwrap();
    assert_eq!(b.prev_hash, a.hash, "records are chained");
    let mine = log.for_verification(&id).await.unwrap();
    assert_eq!(mine, vec![a.clone(), b.clone()], "for_verification returns the records in order");
    assert_eq!(log.scan(start, 1).await.unwrap(), vec![a], "scan honours after and limit");

    // concurrent appends are serialised into one chain
    let results = join_all((0..16).map(|_| log.append(event(StepStatus::Succeeded)))).await;
    assert!(results.iter().all(Result::is_ok));
    let mut verifier = ChainVerifier::new(key.clone());
    let mut after = 0;
    loop {
        let page = log.scan(after, 7).await.unwrap();
        if page.is_empty() {
            break;
        }
        for r in &page {
            verifier.push(r).unwrap_or_else(|e| panic!("chain must verify under its key: {e}"));
        }
        after = page.last().unwrap().seq;
    }
    assert_eq!(verifier.checked(), start + 18);
    let head = log.head().await.unwrap().expect("a head");
    assert_eq!(head.seq, start + 18, "head is the last record");
    assert_eq!(verifier.head(), Some(Checkpoint::from(&head)));
    // the chain is keyed: under any other key the first record fails
    let first = log.scan(0, 1).await.unwrap();
    let mut other = ChainVerifier::new(ChainKey::from_bytes([0x5a; 32]));
    assert!(other.push(&first[0]).is_err(), "records verify under a key they were not made with");
}

fn session(verification_id: VerificationId, created_ms: i64) -> LivenessSession {
    LivenessSession {
        id: new_id().as_uuid().simple().to_string(),
        verification_id,
        version: 1,
        challenge: kyc_core::challenge::PendingChallenge {
            nonce: "00".repeat(16),
            issued_at: Timestamp::from_unix_millis(created_ms),
            deadline: Timestamp::from_unix_millis(created_ms + 180_000),
            sequence: vec![
                kyc_core::challenge::Gesture::Blink,
                kyc_core::challenge::Gesture::TurnLeft,
            ],
            max_gap_ms: 2000,
            thresholds: Default::default(),
            timing: Default::default(),
            continuity: Default::default(),
            depth: Default::default(),
            motion: Default::default(),
        },
        created_at: Timestamp::from_unix_millis(created_ms),
        status: SessionStatus::Active,
        frames: vec![],
    }
}

fn frame(s: &LivenessSession, id: &str, sha: &str) -> FrameRecord {
    FrameRecord {
        session_id: s.id.clone(),
        verification_id: s.verification_id,
        frame_id: FrameId::try_from(id.to_owned()).unwrap(),
        sha256: sha.to_owned(),
        received_at: Timestamp::from_unix_millis(5),
        feedback: kyc_core::api::v1::FrameFeedback {
            frame_id: id.to_owned(),
            face_found: true,
            faces: 1,
            issues: vec![],
            progress: kyc_core::challenge::Progress {
                completed: 0,
                total: 2,
                next: Some(kyc_core::challenge::Gesture::Blink),
                hint: kyc_core::challenge::Hint::FaceCamera,
            },
            deadline: Timestamp::from_unix_millis(180_000),
        },
    }
}

/// [`LivenessStore`] contract.
pub async fn liveness_store_suite(store: &dyn LivenessStore) {
    let vid = new_id();
    assert_eq!(store.latest_session(&vid).await.unwrap(), None);
    let first = session(vid, 1000);
    store.create_session(&first).await.unwrap();
    assert!(
        matches!(store.create_session(&first).await, Err(StoreError::Conflict)),
        "duplicate id is Conflict"
    );
    assert_eq!(store.get_session(&first.id).await.unwrap(), first);
    let second = session(vid, 2000);
    store.create_session(&second).await.unwrap();
    assert_eq!(
        store.latest_session(&vid).await.unwrap().unwrap().id,
        second.id,
        "latest is the newest"
    );

    let mut changed = second.clone();
    changed.status = SessionStatus::Finished;
    changed.frames.push(SessionFrame {
        frame_id: FrameId::try_from("f1".to_owned()).unwrap(),
        observation: kyc_core::challenge::Observation::no_face(Timestamp::from_unix_millis(2100)),
        captured_at: Some(Timestamp::from_unix_millis(2050)),
        placement: Some(kyc_core::challenge::FacePlacement { x: 0.01, y: -0.02, width: 0.3 }),
        landmarks: Some(kyc_core::face::Landmarks {
            eye_image_left: kyc_core::face::Point { x: 276.5, y: 144.4 },
            eye_image_right: kyc_core::face::Point { x: 362.8, y: 145.2 },
            nose: kyc_core::face::Point { x: 319.7, y: 187.5 },
            mouth_image_left: kyc_core::face::Point { x: 286.8, y: 227.9 },
            mouth_image_right: kyc_core::face::Point { x: 359.2, y: 226.3 },
        }),
    });
    let stored = store.update_session(&changed).await.unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(store.get_session(&second.id).await.unwrap(), stored);
    assert!(
        matches!(store.update_session(&changed).await, Err(StoreError::Conflict)),
        "stale version is Conflict"
    );
    assert!(matches!(store.update_session(&session(vid, 0)).await, Err(StoreError::NotFound)));

    let f = frame(&second, "f1", "aa");
    store.put_frame(&f).await.unwrap();
    assert!(
        matches!(store.put_frame(&f).await, Err(StoreError::Conflict)),
        "same frame id is Conflict"
    );
    store.put_frame(&frame(&first, "f1", "bb")).await.unwrap();
    assert_eq!(store.get_frame(&second.id, &f.frame_id).await.unwrap(), f);
    assert!(matches!(
        store.get_frame(&second.id, &FrameId::try_from("zz".to_owned()).unwrap()).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.frame_by_hash("aa").await.unwrap().unwrap().session_id, second.id);
    assert_eq!(store.frame_by_hash("cc").await.unwrap(), None);

    let other = session(new_id(), 3000);
    store.create_session(&other).await.unwrap();
    store.delete_verification(&vid).await.unwrap();
    assert_eq!(store.latest_session(&vid).await.unwrap(), None);
    assert!(matches!(store.get_frame(&second.id, &f.frame_id).await, Err(StoreError::NotFound)));
    assert_eq!(store.frame_by_hash("aa").await.unwrap(), None);
    assert_eq!(store.get_session(&other.id).await.unwrap(), other, "other verifications stay");
    store.delete_verification(&vid).await.unwrap();
}

/// [`JobQueue`] contract.
pub async fn job_queue_suite(queue: &dyn JobQueue) {
    let t = |ms: i64| Timestamp::from_unix_millis(1_000_000 + ms);
    let job = |key: Option<&str>, at: i64| NewJob {
        kind: "test".into(),
        dedupe_key: key.map(str::to_owned),
        payload: serde_json::json!({"n": at}),
        run_at: t(at),
        max_attempts: 3,
    };
    let base = queue.stats().await.unwrap();
    let a = queue.enqueue(&job(Some("k1"), 0)).await.unwrap();
    assert_eq!(
        queue.enqueue(&job(Some("k1"), 0)).await.unwrap(),
        a,
        "a pending dedupe key is not enqueued twice"
    );
    let b = queue.enqueue(&job(None, 500)).await.unwrap();
    assert_ne!(a, b);
    assert_eq!(queue.stats().await.unwrap().pending, base.pending + 2);

    let leased = queue.lease(t(100), 1000, 10).await.unwrap();
    let mine: Vec<_> = leased.iter().filter(|j| j.id == a || j.id == b).collect();
    assert_eq!(mine.len(), 1, "only due jobs are leased");
    let ja = mine[0].clone();
    assert_eq!((ja.id.as_str(), ja.attempts, ja.payload["n"].as_i64()), (a.as_str(), 1, Some(0)));
    assert!(
        queue.lease(t(200), 1000, 10).await.unwrap().iter().all(|j| j.id != a),
        "a leased job is not handed out twice"
    );

    // the worker died: after the lease expires the job comes back, with a new token
    let again = queue.lease(t(1200), 1000, 10).await.unwrap();
    let ja2 = again.iter().find(|j| j.id == a).cloned().expect("expired lease is released");
    assert_eq!(ja2.attempts, 2);
    assert!(
        matches!(queue.complete(&ja).await, Err(StoreError::Conflict)),
        "a stale lease cannot complete"
    );

    queue.retry_later(&ja2, "engine down", t(5000)).await.unwrap();
    assert!(
        queue.lease(t(4000), 1000, 10).await.unwrap().iter().all(|j| j.id != a),
        "not before run_at"
    );
    let ja3 =
        queue.lease(t(5000), 1000, 10).await.unwrap().into_iter().find(|j| j.id == a).unwrap();
    assert_eq!((ja3.attempts, ja3.last_error.as_deref()), (3, Some("engine down")));
    queue.dead_letter(&ja3, "gave up", t(5001)).await.unwrap();
    let dead = queue.dead_letters(100).await.unwrap();
    let d = dead.iter().find(|d| d.id == a).expect("dead letter listed");
    assert_eq!(
        (d.attempts, d.max_attempts, d.last_error.as_str(), d.kind.as_str()),
        (3, 3, "gave up", "test")
    );
    assert_eq!(queue.stats().await.unwrap().dead, base.dead + 1);
    // the key is free again once the job left the queue
    let c = queue.enqueue(&job(Some("k1"), 0)).await.unwrap();
    let jc = queue.lease(t(6000), 1000, 10).await.unwrap().into_iter().find(|j| j.id == c).unwrap();
    queue.complete(&jc).await.unwrap();

    queue.requeue_dead(&a, t(7000)).await.unwrap();
    assert!(matches!(queue.requeue_dead(&a, t(7000)).await, Err(StoreError::NotFound)));
    // (job b was leased along the way too; its last lease expired at t(7000))
    let leased = queue.lease(t(7000), 1000, 10).await.unwrap();
    let back = leased.iter().find(|j| j.id == a).expect("requeued job is due");
    assert_eq!((back.attempts, back.max_attempts), (1, 3), "attempts reset, budget kept");
    queue.complete(back).await.unwrap();
    queue.complete(leased.iter().find(|j| j.id == b).expect("b is due again")).await.unwrap();
    assert_eq!(queue.stats().await.unwrap(), base);
}

/// The outbox contract: `update_with_jobs` stores the new version and its
/// jobs together, and a failed update (stale version) enqueues nothing.
pub async fn outbox_suite(store: &dyn VerificationStore, queue: &dyn JobQueue) {
    let far = Timestamp::from_unix_millis(4_000_000_000_000);
    let id = new_id();
    let v = sample_verification(id, far);
    store.create(&v, None).await.unwrap();
    let job = |n: i64| NewJob {
        kind: "outbox-test".into(),
        dedupe_key: Some(format!("outbox:{id}:{n}")),
        payload: serde_json::json!({"verificationId": id.to_string(), "n": n}),
        run_at: Timestamp::from_unix_millis(0),
        max_attempts: 2,
    };
    let base = queue.stats().await.unwrap();
    let v2 = store.update_with_jobs(&v, &[job(1), job(2)]).await.unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(queue.stats().await.unwrap().pending, base.pending + 2, "both jobs enqueued");
    // a stale version: no update, and no job
    assert!(matches!(store.update_with_jobs(&v, &[job(3)]).await, Err(StoreError::Conflict)));
    assert_eq!(queue.stats().await.unwrap().pending, base.pending + 2, "nothing enqueued");
    let leased = queue.lease(far, 1000, 1000).await.unwrap();
    let mine: Vec<_> =
        leased.iter().filter(|j| j.payload["verificationId"] == id.to_string()).collect();
    assert_eq!(mine.len(), 2);
    for j in &leased {
        queue.complete(j).await.unwrap();
    }
}

/// The `KycOcrData` contract: upsert, read back, delete.
pub async fn ocr_data_suite(store: &dyn OcrDataStore) {
    let id = new_id();
    assert!(store.get(&id).await.unwrap().is_none());
    let mut r = OcrRecord {
        verification_id: id,
        document_sha256: "ab".repeat(32),
        engine: "test".into(),
        read_at: Timestamp::from_unix_millis(1_000),
        expires_at: Timestamp::from_unix_millis(2_000),
        latency_ms: 12,
        fields: None,
    };
    store.put(&r).await.unwrap();
    assert_eq!(store.get(&id).await.unwrap().as_ref(), Some(&r));
    r.latency_ms = 13;
    store.put(&r).await.unwrap();
    assert_eq!(store.get(&id).await.unwrap().unwrap().latency_ms, 13, "put replaces");
    store.delete(&id).await.unwrap();
    store.delete(&id).await.unwrap();
    assert!(store.get(&id).await.unwrap().is_none());
}

/// The [`Screener`](crate::screening::Screener) contract: `listed` is a
/// name the screener's lists hold, `unlisted` one they do not.
pub async fn screener_suite(s: &dyn crate::screening::Screener, listed: &str, unlisted: &str) {
    use crate::screening::ScreeningQuery;
    let q = |name: &str| ScreeningQuery { name: name.to_owned(), ..Default::default() };
    let empty = s.screen(&q("  ")).await.unwrap_err();
    assert!(matches!(empty, ProviderError::Rejected(_)), "an empty name is rejected: {empty:?}");

    let hit = s.screen(&q(listed)).await.unwrap();
    assert!(!hit.matches.is_empty(), "{listed} is listed");
    assert!(
        hit.matches
            .iter()
            .all(|m| (0.0..=1.0).contains(&m.score) && !m.id.is_empty() && !m.source.is_empty())
    );
    assert!(hit.matches.windows(2).all(|w| w[0].score >= w[1].score), "best first");
    assert_eq!(hit.best_score(), hit.matches.first().map(|m| m.score));
    assert_eq!(hit.provider, s.name());
    assert!(!hit.lists_version.is_empty());
    assert!(!hit.raw.is_null(), "the full answer is kept for audit");

    let miss = s.screen(&q(unlisted)).await.unwrap();
    assert!(
        miss.matches.iter().all(|m| m.score < 0.81),
        "{unlisted} is not listed: {:?}",
        miss.matches
    );
    // with a date of birth and a country the query still works
    let full = ScreeningQuery {
        name: listed.to_owned(),
        date_of_birth: Some("1970-01-01".to_owned()),
        country: Some("GB".to_owned()),
        individual: true,
    };
    s.screen(&full).await.unwrap();
}

/// Runs every suite against one set of backends.
pub async fn all_suites(backends: &crate::Backends, audit_key: &ChainKey) {
    outbox_suite(backends.verifications.as_ref(), backends.jobs.as_ref()).await;
    ocr_data_suite(backends.ocr.as_ref()).await;
    object_store_suite(backends.objects.as_ref()).await;
    verification_store_suite(backends.verifications.as_ref()).await;
    key_store_suite(backends.keys.as_ref()).await;
    audit_log_suite(backends.audit.as_ref(), audit_key).await;
    liveness_store_suite(backends.liveness.as_ref()).await;
    job_queue_suite(backends.jobs.as_ref()).await;
}

#[cfg(test)]
mod tests;
