//! The job queue on DynamoDB (`KycJobs`, `pk`/`sk`).
//!
//! A job is `pk = j#{id}`, `sk = job` with its fields as attributes
//! (`state` pending or dead, `runAt`, `attempts`, `leaseToken`,
//! `leaseUntil` in ms); a pending dedupe key is `pk = d#{key}`, `sk =
//! dedupe` naming its job, written in the job's transaction with
//! `attribute_not_exists`, so two enqueues of one key make one job. A lease
//! is a conditional update (`leaseUntil <= now`): two workers racing for a
//! job get one winner. Completing, retrying and dead-lettering are
//! conditional on the lease token, so a worker whose lease expired (and
//! whose job another worker now holds) cannot finish it — the fencing SQS
//! does not have. Due jobs are found through the sparse `byDue` index
//! (`dueShard` + `runAt`; only pending jobs carry `dueShard`), filtered on
//! `leaseUntil`: a query of what is due, not a scan. The index is eventually
//! consistent, and the conditional lease is what decides. The operator's
//! listings (`dead_letters`, `stats`) scan: the table holds only pending and
//! dead jobs (completed ones are deleted).

use super::{CREATE, Item, Table, key, n, num, put_tx, s, text};
use crate::error::store_error;
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{Delete, ReturnValue, TransactWriteItem, Update};
use kyc_backend::{DeadJob, Job, JobQueue, JobStats, NewJob, StoreError};
use kyc_core::Timestamp;

const PENDING: &str = "pending";
const DEAD: &str = "dead";
/// The index of pending jobs by due time.
pub(crate) const BY_DUE: &str = "byDue";
/// Its partition attribute (on pending jobs only), and the one value it has.
pub(crate) const DUE_SHARD: &str = "dueShard";
const DUE_SHARD_VALUE: &str = "p";

/// [`JobQueue`] on DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoJobQueue {
    t: Table,
}

/// The transaction items that enqueue `job` under `id`: the job, and its
/// dedupe claim when it has a key. Shared with the verification store's
/// outbox so both write jobs the same way.
pub(crate) fn enqueue_items(
    table: &str,
    id: &str,
    job: &NewJob,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let mut item = key(&format!("j#{id}"), "job");
    item.insert("kind".into(), s(job.kind.clone()));
    item.insert(
        "payload".into(),
        s(serde_json::to_string(&job.payload).map_err(StoreError::backend)?),
    );
    item.insert("runAt".into(), n(job.run_at.unix_millis()));
    item.insert("attempts".into(), n(0));
    item.insert("maxAttempts".into(), n(job.max_attempts));
    item.insert("leaseToken".into(), s(""));
    item.insert("leaseUntil".into(), n(0));
    item.insert("state".into(), s(PENDING));
    item.insert(DUE_SHARD.into(), s(DUE_SHARD_VALUE));
    if let Some(k) = &job.dedupe_key {
        item.insert("dedupeKey".into(), s(k.clone()));
    }
    let mut items = vec![put_tx(table, item, Some(CREATE))?];
    if let Some(k) = &job.dedupe_key {
        let mut claim = key(&format!("d#{k}"), "dedupe");
        claim.insert("jobId".into(), s(id));
        items.push(put_tx(table, claim, Some(CREATE))?);
    }
    Ok(items)
}

/// A new job id or lease token (128 random bits).
pub(crate) fn new_job_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn job_of(item: &Item) -> Result<Job, StoreError> {
    let bad = || StoreError::Corrupt("bad job item");
    let id = text(item, "pk").and_then(|p| p.strip_prefix("j#")).ok_or_else(bad)?;
    Ok(Job {
        id: id.to_owned(),
        kind: text(item, "kind").ok_or_else(bad)?.to_owned(),
        dedupe_key: text(item, "dedupeKey").map(str::to_owned),
        payload: serde_json::from_str(text(item, "payload").ok_or_else(bad)?).map_err(|_| bad())?,
        attempts: num(item, "attempts").and_then(|a| u32::try_from(a).ok()).ok_or_else(bad)?,
        max_attempts: num(item, "maxAttempts")
            .and_then(|a| u32::try_from(a).ok())
            .ok_or_else(bad)?,
        lease_token: text(item, "leaseToken").unwrap_or_default().to_owned(),
        last_error: text(item, "lastError").map(str::to_owned),
    })
}

impl DynamoJobQueue {
    /// The queue in `table`.
    pub fn new(sdk: &SdkConfig, table: impl Into<String>) -> Self {
        Self { t: Table::new(sdk, table) }
    }

    /// The update of a leased job, on condition its lease is `job`'s.
    fn fenced(&self, job: &Job, expr: &str) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
        Update::builder()
            .table_name(&self.t.name)
            .set_key(Some(key(&format!("j#{}", job.id), "job")))
            .update_expression(expr)
            .condition_expression("leaseToken = :tok AND #st = :pending")
            .expression_attribute_names("#st", "state")
            .expression_attribute_values(":tok", s(job.lease_token.clone()))
            .expression_attribute_values(":pending", s(PENDING))
    }

    /// Frees a job's dedupe key if the key still names it.
    fn release(&self, job: &Job) -> Result<Option<TransactWriteItem>, StoreError> {
        let Some(k) = &job.dedupe_key else { return Ok(None) };
        let d = Delete::builder()
            .table_name(&self.t.name)
            .set_key(Some(key(&format!("d#{k}"), "dedupe")))
            .condition_expression("attribute_not_exists(pk) OR jobId = :id")
            .expression_attribute_values(":id", s(job.id.clone()))
            .build()
            .map_err(StoreError::backend)?;
        Ok(Some(TransactWriteItem::builder().delete(d).build()))
    }
}

#[async_trait]
impl JobQueue for DynamoJobQueue {
    async fn enqueue(&self, job: &NewJob) -> Result<String, StoreError> {
        for _ in 0..8 {
            let id = new_job_id();
            match self.t.transact(enqueue_items(&self.t.name, &id, job)?).await {
                Ok(()) => return Ok(id),
                Err(StoreError::Conflict) => {
                    if let Some(k) = &job.dedupe_key
                        && let Some(claim) = self.t.get(&format!("d#{k}"), "dedupe").await?
                        && let Some(existing) = text(&claim, "jobId")
                    {
                        return Ok(existing.to_owned());
                    }
                    // the claim went away in between (its job finished): try again
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unavailable { retryable: true, source: None })
    }

    async fn lease(
        &self,
        now: Timestamp,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        let now_ms = now.unix_millis();
        let q = self
            .t
            .due(BY_DUE, (DUE_SHARD, DUE_SHARD_VALUE), "runAt", now_ms)
            .filter_expression("leaseUntil <= :upto");
        // a few more than asked: another worker may take some first
        let due = super::query_items(q, Some(limit.saturating_mul(2).max(1))).await?;
        let mut out = Vec::new();
        for item in due {
            if out.len() >= limit {
                break;
            }
            let Some(pk) = text(&item, "pk") else { continue };
            let r = self
                .t
                .db
                .update_item()
                .table_name(&self.t.name)
                .set_key(Some(key(pk, "job")))
                .update_expression(
                    "SET attempts = attempts + :one, leaseToken = :tok, leaseUntil = :until",
                )
                .condition_expression("#st = :pending AND leaseUntil <= :now AND runAt <= :now")
                .expression_attribute_names("#st", "state")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":tok", s(new_job_id()))
                .expression_attribute_values(":until", n(now_ms.saturating_add(lease_ms)))
                .expression_attribute_values(":now", n(now_ms))
                .expression_attribute_values(":pending", s(PENDING))
                .return_values(ReturnValue::AllNew)
                .send()
                .await
                .map_err(store_error);
            match r {
                Ok(o) => {
                    if let Some(a) = o.attributes() {
                        out.push(job_of(a)?);
                    }
                }
                Err(StoreError::Conflict) => {} // another worker took it
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn complete(&self, job: &Job) -> Result<(), StoreError> {
        let d = Delete::builder()
            .table_name(&self.t.name)
            .set_key(Some(key(&format!("j#{}", job.id), "job")))
            .condition_expression("leaseToken = :tok AND #st = :pending")
            .expression_attribute_names("#st", "state")
            .expression_attribute_values(":tok", s(job.lease_token.clone()))
            .expression_attribute_values(":pending", s(PENDING))
            .build()
            .map_err(StoreError::backend)?;
        let mut items = vec![TransactWriteItem::builder().delete(d).build()];
        items.extend(self.release(job)?);
        self.t.transact(items).await
    }

    async fn retry_later(
        &self,
        job: &Job,
        error: &str,
        run_at: Timestamp,
    ) -> Result<(), StoreError> {
        let u = self
            .fenced(job, "SET runAt = :r, leaseUntil = :zero, leaseToken = :none, lastError = :e")
            .expression_attribute_values(":r", n(run_at.unix_millis()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":none", s(""))
            .expression_attribute_values(":e", s(error))
            .build()
            .map_err(StoreError::backend)?;
        self.t.transact(vec![TransactWriteItem::builder().update(u).build()]).await
    }

    async fn dead_letter(&self, job: &Job, error: &str, now: Timestamp) -> Result<(), StoreError> {
        let u = self
            .fenced(
                job,
                "SET #st = :dead, failedAt = :now, leaseUntil = :zero, leaseToken = :none, lastError = :e REMOVE dueShard",
            )
            .expression_attribute_values(":dead", s(DEAD))
            .expression_attribute_values(":now", n(now.unix_millis()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":none", s(""))
            .expression_attribute_values(":e", s(error))
            .build()
            .map_err(StoreError::backend)?;
        let mut items = vec![TransactWriteItem::builder().update(u).build()];
        items.extend(self.release(job)?);
        self.t.transact(items).await
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadJob>, StoreError> {
        let mut dead: Vec<Item> = self
            .t
            .scan_kind("job")
            .await?
            .into_iter()
            .filter(|i| text(i, "state") == Some(DEAD))
            .collect();
        dead.sort_by_key(|i| (num(i, "failedAt"), text(i, "pk").map(str::to_owned)));
        dead.iter()
            .take(limit)
            .map(|i| {
                let j = job_of(i)?;
                Ok(DeadJob {
                    id: j.id,
                    kind: j.kind,
                    dedupe_key: j.dedupe_key,
                    payload: j.payload,
                    attempts: j.attempts,
                    max_attempts: j.max_attempts,
                    last_error: j.last_error.unwrap_or_default(),
                    failed_at: Timestamp::from_unix_millis(num(i, "failedAt").unwrap_or(0)),
                })
            })
            .collect()
    }

    async fn requeue_dead(&self, id: &str, now: Timestamp) -> Result<(), StoreError> {
        // the dedupe key is not claimed again: a requeued job runs even if a
        // newer job with its key is pending (the operator asked for it)
        let r = self
            .t
            .db
            .update_item()
            .table_name(&self.t.name)
            .set_key(Some(key(&format!("j#{id}"), "job")))
            .update_expression("SET #st = :pending, runAt = :now, attempts = :zero, leaseUntil = :zero, leaseToken = :none, dueShard = :shard")
            .condition_expression("#st = :dead")
            .expression_attribute_names("#st", "state")
            .expression_attribute_values(":pending", s(PENDING))
            .expression_attribute_values(":dead", s(DEAD))
            .expression_attribute_values(":now", n(now.unix_millis()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":none", s(""))
            .expression_attribute_values(":shard", s(DUE_SHARD_VALUE))
            .send()
            .await
            .map_err(store_error);
        match r {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict) => Err(StoreError::NotFound),
            Err(e) => Err(e),
        }
    }

    async fn stats(&self) -> Result<JobStats, StoreError> {
        let jobs = self.t.scan_kind("job").await?;
        let count =
            |state: &str| jobs.iter().filter(|i| text(i, "state") == Some(state)).count() as u64;
        Ok(JobStats { pending: count(PENDING), dead: count(DEAD) })
    }
}
