//! `kyc audit verify` and `kyc audit head`.

use super::shared::{Output, print_line};
use crate::{
    ServerConfig,
    backend::AuditLog,
    service::audit::{read_checkpoints, verify_log},
};
use anyhow::Context;
use clap::Subcommand;
use kyc_core::audit::{ChainKey, Checkpoint, record_hash};
use std::{path::PathBuf, process::ExitCode};

/// `kyc audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the keyed hash chain and hold it to checkpoints; report the
    /// first broken link (exit code 1).
    Verify {
        /// A head recorded earlier (`kyc audit head`), as SEQ:HASH; the log
        /// must still hold that record unchanged. Repeatable.
        #[arg(long = "head", value_name = "SEQ:HASH")]
        heads: Vec<Checkpoint>,
        /// A checkpoint file to hold the log to (default: `[audit]
        /// checkpoint_file`, if it exists).
        #[arg(long, value_name = "FILE")]
        checkpoints: Option<PathBuf>,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
    /// Print the chain's head as SEQ:HASH, to keep somewhere the database's
    /// writers cannot reach and pass to `kyc audit verify --head` later.
    Head {
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
}

/// Runs `kyc audit …`.
pub(crate) async fn audit(config: &ServerConfig, cmd: &AuditCommand) -> anyhow::Result<ExitCode> {
    let (log, key) = super::shared::audit_log(config).await?;
    match cmd {
        AuditCommand::Verify { heads, checkpoints, out } => {
            verify(config, log.as_ref(), key, heads, checkpoints.as_ref(), *out).await
        }
        AuditCommand::Head { out } => head(log.as_ref(), key, *out).await,
    }
}

async fn verify(
    config: &ServerConfig,
    log: &dyn AuditLog,
    key: ChainKey,
    heads: &[Checkpoint],
    file: Option<&PathBuf>,
    out: Output,
) -> anyhow::Result<ExitCode> {
    let mut checkpoints = heads.to_vec();
    let file = match file {
        Some(f) => Some(f.clone()),
        None => config.audit.checkpoint_file.clone().filter(|f| f.exists()),
    };
    if let Some(f) = &file {
        checkpoints.extend(read_checkpoints(f).with_context(|| f.display().to_string())?);
    }
    let held_to = checkpoints.len();
    let report = verify_log(log, key, checkpoints).await?;
    let head = report.head.as_ref().map(ToString::to_string);
    if out.json {
        let mut v = serde_json::json!({
            "ok": report.broken.is_none(),
            "records": report.records,
            "head": head,
            "checkpoints": held_to,
        });
        if let Some(b) = report.broken {
            v["firstBroken"] = serde_json::json!({"seq": b.seq, "kind": b.kind});
        }
        print_line(&v.to_string())?;
    } else {
        match report.broken {
            None => print_line(&format!(
                "audit log intact: {} records, head {}, {held_to} checkpoints held",
                report.records,
                head.as_deref().unwrap_or("none")
            ))?,
            Some(b) => print_line(&format!(
                "audit log BROKEN at record {} ({:?}); {} records before it are intact",
                b.seq, b.kind, report.records
            ))?,
        }
    }
    Ok(if report.broken.is_some() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

async fn head(log: &dyn AuditLog, key: ChainKey, out: Output) -> anyhow::Result<ExitCode> {
    let Some(last) = log.head().await? else {
        print_line(if out.json { "{\"head\":null}" } else { "the audit log is empty" })?;
        return Ok(ExitCode::SUCCESS);
    };
    // never hand out a head that is not the key's own work
    if record_hash(&key, last.seq, &last.prev_hash, &last.event) != last.hash {
        anyhow::bail!(
            "the last audit record ({}) does not verify: run `kyc audit verify`",
            last.seq
        );
    }
    let head = Checkpoint::from(&last);
    if out.json {
        print_line(
            &serde_json::json!({"seq": head.seq, "hash": head.hash, "head": head.to_string()})
                .to_string(),
        )?;
    } else {
        print_line(&head.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}
