//! `[backend]`: where the server keeps its data.

use serde::{Deserialize, Serialize};

/// Which backends the server runs on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    /// Encrypted files and SQLite under `data_dir` (one machine, no network).
    #[default]
    Local,
    /// S3, KMS and DynamoDB (`kyc-server-aws`; feature `aws`).
    Aws,
}

/// `[backend]`
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackendConfig {
    /// `local` (default) or `aws` (`KYC_BACKEND`).
    pub kind: BackendKind,
    /// The AWS resources, when `kind = "aws"`.
    pub aws: AwsConfig,
}

/// `[backend.aws]`: names as the infrastructure template makes them. The
/// region, credentials and endpoint come from the standard AWS environment
/// (`AWS_REGION`, the credentials chain, `AWS_ENDPOINT_URL`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AwsConfig {
    /// The bucket for uploads, frames and raw engine output (`KYC_AWS_BUCKET`).
    pub bucket: String,
    /// The customer-managed KMS key: id, ARN or `alias/…` (`KYC_AWS_KMS_KEY_ID`).
    pub kms_key_id: String,
    /// Verification records.
    pub verifications_table: String,
    /// API keys and usage.
    pub keys_table: String,
    /// Liveness sessions and frames.
    pub liveness_table: String,
    /// The job queue.
    pub jobs_table: String,
    /// Document readings.
    pub ocr_table: String,
    /// The audit log.
    pub audit_table: String,
    /// The SQS dead-letter queues of the Lambda functions, names or URLs
    /// (`KYC_AWS_DEAD_LETTER_QUEUES`, comma-separated): `kyc jobs dlq` lists
    /// and retries their messages beside the job queue's dead letters.
    pub dead_letter_queues: Vec<String>,
    /// The face engine: `local` (default; the bundled models, no per-call
    /// cost) or `rekognition` (`KYC_AWS_FACE_ENGINE`).
    pub face_engine: AwsFaceEngine,
    /// The document reader: `local` (default) or `textract`
    /// (`KYC_AWS_DOCUMENT_READER`).
    pub document_reader: AwsDocumentReader,
    /// An SSM Parameter Store path (`/kyc/prod`) whose parameters `bucket`,
    /// `kms-key-id`, `{audit,ocr,keys,liveness,verifications,jobs}-table` and
    /// `dead-letter-queues` (comma-separated) replace the settings above at
    /// startup (`KYC_AWS_SSM_PREFIX`).
    pub ssm_prefix: Option<String>,
}

impl AwsConfig {
    /// Takes the settings `params` (name under `ssm_prefix` → value) holds;
    /// returns how many it took. Other names under the path are left alone.
    pub fn apply_parameters(
        &mut self,
        params: &std::collections::BTreeMap<String, String>,
    ) -> usize {
        let mut taken = 0;
        for (name, value) in params {
            if name == "dead-letter-queues" {
                self.dead_letter_queues = comma_list(value);
                taken += 1;
                continue;
            }
            let field = match name.as_str() {
                "bucket" => &mut self.bucket,
                "kms-key-id" => &mut self.kms_key_id,
                "audit-table" => &mut self.audit_table,
                "ocr-table" => &mut self.ocr_table,
                "keys-table" => &mut self.keys_table,
                "liveness-table" => &mut self.liveness_table,
                "verifications-table" => &mut self.verifications_table,
                "jobs-table" => &mut self.jobs_table,
                _ => continue,
            };
            value.trim().clone_into(field);
            taken += 1;
        }
        taken
    }
}

/// `a, b,,c` → `["a", "b", "c"]`.
pub(crate) fn comma_list(v: &str) -> Vec<String> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// `backend.aws.face_engine`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AwsFaceEngine {
    /// The bundled ONNX engine, in process.
    #[default]
    Local,
    /// Amazon Rekognition `DetectFaces` / `CompareFaces`.
    Rekognition,
}

/// `backend.aws.document_reader`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AwsDocumentReader {
    /// The bundled OCR engine, in process.
    #[default]
    Local,
    /// Amazon Textract `AnalyzeID`, `AnalyzeDocument` as fallback.
    Textract,
}

impl Default for AwsConfig {
    fn default() -> Self {
        Self {
            bucket: String::new(),
            kms_key_id: String::new(),
            verifications_table: "KycVerifications".into(),
            keys_table: "KycKeys".into(),
            liveness_table: "KycLiveness".into(),
            jobs_table: "KycJobs".into(),
            ocr_table: "KycOcrData".into(),
            audit_table: "KycAuditLog".into(),
            dead_letter_queues: vec!["kyc-ocr-dlq".into(), "kyc-screening-dlq".into()],
            face_engine: AwsFaceEngine::Local,
            document_reader: AwsDocumentReader::Local,
            ssm_prefix: None,
        }
    }
}
