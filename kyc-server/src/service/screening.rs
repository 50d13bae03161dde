//! Screening a verification: the `screen` job the document reading enqueues
//! once it has stored the fields (and `kyc lists import|update` enqueues for
//! every verification still kept, when the lists change).
//!
//! The job reads the name, date of birth and nationality from the
//! `KycOcrData` record, asks the [`Screener`], lets
//! `kyc_core::decision::sanctions_status` decide, stores the full answer
//! encrypted as `kyc-screening-raw/{id}.json`, records `sanctionsStatus`,
//! `matches[]` and `screenedAt` on the verification, flags it for review
//! when not clear, counts `kyc_sanctions_flags_total`, and audits the
//! outcome (statuses, list ids and scores — never the subject's name or
//! birth date). It is idempotent per lists version.
//!
//! [`Screener`]: crate::backend::screening::Screener

use super::{ProviderJobError, audit, verifications::update_verification};
use crate::{
    AppState,
    backend::{
        NewJob, ObjectKey, ObjectMeta, ProviderError, PutMode, StoreError,
        screening::ScreeningQuery,
    },
    error::ApiError,
};
use kyc_core::{
    Timestamp, VerificationId,
    api::v1::{SanctionsStatus, ScreeningSummary, Step, StepStatus},
    decision::sanctions_status,
};

/// The job kind.
pub const SCREEN_JOB: &str = "screen";
/// Attempts before a screening job is dead-lettered.
pub const SCREEN_MAX_ATTEMPTS: u32 = 6;

/// The job that screens `id` (against lists version `version`, for dedupe).
pub fn screen_job(id: &VerificationId, version: &str, now: Timestamp) -> NewJob {
    NewJob {
        kind: SCREEN_JOB.to_owned(),
        dedupe_key: Some(format!("{SCREEN_JOB}:{id}:{version}")),
        payload: serde_json::json!({ "verificationId": id.to_string() }),
        run_at: now,
        max_attempts: SCREEN_MAX_ATTEMPTS,
    }
}

/// The subject of `id` as read from its document, if a name was read.
async fn subject(
    state: &AppState,
    id: &VerificationId,
) -> Result<Option<ScreeningQuery>, ProviderJobError> {
    let ocr = state.backends.ocr.clone();
    let Some(record) = state.retry_policy().run(|| ocr.get(id)).await? else { return Ok(None) };
    let Some(fields) = record.fields else { return Ok(None) };
    let Some(name) = fields.name.map(|f| f.value).filter(|n| !n.trim().is_empty()) else {
        return Ok(None);
    };
    Ok(Some(ScreeningQuery {
        name,
        date_of_birth: fields.date_of_birth.map(|f| f.value),
        country: fields.nationality.map(|f| f.value),
        individual: true,
    }))
}

/// Screens verification `id` (the `screen` job).
pub async fn screen_verification(
    state: &AppState,
    id: &VerificationId,
) -> Result<(), ProviderJobError> {
    let store = state.backends.verifications.clone();
    let v = match state.retry_policy().run(|| store.get(id)).await {
        Ok(v) => v,
        Err(StoreError::NotFound) => return Ok(()), // erased meanwhile
        Err(e) => return Err(e.into()),
    };
    let Some(query) = subject(state, id).await? else {
        tracing::info!(verification_id = %id, step = "screening", status = "skipped", "no name was read; nothing to screen");
        return Ok(());
    };
    let version = state.screener.lists_version();
    if let Some(done) =
        v.screening.as_ref().filter(|s| s.lists_version == version && !version.is_empty())
    {
        // already screened against these lists; a crash may have come before the audit
        return audit_once(state, id, done, None).await;
    }
    let evidence = match state.screener.screen(&query).await {
        Ok(e) => e,
        Err(ProviderError::NotSupported) => return Ok(()), // no screener configured
        Err(e) => return Err(e.into()),
    };
    let status = sanctions_status(evidence.best_score(), &state.config.screening.decision_policy());
    let now = state.clock.now();

    let raw = serde_json::json!({
        "provider": evidence.provider,
        "listsVersion": evidence.lists_version,
        "screenedAt": now,
        "answer": evidence.raw,
    });
    let raw = bytes::Bytes::from(serde_json::to_vec(&raw).map_err(ApiError::internal)?);
    let objects = state.backends.objects.clone();
    let key = ObjectKey::screening_raw(*id);
    let meta = ObjectMeta { content_type: "application/json".into() };
    state.retry_policy().run(|| objects.put(&key, raw.clone(), &meta, PutMode::Overwrite)).await?;

    let summary = ScreeningSummary {
        sanctions_status: status,
        matches: evidence.matches.clone(),
        screened_at: now,
        provider: evidence.provider.clone(),
        lists_version: evidence.lists_version.clone(),
    };
    let previous = v.screening.as_ref().map(|s| s.sanctions_status);
    update_verification(state, id, |v| {
        v.screening = Some(summary.clone());
        if status != SanctionsStatus::Clear {
            v.needs_review = true;
            let code = status.as_str().to_owned();
            if !v.review_reasons.contains(&code) {
                v.review_reasons.push(code);
            }
        }
    })
    .await?;
    if status != SanctionsStatus::Clear {
        state.metrics.sanctions_flag(status.as_str());
        tracing::warn!(verification_id = %id, step = "screening", status = status.as_str(), error_code = status.as_str(), newly_flagged = previous != Some(status), matches = summary.matches.len(), "sanctions screening needs review");
    }
    audit_once(state, id, &summary, previous).await
}

/// Audits a screening unless its record is already in the log.
async fn audit_once(
    state: &AppState,
    id: &VerificationId,
    summary: &ScreeningSummary,
    previous: Option<SanctionsStatus>,
) -> Result<(), ProviderJobError> {
    let screened_at = serde_json::to_value(summary.screened_at).map_err(ApiError::internal)?;
    let log = state.backends.audit.clone();
    let audited = state.retry_policy().run(|| log.for_verification(id)).await?.iter().any(|r| {
        r.event.step == Step::Screening && r.event.detail.get("screenedAt") == Some(&screened_at)
    });
    if audited {
        return Ok(());
    }
    let detail = serde_json::json!({
        "sanctionsStatus": summary.sanctions_status,
        "matches": summary.matches.iter().map(|m| serde_json::json!({
            "source": m.source,
            "id": m.id,
            "score": m.score,
            "alsoListed": m.also_listed.iter().map(|a| format!("{}:{}", a.source, a.id)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "screenedAt": screened_at,
        "provider": summary.provider,
        "listsVersion": summary.lists_version,
        "previousStatus": previous,
    });
    audit(state, Some(*id), Step::Screening, StepStatus::Succeeded, None, "system", detail).await?;
    Ok(())
}
