//! Backend traits: where verifications, images, keys and the audit trail live.
//!
//! Each trait is small, object-safe and async, held as `Arc<dyn Trait>` in
//! [`crate::AppState`]. Implementations sit side by side:
//!
//! | trait | memory (always) | local (feature `local`, default) |
//! |---|---|---|
//! | [`ObjectStore`] | [`memory::MemoryObjectStore`] | [`local::LocalObjectStore`]: files, AES-256-GCM envelope |
//! | [`VerificationStore`] | [`memory::MemoryVerificationStore`] | [`local::SqliteVerificationStore`] |
//! | [`KeyStore`] | [`memory::MemoryKeyStore`] | [`local::SqliteKeyStore`] |
//! | [`AuditLog`] | [`memory::MemoryAuditLog`] | [`local::SqliteAuditLog`] |
//!
//! The contracts are written so that S3, DynamoDB and KMS can implement them
//! without changing callers: conditional writes instead of transactions
//! across stores, optimistic concurrency by version number, idempotent
//! deletes. Every sentence of a contract is checked by the conformance suite
//! in `backend::testing` (feature `testing`), which every implementation runs.
//!
//! Backends store and return evidence; they never decide.

pub mod memory;

#[cfg(feature = "local")]
pub mod local;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

mod model;

pub use model::*;

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

/// The append-only audit trail. No update or delete, by design.
///
/// Contract:
/// * `append` assigns the next sequence number and links the record into the
///   hash chain ([`kyc_core::audit::chain`]); concurrent appends are
///   serialised, never forked.
/// * `for_verification` returns that verification's records in sequence order.
/// * `scan` returns records with `seq > after`, in order, at most `limit`.
#[async_trait]
pub trait AuditLog: Send + Sync + fmt::Debug + 'static {
    /// Appends an event.
    async fn append(&self, event: AuditEvent) -> Result<AuditRecord, StoreError>;
    /// One verification's records.
    async fn for_verification(&self, id: &VerificationId) -> Result<Vec<AuditRecord>, StoreError>;
    /// A page of the whole log.
    async fn scan(&self, after: u64, limit: usize) -> Result<Vec<AuditRecord>, StoreError>;
}
