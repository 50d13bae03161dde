//! The real `kyc` binary.

use crate::harness::document_photo;
use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Output, Stdio},
};

pub(crate) fn kyc(data_dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kyc"));
    for (k, _) in std::env::vars() {
        if k.starts_with("KYC_") || k == "RUST_LOG" {
            c.env_remove(k);
        }
    }
    c.arg("--data-dir").arg(data_dir).args(args);
    c
}

fn run(data_dir: &Path, args: &[&str]) -> Output {
    kyc(data_dir, args).output().unwrap()
}

pub(crate) fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|_| {
        panic!(
            "stdout: {} stderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

#[test]
fn keys_create_list_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["keys", "create", "--kind", "secret", "--json"]);
    assert!(o.status.success());
    let created = json(&o);
    let key = created["key"].as_str().unwrap();
    let id = created["id"].as_str().unwrap();
    assert!(key.starts_with(&format!("kyc_sk_{id}_")));
    let o = run(
        dir.path(),
        &["keys", "create", "--kind", "publishable", "--origin", "https://shop.example", "--json"],
    );
    assert_eq!(json(&o)["origins"][0], "https://shop.example");

    let list = json(&run(dir.path(), &["keys", "list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(
        !String::from_utf8_lossy(&run(dir.path(), &["keys", "list", "--json"]).stdout)
            .contains(key),
        "list never shows secrets"
    );

    let o = run(dir.path(), &["keys", "revoke", id, "--json"]);
    assert_eq!(json(&o)["revoked"], true);
    let list = json(&run(dir.path(), &["keys", "list", "--json"]));
    assert!(list[0]["revokedAt"].is_string());

    let o = run(dir.path(), &["keys", "create", "--kind", "publishable", "--json"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--origin"));
    let o =
        run(dir.path(), &["keys", "create", "--kind", "publishable", "--origin", "shop.example"]);
    assert!(!o.status.success());
    let o = run(dir.path(), &["keys", "revoke", "0000000000000000"]);
    assert!(!o.status.success());

    // accounts and the admin role
    let o = run(dir.path(), &["keys", "create", "--kind", "secret", "--account", "acme", "--json"]);
    let acme = json(&o);
    assert_eq!(
        (acme["account"].as_str(), acme["role"].as_str()),
        (Some("acme"), Some("integrator"))
    );
    let admin =
        json(&run(dir.path(), &["keys", "create", "--kind", "secret", "--admin", "--json"]));
    assert_eq!(
        (admin["account"].as_str(), admin["role"].as_str()),
        (Some("default"), Some("admin"))
    );
    let list = json(&run(dir.path(), &["keys", "list", "--json"]));
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|k| k["account"] == "acme" && k["role"] == "integrator")
    );
    // rolling a key: the new one has the old one's account and role; the
    // old one works through the overlap, or stops at once with 0
    let acme_id = acme["id"].as_str().unwrap();
    let rolled = json(&run(dir.path(), &["keys", "roll", acme_id, "--json"]));
    assert_eq!(
        (rolled["account"].as_str(), rolled["replaces"].as_str()),
        (Some("acme"), Some(acme_id))
    );
    let list = json(&run(dir.path(), &["keys", "list", "--json"]));
    let old = list.as_array().unwrap().iter().find(|k| k["id"] == acme_id).unwrap().clone();
    assert_eq!(old["revokedAt"], rolled["oldKeyRevokedAt"]);
    let text = String::from_utf8_lossy(&run(dir.path(), &["keys", "list"]).stdout).into_owned();
    let line = text.lines().find(|l| l.starts_with(acme_id)).unwrap();
    assert!(line.contains("rolling"), "still working through its overlap: {line}");
    let new_id = rolled["id"].as_str().unwrap();
    let o = run(dir.path(), &["keys", "roll", new_id, "--overlap-hours", "0", "--json"]);
    assert!(o.status.success());
    let o = run(dir.path(), &["keys", "roll", new_id, "--json"]);
    assert!(!o.status.success(), "a revoked key cannot be rolled");
    for bad in [
        &["keys", "create", "--kind", "secret", "--account", "Acme Corp"][..],
        &["keys", "create", "--kind", "publishable", "--origin", "https://a.example", "--admin"],
    ] {
        let o = run(dir.path(), bad);
        assert!(!o.status.success(), "{bad:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("--account") || err.contains("--admin"), "{err}");
    }
}

#[test]
fn bad_configuration_fails_at_startup_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let o =
        kyc(dir.path(), &["keys", "list"]).env("KYC_RETENTION_DAYS", "forever").output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("KYC_RETENTION_DAYS"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(dir.path().join("kyc.toml"), "[upload]\nmax_byte = 5\n").unwrap();
    let o = run(dir.path(), &["serve"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown field") && err.contains("max_byte"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_reports_the_first_broken_link() {
    use kyc_server::{
        AppState, ServerConfig,
        service::{upload::store_document, verifications::create},
    };
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig { data_dir: dir.path().to_owned(), ..Default::default() };
    {
        let (state, _local) = AppState::local(config, None).unwrap();
        let (v, _) =
            create(&state, "k1", "default", &Default::default(), None, "k1").await.unwrap();
        store_document(&state, &v.id, document_photo(0).into(), "k1").await.unwrap();
        create(&state, "k1", "default", &Default::default(), None, "k1").await.unwrap();
    }
    let o = run(dir.path(), &["audit", "verify", "--json"]);
    assert!(o.status.success());
    let report = json(&o);
    assert_eq!((report["ok"].as_bool(), report["records"].as_u64()), (Some(true), Some(3)));
    assert!(report["head"].as_str().unwrap().starts_with("3:"), "{report}");

    // an attacker with file access rewrites record 2 (dropping the append-only trigger first)
    let db = rusqlite::Connection::open(dir.path().join("kyc.db")).unwrap();
    let err = db
        .execute(
            "UPDATE audit_log SET event = replace(event, 'succeeded', 'failed') WHERE seq = 2",
            [],
        )
        .unwrap_err();
    assert!(err.to_string().contains("append-only"));
    db.execute_batch("DROP TRIGGER audit_log_no_update").unwrap();
    db.execute(
        "UPDATE audit_log SET event = replace(event, 'succeeded', 'failed') WHERE seq = 2",
        [],
    )
    .unwrap();
    drop(db);
    let o = run(dir.path(), &["audit", "verify", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let report = json(&o);
    assert_eq!((report["ok"].as_bool(), report["records"].as_u64()), (Some(false), Some(1)));
    assert_eq!(report["firstBroken"], serde_json::json!({"seq": 2, "kind": "hash_mismatch"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_where_it_listens_and_tools_run_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    {
        let base = served.base.clone();
        let http = kyc_server::util::http_client_builder().build().unwrap();
        assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);

        // a key created by the CLI while the server runs works at once
        let created = json(&run(dir.path(), &["keys", "create", "--kind", "secret", "--json"]));
        let key = created["key"].as_str().unwrap();
        let r =
            http.post(format!("{base}/v1/verifications")).bearer_auth(key).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let body: serde_json::Value = r.json().await.unwrap();
        let r = http
            .post(format!("{base}/upload-id"))
            .bearer_auth(body["clientToken"].as_str().unwrap())
            .body(document_photo(4))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // the liveness step runs the real face engine in the served binary
        let ct = body["clientToken"].as_str().unwrap();
        let start: serde_json::Value = http
            .post(format!("{base}/start-liveness"))
            .bearer_auth(ct)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let frame = &kyc_server::fixtures::clip("wh_address_a")[0].0;
        let body = serde_json::json!({
            "frameId": "f1",
            "nonce": start["challenge"]["nonce"],
            "image": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, frame),
        });
        let r = http
            .post(format!("{base}/submit-frame"))
            .bearer_auth(ct)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let feedback: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            (feedback["faceFound"].as_bool(), feedback["faces"].as_u64()),
            (Some(true), Some(1)),
            "{feedback}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                std::fs::metadata(dir.path().join("master.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let o = run(dir.path(), &["audit", "verify", "--json"]);
        assert_eq!(json(&o)["ok"], true);
    }
}

#[test]
fn face_compare_and_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let faces = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/faces");
    let f = |n: &str| faces.join(n).display().to_string();
    let same =
        json(&run(dir.path(), &["face", "compare", &f("img1.jpg"), &f("img2.jpg"), "--json"]));
    assert_eq!(same["match"], true, "{same}");
    assert!(same["similarity"].as_f64().unwrap() >= 85.0);
    let diff =
        json(&run(dir.path(), &["face", "compare", &f("img1.jpg"), &f("img3.jpg"), "--json"]));
    assert_eq!(diff["match"], false, "{diff}");
    assert!(diff["similarity"].as_f64().unwrap() < 50.0);
    // an image without a face is a typed error with its own exit code
    let silhouette = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/documents/generated/dev_000_passport.jpg")
        .display()
        .to_string();
    let o = run(dir.path(), &["face", "compare", &silhouette, &f("img1.jpg"), "--json"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(json(&o)["code"], "no_face_found");

    let o = run(
        dir.path(),
        &["face", "inspect", &f("video/intel_headpose_female/0016.jpg"), "--live", "--json"],
    );
    assert!(o.status.success());
    let a = json(&o);
    assert_eq!((a["width"].as_u64(), a["faces"].as_array().unwrap().len()), (Some(640), 1));
    let face = &a["faces"][0];
    assert!(face["landmarks"]["eyeImageLeft"]["x"].is_number());
    assert!(face["pose"]["yawDeg"].as_f64().unwrap() > 20.0, "she is turned to her left: {face}");
    assert!(face["quality"]["sharpness"].is_number());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_dlq_list_and_retry() {
    use kyc_server::backend::{
        JobQueue, NewJob,
        local::{Database, Durability, SqliteJobQueue},
    };
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = SqliteJobQueue::new(
            Database::open(&dir.path().join("kyc.db"), Durability::Full).unwrap(),
        );
        let now = kyc_core::Timestamp::from_unix_millis(1_000);
        let job = NewJob {
            kind: "face_match".into(),
            dedupe_key: Some("face_match:s1".into()),
            payload: serde_json::json!({"sessionId": "s1"}),
            run_at: now,
            max_attempts: 3,
        };
        queue.enqueue(&job).await.unwrap();
        let leased = queue.lease(now, 1000, 1).await.unwrap();
        queue.dead_letter(&leased[0], "face engine: timed out", now).await.unwrap();
    }
    let list = json(&run(dir.path(), &["jobs", "dlq", "list", "--json"]));
    let jobs = &list["jobs"];
    assert_eq!(jobs.as_array().unwrap().len(), 1);
    assert_eq!(
        (jobs[0]["kind"].as_str(), jobs[0]["lastError"].as_str()),
        (Some("face_match"), Some("face engine: timed out"))
    );
    assert_eq!(list["events"], serde_json::json!([]), "no Lambda queues on the local backend");
    let r = json(&run(dir.path(), &["jobs", "dlq", "retry", "--all", "--json"]));
    assert_eq!(r["retried"].as_array().unwrap().len(), 1);
    assert_eq!(r["failed"], serde_json::json!([]));
    assert_eq!(
        json(&run(dir.path(), &["jobs", "dlq", "list", "--json"])),
        serde_json::json!({"jobs": [], "events": []})
    );
    let o = run(dir.path(), &["jobs", "dlq", "retry", "999", "--json"]);
    assert!(!o.status.success());
    assert_eq!(json(&o)["failed"][0]["id"], "999");
}

fn shared_document(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/documents/generated").join(name)
}

fn ground_truth(image: &str) -> serde_json::Value {
    let json = shared_document(image).with_extension("json");
    serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap()
}

#[test]
fn document_read_prints_fields_with_confidence_and_source() {
    let dir = tempfile::tempdir().unwrap();
    for image in ["dev_000_passport.jpg", "dev_001_driving_licence.jpg"] {
        let truth = ground_truth(image);
        let path = shared_document(image).display().to_string();
        let o = run(dir.path(), &["document", "read", &path, "--json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = json(&o);
        let fields = &out["fields"];
        for (ours, theirs) in [
            ("name", "name"),
            ("dateOfBirth", "date_of_birth"),
            ("documentNumber", "document_number"),
        ] {
            assert_eq!(fields[ours]["value"], truth["fields"][theirs], "{image} {ours}: {out}");
            let c = fields[ours]["confidence"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&c), "{c}");
        }
        let source = fields["documentNumber"]["source"].as_str().unwrap();
        if truth["has_mrz"] == true {
            assert!(source.starts_with("mrz"), "{out}");
        } else {
            assert_eq!(source, "printed", "{out}");
        }
    }
    // a photo of a face is no document: a typed error, exit code 3
    let face = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/faces/img1.jpg");
    let o = run(dir.path(), &["document", "read", &face.display().to_string(), "--json"]);
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stdout));
    assert_eq!(json(&o)["code"], "document_unreadable");
}

/// A running `kyc serve` on `dir`, its base URL and a secret key.
/// Writes `n` audit records into a fresh data directory (the real pipeline).
async fn audited(dir: &Path, n: usize) {
    use kyc_server::{AppState, ServerConfig, service::verifications::create};
    let config = ServerConfig { data_dir: dir.to_owned(), ..Default::default() };
    let (state, _local) = AppState::local(config, None).unwrap();
    for _ in 0..n {
        create(&state, "k1", "default", &Default::default(), None, "k1").await.unwrap();
    }
}

fn audit_db(dir: &Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(dir.join("kyc.db")).unwrap();
    // an attacker with file access drops the append-only triggers first
    db.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
        .unwrap();
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_truncation_is_caught_by_a_recorded_head() {
    let dir = tempfile::tempdir().unwrap();
    audited(dir.path(), 6).await;
    let o = run(dir.path(), &["audit", "head", "--json"]);
    assert!(o.status.success());
    let head = json(&o)["head"].as_str().unwrap().to_owned();
    assert!(head.starts_with("6:"), "{head}");
    assert_eq!(String::from_utf8_lossy(&run(dir.path(), &["audit", "head"]).stdout).trim(), head);

    audit_db(dir.path()).execute("DELETE FROM audit_log WHERE seq > 3", []).unwrap();
    // alone, the shorter chain is valid: only the head kept elsewhere tells
    let alone = json(&run(dir.path(), &["audit", "verify", "--json"]));
    assert_eq!((alone["ok"].as_bool(), alone["records"].as_u64()), (Some(true), Some(3)));
    let o = run(dir.path(), &["audit", "verify", "--json", "--head", &head]);
    assert_eq!(o.status.code(), Some(1));
    let report = json(&o);
    assert_eq!(
        report["firstBroken"],
        serde_json::json!({"seq": 4, "kind": "truncated"}),
        "{report}"
    );
    // a malformed head is a usage error, not a pass
    let o = run(dir.path(), &["audit", "verify", "--head", "6:nothex"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_rewrites_rehashed_without_the_key_are_caught() {
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    audited(dir.path(), 5).await;
    let db = audit_db(dir.path());
    db.execute(
        "UPDATE audit_log SET event = replace(event, '\"k1\"', '\"mallory\"') WHERE seq = 2",
        [],
    )
    .unwrap();
    // re-link records 2..5 the way an attacker without the key can: the
    // unkeyed SHA-256 formula (the chain's old one)
    let mut prev: String =
        db.query_row("SELECT hash FROM audit_log WHERE seq = 1", [], |r| r.get(0)).unwrap();
    for seq in 2..=5i64 {
        let event: String = db
            .query_row("SELECT event FROM audit_log WHERE seq = ?1", [seq], |r| r.get(0))
            .unwrap();
        let event: kyc_core::audit::AuditEvent = serde_json::from_str(&event).unwrap();
        let mut h = sha2::Sha256::new();
        h.update(b"kyc-audit-v1\n");
        h.update((seq as u64).to_be_bytes());
        h.update(prev.as_bytes());
        h.update(serde_json::to_vec(&event).unwrap());
        let hash: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        db.execute(
            "UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
            rusqlite::params![prev, hash, seq],
        )
        .unwrap();
        prev = hash;
    }
    drop(db);
    let o = run(dir.path(), &["audit", "verify", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let report = json(&o);
    assert_eq!(
        report["firstBroken"],
        serde_json::json!({"seq": 2, "kind": "hash_mismatch"}),
        "{report}"
    );
    // and `audit head` refuses to hand out the forged head
    let o = run(dir.path(), &["audit", "head"]);
    assert!(!o.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_checkpoints_the_audit_head_and_verify_holds_the_log_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let file = elsewhere.path().join("audit-checkpoints.jsonl");
    std::fs::write(
        dir.path().join("kyc.toml"),
        format!(
            "[audit]\ncheckpoint_file = {:?}\ncheckpoint_interval_secs = 1\n",
            file.display().to_string()
        ),
    )
    .unwrap();
    let created = json(&run(dir.path(), &["keys", "create", "--kind", "secret", "--json"]));
    let key = created["key"].as_str().unwrap().to_owned();
    {
        let served = Served::start(dir.path());
        let http = kyc_server::util::http_client_builder().build().unwrap();
        for _ in 0..4 {
            let r = http
                .post(format!("{}/v1/verifications", served.base))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }
        let head = json(&run(dir.path(), &["audit", "head", "--json"]));
        let seq = head["seq"].as_u64().unwrap();
        // wait (bounded) for a checkpoint of that head
        let mut written = false;
        for _ in 0..50 {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if text.contains(&format!("\"seq\":{seq},")) {
                written = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(written, "no checkpoint of record {seq} in {}", file.display());
    }
    let ok = json(&run(dir.path(), &["audit", "verify", "--json"]));
    assert_eq!(ok["ok"], true, "{ok}");
    assert!(ok["checkpoints"].as_u64().unwrap() >= 1, "{ok}");
    audit_db(dir.path()).execute("DELETE FROM audit_log WHERE seq > 1", []).unwrap();
    let o = run(dir.path(), &["audit", "verify", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json(&o)["firstBroken"]["kind"], "truncated");
}

pub(crate) struct Served {
    child: std::process::Child,
    pub(crate) base: String,
}

impl Served {
    fn start(dir: &Path) -> Self {
        let mut cmd = kyc(dir, &["serve", "--listen", "127.0.0.1:0"]);
        cmd.env("KYC_JOB_LEASE_SECS", "2");
        Self::spawn(cmd)
    }

    /// Runs `kyc serve` as `cmd` says and waits for its listening line.
    pub(crate) fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.starts_with("kyc listening on http://127.0.0.1:"), "{line}");
        Self { child, base: line.split_whitespace().nth(3).unwrap().to_owned() }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

async fn document_data(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    id: &str,
) -> Option<serde_json::Value> {
    let r = http.get(format!("{base}/v1/verifications/{id}")).bearer_auth(key).send().await.ok()?;
    let v: serde_json::Value = r.json().await.ok()?;
    v.get("documentData").filter(|d| !d.is_null()).cloned()
}

/// Uploads go through the outbox into the `ocr` job; the server is killed
/// with SIGKILL while jobs are pending or running, restarted, and every
/// document is read exactly once: no job lost, none dead, one reading and
/// one audit record per document, the fields right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_read_exactly_once_across_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let images = [
        "dev_000_passport.jpg",
        "dev_001_driving_licence.jpg",
        "dev_002_passport.jpg",
        "dev_003_id_card.jpg",
        "dev_004_driving_licence.jpg",
        "dev_005_id_card.jpg",
    ];
    let http = kyc_server::util::http_client_builder().build().unwrap();
    let key = json(&run(dir.path(), &["keys", "create", "--kind", "secret", "--json"]))["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ids = Vec::new();
    let mut kills = 0;
    {
        let served = Served::start(dir.path());
        let base = served.base.clone();
        for image in images {
            let r = http
                .post(format!("{base}/v1/verifications"))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap();
            let created: serde_json::Value = r.json().await.unwrap();
            let r = http
                .post(format!("{base}/upload-id"))
                .bearer_auth(created["clientToken"].as_str().unwrap())
                .header("content-type", "image/jpeg")
                .body(std::fs::read(shared_document(image)).unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{image}");
            ids.push(created["verificationId"].as_str().unwrap().to_owned());
        }
        // kill -9 as soon as the first document has been read: the rest are
        // pending or half-done
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            if document_data(&http, &base, &key, &ids[0]).await.is_some() {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "first reading never arrived");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        drop(served);
        kills += 1;
    }
    let pending: i64 = rusqlite::Connection::open(dir.path().join("kyc.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM jobs", [], |r| r.get(0))
        .unwrap();
    assert!(pending >= 1, "the kill interrupted nothing; the test proves nothing");

    // restart, and kill once more mid-way
    {
        let served = Served::start(dir.path());
        tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
        drop(served);
        kills += 1;
    }
    let served = Served::start(dir.path());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
    let mut read = vec![None; ids.len()];
    while read.iter().any(Option::is_none) {
        assert!(std::time::Instant::now() < deadline, "not all documents were read: {read:?}");
        for (i, id) in ids.iter().enumerate() {
            if read[i].is_none() {
                read[i] = document_data(&http, &served.base, &key, id).await;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    drop(served);
    assert_eq!(kills, 2);

    for (image, data) in images.iter().zip(&read) {
        let data = data.as_ref().unwrap();
        let truth = ground_truth(image);
        assert_eq!(data["name"]["value"], truth["fields"]["name"], "{image}: {data}");
        assert_eq!(data["dateOfBirth"]["value"], truth["fields"]["date_of_birth"], "{image}");
        assert_eq!(data["documentNumber"]["value"], truth["fields"]["document_number"], "{image}");
    }
    let db = rusqlite::Connection::open(dir.path().join("kyc.db")).unwrap();
    let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(count("SELECT count(*) FROM jobs"), 0, "every job completed");
    assert_eq!(count("SELECT count(*) FROM dead_jobs"), 0, "no job dead-lettered");
    assert_eq!(count("SELECT count(*) FROM kyc_ocr_data"), ids.len() as i64);
    let o = run(dir.path(), &["audit", "verify", "--json"]);
    assert_eq!(json(&o)["ok"], true, "{}", json(&o));
    for id in &ids {
        let reads: i64 = db
            .query_row(
                "SELECT count(*) FROM audit_log WHERE verification_id = ?1 AND event LIKE '%document_read%'",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(reads, 1, "{id}: one document_read audit record");
    }
    // screening followed each reading (the embedded engine over the shipped snapshot)
    let screened: i64 = db
        .query_row("SELECT count(*) FROM audit_log WHERE event LIKE '%\"screening\"%'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(screened, ids.len() as i64, "one screening audit record per verification");

    // new lists: every verification still kept is queued for re-screening
    let sanctions = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/sanctions");
    let o = run(dir.path(), &["lists", "import", &sanctions.display().to_string(), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    assert_eq!(json(&o)["rescreensQueued"], ids.len());
    assert_eq!(count("SELECT count(*) FROM jobs WHERE kind = 'screen'"), ids.len() as i64);
}

#[test]
fn screen_one_name_and_a_batch_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["screen", "--name", "Kim Jong Un", "--json"]);
    assert!(o.status.success());
    let r = json(&o);
    assert_eq!(r["status"], "match", "{r}");
    assert_eq!(
        (r["matches"][0]["source"].as_str(), r["matches"][0]["id"].as_str()),
        (Some("ofac"), Some("20157"))
    );
    assert!(r["matches"][0]["score"].as_f64().unwrap() >= 0.92);

    let batch = dir.path().join("in.jsonl");
    std::fs::write(
        &batch,
        "{\"name\": \"Kim Jong Un\"}\n{\"name\": \"Joh Smith\", \"dob\": \"1980-01-01\"}\nnot json\n{\"name\": \"ALI, Hassan\", \"country\": \"IQ\"}\n",
    )
    .unwrap();
    let o = run(dir.path(), &["screen", "--batch", &batch.display().to_string(), "--json"]);
    assert!(o.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let statuses: Vec<&str> = lines.iter().map(|l| l["status"].as_str().unwrap()).collect();
    assert_eq!(statuses[..3], ["match", "clear", "error"], "{lines:?}");
    assert_eq!(lines[2]["code"], "invalid_query");
    assert_ne!(statuses[3], "clear");
    assert_eq!(lines.len(), 4);
}

/// Serves the shared list files, and a truncated UN list, on loopback.
async fn list_server() -> String {
    use axum::{extract::Path as UrlPath, http::StatusCode, routing::get};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/sanctions");
    let files = move |UrlPath(path): UrlPath<String>| {
        let root = root.clone();
        async move {
            let (path, truncate) = match path.strip_prefix("truncated/") {
                Some(p) => (p.to_owned(), true),
                None => (path, false),
            };
            match std::fs::read(root.join(&path)) {
                Ok(mut b) if !path.contains("..") => {
                    if truncate {
                        b.truncate(b.len() / 2);
                    }
                    (StatusCode::OK, b)
                }
                _ => (StatusCode::NOT_FOUND, Vec::new()),
            }
        }
    };
    let router = axum::Router::new().route("/files/{*path}", get(files));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/files")
}

fn sources_toml(base: &str, un: &str) -> String {
    let mut t = String::from("[screening]\ndanger_allow_plain_http_loopback = true\n");
    for (path, file) in [
        ("ofac_sdn/sdn.csv", "ofac_sdn/sdn.csv"),
        ("ofac_sdn/add.csv", "ofac_sdn/add.csv"),
        ("ofac_sdn/alt.csv", "ofac_sdn/alt.csv"),
        (un, "un/consolidated.xml"),
    ] {
        t.push_str(&format!("[[screening.sources]]\nurl = \"{base}/{path}\"\nfile = \"{file}\"\n"));
    }
    t
}

/// The `source` of every list in a `kyc lists … --json` answer.
fn list_sources(answer: &serde_json::Value) -> Vec<&str> {
    answer["info"]["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["source"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_import_info_update_and_a_malformed_update_keeps_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let info = json(&run(dir.path(), &["lists", "info", "--json"]));
    assert_eq!(info["origin"], "shipped_snapshot", "{info}");
    assert!(info["snapshot"].as_str().unwrap().contains("snapshot"));
    let sources = list_sources(&info);
    assert_eq!(sources.len(), 4, "{sources:?}: the redistributable lists, not the derived EU CSV");
    assert!(!sources.contains(&"eu"));

    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/sanctions");
    let o = run(dir.path(), &["lists", "import", &shared.display().to_string(), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let imported = json(&o);
    assert!(list_sources(&imported).contains(&"eu"));
    let info = json(&run(dir.path(), &["lists", "info", "--json"]));
    assert_eq!((info["origin"].as_str(), &info["version"]), (Some("index"), &imported["version"]));

    // update from the "publishers" (a local server)
    let base = list_server().await;
    std::fs::write(dir.path().join("kyc.toml"), sources_toml(&base, "un/consolidated.xml"))
        .unwrap();
    let o = run(dir.path(), &["lists", "update", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let updated = json(&o);
    assert_eq!(list_sources(&updated), ["ofac", "un"], "{updated}");
    assert_ne!(updated["version"], imported["version"]);
    let served = json(&run(dir.path(), &["screen", "--name", "Kim Jong Un", "--json"]));
    assert_eq!(served["listsVersion"], updated["version"], "screening uses the swapped index");

    // a truncated file: rejected with a precise error, the index stays
    std::fs::write(
        dir.path().join("kyc.toml"),
        sources_toml(&base, "truncated/un/consolidated.xml"),
    )
    .unwrap();
    let o = run(dir.path(), &["lists", "update", "--json"]);
    assert_eq!(o.status.code(), Some(3));
    let err = json(&o);
    assert!(err["code"].as_str().unwrap().starts_with("list_"), "{err}");
    assert!(err["message"].as_str().unwrap().contains("consolidated.xml"), "{err}");
    let info = json(&run(dir.path(), &["lists", "info", "--json"]));
    assert_eq!(info["version"], updated["version"]);
    // a missing file (404) likewise
    std::fs::write(dir.path().join("kyc.toml"), sources_toml(&base, "un/missing.xml")).unwrap();
    let o = run(dir.path(), &["lists", "update", "--json"]);
    assert_eq!(json(&o)["code"], "list_download_failed");
    assert_eq!(json(&run(dir.path(), &["lists", "info", "--json"]))["version"], updated["version"]);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("lists"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, ["index.bin"], "no staging directories left behind");
}

/// Found in review: `kyc lists update` read a body without Content-Length
/// whole, however large. A chunked answer past `max_download_bytes` is now
/// cut off and refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_update_bounds_a_chunked_download() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut req = [0u8; 4096];
                let _ = s.read(&mut req).await;
                let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/csv\r\n\r\n";
                if s.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                // up to 64 MiB in 64 KiB chunks, until the client hangs up
                let chunk = vec![b'x'; 64 * 1024];
                for _ in 0..1024 {
                    let frame =
                        [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
                    if s.write_all(&frame).await.is_err() {
                        return;
                    }
                    counter.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
                }
                let _ = s.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[screening]\ndanger_allow_plain_http_loopback = true\nmax_download_bytes = 1000000\n\
         [[screening.sources]]\nurl = \"http://{addr}/sdn.csv\"\nfile = \"ofac_sdn/sdn.csv\"\n"
    );
    std::fs::write(dir.path().join("kyc.toml"), toml).unwrap();
    let o = run(dir.path(), &["lists", "update", "--json"]);
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stdout));
    let err = json(&o);
    assert_eq!(err["code"], "list_download_failed", "{err}");
    assert!(err["message"].as_str().unwrap().contains("larger than 1000000 bytes"), "{err}");
    // the client stopped reading soon after the bound, not at the end of the body
    let read = sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(read < 16 * 1024 * 1024, "{read} bytes were sent before the client hung up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_key_rotation_rewraps_every_data_key_and_keeps_the_chain() {
    use base64::Engine;
    use kyc_server::{
        AppState, ServerConfig,
        backend::ObjectKey,
        service::{upload::store_document, verifications::create},
    };
    let b64 = |k: [u8; 32]| base64::engine::general_purpose::STANDARD.encode(k);
    let (a, b) = (b64([0xa1; 32]), b64([0xb2; 32]));
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig { data_dir: dir.path().to_owned(), ..Default::default() };
    let env_of = |current: &str, previous: Option<&str>| {
        let (current, previous) = (current.to_owned(), previous.map(str::to_owned));
        move |name: &str| match name {
            "KYC_MASTER_KEY" => Some(current.clone()),
            "KYC_PREVIOUS_MASTER_KEY" => previous.clone(),
            _ => None,
        }
    };
    let mut ids = Vec::new();
    {
        let (state, _local) = AppState::local_with_env(config.clone(), env_of(&a, None)).unwrap();
        for i in 0..3 {
            let (v, _) =
                create(&state, "k1", "default", &Default::default(), None, "k1").await.unwrap();
            store_document(&state, &v.id, document_photo(i).into(), "k1").await.unwrap();
            ids.push(v.id);
        }
    }
    let read_all = |state: &AppState| {
        let state = state.clone();
        let ids = ids.clone();
        async move {
            for id in &ids {
                state.backends.objects.get(&ObjectKey::id_upload(*id)).await.unwrap();
            }
        }
    };
    // the new key alone cannot open what the old one wrapped: a clear refusal, not a new root
    let err = AppState::local_with_env(config.clone(), env_of(&b, None)).unwrap_err().to_string();
    assert!(err.contains("master key"), "{err}");

    // the server restarted with the new key and the old one as previous keeps serving
    let (serving, _local) = AppState::local_with_env(config.clone(), env_of(&b, Some(&a))).unwrap();
    read_all(&serving).await;
    let rotate = |current: &str, previous: Option<&str>| {
        let mut c = kyc(dir.path(), &["keys", "rotate", "--json"]);
        c.env("KYC_MASTER_KEY", current);
        if let Some(p) = previous {
            c.env("KYC_PREVIOUS_MASTER_KEY", p);
        }
        c.output().unwrap()
    };
    let o = rotate(&b, Some(&a));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let first = json(&o);
    assert_eq!((first["dataKeys"].as_u64(), first["rewrapped"].as_u64()), (Some(3), Some(3)));
    assert_eq!(first["rootRewrapped"], true);
    // the running server reads on through the rotation, and writes under the new key
    read_all(&serving).await;
    let (v, _) = create(&serving, "k1", "default", &Default::default(), None, "k1").await.unwrap();
    store_document(&serving, &v.id, document_photo(5).into(), "k1").await.unwrap();
    drop(serving);
    // resumable: a second run finds nothing left to do
    let again = json(&rotate(&b, Some(&a)));
    assert_eq!((again["rewrapped"].as_u64(), again["alreadyCurrent"].as_u64()), (Some(0), Some(4)));

    // the previous key can go: the new one alone opens everything, the chain verifies
    let (state, _local) = AppState::local_with_env(config.clone(), env_of(&b, None)).unwrap();
    read_all(&state).await;
    drop(state);
    let mut verify = kyc(dir.path(), &["audit", "verify", "--json"]);
    verify.env("KYC_MASTER_KEY", &b);
    let report = json(&verify.output().unwrap());
    assert_eq!(report["ok"], true, "{report}");
    // and the old key alone opens nothing any more
    assert!(AppState::local_with_env(config, env_of(&a, None)).is_err());
}
