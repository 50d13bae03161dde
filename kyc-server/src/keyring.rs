//! The master keys in service and the derivation root.
//!
//! * **Current and previous master key.** Data keys are wrapped under the
//!   current key; a wrapped key names the master key it was wrapped with,
//!   and either key unwraps its own. A rotation is: restart with the new key
//!   as current and the old one as previous (`KYC_PREVIOUS_MASTER_KEY` or
//!   `previous_master_key_file`), run `kyc keys rotate` (re-wraps whatever is
//!   still under the previous key; resumable, the server keeps serving),
//!   then drop the previous key.
//! * **Derivation root.** The client-token, audit-chain and OCR-data keys
//!   are derived from a random root stored wrapped in
//!   `{data_dir}/derivation.key`, not from the master key itself, so they
//!   survive a rotation (the audit chain still verifies, tokens and readings
//!   stay valid); rotation re-wraps the root like any data key. A data
//!   directory from before the root existed keeps its derived keys: its root
//!   is the master key it was created with.

use crate::crypto::{CryptoError, DataKey, MasterKey};
use std::{
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
};

/// Where the wrapped derivation root lives in the data directory.
pub const ROOT_FILE: &str = "derivation.key";
const ROOT_AAD: &[u8] = b"kyc-derivation-root-v1";

/// The master keys and the derivation root.
pub struct Keyring {
    current: MasterKey,
    previous: Option<MasterKey>,
    root: MasterKey,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id())
            .field("previous", &self.previous.as_ref().map(MasterKey::id))
            .finish_non_exhaustive()
    }
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> CryptoError + '_ {
    move |source| CryptoError::KeyFile { path: path.display().to_string(), source }
}

impl Keyring {
    /// Opens the keyring of `data_dir`, creating its derivation root on first
    /// use (the master key itself when the directory already holds data).
    pub fn open(
        data_dir: &Path,
        current: MasterKey,
        previous: Option<MasterKey>,
    ) -> Result<Self, CryptoError> {
        let path = data_dir.join(ROOT_FILE);
        let mut ring = Self { root: MasterKey::from_bytes([0; 32]), current, previous };
        match fs::read(&path) {
            Ok(wrapped) => {
                ring.root = MasterKey::from_bytes(*ring.unwrap_key(&wrapped, ROOT_AAD)?.bytes())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let existing = data_dir.join("kyc.db").exists()
                    || fs::read_dir(data_dir.join("keys")).is_ok_and(|mut d| d.next().is_some());
                let root = if existing {
                    DataKey::from_bytes(*ring.current.bytes())
                } else {
                    DataKey::generate()
                };
                match write_new_private(&path, &ring.current.wrap(&root, ROOT_AAD)) {
                    Ok(()) => ring.root = MasterKey::from_bytes(*root.bytes()),
                    // another process created it first: use theirs
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        let wrapped = fs::read(&path).map_err(io_err(&path))?;
                        ring.root =
                            MasterKey::from_bytes(*ring.unwrap_key(&wrapped, ROOT_AAD)?.bytes());
                    }
                    Err(e) => return Err(io_err(&path)(e)),
                }
            }
            Err(e) => return Err(io_err(&path)(e)),
        }
        Ok(ring)
    }

    /// A keyring without a data directory (tests, in-memory state).
    pub fn ephemeral(current: MasterKey) -> Self {
        let root = MasterKey::from_bytes(*current.bytes());
        Self { current, previous: None, root }
    }

    /// The key new data keys are wrapped with.
    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    /// Wraps a data key under the current master key.
    pub fn wrap(&self, dek: &DataKey, aad: &[u8]) -> Vec<u8> {
        self.current.wrap(dek, aad)
    }

    /// Unwraps a data key under whichever master key wrapped it.
    pub fn unwrap_key(&self, wrapped: &[u8], aad: &[u8]) -> Result<DataKey, CryptoError> {
        match self.current.unwrap_key(wrapped, aad) {
            Err(CryptoError::WrongMasterKey { expected, found }) => match &self.previous {
                Some(p) if p.id() == found => p.unwrap_key(wrapped, aad),
                _ => Err(CryptoError::WrongMasterKey { expected, found }),
            },
            other => other,
        }
    }

    /// `wrapped` re-wrapped under the current key, or `None` if it already is.
    pub fn rewrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<Option<Vec<u8>>, CryptoError> {
        if self.current.unwrap_key(wrapped, aad).is_ok() {
            return Ok(None);
        }
        let dek = self.unwrap_key(wrapped, aad)?;
        Ok(Some(self.current.wrap(&dek, aad)))
    }

    /// A 32-byte subkey for `purpose`, from the derivation root.
    pub fn derive(&self, purpose: &[u8]) -> [u8; 32] {
        self.root.derive(purpose)
    }

    /// Re-wraps the derivation root under the current key; whether it changed.
    pub fn rewrap_root(&self, data_dir: &Path) -> Result<bool, CryptoError> {
        let path = data_dir.join(ROOT_FILE);
        let wrapped = fs::read(&path).map_err(io_err(&path))?;
        match self.rewrap(&wrapped, ROOT_AAD)? {
            None => Ok(false),
            Some(new) => {
                replace_private(&path, &new).map_err(io_err(&path))?;
                Ok(true)
            }
        }
    }
}

fn private_file(path: &Path, create_new: bool) -> io::Result<fs::File> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true);
    if create_new {
        opts.create_new(true);
    } else {
        opts.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

fn write_new_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = private_file(path, true)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Writes `bytes` to a private temporary file beside `path`, fsyncs it and
/// renames it over `path`: the old content or the new, never half.
pub(crate) fn replace_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp: PathBuf = path.with_extension(format!("tmp-rotate-{}", std::process::id()));
    {
        let mut f = private_file(&tmp, false)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_key_unwraps_its_own_and_rewrap_moves_to_the_current() {
        let dir = tempfile::tempdir().unwrap();
        let a = MasterKey::generate();
        let a_bytes = *a.bytes();
        let old = Keyring::open(dir.path(), a, None).unwrap();
        let dek = DataKey::generate();
        let wrapped = old.wrap(&dek, b"v1");
        let derived = old.derive(b"x");

        let b = MasterKey::generate();
        let ring = Keyring::open(dir.path(), b, Some(MasterKey::from_bytes(a_bytes))).unwrap();
        assert_eq!(ring.unwrap_key(&wrapped, b"v1").unwrap().bytes(), dek.bytes());
        assert_eq!(ring.derive(b"x"), derived, "derived keys survive the new master key");
        let moved = ring.rewrap(&wrapped, b"v1").unwrap().expect("under the previous key");
        assert!(ring.rewrap(&moved, b"v1").unwrap().is_none(), "already current");
        assert!(ring.rewrap_root(dir.path()).unwrap());
        assert!(!ring.rewrap_root(dir.path()).unwrap());

        // after the rotation the new key alone opens everything
        let b_only =
            Keyring::open(dir.path(), MasterKey::from_bytes(*ring.current().bytes()), None)
                .unwrap();
        assert_eq!(b_only.unwrap_key(&moved, b"v1").unwrap().bytes(), dek.bytes());
        assert_eq!(b_only.derive(b"x"), derived);
        // and the old key alone no longer opens the root
        let err = Keyring::open(dir.path(), MasterKey::from_bytes(a_bytes), None).unwrap_err();
        assert!(matches!(err, CryptoError::WrongMasterKey { .. }), "{err}");
    }

    #[test]
    fn a_new_directory_gets_a_random_root_and_an_old_one_keeps_its_derivations() {
        let fresh = tempfile::tempdir().unwrap();
        let k = MasterKey::generate();
        let k_bytes = *k.bytes();
        let ring = Keyring::open(fresh.path(), k, None).unwrap();
        assert_ne!(ring.derive(b"x"), MasterKey::from_bytes(k_bytes).derive(b"x"));

        let old = tempfile::tempdir().unwrap();
        fs::write(old.path().join("kyc.db"), b"").unwrap();
        let ring = Keyring::open(old.path(), MasterKey::from_bytes(k_bytes), None).unwrap();
        assert_eq!(ring.derive(b"x"), MasterKey::from_bytes(k_bytes).derive(b"x"));
    }
}
