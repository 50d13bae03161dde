//! `kyc aws bootstrap`.

use super::shared::{Output, print_line};
use crate::{AppState, ServerConfig};
use clap::Subcommand;
use std::process::ExitCode;

/// `kyc aws …`
#[derive(Debug, Subcommand)]
pub enum AwsCommand {
    /// Create the bucket, KMS key and tables `[backend.aws]` names (what is
    /// missing; existing resources are left alone). For development
    /// accounts and the emulator; production uses the infrastructure template.
    Bootstrap {
        #[command(flatten)]
        /// Output format.
        out: Output,
    },
}

/// Runs `kyc aws …`.
pub(crate) async fn aws(config: &ServerConfig, cmd: &AwsCommand) -> anyhow::Result<ExitCode> {
    let AwsCommand::Bootstrap { out } = cmd;
    let settings = AppState::aws_settings(config);
    anyhow::ensure!(
        !settings.bucket.trim().is_empty() && !settings.kms_key_id.trim().is_empty(),
        "set backend.aws.bucket and backend.aws.kms_key_id (KYC_AWS_BUCKET, KYC_AWS_KMS_KEY_ID)"
    );
    let sdk = settings.sdk_config().await;
    let (resolved, report) = kyc_server_aws::bootstrap(&sdk, &settings).await?;
    if out.json {
        print_line(
            &serde_json::json!({
                "created": report.created,
                "existing": report.existing,
                "kmsKeyId": resolved.kms_key_id,
            })
            .to_string(),
        )?;
    } else {
        for r in &report.created {
            print_line(&format!("created  {r}"))?;
        }
        for r in &report.existing {
            print_line(&format!("exists   {r}"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
