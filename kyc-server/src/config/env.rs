//! Every environment variable the server reads, declared once.

/// Names of the `KYC_*` environment variables. Each overrides the config-file
/// setting named in its doc comment.
#[derive(Debug)]
pub struct EnvVars;

impl EnvVars {
    /// Path of the TOML config file (default: `{data_dir}/kyc.toml` if it exists).
    pub const CONFIG: &'static str = "KYC_CONFIG";
    /// `data_dir`: where everything is stored (default `./kyc-data`).
    pub const DATA_DIR: &'static str = "KYC_DATA_DIR";
    /// `listen`: socket address to serve on (default `127.0.0.1:8080`).
    pub const LISTEN: &'static str = "KYC_LISTEN";
    /// Log filter, `tracing` `EnvFilter` syntax (falls back to `RUST_LOG`).
    pub const LOG: &'static str = "KYC_LOG";
    /// `log.format`: `json` (default) or `text`.
    pub const LOG_FORMAT: &'static str = "KYC_LOG_FORMAT";
    /// `log.emf`: also write CloudWatch metrics in the embedded metric format.
    pub const LOG_EMF: &'static str = "KYC_LOG_EMF";
    /// `log.emf_namespace`: their CloudWatch namespace (default `KYC`).
    pub const LOG_EMF_NAMESPACE: &'static str = "KYC_LOG_EMF_NAMESPACE";
    /// `log.emf_environment`: their `Environment` dimension (default `dev`).
    pub const LOG_EMF_ENVIRONMENT: &'static str = "KYC_LOG_EMF_ENVIRONMENT";
    /// The master key, base64 of 32 bytes. Overrides `master_key_file`. Never put it in the file.
    pub const MASTER_KEY: &'static str = "KYC_MASTER_KEY";
    /// On AWS: the Secrets Manager secret (name or ARN) holding the master key
    /// (a plain base64 string, or JSON with `masterKey`), when `KYC_MASTER_KEY` is not set.
    pub const MASTER_KEY_SECRET: &'static str = "KYC_MASTER_KEY_SECRET";
    /// The previous master key during a rotation, base64 (`previous_master_key_file` otherwise).
    pub const PREVIOUS_MASTER_KEY: &'static str = "KYC_PREVIOUS_MASTER_KEY";
    /// `retention_days`: how long a verification and its data are kept.
    pub const RETENTION_DAYS: &'static str = "KYC_RETENTION_DAYS";
    /// `client_token_ttl_secs`: lifetime of client tokens.
    pub const CLIENT_TOKEN_TTL_SECS: &'static str = "KYC_CLIENT_TOKEN_TTL_SECS";
    /// `rate_limit.requests_per_second` per key.
    pub const RATE_LIMIT_RPS: &'static str = "KYC_RATE_LIMIT_RPS";
    /// `rate_limit.burst` per key.
    pub const RATE_LIMIT_BURST: &'static str = "KYC_RATE_LIMIT_BURST";
    /// `rate_limit.daily_quota` per key (requests per UTC day).
    pub const DAILY_QUOTA: &'static str = "KYC_DAILY_QUOTA";
    /// `cors.allowed_origins`, comma-separated.
    pub const CORS_ORIGINS: &'static str = "KYC_CORS_ORIGINS";
    /// `upload.max_bytes`.
    pub const MAX_UPLOAD_BYTES: &'static str = "KYC_MAX_UPLOAD_BYTES";
    /// `sweep_interval_secs`: how often expired verifications are erased.
    pub const SWEEP_INTERVAL_SECS: &'static str = "KYC_SWEEP_INTERVAL_SECS";
    /// `jobs.lease_secs`: how long a worker holds a job before another may take it.
    pub const JOB_LEASE_SECS: &'static str = "KYC_JOB_LEASE_SECS";
    /// The screening provider's API key (`screening.http.api_key_file` otherwise).
    pub const SCREENING_API_KEY: &'static str = "KYC_SCREENING_API_KEY";
    /// `screening.provider`: `embedded` or `http`.
    pub const SCREENING_PROVIDER: &'static str = "KYC_SCREENING_PROVIDER";
    /// `screening.http.url`: the provider's endpoint.
    pub const SCREENING_HTTP_URL: &'static str = "KYC_SCREENING_HTTP_URL";
    /// `storage.durability`: `full` (default) or `normal`.
    pub const DURABILITY: &'static str = "KYC_DURABILITY";
    /// `backend.kind`: `local` or `aws`.
    pub const BACKEND: &'static str = "KYC_BACKEND";
    /// `backend.aws.bucket`.
    pub const AWS_BUCKET: &'static str = "KYC_AWS_BUCKET";
    /// `backend.aws.kms_key_id`.
    pub const AWS_KMS_KEY_ID: &'static str = "KYC_AWS_KMS_KEY_ID";
    /// `backend.aws.face_engine`: `local` or `rekognition`.
    pub const AWS_FACE_ENGINE: &'static str = "KYC_AWS_FACE_ENGINE";
    /// `backend.aws.document_reader`: `local` or `textract`.
    pub const AWS_DOCUMENT_READER: &'static str = "KYC_AWS_DOCUMENT_READER";
    /// `backend.aws.dead_letter_queues`: the Lambda functions' SQS dead-letter queues, comma-separated.
    pub const AWS_DEAD_LETTER_QUEUES: &'static str = "KYC_AWS_DEAD_LETTER_QUEUES";
    /// `backend.aws.ssm_prefix`: the SSM Parameter Store path of the deployment's names.
    pub const AWS_SSM_PREFIX: &'static str = "KYC_AWS_SSM_PREFIX";
    /// `screening.http.api_key_secret`: the Secrets Manager secret holding the provider's key.
    pub const SCREENING_API_KEY_SECRET: &'static str = "KYC_SCREENING_API_KEY_SECRET";
    /// `danger_allow_plain_http_on_non_loopback`: serve plain HTTP on a public address
    /// (only behind a TLS-terminating proxy).
    pub const DANGER_ALLOW_PLAIN_HTTP: &'static str = "KYC_DANGER_ALLOW_PLAIN_HTTP";

    /// DANGER, test builds only (feature `danger-fixed-challenge`): a fixed gesture
    /// sequence such as `turn_left,turn_right` instead of random challenges.
    pub const DANGER_FIXED_CHALLENGE: &'static str = "KYC_DANGER_FIXED_CHALLENGE";

    /// Every variable, for documentation and tests.
    pub const ALL: &'static [&'static str] = &[
        Self::CONFIG,
        Self::DATA_DIR,
        Self::LISTEN,
        Self::LOG,
        Self::LOG_FORMAT,
        Self::LOG_EMF,
        Self::LOG_EMF_NAMESPACE,
        Self::LOG_EMF_ENVIRONMENT,
        Self::MASTER_KEY,
        Self::MASTER_KEY_SECRET,
        Self::PREVIOUS_MASTER_KEY,
        Self::RETENTION_DAYS,
        Self::CLIENT_TOKEN_TTL_SECS,
        Self::RATE_LIMIT_RPS,
        Self::RATE_LIMIT_BURST,
        Self::DAILY_QUOTA,
        Self::CORS_ORIGINS,
        Self::MAX_UPLOAD_BYTES,
        Self::SWEEP_INTERVAL_SECS,
        Self::JOB_LEASE_SECS,
        Self::SCREENING_API_KEY,
        Self::SCREENING_PROVIDER,
        Self::SCREENING_HTTP_URL,
        Self::DURABILITY,
        Self::BACKEND,
        Self::AWS_BUCKET,
        Self::AWS_KMS_KEY_ID,
        Self::AWS_FACE_ENGINE,
        Self::AWS_DOCUMENT_READER,
        Self::AWS_SSM_PREFIX,
        Self::AWS_DEAD_LETTER_QUEUES,
        Self::SCREENING_API_KEY_SECRET,
        Self::DANGER_ALLOW_PLAIN_HTTP,
        Self::DANGER_FIXED_CHALLENGE,
    ];
}
