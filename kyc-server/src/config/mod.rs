//! One typed configuration: TOML file, then `KYC_*` environment variables,
//! then command-line flags. Defaults work on a fresh machine. Anything wrong
//! fails at startup with a message naming the setting.

mod env;

pub use env::EnvVars;

#[cfg(feature = "local")]
use crate::backend::local::Durability;
use kyc_core::image::UploadPolicy;
use serde::{Deserialize, Serialize};
use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    str::FromStr,
};

/// A configuration error: which setting, and what is wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The config file is not valid TOML for this schema.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// One setting has a bad value.
    #[error("invalid setting {setting}: {problem}")]
    Invalid {
        /// The setting (file key or environment variable).
        setting: String,
        /// What is wrong.
        problem: String,
    },
}

fn invalid(setting: impl Into<String>, problem: impl fmt::Display) -> ConfigError {
    ConfigError::Invalid { setting: setting.into(), problem: problem.to_string() }
}

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
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { filter: "kyc_server=info,tower_http=info".into(), format: LogFormat::Json }
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
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self { requests_per_second: 100, burst: 200, daily_quota: 1_000_000 }
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

/// Which screener screens verifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreenerKind {
    /// The embedded engine over the official lists (default).
    #[default]
    Embedded,
    /// A third-party screening API (`[screening.http]`, feature `http-client`).
    Http,
}

/// One list file `kyc lists update` downloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSourceConfig {
    /// The publisher's URL (https).
    pub url: String,
    /// Where it goes in the import directory, e.g. `ofac_sdn/sdn.csv`
    /// (OFAC files are recognised by these official names).
    pub file: String,
}

fn official(url: &str, file: &str) -> ListSourceConfig {
    ListSourceConfig { url: url.to_owned(), file: file.to_owned() }
}

/// `[screening]`: sanctions and watchlist screening.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScreeningConfig {
    /// `embedded` (default) or `http`.
    pub provider: ScreenerKind,
    /// Score (0–1) from which a match needs review.
    pub review_threshold: f32,
    /// Score (0–1) from which a match is assumed.
    pub match_threshold: f32,
    /// At most this many matches per result.
    pub max_matches: usize,
    /// The files `kyc lists update` downloads (default: the publishers'
    /// official URLs of OFAC SDN and consolidated, UN and UK; the EU file
    /// needs a token, add it here).
    pub sources: Vec<ListSourceConfig>,
    /// Largest list file accepted by `kyc lists update`, in bytes.
    pub max_download_bytes: u64,
    /// Allow `http://` to loopback for list downloads and the screening
    /// provider (tests only; never in production).
    pub danger_allow_plain_http_loopback: bool,
    /// The screening provider (`provider = "http"`).
    #[cfg(feature = "http-client")]
    pub http: crate::backend::screening::http::HttpScreenerConfig,
}

impl Default for ScreeningConfig {
    fn default() -> Self {
        const OFAC: &str =
            "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports";
        Self {
            provider: ScreenerKind::Embedded,
            review_threshold: 0.81,
            match_threshold: 0.92,
            max_matches: 10,
            sources: vec![
                official(&format!("{OFAC}/SDN.CSV"), "ofac_sdn/sdn.csv"),
                official(&format!("{OFAC}/ADD.CSV"), "ofac_sdn/add.csv"),
                official(&format!("{OFAC}/ALT.CSV"), "ofac_sdn/alt.csv"),
                official(&format!("{OFAC}/CONS_PRIM.CSV"), "ofac_cons/cons_prim.csv"),
                official(&format!("{OFAC}/CONS_ADD.CSV"), "ofac_cons/cons_add.csv"),
                official(&format!("{OFAC}/CONS_ALT.CSV"), "ofac_cons/cons_alt.csv"),
                official(
                    "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
                    "un/consolidated.xml",
                ),
                official(
                    "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml",
                    "uk/UK-Sanctions-List.xml",
                ),
            ],
            max_download_bytes: 256 * 1024 * 1024,
            danger_allow_plain_http_loopback: false,
            #[cfg(feature = "http-client")]
            http: Default::default(),
        }
    }
}

impl ServerConfig {
    /// Whether the demo page is served.
    pub fn demo_enabled(&self) -> bool {
        self.demo.enabled.unwrap_or_else(|| self.listen_addr().is_ok_and(|a| a.ip().is_loopback()))
    }

    /// The screening index `kyc lists import|update` writes and `kyc serve` reads.
    pub fn lists_index_path(&self) -> PathBuf {
        self.data_dir.join("lists").join("index.bin")
    }
}

impl ScreeningConfig {
    /// The decision thresholds (kyc-core decides the sanctions status).
    pub fn decision_policy(&self) -> kyc_core::decision::DecisionPolicy {
        kyc_core::decision::DecisionPolicy {
            screening_review: self.review_threshold,
            screening_match: self.match_threshold,
            ..Default::default()
        }
    }

    /// The embedded engine's policy: it reports what the decision reviews.
    pub fn engine_policy(&self) -> kyc_screening::Policy {
        kyc_screening::Policy {
            potential_match: self.review_threshold,
            match_threshold: self.match_threshold,
            max_matches: self.max_matches,
            ..Default::default()
        }
    }
}

/// `[demo]`: the demo page at `/` with the `<kyc-verify>` widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoConfig {
    /// Serve it: `true`, `false`, or unset (default) for "only while
    /// listening on loopback". It creates verifications for anyone who can
    /// reach it, so never enable it on a public address.
    pub enabled: Option<bool>,
    /// Where the built widget bundles are (`npm --prefix npm run build`).
    pub widget_dir: PathBuf,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self { enabled: None, widget_dir: PathBuf::from("npm/dist") }
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

/// The whole configuration. Every field has a default that works on a fresh machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Socket address to listen on.
    pub listen: String,
    /// Directory for the database, objects and keys (created on first start).
    pub data_dir: PathBuf,
    /// Key file for the master key (default `{data_dir}/master.key`; `KYC_MASTER_KEY` wins).
    pub master_key_file: Option<PathBuf>,
    /// Days a verification and its data are kept.
    pub retention_days: u32,
    /// Lifetime of client tokens, in seconds.
    pub client_token_ttl_secs: u64,
    /// Seconds between retention sweeps.
    pub sweep_interval_secs: u64,
    /// Serve plain HTTP on a non-loopback address (only behind a TLS proxy).
    pub danger_allow_plain_http_on_non_loopback: bool,
    /// Logging.
    pub log: LogConfig,
    /// Document upload limits.
    pub upload: UploadPolicy,
    /// Per-key limits.
    pub rate_limit: RateLimitConfig,
    /// Browser origins.
    pub cors: CorsConfig,
    /// Storage behaviour.
    pub storage: StorageConfig,
    /// Liveness challenge and face-match policy.
    pub liveness: LivenessConfig,
    /// The background job worker.
    pub jobs: JobsConfig,
    /// Sanctions screening.
    pub screening: ScreeningConfig,
    /// The demo page.
    pub demo: DemoConfig,
    /// The local face engine.
    #[cfg(feature = "face-onnx")]
    pub face: crate::backend::local::face::LocalFaceConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./kyc-data"),
            master_key_file: None,
            retention_days: 30,
            client_token_ttl_secs: 3600,
            sweep_interval_secs: 60,
            danger_allow_plain_http_on_non_loopback: false,
            log: LogConfig::default(),
            upload: UploadPolicy::default(),
            rate_limit: RateLimitConfig::default(),
            cors: CorsConfig::default(),
            storage: StorageConfig::default(),
            liveness: LivenessConfig::default(),
            jobs: JobsConfig::default(),
            screening: ScreeningConfig::default(),
            demo: DemoConfig::default(),
            #[cfg(feature = "face-onnx")]
            face: Default::default(),
        }
    }
}

/// Values given on the command line (they win over file and environment).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--config`
    pub config_file: Option<PathBuf>,
    /// `--data-dir`
    pub data_dir: Option<PathBuf>,
    /// `--listen`
    pub listen: Option<String>,
}

fn parse_env<T: FromStr>(name: &str, value: &str) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    value.trim().parse().map_err(|e| invalid(name, format!("{value:?}: {e}")))
}

fn parse_bool(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(invalid(name, format!("{value:?} is not a boolean"))),
    }
}

/// A browser origin: `scheme://host[:port]`, nothing else.
pub fn validate_origin(origin: &str) -> Result<(), String> {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return Err(format!("{origin:?} is not an origin (scheme://host[:port])"));
    };
    if scheme != "https" && scheme != "http" {
        return Err(format!("{origin:?}: scheme must be http or https"));
    }
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!("{origin:?} must not have a path, query, user or spaces"));
    }
    Ok(())
}

impl ServerConfig {
    /// Loads file + environment (`env` looks variables up) + overrides, then validates.
    pub fn load(
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let data_dir_hint = overrides
            .data_dir
            .clone()
            .or_else(|| env(EnvVars::DATA_DIR).map(PathBuf::from))
            .unwrap_or_else(|| Self::default().data_dir);
        let file =
            overrides.config_file.clone().or_else(|| env(EnvVars::CONFIG).map(PathBuf::from));
        let mut cfg = match file {
            Some(path) => Self::from_file(&path)?,
            None => {
                let implicit = data_dir_hint.join("kyc.toml");
                if implicit.is_file() { Self::from_file(&implicit)? } else { Self::default() }
            }
        };
        cfg.apply_env(&env)?;
        if let Some(d) = &overrides.data_dir {
            cfg.data_dir.clone_from(d);
        }
        if let Some(l) = &overrides.listen {
            cfg.listen.clone_from(l);
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Parses a TOML file (unknown keys are errors).
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        toml::from_str(&text)
            .map_err(|e| ConfigError::Parse { path: path.to_owned(), message: e.to_string() })
    }

    fn apply_env(&mut self, env: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if let Some(v) = get(EnvVars::DATA_DIR) {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get(EnvVars::LISTEN) {
            self.listen = v;
        }
        if let Some(v) = get(EnvVars::LOG).or_else(|| get("RUST_LOG")) {
            self.log.filter = v;
        }
        if let Some(v) = get(EnvVars::LOG_FORMAT) {
            self.log.format = match v.trim() {
                "json" => LogFormat::Json,
                "text" => LogFormat::Text,
                other => {
                    return Err(invalid(
                        EnvVars::LOG_FORMAT,
                        format!("{other:?}: use json or text"),
                    ));
                }
            };
        }
        if let Some(v) = get(EnvVars::RETENTION_DAYS) {
            self.retention_days = parse_env(EnvVars::RETENTION_DAYS, &v)?;
        }
        if let Some(v) = get(EnvVars::CLIENT_TOKEN_TTL_SECS) {
            self.client_token_ttl_secs = parse_env(EnvVars::CLIENT_TOKEN_TTL_SECS, &v)?;
        }
        if let Some(v) = get(EnvVars::RATE_LIMIT_RPS) {
            self.rate_limit.requests_per_second = parse_env(EnvVars::RATE_LIMIT_RPS, &v)?;
        }
        if let Some(v) = get(EnvVars::RATE_LIMIT_BURST) {
            self.rate_limit.burst = parse_env(EnvVars::RATE_LIMIT_BURST, &v)?;
        }
        if let Some(v) = get(EnvVars::DAILY_QUOTA) {
            self.rate_limit.daily_quota = parse_env(EnvVars::DAILY_QUOTA, &v)?;
        }
        if let Some(v) = get(EnvVars::CORS_ORIGINS) {
            self.cors.allowed_origins =
                v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        }
        if let Some(v) = get(EnvVars::MAX_UPLOAD_BYTES) {
            self.upload.max_bytes = parse_env(EnvVars::MAX_UPLOAD_BYTES, &v)?;
        }
        if let Some(v) = get(EnvVars::SWEEP_INTERVAL_SECS) {
            self.sweep_interval_secs = parse_env(EnvVars::SWEEP_INTERVAL_SECS, &v)?;
        }
        if let Some(v) = get(EnvVars::JOB_LEASE_SECS) {
            self.jobs.lease_secs = parse_env(EnvVars::JOB_LEASE_SECS, &v)?;
        }
        #[cfg(feature = "local")]
        if let Some(v) = get(EnvVars::DURABILITY) {
            self.storage.durability = match v.trim() {
                "full" => Durability::Full,
                "normal" => Durability::Normal,
                other => {
                    return Err(invalid(
                        EnvVars::DURABILITY,
                        format!("{other:?}: use full or normal"),
                    ));
                }
            };
        }
        if let Some(v) = get(EnvVars::DANGER_ALLOW_PLAIN_HTTP) {
            self.danger_allow_plain_http_on_non_loopback =
                parse_bool(EnvVars::DANGER_ALLOW_PLAIN_HTTP, &v)?;
        }
        Ok(())
    }

    /// The listen address, parsed.
    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen.parse().map_err(|_| {
            invalid("listen", format!("{:?} is not host:port (e.g. 127.0.0.1:8080)", self.listen))
        })
    }

    /// Checks every setting; the first problem is reported.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let addr = self.listen_addr()?;
        if !addr.ip().is_loopback() && !self.danger_allow_plain_http_on_non_loopback {
            return Err(invalid(
                "listen",
                format!(
                    "{addr} is not a loopback address; plain HTTP is only served on loopback. \
                     Put a TLS-terminating proxy in front and set \
                     danger_allow_plain_http_on_non_loopback = true ({})",
                    EnvVars::DANGER_ALLOW_PLAIN_HTTP
                ),
            ));
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must not be empty"));
        }
        if self.retention_days == 0 || self.retention_days > 3650 {
            return Err(invalid("retention_days", "must be between 1 and 3650"));
        }
        if !(60..=86_400).contains(&self.client_token_ttl_secs) {
            return Err(invalid("client_token_ttl_secs", "must be between 60 and 86400"));
        }
        let sc = &self.screening;
        if !(0.0 < sc.review_threshold
            && sc.review_threshold <= sc.match_threshold
            && sc.match_threshold <= 1.0)
        {
            return Err(invalid("screening", "need 0 < review_threshold <= match_threshold <= 1"));
        }
        if let Some(bad) = sc.sources.iter().find(|s| {
            s.file.is_empty()
                || s.file.starts_with('/')
                || s.file.split('/').any(|p| p == ".." || p.is_empty())
        }) {
            return Err(invalid(
                "screening.sources",
                format!("file {:?} must be a relative path inside the import directory", bad.file),
            ));
        }
        if self.jobs.lease_secs == 0 || self.jobs.poll_ms == 0 || self.jobs.batch == 0 {
            return Err(invalid("jobs", "lease_secs, poll_ms and batch must be positive"));
        }
        if self.sweep_interval_secs == 0 {
            return Err(invalid("sweep_interval_secs", "must be positive"));
        }
        self.upload.validate().map_err(|p| invalid("upload", p))?;
        if self.upload.max_bytes > 100 * 1024 * 1024 {
            return Err(invalid("upload.max_bytes", "must be at most 100 MiB"));
        }
        if self.rate_limit.requests_per_second == 0 {
            return Err(invalid("rate_limit.requests_per_second", "must be positive"));
        }
        if self.rate_limit.daily_quota == 0 {
            return Err(invalid("rate_limit.daily_quota", "must be positive"));
        }
        for o in &self.cors.allowed_origins {
            validate_origin(o).map_err(|p| invalid("cors.allowed_origins", p))?;
        }
        if self.storage.retry_attempts > 10 {
            return Err(invalid("storage.retry_attempts", "must be at most 10"));
        }
        self.liveness.challenge.validate().map_err(|e| invalid("liveness.challenge", e))?;
        let l = &self.liveness;
        if l.max_frames_per_session == 0 || l.max_frames_per_session > 10_000 {
            return Err(invalid("liveness.max_frames_per_session", "must be between 1 and 10000"));
        }
        if l.max_failed_attempts == 0 {
            return Err(invalid("liveness.max_failed_attempts", "must be positive"));
        }
        for (name, v) in [
            ("liveness.match_threshold", l.match_threshold),
            ("liveness.reject_below", l.reject_below),
            ("liveness.same_face_threshold", l.same_face_threshold),
        ] {
            if !(0.0..=100.0).contains(&v) {
                return Err(invalid(name, "must be between 0 and 100"));
            }
        }
        if l.reject_below > l.match_threshold {
            return Err(invalid("liveness.reject_below", "must not exceed match_threshold"));
        }
        if !(1..=20).contains(&l.frames_compared) {
            return Err(invalid("liveness.frames_compared", "must be between 1 and 20"));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.filter)
            .map_err(|e| invalid("log.filter", e))?;
        Ok(())
    }

    /// Where the master key file lives.
    pub fn master_key_path(&self) -> PathBuf {
        self.master_key_file.clone().unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    /// Retention in milliseconds.
    pub fn retention_ms(&self) -> i64 {
        i64::from(self.retention_days) * 86_400_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_are_valid_and_local() {
        let dir = tempfile::tempdir().unwrap();
        let o = Overrides { data_dir: Some(dir.path().into()), ..Default::default() };
        let c = ServerConfig::load(&o, env(&[])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.retention_days, 30);
        assert_eq!(c.rate_limit.requests_per_second, 100);
        assert_eq!(c.master_key_path(), dir.path().join("master.key"));
    }

    #[test]
    fn file_then_env_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kyc.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\nretention_days = 7\n[rate_limit]\nburst = 5\n",
        )
        .unwrap();
        let o = Overrides { data_dir: Some(dir.path().into()), ..Default::default() };
        let c = ServerConfig::load(&o, env(&[])).unwrap();
        assert_eq!(
            (c.listen.as_str(), c.retention_days, c.rate_limit.burst),
            ("127.0.0.1:9000", 7, 5)
        );
        let c = ServerConfig::load(
            &o,
            env(&[
                ("KYC_RETENTION_DAYS", "3"),
                ("KYC_CORS_ORIGINS", "https://a.example, http://localhost:3000"),
            ]),
        )
        .unwrap();
        assert_eq!(c.retention_days, 3);
        assert_eq!(c.cors.allowed_origins, vec!["https://a.example", "http://localhost:3000"]);
        let o2 = Overrides { listen: Some("127.0.0.1:9100".into()), ..o };
        let c = ServerConfig::load(&o2, env(&[("KYC_LISTEN", "127.0.0.1:9001")])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9100");
    }

    #[test]
    fn bad_settings_fail_with_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let o = Overrides { data_dir: Some(dir.path().into()), ..Default::default() };
        let msg =
            |pairs: &[(&str, &str)]| ServerConfig::load(&o, env(pairs)).unwrap_err().to_string();
        assert!(msg(&[("KYC_RETENTION_DAYS", "soon")]).contains("KYC_RETENTION_DAYS"));
        assert!(msg(&[("KYC_RETENTION_DAYS", "0")]).contains("retention_days"));
        assert!(msg(&[("KYC_LISTEN", "0.0.0.0:8080")]).contains("loopback"));
        assert!(msg(&[("KYC_LISTEN", "localhost")]).contains("listen"));
        assert!(
            msg(&[("KYC_CORS_ORIGINS", "https://a.example/path")]).contains("cors.allowed_origins")
        );
        assert!(msg(&[("KYC_MAX_UPLOAD_BYTES", "0")]).contains("upload"));
        assert!(msg(&[("KYC_LOG_FORMAT", "xml")]).contains("KYC_LOG_FORMAT"));
        let ok = ServerConfig::load(
            &o,
            env(&[("KYC_LISTEN", "0.0.0.0:8080"), ("KYC_DANGER_ALLOW_PLAIN_HTTP", "1")]),
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "[rate_limit]\nrps = 5\n").unwrap();
        let o = Overrides {
            config_file: Some(file),
            data_dir: Some(dir.path().into()),
            ..Default::default()
        };
        let err = ServerConfig::load(&o, env(&[])).unwrap_err().to_string();
        assert!(err.contains("unknown field") && err.contains("rps"), "{err}");
        let o =
            Overrides { config_file: Some(dir.path().join("missing.toml")), ..Default::default() };
        assert!(matches!(ServerConfig::load(&o, env(&[])), Err(ConfigError::Read { .. })));
    }

    #[test]
    fn every_env_var_is_kyc_prefixed_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for v in EnvVars::ALL {
            assert!(v.starts_with("KYC_"));
            assert!(seen.insert(*v));
        }
    }
}
