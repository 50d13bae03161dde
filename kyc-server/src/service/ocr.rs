//! Reading the uploaded document: the `ocr` job an upload enqueues (in the
//! same transaction as the upload's record — the outbox).
//!
//! The job reads the stored image with the [`DocumentReader`], turns the text
//! into fields with `kyc_core::document::fields`, stores the raw engine
//! output encrypted as `kyc-ocr-raw/{id}.json`, upserts the `KycOcrData`
//! record, flags the verification for review when fields are missing or
//! the sources disagree, and audits the outcome (codes and confidences,
//! never values). It is idempotent: a record for the same document bytes
//! means the job already ran, and it is not run again with another result.
//!
//! [`DocumentReader`]: crate::backend::document::DocumentReader

use super::{ProviderJobError, audit, verifications::update_verification};
use crate::{
    AppState,
    backend::{NewJob, ObjectKey, ObjectMeta, OcrRecord, ProviderError, PutMode, StoreError},
    error::ApiError,
    telemetry::CodeLabels,
};
use kyc_core::{
    ErrorCode, VerificationId,
    api::v1::{Step, StepStatus},
    document::fields::{DocumentFields, read_fields},
};
use std::time::Instant;

/// The job kind.
pub const OCR_JOB: &str = "ocr";
/// Attempts before an OCR job is dead-lettered.
pub const OCR_MAX_ATTEMPTS: u32 = 6;

/// The job an upload of `id` enqueues.
pub fn ocr_job(id: &VerificationId, now: kyc_core::Timestamp) -> NewJob {
    NewJob {
        kind: OCR_JOB.to_owned(),
        dedupe_key: Some(format!("{OCR_JOB}:{id}")),
        payload: serde_json::json!({ "verificationId": id.to_string() }),
        run_at: now,
        max_attempts: OCR_MAX_ATTEMPTS,
    }
}

/// What the audit log keeps of a reading: which fields, their source and
/// confidence, the problems — no values.
fn audit_detail(record: &OcrRecord) -> serde_json::Value {
    let fields = record.fields.as_ref().map(|f| {
        let one = |x: &Option<kyc_core::document::fields::Field>| {
            x.as_ref().map(|v| serde_json::json!({"source": v.source, "confidence": v.confidence}))
        };
        serde_json::json!({
            "documentKind": f.document_kind,
            "name": one(&f.name),
            "dateOfBirth": one(&f.date_of_birth),
            "documentNumber": one(&f.document_number),
            "mrz": f.mrz,
            "disagreements": f.disagreements.iter().map(|d| d.field.clone()).collect::<Vec<_>>(),
            "problems": f.problems.iter().map(|p| p.code()).collect::<Vec<_>>(),
        })
    });
    serde_json::json!({
        "documentSha256": record.document_sha256,
        "engine": record.engine,
        "latencyMs": record.latency_ms,
        "readable": record.fields.is_some(),
        "fields": fields,
    })
}

/// The review reasons of a reading (stable codes).
fn review_reasons(fields: Option<&DocumentFields>) -> Vec<String> {
    match fields {
        None => vec![ErrorCode::DocumentUnreadable.as_str().to_owned()],
        Some(f) => f.problems.iter().map(|p| p.code().to_owned()).collect(),
    }
}

/// Reads the document of `id` (the `ocr` job).
pub async fn read_document(state: &AppState, id: &VerificationId) -> Result<(), ProviderJobError> {
    let store = state.backends.verifications.clone();
    let v = match state.retry_policy().run(|| store.get(id)).await {
        Ok(v) => v,
        // erased since the upload: nothing to read
        Err(StoreError::NotFound) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let Some(doc) = v.document.clone() else { return Ok(()) };
    let ocr = state.backends.ocr.clone();
    if let Some(done) = state.retry_policy().run(|| ocr.get(id)).await?
        && done.document_sha256 == doc.summary.sha256
    {
        // already read: a crash came after the record, before the job completed
        return settle_reading(state, id, &done).await;
    }
    let objects = state.backends.objects.clone();
    let key = ObjectKey::id_upload(*id);
    let object = state.retry_policy().run(|| objects.get(&key)).await?;

    let started = Instant::now();
    let text = match state.document.read_text(&object.body).await {
        Ok(t) => Some(t),
        Err(ProviderError::Rejected(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let now = state.clock.now();
    // `Err(ReadError::Unreadable)`: no identity text; recorded as unreadable
    let fields = text.as_ref().and_then(|t| read_fields(t, now.date()).ok());
    let latency = started.elapsed();
    state.metrics.ocr_read(latency);

    let raw =
        serde_json::json!({ "engine": state.document.name(), "text": text, "fields": fields });
    let raw = bytes::Bytes::from(serde_json::to_vec(&raw).map_err(ApiError::internal)?);
    let meta = ObjectMeta { content_type: "application/json".into() };
    let raw_key = ObjectKey::ocr_raw(*id);
    state
        .retry_policy()
        .run(|| objects.put(&raw_key, raw.clone(), &meta, PutMode::Overwrite))
        .await?;

    let record = OcrRecord {
        verification_id: *id,
        document_sha256: doc.summary.sha256.clone(),
        engine: state.document.name().to_owned(),
        read_at: now,
        expires_at: v.expires_at,
        latency_ms: latency.as_millis() as u64,
        fields,
    };
    state.retry_policy().run(|| ocr.put(&record)).await?;

    let reasons = review_reasons(record.fields.as_ref());
    for r in &reasons {
        state.metrics.ocr_alerts.get_or_create(&CodeLabels { code: r.clone() }).inc();
    }
    let missing = record.fields.as_ref().map(DocumentFields::missing).unwrap_or_default();
    if let Some(code) = reasons.first() {
        tracing::warn!(verification_id = %id, step = "document_read", status = "needs_review", error_code = %code, missing = ?missing, "document reading needs review");
    }
    settle_reading(state, id, &record).await
}

/// What follows a stored reading: the review flag and the audit record.
/// Both are idempotent, so a job re-run after a crash completes them once.
async fn settle_reading(
    state: &AppState,
    id: &VerificationId,
    record: &OcrRecord,
) -> Result<(), ProviderJobError> {
    flag_for_review(state, id, &review_reasons(record.fields.as_ref())).await?;
    if record.fields.as_ref().is_some_and(|f| f.name.is_some()) {
        // the next link of the chain: screening (idempotent per lists version)
        let job =
            super::screening::screen_job(id, &state.screener.lists_version(), state.clock.now());
        let jobs = state.backends.jobs.clone();
        state.retry_policy().run(|| jobs.enqueue(&job)).await?;
    }
    let log = state.backends.audit.clone();
    let audited = state.retry_policy().run(|| log.for_verification(id)).await?.iter().any(|r| {
        r.event.step == Step::DocumentRead
            && r.event.detail.get("documentSha256").and_then(|s| s.as_str())
                == Some(record.document_sha256.as_str())
    });
    if audited {
        return Ok(());
    }
    let (status, code) = if record.fields.is_some() {
        (StepStatus::Succeeded, None)
    } else {
        (StepStatus::Failed, Some(ErrorCode::DocumentUnreadable))
    };
    audit(state, Some(*id), Step::DocumentRead, status, code, "system", audit_detail(record))
        .await?;
    Ok(())
}

/// Records the review flag and reasons on the verification.
async fn flag_for_review(
    state: &AppState,
    id: &VerificationId,
    reasons: &[String],
) -> Result<(), ProviderJobError> {
    if reasons.is_empty() {
        return Ok(());
    }
    update_verification(state, id, |v| {
        v.needs_review = true;
        for r in reasons {
            if !v.review_reasons.contains(r) {
                v.review_reasons.push(r.clone());
            }
        }
    })
    .await?;
    Ok(())
}
