//! The HTTP listener: HTTP/1.1 connections (over TLS when an acceptor is
//! given) with a header-read timeout, a request-head size limit, a cap on
//! connections served at once, and a graceful shutdown.
//!
//! `axum::serve` sets none of these (a header trickled a byte at a time held
//! a connection for ever; a 200 KiB header was read). Body-read and
//! whole-request deadlines are middleware (`api::deadline`), so they hold
//! however the router is served. Plain HTTP/2 (h2c) is not offered:
//! browsers speak HTTP/2 only over TLS, and the proxies that terminate TLS
//! in front of `kyc serve` speak HTTP/1.1 to it.

use crate::config::HttpConfig;
use axum::{Router, extract::ConnectInfo};
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use std::{future::Future, io, sync::Arc, time::Duration};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;

/// What the listener enforces, from `[http]`.
#[derive(Debug, Clone, Copy)]
pub struct ListenerLimits {
    /// Time to receive a request head; also how long an idle connection stays open.
    pub header_read_timeout: Duration,
    /// Largest request head in bytes (at least 8192); more is answered 431.
    pub max_header_bytes: usize,
    /// Connections served at once.
    pub max_connections: usize,
    /// How long shutdown waits for connections in flight.
    pub shutdown_grace: Duration,
}

impl From<&HttpConfig> for ListenerLimits {
    fn from(c: &HttpConfig) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(c.header_read_timeout_secs),
            max_header_bytes: c.max_header_bytes.max(8192),
            max_connections: c.max_connections.max(1),
            shutdown_grace: Duration::from_secs(c.shutdown_grace_secs),
        }
    }
}

/// The TLS acceptor type `serve` takes (feature `tls`; without it, `serve`
/// only ever gets `None`).
#[cfg(feature = "tls")]
pub type Tls = tokio_rustls::TlsAcceptor;
/// The TLS acceptor type `serve` takes (feature `tls` is off: none can be made).
#[cfg(not(feature = "tls"))]
#[derive(Debug, Clone)]
pub enum Tls {}

/// Serves `app` on `listener` (over TLS with `tls`) until `shutdown`
/// completes, then waits up to the grace period for open connections. Each
/// request carries the peer address as [`ConnectInfo`]`<SocketAddr>`. A TLS
/// handshake must finish within the header-read timeout.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ListenerLimits,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes)
        .keep_alive(true);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // a connection is accepted only once it can be served: the rest
        // wait in the kernel's backlog instead of holding memory here
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning
                    tracing::warn!(error = %e, error_code = "accept_failed", "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(move |mut req: axum::extract::Request<_>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let service = TowerToHyperService::new(service);
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            let served = match tls {
                None => {
                    watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await
                }
                #[cfg(feature = "tls")]
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream));
                    match handshake.await {
                        Ok(Ok(tls_stream)) => {
                            let conn = builder.serve_connection(TokioIo::new(tls_stream), service);
                            watcher.watch(conn).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, "TLS handshake failed");
                            Ok(())
                        }
                        Err(_) => {
                            tracing::debug!("TLS handshake timed out");
                            Ok(())
                        }
                    }
                }
                #[cfg(not(feature = "tls"))]
                Some(never) => match never {},
            };
            if let Err(e) = served {
                // header timeouts (closed without an answer), resets and
                // bad heads (hyper has answered them 400 or 431) end here
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            error_code = "shutdown_grace_exceeded",
            "connections still open after the shutdown grace period"
        );
    }
    Ok(())
}
