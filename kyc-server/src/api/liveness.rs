//! `/start-liveness`, `/submit-frame`, `/verify` (client token).

use super::extract::{is_multipart, read_json, read_multipart};
use crate::{
    AppState,
    auth::{ClientClaims, Principal},
    error::ApiError,
    service::liveness::{self as svc, FrameInput},
};
use axum::{
    Json,
    extract::{Request, State},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use kyc_core::{
    Timestamp,
    api::v1::{FrameFeedback, StartLivenessResponse, SubmitFrameRequest, VerifyResponse},
};

/// Largest frame request (a 2 MiB image, base64-encoded, plus fields).
const FRAME_BODY_LIMIT: u64 = 3 * 1024 * 1024;

fn client(principal: &Principal) -> Result<&ClientClaims, ApiError> {
    match principal {
        Principal::Client(c) => Ok(c),
        _ => Err(ApiError::forbidden("this endpoint needs the verification's client token")),
    }
}

/// `POST /start-liveness`
pub(super) async fn start(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<StartLivenessResponse>, ApiError> {
    Ok(Json(svc::start(&state, client(&principal)?).await?))
}

fn decode_image(b64: &str) -> Result<bytes::Bytes, ApiError> {
    // tolerate a data URL as produced by canvas.toDataURL()
    let data = b64.split_once(";base64,").map_or(b64, |(_, d)| d);
    STANDARD
        .decode(data.trim())
        .map(Into::into)
        .map_err(|_| ApiError::invalid("image is not valid base64"))
}

/// `POST /submit-frame`: JSON `{frameId, nonce, image (base64), capturedAt?}`
/// or multipart with the same fields (`image` as a file).
pub(super) async fn submit_frame(
    State(state): State<AppState>,
    principal: Principal,
    req: Request,
) -> Result<Json<FrameFeedback>, ApiError> {
    let claims = client(&principal)?.clone();
    let input = if is_multipart(&req) {
        let fields = read_multipart(req, FRAME_BODY_LIMIT).await?;
        let text = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        };
        let image = fields
            .iter()
            .find(|(n, _)| n == "image")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| ApiError::invalid("the multipart body has no image field"))?;
        let captured_at = match text("capturedAt") {
            Some(t) => Some(
                Timestamp::parse_rfc3339(&t)
                    .map_err(|_| ApiError::invalid("capturedAt is not an RFC 3339 timestamp"))?,
            ),
            None => None,
        };
        FrameInput {
            frame_id: text("frameId").ok_or_else(|| ApiError::invalid("frameId is required"))?,
            nonce: text("nonce").ok_or_else(|| ApiError::invalid("nonce is required"))?,
            image,
            captured_at,
        }
    } else {
        let body: SubmitFrameRequest = read_json(req, FRAME_BODY_LIMIT).await?;
        FrameInput {
            image: decode_image(&body.image)?,
            frame_id: body.frame_id,
            nonce: body.nonce,
            captured_at: body.captured_at,
        }
    };
    Ok(Json(svc::submit_frame(&state, &claims, input).await?))
}

/// `GET /verify`
pub(super) async fn verify(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<VerifyResponse>, ApiError> {
    Ok(Json(svc::verify(&state, client(&principal)?).await?))
}
