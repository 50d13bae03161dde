//! A small SQLite connection pool: one writer, a few readers, WAL mode.
//!
//! Blocking SQLite calls run on tokio's blocking pool. The writer is a single
//! connection behind a mutex, so writes from this process are serialised;
//! other processes (the `kyc` CLI while the server runs) wait on SQLite's
//! busy timeout.

use crate::backend::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::{
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

/// How hard SQLite works to keep committed transactions across power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// `synchronous = FULL`: every commit is on disk before it returns.
    #[default]
    Full,
    /// `synchronous = NORMAL`: consistent after any crash; the last commits
    /// may be lost on power loss (not on a process crash).
    Normal,
}

const SCHEMA: &[&str] = &[
    // version 1
    "CREATE TABLE verifications (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        record TEXT NOT NULL
     ) STRICT;
     CREATE INDEX verifications_expires ON verifications(expires_at);
     CREATE TABLE idempotency (
        owner_key_id TEXT NOT NULL,
        key TEXT NOT NULL,
        verification_id TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        PRIMARY KEY (owner_key_id, key)
     ) STRICT;
     CREATE INDEX idempotency_verification ON idempotency(verification_id);
     CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        origins TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
     ) STRICT;
     CREATE TABLE key_usage (
        key_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (key_id, day)
     ) STRICT;
     CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        verification_id TEXT,
        event TEXT NOT NULL
     ) STRICT;
     CREATE INDEX audit_verification ON audit_log(verification_id, seq);
     CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
     CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    // version 2: liveness sessions and frames, the job queue
    "CREATE TABLE liveness_sessions (
        id TEXT PRIMARY KEY,
        verification_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        record TEXT NOT NULL
     ) STRICT;
     CREATE INDEX liveness_sessions_verification ON liveness_sessions(verification_id, created_at);
     CREATE TABLE liveness_frames (
        session_id TEXT NOT NULL,
        frame_id TEXT NOT NULL,
        verification_id TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (session_id, frame_id)
     ) STRICT;
     CREATE INDEX liveness_frames_sha256 ON liveness_frames(sha256);
     CREATE INDEX liveness_frames_verification ON liveness_frames(verification_id);
     CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        dedupe_key TEXT,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        run_at INTEGER NOT NULL,
        lease_token TEXT,
        lease_until INTEGER,
        last_error TEXT
     ) STRICT;
     CREATE UNIQUE INDEX jobs_dedupe ON jobs(dedupe_key);
     CREATE INDEX jobs_due ON jobs(run_at);
     CREATE TABLE dead_jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        dedupe_key TEXT,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        last_error TEXT NOT NULL,
        failed_at INTEGER NOT NULL
     ) STRICT;",
    // version 3: KycOcrData (records sealed with a key derived from the master key)
    "CREATE TABLE kyc_ocr_data (
        verification_id TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL,
        record BLOB NOT NULL
     ) STRICT;
     CREATE INDEX kyc_ocr_data_expires ON kyc_ocr_data(expires_at);",
    // version 4: accounts (tenants) and roles; existing keys are the default account's
    "ALTER TABLE api_keys ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
     ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'integrator';",
];

/// The shared SQLite database of the embedded backends.
#[derive(Debug)]
pub struct Database {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

/// Maps SQLite errors: busy/locked are retryable, constraint violations are conflicts.
pub(crate) fn sql_err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            C::DatabaseBusy | C::DatabaseLocked => StoreError::unavailable(e),
            C::ConstraintViolation => StoreError::Conflict,
            // a full disk or a data directory gone read-only: 503, and recovery when it clears
            C::DiskFull | C::SystemIoFailure | C::CannotOpen | C::ReadOnly => {
                StoreError::Unavailable { retryable: false, source: Some(Box::new(e)) }
            }
            _ => StoreError::backend(e),
        },
        rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
        _ => StoreError::backend(e),
    }
}

fn configure(conn: &Connection, durability: Durability) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let sync = match durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // deleted rows are overwritten with zeros, not left in free pages
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(())
}

/// Copies the WAL into the database and truncates it, so rows just deleted
/// (and zeroed by `secure_delete`) leave no older copy in `kyc.db-wal`.
/// Best effort: a reader in the middle of a transaction can keep some
/// frames until the next checkpoint.
pub(crate) fn checkpoint_truncate(conn: &Connection) -> Result<(), StoreError> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).map_err(sql_err)
}

fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in (1i64..).zip(SCHEMA.iter()).skip(usize::try_from(version).unwrap_or(0)) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i)?;
    }
    tx.commit()
}

impl Database {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path, durability: Durability) -> Result<Arc<Self>, StoreError> {
        let mut writer = Connection::open(path).map_err(sql_err)?;
        configure(&writer, durability).map_err(sql_err)?;
        migrate(&mut writer).map_err(sql_err)?;
        let readers = (0..4)
            .map(|_| {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let c = Connection::open_with_flags(path, flags)?;
                c.busy_timeout(Duration::from_secs(5))?;
                Ok(Mutex::new(c))
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sql_err)?;
        Ok(Arc::new(Self {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        }))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the writer connection, on the blocking pool.
    pub(crate) async fn write<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut conn = db.writer.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn)
        })
        .await
        .map_err(StoreError::backend)?
    }

    /// Runs `f` on a reader connection, on the blocking pool.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let i = db.next_reader.fetch_add(1, Ordering::Relaxed) % db.readers.len();
            let conn = db.readers[i].lock().unwrap_or_else(PoisonError::into_inner);
            f(&conn)
        })
        .await
        .map_err(StoreError::backend)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{KeyStore, local::SqliteKeyStore};

    #[tokio::test]
    async fn keys_from_before_accounts_become_the_default_accounts_integrator_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kyc.db");
        {
            // a database as version 3 left it
            let conn = Connection::open(&path).unwrap();
            for step in &SCHEMA[..3] {
                conn.execute_batch(step).unwrap();
            }
            conn.pragma_update(None, "user_version", 3).unwrap();
            conn.execute(
                "INSERT INTO api_keys (id, kind, secret_hash, origins, created_at, revoked_at)
                 VALUES ('0123456789abcdef', 'secret', 'ab', '[]', 1, NULL)",
                [],
            )
            .unwrap();
        }
        let db = Database::open(&path, Durability::Full).unwrap();
        let k = SqliteKeyStore::new(db).get("0123456789abcdef").await.unwrap();
        assert_eq!(
            (k.account.as_str(), k.role),
            ("default", kyc_core::api::v1::KeyRole::Integrator)
        );
    }
}
