//! The embedded backends pass every conformance suite.

#[cfg(feature = "local")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_backends_conform() {
    use crate::backend::{local::*, testing::all_suites};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let master = Arc::new(crate::keyring::Keyring::ephemeral(crate::crypto::MasterKey::generate()));
    let key = crate::crypto::audit_chain_key(&master);
    let db = Database::open(&dir.path().join("kyc.db"), Durability::Full).unwrap();
    let backends = crate::Backends {
        objects: Arc::new(LocalObjectStore::open(dir.path(), master).unwrap()),
        verifications: Arc::new(SqliteVerificationStore::new(db.clone())),
        keys: Arc::new(SqliteKeyStore::new(db.clone())),
        audit: Arc::new(SqliteAuditLog::new(db.clone(), key.clone())),
        liveness: Arc::new(SqliteLivenessStore::new(db.clone())),
        jobs: Arc::new(SqliteJobQueue::new(db.clone())),
        ocr: Arc::new(SqliteOcrDataStore::new(db, crate::crypto::DataKey::generate())),
    };
    all_suites(&backends, &key).await;
}
