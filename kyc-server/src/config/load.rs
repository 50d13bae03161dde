//! Loading (file → `KYC_*` environment → flags) and validation.

use super::{ConfigError, EnvVars, ServerConfig, invalid};
use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    str::FromStr,
};

/// Values given on the command line (they win over file and environment).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--config`
    pub config_file: Option<PathBuf>,
    /// `--data-dir`
    pub data_dir: Option<PathBuf>,
    /// `--listen`
    pub listen: Option<String>,
    /// `kyc serve --demo`
    pub demo: bool,
}

pub(super) fn parse_env<T: FromStr>(name: &str, value: &str) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    value.trim().parse().map_err(|e| invalid(name, format!("{value:?}: {e}")))
}

/// One of an enum's names as the config file spells them (`local`, `aws`, …);
/// `choices` says which, in the error.
pub(super) fn parse_choice<T: serde::de::DeserializeOwned>(
    name: &str,
    value: &str,
    choices: &str,
) -> Result<T, ConfigError> {
    let v = value.trim();
    serde_json::from_value(serde_json::Value::String(v.to_owned()))
        .map_err(|_| invalid(name, format!("{v:?}: use {choices}")))
}

pub(super) fn parse_bool(name: &str, value: &str) -> Result<bool, ConfigError> {
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
        if overrides.demo {
            cfg.demo.enabled = true;
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
            self.log.format = parse_choice(EnvVars::LOG_FORMAT, &v, "json or text")?;
        }
        if let Some(v) = get(EnvVars::LOG_EMF) {
            self.log.emf = parse_bool(EnvVars::LOG_EMF, &v)?;
        }
        if let Some(v) = get(EnvVars::LOG_EMF_NAMESPACE) {
            self.log.emf_namespace = v.trim().to_owned();
        }
        if let Some(v) = get(EnvVars::LOG_EMF_ENVIRONMENT) {
            self.log.emf_environment = v.trim().to_owned();
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
            self.cors.allowed_origins = super::backend::comma_list(&v);
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
            self.storage.durability = parse_choice(EnvVars::DURABILITY, &v, "full or normal")?;
        }
        if let Some(v) = get(EnvVars::BACKEND) {
            self.backend.kind = parse_choice(EnvVars::BACKEND, &v, "local or aws")?;
        }
        if let Some(v) = get(EnvVars::AWS_BUCKET) {
            self.backend.aws.bucket = v.trim().to_owned();
        }
        if let Some(v) = get(EnvVars::AWS_KMS_KEY_ID) {
            self.backend.aws.kms_key_id = v.trim().to_owned();
        }
        if let Some(v) = get(EnvVars::AWS_FACE_ENGINE) {
            self.backend.aws.face_engine =
                parse_choice(EnvVars::AWS_FACE_ENGINE, &v, "local or rekognition")?;
        }
        if let Some(v) = get(EnvVars::AWS_DEAD_LETTER_QUEUES) {
            self.backend.aws.dead_letter_queues = super::backend::comma_list(&v);
        }
        if let Some(v) = get(EnvVars::AWS_SSM_PREFIX) {
            self.backend.aws.ssm_prefix = Some(v.trim().to_owned());
        }
        if let Some(v) = get(EnvVars::SCREENING_PROVIDER) {
            self.screening.provider =
                parse_choice(EnvVars::SCREENING_PROVIDER, &v, "embedded or http")?;
        }
        #[cfg(feature = "http-client")]
        if let Some(v) = get(EnvVars::SCREENING_HTTP_URL) {
            self.screening.http.url = v.trim().to_owned();
        }
        #[cfg(feature = "http-client")]
        if let Some(v) = get(EnvVars::SCREENING_API_KEY_SECRET) {
            self.screening.http.api_key_secret = Some(v.trim().to_owned());
        }
        if let Some(v) = get(EnvVars::AWS_DOCUMENT_READER) {
            self.backend.aws.document_reader =
                parse_choice(EnvVars::AWS_DOCUMENT_READER, &v, "local or textract")?;
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
        if self.backend.kind == super::BackendKind::Aws {
            if !cfg!(feature = "aws") {
                return Err(invalid(
                    "backend.kind",
                    "\"aws\" needs a build with the `aws` feature (cargo build -p kyc-server --features aws)",
                ));
            }
            let aws = &self.backend.aws;
            match &aws.ssm_prefix {
                // the names come from Parameter Store at startup, checked then
                Some(p) if !p.starts_with('/') => {
                    return Err(invalid(
                        "backend.aws.ssm_prefix",
                        format!("{p:?}: a parameter path starts with /"),
                    ));
                }
                Some(_) => {}
                None => aws.check_names()?,
            }
        }
        let t = &self.tls;
        if t.cert_file.is_some() != t.key_file.is_some() {
            return Err(invalid("tls", "set both cert_file and key_file, or neither"));
        }
        if t.files().is_some() && !cfg!(feature = "tls") {
            return Err(invalid("tls", "this build has no TLS (feature `tls`)"));
        }
        if !(1..=86_400).contains(&t.reload_interval_secs) {
            return Err(invalid("tls.reload_interval_secs", "must be between 1 and 86400"));
        }
        let plain = t.files().is_none();
        if plain && !addr.ip().is_loopback() && !self.danger_allow_plain_http_on_non_loopback {
            return Err(invalid(
                "listen",
                format!(
                    "{addr} is not a loopback address; plain HTTP is only served on loopback. \
                     Set [tls] cert_file and key_file, or put a TLS-terminating proxy in front \
                     and set danger_allow_plain_http_on_non_loopback = true ({})",
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
        if !(1..=86_400).contains(&self.audit.checkpoint_interval_secs) {
            return Err(invalid("audit.checkpoint_interval_secs", "must be between 1 and 86400"));
        }
        if self.audit.checkpoint_file.as_ref().is_some_and(|f| f.as_os_str().is_empty()) {
            return Err(invalid("audit.checkpoint_file", "must not be empty"));
        }
        if let Some(p) = self.http.problem() {
            return Err(invalid("http", p));
        }
        if self.rate_limit.requests_per_second == 0 {
            return Err(invalid("rate_limit.requests_per_second", "must be positive"));
        }
        if self.demo.enabled && !addr.ip().is_loopback() {
            return Err(invalid(
                "demo.enabled",
                "the demo page creates verifications for anyone who reaches it; it is served only on a loopback listen address",
            ));
        }
        if self.rate_limit.failed_auth_per_minute == 0 {
            return Err(invalid("rate_limit.failed_auth_per_minute", "must be positive"));
        }
        if self.rate_limit.client_token_daily_quota == 0 {
            return Err(invalid("rate_limit.client_token_daily_quota", "must be positive"));
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
        // CloudWatch: a namespace of 1-255 characters, not starting with the
        // reserved "AWS/"; a dimension value of 1-1024
        let ns = &self.log.emf_namespace;
        if ns.is_empty() || ns.len() > 255 || ns.starts_with("AWS/") || !ns.is_ascii() {
            return Err(invalid(
                "log.emf_namespace",
                format!("{ns:?}: 1-255 ASCII characters, not AWS/…"),
            ));
        }
        let env = &self.log.emf_environment;
        if env.is_empty() || env.len() > 1024 {
            return Err(invalid("log.emf_environment", format!("{env:?}: 1-1024 characters")));
        }
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

impl super::AwsConfig {
    /// Every name an AWS deployment needs is set: at load, or after the
    /// parameters under `ssm_prefix` were applied.
    pub fn check_names(&self) -> Result<(), ConfigError> {
        let from = |env: &str| match &self.ssm_prefix {
            Some(p) => format!("set it (or {env}, or a parameter under {p})"),
            None => format!("set it (or {env})"),
        };
        if self.bucket.trim().is_empty() {
            return Err(invalid("backend.aws.bucket", from(EnvVars::AWS_BUCKET)));
        }
        if self.kms_key_id.trim().is_empty() {
            return Err(invalid("backend.aws.kms_key_id", from(EnvVars::AWS_KMS_KEY_ID)));
        }
        for (name, table) in [
            ("verifications_table", &self.verifications_table),
            ("keys_table", &self.keys_table),
            ("liveness_table", &self.liveness_table),
            ("jobs_table", &self.jobs_table),
            ("ocr_table", &self.ocr_table),
            ("audit_table", &self.audit_table),
        ] {
            if table.trim().is_empty() {
                return Err(invalid(format!("backend.aws.{name}"), "must not be empty"));
            }
        }
        for q in &self.dead_letter_queues {
            let url = q.starts_with("https://") || q.starts_with("http://");
            let name_ok = (1..=80).contains(&q.len())
                && q.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !url && !name_ok {
                return Err(invalid(
                    "backend.aws.dead_letter_queues",
                    format!(
                        "{q:?} is neither a queue URL nor an SQS queue name \
                         (1 to 80 letters, digits, - and _)"
                    ),
                ));
            }
        }
        Ok(())
    }
}
