//! The set of backends a server runs on.

use crate::{
    AuditLog, JobQueue, KeyStore, LivenessStore, ObjectStore, OcrDataStore, VerificationStore,
    memory,
};
use std::sync::Arc;

/// The backends in use, as trait objects.
#[derive(Debug, Clone)]
pub struct Backends {
    /// Images and raw engine output.
    pub objects: Arc<dyn ObjectStore>,
    /// Verification records.
    pub verifications: Arc<dyn VerificationStore>,
    /// API keys and usage.
    pub keys: Arc<dyn KeyStore>,
    /// The audit trail.
    pub audit: Arc<dyn AuditLog>,
    /// Liveness sessions and frames.
    pub liveness: Arc<dyn LivenessStore>,
    /// Jobs between pipeline steps.
    pub jobs: Arc<dyn JobQueue>,
    /// `KycOcrData`: what the document reader found.
    pub ocr: Arc<dyn OcrDataStore>,
}

impl Backends {
    /// Fresh in-memory backends (tests, examples); the audit chain's key is
    /// random, as the log lives only as long as the process.
    pub fn memory() -> Self {
        Self::memory_with_audit_key(kyc_core::audit::ChainKey::from_bytes(rand::random()))
    }

    /// Fresh in-memory backends whose audit log is chained under `audit_key`.
    pub fn memory_with_audit_key(audit_key: kyc_core::audit::ChainKey) -> Self {
        let jobs = Arc::new(memory::MemoryJobQueue::new());
        Self {
            objects: Arc::new(memory::MemoryObjectStore::new()),
            verifications: Arc::new(memory::MemoryVerificationStore::with_outbox(jobs.clone())),
            keys: Arc::new(memory::MemoryKeyStore::new()),
            audit: Arc::new(memory::MemoryAuditLog::new(audit_key)),
            liveness: Arc::new(memory::MemoryLivenessStore::new()),
            jobs,
            ocr: Arc::new(memory::MemoryOcrDataStore::new()),
        }
    }
}
