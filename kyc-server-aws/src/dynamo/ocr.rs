//! Document readings on DynamoDB (`KycOcrData`).
//!
//! Partition key `verificationId`; `expiresAt` (epoch seconds, the table's
//! TTL attribute), `readAt`, `engine`, `documentSha256` in the clear for
//! operators and the stream consumer's routing, and the reading itself
//! sealed (`sealed`, AES-256-GCM under the store's data key, bound to the
//! verification id): names, birth dates and document numbers are never
//! plaintext in the table, its backups or its stream.

use crate::error::store_error;
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::{Client, primitives::Blob, types::AttributeValue};
use kyc_backend::{OcrDataStore, OcrRecord, StoreError, crypto::DataKey};
use kyc_core::VerificationId;

/// [`OcrDataStore`] on DynamoDB (`KycOcrData`).
#[derive(Debug)]
pub struct DynamoOcrDataStore {
    db: Client,
    table: String,
    key: DataKey,
}

impl DynamoOcrDataStore {
    /// The store in `table`, readings sealed under `key`.
    pub fn new(sdk: &SdkConfig, table: impl Into<String>, key: DataKey) -> Self {
        Self { db: Client::new(sdk), table: table.into(), key }
    }
}

#[async_trait]
impl OcrDataStore for DynamoOcrDataStore {
    async fn put(&self, r: &OcrRecord) -> Result<(), StoreError> {
        let id = r.verification_id.to_string();
        let json = serde_json::to_vec(r).map_err(StoreError::backend)?;
        let sealed = self.key.seal(&json, id.as_bytes());
        self.db
            .put_item()
            .table_name(&self.table)
            .item("verificationId", AttributeValue::S(id))
            .item(
                "expiresAt",
                AttributeValue::N(r.expires_at.unix_millis().div_euclid(1000).to_string()),
            )
            .item("readAt", AttributeValue::N(r.read_at.unix_millis().to_string()))
            .item("engine", AttributeValue::S(r.engine.clone()))
            .item("documentSha256", AttributeValue::S(r.document_sha256.clone()))
            .item("sealed", AttributeValue::B(Blob::new(sealed)))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn get(&self, id: &VerificationId) -> Result<Option<OcrRecord>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .key("verificationId", AttributeValue::S(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        let Some(item) = out.item() else { return Ok(None) };
        let Some(AttributeValue::B(sealed)) = item.get("sealed") else {
            return Err(StoreError::Corrupt("reading is missing"));
        };
        let json = self
            .key
            .open(sealed.as_ref(), id.to_string().as_bytes())
            .map_err(|_| StoreError::Corrupt("authentication failed"))?;
        let record: OcrRecord =
            serde_json::from_slice(&json).map_err(|_| StoreError::Corrupt("bad reading"))?;
        if record.verification_id != *id {
            return Err(StoreError::Corrupt("reading of another verification"));
        }
        Ok(Some(record))
    }

    async fn delete(&self, id: &VerificationId) -> Result<(), StoreError> {
        self.db
            .delete_item()
            .table_name(&self.table)
            .key("verificationId", AttributeValue::S(id.to_string()))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
