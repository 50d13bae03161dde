//! Stores on DynamoDB: the audit log, document readings, API keys, liveness
//! sessions and the job queue. Every read that decides something is a
//! consistent read, and no store needs a global secondary index for its
//! contract except the audit log's per-verification listing.

mod audit;
mod jobs;
mod keys;
mod liveness;
mod ocr;
mod verifications;

pub use audit::DynamoAuditLog;
pub use jobs::DynamoJobQueue;
pub(crate) use jobs::{BY_DUE, DUE_SHARD};
pub use keys::DynamoKeyStore;
pub use liveness::DynamoLivenessStore;
pub use ocr::DynamoOcrDataStore;
pub use verifications::DynamoVerificationStore;
pub(crate) use verifications::{BY_EXPIRY, EXPIRY_SHARD};

use crate::error::store_error;
use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem},
};
use kyc_backend::StoreError;
use serde::{Serialize, de::DeserializeOwned};
use std::collections::HashMap;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// The condition of a create-only write.
pub(crate) const CREATE: &str = "attribute_not_exists(pk)";

/// A string attribute.
pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A number attribute.
pub(crate) fn n(v: impl Into<i128>) -> AttributeValue {
    AttributeValue::N(v.into().to_string())
}

/// A record as the item's `record` attribute (JSON).
pub(crate) fn json(v: &impl Serialize) -> Result<AttributeValue, StoreError> {
    Ok(s(serde_json::to_string(v).map_err(StoreError::backend)?))
}

/// The item's `record` attribute, decoded.
pub(crate) fn record<T: DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    match item.get("record") {
        Some(AttributeValue::S(v)) => {
            serde_json::from_str(v).map_err(|_| StoreError::Corrupt("bad record in item"))
        }
        _ => Err(StoreError::Corrupt("item without a record")),
    }
}

/// A number attribute read back.
pub(crate) fn num(item: &Item, name: &str) -> Option<i64> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().ok(),
        _ => None,
    }
}

/// A string attribute read back.
pub(crate) fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}

/// Runs `q` page by page (each page from where the last ended) until the
/// partition is read or `limit` items are in.
pub(crate) async fn query_items(
    q: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    limit: Option<usize>,
) -> Result<Vec<Item>, StoreError> {
    let mut out = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let mut page = q.clone().set_exclusive_start_key(start.take());
        if let Some(l) = limit {
            page = page.limit(
                i32::try_from(l.saturating_sub(out.len())).unwrap_or(i32::MAX).clamp(1, 1000),
            );
        }
        let page = page.send().await.map_err(store_error)?;
        out.extend(page.items().iter().cloned());
        if let Some(l) = limit
            && out.len() >= l
        {
            out.truncate(l);
            return Ok(out);
        }
        match page.last_evaluated_key() {
            Some(k) if !k.is_empty() => start = Some(k.clone()),
            _ => return Ok(out),
        }
    }
}

/// A `Put` for a transaction, create-only when `condition` says so.
pub(crate) fn put_tx(
    table: &str,
    item: Item,
    condition: Option<&str>,
) -> Result<TransactWriteItem, StoreError> {
    let mut p = Put::builder().table_name(table).set_item(Some(item));
    if let Some(c) = condition {
        p = p
            .condition_expression(c)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    }
    Ok(TransactWriteItem::builder().put(p.build().map_err(StoreError::backend)?).build())
}

/// A table keyed by `pk` (S) and `sk` (S).
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) db: Client,
    pub(crate) name: String,
}

pub(crate) fn key(pk: &str, sk: &str) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

impl Table {
    pub(crate) fn new(sdk: &aws_config::SdkConfig, name: impl Into<String>) -> Self {
        Self { db: Client::new(sdk), name: name.into() }
    }

    /// One item, read consistently.
    pub(crate) async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        Ok(out.item().cloned())
    }

    /// Every item of a partition (consistent), optionally only sort keys
    /// starting with `prefix`, in sort-key order (`forward`) or reversed,
    /// at most `limit`.
    pub(crate) async fn query(
        &self,
        pk: &str,
        prefix: Option<&str>,
        forward: bool,
        limit: Option<usize>,
    ) -> Result<Vec<Item>, StoreError> {
        let q = self
            .db
            .query()
            .table_name(&self.name)
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true)
            .scan_index_forward(forward);
        let q = match prefix {
            Some(p) => q
                .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
                .expression_attribute_values(":p", s(p)),
            None => q.key_condition_expression("pk = :pk"),
        };
        query_items(q, limit).await
    }

    /// The query of sparse index `index`: the items of partition `shard`
    /// (attribute, value) whose number `sort` is at most `upto` (`:upto`),
    /// in `sort` order. Index reads are eventually consistent.
    pub(crate) fn due(
        &self,
        index: &str,
        shard: (&str, &str),
        sort: &str,
        upto: i64,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.db
            .query()
            .table_name(&self.name)
            .index_name(index)
            .key_condition_expression("#shard = :shard AND #sort <= :upto")
            .expression_attribute_names("#shard", shard.0)
            .expression_attribute_names("#sort", sort)
            .expression_attribute_values(":shard", s(shard.1))
            .expression_attribute_values(":upto", n(upto))
            .scan_index_forward(true)
    }

    /// Every item whose `sk` is `sk` (a consistent scan: the key list and
    /// the job queue are small tables).
    pub(crate) async fn scan_kind(&self, sk: &str) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .db
                .scan()
                .table_name(&self.name)
                .filter_expression("sk = :sk")
                .expression_attribute_values(":sk", s(sk))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            out.extend(page.items().iter().cloned());
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(out),
            }
        }
    }

    /// Writes `items` in one transaction.
    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        self.db
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// Deletes one item (idempotent).
    pub(crate) async fn delete(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        self.db
            .delete_item()
            .table_name(&self.name)
            .set_key(Some(key(pk, sk)))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// Replaces the item whose stored `version` is `version` with `item`;
    /// `Conflict` when the version moved on, `NotFound` when there is none.
    pub(crate) async fn put_if_version(&self, item: Item, version: u64) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
        let r = self
            .db
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) => {
                let missing = e
                    .as_service_error()
                    .and_then(|se| match se {
                        aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => {
                            Some(c.item().is_none_or(HashMap::is_empty))
                        }
                        _ => None,
                    });
                match missing {
                    Some(true) => Err(StoreError::NotFound),
                    Some(false) => Err(StoreError::Conflict),
                    None => Err(store_error(e)),
                }
            }
        }
    }
}
