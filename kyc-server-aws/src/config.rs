//! Settings and SDK clients.

use aws_config::{
    BehaviorVersion, ConfigLoader, SdkConfig, retry::RetryConfig, timeout::TimeoutConfig,
};
use aws_smithy_http_client::{
    Builder,
    tls::{Provider, rustls_provider::CryptoMode},
};
use std::time::Duration;

/// Where the AWS backends keep their data. Names follow the infrastructure
/// template (`kyc-{environment}-…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// The bucket for uploads, frames and raw engine output.
    pub bucket: String,
    /// The customer-managed KMS key (id, ARN or `alias/…`): SSE-KMS on every
    /// object and the key that wraps each verification's data key.
    pub kms_key_id: String,
    /// The audit table (`KycAuditLog`: `pk` S + `seq` N, GSI `byVerification`).
    pub audit_table: String,
    /// The document-reading table (`KycOcrData`: `verificationId` S, TTL `expiresAt`).
    pub ocr_table: String,
    /// API keys and usage (`KycKeys`: `pk` S + `sk` S).
    pub keys_table: String,
    /// Liveness sessions and frames (`KycLiveness`: `pk` S + `sk` S).
    pub liveness_table: String,
    /// Verification records (`KycVerifications`: `pk` S + `sk` S).
    pub verifications_table: String,
    /// The job queue (`KycJobs`: `pk` S + `sk` S).
    pub jobs_table: String,
    /// The SQS dead-letter queues of the Lambda functions (names or URLs),
    /// which `kyc jobs dlq` reads besides the job queue's own dead letters.
    pub dead_letter_queues: Vec<String>,
    /// An endpoint for every service (an emulator); `None` = AWS, or
    /// `AWS_ENDPOINT_URL` when it is set.
    pub endpoint_url: Option<String>,
    /// Path-style S3 addressing (`host/bucket/key`): emulators need it;
    /// defaults to on when `endpoint_url` is set.
    pub s3_path_style: Option<bool>,
    /// Per-operation timeout, retries included.
    pub operation_timeout: Duration,
    /// Per-attempt timeout.
    pub attempt_timeout: Duration,
    /// Attempts per call (1 = no retry).
    pub max_attempts: u32,
}

impl Default for AwsSettings {
    fn default() -> Self {
        Self {
            bucket: "kyc-data-dev".into(),
            kms_key_id: "alias/kyc-dev".into(),
            audit_table: "KycAuditLog".into(),
            ocr_table: "KycOcrData".into(),
            keys_table: "KycKeys".into(),
            liveness_table: "KycLiveness".into(),
            verifications_table: "KycVerifications".into(),
            jobs_table: "KycJobs".into(),
            dead_letter_queues: vec!["kyc-ocr-dlq".into(), "kyc-screening-dlq".into()],
            endpoint_url: None,
            s3_path_style: None,
            operation_timeout: Duration::from_secs(20),
            attempt_timeout: Duration::from_secs(8),
            max_attempts: 3,
        }
    }
}

impl AwsSettings {
    /// The shared SDK configuration: the standard AWS environment and
    /// credentials chain, this crate's timeouts and retries, HTTPS on rustls
    /// with ring.
    pub async fn sdk_config(&self) -> SdkConfig {
        self.loader().load().await
    }

    /// The loader [`AwsSettings::sdk_config`] uses, for callers that set more
    /// (a region, fixed credentials for an emulator).
    pub fn loader(&self) -> ConfigLoader {
        let http = Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .retry_config(RetryConfig::standard().with_max_attempts(self.max_attempts.max(1)))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(self.attempt_timeout)
                    .operation_timeout(self.operation_timeout)
                    .build(),
            );
        if let Some(endpoint) = &self.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        loader
    }

    /// An S3 client for `sdk` with this deployment's addressing style
    /// (path style for an emulator endpoint unless `s3_path_style` says otherwise).
    pub fn s3_client(&self, sdk: &SdkConfig) -> aws_sdk_s3::Client {
        let path_style = self
            .s3_path_style
            .unwrap_or(self.endpoint_url.is_some() || sdk.endpoint_url().is_some());
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(sdk).force_path_style(path_style).build(),
        )
    }
}
