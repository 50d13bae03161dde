//! The small sections: `[log]`, `[http]`, `[tls]`, `[audit]`, `[rate_limit]`,
//! `[cors]`, `[storage]`, `[demo]`, `[jobs]`, `[liveness]`.

#[cfg(feature = "local")]
use crate::backend::local::Durability;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable.
    Text,
}

/// `[log]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `tracing` filter (`KYC_LOG`, then `RUST_LOG`, override it).
    pub filter: String,
    /// Output format.
    pub format: LogFormat,
    /// Also write the CloudWatch metrics (`UploadErrors`, `LivenessFails`,
    /// `OCRLatency`, `SanctionsFlags`) to stdout in the embedded metric
    /// format (`KYC_LOG_EMF`; on by default in the Lambda functions).
    pub emf: bool,
    /// The CloudWatch namespace of those metrics (`KYC_LOG_EMF_NAMESPACE`).
    pub emf_namespace: String,
    /// Their `Environment` dimension: dev, stage, prod (`KYC_LOG_EMF_ENVIRONMENT`).
    pub emf_environment: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            filter: "kyc_server=info,tower_http=info".into(),
            format: LogFormat::Json,
            emf: false,
            emf_namespace: "KYC".into(),
            emf_environment: "dev".into(),
        }
    }
}

/// `[http]`: what one connection and one request may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Seconds a connection may take to send a request's headers (an idle
    /// keep-alive connection is closed after this too).
    pub header_read_timeout_secs: u64,
    /// Largest request head (request line and headers), in bytes; a bigger
    /// one is answered 431. At least 8192.
    pub max_header_bytes: usize,
    /// Seconds from a request's headers to the last byte of its body; a
    /// slower body is answered 408 `request_timeout` and the connection closed.
    pub body_read_timeout_secs: u64,
    /// Seconds from a request's headers to its response; a request still
    /// being processed then is answered 503 `processing_timeout` (the work
    /// itself is not cut short, so nothing is left half-written).
    pub request_timeout_secs: u64,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Seconds `kyc serve` waits for requests in flight at shutdown.
    pub shutdown_grace_secs: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            max_header_bytes: 64 * 1024,
            // a 10 MiB upload at 1.5 Mbit/s
            body_read_timeout_secs: 60,
            request_timeout_secs: 120,
            max_connections: 1024,
            shutdown_grace_secs: 30,
        }
    }
}

impl HttpConfig {
    /// The first problem with these settings, if any.
    pub fn problem(&self) -> Option<&'static str> {
        let timeouts = [
            self.header_read_timeout_secs,
            self.body_read_timeout_secs,
            self.request_timeout_secs,
            self.shutdown_grace_secs,
        ];
        if timeouts.iter().any(|&t| t == 0 || t > 3600) {
            return Some("timeouts must be between 1 and 3600 seconds");
        }
        if self.body_read_timeout_secs > self.request_timeout_secs {
            return Some("body_read_timeout_secs must not exceed request_timeout_secs");
        }
        if !(8192..=1024 * 1024).contains(&self.max_header_bytes) {
            return Some("max_header_bytes must be between 8192 and 1048576");
        }
        if !(1..=1_000_000).contains(&self.max_connections) {
            return Some("max_connections must be between 1 and 1000000");
        }
        None
    }
}

/// `[tls]`: serve HTTPS (feature `tls`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM certificate chain, leaf first. With `key_file`, turns TLS on.
    pub cert_file: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: Option<PathBuf>,
    /// Seconds between checks for a renewed certificate or key.
    pub reload_interval_secs: u64,
    /// `Strict-Transport-Security: max-age` sent on every answer over TLS
    /// (0: no header).
    pub hsts_max_age_secs: u64,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            cert_file: None,
            key_file: None,
            reload_interval_secs: 60,
            hsts_max_age_secs: 31_536_000,
        }
    }
}

impl TlsConfig {
    /// The certificate and key files, when TLS is on.
    pub fn files(&self) -> Option<(&std::path::Path, &std::path::Path)> {
        Some((self.cert_file.as_deref()?, self.key_file.as_deref()?))
    }
}

/// `[audit]`: checkpoints of the audit chain's head, kept outside the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// A file `kyc serve` appends the chain's head to (one JSON line per
    /// checkpoint) and `kyc audit verify` holds the log to: deleting the
    /// last records, or rewriting them with the key, no longer verifies.
    /// Put it where whoever can write the database cannot (another volume,
    /// an append-only mount, a log shipper's input). None by default.
    pub checkpoint_file: Option<PathBuf>,
    /// Seconds between checkpoints (written only when the head moved).
    pub checkpoint_interval_secs: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self { checkpoint_file: None, checkpoint_interval_secs: 300 }
    }
}

/// `[rate_limit]`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Sustained requests per second per key.
    pub requests_per_second: u32,
    /// Extra requests allowed in a burst.
    pub burst: u32,
    /// Requests per key per UTC day.
    pub daily_quota: u64,
    /// Requests per verification per UTC day made with its client tokens
    /// (end users; they never spend a key's `daily_quota`).
    pub client_token_daily_quota: u64,
    /// Failed authentications per client address per minute before 429
    /// (counted before any key or token is looked at).
    pub failed_auth_per_minute: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            requests_per_second: 100,
            burst: 200,
            daily_quota: 1_000_000,
            // 5 attempts of 300 frames, with room for polling and retries
            client_token_daily_quota: 5_000,
            failed_auth_per_minute: 30,
        }
    }
}

/// `[cors]`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorsConfig {
    /// Origins browsers may call the API from, e.g. `https://shop.example`.
    pub allowed_origins: Vec<String>,
}

/// `[storage]`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// SQLite durability.
    #[cfg(feature = "local")]
    pub durability: Durability,
    /// Attempts for a storage call that fails with a retryable error.
    pub retry_attempts: u32,
    /// First retry delay in milliseconds (doubles each time, with jitter).
    pub retry_base_ms: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            #[cfg(feature = "local")]
            durability: Durability::Full,
            retry_attempts: 4,
            retry_base_ms: 25,
        }
    }
}

/// `[demo]`: the demo page at `/` with the `<kyc-verify>` widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoConfig {
    /// Serve it (`kyc serve --demo`; off by default). It creates
    /// verifications for anyone who can reach it, so it is refused at
    /// startup unless the server listens on loopback.
    pub enabled: bool,
    /// Where the built widget bundles are (`npm --prefix npm run build`).
    pub widget_dir: PathBuf,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self { enabled: false, widget_dir: PathBuf::from("npm/dist") }
    }
}

/// `[jobs]`: the background job worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Seconds a leased job is reserved for one worker; a worker that dies
    /// (crash, `kill -9`) gives its jobs back when this passes.
    pub lease_secs: u64,
    /// Milliseconds the worker waits when the queue is empty.
    pub poll_ms: u64,
    /// Jobs leased at a time.
    pub batch: usize,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self { lease_secs: 120, poll_ms: 500, batch: 8 }
    }
}

/// `[liveness]`: the challenge and the face-match policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LivenessConfig {
    /// The gesture challenge (gestures, steps, `ttl_ms` = session lifetime, thresholds).
    pub challenge: kyc_core::challenge::ChallengePolicy,
    /// Frames one session accepts.
    pub max_frames_per_session: u32,
    /// Failed liveness attempts before the verification is locked for review.
    pub max_failed_attempts: u32,
    /// Average document-to-live similarity (0–100) needed to pass.
    pub match_threshold: f32,
    /// Below this average similarity the match fails outright; between it and
    /// `match_threshold` the verification goes to review.
    pub reject_below: f32,
    /// Similarity (0–100) live frames must reach with each other to count as
    /// one and the same face throughout.
    pub same_face_threshold: f32,
    /// Live frames compared with the document (spread over the session).
    pub frames_compared: usize,
    /// Consecutive face-engine failures that open its circuit breaker.
    pub engine_breaker_failures: u32,
    /// How long the open breaker refuses calls, in seconds.
    pub engine_breaker_cooldown_secs: u64,
}

impl Default for LivenessConfig {
    fn default() -> Self {
        Self {
            challenge: kyc_core::challenge::ChallengePolicy::default(),
            max_frames_per_session: 300,
            max_failed_attempts: 5,
            match_threshold: 85.0,
            reject_below: 60.0,
            same_face_threshold: 85.0,
            frames_compared: 5,
            engine_breaker_failures: 5,
            engine_breaker_cooldown_secs: 30,
        }
    }
}
