//! In-memory backends: always compiled, used by tests, examples and the e2e suite.
//! Nothing survives the process.

use super::{
    ApiKeyRecord, AuditLog, CreateOutcome, IdempotencyClaim, KeyStore, ObjectKey, ObjectMeta,
    ObjectStore, PutMode, StoreError, StoredObject, Verification, VerificationStore,
};
use async_trait::async_trait;
use bytes::Bytes;
use kyc_core::{
    Timestamp, VerificationId,
    audit::{AuditEvent, AuditRecord, chain},
};
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Mutex, MutexGuard, PoisonError},
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
        objects.insert(*key, StoredObject { body, meta: meta.clone() });
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
}

impl MemoryVerificationStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
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
        let mut t = lock(&self.tables);
        let current = t.rows.get_mut(&v.id).ok_or(StoreError::NotFound)?;
        if current.version != v.version {
            return Err(StoreError::Conflict);
        }
        let mut next = v.clone();
        next.version += 1;
        *current = next.clone();
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
#[derive(Debug, Default)]
pub struct MemoryAuditLog {
    records: Mutex<Vec<AuditRecord>>,
}

impl MemoryAuditLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl AuditLog for MemoryAuditLog {
    async fn append(&self, event: AuditEvent) -> Result<AuditRecord, StoreError> {
        let mut records = lock(&self.records);
        let record = chain(records.last(), event);
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

    async fn scan(&self, after: u64, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let records = lock(&self.records);
        let start = usize::try_from(after).unwrap_or(usize::MAX).min(records.len());
        Ok(records[start..].iter().take(limit).cloned().collect())
    }
}
