//! HTTPS on a loopback socket: the handshake, HSTS, certificate reload, and
//! what plain-text and silent clients get.

use crate::harness::Harness;
use kyc_server::{
    ServerConfig,
    config::{HttpConfig, TlsConfig},
    server::{ListenerLimits, serve},
    tls::{ReloadingCert, acceptor},
};
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use tokio_rustls::TlsConnector;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls").join(name)
}

fn der(name: &str) -> CertificateDer<'static> {
    CertificateDer::pem_file_iter(fixture(name)).unwrap().next().unwrap().unwrap()
}

struct Served {
    addr: SocketAddr,
    resolver: Arc<ReloadingCert>,
    cert: PathBuf,
    key: PathBuf,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
    std::fs::copy(fixture("a.crt"), &cert).unwrap();
    std::fs::copy(fixture("a.key"), &key).unwrap();
    let config = ServerConfig {
        http: HttpConfig { header_read_timeout_secs: 1, ..HttpConfig::default() },
        tls: TlsConfig {
            cert_file: Some(cert.clone()),
            key_file: Some(key.clone()),
            ..TlsConfig::default()
        },
        ..ServerConfig::default()
    };
    let limits = ListenerLimits::from(&config.http);
    let harness = Harness::with_config(config);
    let resolver = Arc::new(ReloadingCert::load(&cert, &key).unwrap());
    let tls = acceptor(resolver.clone()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _keep = harness;
        serve(listener, _keep.app.clone(), limits, Some(tls), async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    Served { addr, resolver, cert, key, _dir: dir, _stop: stop }
}

fn connector() -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der("ca.crt")).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// GET /healthz over TLS: the answer and the certificate the server showed.
async fn get_healthz(addr: SocketAddr) -> (String, CertificateDer<'static>) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = connector().connect(name, tcp).await.unwrap();
    let shown = tls.get_ref().1.peer_certificates().unwrap()[0].clone().into_owned();
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    (String::from_utf8_lossy(&out).into_owned(), shown)
}

#[tokio::test]
async fn https_answers_with_hsts_and_serves_a_renewed_certificate() {
    let s = start().await;
    let (answer, shown) = get_healthz(s.addr).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("strict-transport-security: max-age=31536000"),
        "{answer}"
    );
    assert_eq!(shown, der("a.crt"));

    // the certificate is renewed on disk; the next handshake shows the new one
    std::fs::copy(fixture("b.crt"), &s.cert).unwrap();
    std::fs::copy(fixture("b.key"), &s.key).unwrap();
    assert!(s.resolver.reload_if_changed().unwrap());
    let (answer, shown) = get_healthz(s.addr).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(shown, der("b.crt"));
}

#[tokio::test]
async fn plain_http_on_the_tls_port_gets_no_http_answer() {
    let s = start().await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3), c.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the connection stayed open");
    assert!(!String::from_utf8_lossy(&out).contains("200 OK"));
}

#[tokio::test]
async fn a_silent_client_is_dropped_before_the_handshake() {
    let s = start().await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 16];
    let closed = tokio::time::timeout(Duration::from_secs(4), c.read(&mut buf)).await;
    assert!(matches!(closed, Ok(Ok(0) | Err(_))), "{closed:?}");
    assert!(start.elapsed() < Duration::from_millis(2500), "{:?}", start.elapsed());
}
