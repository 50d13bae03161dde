//! The durable job queue in SQLite (`jobs`, `dead_jobs`).
//!
//! Leasing is one `UPDATE … RETURNING` in an immediate transaction, so two
//! workers (threads or processes) never hold the same job. A worker that dies
//! loses its lease when `lease_until` passes and the job is handed out again.

use super::db::{Database, sql_err};
use crate::backend::{DeadJob, Job, JobQueue, JobStats, NewJob, StoreError};
use async_trait::async_trait;
use kyc_core::Timestamp;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use std::sync::Arc;

/// Jobs in SQLite.
#[derive(Debug, Clone)]
pub struct SqliteJobQueue {
    db: Arc<Database>,
}

impl SqliteJobQueue {
    /// A queue over `db`.
    pub fn new(db: Arc<Database>) -> Self {
        Self { db }
    }
}

fn token() -> String {
    let mut b = [0u8; 12];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn id_num(id: &str) -> Result<i64, StoreError> {
    id.parse().map_err(|_| StoreError::NotFound)
}

fn payload(s: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(s).map_err(|_| StoreError::Corrupt("unreadable job payload"))
}

/// Adds `job` inside the caller's transaction (the outbox: a state change
/// and the jobs it causes commit together). A pending job with the same
/// dedupe key is kept instead; its id is returned.
pub(crate) fn insert_job(tx: &rusqlite::Transaction<'_>, j: &NewJob) -> Result<String, StoreError> {
    let body = serde_json::to_string(&j.payload).map_err(StoreError::backend)?;
    if let Some(key) = &j.dedupe_key {
        let existing: Option<i64> = tx
            .query_row("SELECT id FROM jobs WHERE dedupe_key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(sql_err)?;
        if let Some(id) = existing {
            return Ok(id.to_string());
        }
    }
    tx.execute(
        "INSERT INTO jobs (kind, dedupe_key, payload, max_attempts, run_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![j.kind, j.dedupe_key, body, j.max_attempts, j.run_at.unix_millis()],
    )
    .map_err(sql_err)?;
    Ok(tx.last_insert_rowid().to_string())
}

#[async_trait]
impl JobQueue for SqliteJobQueue {
    async fn enqueue(&self, job: &NewJob) -> Result<String, StoreError> {
        let j = job.clone();
        self.db
            .write(move |c| {
                let tx =
                    c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                let id = insert_job(&tx, &j)?;
                tx.commit().map_err(sql_err)?;
                Ok(id)
            })
            .await
    }

    async fn lease(
        &self,
        now: Timestamp,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        let (now, until, limit) =
            (now.unix_millis(), now.add_millis(lease_ms).unix_millis(), limit as i64);
        self.db
            .write(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                let ids: Vec<i64> = {
                    let mut stmt = tx
                        .prepare_cached(
                            "SELECT id FROM jobs WHERE run_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)
                             ORDER BY run_at, id LIMIT ?2",
                        )
                        .map_err(sql_err)?;
                    stmt.query_map(params![now, limit], |r| r.get(0))
                        .map_err(sql_err)?
                        .collect::<rusqlite::Result<_>>()
                        .map_err(sql_err)?
                };
                let mut jobs = Vec::with_capacity(ids.len());
                for id in ids {
                    let tok = token();
                    let job = tx
                        .query_row(
                            "UPDATE jobs SET attempts = attempts + 1, lease_token = ?1, lease_until = ?2 WHERE id = ?3
                             RETURNING id, kind, dedupe_key, payload, attempts, max_attempts, last_error",
                            params![tok, until, id],
                            |r| {
                                Ok((
                                    r.get::<_, i64>(0)?,
                                    r.get::<_, String>(1)?,
                                    r.get::<_, Option<String>>(2)?,
                                    r.get::<_, String>(3)?,
                                    r.get::<_, u32>(4)?,
                                    r.get::<_, u32>(5)?,
                                    r.get::<_, Option<String>>(6)?,
                                ))
                            },
                        )
                        .map_err(sql_err)?;
                    jobs.push(Job {
                        id: job.0.to_string(),
                        kind: job.1,
                        dedupe_key: job.2,
                        payload: payload(&job.3)?,
                        attempts: job.4,
                        max_attempts: job.5,
                        lease_token: tok,
                        last_error: job.6,
                    });
                }
                tx.commit().map_err(sql_err)?;
                Ok(jobs)
            })
            .await
    }

    async fn complete(&self, job: &Job) -> Result<(), StoreError> {
        let (id, tok) = (id_num(&job.id)?, job.lease_token.clone());
        self.db
            .write(move |c| {
                let n = c
                    .execute(
                        "DELETE FROM jobs WHERE id = ?1 AND lease_token = ?2",
                        params![id, tok],
                    )
                    .map_err(sql_err)?;
                if n == 1 { Ok(()) } else { Err(StoreError::Conflict) }
            })
            .await
    }

    async fn retry_later(
        &self,
        job: &Job,
        error: &str,
        run_at: Timestamp,
    ) -> Result<(), StoreError> {
        let (id, tok, err, at) =
            (id_num(&job.id)?, job.lease_token.clone(), error.to_owned(), run_at.unix_millis());
        self.db
            .write(move |c| {
                let n = c
                    .execute(
                        "UPDATE jobs SET lease_token = NULL, lease_until = NULL, run_at = ?1, last_error = ?2
                         WHERE id = ?3 AND lease_token = ?4",
                        params![at, err, id, tok],
                    )
                    .map_err(sql_err)?;
                if n == 1 { Ok(()) } else { Err(StoreError::Conflict) }
            })
            .await
    }

    async fn dead_letter(&self, job: &Job, error: &str, now: Timestamp) -> Result<(), StoreError> {
        let (id, tok, err, now) =
            (id_num(&job.id)?, job.lease_token.clone(), error.to_owned(), now.unix_millis());
        self.db
            .write(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                let n = tx
                    .execute(
                        "INSERT INTO dead_jobs (id, kind, dedupe_key, payload, attempts, max_attempts, last_error, failed_at)
                         SELECT id, kind, dedupe_key, payload, attempts, max_attempts, ?1, ?2 FROM jobs
                         WHERE id = ?3 AND lease_token = ?4",
                        params![err, now, id, tok],
                    )
                    .map_err(sql_err)?;
                if n != 1 {
                    return Err(StoreError::Conflict);
                }
                tx.execute("DELETE FROM jobs WHERE id = ?1", [id]).map_err(sql_err)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadJob>, StoreError> {
        let limit = limit as i64;
        self.db
            .read(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT id, kind, dedupe_key, payload, attempts, max_attempts, last_error, failed_at
                         FROM dead_jobs ORDER BY failed_at, id LIMIT ?1",
                    )
                    .map_err(sql_err)?;
                let rows = stmt
                    .query_map([limit], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, u32>(4)?,
                            r.get::<_, u32>(5)?,
                            r.get::<_, String>(6)?,
                            r.get::<_, i64>(7)?,
                        ))
                    })
                    .map_err(sql_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(sql_err)?;
                rows.into_iter()
                    .map(|r| {
                        Ok(DeadJob {
                            id: r.0.to_string(),
                            kind: r.1,
                            dedupe_key: r.2,
                            payload: payload(&r.3)?,
                            attempts: r.4,
                            max_attempts: r.5,
                            last_error: r.6,
                            failed_at: Timestamp::from_unix_millis(r.7),
                        })
                    })
                    .collect()
            })
            .await
    }

    async fn requeue_dead(&self, id: &str, now: Timestamp) -> Result<(), StoreError> {
        let (id, now) = (id_num(id)?, now.unix_millis());
        self.db
            .write(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                let n = tx
                    .execute(
                        "INSERT INTO jobs (id, kind, dedupe_key, payload, attempts, max_attempts, run_at, last_error)
                         SELECT id, kind, dedupe_key, payload, 0, max_attempts, ?1, last_error FROM dead_jobs WHERE id = ?2",
                        params![now, id],
                    )
                    .map_err(sql_err)?;
                if n != 1 {
                    return Err(StoreError::NotFound);
                }
                tx.execute("DELETE FROM dead_jobs WHERE id = ?1", [id]).map_err(sql_err)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }

    async fn stats(&self) -> Result<JobStats, StoreError> {
        self.db
            .read(|c| {
                let pending: i64 =
                    c.query_row("SELECT count(*) FROM jobs", [], |r| r.get(0)).map_err(sql_err)?;
                let dead: i64 = c
                    .query_row("SELECT count(*) FROM dead_jobs", [], |r| r.get(0))
                    .map_err(sql_err)?;
                Ok(JobStats { pending: pending as u64, dead: dead as u64 })
            })
            .await
    }
}
