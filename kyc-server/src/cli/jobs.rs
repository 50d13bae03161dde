//! `kyc jobs dlq list|retry`: the job queue's dead letters and, on AWS,
//! the Lambda functions' SQS dead-letter queues.

use super::{
    dead_events::DeadEvents,
    shared::{Output, print_line},
};
use crate::{
    ServerConfig,
    clock::{Clock, SystemClock},
};
use anyhow::bail;
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
    /// List dead-lettered jobs (kind, ids, attempts, last error; never PII)
    /// and, on AWS, the Lambda functions' dead-lettered events.
    List {
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
    /// Put dead-lettered jobs back in the queue (due now, attempts reset);
    /// a dead-lettered Lambda event (by its message id) has its step queued
    /// again for the verifications it names, then leaves its queue.
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
    let mut events = DeadEvents::open(config).await?;
    match cmd {
        DlqCommand::List { out } => {
            let dead = queue.dead_letters(10_000).await?;
            events.receive().await?;
            events.release().await?;
            if out.json {
                print_line(
                    &serde_json::json!({"jobs": dead, "events": events.json()?}).to_string(),
                )?;
            } else if dead.is_empty() && events.ids().is_empty() {
                print_line("no dead-lettered jobs or events")?;
            } else {
                for d in dead {
                    print_line(&format!(
                        "{}  {:<12} attempts {}/{}  failed {}  {}",
                        d.id, d.kind, d.attempts, d.max_attempts, d.failed_at, d.last_error
                    ))?;
                }
                for line in events.lines() {
                    print_line(&line)?;
                }
            }
        }
        DlqCommand::Retry { ids, all, out } => {
            let jobs: Vec<String> =
                queue.dead_letters(10_000).await?.into_iter().map(|d| d.id).collect();
            events.receive().await?;
            let ids: Vec<String> =
                if *all { jobs.iter().cloned().chain(events.ids()).collect() } else { ids.clone() };
            if ids.is_empty() {
                events.release().await?;
                bail!("give job or message ids, or --all");
            }
            let now = SystemClock.now();
            let mut retried = Vec::new();
            let mut failed = Vec::new();
            for id in &ids {
                let result = if events.holds(id) {
                    events.retry(id, queue.as_ref(), now).await
                } else {
                    queue.requeue_dead(id, now).await.map_err(anyhow::Error::from)
                };
                match result {
                    Ok(()) => retried.push(id.clone()),
                    Err(e) => failed.push((id.clone(), format!("{e:#}"))),
                }
            }
            events.release().await?;
            if out.json {
                let failed: Vec<_> = failed
                    .iter()
                    .map(|(id, error)| serde_json::json!({"id": id, "error": error}))
                    .collect();
                print_line(&serde_json::json!({"retried": retried, "failed": failed}).to_string())?;
            } else {
                print_line(&format!(
                    "requeued {} of {}: {}",
                    retried.len(),
                    ids.len(),
                    retried.join(", ")
                ))?;
                for (id, error) in &failed {
                    print_line(&format!("not retried {id}: {error}"))?;
                }
            }
            if !failed.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
