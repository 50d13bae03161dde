//! Verification records on DynamoDB (`KycVerifications`, `pk`/`sk`), with
//! the outbox into [`DynamoJobQueue`](super::DynamoJobQueue)'s table.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | the record | `v#{id}` | `verification` (record, `version`, `expiresAt` s for TTL a week after expiry, `expiresAtMs`, `expiryShard`) |
//! | an idempotency claim | `i#{owner key}#{header}` | `claim` (`verificationId`, `requestHash`) |
//! | the claim's back-reference | `v#{id}` | `claim#{owner key}#{header}` |
//!
//! A create writes the record, the claim and its back-reference in one
//! transaction (each create-only); an update is a put conditional on the
//! stored version; `update_with_jobs` adds the jobs (and their dedupe
//! claims) to that transaction, so a new version is never stored without
//! its jobs or the jobs without it. DynamoDB transactions span tables, so
//! the jobs land in the job queue's own table.
//!
//! The retention sweep finds expired records through the `byExpiry` index
//! (`expiryShard` + `expiresAtMs`, keys only): a query of what is due, not a
//! scan of every record. One shard: an index partition takes ~1000 writes a
//! second, far above the rate verifications are created.

use super::{
    CREATE, Item, Table,
    jobs::{enqueue_items, new_job_id},
    json, key, n, put_tx, record, s, text,
};
use crate::error::store_error;
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::{
    operation::transact_write_items::TransactWriteItemsError,
    types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem},
};
use kyc_backend::{
    CreateOutcome, IdempotencyClaim, NewJob, StoreError, Verification, VerificationStore,
};
use kyc_core::{Timestamp, VerificationId};

/// [`VerificationStore`] on DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoVerificationStore {
    t: Table,
    jobs_table: String,
}

fn pk(id: &VerificationId) -> String {
    format!("v#{id}")
}

fn claim_pk(c: &IdempotencyClaim) -> String {
    format!("i#{}#{}", c.owner_key_id, c.key)
}

/// Why a transaction was cancelled, item by item (`None` = not that item).
fn cancelled(
    e: &aws_sdk_dynamodb::error::SdkError<
        TransactWriteItemsError,
        aws_sdk_dynamodb::config::http::HttpResponse,
    >,
) -> Option<Vec<(bool, bool)>> {
    match e.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(c) => Some(
            c.cancellation_reasons()
                .iter()
                .map(|r| {
                    let failed = r.code() == Some("ConditionalCheckFailed");
                    let existed = r.item().is_some_and(|i| !i.is_empty());
                    (failed, existed)
                })
                .collect(),
        ),
        _ => None,
    }
}

/// How long after its expiry DynamoDB's TTL may delete a record: a week,
/// so the retention sweep, which erases the objects and the wrapped data key
/// before the record, always goes first; TTL only backs it up (a record it
/// deleted would no longer be listed by `byExpiry`, its objects left to the
/// bucket's lifecycle rules).
const TTL_GRACE_SECS: i64 = 7 * 86_400;

/// The index of records by expiry.
pub(crate) const BY_EXPIRY: &str = "byExpiry";
/// Its partition attribute, and the one value it has.
pub(crate) const EXPIRY_SHARD: &str = "expiryShard";
const EXPIRY_SHARD_VALUE: &str = "e";

impl DynamoVerificationStore {
    /// The store in `table`; `update_with_jobs` enqueues into `jobs_table`
    /// (the [`DynamoJobQueue`](super::DynamoJobQueue)'s).
    pub fn new(sdk: &SdkConfig, table: impl Into<String>, jobs_table: impl Into<String>) -> Self {
        Self { t: Table::new(sdk, table), jobs_table: jobs_table.into() }
    }

    fn record_item(v: &Verification) -> Result<Item, StoreError> {
        let mut item = key(&pk(&v.id), "verification");
        item.insert("record".into(), json(v)?);
        item.insert("version".into(), n(v.version));
        let ttl = v.expires_at.unix_millis().div_euclid(1000).saturating_add(TTL_GRACE_SECS);
        item.insert("expiresAt".into(), n(ttl));
        item.insert("expiresAtMs".into(), n(v.expires_at.unix_millis()));
        item.insert(EXPIRY_SHARD.into(), s(EXPIRY_SHARD_VALUE));
        Ok(item)
    }
}

#[async_trait]
impl VerificationStore for DynamoVerificationStore {
    async fn create(
        &self,
        v: &Verification,
        idempotency: Option<&IdempotencyClaim>,
    ) -> Result<CreateOutcome, StoreError> {
        let mut items = vec![put_tx(&self.t.name, Self::record_item(v)?, Some(CREATE))?];
        if let Some(c) = idempotency {
            let mut claim = key(&claim_pk(c), "claim");
            claim.insert("verificationId".into(), s(v.id.to_string()));
            claim.insert("requestHash".into(), s(c.request_hash.clone()));
            items.push(put_tx(&self.t.name, claim, Some(CREATE))?);
            let mut back = key(&pk(&v.id), &format!("claim#{}#{}", c.owner_key_id, c.key));
            back.insert("claim".into(), s(claim_pk(c)));
            items.push(put_tx(&self.t.name, back, None)?);
        }
        let r = self.t.db.transact_write_items().set_transact_items(Some(items)).send().await;
        let Err(e) = r else { return Ok(CreateOutcome::Created) };
        let Some(c) = idempotency.filter(|_| cancelled(&e).is_some()) else {
            return Err(store_error(e));
        };
        let Some(claim) = self.t.get(&claim_pk(c), "claim").await? else {
            return Err(StoreError::Conflict); // the id was taken
        };
        let first: VerificationId = text(&claim, "verificationId")
            .and_then(|id| id.parse().ok())
            .ok_or(StoreError::Corrupt("bad idempotency claim"))?;
        let verification = Box::new(self.get(&first).await?);
        let same_request = text(&claim, "requestHash") == Some(c.request_hash.as_str());
        Ok(CreateOutcome::Existing { verification, same_request })
    }

    async fn get(&self, id: &VerificationId) -> Result<Verification, StoreError> {
        let item = self.t.get(&pk(id), "verification").await?.ok_or(StoreError::NotFound)?;
        record(&item)
    }

    async fn update(&self, v: &Verification) -> Result<Verification, StoreError> {
        let mut next = v.clone();
        next.version = v.version + 1;
        self.t.put_if_version(Self::record_item(&next)?, v.version).await?;
        Ok(next)
    }

    async fn update_with_jobs(
        &self,
        v: &Verification,
        jobs: &[NewJob],
    ) -> Result<Verification, StoreError> {
        let mut next = v.clone();
        next.version = v.version + 1;
        let mut pending: Vec<&NewJob> = jobs.iter().collect();
        // a job whose dedupe key is already pending is not enqueued twice
        // (the queue's own rule): drop it and try again
        for _ in 0..=jobs.len() {
            let record = Self::record_item(&next)?;
            let mut items = vec![{
                let p = Put::builder()
                    .table_name(&self.t.name)
                    .set_item(Some(record))
                    .condition_expression("version = :v")
                    .expression_attribute_values(":v", n(v.version))
                    .return_values_on_condition_check_failure(
                        ReturnValuesOnConditionCheckFailure::AllOld,
                    )
                    .build()
                    .map_err(StoreError::backend)?;
                TransactWriteItem::builder().put(p).build()
            }];
            let mut owners = vec![None]; // which job each item belongs to
            for (i, job) in pending.iter().enumerate() {
                for item in enqueue_items(&self.jobs_table, &new_job_id(), job)? {
                    items.push(item);
                    owners.push(Some(i));
                }
            }
            let r = self.t.db.transact_write_items().set_transact_items(Some(items)).send().await;
            let Err(e) = r else { return Ok(next) };
            let Some(reasons) = cancelled(&e) else { return Err(store_error(e)) };
            match reasons.first() {
                Some((true, true)) => return Err(StoreError::Conflict),
                Some((true, false)) => return Err(StoreError::NotFound),
                _ => {}
            }
            let duplicate: Vec<usize> = reasons
                .iter()
                .zip(&owners)
                .filter_map(|((failed, _), owner)| owner.filter(|_| *failed))
                .collect();
            if duplicate.is_empty() {
                return Err(store_error(e)); // cancelled for another reason (a concurrent transaction)
            }
            pending = pending
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !duplicate.contains(i))
                .map(|(_, j)| j)
                .collect();
        }
        Err(StoreError::Conflict)
    }

    async fn delete(&self, id: &VerificationId) -> Result<(), StoreError> {
        for item in self.t.query(&pk(id), None, true, None).await? {
            let Some(sk) = text(&item, "sk") else { continue };
            if let Some(claim) = text(&item, "claim") {
                self.t.delete(claim, "claim").await?;
            }
            self.t.delete(&pk(id), sk).await?;
        }
        Ok(())
    }

    async fn list_expired(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<VerificationId>, StoreError> {
        // the index is eventually consistent: a record expired a moment
        // ago may come on the next sweep; erasure re-reads the record anyway
        let q = self.t.due(
            BY_EXPIRY,
            (EXPIRY_SHARD, EXPIRY_SHARD_VALUE),
            "expiresAtMs",
            now.unix_millis(),
        );
        let due = super::query_items(q, Some(limit)).await?;
        Ok(due.iter().filter_map(|i| text(i, "pk")?.strip_prefix("v#")?.parse().ok()).collect())
    }
}
