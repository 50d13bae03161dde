//! A full disk and a read-only data directory, on a real filesystem:
//! a small tmpfs mounted as the data directory (needs root; skipped, and
//! said so, otherwise). Every failure is a clean 503 `storage_unavailable`,
//! never a 500; everything acknowledged stays readable; the server recovers
//! without a restart when space returns; a read-only data directory stops
//! the server at startup with the path and the reason; the audit chain
//! verifies throughout.

use crate::harness::{Harness, T0, document_photo};
use kyc_core::Timestamp;
use kyc_server::{AppState, ServerConfig, app};
use std::{path::PathBuf, process::Command, sync::Arc};

struct Mount(PathBuf);

impl Mount {
    fn tmpfs(path: PathBuf, size: &str) -> Option<Self> {
        std::fs::create_dir_all(&path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self(path))
    }

    fn remount(&self, opts: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.0)
            .status()
            .unwrap()
            .success();
        assert!(ok, "remount {opts}");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(str::to_owned))
        .is_some_and(|l| l.split_whitespace().nth(2) == Some("0"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_or_read_only_disk_is_a_clean_503_and_recovers() {
    if !is_root() {
        eprintln!("SKIPPED: mounting a tmpfs data directory needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mount = Mount::tmpfs(data.clone(), "3m").expect("root could not mount a tmpfs");
    let config = ServerConfig { data_dir: data.clone(), ..Default::default() };
    let (state, _local) = AppState::local(config, None).unwrap();
    let h = Harness {
        app: app(state.clone()),
        clock: Arc::new(kyc_server::clock::ManualClock::new(Timestamp::from_unix_millis(T0))),
        state,
    };
    let sk = h.secret().await;

    // fill the disk: every answer is a success or a clean 503, never a 500
    let mut stored = Vec::new();
    let mut refused = None;
    for i in 0..200 {
        let r = h.post_json("/v1/verifications", &sk, "{}").await;
        if r.status != 201 {
            refused = Some(r);
            break;
        }
        let id = r.json()["verificationId"].as_str().unwrap().to_owned();
        let photo = document_photo(i);
        let up = h
            .upload(&format!("/v1/verifications/{id}/document"), &sk, photo.clone(), "image/jpeg")
            .await;
        if up.status != 200 {
            refused = Some(up);
            break;
        }
        stored.push((id, photo));
    }
    let refused = refused.expect("a 3 MiB disk never filled");
    refused.assert_error(503, "storage_unavailable");
    assert!(refused.headers.contains_key("retry-after"));
    assert!(stored.len() >= 3, "only {} uploads fitted", stored.len());

    // space returns: the same process serves again, and nothing acknowledged was lost
    mount.remount("size=64m");
    for (id, photo) in &stored {
        let got = h.get(&format!("/v1/verifications/{id}/document"), &sk).await;
        assert_eq!(got.status, 200, "{id} after the disk filled");
        assert_eq!(&got.body, photo, "{id} intact");
    }
    let (id, _) = h.verification(&sk).await;
    let up = h
        .upload(&format!("/v1/verifications/{id}/document"), &sk, document_photo(1), "image/jpeg")
        .await;
    assert_eq!(up.status, 200, "{}", String::from_utf8_lossy(&up.body));

    // a data directory that is read-only when the server starts (Linux
    // refuses to remount a filesystem read-only under open writers, so this
    // is the read-only case a running server meets: after a restart)
    let config = (*h.state.config).clone();
    drop(h);
    drop(_local);
    mount.remount("ro");
    let err = AppState::local(config.clone(), None).map(|_| ()).unwrap_err().to_string();
    assert!(
        err.contains(&data.display().to_string()) && err.to_lowercase().contains("read-only"),
        "a precise startup error: {err}"
    );
    mount.remount("rw");
    let (state, _local) = AppState::local(config, None).unwrap();
    let h = Harness {
        app: app(state.clone()),
        clock: Arc::new(kyc_server::clock::ManualClock::new(Timestamp::from_unix_millis(T0))),
        state,
    };
    for (id, photo) in &stored {
        assert_eq!(&h.get(&format!("/v1/verifications/{id}/document"), &sk).await.body, photo);
    }

    let key = kyc_server::crypto::audit_chain_key(
        &kyc_server::load_keyring(&h.state.config, |_| None).unwrap(),
    );
    let report =
        kyc_server::service::audit::verify_log(h.state.backends.audit.as_ref(), key, vec![])
            .await
            .unwrap();
    assert_eq!(report.broken, None, "the audit chain verifies after the faults");
    assert!(report.records as usize >= stored.len());
    drop(h);
}
