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

/// Opens (creating if needed) the data directory's database.
pub(crate) fn open_db(config: &ServerConfig) -> anyhow::Result<Arc<Database>> {
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
