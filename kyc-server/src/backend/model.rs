//! Records the backends store.

use bytes::Bytes;
use kyc_core::{
    Timestamp, VerificationId,
    api::v1::{DocumentSummary, KeyKind, VerificationStatus},
};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt};

/// What an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ObjectKind {
    /// The uploaded identity document.
    IdUpload,
}

/// The key of a stored object. Built only from typed parts, so it can never
/// contain a path traversal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    /// The verification the object belongs to (and whose data key encrypts it).
    pub verification_id: VerificationId,
    /// What the object is.
    pub kind: ObjectKind,
}

impl ObjectKey {
    /// `kyc-id-uploads/{verificationId}.jpg` (PNG uploads keep this key; the
    /// content type is in the object's metadata).
    pub const fn id_upload(verification_id: VerificationId) -> Self {
        Self { verification_id, kind: ObjectKind::IdUpload }
    }

    /// The object's path, e.g. `kyc-id-uploads/{verificationId}.jpg`.
    pub fn path(&self) -> String {
        match self.kind {
            ObjectKind::IdUpload => format!("kyc-id-uploads/{}.jpg", self.verification_id),
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// Metadata stored with an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    /// MIME type of the body.
    pub content_type: String,
}

/// An object read back.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// The exact bytes that were put.
    pub body: Bytes,
    /// The metadata that was put.
    pub meta: ObjectMeta,
}

impl fmt::Debug for StoredObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredObject")
            .field("len", &self.body.len())
            .field("meta", &self.meta)
            .finish()
    }
}

/// How `put` treats an existing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMode {
    /// Replace it.
    Overwrite,
    /// Fail with `Conflict` if it exists.
    Create,
}

/// The stored document of a verification: where it is, and its wire summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRecord {
    /// Object path.
    pub object: String,
    /// What `GET /v1/verifications/{id}` shows about it.
    #[serde(flatten)]
    pub summary: DocumentSummary,
}

/// A verification record.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Id.
    pub id: VerificationId,
    /// Optimistic-concurrency version, starting at 1.
    pub version: u64,
    /// Status.
    pub status: VerificationStatus,
    /// Creation time.
    pub created_at: Timestamp,
    /// Retention deadline.
    pub expires_at: Timestamp,
    /// The API key that created it.
    pub owner_key_id: String,
    /// The integrator's reference.
    pub external_ref: Option<String>,
    /// The integrator's metadata.
    pub metadata: BTreeMap<String, String>,
    /// The document, once uploaded.
    pub document: Option<DocumentRecord>,
    /// An upload in progress: claimed before its object is written, so that
    /// concurrent uploads of different images cannot interleave.
    #[serde(default)]
    pub upload_claim: Option<UploadClaim>,
}

/// A claim on a verification's document slot by one upload (by content hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadClaim {
    /// Hex SHA-256 of the uploaded bytes.
    pub sha256: String,
    /// When the claim was made (stale claims can be taken over).
    pub at: Timestamp,
}

impl fmt::Debug for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // external_ref and metadata are the integrator's data: keep them out of logs
        f.debug_struct("Verification")
            .field("id", &self.id)
            .field("version", &self.version)
            .field("status", &self.status)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An `Idempotency-Key` claimed by a create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// The key that sent the request (claims are per API key).
    pub owner_key_id: String,
    /// The header value.
    pub key: String,
    /// Hex SHA-256 of the request body.
    pub request_hash: String,
}

/// What `create` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    /// A new verification was stored.
    Created,
    /// The idempotency key was used before: nothing was created.
    Existing {
        /// The verification created the first time.
        verification: Box<Verification>,
        /// Whether the first request had the same body.
        same_request: bool,
    },
}

/// A stored API key. Only a hash of the secret part is kept.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Public id (the part of the key before the secret).
    pub id: String,
    /// Secret or publishable.
    pub kind: KeyKind,
    /// Hex SHA-256 of the secret part.
    pub secret_hash: String,
    /// Allowed browser origins (publishable keys).
    pub origins: Vec<String>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Revocation time, if revoked.
    pub revoked_at: Option<Timestamp>,
}

impl fmt::Debug for ApiKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyRecord")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("origins", &self.origins)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// Every object path (or, ending in `/`, directory prefix) a verification can
/// own, so that erasure finds them all on any backend.
pub fn verification_prefixes(id: &VerificationId) -> Vec<String> {
    vec![ObjectKey::id_upload(*id).path()]
}
