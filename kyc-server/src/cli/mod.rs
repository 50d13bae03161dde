//! The `kyc` command line. Every command honours `--data-dir` / `KYC_DATA_DIR`
//! and `--config` / `KYC_CONFIG`, prints JSON with `--json`, and may run while
//! the server runs (SQLite in WAL mode with a busy timeout).

mod audit;
#[cfg(feature = "aws")]
mod aws;
mod dead_events;
#[cfg(feature = "ocr-onnx")]
mod document;
#[cfg(feature = "face-onnx")]
mod face;
mod jobs;
mod keys;
mod lists;
mod serve;
mod shared;

pub use audit::AuditCommand;
#[cfg(feature = "aws")]
pub use aws::AwsCommand;
#[cfg(feature = "ocr-onnx")]
pub use document::DocumentCommand;
#[cfg(feature = "face-onnx")]
pub use face::FaceCommand;
pub use jobs::{DlqCommand, JobsCommand};
pub use keys::{KeysCommand, KindArg};
pub use lists::ListsCommand;
pub use shared::Output;

use crate::config::{EnvVars, Overrides, ServerConfig};
use anyhow::Context;
use clap::{Parser, Subcommand};
use shared::env_lookup;
use std::{io::Write, path::PathBuf, process::ExitCode};

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(name = "kyc", version, about = "Self-hosted identity verification: server and tools")]
pub struct Cli {
    /// Data directory (database, encrypted objects, keys).
    #[arg(long, global = true, env = EnvVars::DATA_DIR, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// TOML config file (default: DATA_DIR/kyc.toml if it exists).
    #[arg(long, global = true, env = EnvVars::CONFIG, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API (on the embedded backends, or on AWS with `KYC_BACKEND=aws`).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, env = EnvVars::LISTEN, value_name = "ADDR")]
        listen: Option<String>,
        /// Serve the demo page at `/` (loopback only).
        #[arg(long)]
        demo: bool,
    },
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Set up the AWS backends (feature `aws`).
    #[cfg(feature = "aws")]
    #[command(subcommand)]
    Aws(AwsCommand),
    /// Inspect the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Inspect and replay jobs.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Run the face engine on image files.
    #[cfg(feature = "face-onnx")]
    #[command(subcommand)]
    Face(FaceCommand),
    /// Read identity documents (MRZ and printed fields) from image files.
    #[cfg(feature = "ocr-onnx")]
    #[command(subcommand)]
    Document(DocumentCommand),
    /// Manage the sanctions lists of the embedded screener.
    #[command(subcommand)]
    Lists(ListsCommand),
    /// Screen names against the sanctions lists.
    Screen {
        /// The full name.
        #[arg(long, required_unless_present = "batch", conflicts_with = "batch")]
        name: Option<String>,
        /// Date of birth, YYYY-MM-DD or YYYY.
        #[arg(long)]
        dob: Option<String>,
        /// Nationality, ISO 3166 code or country name.
        #[arg(long)]
        country: Option<String>,
        /// The subject is a person: listed companies, vessels and aircraft
        /// count against a match (the pipeline always screens persons).
        #[arg(long)]
        individual: bool,
        /// A JSON Lines file, one `{"name", "dob"?, "country"?}` per line; one
        /// result per line out, in order (`-` for standard input).
        #[arg(long, value_name = "FILE")]
        batch: Option<PathBuf>,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
}

fn load_config(cli: &Cli) -> anyhow::Result<ServerConfig> {
    load_config_with(cli, Overrides::default())
}

fn load_config_with(cli: &Cli, mut overrides: Overrides) -> anyhow::Result<ServerConfig> {
    overrides.config_file.clone_from(&cli.config);
    overrides.data_dir.clone_from(&cli.data_dir);
    Ok(ServerConfig::load(&overrides, env_lookup)?)
}

/// Threads for blocking work (SQLite, files, image decoding). A small cap
/// keeps memory bounded under load (every thread keeps its own malloc arena)
/// without limiting throughput, which is CPU-bound.
const BLOCKING_THREADS: usize = 16;

/// Runs a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()
        .context("starting the runtime")
        .and_then(|rt| rt.block_on(dispatch(cli)));
    match result {
        Ok(code) => code,
        Err(e) => {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "kyc: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Serve { listen, demo } => {
            let overrides = Overrides { listen: listen.clone(), demo: *demo, ..Default::default() };
            serve::serve(load_config_with(&cli, overrides)?).await
        }
        Command::Keys(k) => keys::keys(&load_config(&cli)?, k).await,
        #[cfg(feature = "aws")]
        Command::Aws(cmd) => aws::aws(&load_config(&cli)?, cmd).await,
        Command::Audit(cmd) => audit::audit(&load_config(&cli)?, cmd).await,
        Command::Jobs(JobsCommand::Dlq(cmd)) => jobs::dlq(&load_config(&cli)?, cmd).await,
        #[cfg(feature = "face-onnx")]
        Command::Face(cmd) => face::face(&load_config(&cli)?, cmd),
        #[cfg(feature = "ocr-onnx")]
        Command::Document(cmd) => document::document(cmd),
        Command::Lists(cmd) => lists::lists(&load_config(&cli)?, cmd).await,
        Command::Screen { name, dob, country, individual, batch, out } => {
            let query = name.as_ref().map(|n| crate::backend::screening::ScreeningQuery {
                name: n.clone(),
                date_of_birth: dob.clone(),
                country: country.clone(),
                individual: *individual,
            });
            lists::screen(&load_config(&cli)?, query, batch.as_deref(), *out).await
        }
    }
}
