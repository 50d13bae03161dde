//! The audit log on DynamoDB (`KycAuditLog`).
//!
//! Table: partition key `pk` (always `log`: one chain, one order),
//! sort key `seq` (N); each item holds the record's JSON (`record`, the bytes
//! its hash covers) and, when it has one, `verificationId`, the partition key
//! of the global secondary index `byVerification` (sort key `seq`). An append
//! reads the head with a consistent read, chains the event onto it and puts
//! `seq = head + 1` on condition that no item has that `seq`: two writers
//! racing for the same place get one winner, the loser re-reads the head and
//! tries again, so the chain is serialised and never forks.
//!

use super::{Item, query_items};
use crate::error::store_error;
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::{Client, types::AttributeValue};
use kyc_backend::{AuditLog, StoreError};
use kyc_core::{
    VerificationId,
    audit::{AuditEvent, AuditRecord, ChainKey, chain},
};
use std::time::Duration;

const LOG: &str = "log";
/// Appends give up after this many lost races (each retry waits a little longer).
const APPEND_ATTEMPTS: u32 = 64;

fn record_of(item: &Item) -> Result<AuditRecord, StoreError> {
    super::record(item)
}

/// [`AuditLog`] on DynamoDB (`KycAuditLog`).
#[derive(Debug, Clone)]
pub struct DynamoAuditLog {
    db: Client,
    table: String,
    key: ChainKey,
}

impl DynamoAuditLog {
    /// The log in `table`, chained under `key`.
    pub fn new(sdk: &SdkConfig, table: impl Into<String>, key: ChainKey) -> Self {
        Self { db: Client::new(sdk), table: table.into(), key }
    }

    /// Records of the chain with `seq > after`, in order, at most `limit`.
    async fn page(&self, after: u64, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let q = self
            .db
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :log AND seq > :after")
            .expression_attribute_values(":log", AttributeValue::S(LOG.into()))
            .expression_attribute_values(":after", AttributeValue::N(after.to_string()))
            .consistent_read(true);
        query_items(q, Some(limit)).await?.iter().map(record_of).collect()
    }
}

#[async_trait]
impl AuditLog for DynamoAuditLog {
    async fn append(&self, event: AuditEvent) -> Result<AuditRecord, StoreError> {
        for attempt in 0..APPEND_ATTEMPTS {
            let head = self.head().await?;
            let record = chain(&self.key, head.as_ref(), event.clone());
            let json = serde_json::to_string(&record).map_err(StoreError::backend)?;
            let mut put = self
                .db
                .put_item()
                .table_name(&self.table)
                .item("pk", AttributeValue::S(LOG.into()))
                .item("seq", AttributeValue::N(record.seq.to_string()))
                .item("record", AttributeValue::S(json))
                .condition_expression("attribute_not_exists(seq)");
            if let Some(id) = &record.event.verification_id {
                put = put.item("verificationId", AttributeValue::S(id.to_string()));
            }
            match put.send().await.map_err(store_error) {
                Ok(_) => return Ok(record),
                Err(StoreError::Conflict) => {
                    // another writer took this place: re-read the head, after a short, growing, jittered pause
                    let ms = u64::from(attempt.min(10)) * 2 + rand::random_range(0..4u64);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unavailable { retryable: true, source: None })
    }

    async fn for_verification(&self, id: &VerificationId) -> Result<Vec<AuditRecord>, StoreError> {
        let q = self
            .db
            .query()
            .table_name(&self.table)
            .index_name("byVerification")
            .key_condition_expression("verificationId = :id")
            .expression_attribute_values(":id", AttributeValue::S(id.to_string()));
        let mut out: Vec<AuditRecord> =
            query_items(q, None).await?.iter().map(record_of).collect::<Result<_, _>>()?;
        out.sort_by_key(|r| r.seq);
        Ok(out)
    }

    async fn head(&self) -> Result<Option<AuditRecord>, StoreError> {
        let page = self
            .db
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :log")
            .expression_attribute_values(":log", AttributeValue::S(LOG.into()))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(1)
            .send()
            .await
            .map_err(store_error)?;
        page.items().first().map(record_of).transpose()
    }

    async fn scan(&self, after: u64, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        self.page(after, limit).await
    }
}
