//! Envelope encryption for the local object store, and key derivation.
//!
//! * Every verification gets its own random 256-bit **data key**; its objects
//!   are sealed with AES-256-GCM under that key, with the object's path as
//!   associated data (a file moved to another path does not decrypt).
//! * Data keys are stored only **wrapped** by the **key-encryption key**
//!   ([`MasterKey`]), again with AES-256-GCM and the verification id as
//!   associated data. Destroying a wrapped data key makes every copy of that
//!   verification's objects unreadable (crypto-shredding).
//! * The master key comes from `KYC_MASTER_KEY` (base64, 32 bytes) or a key
//!   file the server creates with mode 0600 on first start.

use aes_gcm::{
    Aes256Gcm, KeyInit,
    aead::{Aead, Payload},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use hkdf::Hkdf;
use rand::Rng;
use sha2::{Digest, Sha256};
use std::{fmt, io::Write, path::Path};

const SEALED_MAGIC: &[u8; 5] = b"KYCE1";
const WRAPPED_MAGIC: &[u8; 5] = b"KYCK1";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// A cryptographic failure. Messages never include key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Key material is not 32 bytes of base64.
    #[error("the master key must be 32 bytes, base64-encoded")]
    BadKey,
    /// Ciphertext failed authentication, or has the wrong format.
    #[error("ciphertext failed authentication")]
    Authentication,
    /// Wrapped with a different master key.
    #[error("data key was wrapped by master key {found}, not {expected}")]
    WrongMasterKey {
        /// Id of the key in use.
        expected: String,
        /// Id recorded in the wrapped key.
        found: String,
    },
    /// Reading or writing the key file failed.
    #[error("key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The key file is readable by others.
    #[error("key file {0} must not be readable by group or others (chmod 600)")]
    KeyFilePermissions(String),
}

fn nonce() -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut n);
    n
}

fn seal_with(key: &[u8; 32], magic: &[u8], prefix: &[u8], plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let n = nonce();
    let cipher = Aes256Gcm::new(key.into());
    let mut out =
        Vec::with_capacity(magic.len() + prefix.len() + NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(magic);
    out.extend_from_slice(prefix);
    out.extend_from_slice(&n);
    // AES-GCM encryption only fails for messages over 64 GiB, far above any limit here.
    let ct = cipher.encrypt(&n.into(), Payload { msg: plaintext, aad }).unwrap_or_default();
    out.extend_from_slice(&ct);
    out
}

fn open_with(key: &[u8; 32], body: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if body.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Authentication);
    }
    let (n, ct) = body.split_at(NONCE_LEN);
    let n: [u8; NONCE_LEN] = n.try_into().map_err(|_| CryptoError::Authentication)?;
    Aes256Gcm::new(key.into())
        .decrypt(&n.into(), Payload { msg: ct, aad })
        .map_err(|_| CryptoError::Authentication)
}

/// A verification's data key.
pub struct DataKey([u8; 32]);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    /// The key's bytes (the keyring wraps and derives with them). Secret:
    /// never log or persist them unwrapped.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A key from its bytes (e.g. [`MasterKey::derive`]).
    pub fn from_bytes(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        Self(k)
    }

    /// Encrypts `plaintext`, authenticating `aad` too.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        seal_with(&self.0, SEALED_MAGIC, &[], plaintext, aad)
    }

    /// Decrypts what [`DataKey::seal`] produced with the same `aad`.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let body = sealed.strip_prefix(SEALED_MAGIC).ok_or(CryptoError::Authentication)?;
        open_with(&self.0, body, aad)
    }
}

/// Seals an object as the durable object stores keep it:
/// `seal(data key, len(meta) ‖ meta JSON ‖ body, aad = key.path())`, so the
/// content type and the content are both encrypted and bound to the path (a
/// sealed object copied under another key or verification does not open).
pub fn seal_object(
    dek: &DataKey,
    key: &crate::ObjectKey,
    meta: &crate::ObjectMeta,
    body: &[u8],
) -> Result<Vec<u8>, crate::StoreError> {
    let meta_json = serde_json::to_vec(meta).map_err(crate::StoreError::backend)?;
    let meta_len = u32::try_from(meta_json.len())
        .map_err(|_| crate::StoreError::Corrupt("metadata too large"))?;
    let mut plain = Vec::with_capacity(4 + meta_json.len() + body.len());
    plain.extend_from_slice(&meta_len.to_be_bytes());
    plain.extend_from_slice(&meta_json);
    plain.extend_from_slice(body);
    Ok(dek.seal(&plain, key.path().as_bytes()))
}

/// Opens what [`seal_object`] sealed under the same key and path.
pub fn open_object(
    dek: &DataKey,
    key: &crate::ObjectKey,
    sealed: &[u8],
) -> Result<crate::StoredObject, crate::StoreError> {
    use crate::StoreError;
    let plain = dek
        .open(sealed, key.path().as_bytes())
        .map_err(|_| StoreError::Corrupt("authentication failed"))?;
    let bad = || StoreError::Corrupt("bad object framing");
    let len_bytes: [u8; 4] = plain.get(..4).ok_or_else(bad)?.try_into().map_err(|_| bad())?;
    let meta_end = 4 + u32::from_be_bytes(len_bytes) as usize;
    let meta: crate::ObjectMeta =
        serde_json::from_slice(plain.get(4..meta_end).ok_or_else(bad)?).map_err(|_| bad())?;
    let body = bytes::Bytes::from(plain).slice(meta_end..);
    Ok(crate::StoredObject { body, meta })
}

/// The key-encryption key.
pub struct MasterKey {
    key: [u8; 32],
    id: String,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl MasterKey {
    /// From raw bytes.
    pub fn from_bytes(key: [u8; 32]) -> Self {
        let digest = Sha256::digest([b"kyc-master-key-id\n".as_slice(), &key].concat());
        let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Self { key, id }
    }

    /// From base64 (e.g. `KYC_MASTER_KEY`).
    pub fn from_base64(s: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD.decode(s.trim()).map_err(|_| CryptoError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self::from_bytes(key))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        Self::from_bytes(k)
    }

    /// Loads an existing key file (mode 0600, base64); never creates one.
    pub fn load_existing(path: &Path) -> Result<Self, CryptoError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| CryptoError::KeyFile { path: path.display().to_string(), source })?;
        check_permissions(path)?;
        Self::from_base64(&text)
    }

    /// Loads the key file, or creates it (mode 0600, base64) if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        let file_err = |source| CryptoError::KeyFile { path: path.display().to_string(), source };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                check_permissions(path)?;
                Self::from_base64(&text)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                set_private_mode(&mut opts);
                match opts.open(path) {
                    Ok(mut f) => {
                        writeln!(f, "{}", STANDARD.encode(key.key)).map_err(file_err)?;
                        f.sync_all().map_err(file_err)?;
                        Ok(key)
                    }
                    // another process created it first: use theirs
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        let text = std::fs::read_to_string(path).map_err(file_err)?;
                        Self::from_base64(&text)
                    }
                    Err(e) => Err(file_err(e)),
                }
            }
            Err(e) => Err(file_err(e)),
        }
    }

    /// The key's bytes (the derivation root of a data directory made before
    /// it had one). Secret: never log or persist them.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// A short public id of this key (first 8 bytes of a hash), stored with wrapped keys.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Wraps a data key, binding it to `aad` (the verification id).
    pub fn wrap(&self, dek: &DataKey, aad: &[u8]) -> Vec<u8> {
        seal_with(&self.key, WRAPPED_MAGIC, self.id.as_bytes(), &dek.0, aad)
    }

    /// Unwraps a data key wrapped by this master key with the same `aad`.
    pub fn unwrap_key(&self, wrapped: &[u8], aad: &[u8]) -> Result<DataKey, CryptoError> {
        let rest = wrapped.strip_prefix(WRAPPED_MAGIC).ok_or(CryptoError::Authentication)?;
        let id_len = self.id.len();
        if rest.len() < id_len {
            return Err(CryptoError::Authentication);
        }
        let (id, body) = rest.split_at(id_len);
        if id != self.id.as_bytes() {
            return Err(CryptoError::WrongMasterKey {
                expected: self.id.clone(),
                found: String::from_utf8_lossy(id).into_owned(),
            });
        }
        let plain = open_with(&self.key, body, aad)?;
        let key: [u8; 32] = plain.try_into().map_err(|_| CryptoError::Authentication)?;
        Ok(DataKey(key))
    }

    /// A 32-byte subkey for `purpose` (HKDF-SHA256), e.g. the client-token signing key.
    pub fn derive(&self, purpose: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's 8160-byte output limit
        let _ = Hkdf::<Sha256>::new(Some(b"kyc-server"), &self.key).expand(purpose, &mut out);
        out
    }
}

#[cfg(unix)]
fn set_private_mode(opts: &mut std::fs::OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    opts.mode(0o600);
}

#[cfg(not(unix))]
fn set_private_mode(_: &mut std::fs::OpenOptions) {}

#[cfg(unix)]
fn check_permissions(path: &Path) -> Result<(), CryptoError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .map_err(|source| CryptoError::KeyFile { path: path.display().to_string(), source })?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(CryptoError::KeyFilePermissions(path.display().to_string()));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_: &Path) -> Result<(), CryptoError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_aad_binding() {
        let dek = DataKey::generate();
        let sealed = dek.seal(b"image bytes", b"kyc-id-uploads/a.jpg");
        assert!(!sealed.windows(5).any(|w| w == b"image"));
        assert_eq!(dek.open(&sealed, b"kyc-id-uploads/a.jpg").unwrap(), b"image bytes");
        assert!(dek.open(&sealed, b"kyc-id-uploads/b.jpg").is_err());
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(dek.open(&tampered, b"kyc-id-uploads/a.jpg").is_err());
        assert!(DataKey::generate().open(&sealed, b"kyc-id-uploads/a.jpg").is_err());
    }

    #[test]
    fn wrap_unwrap_and_wrong_master() {
        let kek = MasterKey::generate();
        let dek = DataKey::generate();
        let wrapped = kek.wrap(&dek, b"v1");
        let back = kek.unwrap_key(&wrapped, b"v1").unwrap();
        assert_eq!(back.0, dek.0);
        assert!(kek.unwrap_key(&wrapped, b"v2").is_err());
        let other = MasterKey::generate();
        assert!(matches!(
            other.unwrap_key(&wrapped, b"v1"),
            Err(CryptoError::WrongMasterKey { .. })
        ));
    }

    #[test]
    fn key_file_is_created_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let a = MasterKey::load_or_create(&path).unwrap();
        let b = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(a.id(), b.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(
                MasterKey::load_or_create(&path),
                Err(CryptoError::KeyFilePermissions(_))
            ));
        }
    }

    #[test]
    fn base64_keys_and_debug_redaction() {
        assert!(MasterKey::from_base64("short").is_err());
        let k = MasterKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        assert_eq!(k.derive(b"a"), MasterKey::from_bytes([7u8; 32]).derive(b"a"));
        assert_ne!(k.derive(b"a"), k.derive(b"b"));
        let dbg = format!("{k:?}");
        assert!(dbg.contains(k.id()) && !dbg.contains("key:"));
    }
}
