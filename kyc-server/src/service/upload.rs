//! Storing a verification's identity document.
//!
//! Order of operations, chosen so that a crash at any point loses nothing
//! and leaves no record pointing at a missing object:
//!
//! 1. validate and process the image (no state changes yet; invalid input is
//!    reported before anything else);
//! 2. claim the verification's document slot with the upload's hash
//!    (optimistic update: concurrent uploads of *different* images get 409);
//! 3. write the object (atomic, retried);
//! 4. record the document on the verification and clear the claim;
//! 5. append the audit event.
//!
//! Retrying the same bytes at any point finishes the job and returns the same
//! answer; a stale claim (older than [`CLAIM_TTL_MS`]) can be taken over.

use super::{audit, image::process, verifications::get_live};
use crate::{
    AppState,
    backend::{
        DocumentRecord, ObjectKey, ObjectMeta, PutMode, StoreError, UploadClaim, Verification,
    },
    error::ApiError,
};
use bytes::Bytes;
use kyc_core::{
    ErrorCode, VerificationId,
    api::v1::{DocumentSummary, Step, StepStatus, VerificationStatus},
};
use sha2::{Digest, Sha256};

/// How long an unfinished upload blocks a different one.
pub const CLAIM_TTL_MS: i64 = 5 * 60 * 1000;

fn already_uploaded() -> ApiError {
    ApiError::new(
        ErrorCode::DocumentAlreadyUploaded,
        "this verification already has a different document",
    )
}

/// A stored document and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The document record.
    pub document: DocumentRecord,
    /// The verification's (and so the document's) retention deadline.
    pub expires_at: kyc_core::Timestamp,
}

/// Validates, strips and stores `body` as the verification's document.
pub async fn store_document(
    state: &AppState,
    id: &VerificationId,
    body: Bytes,
    actor: &str,
) -> Result<Stored, ApiError> {
    tracing::Span::current().record("verification_id", id.to_string());
    let result = store_inner(state, id, body, actor).await;
    if let Err(e) = &result {
        state.metrics.upload_error(e.code());
        if !matches!(e.code(), ErrorCode::NotFound | ErrorCode::VerificationExpired) {
            let detail = serde_json::Value::Null;
            // the failure is recorded on a best-effort basis: the client already gets the error
            if let Err(audit_err) = audit(
                state,
                Some(*id),
                Step::Upload,
                StepStatus::Failed,
                Some(e.code()),
                actor,
                detail,
            )
            .await
            {
                tracing::warn!(
                    error_code = audit_err.code().as_str(),
                    "could not audit a failed upload"
                );
            }
        }
    }
    result
}

async fn store_inner(
    state: &AppState,
    id: &VerificationId,
    body: Bytes,
    actor: &str,
) -> Result<Stored, ApiError> {
    let v = get_live(state, id).await?;
    let expires_at = v.expires_at;
    let sha256: String = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
    // bad input is reported as such, whatever state the verification is in
    let policy = state.config.upload;
    let processed =
        state.cpu.run(move || process(&body, &policy)).await.map_err(ApiError::internal)??;
    if let Some(doc) = &v.document {
        return if doc.summary.sha256 == sha256 {
            Ok(Stored { document: doc.clone(), expires_at })
        } else {
            Err(already_uploaded())
        };
    }

    let key = ObjectKey::id_upload(*id);
    let v = claim(state, v, &sha256).await?;
    let Some(v) = v else {
        // a concurrent request with the same bytes finished first
        let done = get_live(state, id).await?;
        let document = done.document.ok_or_else(already_uploaded)?;
        return Ok(Stored { document, expires_at });
    };

    let meta = ObjectMeta { content_type: processed.format.mime_type().to_owned() };
    let objects = state.backends.objects.clone();
    let body = Bytes::from(processed.bytes);
    let size_bytes = body.len() as u64;
    state.retry_policy().run(|| objects.put(&key, body.clone(), &meta, PutMode::Overwrite)).await?;

    let record = DocumentRecord {
        object: key.path(),
        summary: DocumentSummary {
            content_type: meta.content_type.clone(),
            width: processed.width,
            height: processed.height,
            size_bytes,
            sha256: sha256.clone(),
            uploaded_at: state.clock.now(),
        },
    };
    commit(state, v, &record).await?;
    state.metrics.uploads.inc();
    let detail = serde_json::json!({
        "contentType": record.summary.content_type,
        "sizeBytes": record.summary.size_bytes,
        "width": record.summary.width,
        "height": record.summary.height,
        "metadataRemoved": processed.metadata_removed,
        "reoriented": processed.reoriented,
    });
    audit(state, Some(*id), Step::Upload, StepStatus::Succeeded, None, actor, detail).await?;
    Ok(Stored { document: record, expires_at })
}

/// Claims the document slot for `sha256`. `Ok(None)`: the same upload already completed.
async fn claim(
    state: &AppState,
    mut v: Verification,
    sha256: &str,
) -> Result<Option<Verification>, ApiError> {
    let store = state.backends.verifications.clone();
    for _ in 0..5 {
        if let Some(doc) = &v.document {
            return if doc.summary.sha256 == sha256 { Ok(None) } else { Err(already_uploaded()) };
        }
        let now = state.clock.now();
        if let Some(c) = &v.upload_claim {
            let fresh = now.millis_since(c.at) < CLAIM_TTL_MS;
            if c.sha256 == sha256 && fresh {
                return Ok(Some(v)); // our own earlier attempt: finish it
            }
            if fresh {
                return Err(already_uploaded());
            }
        }
        let mut next = v.clone();
        next.upload_claim = Some(UploadClaim { sha256: sha256.to_owned(), at: now });
        match state.retry_policy().run(|| store.update(&next)).await {
            Ok(stored) => return Ok(Some(stored)),
            Err(StoreError::Conflict) => v = store.get(&v.id).await?,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::new(ErrorCode::Conflict, "too many concurrent updates; retry"))
}

/// Records the stored document and releases the claim.
async fn commit(
    state: &AppState,
    mut v: Verification,
    record: &DocumentRecord,
) -> Result<(), ApiError> {
    let store = state.backends.verifications.clone();
    for _ in 0..5 {
        if let Some(doc) = &v.document {
            return if doc.summary.sha256 == record.summary.sha256 {
                Ok(())
            } else {
                Err(already_uploaded())
            };
        }
        let mut next = v.clone();
        next.document = Some(record.clone());
        next.upload_claim = None;
        if next.status == VerificationStatus::Created {
            next.status = VerificationStatus::DocumentUploaded;
        }
        // the record and the OCR job commit together (outbox)
        let jobs = [super::ocr::ocr_job(&v.id, state.clock.now())];
        match state.retry_policy().run(|| store.update_with_jobs(&next, &jobs)).await {
            Ok(_) => return Ok(()),
            Err(StoreError::Conflict) => v = store.get(&v.id).await?,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::new(ErrorCode::Conflict, "too many concurrent updates; retry"))
}
