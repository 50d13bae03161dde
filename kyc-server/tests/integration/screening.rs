//! Screening: the screen job in the pipeline (embedded engine over the
//! shipped lists snapshot), the provider adapter against a local HTTP
//! server, and the `kyc lists` / `kyc screen` commands.

use crate::harness::{ClockExt, Harness, T0};
use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
use kyc_core::{Timestamp, VerificationId, api::v1::Step};
use kyc_server::{
    AppState, Backends, ServerConfig, app,
    backend::{
        ObjectKey, OcrRecord, ProviderError,
        screening::{
            EmbeddedScreener, Screener, ScreeningQuery,
            http::{HttpScreener, HttpScreenerConfig, check_url},
        },
    },
    clock::ManualClock,
    service::{jobs::run_due, screening::screen_job},
};
use std::sync::{
    Arc, Mutex, OnceLock,
    atomic::{AtomicUsize, Ordering},
};

fn shipped() -> Arc<EmbeddedScreener> {
    static SHIPPED: OnceLock<Arc<EmbeddedScreener>> = OnceLock::new();
    SHIPPED.get_or_init(|| Arc::new(EmbeddedScreener::shipped(Default::default()).unwrap())).clone()
}

fn screened_harness() -> Harness {
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_millis(T0)));
    let state =
        AppState::new(ServerConfig::default(), Backends::memory(), clock.clone(), [7u8; 32])
            .with_screener(shipped());
    Harness { app: app(state.clone()), state, clock }
}

/// A verification whose document reading found `name` and `dob`.
async fn read_verification(h: &Harness, secret: &str, name: &str, dob: &str) -> VerificationId {
    let (id, _ct) = h.verification(secret).await;
    let id: VerificationId = id.parse().unwrap();
    let fields = serde_json::from_value(serde_json::json!({
        "documentKind": "passport",
        "name": {"value": name, "confidence": 0.95, "source": "mrz_and_printed"},
        "dateOfBirth": {"value": dob, "confidence": 0.99, "source": "mrz"},
        "disagreements": [],
        "problems": [],
    }))
    .unwrap();
    let record = OcrRecord {
        verification_id: id,
        document_sha256: "ab".repeat(32),
        engine: "test".into(),
        read_at: h.clock.now_ts(),
        expires_at: Timestamp::from_unix_millis(T0 + 86_400_000),
        latency_ms: 1,
        fields: Some(fields),
    };
    h.state.backends.ocr.put(&record).await.unwrap();
    h.state
        .backends
        .jobs
        .enqueue(&screen_job(&id, &h.state.screener.lists_version(), h.clock.now_ts()))
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn the_screen_job_records_status_matches_audit_and_the_raw_answer() {
    let h = screened_harness();
    let secret = h.secret().await;
    let listed = read_verification(&h, &secret, "KIM JONG UN", "1984-01-08").await;
    let clear = read_verification(&h, &secret, "JOHN DUBOIS", "1984-06-12").await;
    assert_eq!(run_due(&h.state, 10).await.unwrap(), 2);

    let v = h.get(&format!("/v1/verifications/{listed}"), &secret).await.json();
    let s = &v["screening"];
    assert_eq!(s["sanctionsStatus"], "match", "{v}");
    assert_eq!(
        (s["matches"][0]["source"].as_str(), s["matches"][0]["id"].as_str()),
        (Some("ofac"), Some("20157"))
    );
    assert!(s["matches"][0]["score"].as_f64().unwrap() >= 0.92);
    assert!(s["screenedAt"].is_string() && s["listsVersion"].as_str().unwrap().len() == 16);
    assert_eq!(v["needsReview"], true);
    assert!(v["timeline"].as_array().unwrap().iter().any(|e| e["step"] == "screening"));
    let records = h.state.backends.audit.for_verification(&listed).await.unwrap();
    let audited = records.iter().find(|r| r.event.step == Step::Screening).unwrap();
    let detail = &audited.event.detail;
    assert_eq!(detail["sanctionsStatus"], "match", "{detail}");
    assert_eq!(detail["matches"][0]["id"], "20157");
    assert!(!detail.to_string().contains("KIM"), "the audit keeps list ids and scores, not names");

    let v = h.get(&format!("/v1/verifications/{clear}"), &secret).await.json();
    assert_eq!(v["screening"]["sanctionsStatus"], "clear", "{v}");
    assert_eq!(v["screening"]["matches"], serde_json::json!([]));
    assert!(v.get("needsReview").is_none_or(|r| r == false));

    // the full answer is stored encrypted for audit
    let raw = h.state.backends.objects.get(&ObjectKey::screening_raw(listed)).await.unwrap();
    let raw: serde_json::Value = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(raw["answer"]["status"], "match");
    assert!(raw["answer"]["matches"][0]["components"].is_object());

    // a re-run against the same lists changes nothing and audits nothing twice
    h.state.backends.jobs.enqueue(&screen_job(&listed, "again", h.clock.now_ts())).await.unwrap();
    assert_eq!(run_due(&h.state, 10).await.unwrap(), 1);
    let v = h.get(&format!("/v1/verifications/{listed}"), &secret).await.json();
    let screenings =
        v["timeline"].as_array().unwrap().iter().filter(|e| e["step"] == "screening").count();
    assert_eq!(screenings, 1);
    let metrics = String::from_utf8(h.get("/metrics", "").await.body.to_vec()).unwrap();
    assert!(metrics.contains("kyc_sanctions_flags_total{code=\"match\"} 1"), "{metrics}");
}

#[tokio::test]
async fn a_subject_on_several_lists_comes_back_with_each_lists_record() {
    let h = screened_harness();
    let secret = h.secret().await;
    let id = read_verification(&h, &secret, "AYMAN AL-ZAWAHIRI", "1951-06-19").await;
    assert_eq!(run_due(&h.state, 10).await.unwrap(), 1);
    let v = h.get(&format!("/v1/verifications/{id}"), &secret).await.json();
    let m = &v["screening"]["matches"];
    assert_eq!(m.as_array().map(Vec::len), Some(1), "one subject, one match: {v}");
    assert_eq!((m[0]["source"].as_str(), m[0]["id"].as_str()), (Some("ofac"), Some("2676")));
    let also: Vec<(String, bool)> = m[0]["alsoListed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                format!("{}:{}", a["source"].as_str().unwrap(), a["id"].as_str().unwrap()),
                a["linked"] == true,
            )
        })
        .collect();
    assert!(also.contains(&("un:QDi.006".to_owned(), false)), "{also:?}");
    // the UK spells him AIMAN MUHAMMED RABI: there by the shared name
    assert!(also.contains(&("uk:AQD0126".to_owned(), true)), "{also:?}");
    let records = h.state.backends.audit.for_verification(&id).await.unwrap();
    let audited = records.iter().find(|r| r.event.step == Step::Screening).unwrap();
    assert_eq!(audited.event.detail["matches"][0]["alsoListed"][0], "un:QDi.006");
    assert!(!audited.event.detail.to_string().contains("ZAWAHIRI"), "ids, not names");
}

/// A scripted provider: answers with the statuses in `script`, then 200.
#[derive(Clone, Default)]
struct Provider {
    script: Arc<Mutex<Vec<u16>>>,
    calls: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
}

async fn searches(
    State(p): State<Provider>,
    headers: axum::http::HeaderMap,
    Json(body): Json<serde_json::Value>,
) -> (StatusCode, Json<serde_json::Value>) {
    p.calls.fetch_add(1, Ordering::SeqCst);
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    p.seen.lock().unwrap().push((auth, body.clone()));
    let next = {
        let mut s = p.script.lock().unwrap();
        if s.is_empty() { 200 } else { s.remove(0) }
    };
    if next != 200 {
        return (StatusCode::from_u16(next).unwrap(), Json(serde_json::json!({"message": "nope"})));
    }
    let listed = body["search_term"].as_str().is_some_and(|t| t.contains("Ivan"));
    if !listed {
        return (
            StatusCode::OK,
            Json(
                serde_json::json!({"content": {"data": {"id": 78, "ref": "1700-abd", "total_hits": 0, "hits": []}}}),
            ),
        );
    }
    let answer = serde_json::json!({"content": {"data": {"id": 77, "ref": "1700-abc", "total_hits": 2, "hits": [
        {"doc": {"id": "N0TREAL", "name": "Ivan Example", "sources": ["ofac-sdn-list"]}, "score": 0.83, "match_types": ["name_fuzzy"]},
        {"doc": {"id": "X1", "name": "Ivan Exampel", "sources": ["un-consolidated"]}, "score": 0.95, "match_types": ["name_exact"]}
    ]}}});
    (StatusCode::OK, Json(answer))
}

async fn provider(script: Vec<u16>) -> (Provider, String) {
    let p = Provider { script: Arc::new(Mutex::new(script)), ..Default::default() };
    let router = Router::new().route("/v1/searches", post(searches)).with_state(p.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (p, format!("http://{addr}/v1"))
}

fn adapter(url: &str) -> HttpScreener {
    let config = HttpScreenerConfig {
        url: url.to_owned(),
        retry_base_ms: 5,
        attempts: 3,
        timeout_ms: 2_000,
        ..Default::default()
    };
    HttpScreener::new(config, "sk_test_123".into(), true).unwrap()
}

fn ivan() -> ScreeningQuery {
    ScreeningQuery {
        name: "Ivan Example".into(),
        date_of_birth: Some("1970-03-04".into()),
        country: Some("RU".into()),
        individual: true,
    }
}

#[tokio::test]
async fn the_provider_adapter_retries_5xx_and_maps_hits() {
    let (p, url) = provider(vec![503, 500]).await;
    let e = adapter(&url).screen(&ivan()).await.unwrap();
    assert_eq!(p.calls.load(Ordering::SeqCst), 3, "two 5xx retried, then the answer");
    assert_eq!(e.lists_version, "provider:1700-abc");
    assert_eq!(e.matches.len(), 2);
    assert_eq!((e.matches[0].id.as_str(), e.matches[0].source.as_str()), ("X1", "un-consolidated"));
    assert!((e.best_score().unwrap() - 0.95).abs() < 1e-6);
    assert_eq!(e.raw["content"]["data"]["id"], 77, "the full payload is kept for audit");
    let (auth, body) = p.seen.lock().unwrap()[0].clone();
    assert_eq!(auth, "Token sk_test_123");
    assert_eq!(body["search_term"], "Ivan Example");
    assert_eq!(body["filters"]["birth_year"], 1970);
    assert_eq!(body["filters"]["country_codes"], serde_json::json!(["RU"]));
    assert_eq!(body["filters"]["entity_type"], "person");
}

#[tokio::test]
async fn the_provider_adapter_does_not_retry_4xx_and_gives_up_retryably_on_5xx() {
    let (p, url) = provider(vec![400]).await;
    let e = adapter(&url).screen(&ivan()).await.unwrap_err();
    assert!(matches!(e, ProviderError::Rejected(_)) && !e.is_retryable(), "{e:?}");
    assert_eq!(p.calls.load(Ordering::SeqCst), 1);

    let (p, url) = provider(vec![500, 502, 503, 504]).await;
    let e = adapter(&url).screen(&ivan()).await.unwrap_err();
    assert!(e.is_retryable(), "{e:?}: the job retries later, then dead-letters");
    assert_eq!(p.calls.load(Ordering::SeqCst), 3);

    // nobody listening: a connection error is retryable too
    let e = adapter("http://127.0.0.1:9/v1").screen(&ivan()).await.unwrap_err();
    assert!(e.is_retryable());
    let e = adapter(&url).screen(&ScreeningQuery::default()).await.unwrap_err();
    assert!(matches!(e, ProviderError::Rejected(_)));
}

#[tokio::test]
async fn both_screeners_pass_the_conformance_suite() {
    use kyc_server::backend::testing::screener_suite;
    screener_suite(shipped().as_ref(), "Kim Jong Un", "Zzyzx Qwertyuiop").await;
    let (_p, url) = provider(vec![]).await;
    screener_suite(&adapter(&url), "Ivan Example", "Zzyzx Qwertyuiop").await;
}

#[test]
fn the_provider_must_be_reached_over_https() {
    assert!(check_url("https://api.screening.example/v1", false).is_ok());
    assert!(check_url("http://api.screening.example/v1", false).is_err());
    assert!(check_url("http://127.0.0.1:8080/v1", false).is_err());
    assert!(check_url("http://127.0.0.1:8080/v1", true).is_ok());
    assert!(check_url("http://[::1]:8080/v1", true).is_ok());
    assert!(check_url("http://api.screening.example/v1", true).is_err(), "loopback only");
    assert!(check_url("ftp://x", true).is_err() && check_url("not a url", false).is_err());
    let config = HttpScreenerConfig { url: "http://api.example/v1".into(), ..Default::default() };
    assert!(HttpScreener::new(config, "k".into(), false).is_err());
}

#[tokio::test]
async fn provider_failures_dead_letter_the_screen_job_after_its_attempts() {
    let (_p, url) = provider(vec![500; 100]).await;
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_millis(T0)));
    let state =
        AppState::new(ServerConfig::default(), Backends::memory(), clock.clone(), [7u8; 32])
            .with_screener(Arc::new(adapter(&url)));
    let h = Harness { app: app(state.clone()), state, clock };
    let secret = h.secret().await;
    let id = read_verification(&h, &secret, "IVAN EXAMPLE", "1970-03-04").await;
    for _ in 0..kyc_server::service::screening::SCREEN_MAX_ATTEMPTS {
        h.clock.advance_ms(3_600_000);
        run_due(&h.state, 10).await.unwrap();
    }
    let dead = h.state.backends.jobs.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].kind.as_str(), dead[0].payload["verificationId"].as_str()),
        ("screen", Some(id.to_string().as_str()))
    );
    let v = h.get(&format!("/v1/verifications/{id}"), &secret).await.json();
    assert!(v.get("screening").is_none(), "no result was invented: {v}");
}

#[tokio::test]
async fn persons_are_not_matched_to_listed_companies() {
    let s = shipped();
    let company = |individual| ScreeningQuery {
        name: "Banco Nacional de Cuba".into(),
        individual,
        ..Default::default()
    };
    let as_any = s.screen(&company(false)).await.unwrap();
    assert!(as_any.best_score().unwrap() >= 0.92, "{:?}", as_any.matches);
    let as_person = s.screen(&company(true)).await.unwrap();
    assert!(as_person.best_score().is_none_or(|b| b < 0.81), "{:?}", as_person.matches);
}
