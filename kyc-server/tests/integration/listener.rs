//! The listener on a real loopback socket: slow or oversized requests and
//! too many connections, sent byte by byte as an attacker would.

use crate::harness::Harness;
use kyc_server::{
    ServerConfig,
    config::HttpConfig,
    server::{ListenerLimits, serve},
};
use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::oneshot,
};

struct Server {
    addr: SocketAddr,
    harness: Harness,
    _stop: oneshot::Sender<()>,
}

async fn start(http: HttpConfig) -> Server {
    let harness = Harness::with_config(ServerConfig { http, ..ServerConfig::default() });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let app = harness.app.clone();
    tokio::spawn(async move {
        serve(listener, app, ListenerLimits::from(&http), None, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    Server { addr, harness, _stop: stop }
}

/// Reads until the peer closes (or `within` passes): what was received and
/// whether the connection was closed in time.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), false),
            Ok(Ok(0) | Err(_)) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

fn quick(http: HttpConfig) -> HttpConfig {
    HttpConfig { header_read_timeout_secs: 1, ..http }
}

#[tokio::test]
async fn trickled_headers_are_cut_off() {
    let s = start(quick(HttpConfig::default())).await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let start = Instant::now();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    // a header line every 200 ms: never idle, never finished
    let (mut rd, mut wr) = c.into_split();
    let writer = tokio::spawn(async move {
        for i in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if wr.write_all(format!("X-Slow-{i}: a\r\n").as_bytes()).await.is_err() {
                return i;
            }
        }
        50
    });
    let mut buf = [0u8; 256];
    let closed = tokio::time::timeout(Duration::from_secs(5), rd.read(&mut buf)).await;
    assert!(matches!(closed, Ok(Ok(0) | Err(_))), "still open after 5 s: {closed:?}");
    let took = start.elapsed();
    assert!(took < Duration::from_millis(2500), "closed after {took:?}, not ~1 s");
    let sent = writer.await.unwrap();
    assert!(sent < 20, "the server kept reading {sent} trickled header lines");
}

#[tokio::test]
async fn an_idle_connection_is_closed() {
    let s = start(quick(HttpConfig::default())).await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let (got, closed) = read_until_closed(&mut c, Duration::from_secs(4)).await;
    assert!(closed && got.is_empty(), "idle connection: closed={closed}, got {got:?}");
}

#[tokio::test]
async fn keep_alive_still_works_between_quick_requests() {
    let s = start(quick(HttpConfig::default())).await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    for _ in 0..3 {
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = c.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn a_200_kib_header_gets_431() {
    let s = start(HttpConfig::default()).await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let big = "a".repeat(200 * 1024);
    let req = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n");
    let (mut rd, mut wr) = c.split();
    let (_, (got, closed)) = tokio::join!(
        async {
            let _ = wr.write_all(req.as_bytes()).await;
        },
        async {
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            let closed = loop {
                match tokio::time::timeout(Duration::from_secs(5), rd.read(&mut buf)).await {
                    Ok(Ok(0) | Err(_)) => break true,
                    Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
                    Err(_) => break false,
                }
            };
            (String::from_utf8_lossy(&got).into_owned(), closed)
        }
    );
    assert!(got.starts_with("HTTP/1.1 431"), "answer to a 200 KiB header: {got:?}");
    assert!(closed);
    // a head under the limit is served
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let ok =
        format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(32 * 1024));
    c.write_all(ok.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = c.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
}

#[tokio::test]
async fn a_body_dripped_at_a_byte_per_200_ms_gets_408_and_the_connection_closes() {
    let s = start(HttpConfig {
        body_read_timeout_secs: 2,
        request_timeout_secs: 3,
        ..HttpConfig::default()
    })
    .await;
    let secret = s.harness.secret().await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST /v1/verifications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {secret}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
    );
    c.write_all(head.as_bytes()).await.unwrap();
    let start = Instant::now();
    let (mut rd, mut wr) = c.into_split();
    tokio::spawn(async move {
        for _ in 0..900 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if wr.write_all(b" ").await.is_err() {
                return;
            }
        }
    });
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(6), rd.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => break true,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => break false,
        }
    };
    let took = start.elapsed();
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 408"), "{got:?}");
    assert!(got.contains("\"code\":\"request_timeout\""), "{got:?}");
    assert!(closed, "the connection stayed open after the 408");
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn connections_past_the_cap_wait_for_a_free_one() {
    let s = start(HttpConfig { max_connections: 2, ..HttpConfig::default() }).await;
    let held1 = TcpStream::connect(s.addr).await.unwrap();
    let _held2 = TcpStream::connect(s.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // the kernel completes the handshake (backlog), the server does not serve it
    let mut third = TcpStream::connect(s.addr).await.unwrap();
    third.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 4096];
    let early = tokio::time::timeout(Duration::from_millis(800), third.read(&mut buf)).await;
    assert!(early.is_err(), "a third connection was served past max_connections = 2");
    drop(held1);
    let n = tokio::time::timeout(Duration::from_secs(3), third.read(&mut buf))
        .await
        .expect("served once a connection closed")
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
}

#[tokio::test]
async fn requests_carry_the_peer_address() {
    // the failed-authentication limit keys on it: 31 wrong secrets from
    // this socket's address end in 429, as they do through `kyc serve`
    let s = start(HttpConfig::default()).await;
    let mut last = String::new();
    for _ in 0..31 {
        let mut c = TcpStream::connect(s.addr).await.unwrap();
        c.write_all(
            b"GET /v1/verifications/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_wrong\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        last = read_until_closed(&mut c, Duration::from_secs(3)).await.0;
    }
    assert!(last.starts_with("HTTP/1.1 429"), "{last:?}");
}
