//! The Lambda functions' SQS dead-letter queues, for `kyc jobs dlq`: on
//! AWS their messages are listed and retried beside the job queue's dead
//! letters; the local backend has none (its job queue is the only place a
//! step dead-letters).

#[cfg(feature = "aws")]
pub(super) use on_aws::DeadEvents;
#[cfg(not(feature = "aws"))]
pub(super) use without_aws::DeadEvents;

#[cfg(feature = "aws")]
mod on_aws {
    use crate::{
        ServerConfig,
        backend::{JobQueue, StoreError},
        config::BackendKind,
        service::{ocr::ocr_job, screening::screen_job},
    };
    use anyhow::{Context, bail};
    use kyc_core::{Timestamp, VerificationId};
    use kyc_server_aws::{DeadEvent, DeadEventSource, SqsDeadLetters};

    /// How many dead-lettered messages one command looks at.
    const LIMIT: usize = 1_000;

    /// The queues, and the messages received from them (hidden from other
    /// consumers until released).
    pub(in crate::cli) struct DeadEvents {
        queues: Option<SqsDeadLetters>,
        held: Vec<DeadEvent>,
    }

    impl DeadEvents {
        pub(in crate::cli) async fn open(config: &ServerConfig) -> anyhow::Result<Self> {
            let queues = if config.backend.kind == BackendKind::Aws {
                let (s, sdk) = super::super::shared::aws_sdk(config).await?;
                Some(SqsDeadLetters::new(&sdk, &s))
            } else {
                None
            };
            Ok(Self { queues, held: Vec::new() })
        }

        pub(in crate::cli) async fn receive(&mut self) -> anyhow::Result<()> {
            if let Some(q) = &self.queues {
                self.held = q.receive(LIMIT).await.context("the dead-letter queues")?;
            }
            Ok(())
        }

        pub(in crate::cli) async fn release(&self) -> anyhow::Result<()> {
            if let Some(q) = &self.queues {
                q.release(&self.held).await;
            }
            Ok(())
        }

        fn find(&self, id: &str) -> Option<&DeadEvent> {
            self.held.iter().find(|e| e.message_id == id)
        }

        pub(in crate::cli) fn holds(&self, id: &str) -> bool {
            self.find(id).is_some()
        }

        pub(in crate::cli) fn ids(&self) -> Vec<String> {
            self.held.iter().map(|e| e.message_id.clone()).collect()
        }

        pub(in crate::cli) fn json(&self) -> anyhow::Result<serde_json::Value> {
            Ok(serde_json::to_value(&self.held)?)
        }

        pub(in crate::cli) fn lines(&self) -> Vec<String> {
            self.held
                .iter()
                .map(|e| {
                    let what = match &e.source {
                        DeadEventSource::Uploads { verification_ids } => {
                            format!("ocr of {} upload(s)", verification_ids.len())
                        }
                        DeadEventSource::StreamBatch { shard_id, .. } => {
                            format!("screening batch of {shard_id}")
                        }
                        DeadEventSource::Unknown => "not one of ours".to_owned(),
                    };
                    format!(
                        "{}  {}  {what}  received {}  {}",
                        e.message_id,
                        e.queue,
                        e.receive_count,
                        e.reason.as_deref().unwrap_or("")
                    )
                })
                .collect()
        }

        /// Puts the step of dead event `id` back in the job queue for every
        /// verification it names (the step is idempotent, and a pending job
        /// for it is reused), then deletes the message.
        pub(in crate::cli) async fn retry(
            &mut self,
            id: &str,
            jobs: &dyn JobQueue,
            now: Timestamp,
        ) -> anyhow::Result<()> {
            let (Some(queues), Some(event)) = (&self.queues, self.find(id)) else {
                bail!("no dead-lettered message {id}");
            };
            let subjects: Vec<VerificationId> = match queues.subjects(event).await {
                Ok(s) => s,
                Err(StoreError::NotFound) => bail!(
                    "the stream no longer holds this batch (DynamoDB Streams keep records \
                     24 h); the verifications' queued screening jobs still run; left in the queue"
                ),
                Err(e) => return Err(e.into()),
            };
            let new_jobs: Vec<_> = match &event.source {
                DeadEventSource::Uploads { .. } => {
                    subjects.iter().map(|v| ocr_job(v, now)).collect()
                }
                // deduplicated among retries: the lists version is the worker's to know
                DeadEventSource::StreamBatch { .. } => {
                    subjects.iter().map(|v| screen_job(v, "dlq-retry", now)).collect()
                }
                DeadEventSource::Unknown => {
                    bail!("not a message of this deployment's functions; left in the queue")
                }
            };
            if new_jobs.is_empty() {
                bail!("the batch's records name no verification; left in the queue");
            }
            for j in &new_jobs {
                jobs.enqueue(j).await?;
            }
            queues.delete(event).await?;
            // deleted: not one to release
            self.held.retain(|e| e.message_id != id);
            Ok(())
        }
    }
}

#[cfg(not(feature = "aws"))]
mod without_aws {
    use crate::{ServerConfig, backend::JobQueue};
    use kyc_core::Timestamp;

    /// No queues: a build without AWS has no Lambda functions.
    pub(in crate::cli) struct DeadEvents;

    impl DeadEvents {
        pub(in crate::cli) async fn open(_: &ServerConfig) -> anyhow::Result<Self> {
            Ok(Self)
        }
        pub(in crate::cli) async fn receive(&mut self) -> anyhow::Result<()> {
            Ok(())
        }
        pub(in crate::cli) async fn release(&self) -> anyhow::Result<()> {
            Ok(())
        }
        pub(in crate::cli) fn holds(&self, _: &str) -> bool {
            false
        }
        pub(in crate::cli) fn ids(&self) -> Vec<String> {
            Vec::new()
        }
        pub(in crate::cli) fn json(&self) -> anyhow::Result<serde_json::Value> {
            Ok(serde_json::json!([]))
        }
        pub(in crate::cli) fn lines(&self) -> Vec<String> {
            Vec::new()
        }
        pub(in crate::cli) async fn retry(
            &mut self,
            id: &str,
            _: &dyn JobQueue,
            _: Timestamp,
        ) -> anyhow::Result<()> {
            anyhow::bail!("no dead-lettered message {id}")
        }
    }
}
