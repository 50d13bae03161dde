//! A third-party screening API (ComplyAdvantage-style search).
//!
//! `POST {url}/searches` with `Authorization: Token {api key}` and
//! `{"search_term", "fuzziness", "filters": {"types": ["sanction"],
//! "birth_year"?, "country_codes"?}, "limit"}`; the answer's
//! `content.data.hits[]` (`doc.id`, `doc.name`, `doc.sources`, `score` in
//! 0–1) become matches and `content.data.ref` the version. HTTPS only
//! (plain HTTP to a loopback address only when explicitly allowed, for
//! tests); 5xx, 429, timeouts and connection errors are retried with
//! exponential backoff and jitter, other 4xx are not; when the attempts run
//! out the error is retryable, so the screening job retries later and
//! dead-letters after its own attempts.

use super::{Screener, ScreeningEvidence, ScreeningQuery};
use crate::backend::ProviderError;
use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use kyc_core::api::v1::SanctionsMatch;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[screening.http]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpScreenerConfig {
    /// Base URL of the API, e.g. `https://api.screening.example/v1`.
    pub url: String,
    /// File holding the API key (`KYC_SCREENING_API_KEY` wins).
    pub api_key_file: Option<std::path::PathBuf>,
    /// On AWS: the Secrets Manager secret (name or ARN) holding the API key,
    /// a plain string or a JSON object with `apiKey`; read at startup
    /// (`KYC_SCREENING_API_KEY` wins, then this, then `api_key_file`).
    pub api_key_secret: Option<String>,
    /// Per-request timeout in milliseconds.
    pub timeout_ms: u64,
    /// Attempts per screening (retries on 5xx, 429 and timeouts).
    pub attempts: u32,
    /// First retry delay in milliseconds (doubles, with jitter).
    pub retry_base_ms: u64,
    /// The provider's fuzziness setting (0–1).
    pub fuzziness: f32,
}

impl Default for HttpScreenerConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            api_key_file: None,
            api_key_secret: None,
            timeout_ms: 10_000,
            attempts: 4,
            retry_base_ms: 200,
            fuzziness: 0.6,
        }
    }
}

/// Why a provider URL is refused.
pub fn check_url(url: &str, allow_loopback_http: bool) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if allow_loopback_http => {
            let host = parsed.host_str().unwrap_or_default();
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = host == "localhost"
                || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if loopback { Ok(()) } else { Err(format!("{url}: plain HTTP only to loopback")) }
        }
        _ => Err(format!("{url}: the screening provider must be reached over https")),
    }
}

/// The HTTP screener.
pub struct HttpScreener {
    client: reqwest::Client,
    url: String,
    api_key: String,
    config: HttpScreenerConfig,
}

impl std::fmt::Debug for HttpScreener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // the API key never reaches a log line
        f.debug_struct("HttpScreener")
            .field("url", &self.url)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
enum Attempt {
    /// Worth another try.
    Transient(ProviderError),
    /// Final.
    Final(ProviderError),
}

impl HttpScreener {
    /// A screener for `config` with `api_key`; fails on a non-HTTPS URL
    /// (plain HTTP to loopback only with `allow_loopback_http`, i.e.
    /// `[screening] danger_allow_plain_http_loopback`, for tests).
    pub fn new(
        config: HttpScreenerConfig,
        api_key: String,
        allow_loopback_http: bool,
    ) -> Result<Self, String> {
        check_url(&config.url, allow_loopback_http)?;
        if api_key.trim().is_empty() {
            return Err("the screening provider's API key is empty".to_owned());
        }
        let client = crate::util::http_client_builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .https_only(!allow_loopback_http)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let url = format!("{}/searches", config.url.trim_end_matches('/'));
        Ok(Self { client, url, api_key, config })
    }

    fn body(&self, q: &ScreeningQuery) -> serde_json::Value {
        let mut filters = serde_json::json!({ "types": ["sanction"] });
        if let Some(year) = q.date_of_birth.as_deref().and_then(|d| d.get(..4)?.parse::<u16>().ok())
        {
            filters["birth_year"] = year.into();
        }
        if let Some(c) = &q.country {
            filters["country_codes"] = serde_json::json!([c]);
        }
        if q.individual {
            filters["entity_type"] = "person".into();
        }
        serde_json::json!({
            "search_term": q.name,
            "fuzziness": self.config.fuzziness,
            "filters": filters,
            "limit": 10,
        })
    }

    async fn attempt(&self, body: &serde_json::Value) -> Result<serde_json::Value, Attempt> {
        let response = self
            .client
            .post(&self.url)
            .header("authorization", format!("Token {}", self.api_key))
            .json(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    Attempt::Transient(ProviderError::Timeout)
                } else {
                    Attempt::Transient(ProviderError::Unavailable)
                }
            })?;
        let status = response.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(Attempt::Transient(ProviderError::Unavailable));
        }
        if !status.is_success() {
            return Err(Attempt::Final(ProviderError::Rejected(
                "the screening provider rejected the request",
            )));
        }
        response.json().await.map_err(|_| {
            Attempt::Final(ProviderError::Rejected("the screening provider's answer is not JSON"))
        })
    }
}

/// The matches and reference in a provider answer.
fn parse_answer(
    answer: &serde_json::Value,
) -> Result<(Vec<SanctionsMatch>, String), ProviderError> {
    let data = answer
        .pointer("/content/data")
        .ok_or(ProviderError::Rejected("the screening provider's answer has no content.data"))?;
    let reference = data
        .get("ref")
        .map(|r| r.as_str().map(str::to_owned).unwrap_or_else(|| r.to_string()))
        .unwrap_or_default();
    let mut matches: Vec<SanctionsMatch> = data
        .get("hits")
        .and_then(|h| h.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|hit| {
            let doc = hit.get("doc")?;
            let id = doc
                .get("id")
                .map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))?;
            Some(SanctionsMatch {
                source: doc
                    .pointer("/sources/0")
                    .and_then(|s| s.as_str())
                    .unwrap_or("provider")
                    .to_owned(),
                id,
                name: doc.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_owned(),
                score: hit.get("score").and_then(|s| s.as_f64()).unwrap_or(0.0).clamp(0.0, 1.0)
                    as f32,
                explanation: hit.get("match_types").map(|m| format!("match types {m}")),
                also_listed: Vec::new(),
            })
        })
        .collect();
    matches.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok((matches, reference))
}

#[async_trait]
impl Screener for HttpScreener {
    fn name(&self) -> &str {
        "http"
    }

    fn lists_version(&self) -> String {
        "provider".to_owned()
    }

    async fn screen(&self, q: &ScreeningQuery) -> Result<ScreeningEvidence, ProviderError> {
        if q.name.trim().is_empty() {
            return Err(ProviderError::Rejected("empty name"));
        }
        let body = self.body(q);
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(self.config.retry_base_ms))
            .with_max_times(self.config.attempts.saturating_sub(1) as usize)
            .with_jitter();
        let answer = (|| self.attempt(&body))
            .retry(backoff)
            .when(|e| matches!(e, Attempt::Transient(_)))
            .await
            .map_err(|e| match e {
                Attempt::Transient(e) | Attempt::Final(e) => e,
            })?;
        let (matches, reference) = parse_answer(&answer)?;
        Ok(ScreeningEvidence {
            provider: "http".to_owned(),
            lists_version: format!("provider:{reference}"),
            matches,
            raw: answer,
        })
    }
}
