//! Encrypted objects on the local filesystem.
//!
//! Layout under the root directory:
//!
//! ```text
//! objects/kyc-id-uploads/{verificationId}.jpg   sealed object (AES-256-GCM)
//! keys/{verificationId}.key                     the verification's data key, wrapped
//! ```
//!
//! An object file holds `seal(data key, len(meta) ‖ meta JSON ‖ body, aad = path)`,
//! so content type and content are both encrypted and bound to the path.
//! Writes go to a temporary file in the same directory, are fsynced, then
//! renamed (or hard-linked, for create-only writes) into place and the
//! directory is fsynced: a crash leaves the old object or the new one, never
//! half of one.

use crate::{
    backend::{ObjectKey, ObjectMeta, ObjectStore, PutMode, StoreError, StoredObject},
    crypto::{CryptoError, DataKey, open_object, seal_object},
    keyring::{Keyring, replace_private},
};
use async_trait::async_trait;
use bytes::Bytes;
use kyc_core::VerificationId;
use std::{
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime},
};

/// Objects as encrypted files under a directory.
#[derive(Debug, Clone)]
pub struct LocalObjectStore {
    root: PathBuf,
    keys: Arc<Keyring>,
}

/// What `kyc keys rotate` did to the wrapped keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RewrapReport {
    /// Wrapped data keys found.
    pub keys: u64,
    /// Re-wrapped under the current master key by this run.
    pub rewrapped: u64,
    /// Already under the current key (done by an earlier, interrupted run).
    pub already_current: u64,
}

fn io_err(e: io::Error) -> StoreError {
    match e.kind() {
        io::ErrorKind::NotFound => StoreError::NotFound,
        io::ErrorKind::AlreadyExists => StoreError::Conflict,
        io::ErrorKind::Interrupted | io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            StoreError::unavailable(e)
        }
        _ => StoreError::Unavailable { retryable: false, source: Some(Box::new(e)) },
    }
}

fn crypto_err(e: &CryptoError) -> StoreError {
    match e {
        CryptoError::WrongMasterKey { .. } => {
            StoreError::Corrupt("wrapped with another master key")
        }
        _ => StoreError::Corrupt("authentication failed"),
    }
}

/// Fsyncs a directory so a rename or unlink in it is durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Creates `dir` and its missing parents, syncing each parent whose entries
/// changed, so a new directory (`kyc-live-frames/{id}/`) survives a power
/// loss together with the file written into it.
fn create_dir_durable(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_durable(parent)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => dir.parent().map_or(Ok(()), sync_dir),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// A unique temporary name beside `target`.
fn temp_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp-{:016x}", rand::random::<u64>()));
    target.with_file_name(name)
}

/// Writes `bytes` to `target` atomically. `create_only`: fail with
/// `AlreadyExists` instead of replacing.
fn write_atomic(target: &Path, bytes: &[u8], create_only: bool) -> io::Result<()> {
    let dir = target.parent().ok_or_else(|| io::Error::other("object path has no parent"))?;
    create_dir_durable(dir)?;
    let tmp = temp_path(target);
    let result = (|| {
        let mut f = fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        if create_only {
            // link fails if the target exists: an atomic create-if-absent
            fs::hard_link(&tmp, target)?;
            fs::remove_file(&tmp)?;
        } else {
            fs::rename(&tmp, target)?;
        }
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn remove_if_exists(path: &Path) -> io::Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

impl LocalObjectStore {
    /// A store under `root` (created if missing), wrapping data keys with `keys`.
    pub fn open(root: &Path, keys: Arc<Keyring>) -> Result<Self, StoreError> {
        for sub in ["objects", "keys"] {
            fs::create_dir_all(root.join(sub)).map_err(io_err)?;
        }
        Ok(Self { root: root.to_owned(), keys })
    }

    /// An exclusive lock between erasing a data key and re-wrapping it (in
    /// `kyc keys rotate`, another process): a rotation never writes back a
    /// key an erasure has just destroyed.
    fn key_lock(&self) -> Result<fs::File, StoreError> {
        let f = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.root.join("keys").join(".lock"))
            .map_err(io_err)?;
        f.lock().map_err(io_err)?;
        Ok(f)
    }

    /// Re-wraps every data key still under the previous master key with the
    /// current one. Safe to run while the server serves and to re-run after
    /// an interruption (keys already current are counted, not rewritten).
    pub fn rewrap_all(&self) -> Result<RewrapReport, StoreError> {
        let mut report = RewrapReport::default();
        for entry in fs::read_dir(self.root.join("keys")).map_err(io_err)? {
            let path = entry.map_err(io_err)?.path();
            let Some(id) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".key"))
                .and_then(|n| n.parse::<VerificationId>().ok())
            else {
                continue; // the lock, temporary files
            };
            let _lock = self.key_lock()?;
            let wrapped = match fs::read(&path) {
                Ok(w) => w,
                // erased since the directory was listed
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(e)),
            };
            report.keys += 1;
            match self
                .keys
                .rewrap(&wrapped, id.to_string().as_bytes())
                .map_err(|e| crypto_err(&e))?
            {
                None => report.already_current += 1,
                Some(new) => {
                    replace_private(&path, &new).map_err(io_err)?;
                    report.rewrapped += 1;
                }
            }
        }
        Ok(report)
    }

    fn object_path(&self, key: &ObjectKey) -> PathBuf {
        self.root.join("objects").join(key.path())
    }

    fn key_path(&self, id: &VerificationId) -> PathBuf {
        self.root.join("keys").join(format!("{id}.key"))
    }

    fn load_data_key(&self, id: &VerificationId) -> Result<DataKey, StoreError> {
        let wrapped = fs::read(self.key_path(id)).map_err(io_err)?;
        self.keys.unwrap_key(&wrapped, id.to_string().as_bytes()).map_err(|e| crypto_err(&e))
    }

    /// The verification's data key, created on first use. Concurrent creators
    /// race on an atomic link; the loser uses the winner's key.
    fn data_key(&self, id: &VerificationId) -> Result<DataKey, StoreError> {
        match self.load_data_key(id) {
            Err(StoreError::NotFound) => {
                let dek = DataKey::generate();
                let wrapped = self.keys.wrap(&dek, id.to_string().as_bytes());
                match write_atomic(&self.key_path(id), &wrapped, true) {
                    Ok(()) => Ok(dek),
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => self.load_data_key(id),
                    Err(e) => Err(io_err(e)),
                }
            }
            other => other,
        }
    }

    fn put_blocking(
        &self,
        key: &ObjectKey,
        body: &[u8],
        meta: &ObjectMeta,
        mode: PutMode,
    ) -> Result<(), StoreError> {
        let path = self.object_path(key);
        if mode == PutMode::Create && path.exists() {
            return Err(StoreError::Conflict);
        }
        let dek = self.data_key(&key.verification_id)?;
        let sealed = seal_object(&dek, key, meta, body)?;
        write_atomic(&path, &sealed, mode == PutMode::Create).map_err(io_err)
    }

    fn get_blocking(&self, key: &ObjectKey) -> Result<StoredObject, StoreError> {
        let sealed = fs::read(self.object_path(key)).map_err(io_err)?;
        let dek = self.load_data_key(&key.verification_id)?;
        open_object(&dek, key, &sealed)
    }

    fn erase_blocking(&self, id: &VerificationId) -> Result<(), StoreError> {
        // destroy the data key first: from then on nothing of this verification decrypts
        let key_path = self.key_path(id);
        let lock = self.key_lock()?;
        if remove_if_exists(&key_path).map_err(io_err)?
            && let Some(dir) = key_path.parent()
        {
            sync_dir(dir).map_err(io_err)?;
        }
        drop(lock);
        for prefix in crate::backend::verification_prefixes(id) {
            let path = self.root.join("objects").join(&prefix);
            if prefix.ends_with('/') {
                match fs::remove_dir_all(&path) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_err(e)),
                    _ => {}
                }
            } else {
                remove_if_exists(&path).map_err(io_err)?;
            }
        }
        Ok(())
    }

    /// Removes temporary files older than `age` left by a crash mid-write.
    pub fn remove_stale_temp_files(&self, age: Duration) -> Result<usize, StoreError> {
        fn walk(dir: &Path, age: Duration, removed: &mut usize) -> io::Result<()> {
            for entry in fs::read_dir(dir)? {
                let entry = entry?;
                let path = entry.path();
                let ft = entry.file_type()?;
                if ft.is_dir() {
                    walk(&path, age, removed)?;
                } else if path.file_name().is_some_and(|n| n.to_string_lossy().contains(".tmp-")) {
                    let old = entry
                        .metadata()?
                        .modified()
                        .ok()
                        .and_then(|m| SystemTime::now().duration_since(m).ok())
                        .is_some_and(|d| d >= age);
                    if old && remove_if_exists(&path)? {
                        *removed += 1;
                    }
                }
            }
            Ok(())
        }
        let mut removed = 0;
        walk(&self.root, age, &mut removed).map_err(io_err)?;
        Ok(removed)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Self) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || f(&this)).await.map_err(StoreError::backend)?
    }
}

#[async_trait]
impl ObjectStore for LocalObjectStore {
    async fn put(
        &self,
        key: &ObjectKey,
        body: Bytes,
        meta: &ObjectMeta,
        mode: PutMode,
    ) -> Result<(), StoreError> {
        let (key, meta) = (key.clone(), meta.clone());
        self.blocking(move |s| s.put_blocking(&key, &body, &meta, mode)).await
    }

    async fn get(&self, key: &ObjectKey) -> Result<StoredObject, StoreError> {
        let key = key.clone();
        self.blocking(move |s| s.get_blocking(&key)).await
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        let path = self.object_path(key);
        self.blocking(move |_| remove_if_exists(&path).map(|_| ()).map_err(io_err)).await
    }

    async fn erase_verification(&self, id: &VerificationId) -> Result<(), StoreError> {
        let id = *id;
        self.blocking(move |s| s.erase_blocking(&id)).await
    }
}
