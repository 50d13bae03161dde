#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
//! Backend traits of the KYC SDK: where verifications, images, keys and the
//! audit trail live, and the engines the pipeline calls.
//!
//! Each trait is small, object-safe and async, held as `Arc<dyn Trait>` in
//! [`Backends`]. This crate holds the traits, their records, the in-memory
//! implementations ([`memory`]), the envelope encryption every durable
//! object store uses ([`crypto`]) and one conformance suite per trait
//! (`testing`, feature `testing`). Implementations sit in crates of their
//! own, side by side:
//!
//! | trait | here | `kyc-server` (feature `local`, default) | `kyc-server-aws` |
//! |---|---|---|---|
//! | [`ObjectStore`] | [`memory::MemoryObjectStore`] | `LocalObjectStore`: files, AES-256-GCM envelope | `S3ObjectStore`: S3 + KMS data keys |
//! | [`VerificationStore`] | [`memory::MemoryVerificationStore`] | `SqliteVerificationStore` | |
//! | [`KeyStore`] | [`memory::MemoryKeyStore`] | `SqliteKeyStore` | |
//! | [`AuditLog`] | [`memory::MemoryAuditLog`] | `SqliteAuditLog` | |
//!
//! The contracts are written so that S3, DynamoDB and KMS can implement them
//! without changing callers: conditional writes instead of transactions
//! across stores, optimistic concurrency by version number, idempotent
//! deletes. Every sentence of a contract is checked by the conformance suite
//! in `backend::testing` (feature `testing`), which every implementation runs.
//!
//! Backends store and return evidence; they never decide.

pub mod crypto;
pub mod document;
pub mod face;
pub mod memory;
pub mod screening;
pub mod util;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

mod backends;
mod model;
mod provider;

pub use backends::Backends;

pub use model::*;
pub use provider::ProviderError;

use async_trait::async_trait;
use bytes::Bytes;
use kyc_core::{
    Timestamp, VerificationId,
    audit::{AuditEvent, AuditRecord},
};
use std::{error::Error as StdError, fmt};

/// A storage error. Callers retry only what [`StoreError::is_retryable`] says.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such item.
    #[error("not found")]
    NotFound,
    /// A conditional write lost: the item exists, or its version moved on.
    #[error("conflicting write")]
    Conflict,
    /// The backend cannot do this.
    #[error("not supported by this backend")]
    NotSupported,
    /// The backend is temporarily unavailable.
    #[error("storage unavailable")]
    Unavailable {
        /// Whether retrying may help.
        retryable: bool,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn StdError + Send + Sync>>,
    },
    /// Stored data failed an integrity check (e.g. decryption).
    #[error("stored data failed an integrity check: {0}")]
    Corrupt(&'static str),
    /// Anything else from the backend.
    #[error("storage backend error")]
    Backend(#[source] Box<dyn StdError + Send + Sync>),
}

impl StoreError {
    /// Wraps a backend-specific error.
    pub fn backend(e: impl StdError + Send + Sync + 'static) -> Self {
        Self::Backend(Box::new(e))
    }

    /// A retryable unavailability with its cause.
    pub fn unavailable(e: impl StdError + Send + Sync + 'static) -> Self {
        Self::Unavailable { retryable: true, source: Some(Box::new(e)) }
    }

    /// Whether retrying the same call may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { retryable: true, .. })
    }
}

/// Blob storage for document images, live frames and raw engine output.
///
/// Contract:
/// * `put` is atomic: a reader sees the whole old object, the whole new one,
///   or nothing, never a part. With [`PutMode::Create`] it fails with
///   [`StoreError::Conflict`] if the key exists.
/// * `get` of a missing key is [`StoreError::NotFound`]; it returns the exact
///   bytes and metadata that were put.
/// * `delete` is idempotent: deleting a missing key succeeds.
/// * `erase_verification` removes every object of the verification and makes
///   any copy left elsewhere (backups, other versions) unreadable where the
///   backend can (the local store destroys the verification's data key). It
///   is idempotent.
#[async_trait]
pub trait ObjectStore: Send + Sync + fmt::Debug + 'static {
    /// Stores `body` under `key`.
    async fn put(
        &self,
        key: &ObjectKey,
        body: Bytes,
        meta: &ObjectMeta,
        mode: PutMode,
    ) -> Result<(), StoreError>;
    /// Reads an object.
    async fn get(&self, key: &ObjectKey) -> Result<StoredObject, StoreError>;
    /// Deletes an object.
    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError>;
    /// Deletes everything stored for a verification (crypto-shredding where possible).
    async fn erase_verification(&self, id: &VerificationId) -> Result<(), StoreError>;
}

/// Verification records.
///
/// Contract:
/// * `create` fails with [`StoreError::Conflict`] if the id exists. With an
///   [`IdempotencyClaim`], a second create under the same (owner, key)
///   creates nothing and returns the first verification
///   ([`CreateOutcome::Existing`]), with whether the request hashes match.
///   The claim and the record are written atomically.
/// * `update` succeeds only if the stored version equals `v.version`; it
///   stores `v` with `version + 1` and returns it. Otherwise
///   [`StoreError::Conflict`] (or `NotFound`).
/// * `delete` removes the record and its idempotency claims; idempotent.
/// * `list_expired` returns ids with `expires_at <= now`, oldest first, at most `limit`.
#[async_trait]
pub trait VerificationStore: Send + Sync + fmt::Debug + 'static {
    /// Creates a verification (version 1).
    async fn create(
        &self,
        v: &Verification,
        idempotency: Option<&IdempotencyClaim>,
    ) -> Result<CreateOutcome, StoreError>;
    /// Reads a verification.
    async fn get(&self, id: &VerificationId) -> Result<Verification, StoreError>;
    /// Optimistic update; see the contract.
    async fn update(&self, v: &Verification) -> Result<Verification, StoreError>;
    /// [`update`](Self::update) that also enqueues `jobs` in the same
    /// transaction (the outbox): either the new version and every job are
    /// stored, or neither. The jobs land in the [`JobQueue`] of the same backend.
    async fn update_with_jobs(
        &self,
        v: &Verification,
        jobs: &[NewJob],
    ) -> Result<Verification, StoreError>;
    /// Deletes a verification.
    async fn delete(&self, id: &VerificationId) -> Result<(), StoreError>;
    /// Expired verifications.
    async fn list_expired(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<VerificationId>, StoreError>;
}

/// API keys and their daily usage.
///
/// Contract:
/// * `insert` fails with [`StoreError::Conflict`] if the id exists.
/// * `revoke` sets `revoked_at` once (later calls keep the first time); unknown id → `NotFound`.
/// * `add_usage` adds atomically and returns the new total for that key and day.
#[async_trait]
pub trait KeyStore: Send + Sync + fmt::Debug + 'static {
    /// Stores a new key.
    async fn insert(&self, key: &ApiKeyRecord) -> Result<(), StoreError>;
    /// Reads a key by id.
    async fn get(&self, id: &str) -> Result<ApiKeyRecord, StoreError>;
    /// Every key, oldest first.
    async fn list(&self) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// Revokes a key.
    async fn revoke(&self, id: &str, at: Timestamp) -> Result<(), StoreError>;
    /// Adds `n` requests to a key's count for `day` (days since the Unix epoch, UTC).
    async fn add_usage(&self, key_id: &str, day: i64, n: u64) -> Result<u64, StoreError>;
}

/// Liveness sessions and the frames submitted to them.
///
/// Contract:
/// * `create_session` fails with [`StoreError::Conflict`] if the id exists.
/// * `update_session` succeeds only if the stored version equals
///   `s.version`; it stores `s` with `version + 1` and returns it (else
///   `Conflict`, or `NotFound`).
/// * `latest_session` returns the verification's most recently created session.
/// * `put_frame` fails with `Conflict` if the session already has that frame id.
/// * `frame_by_hash` finds any stored frame with these bytes, in any session.
/// * `delete_verification` removes every session and frame of the verification; idempotent.
#[async_trait]
pub trait LivenessStore: Send + Sync + fmt::Debug + 'static {
    /// Stores a new session (version 1).
    async fn create_session(&self, s: &LivenessSession) -> Result<(), StoreError>;
    /// Reads a session.
    async fn get_session(&self, id: &str) -> Result<LivenessSession, StoreError>;
    /// The verification's newest session.
    async fn latest_session(
        &self,
        verification: &VerificationId,
    ) -> Result<Option<LivenessSession>, StoreError>;
    /// Optimistic update; see the contract.
    async fn update_session(&self, s: &LivenessSession) -> Result<LivenessSession, StoreError>;
    /// Stores a frame record.
    async fn put_frame(&self, f: &FrameRecord) -> Result<(), StoreError>;
    /// Reads a frame record.
    async fn get_frame(&self, session: &str, frame: &FrameId) -> Result<FrameRecord, StoreError>;
    /// A stored frame with these bytes, if any.
    async fn frame_by_hash(&self, sha256: &str) -> Result<Option<FrameRecord>, StoreError>;
    /// Erases a verification's sessions and frames.
    async fn delete_verification(&self, verification: &VerificationId) -> Result<(), StoreError>;
}

/// A durable job queue with leases, retries and a dead-letter table.
///
/// Contract:
/// * `enqueue` returns the job id; with a dedupe key, while a job with that
///   key is pending no second one is created (the first one's id is returned).
/// * `lease` hands out due jobs (`run_at <= now`, not leased or lease
///   expired), at most `limit`, each to one caller at a time until
///   `now + lease_ms`, counting the attempt. A job whose worker died is leased
///   again after its lease expires (at-least-once delivery).
/// * `complete`, `retry_later` and `dead_letter` need the current lease
///   token (otherwise `Conflict`): the first removes the job, the second
///   makes it due again at `run_at`, the third moves it to the dead letters.
/// * `requeue_dead` moves a dead letter back to the queue, due now, with its
///   attempts reset; unknown id → `NotFound`.
#[async_trait]
pub trait JobQueue: Send + Sync + fmt::Debug + 'static {
    /// Adds a job.
    async fn enqueue(&self, job: &NewJob) -> Result<String, StoreError>;
    /// Leases due jobs.
    async fn lease(
        &self,
        now: Timestamp,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError>;
    /// Removes a finished job.
    async fn complete(&self, job: &Job) -> Result<(), StoreError>;
    /// Makes a failed job due again later.
    async fn retry_later(
        &self,
        job: &Job,
        error: &str,
        run_at: Timestamp,
    ) -> Result<(), StoreError>;
    /// Moves a job to the dead letters.
    async fn dead_letter(&self, job: &Job, error: &str, now: Timestamp) -> Result<(), StoreError>;
    /// Dead letters, oldest first.
    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadJob>, StoreError>;
    /// Puts a dead letter back in the queue.
    async fn requeue_dead(&self, id: &str, now: Timestamp) -> Result<(), StoreError>;
    /// Pending and dead counts.
    async fn stats(&self) -> Result<JobStats, StoreError>;
}

/// The `KycOcrData` store: one structured reading per verification.
///
/// Contract: `put` inserts or replaces the verification's record; `get` of
/// an unknown id is `Ok(None)`; `delete` is idempotent.
#[async_trait]
pub trait OcrDataStore: Send + Sync + fmt::Debug + 'static {
    /// Inserts or replaces.
    async fn put(&self, record: &OcrRecord) -> Result<(), StoreError>;
    /// Reads.
    async fn get(&self, id: &VerificationId) -> Result<Option<OcrRecord>, StoreError>;
    /// Deletes.
    async fn delete(&self, id: &VerificationId) -> Result<(), StoreError>;
}

/// The append-only audit trail. No update or delete, by design.
///
/// Contract:
/// * `append` assigns the next sequence number and links the record into the
///   keyed hash chain ([`kyc_core::audit::chain`], under the key the log was
///   made with); concurrent appends are serialised, never forked.
/// * `head` returns the last record.
/// * `for_verification` returns that verification's records in sequence order.
/// * `scan` returns records with `seq > after`, in order, at most `limit`.
#[async_trait]
pub trait AuditLog: Send + Sync + fmt::Debug + 'static {
    /// Appends an event.
    async fn append(&self, event: AuditEvent) -> Result<AuditRecord, StoreError>;
    /// One verification's records.
    async fn for_verification(&self, id: &VerificationId) -> Result<Vec<AuditRecord>, StoreError>;
    /// The last record (`None` while the log is empty).
    async fn head(&self) -> Result<Option<AuditRecord>, StoreError>;
    /// A page of the whole log.
    async fn scan(&self, after: u64, limit: usize) -> Result<Vec<AuditRecord>, StoreError>;
}
