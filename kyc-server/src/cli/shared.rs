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
         only `kyc serve` (and the engine commands) are supported so far"
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
