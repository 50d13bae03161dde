//! Liveness sessions and frames on DynamoDB (`KycLiveness`, `pk`/`sk`).
//!
//! | item | pk | sk |
//! |---|---|---|
//! | session | `s#{session}` | `session` (record, `version`) |
//! | frame | `s#{session}` | `f#{frame}` (record, `sha256`) |
//! | the verification's sessions | `v#{verification}` | `s#{createdAt ms, 20 digits}#{session}` |
//! | a frame's bytes | `h#{sha256}` | `s#{session}#f#{frame}` |
//!
//! Every lookup is a key read or a query on one partition, consistent; a
//! session and its index entry, a frame and its hash entry, are written in
//! one transaction.

use super::{CREATE, Item, Table, json, key, n, put_tx, record, s, text};
use async_trait::async_trait;
use aws_config::SdkConfig;
use kyc_backend::{FrameId, FrameRecord, LivenessSession, LivenessStore, StoreError};
use kyc_core::VerificationId;

/// [`LivenessStore`] on DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoLivenessStore {
    t: Table,
}

impl DynamoLivenessStore {
    /// The store in `table`.
    pub fn new(sdk: &SdkConfig, table: impl Into<String>) -> Self {
        Self { t: Table::new(sdk, table) }
    }

    fn session_item(s_: &LivenessSession) -> Result<Item, StoreError> {
        let mut item = key(&format!("s#{}", s_.id), "session");
        item.insert("record".into(), json(s_)?);
        item.insert("version".into(), n(s_.version));
        item.insert("verificationId".into(), s(s_.verification_id.to_string()));
        Ok(item)
    }
}

#[async_trait]
impl LivenessStore for DynamoLivenessStore {
    async fn create_session(&self, ls: &LivenessSession) -> Result<(), StoreError> {
        let index = key(
            &format!("v#{}", ls.verification_id),
            &format!("s#{:020}#{}", ls.created_at.unix_millis().max(0), ls.id),
        );
        let mut index = index;
        index.insert("session".into(), s(ls.id.clone()));
        self.t
            .transact(vec![
                put_tx(&self.t.name, Self::session_item(ls)?, Some(CREATE))?,
                put_tx(&self.t.name, index, None)?,
            ])
            .await
    }

    async fn get_session(&self, id: &str) -> Result<LivenessSession, StoreError> {
        let item = self.t.get(&format!("s#{id}"), "session").await?.ok_or(StoreError::NotFound)?;
        record(&item)
    }

    async fn latest_session(
        &self,
        verification: &VerificationId,
    ) -> Result<Option<LivenessSession>, StoreError> {
        let newest = self.t.query(&format!("v#{verification}"), Some("s#"), false, Some(1)).await?;
        match newest.first().and_then(|i| text(i, "session")) {
            Some(id) => match self.get_session(id).await {
                Ok(found) => Ok(Some(found)),
                Err(StoreError::NotFound) => Ok(None),
                Err(e) => Err(e),
            },
            None => Ok(None),
        }
    }

    async fn update_session(&self, ls: &LivenessSession) -> Result<LivenessSession, StoreError> {
        let mut next = ls.clone();
        next.version = ls.version + 1;
        self.t.put_if_version(Self::session_item(&next)?, ls.version).await?;
        Ok(next)
    }

    async fn put_frame(&self, f: &FrameRecord) -> Result<(), StoreError> {
        let mut item = key(&format!("s#{}", f.session_id), &format!("f#{}", f.frame_id.as_str()));
        item.insert("record".into(), json(f)?);
        item.insert("sha256".into(), s(f.sha256.clone()));
        let mut by_hash = key(
            &format!("h#{}", f.sha256),
            &format!("s#{}#f#{}", f.session_id, f.frame_id.as_str()),
        );
        by_hash.insert("session".into(), s(f.session_id.clone()));
        by_hash.insert("frame".into(), s(f.frame_id.as_str()));
        self.t
            .transact(vec![
                put_tx(&self.t.name, item, Some(CREATE))?,
                put_tx(&self.t.name, by_hash, None)?,
            ])
            .await
    }

    async fn get_frame(&self, session: &str, frame: &FrameId) -> Result<FrameRecord, StoreError> {
        let item = self
            .t
            .get(&format!("s#{session}"), &format!("f#{}", frame.as_str()))
            .await?
            .ok_or(StoreError::NotFound)?;
        record(&item)
    }

    async fn frame_by_hash(&self, sha256: &str) -> Result<Option<FrameRecord>, StoreError> {
        for entry in self.t.query(&format!("h#{sha256}"), None, true, None).await? {
            let (Some(session), Some(frame)) = (text(&entry, "session"), text(&entry, "frame"))
            else {
                continue;
            };
            let Ok(frame) = FrameId::try_from(frame.to_owned()) else { continue };
            match self.get_frame(session, &frame).await {
                Ok(found) => return Ok(Some(found)),
                Err(StoreError::NotFound) => continue, // its session was erased
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    async fn delete_verification(&self, verification: &VerificationId) -> Result<(), StoreError> {
        let index_pk = format!("v#{verification}");
        for entry in self.t.query(&index_pk, Some("s#"), true, None).await? {
            let Some(session) = text(&entry, "session") else { continue };
            let session_pk = format!("s#{session}");
            for item in self.t.query(&session_pk, None, true, None).await? {
                let Some(sk) = text(&item, "sk") else { continue };
                if let (Some(sha), Some(frame)) = (text(&item, "sha256"), sk.strip_prefix("f#")) {
                    self.t.delete(&format!("h#{sha}"), &format!("s#{session}#f#{frame}")).await?;
                }
                self.t.delete(&session_pk, sk).await?;
            }
            if let Some(sk) = text(&entry, "sk") {
                self.t.delete(&index_pk, sk).await?;
            }
        }
        Ok(())
    }
}
