//! SQLite implementations of the record stores.

use super::db::{Database, sql_err};
use crate::backend::{
    ApiKeyRecord, AuditLog, CreateOutcome, IdempotencyClaim, KeyStore, NewJob, StoreError,
    Verification, VerificationStore,
};
use async_trait::async_trait;
use kyc_core::{
    Timestamp, VerificationId,
    api::v1::{KeyKind, KeyRole},
    audit::{AuditEvent, AuditRecord, ChainKey, chain},
};
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use std::sync::Arc;

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(StoreError::backend)
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|_| StoreError::Corrupt("unreadable record"))
}

/// Verifications in SQLite (`verifications` and `idempotency` tables).
#[derive(Debug, Clone)]
pub struct SqliteVerificationStore {
    db: Arc<Database>,
}

impl SqliteVerificationStore {
    /// A store over `db`.
    pub fn new(db: Arc<Database>) -> Self {
        Self { db }
    }
}

fn read_verification(
    conn: &rusqlite::Connection,
    id: &str,
) -> Result<Option<Verification>, StoreError> {
    let record: Option<String> = conn
        .query_row("SELECT record FROM verifications WHERE id = ?1", [id], |r| r.get(0))
        .optional()
        .map_err(sql_err)?;
    record.map(|r| from_json(&r)).transpose()
}

#[async_trait]
impl VerificationStore for SqliteVerificationStore {
    async fn create(
        &self,
        v: &Verification,
        idempotency: Option<&IdempotencyClaim>,
    ) -> Result<CreateOutcome, StoreError> {
        let v = v.clone();
        let claim = idempotency.cloned();
        let record = to_json(&v)?;
        self.db
            .write(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                if let Some(c) = &claim {
                    let prior: Option<(String, String)> = tx
                        .query_row(
                            "SELECT verification_id, request_hash FROM idempotency
                             WHERE owner_key_id = ?1 AND key = ?2",
                            params![c.owner_key_id, c.key],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )
                        .optional()
                        .map_err(sql_err)?;
                    if let Some((id, hash)) = prior {
                        let existing = read_verification(&tx, &id)?.ok_or(StoreError::NotFound)?;
                        return Ok(CreateOutcome::Existing {
                            verification: Box::new(existing),
                            same_request: hash == c.request_hash,
                        });
                    }
                }
                tx.execute(
                    "INSERT INTO verifications (id, version, expires_at, record) VALUES (?1, ?2, ?3, ?4)",
                    params![v.id.to_string(), v.version as i64, v.expires_at.unix_millis(), record],
                )
                .map_err(sql_err)?;
                if let Some(c) = &claim {
                    tx.execute(
                        "INSERT INTO idempotency (owner_key_id, key, verification_id, request_hash)
                         VALUES (?1, ?2, ?3, ?4)",
                        params![c.owner_key_id, c.key, v.id.to_string(), c.request_hash],
                    )
                    .map_err(sql_err)?;
                }
                tx.commit().map_err(sql_err)?;
                Ok(CreateOutcome::Created)
            })
            .await
    }

    async fn get(&self, id: &VerificationId) -> Result<Verification, StoreError> {
        let id = id.to_string();
        self.db.read(move |conn| read_verification(conn, &id)?.ok_or(StoreError::NotFound)).await
    }

    async fn update(&self, v: &Verification) -> Result<Verification, StoreError> {
        self.update_with_jobs(v, &[]).await
    }

    async fn update_with_jobs(
        &self,
        v: &Verification,
        jobs: &[NewJob],
    ) -> Result<Verification, StoreError> {
        let mut next = v.clone();
        next.version += 1;
        let record = to_json(&next)?;
        let (id, expected) = (v.id.to_string(), v.version as i64);
        let stored = next.clone();
        let jobs = jobs.to_vec();
        self.db
            .write(move |conn| {
                let tx = conn.transaction().map_err(sql_err)?;
                let n = tx
                    .execute(
                        "UPDATE verifications SET version = ?1, expires_at = ?2, record = ?3
                         WHERE id = ?4 AND version = ?5",
                        params![
                            stored.version as i64,
                            stored.expires_at.unix_millis(),
                            record,
                            id,
                            expected
                        ],
                    )
                    .map_err(sql_err)?;
                if n == 1 {
                    for j in &jobs {
                        super::jobs::insert_job(&tx, j)?;
                    }
                    return tx.commit().map_err(sql_err);
                }
                let exists: bool = tx
                    .query_row("SELECT 1 FROM verifications WHERE id = ?1", [&id], |_| Ok(true))
                    .optional()
                    .map_err(sql_err)?
                    .unwrap_or(false);
                Err(if exists { StoreError::Conflict } else { StoreError::NotFound })
            })
            .await?;
        Ok(next)
    }

    async fn delete(&self, id: &VerificationId) -> Result<(), StoreError> {
        let id = id.to_string();
        self.db
            .write(move |conn| {
                let tx = conn.transaction().map_err(sql_err)?;
                tx.execute("DELETE FROM idempotency WHERE verification_id = ?1", [&id])
                    .map_err(sql_err)?;
                tx.execute("DELETE FROM verifications WHERE id = ?1", [&id]).map_err(sql_err)?;
                tx.commit().map_err(sql_err)?;
                // the verification record is the last thing erasure deletes
                super::db::checkpoint_truncate(conn)
            })
            .await
    }

    async fn list_expired(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<VerificationId>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT id FROM verifications WHERE expires_at <= ?1
                         ORDER BY expires_at, id LIMIT ?2",
                    )
                    .map_err(sql_err)?;
                let ids = stmt
                    .query_map(params![now.unix_millis(), limit], |r| r.get::<_, String>(0))
                    .map_err(sql_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(sql_err)?;
                ids.iter()
                    .map(|s| s.parse().map_err(|_| StoreError::Corrupt("bad verification id")))
                    .collect()
            })
            .await
    }
}

/// API keys in SQLite (`api_keys`, `key_usage`).
#[derive(Debug, Clone)]
pub struct SqliteKeyStore {
    db: Arc<Database>,
}

impl SqliteKeyStore {
    /// A store over `db`.
    pub fn new(db: Arc<Database>) -> Self {
        Self { db }
    }
}

type KeyRow = (String, String, String, String, String, String, i64, Option<i64>);

fn key_from_row(r: &Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
}

fn key_record(row: KeyRow) -> Result<ApiKeyRecord, StoreError> {
    let (id, kind, secret_hash, origins, account, role, created_at, revoked_at) = row;
    let kind = match kind.as_str() {
        "secret" => KeyKind::Secret,
        "publishable" => KeyKind::Publishable,
        _ => return Err(StoreError::Corrupt("unknown key kind")),
    };
    let role = match role.as_str() {
        "integrator" => KeyRole::Integrator,
        "admin" => KeyRole::Admin,
        _ => return Err(StoreError::Corrupt("unknown key role")),
    };
    Ok(ApiKeyRecord {
        id,
        kind,
        secret_hash,
        origins: from_json(&origins)?,
        account,
        role,
        created_at: Timestamp::from_unix_millis(created_at),
        revoked_at: revoked_at.map(Timestamp::from_unix_millis),
    })
}

const KEY_COLUMNS: &str = "id, kind, secret_hash, origins, account, role, created_at, revoked_at";

#[async_trait]
impl KeyStore for SqliteKeyStore {
    async fn insert(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let k = key.clone();
        let origins = to_json(&k.origins)?;
        self.db
            .write(move |conn| {
                conn.execute(
                    "INSERT INTO api_keys
                        (id, kind, secret_hash, origins, account, role, created_at, revoked_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        k.id,
                        k.kind.as_str(),
                        k.secret_hash,
                        origins,
                        k.account,
                        k.role.as_str(),
                        k.created_at.unix_millis(),
                        k.revoked_at.map(Timestamp::unix_millis)
                    ],
                )
                .map(|_| ())
                .map_err(sql_err)
            })
            .await
    }

    async fn get(&self, id: &str) -> Result<ApiKeyRecord, StoreError> {
        let id = id.to_owned();
        self.db
            .read(move |conn| {
                let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?1");
                let row = conn
                    .prepare_cached(&sql)
                    .map_err(sql_err)?
                    .query_row([&id], key_from_row)
                    .map_err(sql_err)?;
                key_record(row)
            })
            .await
    }

    async fn list(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.db
            .read(move |conn| {
                let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, id");
                let mut stmt = conn.prepare(&sql).map_err(sql_err)?;
                let rows = stmt
                    .query_map([], key_from_row)
                    .map_err(sql_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(sql_err)?;
                rows.into_iter().map(key_record).collect()
            })
            .await
    }

    async fn revoke(&self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.db
            .write(move |conn| {
                let n = conn
                    .execute(
                        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?1) WHERE id = ?2",
                        params![at.unix_millis(), id],
                    )
                    .map_err(sql_err)?;
                if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
            })
            .await
    }

    async fn add_usage(&self, key_id: &str, day: i64, n: u64) -> Result<u64, StoreError> {
        let key_id = key_id.to_owned();
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.db
            .write(move |conn| {
                let total: i64 = conn
                    .query_row(
                        "INSERT INTO key_usage (key_id, day, count) VALUES (?1, ?2, ?3)
                         ON CONFLICT (key_id, day) DO UPDATE SET count = count + excluded.count
                         RETURNING count",
                        params![key_id, day, n],
                        |r| r.get(0),
                    )
                    .map_err(sql_err)?;
                Ok(u64::try_from(total).unwrap_or(0))
            })
            .await
    }
}

/// The audit log in SQLite (`audit_log`; triggers forbid UPDATE and DELETE).
#[derive(Debug, Clone)]
pub struct SqliteAuditLog {
    db: Arc<Database>,
    key: Arc<ChainKey>,
}

impl SqliteAuditLog {
    /// A log over `db`, chained under `key`.
    pub fn new(db: Arc<Database>, key: ChainKey) -> Self {
        Self { db, key: Arc::new(key) }
    }
}

fn audit_from_row(r: &Row<'_>) -> rusqlite::Result<(i64, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn audit_record(row: (i64, String, String, String)) -> Result<AuditRecord, StoreError> {
    let (seq, prev_hash, hash, event) = row;
    Ok(AuditRecord {
        seq: u64::try_from(seq).map_err(|_| StoreError::Corrupt("negative sequence number"))?,
        prev_hash,
        hash,
        event: from_json(&event)?,
    })
}

#[async_trait]
impl AuditLog for SqliteAuditLog {
    async fn append(&self, event: AuditEvent) -> Result<AuditRecord, StoreError> {
        let key = self.key.clone();
        self.db
            .write(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                let last = tx
                    .query_row(
                        "SELECT seq, prev_hash, hash, event FROM audit_log ORDER BY seq DESC LIMIT 1",
                        [],
                        audit_from_row,
                    )
                    .optional()
                    .map_err(sql_err)?
                    .map(audit_record)
                    .transpose()?;
                let record = chain(&key, last.as_ref(), event);
                tx.execute(
                    "INSERT INTO audit_log (seq, prev_hash, hash, verification_id, event)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        record.seq as i64,
                        record.prev_hash,
                        record.hash,
                        record.event.verification_id.map(|v| v.to_string()),
                        to_json(&record.event)?
                    ],
                )
                .map_err(sql_err)?;
                tx.commit().map_err(sql_err)?;
                Ok(record)
            })
            .await
    }

    async fn for_verification(&self, id: &VerificationId) -> Result<Vec<AuditRecord>, StoreError> {
        let id = id.to_string();
        self.db
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT seq, prev_hash, hash, event FROM audit_log
                         WHERE verification_id = ?1 ORDER BY seq",
                    )
                    .map_err(sql_err)?;
                let rows = stmt
                    .query_map([&id], audit_from_row)
                    .map_err(sql_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(sql_err)?;
                rows.into_iter().map(audit_record).collect()
            })
            .await
    }

    async fn head(&self) -> Result<Option<AuditRecord>, StoreError> {
        self.db
            .read(|conn| {
                conn.query_row(
                    "SELECT seq, prev_hash, hash, event FROM audit_log ORDER BY seq DESC LIMIT 1",
                    [],
                    audit_from_row,
                )
                .optional()
                .map_err(sql_err)?
                .map(audit_record)
                .transpose()
            })
            .await
    }

    async fn scan(&self, after: u64, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT seq, prev_hash, hash, event FROM audit_log
                         WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                    )
                    .map_err(sql_err)?;
                let rows = stmt
                    .query_map(params![after, limit], audit_from_row)
                    .map_err(sql_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(sql_err)?;
                rows.into_iter().map(audit_record).collect()
            })
            .await
    }
}
