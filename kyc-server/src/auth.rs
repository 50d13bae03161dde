//! API keys, client tokens, and the request authentication extractor.
//!
//! * **API keys** look like `kyc_sk_<id>_<secret>` (secret) or
//!   `kyc_pk_<id>_<secret>` (publishable). Only SHA-256 of the secret part is
//!   stored (the secret is 256 random bits, so a slow hash adds nothing), and
//!   it is compared in constant time.
//! * **Client tokens** (`kyc_ct_<payload>.<mac>`) are HMAC-SHA256-signed,
//!   expiring, and scoped to one verification. The signing key is derived from
//!   the master key, so tokens survive restarts and die with a key rotation.
//!
//! [`Principal`] authenticates a request and then applies the key's rate
//! limit and daily quota, so every authenticated route is limited.

use crate::{
    AppState,
    backend::{ApiKeyRecord, StoreError, Verification},
    error::ApiError,
    limits::Budget,
};
use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use hmac::{Hmac, KeyInit, Mac};
use kyc_core::{
    Timestamp, VerificationId,
    api::v1::{KeyKind, KeyRole},
};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

const TOKEN_PREFIX: &str = "kyc_ct_";

/// A newly generated key: the record to store and the full key, shown once.
pub struct GeneratedKey {
    /// What is stored.
    pub record: ApiKeyRecord,
    /// The full key string. Never stored, never logged.
    pub key: String,
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedKey").field("record", &self.record).finish_non_exhaustive()
    }
}

/// Hex SHA-256 of a key's secret part.
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Generates a key of `kind` for `account`. Only secret keys may be admins
/// (a publishable key asked to be one stays an integrator key).
pub fn generate_key(
    kind: KeyKind,
    origins: Vec<String>,
    account: &str,
    role: KeyRole,
    now: Timestamp,
) -> GeneratedKey {
    let mut rng = rand::rng();
    let mut id_bytes = [0u8; 8];
    rng.fill_bytes(&mut id_bytes);
    let id: String = id_bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut secret_bytes = [0u8; 32];
    rng.fill_bytes(&mut secret_bytes);
    let secret = B64.encode(secret_bytes);
    let key = format!("{}{id}_{secret}", kind.prefix());
    let record = ApiKeyRecord {
        id,
        kind,
        secret_hash: hash_secret(&secret),
        origins,
        account: account.to_owned(),
        role: if kind == KeyKind::Secret { role } else { KeyRole::Integrator },
        created_at: now,
        revoked_at: None,
    };
    GeneratedKey { record, key }
}

/// Splits `kyc_sk_<id>_<secret>` into its parts. The id is 16 hex digits.
pub fn parse_key(s: &str) -> Option<(KeyKind, &str, &str)> {
    for kind in [KeyKind::Secret, KeyKind::Publishable] {
        if let Some(rest) = s.strip_prefix(kind.prefix()) {
            let (id, secret) = rest.split_once('_')?;
            if id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()) && !secret.is_empty() {
                return Some((kind, id, secret));
            }
            return None;
        }
    }
    None
}

/// Constant-time check of a secret against its stored hash.
pub fn verify_secret(secret: &str, stored_hash: &str) -> bool {
    let computed = hash_secret(secret);
    computed.as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

/// What a client token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientClaims {
    /// The one verification the token may act on.
    #[serde(rename = "v")]
    pub verification_id: VerificationId,
    /// The API key that created the verification (for limits and audit).
    #[serde(rename = "k")]
    pub owner_key_id: String,
    /// Expiry, seconds since the Unix epoch.
    #[serde(rename = "e")]
    pub expires_at: i64,
}

/// Signs and checks client tokens.
pub struct TokenSigner {
    key: [u8; 32],
}

impl fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSigner(..)")
    }
}

/// Why a client token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token, or the signature does not match.
    #[error("invalid client token")]
    Invalid,
    /// Past its expiry.
    #[error("expired client token")]
    Expired,
}

impl TokenSigner {
    /// A signer with a 32-byte key.
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        // HMAC accepts keys of any length
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(TOKEN_PREFIX.as_bytes());
        mac.update(payload.as_bytes());
        mac
    }

    /// Issues a token for `claims`.
    pub fn sign(&self, claims: &ClientClaims) -> String {
        let payload = B64.encode(serde_json::to_vec(claims).unwrap_or_default());
        let tag = B64.encode(self.mac(&payload).finalize().into_bytes());
        format!("{TOKEN_PREFIX}{payload}.{tag}")
    }

    /// Checks signature and expiry.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<ClientClaims, TokenError> {
        let rest = token.strip_prefix(TOKEN_PREFIX).ok_or(TokenError::Invalid)?;
        let (payload, tag) = rest.split_once('.').ok_or(TokenError::Invalid)?;
        let tag = B64.decode(tag).map_err(|_| TokenError::Invalid)?;
        self.mac(payload).verify_slice(&tag).map_err(|_| TokenError::Invalid)?;
        let json = B64.decode(payload).map_err(|_| TokenError::Invalid)?;
        let claims: ClientClaims =
            serde_json::from_slice(&json).map_err(|_| TokenError::Invalid)?;
        if now.unix_secs() >= claims.expires_at {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A secret API key (server to server).
    Secret {
        /// Key id.
        key_id: String,
        /// The account it acts for.
        account: String,
        /// Integrator (its account only) or admin (every account).
        role: KeyRole,
    },
    /// A publishable key, from one of its allowed origins.
    Publishable {
        /// Key id.
        key_id: String,
        /// The account its verifications belong to.
        account: String,
    },
    /// A client token for one verification.
    Client(ClientClaims),
}

impl Principal {
    /// The id recorded as the actor in the audit log (never a secret).
    pub fn actor(&self) -> String {
        match self {
            Self::Secret { key_id, .. } | Self::Publishable { key_id, .. } => key_id.clone(),
            Self::Client(c) => format!("client:{}", c.owner_key_id),
        }
    }

    /// The daily budget this request counts against: the key's own, or for
    /// a client token its verification's (end users never spend the
    /// integrator's quota).
    pub fn budget(&self) -> Budget {
        match self {
            Self::Secret { key_id, .. } | Self::Publishable { key_id, .. } => {
                Budget::Key(key_id.clone())
            }
            Self::Client(c) => Budget::ClientToken(c.verification_id),
        }
    }

    /// The rate-limit bucket: per key, and per verification for client tokens.
    fn rate_key(&self) -> String {
        match self {
            Self::Secret { key_id, .. } | Self::Publishable { key_id, .. } => key_id.clone(),
            Self::Client(c) => format!("ct:{}", c.verification_id),
        }
    }

    /// The key id of a secret key, or 403.
    pub fn require_secret(&self) -> Result<&str, ApiError> {
        match self {
            Self::Secret { key_id, .. } => Ok(key_id),
            _ => Err(ApiError::forbidden("this endpoint needs a secret key")),
        }
    }

    /// Whether this caller may act on `v`: a client token on its own
    /// verification, a secret key on its account's, an admin key on any. A
    /// publishable key only ever creates.
    pub fn may_act_on(&self, v: &Verification) -> bool {
        match self {
            Self::Secret { role: KeyRole::Admin, .. } => true,
            Self::Secret { account, .. } => *account == v.account,
            Self::Publishable { .. } => false,
            Self::Client(c) => c.verification_id == v.id,
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let token = bearer(&parts.headers).ok_or_else(ApiError::unauthorized)?;
    let now = state.clock.now();
    if token.starts_with(TOKEN_PREFIX) {
        let claims = state.tokens.verify(token, now).map_err(|_| ApiError::unauthorized())?;
        // the demo page's verifications have no key; their tokens live while the demo is on
        if claims.owner_key_id == crate::api::demo::DEMO_OWNER {
            return if state.config.demo_enabled() {
                Ok(Principal::Client(claims))
            } else {
                Err(ApiError::unauthorized())
            };
        }
        // a token lives no longer than the key that issued it
        return match state.backends.keys.get(&claims.owner_key_id).await {
            Ok(owner) if !owner.is_revoked(now) => Ok(Principal::Client(claims)),
            Ok(_) | Err(StoreError::NotFound) => Err(ApiError::unauthorized()),
            Err(e) => Err(e.into()),
        };
    }
    let (kind, id, secret) = parse_key(token).ok_or_else(ApiError::unauthorized)?;
    let record = match state.backends.keys.get(id).await {
        Ok(r) => r,
        Err(StoreError::NotFound) => return Err(ApiError::unauthorized()),
        Err(e) => return Err(e.into()),
    };
    if record.kind != kind || record.is_revoked(now) || !verify_secret(secret, &record.secret_hash)
    {
        return Err(ApiError::unauthorized());
    }
    match kind {
        KeyKind::Secret => {
            Ok(Principal::Secret { key_id: record.id, account: record.account, role: record.role })
        }
        KeyKind::Publishable => {
            let origin = parts.headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
            match origin {
                Some(o) if record.origins.iter().any(|allowed| allowed == o) => {
                    Ok(Principal::Publishable { key_id: record.id, account: record.account })
                }
                _ => {
                    Err(ApiError::forbidden("this publishable key is not allowed from this origin"))
                }
            }
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let now = state.clock.now();
        state.limits.admit_address(addr, now)?;
        let principal = match authenticate(parts, state).await {
            Ok(p) => p,
            Err(e) => {
                if e.code() == kyc_core::ErrorCode::Unauthorized {
                    state.limits.record_auth_failure(addr, now);
                }
                return Err(e);
            }
        };
        state.limits.admit(&principal.rate_key(), &principal.budget(), state.clock.now()).await?;
        Ok(principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_verify() {
        let g = generate_key(
            KeyKind::Secret,
            vec![],
            kyc_core::api::v1::DEFAULT_ACCOUNT,
            KeyRole::Integrator,
            Timestamp::from_unix_millis(0),
        );
        let (kind, id, secret) = parse_key(&g.key).unwrap();
        assert_eq!((kind, id), (KeyKind::Secret, g.record.id.as_str()));
        assert!(verify_secret(secret, &g.record.secret_hash));
        assert!(!verify_secret("wrong", &g.record.secret_hash));
        assert!(!format!("{g:?}").contains(secret));
        assert!(parse_key("kyc_sk_nothex!!!!!!!!!_abc").is_none());
        assert!(parse_key("kyc_sk_0123456789abcdef_").is_none());
        assert!(parse_key("Bearer something").is_none());
    }

    #[test]
    fn tokens_are_signed_scoped_and_expiring() {
        let s = TokenSigner::new([1; 32]);
        let claims = ClientClaims {
            verification_id: "7f1c0d7e-8a5b-4c1e-9a4b-2f9d3c1b0a11".parse().unwrap(),
            owner_key_id: "0123456789abcdef".into(),
            expires_at: 2_000,
        };
        let t = s.sign(&claims);
        assert_eq!(s.verify(&t, Timestamp::from_unix_secs(1_999)), Ok(claims.clone()));
        assert_eq!(s.verify(&t, Timestamp::from_unix_secs(2_000)), Err(TokenError::Expired));
        assert_eq!(
            TokenSigner::new([2; 32]).verify(&t, Timestamp::from_unix_secs(0)),
            Err(TokenError::Invalid)
        );
        // a payload swapped in from another token fails the MAC
        let other = s.sign(&ClientClaims { expires_at: 9_999, ..claims });
        let forged =
            format!("{}.{}", other.split('.').next().unwrap(), t.split('.').nth(1).unwrap());
        assert_eq!(s.verify(&forged, Timestamp::from_unix_secs(0)), Err(TokenError::Invalid));
        assert_eq!(
            s.verify("kyc_ct_garbage", Timestamp::from_unix_secs(0)),
            Err(TokenError::Invalid)
        );
    }
}
