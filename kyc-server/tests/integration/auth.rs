use crate::harness::*;
use axum::{
    body::Body,
    http::{Request, header},
};
use kyc_core::api::v1::KeyKind;

#[tokio::test]
async fn missing_malformed_unknown_and_revoked_credentials_are_unauthorized() {
    let h = Harness::new();
    let r = h.send(Request::post("/v1/verifications").body(Body::empty()).unwrap()).await;
    r.assert_error(401, "unauthorized");
    assert_eq!(r.headers[header::WWW_AUTHENTICATE], "Bearer");
    for bad in [
        "nonsense",
        "kyc_sk_",
        "kyc_sk_0123456789abcdef_guess",
        "kyc_ct_e30.AAAA",
        "Basic dXNlcjpwYXNz",
    ] {
        h.post_json("/v1/verifications", bad, "{}").await.assert_error(401, "unauthorized");
    }
    let sk = h.secret().await;
    let (id, secret) = sk.trim_start_matches("kyc_sk_").split_once('_').unwrap();
    let wrong_secret = format!("kyc_sk_{id}_{}", secret.chars().rev().collect::<String>());
    h.post_json("/v1/verifications", &wrong_secret, "{}").await.assert_error(401, "unauthorized");
    // a secret key presented as publishable is not the same credential
    h.post_json("/v1/verifications", &sk.replacen("kyc_sk_", "kyc_pk_", 1), "{}")
        .await
        .assert_error(401, "unauthorized");

    assert_eq!(h.post_json("/v1/verifications", &sk, "{}").await.status, 201);
    h.state.backends.keys.revoke(id, h.clock.now_ts()).await.unwrap();
    h.post_json("/v1/verifications", &sk, "{}").await.assert_error(401, "unauthorized");
}

/// Found by the security review: 300 wrong secrets got 300×401 and no 429.
#[tokio::test]
async fn guessing_credentials_is_rate_limited_per_address() {
    let h = Harness::new();
    let sk = h.secret().await;
    let from = |ip: &str, token: &str| {
        let addr: std::net::SocketAddr = format!("{ip}:40000").parse().unwrap();
        let mut r = Request::post("/v1/verifications")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        r.extensions_mut().insert(axum::extract::ConnectInfo(addr));
        r
    };
    let guess = |i: usize| format!("kyc_sk_{i:016x}_guess{i}");
    let mut statuses = Vec::new();
    for i in 0..300 {
        statuses.push(h.send(from("198.51.100.7", &guess(i))).await.status.as_u16());
    }
    assert!(statuses[..30].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[30..].iter().all(|s| *s == 429), "{statuses:?}");
    // even the right key waits: the address is blocked before any key is looked at
    let r = h.send(from("198.51.100.7", &sk)).await;
    r.assert_error(429, "rate_limited");
    assert!(r.headers.contains_key("retry-after"));
    // another address is unaffected, and the block ends with the minute
    assert_eq!(h.send(from("198.51.100.8", &sk)).await.status, 201);
    h.clock.advance_ms(60_000);
    assert_eq!(h.send(from("198.51.100.7", &sk)).await.status, 201);
}

/// Found by the security review: a client token kept working (200) after its
/// key was revoked.
#[tokio::test]
async fn a_revoked_keys_client_tokens_die_with_it() {
    let h = Harness::new();
    let sk = h.secret().await;
    let (_, ct) = h.verification(&sk).await;
    assert_eq!(h.upload("/upload-id", &ct, document_photo(0), "image/jpeg").await.status, 200);
    let (key_id, _) = sk.trim_start_matches("kyc_sk_").split_once('_').unwrap();
    h.state.backends.keys.revoke(key_id, h.clock.now_ts()).await.unwrap();
    h.upload("/upload-id", &ct, document_photo(0), "image/jpeg")
        .await
        .assert_error(401, "unauthorized");
    h.post_json("/start-liveness", &ct, "{}").await.assert_error(401, "unauthorized");
}

#[tokio::test]
async fn client_tokens_are_scoped_to_their_verification() {
    let h = Harness::new();
    let sk = h.secret().await;
    let (id_a, ct_a) = h.verification(&sk).await;
    let (id_b, _) = h.verification(&sk).await;
    let photo = document_photo(0);
    h.upload(&format!("/v1/verifications/{id_b}/document"), &ct_a, photo.clone(), "image/jpeg")
        .await
        .assert_error(403, "forbidden");
    assert_eq!(
        h.upload(&format!("/v1/verifications/{id_a}/document"), &ct_a, photo, "image/jpeg")
            .await
            .status,
        200
    );
    // client tokens cannot read results, documents, or create verifications
    h.get(&format!("/v1/verifications/{id_a}"), &ct_a).await.assert_error(403, "forbidden");
    h.get(&format!("/v1/verifications/{id_a}/document"), &ct_a)
        .await
        .assert_error(403, "forbidden");
    h.post_json("/v1/verifications", &ct_a, "{}").await.assert_error(403, "forbidden");
    let del = h
        .send(
            Request::delete(format!("/v1/verifications/{id_a}"))
                .header(header::AUTHORIZATION, format!("Bearer {ct_a}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    del.assert_error(403, "forbidden");
}

#[tokio::test]
async fn client_tokens_expire_and_cannot_be_forged() {
    let h = Harness::new();
    let sk = h.secret().await;
    let (_, ct) = h.verification(&sk).await;
    let (payload, _) = ct.split_once('.').unwrap();
    let forged = format!("{payload}.{}", "A".repeat(43));
    h.upload("/upload-id", &forged, document_photo(0), "image/jpeg")
        .await
        .assert_error(401, "unauthorized");
    h.clock.advance_ms(3_600_000); // the default client-token TTL
    h.upload("/upload-id", &ct, document_photo(0), "image/jpeg")
        .await
        .assert_error(401, "unauthorized");
}

#[tokio::test]
async fn publishable_keys_work_only_from_their_origins_and_only_for_upload() {
    let h = Harness::new();
    let pk = h.key(KeyKind::Publishable, &["https://shop.example"]).await;
    let upload = |origin: Option<&'static str>| {
        let mut req =
            Request::post("/upload-id").header(header::AUTHORIZATION, format!("Bearer {pk}"));
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        req.body(Body::from(document_photo(5))).unwrap()
    };
    let r = h.send(upload(Some("https://shop.example"))).await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let j = r.json();
    let ct = j["clientToken"].as_str().unwrap();
    assert!(j["clientTokenExpiresAt"].is_string());
    // the returned token continues the flow (here: an idempotent retry)
    assert_eq!(
        h.upload("/upload-id", ct, document_photo(5), "image/jpeg").await.json()["verificationId"],
        j["verificationId"]
    );

    h.send(upload(Some("https://evil.example"))).await.assert_error(403, "forbidden");
    h.send(upload(None)).await.assert_error(403, "forbidden");
    let create = Request::post("/v1/verifications")
        .header(header::AUTHORIZATION, format!("Bearer {pk}"))
        .header(header::ORIGIN, "https://shop.example")
        .body(Body::empty())
        .unwrap();
    h.send(create).await.assert_error(403, "forbidden");
}

#[tokio::test]
async fn a_rejected_publishable_upload_leaves_no_verification_behind() {
    let h = Harness::new();
    let pk = h.key(KeyKind::Publishable, &["https://shop.example"]).await;
    let req = Request::post("/upload-id")
        .header(header::AUTHORIZATION, format!("Bearer {pk}"))
        .header(header::ORIGIN, "https://shop.example")
        .body(Body::from(b"GIF89a....".to_vec()))
        .unwrap();
    h.send(req).await.assert_error(415, "unsupported_media_type");
    let left = h
        .state
        .backends
        .verifications
        .list_expired(kyc_core::Timestamp::from_unix_millis(i64::MAX), 10)
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}
