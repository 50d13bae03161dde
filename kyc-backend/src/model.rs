//! Records the backends store.

use bytes::Bytes;
use kyc_core::{
    Timestamp, VerificationId,
    api::v1::{
        DEFAULT_ACCOUNT, DocumentSummary, FrameFeedback, KeyKind, KeyRole, LivenessEvidence,
        VerificationStatus,
    },
    challenge::{Observation, PendingChallenge},
};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt};

/// A client-chosen frame id: 1–64 characters of `A–Z a–z 0–9 _ -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FrameId(String);

impl FrameId {
    /// The id as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FrameId {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(s))
        } else {
            Err("frameId must be 1-64 characters of A-Z, a-z, 0-9, _ and -")
        }
    }
}

impl From<FrameId> for String {
    fn from(f: FrameId) -> Self {
        f.0
    }
}

impl fmt::Display for FrameId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an object is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ObjectKind {
    /// The uploaded identity document.
    IdUpload,
    /// One camera frame of the liveness step.
    LiveFrame(FrameId),
    /// The document reader's raw output (JSON).
    OcrRaw,
    /// The screener's full answer (JSON).
    ScreeningRaw,
}

/// The key of a stored object. Built only from typed parts, so it can never
/// contain a path traversal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

    /// `kyc-live-frames/{verificationId}/{frameId}.jpg`.
    pub fn live_frame(verification_id: VerificationId, frame: FrameId) -> Self {
        Self { verification_id, kind: ObjectKind::LiveFrame(frame) }
    }

    /// `kyc-ocr-raw/{verificationId}.json`.
    pub const fn ocr_raw(verification_id: VerificationId) -> Self {
        Self { verification_id, kind: ObjectKind::OcrRaw }
    }

    /// `kyc-screening-raw/{verificationId}.json`.
    pub const fn screening_raw(verification_id: VerificationId) -> Self {
        Self { verification_id, kind: ObjectKind::ScreeningRaw }
    }

    /// The object's path, e.g. `kyc-id-uploads/{verificationId}.jpg`.
    pub fn path(&self) -> String {
        match &self.kind {
            ObjectKind::IdUpload => format!("kyc-id-uploads/{}.jpg", self.verification_id),
            ObjectKind::LiveFrame(f) => format!("kyc-live-frames/{}/{f}.jpg", self.verification_id),
            ObjectKind::OcrRaw => format!("kyc-ocr-raw/{}.json", self.verification_id),
            ObjectKind::ScreeningRaw => {
                format!("kyc-screening-raw/{}.json", self.verification_id)
            }
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
#[derive(Clone, PartialEq, Serialize, Deserialize)]
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
    /// The account (tenant) it belongs to: only that account's secret keys
    /// (and admin keys) may act on it.
    #[serde(default = "default_account")]
    pub account: String,
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
    /// The latest evaluated liveness attempt, with its evidence.
    #[serde(default)]
    pub liveness: Option<LivenessEvidence>,
    /// Failed liveness attempts so far.
    #[serde(default)]
    pub failed_liveness_attempts: u32,
    /// A person should look at it (document fields missing, sources disagree, …).
    #[serde(default)]
    pub needs_review: bool,
    /// Why, as stable codes (e.g. `fields_missing`).
    #[serde(default)]
    pub review_reasons: Vec<String>,
    /// The latest sanctions screening.
    #[serde(default)]
    pub screening: Option<kyc_core::api::v1::ScreeningSummary>,
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
#[derive(Debug, Clone, PartialEq)]
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

fn default_account() -> String {
    DEFAULT_ACCOUNT.to_owned()
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
    /// The account (tenant) the key belongs to.
    pub account: String,
    /// Integrator or admin (admin: secret keys only).
    pub role: KeyRole,
    /// Creation time.
    pub created_at: Timestamp,
    /// Revocation time, if revoked.
    pub revoked_at: Option<Timestamp>,
}

impl ApiKeyRecord {
    /// Whether the key has been revoked as of `now`.
    pub fn is_revoked(&self, now: Timestamp) -> bool {
        self.revoked_at.is_some_and(|t| t <= now)
    }
}

impl fmt::Debug for ApiKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyRecord")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("account", &self.account)
            .field("role", &self.role)
            .field("origins", &self.origins)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// Every object path (or, ending in `/`, directory prefix) a verification can
/// own, so that erasure finds them all on any backend.
pub fn verification_prefixes(id: &VerificationId) -> Vec<String> {
    vec![
        ObjectKey::id_upload(*id).path(),
        format!("kyc-live-frames/{id}/"),
        ObjectKey::ocr_raw(*id).path(),
        ObjectKey::screening_raw(*id).path(),
    ]
}

/// Where a liveness session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Accepting frames.
    Active,
    /// Gestures passed; the face comparison is waiting for the face engine (a job).
    Processing,
    /// Finished: see the verification's liveness evidence.
    Finished,
}

/// One frame's place in a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionFrame {
    /// The frame.
    pub frame_id: FrameId,
    /// What the face engine saw (the challenge's input); `at` is the
    /// server's receive time.
    pub observation: Observation,
    /// The client's capture time (an ordering hint).
    #[serde(default)]
    pub captured_at: Option<Timestamp>,
    /// Where the one face was (none unless exactly one face).
    #[serde(default)]
    pub placement: Option<kyc_core::challenge::FacePlacement>,
    /// The one face's five landmarks (none unless exactly one face).
    #[serde(default)]
    pub landmarks: Option<kyc_core::face::Landmarks>,
}

/// A liveness session: the server-side half of one challenge and what was observed.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct LivenessSession {
    /// Random id (hex).
    pub id: String,
    /// The verification.
    pub verification_id: VerificationId,
    /// Optimistic-concurrency version, starting at 1.
    pub version: u64,
    /// The expected answers. Never sent to a client.
    pub challenge: PendingChallenge,
    /// When it was created.
    pub created_at: Timestamp,
    /// Status.
    pub status: SessionStatus,
    /// Accepted frames, in capture order.
    pub frames: Vec<SessionFrame>,
}

impl fmt::Debug for LivenessSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LivenessSession")
            .field("id", &self.id)
            .field("verification_id", &self.verification_id)
            .field("version", &self.version)
            .field("status", &self.status)
            .field("frames", &self.frames.len())
            .finish_non_exhaustive()
    }
}

/// A submitted frame: its hash (for idempotency and replay detection) and
/// the exact feedback that was answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameRecord {
    /// The session.
    pub session_id: String,
    /// The verification.
    pub verification_id: VerificationId,
    /// The frame.
    pub frame_id: FrameId,
    /// Hex SHA-256 of the frame bytes.
    pub sha256: String,
    /// When it was received.
    pub received_at: Timestamp,
    /// What was answered (replayed verbatim for an idempotent retry).
    pub feedback: FrameFeedback,
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewJob {
    /// What to run (e.g. `face_match`).
    pub kind: String,
    /// At most one pending job per key (e.g. `face_match:{session}`).
    pub dedupe_key: Option<String>,
    /// Arguments (ids only, never PII).
    pub payload: serde_json::Value,
    /// Not before.
    pub run_at: Timestamp,
    /// Attempts before the job is dead-lettered.
    pub max_attempts: u32,
}

/// A leased job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Backend-assigned id.
    pub id: String,
    /// What to run.
    pub kind: String,
    /// Its dedupe key.
    pub dedupe_key: Option<String>,
    /// Arguments.
    pub payload: serde_json::Value,
    /// Attempts so far, including this one.
    pub attempts: u32,
    /// Attempts before dead-lettering.
    pub max_attempts: u32,
    /// Proof of this lease (completing with a stale token is `Conflict`).
    pub lease_token: String,
    /// The previous attempt's error.
    pub last_error: Option<String>,
}

/// A job that used up its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadJob {
    /// Id (as in the dead-letter table).
    pub id: String,
    /// What it ran.
    pub kind: String,
    /// Its dedupe key.
    pub dedupe_key: Option<String>,
    /// Arguments.
    pub payload: serde_json::Value,
    /// Attempts made.
    pub attempts: u32,
    /// The job's attempt budget (restored when it is requeued).
    pub max_attempts: u32,
    /// The last error.
    pub last_error: String,
    /// When it was dead-lettered.
    pub failed_at: Timestamp,
}

/// Counts of jobs by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStats {
    /// Waiting or leased.
    pub pending: u64,
    /// Dead-lettered.
    pub dead: u64,
}

/// The structured result of reading a verification's document (the
/// `KycOcrData` record). Holds PII: `Debug` shows none of it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OcrRecord {
    /// The verification.
    pub verification_id: VerificationId,
    /// Hex SHA-256 of the stored document that was read.
    pub document_sha256: String,
    /// Which reader.
    pub engine: String,
    /// When it was read.
    pub read_at: Timestamp,
    /// Deleted after this (the verification's retention deadline).
    pub expires_at: Timestamp,
    /// How long the read took, in milliseconds.
    pub latency_ms: u64,
    /// The fields, or `None` when nothing identity-like could be read.
    pub fields: Option<kyc_core::document::fields::DocumentFields>,
}

impl fmt::Debug for OcrRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OcrRecord")
            .field("verification_id", &self.verification_id)
            .field("engine", &self.engine)
            .field("read_at", &self.read_at)
            .field("readable", &self.fields.is_some())
            .finish_non_exhaustive()
    }
}
