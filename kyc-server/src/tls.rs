//! TLS for `kyc serve` (feature `tls`): rustls with the ring provider, TLS
//! 1.2 and 1.3, HTTP/1.1 by ALPN. The certificate chain and key come from
//! PEM files (`[tls] cert_file`, `key_file`) and are reloaded when either
//! file changes, so a renewed certificate is served without a restart; a
//! renewal that does not parse is logged and the old pair stays in service.

use rustls::{
    crypto::ring,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
    server::{ClientHello, ResolvesServerCert},
    sign::CertifiedKey,
};
use std::{
    path::{Path, PathBuf},
    sync::{Arc, PoisonError, RwLock},
    time::SystemTime,
};
use tokio_rustls::TlsAcceptor;

/// Why the certificate or key could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read or holds no PEM of the expected kind.
    #[error("{path}: {what}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// The key does not match the certificate, or rustls refused them.
    #[error("certificate and key: {0}")]
    Pair(#[from] rustls::Error),
}

/// When each file last changed (mtime and length), to notice renewals.
type Stamp = [(Option<SystemTime>, u64); 2];

fn stamp(cert: &Path, key: &Path) -> Stamp {
    [cert, key].map(|p| std::fs::metadata(p).map_or((None, 0), |m| (m.modified().ok(), m.len())))
}

fn load_pair(cert: &Path, key: &Path) -> Result<Arc<CertifiedKey>, TlsError> {
    let file_err = |path: &Path, what: String| TlsError::File { path: path.to_owned(), what };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| file_err(cert, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_err(cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(file_err(cert, "no CERTIFICATE in the file".into()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| file_err(key, e.to_string()))?;
    let signing = ring::sign::any_supported_type(&key_der)?;
    let pair = CertifiedKey::new(chain, signing);
    pair.keys_match()?;
    Ok(Arc::new(pair))
}

/// The certificate in service, swapped when its files change.
#[derive(Debug)]
pub struct ReloadingCert {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<(Arc<CertifiedKey>, Stamp)>,
}

impl ReloadingCert {
    /// Loads the pair (a startup error names the file at fault).
    pub fn load(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let stamp = stamp(cert, key);
        let pair = load_pair(cert, key)?;
        Ok(Self { cert: cert.to_owned(), key: key.to_owned(), current: RwLock::new((pair, stamp)) })
    }

    /// Reloads the pair if either file changed; `Ok(true)` when a new one is
    /// in service. On error the old pair stays.
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        let now = stamp(&self.cert, &self.key);
        if self.current.read().unwrap_or_else(PoisonError::into_inner).1 == now {
            return Ok(false);
        }
        let pair = load_pair(&self.cert, &self.key)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = (pair, now);
        Ok(true)
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(PoisonError::into_inner).0.clone())
    }
}

/// The acceptor over `cert`: TLS 1.2 and 1.3 (ring), ALPN `http/1.1`.
pub fn acceptor(cert: Arc<ReloadingCert>) -> Result<TlsAcceptor, TlsError> {
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(cert);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls").join(name)
    }

    #[test]
    fn bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let err = ReloadingCert::load(&missing, &fixture("a.key")).unwrap_err().to_string();
        assert!(err.contains("missing.pem"), "{err}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not pem").unwrap();
        let err = ReloadingCert::load(&empty, &fixture("a.key")).unwrap_err().to_string();
        assert!(err.contains("empty.pem"), "{err}");
        // a key that is not the certificate's
        let err = ReloadingCert::load(&fixture("a.crt"), &fixture("b.key")).unwrap_err();
        assert!(matches!(err, TlsError::Pair(_)), "{err}");
        assert!(ReloadingCert::load(&fixture("a.crt"), &fixture("a.key")).is_ok());
    }

    #[test]
    fn a_broken_renewal_keeps_the_old_pair() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::copy(fixture("a.crt"), &cert).unwrap();
        std::fs::copy(fixture("a.key"), &key).unwrap();
        let r = ReloadingCert::load(&cert, &key).unwrap();
        assert!(!r.reload_if_changed().unwrap(), "nothing changed");
        std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\ngarbage\n").unwrap();
        assert!(r.reload_if_changed().is_err());
        let served = r.current.read().unwrap().0.cert[0].clone();
        let a = CertificateDer::pem_file_iter(fixture("a.crt")).unwrap().next().unwrap().unwrap();
        assert_eq!(served, a, "the old certificate is still served");
    }
}
