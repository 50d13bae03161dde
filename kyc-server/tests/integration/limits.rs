use crate::harness::*;
use kyc_server::ServerConfig;

#[tokio::test]
async fn per_key_rate_limit_answers_429_with_retry_after() {
    let mut config = ServerConfig::default();
    config.rate_limit.requests_per_second = 1;
    config.rate_limit.burst = 3;
    let h = Harness::with_config(config);
    let a = h.secret().await;
    let b = h.secret().await;
    for _ in 0..3 {
        assert_eq!(h.post_json("/v1/verifications", &a, "{}").await.status, 201);
    }
    let r = h.post_json("/v1/verifications", &a, "{}").await;
    r.assert_error(429, "rate_limited");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_eq!(h.post_json("/v1/verifications", &b, "{}").await.status, 201, "limits are per key");
}

#[tokio::test]
async fn daily_quota_answers_429_until_midnight_utc() {
    let mut config = ServerConfig::default();
    config.rate_limit.daily_quota = 3;
    config.rate_limit.client_token_daily_quota = 2;
    let h = Harness::with_config(config);
    let sk = h.secret().await;
    let (_, ct) = h.verification(&sk).await; // the key's 1st
    // the end user has the verification's own budget, not the integrator's
    for _ in 0..2 {
        assert_eq!(h.upload("/upload-id", &ct, document_photo(0), "image/jpeg").await.status, 200);
    }
    h.upload("/upload-id", &ct, document_photo(0), "image/jpeg")
        .await
        .assert_error(429, "quota_exceeded");
    assert_eq!(h.post_json("/v1/verifications", &sk, "{}").await.status, 201); // 2nd
    assert_eq!(h.post_json("/v1/verifications", &sk, "{}").await.status, 201); // 3rd
    let r = h.post_json("/v1/verifications", &sk, "{}").await;
    r.assert_error(429, "quota_exceeded");
    assert_eq!(r.headers["retry-after"], "50400", "14 hours from 10:00 to midnight UTC");
    h.clock.advance_ms(50_400_000);
    assert_eq!(h.post_json("/v1/verifications", &sk, "{}").await.status, 201);
}

/// Found by the security review: 39 client-token calls made the integrator's
/// own key answer 429 (quota 40).
#[tokio::test]
async fn end_users_cannot_exhaust_the_integrators_quota() {
    let mut config = ServerConfig::default();
    config.rate_limit.daily_quota = 40;
    let h = Harness::with_config(config);
    let sk = h.secret().await;
    let (_, ct) = h.verification(&sk).await;
    for _ in 0..60 {
        h.get("/verify", &ct).await.assert_error(409, "liveness_not_started");
    }
    assert_eq!(h.post_json("/v1/verifications", &sk, "{}").await.status, 201);
}
