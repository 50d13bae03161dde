//! `KycOcrData` in SQLite. Records hold names, birth dates and document
//! numbers, so each is sealed (AES-256-GCM, the verification id as
//! associated data) with a key derived from the master key.

use super::db::{Database, sql_err};
use crate::{
    backend::{OcrDataStore, OcrRecord, StoreError},
    crypto::DataKey,
};
use async_trait::async_trait;
use kyc_core::VerificationId;
use rusqlite::{OptionalExtension, params};
use std::sync::Arc;

/// The SQLite `KycOcrData` store.
#[derive(Debug, Clone)]
pub struct SqliteOcrDataStore {
    db: Arc<Database>,
    key: Arc<DataKey>,
}

/// The label the records' key is derived from the master key with.
pub const OCR_DATA_KEY_LABEL: &[u8] = b"kyc-ocr-data-v1";

impl SqliteOcrDataStore {
    /// A store over `db`, sealing records with `key`.
    pub fn new(db: Arc<Database>, key: DataKey) -> Self {
        Self { db, key: Arc::new(key) }
    }

    /// Verifications with a reading still kept at `now` (for re-screening
    /// when the lists change).
    pub async fn live_ids(
        &self,
        now: kyc_core::Timestamp,
    ) -> Result<Vec<VerificationId>, StoreError> {
        let now = now.unix_millis();
        self.db
            .read(move |c| {
                let mut stmt = c
                    .prepare("SELECT verification_id FROM kyc_ocr_data WHERE expires_at > ?1")
                    .map_err(sql_err)?;
                let ids = stmt
                    .query_map([now], |r| r.get::<_, String>(0))
                    .map_err(sql_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(sql_err)?;
                Ok(ids.iter().filter_map(|s| s.parse().ok()).collect())
            })
            .await
    }
}

#[async_trait]
impl OcrDataStore for SqliteOcrDataStore {
    async fn put(&self, record: &OcrRecord) -> Result<(), StoreError> {
        let id = record.verification_id.to_string();
        let plain = serde_json::to_vec(record).map_err(StoreError::backend)?;
        let sealed = self.key.seal(&plain, id.as_bytes());
        let expires = record.expires_at.unix_millis();
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT INTO kyc_ocr_data (verification_id, expires_at, record) VALUES (?1, ?2, ?3)
                     ON CONFLICT(verification_id) DO UPDATE SET expires_at = ?2, record = ?3",
                    params![id, expires, sealed],
                )
                .map(|_| ())
                .map_err(sql_err)
            })
            .await
    }

    async fn get(&self, id: &VerificationId) -> Result<Option<OcrRecord>, StoreError> {
        let key = id.to_string();
        let k = key.clone();
        let sealed: Option<Vec<u8>> = self
            .db
            .read(move |c| {
                c.query_row(
                    "SELECT record FROM kyc_ocr_data WHERE verification_id = ?1",
                    [&k],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql_err)
            })
            .await?;
        let Some(sealed) = sealed else { return Ok(None) };
        let plain = self
            .key
            .open(&sealed, key.as_bytes())
            .map_err(|_| StoreError::Corrupt("an OCR record failed authentication"))?;
        serde_json::from_slice(&plain).map(Some).map_err(StoreError::backend)
    }

    async fn delete(&self, id: &VerificationId) -> Result<(), StoreError> {
        let id = id.to_string();
        self.db
            .write(move |c| {
                c.execute("DELETE FROM kyc_ocr_data WHERE verification_id = ?1", [id])
                    .map(|_| ())
                    .map_err(sql_err)
            })
            .await
    }
}
