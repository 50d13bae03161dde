//! Test support (feature `testing`): a `moto_server` on a free loopback
//! port, stopped by PID when the guard drops (panics included), and fresh
//! resources in it made by [`crate::bootstrap`]. Used by this crate's tests
//! and by `kyc-server`'s end-to-end test of `kyc serve` on AWS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::AwsSettings;
use aws_config::{Region, SdkConfig};
use aws_sdk_s3::config::Credentials;
use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// The emulator; killed (by its PID) when dropped, panics included.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:{port}`.
    pub endpoint: String,
}

fn moto_server() -> PathBuf {
    if let Some(p) = std::env::var_os("KYC_MOTO_SERVER") {
        return p.into();
    }
    let cached = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache/kyc-ci/moto/bin/moto_server"))
        .filter(|p| p.exists());
    cached.unwrap_or_else(|| "moto_server".into())
}

fn ready(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req =
        format!("GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.ends_with(b"200")
}

impl Moto {
    /// Starts `moto_server` (`$KYC_MOTO_SERVER`, else
    /// `~/.cache/kyc-ci/moto/bin/moto_server`, else `PATH`) and waits until it
    /// answers. Fails the test when it cannot: these tests never skip.
    pub fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let bin = moto_server();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}): install the emulator with \
                     `python3 -m venv ~/.cache/kyc-ci/moto && ~/.cache/kyc-ci/moto/bin/pip install 'moto[server]==5.2.6'` \
                     or point KYC_MOTO_SERVER at moto_server (.ci/run does this)",
                    bin.display()
                )
            });
        let mut moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ready(port) {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited: {status}");
            }
            assert!(Instant::now() < deadline, "moto_server not ready after 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// SDK configuration for the emulator: fixed test credentials, us-east-1.
    pub async fn sdk(&self, settings: &AwsSettings) -> SdkConfig {
        settings
            .loader()
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .load()
            .await
    }

    /// Settings for fresh resources (bucket, key, tables with unique names),
    /// made by `kyc_server_aws::bootstrap` as `kyc aws bootstrap` makes them.
    pub async fn fresh(&self) -> (SdkConfig, AwsSettings) {
        let suffix = format!("{:016x}", rand::random::<u64>());
        let settings = AwsSettings {
            endpoint_url: Some(self.endpoint.clone()),
            bucket: format!("kyc-test-{suffix}"),
            kms_key_id: format!("alias/kyc-test-{suffix}"),
            audit_table: format!("KycAuditLog-{suffix}"),
            ocr_table: format!("KycOcrData-{suffix}"),
            keys_table: format!("KycKeys-{suffix}"),
            liveness_table: format!("KycLiveness-{suffix}"),
            jobs_table: format!("KycJobs-{suffix}"),
            verifications_table: format!("KycVerifications-{suffix}"),
            dead_letter_queues: vec![
                format!("kyc-test-ocr-dlq-{suffix}"),
                format!("kyc-test-screening-dlq-{suffix}"),
            ],
            ..AwsSettings::default()
        };
        let sdk = self.sdk(&settings).await;
        let (settings, report) = crate::bootstrap(&sdk, &settings).await.unwrap();
        assert_eq!(report.created.len(), 10, "{report:?}");
        let (_, again) = crate::bootstrap(&sdk, &settings).await.unwrap();
        assert_eq!((again.created.len(), again.existing.len()), (0, 10), "bootstrap is idempotent");
        (sdk, settings)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
