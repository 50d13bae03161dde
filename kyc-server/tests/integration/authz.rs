//! The authorization matrix: every route × every kind of credential, each
//! cell on a fresh server, with the expected status and error body.
//!
//! "Allowed" cells must get past authentication and authorization (their
//! answer is whatever the route then says: 2xx, or e.g. 409 for liveness not
//! started); every other cell names its exact status and code. Tenancy: a
//! secret key of another account gets 404 on this account's verification,
//! exactly like an id that does not exist; an admin key reaches every
//! account.

use crate::harness::{ClockExt, Harness, document_photo};
use axum::{
    body::Body,
    http::{Method, Request, header},
};
use kyc_core::{
    Timestamp,
    api::v1::{KeyKind, KeyRole},
};

const ORIGIN: &str = "https://shop.example";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cred {
    None,
    Garbage,
    UnknownKey,
    WrongSecret,
    RevokedSecret,
    PublishableAllowedOrigin,
    PublishableOtherOrigin,
    TokenOfThis,
    TokenOfAnother,
    ExpiredToken,
    TamperedToken,
    TokenOfRevokedKey,
    SecretOfThisAccount,
    SecretOfAnotherAccount,
    Admin,
}

const CREDS: &[Cred] = &[
    Cred::None,
    Cred::Garbage,
    Cred::UnknownKey,
    Cred::WrongSecret,
    Cred::RevokedSecret,
    Cred::PublishableAllowedOrigin,
    Cred::PublishableOtherOrigin,
    Cred::TokenOfThis,
    Cred::TokenOfAnother,
    Cred::ExpiredToken,
    Cred::TamperedToken,
    Cred::TokenOfRevokedKey,
    Cred::SecretOfThisAccount,
    Cred::SecretOfAnotherAccount,
    Cred::Admin,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Past authentication and authorization.
    Allowed,
    /// Exactly this error.
    Error(u16, &'static str),
}

use Expect::{Allowed, Error};

const UNAUTHORIZED: Expect = Error(401, "unauthorized");
const FORBIDDEN: Expect = Error(403, "forbidden");
const NOT_FOUND: Expect = Error(404, "not_found");

/// The answer every route gives to credentials that do not authenticate.
fn unauthenticated(c: Cred) -> Option<Expect> {
    match c {
        Cred::None
        | Cred::Garbage
        | Cred::UnknownKey
        | Cred::WrongSecret
        | Cred::RevokedSecret
        | Cred::ExpiredToken
        | Cred::TamperedToken
        | Cred::TokenOfRevokedKey => Some(UNAUTHORIZED),
        // a publishable key outside its origins is refused before any route logic
        Cred::PublishableOtherOrigin => Some(FORBIDDEN),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Create,
    Get,
    Delete,
    UploadToId,
    GetDocument,
    ClientToken,
    UploadId,
    StartLiveness,
    SubmitFrame,
    Verify,
}

const ROUTES: &[Route] = &[
    Route::Create,
    Route::Get,
    Route::Delete,
    Route::UploadToId,
    Route::GetDocument,
    Route::ClientToken,
    Route::UploadId,
    Route::StartLiveness,
    Route::SubmitFrame,
    Route::Verify,
];

impl Route {
    fn request(self, id: &str) -> (Method, String, Body, &'static str) {
        let json = "application/json";
        match self {
            Self::Create => (Method::POST, "/v1/verifications".into(), Body::from("{}"), json),
            Self::Get => (Method::GET, format!("/v1/verifications/{id}"), Body::empty(), json),
            Self::Delete => {
                (Method::DELETE, format!("/v1/verifications/{id}"), Body::empty(), json)
            }
            Self::UploadToId => (
                Method::POST,
                format!("/v1/verifications/{id}/document"),
                Body::from(document_photo(0)),
                "image/jpeg",
            ),
            Self::GetDocument => {
                (Method::GET, format!("/v1/verifications/{id}/document"), Body::empty(), json)
            }
            Self::ClientToken => {
                (Method::POST, format!("/v1/verifications/{id}/client-token"), Body::empty(), json)
            }
            Self::UploadId => {
                (Method::POST, "/upload-id".into(), Body::from(document_photo(0)), "image/jpeg")
            }
            Self::StartLiveness => (Method::POST, "/start-liveness".into(), Body::empty(), json),
            Self::SubmitFrame => (
                Method::POST,
                "/submit-frame".into(),
                Body::from(r#"{"frameId":"f1","nonce":"00","image":"AA=="}"#),
                json,
            ),
            Self::Verify => (Method::GET, "/verify".into(), Body::empty(), json),
        }
    }

    /// What `cred` gets on this route (aimed at the target verification).
    fn expect(self, cred: Cred) -> Expect {
        if let Some(e) = unauthenticated(cred) {
            return e;
        }
        let secret_only =
            matches!(self, Self::Get | Self::Delete | Self::GetDocument | Self::ClientToken);
        let client_only = matches!(self, Self::StartLiveness | Self::SubmitFrame | Self::Verify);
        match (self, cred) {
            // any secret key creates in its own account; nothing else creates here
            (
                Self::Create,
                Cred::SecretOfThisAccount | Cred::SecretOfAnotherAccount | Cred::Admin,
            ) => Allowed,
            (Self::Create, _) => FORBIDDEN,
            // /upload-id acts on the token's own verification or creates one
            (Self::UploadId, _) => Allowed,
            (_, Cred::SecretOfAnotherAccount) if !client_only => NOT_FOUND,
            (_, Cred::SecretOfThisAccount | Cred::Admin) if !client_only => Allowed,
            (_, Cred::SecretOfThisAccount | Cred::SecretOfAnotherAccount | Cred::Admin) => {
                FORBIDDEN
            }
            (_, Cred::PublishableAllowedOrigin) => FORBIDDEN,
            (Self::UploadToId, Cred::TokenOfThis) => Allowed,
            (Self::UploadToId, Cred::TokenOfAnother) => FORBIDDEN,
            (_, Cred::TokenOfThis | Cred::TokenOfAnother) if secret_only => FORBIDDEN,
            // liveness routes act on the token's own verification
            (_, Cred::TokenOfThis | Cred::TokenOfAnother) => Allowed,
            (r, c) => panic!("no expectation for {r:?} with {c:?}"),
        }
    }
}

fn key_id(key: &str) -> &str {
    key.split('_').nth(2).unwrap()
}

/// A fresh server with the target verification (account `acme`) and the
/// credential; returns the harness, the target id and the Authorization
/// value (if any) and Origin (if any).
async fn setup(cred: Cred) -> (Harness, String, Option<String>, Option<&'static str>) {
    let h = Harness::new();
    let acme = h.key_for(KeyKind::Secret, &[], "acme", KeyRole::Integrator).await;
    let (id, token) = h.verification(&acme).await;
    let now: Timestamp = h.clock.now_ts();
    let bearer = |s: &str| Some(format!("Bearer {s}"));
    let (auth, origin) = match cred {
        Cred::None => (None, None),
        Cred::Garbage => (Some("Bearer !!not-a-credential!!".into()), None),
        Cred::UnknownKey => (bearer("kyc_sk_0123456789abcdef_c2VjcmV0"), None),
        Cred::WrongSecret => (bearer(&format!("kyc_sk_{}_d3Jvbmc", key_id(&acme))), None),
        Cred::RevokedSecret => {
            let k = h.key_for(KeyKind::Secret, &[], "acme", KeyRole::Integrator).await;
            h.state.backends.keys.revoke(key_id(&k), now).await.unwrap();
            (bearer(&k), None)
        }
        Cred::PublishableAllowedOrigin | Cred::PublishableOtherOrigin => {
            let k = h.key_for(KeyKind::Publishable, &[ORIGIN], "acme", KeyRole::Integrator).await;
            let origin = if cred == Cred::PublishableAllowedOrigin {
                ORIGIN
            } else {
                "https://evil.example"
            };
            (bearer(&k), Some(origin))
        }
        Cred::TokenOfThis => (bearer(&token), None),
        Cred::TokenOfAnother => (bearer(&h.verification(&acme).await.1), None),
        Cred::ExpiredToken => {
            h.clock.advance_ms(3_601_000);
            (bearer(&token), None)
        }
        Cred::TamperedToken => {
            // flip one character of the signed payload
            let (payload, mac) = token.rsplit_once('.').unwrap();
            let mut p: Vec<u8> = payload.bytes().collect();
            let i = p.len() - 3;
            p[i] = if p[i] == b'A' { b'B' } else { b'A' };
            (bearer(&format!("{}.{mac}", String::from_utf8(p).unwrap())), None)
        }
        Cred::TokenOfRevokedKey => {
            let k = h.key_for(KeyKind::Secret, &[], "acme", KeyRole::Integrator).await;
            let (_, t) = h.verification(&k).await;
            h.state.backends.keys.revoke(key_id(&k), now).await.unwrap();
            (bearer(&t), None)
        }
        Cred::SecretOfThisAccount => {
            (bearer(&h.key_for(KeyKind::Secret, &[], "acme", KeyRole::Integrator).await), None)
        }
        Cred::SecretOfAnotherAccount => {
            (bearer(&h.key_for(KeyKind::Secret, &[], "globex", KeyRole::Integrator).await), None)
        }
        Cred::Admin => {
            (bearer(&h.key_for(KeyKind::Secret, &[], "ops", KeyRole::Admin).await), None)
        }
    };
    // routes that read the document need one
    let up = h
        .upload(&format!("/v1/verifications/{id}/document"), &acme, document_photo(0), "image/jpeg")
        .await;
    assert_eq!(up.status, 200, "{}", String::from_utf8_lossy(&up.body));
    (h, id, auth, origin)
}

#[tokio::test]
async fn every_route_with_every_credential() {
    let mut cells = 0;
    let mut failures = Vec::new();
    for &route in ROUTES {
        for &cred in CREDS {
            let (h, id, auth, origin) = setup(cred).await;
            let (method, path, body, ct) = route.request(&id);
            let mut req =
                Request::builder().method(method).uri(&path).header(header::CONTENT_TYPE, ct);
            if let Some(a) = &auth {
                req = req.header(header::AUTHORIZATION, a);
            }
            if let Some(o) = origin {
                req = req.header(header::ORIGIN, o);
            }
            let r = h.send(req.body(body).unwrap()).await;
            let got = r.status.as_u16();
            let text = String::from_utf8_lossy(&r.body).into_owned();
            cells += 1;
            match route.expect(cred) {
                Allowed => {
                    let code = serde_json::from_slice::<serde_json::Value>(&r.body)
                        .ok()
                        .and_then(|j| j["code"].as_str().map(str::to_owned));
                    let refused = matches!(got, 401 | 403)
                        || (got == 404 && code.as_deref() == Some("not_found"));
                    if refused {
                        failures.push(format!(
                            "{route:?} × {cred:?}: allowed expected, got {got} {text}"
                        ));
                    }
                }
                Error(status, code) => {
                    let j: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
                    let shape_ok = j.as_object().is_some_and(|o| o.len() == 2)
                        && j["message"].as_str().is_some_and(|m| !m.is_empty());
                    if got != status || j["code"] != code || !shape_ok {
                        failures.push(format!(
                            "{route:?} × {cred:?}: expected {status} {code}, got {got} {text}"
                        ));
                    }
                }
            }
        }
    }
    assert_eq!(cells, ROUTES.len() * CREDS.len());
    assert!(
        failures.is_empty(),
        "{} of {cells} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn another_accounts_verification_is_indistinguishable_from_a_missing_one() {
    let h = Harness::new();
    let acme = h.key_for(KeyKind::Secret, &[], "acme", KeyRole::Integrator).await;
    let globex = h.key_for(KeyKind::Secret, &[], "globex", KeyRole::Integrator).await;
    let (id, _) = h.verification(&acme).await;
    let missing = "00000000-0000-4000-8000-000000000000";
    let theirs = h.get(&format!("/v1/verifications/{id}"), &globex).await;
    let absent = h.get(&format!("/v1/verifications/{missing}"), &globex).await;
    assert_eq!((theirs.status, &theirs.body), (absent.status, &absent.body));
    // even once expired (410 to its owner), it stays 404 to others
    h.clock.advance_ms(31 * 86_400_000);
    assert_eq!(h.get(&format!("/v1/verifications/{id}"), &acme).await.status, 410);
    h.get(&format!("/v1/verifications/{id}"), &globex).await.assert_error(404, "not_found");
    // and the other account's erase did nothing
    let del = h
        .send(
            Request::delete(format!("/v1/verifications/{id}"))
                .header(header::AUTHORIZATION, format!("Bearer {globex}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    del.assert_error(404, "not_found");
    assert!(h.state.backends.verifications.get(&id.parse().unwrap()).await.is_ok());
}

#[tokio::test]
async fn verifications_belong_to_the_creating_keys_account() {
    let h = Harness::new();
    let pk = h.key_for(KeyKind::Publishable, &[ORIGIN], "acme", KeyRole::Integrator).await;
    let req = Request::post("/upload-id")
        .header(header::AUTHORIZATION, format!("Bearer {pk}"))
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "image/jpeg")
        .body(Body::from(document_photo(0)))
        .unwrap();
    let r = h.send(req).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["verificationId"].as_str().unwrap().to_owned();
    let stored = h.state.backends.verifications.get(&id.parse().unwrap()).await.unwrap();
    assert_eq!(stored.account, "acme");
    let acme = h.key_for(KeyKind::Secret, &[], "acme", KeyRole::Integrator).await;
    assert_eq!(h.get(&format!("/v1/verifications/{id}"), &acme).await.status, 200);
    let other = h.secret().await; // the default account
    h.get(&format!("/v1/verifications/{id}"), &other).await.assert_error(404, "not_found");
}
