//! `kyc jobs dlq list|retry`.

use super::shared::{Output, print_line};
use crate::{
    ServerConfig,
    clock::{Clock, SystemClock},
};
use anyhow::{Context, bail};
use clap::Subcommand;
use std::process::ExitCode;

/// `kyc jobs …`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// The dead-letter queue: jobs that used up their attempts.
    #[command(subcommand)]
    Dlq(DlqCommand),
}

/// `kyc jobs dlq …`
#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List dead-lettered jobs (kind, ids, attempts, last error; never PII).
    List {
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
    /// Put dead-lettered jobs back in the queue (due now, attempts reset).
    Retry {
        /// Job ids to retry.
        ids: Vec<String>,
        /// Retry every dead-lettered job.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
}

/// Runs `kyc jobs dlq …`.
pub(crate) async fn dlq(config: &ServerConfig, cmd: &DlqCommand) -> anyhow::Result<ExitCode> {
    let queue = super::shared::job_queue(config).await?;
    match cmd {
        DlqCommand::List { out } => {
            let dead = queue.dead_letters(10_000).await?;
            if out.json {
                print_line(&serde_json::to_string(&dead)?)?;
            } else if dead.is_empty() {
                print_line("no dead-lettered jobs")?;
            } else {
                for d in dead {
                    print_line(&format!(
                        "{}  {:<12} attempts {}/{}  failed {}  {}",
                        d.id, d.kind, d.attempts, d.max_attempts, d.failed_at, d.last_error
                    ))?;
                }
            }
        }
        DlqCommand::Retry { ids, all, out } => {
            let ids: Vec<String> = if *all {
                queue.dead_letters(10_000).await?.into_iter().map(|d| d.id).collect()
            } else {
                ids.clone()
            };
            if ids.is_empty() {
                bail!("give job ids or --all");
            }
            let now = SystemClock.now();
            let mut retried = Vec::new();
            for id in &ids {
                queue.requeue_dead(id, now).await.with_context(|| format!("job {id}"))?;
                retried.push(id.clone());
            }
            if out.json {
                print_line(&serde_json::json!({"retried": retried}).to_string())?;
            } else {
                print_line(&format!("requeued {} job(s): {}", retried.len(), retried.join(", ")))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
