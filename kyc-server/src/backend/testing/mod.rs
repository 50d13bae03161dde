//! Conformance suites: one per backend trait, checking every sentence of its
//! contract. Any implementation (memory, local, AWS, or yours) runs them:
//!
//! ```no_run
//! # async fn demo() {
//! use kyc_server::backend::{memory::MemoryObjectStore, testing};
//! testing::object_store_suite(&MemoryObjectStore::new()).await;
//! # }
//! ```
//!
//! Failures panic with a message naming the broken rule (this module is test
//! support, enabled by the `testing` feature).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::fixtures::join_all;
use kyc_core::{
    Timestamp, VerificationId,
    api::v1::{KeyKind, Step, StepStatus, VerificationStatus},
    audit::{AuditEvent, ChainVerifier},
};
use std::{collections::BTreeMap, sync::Arc};

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
        external_ref: Some("cust-1".into()),
        metadata: BTreeMap::from([("plan".into(), "gold".into())]),
        document: None,
        upload_claim: None,
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
pub async fn audit_log_suite(log: &dyn AuditLog) {
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
    let mut verifier = ChainVerifier::new();
    let mut after = 0;
    loop {
        let page = log.scan(after, 7).await.unwrap();
        if page.is_empty() {
            break;
        }
        for r in &page {
            verifier.push(r).unwrap_or_else(|e| panic!("chain must verify: {e}"));
        }
        after = page.last().unwrap().seq;
    }
    assert_eq!(verifier.checked(), start + 18);
}

/// Runs every suite against one set of backends.
pub async fn all_suites(
    objects: Arc<dyn ObjectStore>,
    verifications: Arc<dyn VerificationStore>,
    keys: Arc<dyn KeyStore>,
    audit: Arc<dyn AuditLog>,
) {
    object_store_suite(objects.as_ref()).await;
    verification_store_suite(verifications.as_ref()).await;
    key_store_suite(keys.as_ref()).await;
    audit_log_suite(audit.as_ref()).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::memory::*;

    #[tokio::test]
    async fn memory_backends_conform() {
        all_suites(
            Arc::new(MemoryObjectStore::new()),
            Arc::new(MemoryVerificationStore::new()),
            Arc::new(MemoryKeyStore::new()),
            Arc::new(MemoryAuditLog::new()),
        )
        .await;
    }

    #[cfg(feature = "local")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn local_backends_conform() {
        use crate::backend::local::*;
        let dir = tempfile::tempdir().unwrap();
        let master = Arc::new(crate::crypto::MasterKey::generate());
        let db = Database::open(&dir.path().join("kyc.db"), Durability::Full).unwrap();
        all_suites(
            Arc::new(LocalObjectStore::open(dir.path(), master).unwrap()),
            Arc::new(SqliteVerificationStore::new(db.clone())),
            Arc::new(SqliteKeyStore::new(db.clone())),
            Arc::new(SqliteAuditLog::new(db)),
        )
        .await;
    }
}
