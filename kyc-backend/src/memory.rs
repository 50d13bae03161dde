//! In-memory backends: always compiled, used by tests, examples and the e2e suite.
//! Nothing survives the process.

use crate::{
    ApiKeyRecord, AuditLog, CreateOutcome, DeadJob, FrameId, FrameRecord, IdempotencyClaim, Job,
    JobQueue, JobStats, KeyStore, LivenessSession, LivenessStore, NewJob, ObjectKey, ObjectMeta,
    ObjectStore, OcrDataStore, OcrRecord, PutMode, StoreError, StoredObject, Verification,
    VerificationStore,
};
use async_trait::async_trait;
use bytes::Bytes;
use kyc_core::{
    Timestamp, VerificationId,
    audit::{AuditEvent, AuditRecord, ChainKey, chain},
};
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

/// Locks a mutex, recovering from poisoning (the data is plain maps; a panic
/// elsewhere cannot leave them half-updated across an await).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Objects in a map.
#[derive(Debug, Default)]
pub struct MemoryObjectStore {
    objects: Mutex<HashMap<ObjectKey, StoredObject>>,
}

impl MemoryObjectStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl ObjectStore for MemoryObjectStore {
    async fn put(
        &self,
        key: &ObjectKey,
        body: Bytes,
        meta: &ObjectMeta,
        mode: PutMode,
    ) -> Result<(), StoreError> {
        let mut objects = lock(&self.objects);
        if mode == PutMode::Create && objects.contains_key(key) {
            return Err(StoreError::Conflict);
        }
        objects.insert(key.clone(), StoredObject { body, meta: meta.clone() });
        Ok(())
    }

    async fn get(&self, key: &ObjectKey) -> Result<StoredObject, StoreError> {
        lock(&self.objects).get(key).cloned().ok_or(StoreError::NotFound)
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        lock(&self.objects).remove(key);
        Ok(())
    }

    async fn erase_verification(&self, id: &VerificationId) -> Result<(), StoreError> {
        lock(&self.objects).retain(|k, _| k.verification_id != *id);
        Ok(())
    }
}

#[derive(Debug, Default)]
struct VerificationTables {
    rows: HashMap<VerificationId, Verification>,
    /// (owner key id, idempotency key) → (verification, request hash)
    claims: HashMap<(String, String), (VerificationId, String)>,
}

/// Verifications in a map.
#[derive(Debug, Default)]
pub struct MemoryVerificationStore {
    tables: Mutex<VerificationTables>,
    outbox: Option<Arc<MemoryJobQueue>>,
}

impl MemoryVerificationStore {
    /// An empty store whose updates cannot enqueue jobs.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store whose [`VerificationStore::update_with_jobs`] enqueues into `jobs`.
    pub fn with_outbox(jobs: Arc<MemoryJobQueue>) -> Self {
        Self { tables: Mutex::default(), outbox: Some(jobs) }
    }
}

#[async_trait]
impl VerificationStore for MemoryVerificationStore {
    async fn create(
        &self,
        v: &Verification,
        idempotency: Option<&IdempotencyClaim>,
    ) -> Result<CreateOutcome, StoreError> {
        let mut t = lock(&self.tables);
        if let Some(c) = idempotency {
            let k = (c.owner_key_id.clone(), c.key.clone());
            if let Some((id, hash)) = t.claims.get(&k) {
                let existing = t.rows.get(id).cloned().ok_or(StoreError::NotFound)?;
                return Ok(CreateOutcome::Existing {
                    verification: Box::new(existing),
                    same_request: *hash == c.request_hash,
                });
            }
        }
        if t.rows.contains_key(&v.id) {
            return Err(StoreError::Conflict);
        }
        t.rows.insert(v.id, v.clone());
        if let Some(c) = idempotency {
            t.claims
                .insert((c.owner_key_id.clone(), c.key.clone()), (v.id, c.request_hash.clone()));
        }
        Ok(CreateOutcome::Created)
    }

    async fn get(&self, id: &VerificationId) -> Result<Verification, StoreError> {
        lock(&self.tables).rows.get(id).cloned().ok_or(StoreError::NotFound)
    }

    async fn update(&self, v: &Verification) -> Result<Verification, StoreError> {
        self.update_with_jobs(v, &[]).await
    }

    async fn update_with_jobs(
        &self,
        v: &Verification,
        jobs: &[NewJob],
    ) -> Result<Verification, StoreError> {
        let mut t = lock(&self.tables);
        let current = t.rows.get_mut(&v.id).ok_or(StoreError::NotFound)?;
        if current.version != v.version {
            return Err(StoreError::Conflict);
        }
        if !jobs.is_empty() && self.outbox.is_none() {
            return Err(StoreError::NotSupported);
        }
        let mut next = v.clone();
        next.version += 1;
        *current = next.clone();
        // still under the verification lock: no reader sees the new version without its jobs
        if let Some(q) = &self.outbox {
            for j in jobs {
                q.insert(j);
            }
        }
        Ok(next)
    }

    async fn delete(&self, id: &VerificationId) -> Result<(), StoreError> {
        let mut t = lock(&self.tables);
        t.rows.remove(id);
        t.claims.retain(|_, (vid, _)| vid != id);
        Ok(())
    }

    async fn list_expired(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<VerificationId>, StoreError> {
        let t = lock(&self.tables);
        let mut expired: Vec<_> =
            t.rows.values().filter(|v| v.expires_at <= now).map(|v| (v.expires_at, v.id)).collect();
        expired.sort();
        Ok(expired.into_iter().take(limit).map(|(_, id)| id).collect())
    }
}

#[derive(Debug, Default)]
struct KeyTables {
    keys: BTreeMap<String, ApiKeyRecord>,
    usage: HashMap<(String, i64), u64>,
}

/// API keys in a map.
#[derive(Debug, Default)]
pub struct MemoryKeyStore {
    tables: Mutex<KeyTables>,
}

impl MemoryKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl KeyStore for MemoryKeyStore {
    async fn insert(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let mut t = lock(&self.tables);
        if t.keys.contains_key(&key.id) {
            return Err(StoreError::Conflict);
        }
        t.keys.insert(key.id.clone(), key.clone());
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<ApiKeyRecord, StoreError> {
        lock(&self.tables).keys.get(id).cloned().ok_or(StoreError::NotFound)
    }

    async fn list(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let mut keys: Vec<_> = lock(&self.tables).keys.values().cloned().collect();
        keys.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(keys)
    }

    async fn revoke(&self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut t = lock(&self.tables);
        let k = t.keys.get_mut(id).ok_or(StoreError::NotFound)?;
        k.revoked_at.get_or_insert(at);
        Ok(())
    }

    async fn add_usage(&self, key_id: &str, day: i64, n: u64) -> Result<u64, StoreError> {
        let mut t = lock(&self.tables);
        let total = t.usage.entry((key_id.to_owned(), day)).or_insert(0);
        *total += n;
        Ok(*total)
    }
}

/// The audit log in a vector.
#[derive(Debug)]
pub struct MemoryAuditLog {
    key: ChainKey,
    records: Mutex<Vec<AuditRecord>>,
}

impl MemoryAuditLog {
    /// An empty log chained under `key`.
    pub fn new(key: ChainKey) -> Self {
        Self { key, records: Mutex::default() }
    }
}

#[async_trait]
impl AuditLog for MemoryAuditLog {
    async fn append(&self, event: AuditEvent) -> Result<AuditRecord, StoreError> {
        let mut records = lock(&self.records);
        let record = chain(&self.key, records.last(), event);
        records.push(record.clone());
        Ok(record)
    }

    async fn for_verification(&self, id: &VerificationId) -> Result<Vec<AuditRecord>, StoreError> {
        Ok(lock(&self.records)
            .iter()
            .filter(|r| r.event.verification_id.as_ref() == Some(id))
            .cloned()
            .collect())
    }

    async fn head(&self) -> Result<Option<AuditRecord>, StoreError> {
        Ok(lock(&self.records).last().cloned())
    }

    async fn scan(&self, after: u64, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let records = lock(&self.records);
        let start = usize::try_from(after).unwrap_or(usize::MAX).min(records.len());
        Ok(records[start..].iter().take(limit).cloned().collect())
    }
}

#[derive(Debug, Default)]
struct LivenessTables {
    sessions: HashMap<String, LivenessSession>,
    /// (session, frame id) → record
    frames: BTreeMap<(String, String), FrameRecord>,
}

/// Liveness sessions and frames in maps.
#[derive(Debug, Default)]
pub struct MemoryLivenessStore {
    tables: Mutex<LivenessTables>,
}

impl MemoryLivenessStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl LivenessStore for MemoryLivenessStore {
    async fn create_session(&self, s: &LivenessSession) -> Result<(), StoreError> {
        let mut t = lock(&self.tables);
        if t.sessions.contains_key(&s.id) {
            return Err(StoreError::Conflict);
        }
        t.sessions.insert(s.id.clone(), s.clone());
        Ok(())
    }

    async fn get_session(&self, id: &str) -> Result<LivenessSession, StoreError> {
        lock(&self.tables).sessions.get(id).cloned().ok_or(StoreError::NotFound)
    }

    async fn latest_session(
        &self,
        verification: &VerificationId,
    ) -> Result<Option<LivenessSession>, StoreError> {
        Ok(lock(&self.tables)
            .sessions
            .values()
            .filter(|s| s.verification_id == *verification)
            .max_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)))
            .cloned())
    }

    async fn update_session(&self, s: &LivenessSession) -> Result<LivenessSession, StoreError> {
        let mut t = lock(&self.tables);
        let current = t.sessions.get_mut(&s.id).ok_or(StoreError::NotFound)?;
        if current.version != s.version {
            return Err(StoreError::Conflict);
        }
        let mut next = s.clone();
        next.version += 1;
        *current = next.clone();
        Ok(next)
    }

    async fn put_frame(&self, f: &FrameRecord) -> Result<(), StoreError> {
        let mut t = lock(&self.tables);
        let k = (f.session_id.clone(), f.frame_id.to_string());
        if t.frames.contains_key(&k) {
            return Err(StoreError::Conflict);
        }
        t.frames.insert(k, f.clone());
        Ok(())
    }

    async fn get_frame(&self, session: &str, frame: &FrameId) -> Result<FrameRecord, StoreError> {
        lock(&self.tables)
            .frames
            .get(&(session.to_owned(), frame.to_string()))
            .cloned()
            .ok_or(StoreError::NotFound)
    }

    async fn frame_by_hash(&self, sha256: &str) -> Result<Option<FrameRecord>, StoreError> {
        Ok(lock(&self.tables).frames.values().find(|f| f.sha256 == sha256).cloned())
    }

    async fn delete_verification(&self, verification: &VerificationId) -> Result<(), StoreError> {
        let mut t = lock(&self.tables);
        t.sessions.retain(|_, s| s.verification_id != *verification);
        t.frames.retain(|_, f| f.verification_id != *verification);
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct QueuedJob {
    job: NewJob,
    attempts: u32,
    lease: Option<(String, Timestamp)>,
    last_error: Option<String>,
}

#[derive(Debug, Default)]
struct QueueTables {
    next_id: u64,
    jobs: BTreeMap<u64, QueuedJob>,
    dead: BTreeMap<u64, DeadJob>,
}

/// A job queue in memory.
#[derive(Debug, Default)]
pub struct MemoryJobQueue {
    tables: Mutex<QueueTables>,
}

impl MemoryJobQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a job (or returns the pending one with the same dedupe key).
    fn insert(&self, job: &NewJob) -> String {
        let mut t = lock(&self.tables);
        if let Some(key) = &job.dedupe_key
            && let Some((id, _)) =
                t.jobs.iter().find(|(_, j)| j.job.dedupe_key.as_ref() == Some(key))
        {
            return id.to_string();
        }
        t.next_id += 1;
        let id = t.next_id;
        t.jobs
            .insert(id, QueuedJob { job: job.clone(), attempts: 0, lease: None, last_error: None });
        id.to_string()
    }
}

fn parse_job_id(id: &str) -> Result<u64, StoreError> {
    id.parse().map_err(|_| StoreError::NotFound)
}

#[async_trait]
impl JobQueue for MemoryJobQueue {
    async fn enqueue(&self, job: &NewJob) -> Result<String, StoreError> {
        Ok(self.insert(job))
    }

    async fn lease(
        &self,
        now: Timestamp,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        let mut t = lock(&self.tables);
        let mut out = Vec::new();
        for (id, q) in t.jobs.iter_mut() {
            if out.len() >= limit {
                break;
            }
            let free = q.lease.as_ref().is_none_or(|(_, until)| *until <= now);
            if q.job.run_at <= now && free {
                q.attempts += 1;
                let token = format!("{id}-{}", q.attempts);
                q.lease = Some((token.clone(), now.add_millis(lease_ms)));
                out.push(Job {
                    id: id.to_string(),
                    kind: q.job.kind.clone(),
                    dedupe_key: q.job.dedupe_key.clone(),
                    payload: q.job.payload.clone(),
                    attempts: q.attempts,
                    max_attempts: q.job.max_attempts,
                    lease_token: token,
                    last_error: q.last_error.clone(),
                });
            }
        }
        Ok(out)
    }

    async fn complete(&self, job: &Job) -> Result<(), StoreError> {
        let mut t = lock(&self.tables);
        let id = parse_job_id(&job.id)?;
        match t.jobs.get(&id) {
            Some(q) if q.lease.as_ref().is_some_and(|(tok, _)| *tok == job.lease_token) => {
                t.jobs.remove(&id);
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn retry_later(
        &self,
        job: &Job,
        error: &str,
        run_at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut t = lock(&self.tables);
        let id = parse_job_id(&job.id)?;
        match t.jobs.get_mut(&id) {
            Some(q) if q.lease.as_ref().is_some_and(|(tok, _)| *tok == job.lease_token) => {
                q.lease = None;
                q.job.run_at = run_at;
                q.last_error = Some(error.to_owned());
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn dead_letter(&self, job: &Job, error: &str, now: Timestamp) -> Result<(), StoreError> {
        let mut t = lock(&self.tables);
        let id = parse_job_id(&job.id)?;
        match t.jobs.get(&id) {
            Some(q) if q.lease.as_ref().is_some_and(|(tok, _)| *tok == job.lease_token) => {
                let q = t.jobs.remove(&id).ok_or(StoreError::Conflict)?;
                t.dead.insert(
                    id,
                    DeadJob {
                        id: id.to_string(),
                        kind: q.job.kind,
                        dedupe_key: q.job.dedupe_key,
                        payload: q.job.payload,
                        attempts: q.attempts,
                        max_attempts: q.job.max_attempts,
                        last_error: error.to_owned(),
                        failed_at: now,
                    },
                );
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadJob>, StoreError> {
        Ok(lock(&self.tables).dead.values().take(limit).cloned().collect())
    }

    async fn requeue_dead(&self, id: &str, now: Timestamp) -> Result<(), StoreError> {
        let mut t = lock(&self.tables);
        let n = parse_job_id(id)?;
        let d = t.dead.remove(&n).ok_or(StoreError::NotFound)?;
        let job = NewJob {
            kind: d.kind,
            dedupe_key: d.dedupe_key,
            payload: d.payload,
            run_at: now,
            max_attempts: d.max_attempts,
        };
        t.jobs
            .insert(n, QueuedJob { job, attempts: 0, lease: None, last_error: Some(d.last_error) });
        Ok(())
    }

    async fn stats(&self) -> Result<JobStats, StoreError> {
        let t = lock(&self.tables);
        Ok(JobStats { pending: t.jobs.len() as u64, dead: t.dead.len() as u64 })
    }
}

/// OCR records in a map.
#[derive(Debug, Default)]
pub struct MemoryOcrDataStore {
    rows: Mutex<HashMap<VerificationId, OcrRecord>>,
}

impl MemoryOcrDataStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl OcrDataStore for MemoryOcrDataStore {
    async fn put(&self, record: &OcrRecord) -> Result<(), StoreError> {
        lock(&self.rows).insert(record.verification_id, record.clone());
        Ok(())
    }

    async fn get(&self, id: &VerificationId) -> Result<Option<OcrRecord>, StoreError> {
        Ok(lock(&self.rows).get(id).cloned())
    }

    async fn delete(&self, id: &VerificationId) -> Result<(), StoreError> {
        lock(&self.rows).remove(id);
        Ok(())
    }
}
