//! What every command shares: the output flag, printing, typed failures
//! and opening the data directory's database.

use crate::{ServerConfig, backend::local::Database, state::prepare_data_dir};
use clap::Args;
use std::{io::Write, sync::Arc};

/// Output format flag.
#[derive(Debug, Clone, Copy, Args)]
pub struct Output {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn print_line(s: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{s}")?;
    out.flush()?;
    Ok(())
}

/// The process environment, as the config loader reads it.
pub(crate) fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Refuses a maintenance command on a configuration whose data is on AWS:
/// it would act on an empty local data directory instead.
pub(crate) fn local_only(config: &ServerConfig) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.backend.kind == crate::config::BackendKind::Local,
        "this command works on the local backend only; with backend.kind = \"aws\" \
         `kyc serve`, `kyc aws`, `kyc keys create|list|roll|revoke`, `kyc audit` and `kyc jobs` \
         (and the engine commands) work there so far"
    );
    Ok(())
}

/// Opens (creating if needed) the data directory's database.
pub(crate) fn open_db(config: &ServerConfig) -> anyhow::Result<Arc<Database>> {
    local_only(config)?;
    prepare_data_dir(config)?;
    Ok(Database::open(&config.data_dir.join("kyc.db"), config.storage.durability)?)
}

/// Prints a typed error (JSON with `--json`) and returns exit code 3.
#[cfg(any(feature = "face-onnx", feature = "ocr-onnx"))]
pub(crate) fn typed_failure(
    json: bool,
    code: kyc_core::ErrorCode,
    message: &str,
) -> anyhow::Result<std::process::ExitCode> {
    if json {
        print_line(&serde_json::json!({"code": code, "message": message}).to_string())?;
    } else {
        let mut err = std::io::stderr().lock();
        writeln!(err, "kyc: {code}: {message}")?;
    }
    Ok(std::process::ExitCode::from(3))
}

/// An engine's answer, with an image the engine refused turned into a typed
/// failure for `path` (`Ok(Err(exit code))`, already printed).
#[cfg(any(feature = "face-onnx", feature = "ocr-onnx"))]
pub(crate) fn refused_as_failure<T>(
    result: Result<T, kyc_vision::VisionError>,
    json: bool,
    path: &std::path::Path,
) -> anyhow::Result<Result<T, std::process::ExitCode>> {
    match result {
        Ok(v) => Ok(Ok(v)),
        Err(kyc_vision::VisionError::Rejected(why)) => {
            let message = format!("{}: {why}", path.display());
            typed_failure(json, kyc_core::ErrorCode::MalformedImage, &message).map(Err)
        }
        Err(e) => Err(e.into()),
    }
}

/// The job queue a maintenance command works on: the data directory's, or
/// the AWS deployment's.
pub(crate) async fn job_queue(
    config: &ServerConfig,
) -> anyhow::Result<Arc<dyn crate::backend::JobQueue>> {
    Ok(match config.backend.kind {
        crate::config::BackendKind::Local => {
            Arc::new(crate::backend::local::SqliteJobQueue::new(open_db(config)?))
        }
        #[cfg(feature = "aws")]
        crate::config::BackendKind::Aws => {
            let (s, sdk) = aws_sdk(config).await?;
            Arc::new(kyc_server_aws::DynamoJobQueue::new(&sdk, &s.jobs_table))
        }
        #[cfg(not(feature = "aws"))]
        crate::config::BackendKind::Aws => no_aws()?,
    })
}

/// The key store a maintenance command works on.
pub(crate) async fn key_store(
    config: &ServerConfig,
) -> anyhow::Result<Arc<dyn crate::backend::KeyStore>> {
    Ok(match config.backend.kind {
        crate::config::BackendKind::Local => {
            Arc::new(crate::backend::local::SqliteKeyStore::new(open_db(config)?))
        }
        #[cfg(feature = "aws")]
        crate::config::BackendKind::Aws => {
            let (s, sdk) = aws_sdk(config).await?;
            Arc::new(kyc_server_aws::DynamoKeyStore::new(&sdk, &s.keys_table))
        }
        #[cfg(not(feature = "aws"))]
        crate::config::BackendKind::Aws => no_aws()?,
    })
}

/// The audit log a maintenance command works on, and the key its chain is
/// made with.
pub(crate) async fn audit_log(
    config: &ServerConfig,
) -> anyhow::Result<(Arc<dyn crate::backend::AuditLog>, kyc_core::audit::ChainKey)> {
    use crate::crypto::audit_chain_key;
    Ok(match config.backend.kind {
        crate::config::BackendKind::Local => {
            let key = audit_chain_key(&crate::state::load_keyring(config, env_lookup)?);
            let log = crate::backend::local::SqliteAuditLog::new(open_db(config)?, key.clone());
            (Arc::new(log), key)
        }
        #[cfg(feature = "aws")]
        crate::config::BackendKind::Aws => {
            let (s, sdk) = aws_sdk(config).await?;
            let master = crate::AppState::aws_master_key(&sdk, env_lookup).await?;
            let env = |n: &str| match n {
                crate::config::EnvVars::MASTER_KEY => master.clone(),
                other => env_lookup(other),
            };
            let key = audit_chain_key(&crate::AppState::aws_keyring(env)?);
            (Arc::new(kyc_server_aws::DynamoAuditLog::new(&sdk, &s.audit_table, key.clone())), key)
        }
        #[cfg(not(feature = "aws"))]
        crate::config::BackendKind::Aws => no_aws()?,
    })
}

/// The deployment's AWS settings (with the names under
/// `backend.aws.ssm_prefix` read from Parameter Store, as `kyc serve` reads
/// them) and the SDK configuration for them.
#[cfg(feature = "aws")]
pub(super) async fn aws_sdk(
    config: &ServerConfig,
) -> anyhow::Result<(kyc_server_aws::AwsSettings, aws_config::SdkConfig)> {
    let sdk = crate::AppState::aws_settings(config).sdk_config().await;
    let mut resolved = config.clone();
    crate::AppState::aws_names_from_ssm(&mut resolved, &sdk).await?;
    Ok((crate::AppState::aws_settings(&resolved), sdk))
}

#[cfg(not(feature = "aws"))]
fn no_aws<T>() -> anyhow::Result<T> {
    anyhow::bail!("backend.kind = \"aws\" needs a build with the `aws` feature")
}
