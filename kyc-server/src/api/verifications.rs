//! `/v1/verifications…` and `/upload-id` handlers.

use super::extract::{ApiJson, read_upload};
use crate::{
    AppState,
    auth::Principal,
    error::ApiError,
    service::{upload::store_document, verifications as svc},
};
use axum::{
    Json,
    extract::{Path, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use kyc_core::{
    VerificationId,
    api::v1::{
        ClientTokenResponse, CreateVerificationRequest, CreateVerificationResponse, UploadResponse,
        VerificationView,
    },
};

/// Malformed ids are simply not found.
fn parse_id(raw: &str) -> Result<VerificationId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// `POST /v1/verifications` (secret key).
pub(super) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CreateVerificationRequest>,
) -> Result<Response, ApiError> {
    let Principal::Secret { key_id, account, .. } = &principal else {
        return Err(ApiError::forbidden("this endpoint needs a secret key"));
    };
    let idem = headers.get("idempotency-key").map(|v| v.to_str().unwrap_or("\u{7f}"));
    let (v, replayed) =
        svc::create(&state, key_id, account, &req, idem, &principal.actor()).await?;
    let mut resp = (StatusCode::CREATED, Json(created(&state, &v))).into_response();
    if replayed {
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

/// The answer to a creation: the id, a client token for the browser, expiries.
pub(super) fn created(
    state: &AppState,
    v: &crate::backend::Verification,
) -> CreateVerificationResponse {
    let (client_token, client_token_expires_at) = svc::client_token(state, v);
    CreateVerificationResponse {
        verification_id: v.id,
        client_token,
        client_token_expires_at,
        expires_at: v.expires_at,
    }
}

/// `GET /v1/verifications/{id}` (secret key).
pub(super) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<VerificationView>, ApiError> {
    principal.require_secret()?;
    let id = parse_id(&id)?;
    tracing::Span::current().record("verification_id", id.to_string());
    Ok(Json(svc::view(&state, &principal, &id).await?))
}

/// `DELETE /v1/verifications/{id}` (secret key): erase now.
pub(super) async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require_secret()?;
    let id = parse_id(&id)?;
    tracing::Span::current().record("verification_id", id.to_string());
    svc::erase_requested(&state, &principal, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/verifications/{id}/document` (secret key): the stored image, decrypted.
pub(super) async fn document(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require_secret()?;
    let id = parse_id(&id)?;
    tracing::Span::current().record("verification_id", id.to_string());
    let v = svc::get_for(&state, &principal, &id).await?;
    if v.document.is_none() {
        return Err(ApiError::not_found());
    }
    let objects = state.backends.objects.clone();
    let key = crate::backend::ObjectKey::id_upload(id);
    let obj = state.retry_policy().run(|| objects.get(&key)).await?;
    let ct = HeaderValue::from_str(&obj.meta.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok(([(header::CONTENT_TYPE, ct)], obj.body).into_response())
}

/// `POST /v1/verifications/{id}/document` (secret key, or the verification's client token).
pub(super) async fn upload(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    req: Request,
) -> Result<Json<UploadResponse>, ApiError> {
    let id = parse_id(&id)?;
    match &principal {
        Principal::Secret { .. } => {
            // another account's verification is not found, as for every read
            svc::get_for(&state, &principal, &id).await?;
        }
        Principal::Client(c) if c.verification_id == id => {}
        _ => {
            return Err(ApiError::forbidden(
                "these credentials may not upload to this verification",
            ));
        }
    }
    let body = read_upload(req, state.config.upload.max_bytes).await?;
    store_document(&state, &id, body, &principal.actor()).await?;
    let v = svc::get_live(&state, &id).await?;
    Ok(Json(UploadResponse {
        verification_id: id,
        expiration: v.expires_at,
        client_token: None,
        client_token_expires_at: None,
    }))
}

/// `POST /upload-id`: with a client token, uploads to its verification; with a
/// secret key, or a publishable key from an allowed origin, creates a
/// verification, uploads to it and returns its client token.
pub(super) async fn upload_id(
    State(state): State<AppState>,
    principal: Principal,
    req: Request,
) -> Result<Response, ApiError> {
    let body = read_upload(req, state.config.upload.max_bytes).await?;
    let actor = principal.actor();
    match &principal {
        Principal::Client(c) => {
            let id = c.verification_id;
            store_document(&state, &id, body, &actor).await?;
            let v = svc::get_live(&state, &id).await?;
            let resp = UploadResponse {
                verification_id: id,
                expiration: v.expires_at,
                client_token: None,
                client_token_expires_at: None,
            };
            Ok(Json(resp).into_response())
        }
        Principal::Secret { key_id, account, .. } | Principal::Publishable { key_id, account } => {
            let new = CreateVerificationRequest::default();
            let (v, _) = svc::create(&state, key_id, account, &new, None, &actor).await?;
            if let Err(e) = store_document(&state, &v.id, body, &actor).await {
                // leave nothing behind for a rejected upload
                if let Err(cleanup) =
                    svc::erase(&state, &v.id, svc::EraseReason::Requested, &actor).await
                {
                    tracing::warn!(
                        error_code = cleanup.code().as_str(),
                        "could not erase the verification of a failed upload"
                    );
                }
                return Err(e);
            }
            let (token, token_exp) = svc::client_token(&state, &v);
            let resp = UploadResponse {
                verification_id: v.id,
                expiration: v.expires_at,
                client_token: Some(token),
                client_token_expires_at: Some(token_exp),
            };
            Ok((StatusCode::CREATED, Json(resp)).into_response())
        }
    }
}

/// `POST /v1/verifications/{id}/client-token` (secret key): a fresh client
/// token for an existing verification (e.g. the user comes back later).
pub(super) async fn client_token(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<ClientTokenResponse>, ApiError> {
    principal.require_secret()?;
    let id = parse_id(&id)?;
    tracing::Span::current().record("verification_id", id.to_string());
    let v = svc::get_for(&state, &principal, &id).await?;
    let (client_token, client_token_expires_at) = svc::client_token(&state, &v);
    Ok(Json(ClientTokenResponse { verification_id: id, client_token, client_token_expires_at }))
}
