#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
//! AWS implementations of the KYC SDK's backend traits (`kyc-backend`), for
//! deployments that outgrow one machine. Each passes the same conformance
//! suite as the embedded backend it replaces.
//!
//! | trait | here |
//! |---|---|
//! | [`ObjectStore`](kyc_backend::ObjectStore) | [`S3ObjectStore`]: S3 with SSE-KMS, objects sealed under a per-verification data key from KMS `GenerateDataKey` |
//! | [`AuditLog`](kyc_backend::AuditLog) | [`DynamoAuditLog`]: `KycAuditLog`, appends by a conditional put on the next sequence number |
//! | [`OcrDataStore`](kyc_backend::OcrDataStore) | [`DynamoOcrDataStore`]: `KycOcrData`, TTL on `expiresAt`, the reading sealed |
//! | [`KeyStore`](kyc_backend::KeyStore) | [`DynamoKeyStore`]: `KycKeys`, usage as atomic `ADD` counters |
//! | [`LivenessStore`](kyc_backend::LivenessStore) | [`DynamoLivenessStore`]: `KycLiveness`, sessions, frames and their index entries in one transaction each |
//! | [`JobQueue`](kyc_backend::JobQueue) | [`DynamoJobQueue`]: `KycJobs`, leases by conditional update, completion fenced by the lease token; [`SqsDeadLetters`]: the Lambda functions' SQS dead-letter queues |
//!
//! | [`VerificationStore`](kyc_backend::VerificationStore) | [`DynamoVerificationStore`]: `KycVerifications`, idempotency claims and the outbox in one transaction |
//!
//! | [`FaceEngine`](kyc_backend::face::FaceEngine) | [`RekognitionFaceEngine`]: `DetectFaces` observations, `CompareFaces` similarity |
//! | [`DocumentReader`](kyc_backend::document::DocumentReader) | [`TextractDocumentReader`]: `AnalyzeID`, `AnalyzeDocument` (FORMS) as fallback |
//!
//! Settings under an SSM Parameter Store path ([`parameters`]) and secrets
//! from Secrets Manager ([`secret`]); the Lambda entry points are `kyc-lambda`.
//!
//! Clients come from [`AwsSettings::sdk_config`]: the standard AWS
//! environment (`AWS_REGION`, the credentials chain, `AWS_ENDPOINT_URL`), so
//! the same code runs against AWS and against an emulator; HTTPS on rustls
//! with ring; per-attempt and per-operation timeouts; the SDK's standard
//! retries (exponential backoff with jitter on throttling and 5xx).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use kyc_server_aws::{AwsSettings, S3ObjectStore};
//! let settings = AwsSettings { bucket: "kyc-data-prod".into(), kms_key_id: "alias/kyc-prod".into(), ..AwsSettings::default() };
//! let sdk = settings.sdk_config().await;
//! let objects = S3ObjectStore::new(&sdk, &settings);
//! # let _ = objects; Ok(()) }
//! ```

mod bootstrap;
mod check;
mod config;
mod dlq;
mod dynamo;
mod error;
mod params;
mod rekognition;
mod s3;
#[cfg(feature = "testing")]
pub mod testing;
mod textract;

pub use bootstrap::{BootstrapError, BootstrapReport, bootstrap};
pub use check::{CheckReport, Finding, check};
pub use config::AwsSettings;
pub use dlq::{DeadEvent, DeadEventSource, SqsDeadLetters, UPLOADS_PREFIX, classify, upload_of};
pub use dynamo::{
    DynamoAuditLog, DynamoJobQueue, DynamoKeyStore, DynamoLivenessStore, DynamoOcrDataStore,
    DynamoVerificationStore,
};
pub use params::{parameters, secret};
pub use rekognition::{RekognitionFaceEngine, face_analysis};
pub use s3::S3ObjectStore;
pub use textract::{TextractDocumentReader, document_text};
