//! Liveness sessions and frames in SQLite (`liveness_sessions`, `liveness_frames`).

use super::db::{Database, sql_err};
use crate::backend::{FrameId, FrameRecord, LivenessSession, LivenessStore, StoreError};
use async_trait::async_trait;
use kyc_core::VerificationId;
use rusqlite::{OptionalExtension, params};
use std::sync::Arc;

/// Liveness sessions in SQLite.
#[derive(Debug, Clone)]
pub struct SqliteLivenessStore {
    db: Arc<Database>,
}

impl SqliteLivenessStore {
    /// A store over `db`.
    pub fn new(db: Arc<Database>) -> Self {
        Self { db }
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(StoreError::backend)
}

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|_| StoreError::Corrupt("unreadable liveness record"))
}

#[async_trait]
impl LivenessStore for SqliteLivenessStore {
    async fn create_session(&self, s: &LivenessSession) -> Result<(), StoreError> {
        let (id, vid, created, record) =
            (s.id.clone(), s.verification_id.to_string(), s.created_at.unix_millis(), json(s)?);
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT INTO liveness_sessions (id, verification_id, version, created_at, record) VALUES (?1, ?2, 1, ?3, ?4)",
                    params![id, vid, created, record],
                )
                .map(|_| ())
                .map_err(sql_err)
            })
            .await
    }

    async fn get_session(&self, id: &str) -> Result<LivenessSession, StoreError> {
        let id = id.to_owned();
        self.db
            .read(move |c| {
                let r: String = c
                    .query_row("SELECT record FROM liveness_sessions WHERE id = ?1", [&id], |r| {
                        r.get(0)
                    })
                    .map_err(sql_err)?;
                parse(&r)
            })
            .await
    }

    async fn latest_session(
        &self,
        verification: &VerificationId,
    ) -> Result<Option<LivenessSession>, StoreError> {
        let vid = verification.to_string();
        self.db
            .read(move |c| {
                let r: Option<String> = c
                    .query_row(
                        "SELECT record FROM liveness_sessions WHERE verification_id = ?1
                         ORDER BY created_at DESC, rowid DESC LIMIT 1",
                        [&vid],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(sql_err)?;
                r.map(|r| parse(&r)).transpose()
            })
            .await
    }

    async fn update_session(&self, s: &LivenessSession) -> Result<LivenessSession, StoreError> {
        let mut next = s.clone();
        next.version += 1;
        let record = json(&next)?;
        let (id, expected, version) = (s.id.clone(), s.version as i64, next.version as i64);
        self.db
            .write(move |c| {
                let n = c
                    .execute(
                        "UPDATE liveness_sessions SET version = ?1, record = ?2 WHERE id = ?3 AND version = ?4",
                        params![version, record, id, expected],
                    )
                    .map_err(sql_err)?;
                if n == 1 {
                    return Ok(());
                }
                let exists = c
                    .query_row("SELECT 1 FROM liveness_sessions WHERE id = ?1", [&id], |_| Ok(()))
                    .optional()
                    .map_err(sql_err)?
                    .is_some();
                Err(if exists { StoreError::Conflict } else { StoreError::NotFound })
            })
            .await?;
        Ok(next)
    }

    async fn put_frame(&self, f: &FrameRecord) -> Result<(), StoreError> {
        let record = json(f)?;
        let (sid, fid, vid, sha) = (
            f.session_id.clone(),
            f.frame_id.to_string(),
            f.verification_id.to_string(),
            f.sha256.clone(),
        );
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT INTO liveness_frames (session_id, frame_id, verification_id, sha256, record) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![sid, fid, vid, sha, record],
                )
                .map(|_| ())
                .map_err(sql_err)
            })
            .await
    }

    async fn get_frame(&self, session: &str, frame: &FrameId) -> Result<FrameRecord, StoreError> {
        let (sid, fid) = (session.to_owned(), frame.to_string());
        self.db
            .read(move |c| {
                let r: String = c
                    .query_row(
                        "SELECT record FROM liveness_frames WHERE session_id = ?1 AND frame_id = ?2",
                        params![sid, fid],
                        |r| r.get(0),
                    )
                    .map_err(sql_err)?;
                parse(&r)
            })
            .await
    }

    async fn frame_by_hash(&self, sha256: &str) -> Result<Option<FrameRecord>, StoreError> {
        let sha = sha256.to_owned();
        self.db
            .read(move |c| {
                let r: Option<String> = c
                    .query_row(
                        "SELECT record FROM liveness_frames WHERE sha256 = ?1 LIMIT 1",
                        [&sha],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(sql_err)?;
                r.map(|r| parse(&r)).transpose()
            })
            .await
    }

    async fn delete_verification(&self, verification: &VerificationId) -> Result<(), StoreError> {
        let vid = verification.to_string();
        self.db
            .write(move |c| {
                let tx = c.transaction().map_err(sql_err)?;
                tx.execute("DELETE FROM liveness_frames WHERE verification_id = ?1", [&vid])
                    .map_err(sql_err)?;
                tx.execute("DELETE FROM liveness_sessions WHERE verification_id = ?1", [&vid])
                    .map_err(sql_err)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }
}
