//! `kyc aws bootstrap|check`.

use super::shared::{Output, aws_sdk, print_line};
use crate::ServerConfig;
use clap::Subcommand;
use std::process::ExitCode;

/// `kyc aws …`
#[derive(Debug, Subcommand)]
pub enum AwsCommand {
    /// Create the bucket, KMS key, tables and dead-letter queues
    /// `[backend.aws]` names (what is missing; existing resources are left
    /// alone). For development accounts and the emulator; production uses
    /// the infrastructure template.
    Bootstrap {
        #[command(flatten)]
        /// Output format.
        out: Output,
    },
    /// Report what `[backend.aws]` names that is missing or set up otherwise
    /// than the backends need (key state and rotation, bucket versioning,
    /// default encryption and public access block, table keys, the reading
    /// table's stream and TTL, the queues' retention). Read-only; exits 1
    /// when anything is wrong.
    Check {
        #[command(flatten)]
        /// Output format.
        out: Output,
    },
}

/// Runs `kyc aws …`.
pub(crate) async fn aws(config: &ServerConfig, cmd: &AwsCommand) -> anyhow::Result<ExitCode> {
    let (settings, sdk) = aws_sdk(config).await?;
    anyhow::ensure!(
        !settings.bucket.trim().is_empty() && !settings.kms_key_id.trim().is_empty(),
        "set backend.aws.bucket and backend.aws.kms_key_id (KYC_AWS_BUCKET, KYC_AWS_KMS_KEY_ID)"
    );
    match cmd {
        AwsCommand::Bootstrap { out } => {
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
        AwsCommand::Check { out } => {
            let report = kyc_server_aws::check(&sdk, &settings).await;
            if out.json {
                print_line(&serde_json::to_string(&report)?)?;
            } else {
                for r in &report.ok {
                    print_line(&format!("ok       {r}"))?;
                }
                for f in &report.findings {
                    print_line(&format!("PROBLEM  {}: {}", f.resource, f.problem))?;
                }
            }
            Ok(if report.is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}
