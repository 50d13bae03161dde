//! One typed configuration: TOML file, then `KYC_*` environment variables,
//! then command-line flags. Defaults work on a fresh machine. Anything wrong
//! fails at startup with a message naming the setting.

mod backend;
mod env;
mod load;
mod screening;
mod sections;
#[cfg(test)]
mod tests;

pub use backend::{AwsConfig, AwsDocumentReader, AwsFaceEngine, BackendConfig, BackendKind};
pub use env::EnvVars;
pub use load::{Overrides, validate_origin};
pub use screening::{ListSourceConfig, ScreenerKind, ScreeningConfig};
pub use sections::{
    AuditConfig, CorsConfig, DemoConfig, HttpConfig, JobsConfig, LivenessConfig, LogConfig,
    LogFormat, RateLimitConfig, StorageConfig, TlsConfig,
};

use kyc_core::image::UploadPolicy;
use serde::{Deserialize, Serialize};
use std::{fmt, path::PathBuf};

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
    /// During a master-key rotation, the key file of the previous master key
    /// (`KYC_PREVIOUS_MASTER_KEY` wins): what it wrapped still opens until
    /// `kyc keys rotate` has re-wrapped it.
    pub previous_master_key_file: Option<PathBuf>,
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
    /// Connection and request limits and timeouts.
    pub http: HttpConfig,
    /// HTTPS.
    pub tls: TlsConfig,
    /// Audit-chain checkpoints.
    pub audit: AuditConfig,
    /// Document upload limits.
    pub upload: UploadPolicy,
    /// Per-key limits.
    pub rate_limit: RateLimitConfig,
    /// Browser origins.
    pub cors: CorsConfig,
    /// Where the data lives (`local` or `aws`).
    pub backend: BackendConfig,
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
            previous_master_key_file: None,
            retention_days: 30,
            client_token_ttl_secs: 3600,
            sweep_interval_secs: 60,
            danger_allow_plain_http_on_non_loopback: false,
            log: LogConfig::default(),
            http: HttpConfig::default(),
            tls: TlsConfig::default(),
            audit: AuditConfig::default(),
            upload: UploadPolicy::default(),
            rate_limit: RateLimitConfig::default(),
            cors: CorsConfig::default(),
            backend: BackendConfig::default(),
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

impl ServerConfig {
    /// Whether the demo page is served.
    pub fn demo_enabled(&self) -> bool {
        self.demo.enabled && self.listen_addr().is_ok_and(|a| a.ip().is_loopback())
    }

    /// The screening index `kyc lists import|update` writes and `kyc serve` reads.
    pub fn lists_index_path(&self) -> PathBuf {
        self.data_dir.join("lists").join("index.bin")
    }
}
