//! Creating, reading and erasing verifications.

use super::audit;
use crate::{
    AppState,
    auth::{ClientClaims, Principal},
    backend::{CreateOutcome, IdempotencyClaim, StoreError, Verification},
    error::ApiError,
};
use kyc_core::{
    ErrorCode, Timestamp, VerificationId,
    api::v1::{
        CreateVerificationRequest, Step, StepStatus, TimelineEntry, VerificationStatus,
        VerificationView,
    },
};
use sha2::{Digest, Sha256};

/// A client token for `v`, expiring after the configured TTL (never after the verification).
pub fn client_token(state: &AppState, v: &Verification) -> (String, Timestamp) {
    let ttl = i64::try_from(state.config.client_token_ttl_secs).unwrap_or(3600);
    let expires = state.clock.now().add_secs(ttl).min(v.expires_at);
    let claims = ClientClaims {
        verification_id: v.id,
        owner_key_id: v.owner_key_id.clone(),
        expires_at: expires.unix_secs(),
    };
    (state.tokens.sign(&claims), Timestamp::from_unix_secs(expires.unix_secs()))
}

/// Creates a verification owned by `owner_key_id`. With an `Idempotency-Key`,
/// a repeated request returns the first verification (a different body under
/// the same key is `idempotency_key_reused`). The flag is `true` for a replay.
pub async fn create(
    state: &AppState,
    owner_key_id: &str,
    account: &str,
    req: &CreateVerificationRequest,
    idempotency_key: Option<&str>,
    actor: &str,
) -> Result<(Verification, bool), ApiError> {
    req.validate().map_err(|e| ApiError::invalid(e.to_string()))?;
    let now = state.clock.now();
    let v = Verification {
        id: VerificationId::generate(&mut rand::rng()),
        version: 1,
        status: VerificationStatus::Created,
        created_at: now,
        expires_at: now.add_millis(state.config.retention_ms()),
        owner_key_id: owner_key_id.to_owned(),
        account: account.to_owned(),
        external_ref: req.external_ref.clone(),
        metadata: req.metadata.clone(),
        document: None,
        upload_claim: None,
        liveness: None,
        failed_liveness_attempts: 0,
        needs_review: false,
        review_reasons: Vec::new(),
        screening: None,
    };
    let claim = match idempotency_key {
        Some(k) => {
            if k.is_empty() || k.len() > 255 || !k.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ApiError::invalid(
                    "Idempotency-Key must be 1-255 visible ASCII characters",
                ));
            }
            let body = serde_json::to_vec(req).map_err(ApiError::internal)?;
            let hash = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
            Some(IdempotencyClaim {
                owner_key_id: owner_key_id.to_owned(),
                key: k.to_owned(),
                request_hash: hash,
            })
        }
        None => None,
    };
    let store = state.backends.verifications.clone();
    match state.retry_policy().run(|| store.create(&v, claim.as_ref())).await? {
        CreateOutcome::Created => {
            state.metrics.verifications_created.inc();
            tracing::Span::current().record("verification_id", v.id.to_string());
            audit(
                state,
                Some(v.id),
                Step::Verification,
                StepStatus::Created,
                None,
                actor,
                serde_json::Value::Null,
            )
            .await?;
            Ok((v, false))
        }
        CreateOutcome::Existing { verification, same_request: true } => Ok((*verification, true)),
        CreateOutcome::Existing { same_request: false, .. } => Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used with a different request body",
        )),
    }
}

/// Reads a live (not expired) verification.
pub async fn get_live(state: &AppState, id: &VerificationId) -> Result<Verification, ApiError> {
    let store = state.backends.verifications.clone();
    let v = state.retry_policy().run(|| store.get(id)).await?;
    live(state, v)
}

fn live(state: &AppState, v: Verification) -> Result<Verification, ApiError> {
    if v.expires_at <= state.clock.now() {
        return Err(ApiError::new(ErrorCode::VerificationExpired, "this verification has expired"));
    }
    Ok(v)
}

/// Reads a verification `principal` may act on: another account's is 404,
/// exactly like one that does not exist (checked before expiry, so nothing
/// about it leaks).
pub async fn get_for(
    state: &AppState,
    principal: &Principal,
    id: &VerificationId,
) -> Result<Verification, ApiError> {
    let store = state.backends.verifications.clone();
    let v = state.retry_policy().run(|| store.get(id)).await?;
    if !principal.may_act_on(&v) {
        return Err(ApiError::not_found());
    }
    live(state, v)
}

/// Saves a verification with retries on concurrent changes (`change` is re-applied to a fresh copy).
pub(crate) async fn update_verification(
    state: &AppState,
    id: &VerificationId,
    mut change: impl FnMut(&mut Verification),
) -> Result<Verification, ApiError> {
    let store = state.backends.verifications.clone();
    for _ in 0..5 {
        let mut v = state.retry_policy().run(|| store.get(id)).await?;
        change(&mut v);
        match state.retry_policy().run(|| store.update(&v)).await {
            Ok(saved) => return Ok(saved),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::new(ErrorCode::Conflict, "too many concurrent updates; retry"))
}

/// The verification with its timeline (secret-key view).
pub async fn view(
    state: &AppState,
    principal: &Principal,
    id: &VerificationId,
) -> Result<VerificationView, ApiError> {
    let v = get_for(state, principal, id).await?;
    let log = state.backends.audit.clone();
    let records = state.retry_policy().run(|| log.for_verification(id)).await?;
    let ocr = state.backends.ocr.clone();
    let reading = state.retry_policy().run(|| ocr.get(id)).await?;
    Ok(VerificationView {
        document_data: reading.and_then(|r| r.fields),
        needs_review: v.needs_review,
        screening: v.screening,
        verification_id: v.id,
        status: v.status,
        created_at: v.created_at,
        expires_at: v.expires_at,
        external_ref: v.external_ref,
        metadata: v.metadata,
        document: v.document.map(|d| d.summary),
        liveness: v.liveness,
        timeline: records
            .into_iter()
            .map(|r| TimelineEntry {
                at: r.event.at,
                step: r.event.step,
                status: r.event.status,
                code: r.event.code,
            })
            .collect(),
    })
}

/// Why a verification is erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EraseReason {
    /// `DELETE /v1/verifications/{id}`.
    Requested,
    /// Its retention period ended.
    Expired,
}

/// Erases a verification: its data key and objects first (crypto-shredding),
/// then its reading, its liveness sessions and frames, and its record. Idempotent, and safe to re-run after a crash at any point.
/// The audit trail keeps the (PII-free) record that it happened.
pub async fn erase(
    state: &AppState,
    id: &VerificationId,
    reason: EraseReason,
    actor: &str,
) -> Result<(), ApiError> {
    let objects = state.backends.objects.clone();
    state.retry_policy().run(|| objects.erase_verification(id)).await?;
    let ocr = state.backends.ocr.clone();
    state.retry_policy().run(|| ocr.delete(id)).await?;
    // liveness sessions and frame rows (challenge, pose and eye curves, hashes)
    let liveness = state.backends.liveness.clone();
    state.retry_policy().run(|| liveness.delete_verification(id)).await?;
    let store = state.backends.verifications.clone();
    state.retry_policy().run(|| store.delete(id)).await?;
    state.metrics.verifications_erased.inc();
    let step = match reason {
        EraseReason::Requested => Step::Verification,
        EraseReason::Expired => Step::Retention,
    };
    audit(state, Some(*id), step, StepStatus::Erased, None, actor, serde_json::Value::Null).await
}

/// Erases on request: 404 if there is nothing to erase, or it is not the
/// caller's. An expired verification can still be erased at once.
pub async fn erase_requested(
    state: &AppState,
    principal: &Principal,
    id: &VerificationId,
) -> Result<(), ApiError> {
    let store = state.backends.verifications.clone();
    match state.retry_policy().run(|| store.get(id)).await {
        Ok(v) if principal.may_act_on(&v) => {
            erase(state, id, EraseReason::Requested, &principal.actor()).await
        }
        Ok(_) | Err(StoreError::NotFound) => Err(ApiError::not_found()),
        Err(e) => Err(e.into()),
    }
}
