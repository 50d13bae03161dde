use crate::harness::*;
use axum::{
    body::Body,
    http::{Method, Request, header},
};
use kyc_server::{ServerConfig, service::retention::sweep_once};

#[tokio::test]
async fn creates_with_or_without_a_body() {
    let h = Harness::new();
    let sk = h.secret().await;
    let r = h
        .send(
            Request::post("/v1/verifications")
                .header(header::AUTHORIZATION, format!("Bearer {sk}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 201);
    let j = r.json();
    assert_eq!(j["expiresAt"], "2025-12-25T10:00:00.000Z", "30 days of retention by default");
    assert_eq!(j["clientTokenExpiresAt"], "2025-11-25T11:00:00.000Z");
    assert!(j["clientToken"].as_str().unwrap().starts_with("kyc_ct_"));

    let r = h
        .post_json(
            "/v1/verifications",
            &sk,
            r#"{"externalRef":"cust-42","metadata":{"plan":"gold"}}"#,
        )
        .await;
    let id = r.json()["verificationId"].as_str().unwrap().to_owned();
    let v = h.get(&format!("/v1/verifications/{id}"), &sk).await.json();
    assert_eq!(v["externalRef"], "cust-42");
    assert_eq!(v["metadata"]["plan"], "gold");
    assert_eq!(v["status"], "created");
    assert_eq!(v["timeline"][0]["step"], "verification");
}

#[tokio::test]
async fn rejects_bad_json_bodies() {
    let h = Harness::new();
    let sk = h.secret().await;
    h.post_json("/v1/verifications", &sk, "{not json").await.assert_error(400, "invalid_request");
    h.post_json("/v1/verifications", &sk, r#"{"surprise":1}"#)
        .await
        .assert_error(400, "invalid_request");
    h.post_json("/v1/verifications", &sk, &format!(r#"{{"externalRef":"{}"}}"#, "x".repeat(300)))
        .await
        .assert_error(400, "invalid_request");
    let big = format!(r#"{{"externalRef":"{}"}}"#, "x".repeat(70_000));
    h.post_json("/v1/verifications", &sk, &big).await.assert_error(413, "payload_too_large");
    let xml = Request::post("/v1/verifications")
        .header(header::AUTHORIZATION, format!("Bearer {sk}"))
        .header(header::CONTENT_TYPE, "application/xml")
        .body(Body::from("<a/>"))
        .unwrap();
    h.send(xml).await.assert_error(415, "unsupported_media_type");
}

#[tokio::test]
async fn idempotency_key_returns_the_same_verification() {
    let h = Harness::new();
    let sk = h.secret().await;
    let create = |key: &'static str, body: &'static str, token: String| {
        Request::post("/v1/verifications")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header("idempotency-key", key)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    let a = h.send(create("order-1", r#"{"externalRef":"c1"}"#, sk.clone())).await;
    let b = h.send(create("order-1", r#"{"externalRef":"c1"}"#, sk.clone())).await;
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (201, 201));
    assert_eq!(a.json()["verificationId"], b.json()["verificationId"]);
    assert_eq!(b.headers["idempotent-replayed"], "true");
    assert!(a.headers.get("idempotent-replayed").is_none());
    h.send(create("order-1", r#"{"externalRef":"c2"}"#, sk.clone()))
        .await
        .assert_error(422, "idempotency_key_reused");
    let c = h.send(create("order-2", r#"{"externalRef":"c1"}"#, sk.clone())).await;
    assert_ne!(c.json()["verificationId"], a.json()["verificationId"]);
    let other_key = h.secret().await;
    let d = h.send(create("order-1", r#"{"externalRef":"c1"}"#, other_key)).await;
    assert_ne!(
        d.json()["verificationId"],
        a.json()["verificationId"],
        "keys are scoped to the API key"
    );
}

#[tokio::test]
async fn delete_erases_everything_now() {
    let h = Harness::new();
    let sk = h.secret().await;
    let (id, ct) = h.verification(&sk).await;
    assert_eq!(h.upload("/upload-id", &ct, document_photo(0), "image/jpeg").await.status, 200);
    let del = |token: &str| {
        Request::delete(format!("/v1/verifications/{id}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let r = h.send(del(&sk)).await;
    assert_eq!(r.status, 204);
    h.get(&format!("/v1/verifications/{id}"), &sk).await.assert_error(404, "not_found");
    h.get(&format!("/v1/verifications/{id}/document"), &sk).await.assert_error(404, "not_found");
    let key = kyc_server::backend::ObjectKey::id_upload(id.parse().unwrap());
    assert!(h.state.backends.objects.get(&key).await.is_err());
    h.send(del(&sk)).await.assert_error(404, "not_found");
    // the erasure itself is audited (without personal data)
    let records = h.state.backends.audit.for_verification(&id.parse().unwrap()).await.unwrap();
    assert_eq!(records.last().unwrap().event.status, kyc_core::api::v1::StepStatus::Erased);
}

#[tokio::test]
async fn expired_verifications_are_gone_and_swept() {
    let config = ServerConfig { retention_days: 1, ..Default::default() };
    let h = Harness::with_config(config);
    let sk = h.secret().await;
    let (id, ct) = h.verification(&sk).await;
    let (keep, _) = {
        h.clock.advance_ms(3_600_000);
        h.verification(&sk).await
    };
    assert_eq!(sweep_once(&h.state).await.unwrap(), 0);
    h.clock.advance_ms(86_400_000 - 3_600_000);
    h.get(&format!("/v1/verifications/{id}"), &sk).await.assert_error(410, "verification_expired");
    h.upload(&format!("/v1/verifications/{id}/document"), &sk, document_photo(0), "image/jpeg")
        .await
        .assert_error(410, "verification_expired");
    let _ = ct;
    assert_eq!(sweep_once(&h.state).await.unwrap(), 1);
    h.get(&format!("/v1/verifications/{id}"), &sk).await.assert_error(404, "not_found");
    assert_eq!(
        h.get(&format!("/v1/verifications/{keep}"), &sk).await.status,
        200,
        "unexpired ones stay"
    );
    let records = h.state.backends.audit.for_verification(&id.parse().unwrap()).await.unwrap();
    let last = &records.last().unwrap().event;
    assert_eq!((last.step, last.actor.as_str()), (kyc_core::api::v1::Step::Retention, "system"));
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let h = Harness::new();
    let sk = h.secret().await;
    h.get("/v2/nothing", &sk).await.assert_error(404, "not_found");
    let r = h
        .send(
            Request::builder()
                .method(Method::PUT)
                .uri("/v1/verifications")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    r.assert_error(405, "method_not_allowed");
}

#[tokio::test]
async fn security_headers_and_cors() {
    let mut config = ServerConfig::default();
    config.cors.allowed_origins = vec!["https://shop.example".into()];
    let h = Harness::with_config(config);
    let r = h.send(Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 200);
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
    ] {
        assert_eq!(r.headers[name], value);
    }
    let preflight = |origin: &'static str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/upload-id")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization,content-type")
            .body(Body::empty())
            .unwrap()
    };
    let ok = h.send(preflight("https://shop.example")).await;
    assert_eq!(ok.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://shop.example");
    let no = h.send(preflight("https://evil.example")).await;
    assert!(no.headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}
