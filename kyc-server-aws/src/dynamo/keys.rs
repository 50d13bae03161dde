//! API keys and their daily usage on DynamoDB (`KycKeys`, `pk`/`sk`).
//!
//! A key is `pk = k#{id}`, `sk = key` (the record as JSON; only the secret's
//! hash is ever stored); its usage on a day is `pk = k#{id}`, `sk = u#{day}`
//! with an atomic `ADD` counter.

use super::{Table, json, key, n, num, record, s};
use crate::error::store_error;
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::ReturnValue;
use kyc_backend::{ApiKeyRecord, KeyStore, StoreError};
use kyc_core::Timestamp;

/// [`KeyStore`] on DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoKeyStore {
    t: Table,
}

impl DynamoKeyStore {
    /// The store in `table`.
    pub fn new(sdk: &SdkConfig, table: impl Into<String>) -> Self {
        Self { t: Table::new(sdk, table) }
    }
}

fn pk(id: &str) -> String {
    format!("k#{id}")
}

#[async_trait]
impl KeyStore for DynamoKeyStore {
    async fn insert(&self, k: &ApiKeyRecord) -> Result<(), StoreError> {
        let mut item = key(&pk(&k.id), "key");
        item.insert("record".into(), json(k)?);
        self.t
            .db
            .put_item()
            .table_name(&self.t.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<ApiKeyRecord, StoreError> {
        let item = self.t.get(&pk(id), "key").await?.ok_or(StoreError::NotFound)?;
        record(&item)
    }

    async fn list(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let mut keys: Vec<ApiKeyRecord> =
            self.t.scan_kind("key").await?.iter().map(record).collect::<Result<_, _>>()?;
        keys.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        Ok(keys)
    }

    async fn revoke(&self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        // read, set once, write back on condition nothing changed in between
        loop {
            let item = self.t.get(&pk(id), "key").await?.ok_or(StoreError::NotFound)?;
            let mut k: ApiKeyRecord = record(&item)?;
            if k.revoked_at.is_some() {
                return Ok(());
            }
            k.revoked_at = Some(at);
            let mut next = key(&pk(id), "key");
            next.insert("record".into(), json(&k)?);
            let r = self
                .t
                .db
                .put_item()
                .table_name(&self.t.name)
                .set_item(Some(next))
                .condition_expression("#r = :old")
                .expression_attribute_names("#r", "record")
                .expression_attribute_values(
                    ":old",
                    item.get("record").cloned().unwrap_or_else(|| s("")),
                )
                .send()
                .await
                .map_err(store_error);
            match r {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    async fn add_usage(&self, key_id: &str, day: i64, count: u64) -> Result<u64, StoreError> {
        let out = self
            .t
            .db
            .update_item()
            .table_name(&self.t.name)
            .set_key(Some(key(&pk(key_id), &format!("u#{day}"))))
            .update_expression("ADD #c :n")
            .expression_attribute_names("#c", "count")
            .expression_attribute_values(":n", n(count))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(store_error)?;
        let total = out.attributes().and_then(|a| num(a, "count")).unwrap_or(0);
        Ok(u64::try_from(total).unwrap_or(0))
    }
}
