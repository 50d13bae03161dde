//! The `kyc` command line. Every command honours `--data-dir` / `KYC_DATA_DIR`
//! and `--config` / `KYC_CONFIG`, prints JSON with `--json`, and may run while
//! the server runs (SQLite in WAL mode with a busy timeout).

use crate::{
    AppState,
    auth::generate_key,
    backend::{
        AuditLog, KeyStore,
        local::{Database, SqliteAuditLog, SqliteKeyStore},
    },
    clock::{Clock, SystemClock},
    config::{EnvVars, Overrides, ServerConfig, validate_origin},
    service::retention::run_sweeper,
    state::prepare_data_dir,
};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use kyc_core::{
    api::v1::{CreatedKey, KeyKind},
    audit::ChainVerifier,
};
use std::{io::Write, path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(name = "kyc", version, about = "Self-hosted identity verification: server and tools")]
pub struct Cli {
    /// Data directory (database, encrypted objects, keys).
    #[arg(long, global = true, env = EnvVars::DATA_DIR, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// TOML config file (default: DATA_DIR/kyc.toml if it exists).
    #[arg(long, global = true, env = EnvVars::CONFIG, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API on the embedded backends.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, env = EnvVars::LISTEN, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Inspect the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Inspect and replay jobs.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Run the face engine on image files.
    #[cfg(feature = "face-onnx")]
    #[command(subcommand)]
    Face(FaceCommand),
    /// Read identity documents (MRZ and printed fields) from image files.
    #[cfg(feature = "ocr-onnx")]
    #[command(subcommand)]
    Document(DocumentCommand),
    /// Manage the sanctions lists of the embedded screener.
    #[command(subcommand)]
    Lists(ListsCommand),
    /// Screen names against the sanctions lists.
    Screen {
        /// The full name.
        #[arg(long, required_unless_present = "batch", conflicts_with = "batch")]
        name: Option<String>,
        /// Date of birth, YYYY-MM-DD or YYYY.
        #[arg(long)]
        dob: Option<String>,
        /// Nationality, ISO 3166 code or country name.
        #[arg(long)]
        country: Option<String>,
        /// The subject is a person: listed companies, vessels and aircraft
        /// count against a match (the pipeline always screens persons).
        #[arg(long)]
        individual: bool,
        /// A JSON Lines file, one `{"name", "dob"?, "country"?}` per line; one
        /// result per line out, in order (`-` for standard input).
        #[arg(long, value_name = "FILE")]
        batch: Option<PathBuf>,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
}

/// `kyc lists …`
#[derive(Debug, Subcommand)]
pub enum ListsCommand {
    /// Parse the publishers' files in DIR (OFAC CSV, UN XML, EU FSF XML, UK
    /// CSV/XML), build the index, swap it in, and queue re-screening.
    Import {
        /// Directory of list files (two levels deep).
        dir: PathBuf,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
    /// Sources, versions, entry counts and dates of the lists in service.
    Info {
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
    /// Download the configured sources (`[screening] sources`), verify, swap, re-screen.
    #[cfg(feature = "http-client")]
    Update {
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
}

/// `kyc document …`
#[cfg(feature = "ocr-onnx")]
#[derive(Debug, Subcommand)]
pub enum DocumentCommand {
    /// Name, date of birth, document number (and nationality, expiry, sex)
    /// with confidence and source (MRZ or printed), MRZ/printed disagreements.
    Read {
        /// The image (JPEG or PNG).
        image: PathBuf,
        /// Also print the OCR lines.
        #[arg(long)]
        lines: bool,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
}

/// `kyc face …`
#[cfg(feature = "face-onnx")]
#[derive(Debug, Subcommand)]
pub enum FaceCommand {
    /// Similarity (0–100) of the largest face in A and in B, and whether it
    /// reaches `liveness.match_threshold`.
    Compare {
        /// First image (JPEG or PNG).
        a: PathBuf,
        /// Second image.
        b: PathBuf,
        /// Treat both images as live camera frames (default: documents/photos).
        #[arg(long)]
        live: bool,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
    /// Faces, landmarks, pose, eye openness and quality of one image.
    Inspect {
        /// The image (JPEG or PNG).
        image: PathBuf,
        /// Treat the image as a live camera frame (default: a document/photo).
        #[arg(long)]
        live: bool,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
}

/// `kyc keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it once.
    Create {
        /// Secret (server to server) or publishable (browser, origin-bound).
        #[arg(long, value_enum)]
        kind: KindArg,
        /// Allowed browser origin, e.g. `https://shop.example` (publishable keys; repeatable).
        #[arg(long = "origin", value_name = "URL")]
        origins: Vec<String>,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
    /// List keys (ids, kinds, origins; never secrets).
    List {
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
    /// Revoke a key by id.
    Revoke {
        /// The key id (the part after `kyc_sk_` / `kyc_pk_`).
        id: String,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
}

/// `kyc jobs …`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// The dead-letter queue: jobs that used up their attempts.
    #[command(subcommand)]
    Dlq(DlqCommand),
}

/// `kyc jobs dlq …`
#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List dead-lettered jobs (kind, ids, attempts, last error; never PII).
    List {
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
    /// Put dead-lettered jobs back in the queue (due now, attempts reset).
    Retry {
        /// Job ids to retry.
        ids: Vec<String>,
        /// Retry every dead-lettered job.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
}

/// `kyc audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; report the first broken link (exit code 1).
    Verify {
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
}

/// Output format flag.
#[derive(Debug, Clone, Copy, Args)]
pub struct Output {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Key kind argument.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    /// `kyc_sk_…`
    Secret,
    /// `kyc_pk_…`
    Publishable,
}

pub(crate) fn print_line(s: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{s}")?;
    out.flush()?;
    Ok(())
}

pub(crate) fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn load_config(cli: &Cli, listen: Option<String>) -> anyhow::Result<ServerConfig> {
    let overrides =
        Overrides { config_file: cli.config.clone(), data_dir: cli.data_dir.clone(), listen };
    Ok(ServerConfig::load(&overrides, env_lookup)?)
}

/// Threads for blocking work (SQLite, files, image decoding). A small cap
/// keeps memory bounded under load (every thread keeps its own malloc arena)
/// without limiting throughput, which is CPU-bound.
const BLOCKING_THREADS: usize = 16;

/// Runs a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()
        .context("starting the runtime")
        .and_then(|rt| rt.block_on(dispatch(cli)));
    match result {
        Ok(code) => code,
        Err(e) => {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "kyc: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Serve { listen } => serve(load_config(&cli, listen.clone())?).await,
        Command::Keys(k) => keys(&load_config(&cli, None)?, k).await,
        Command::Audit(AuditCommand::Verify { out }) => {
            audit_verify(&load_config(&cli, None)?, *out).await
        }
        Command::Jobs(JobsCommand::Dlq(cmd)) => dlq(&load_config(&cli, None)?, cmd).await,
        #[cfg(feature = "face-onnx")]
        Command::Face(cmd) => face(&load_config(&cli, None)?, cmd).await,
        #[cfg(feature = "ocr-onnx")]
        Command::Document(cmd) => document(cmd),
        Command::Lists(cmd) => crate::cli_screening::lists(&load_config(&cli, None)?, cmd).await,
        Command::Screen { name, dob, country, individual, batch, out } => {
            let query = name.as_ref().map(|n| crate::backend::screening::ScreeningQuery {
                name: n.clone(),
                date_of_birth: dob.clone(),
                country: country.clone(),
                individual: *individual,
            });
            crate::cli_screening::screen(&load_config(&cli, None)?, query, batch.as_deref(), *out)
                .await
        }
    }
}

async fn dlq(config: &ServerConfig, cmd: &DlqCommand) -> anyhow::Result<ExitCode> {
    use crate::backend::{JobQueue, local::SqliteJobQueue};
    let queue = SqliteJobQueue::new(open_db(config)?);
    match cmd {
        DlqCommand::List { out } => {
            let dead = queue.dead_letters(10_000).await?;
            if out.json {
                print_line(&serde_json::to_string(&dead)?)?;
            } else if dead.is_empty() {
                print_line("no dead-lettered jobs")?;
            } else {
                for d in dead {
                    print_line(&format!(
                        "{}  {:<12} attempts {}/{}  failed {}  {}",
                        d.id, d.kind, d.attempts, d.max_attempts, d.failed_at, d.last_error
                    ))?;
                }
            }
        }
        DlqCommand::Retry { ids, all, out } => {
            let ids: Vec<String> = if *all {
                queue.dead_letters(10_000).await?.into_iter().map(|d| d.id).collect()
            } else {
                ids.clone()
            };
            if ids.is_empty() {
                bail!("give job ids or --all");
            }
            let now = SystemClock.now();
            let mut retried = Vec::new();
            for id in &ids {
                queue.requeue_dead(id, now).await.with_context(|| format!("job {id}"))?;
                retried.push(id.clone());
            }
            if out.json {
                print_line(&serde_json::json!({"retried": retried}).to_string())?;
            } else {
                print_line(&format!("requeued {} job(s): {}", retried.len(), retried.join(", ")))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn open_db(config: &ServerConfig) -> anyhow::Result<Arc<Database>> {
    prepare_data_dir(config)?;
    Ok(Database::open(&config.data_dir.join("kyc.db"), config.storage.durability)?)
}

async fn keys(config: &ServerConfig, cmd: &KeysCommand) -> anyhow::Result<ExitCode> {
    let store = SqliteKeyStore::new(open_db(config)?);
    match cmd {
        KeysCommand::Create { kind, origins, out } => {
            let kind = match kind {
                KindArg::Secret => KeyKind::Secret,
                KindArg::Publishable => KeyKind::Publishable,
            };
            for o in origins {
                if let Err(p) = validate_origin(o) {
                    bail!("--origin: {p}");
                }
            }
            if kind == KeyKind::Publishable && origins.is_empty() {
                bail!(
                    "a publishable key needs at least one --origin (the browser origin allowed to use it)"
                );
            }
            let g = generate_key(kind, origins.clone(), SystemClock.now());
            store.insert(&g.record).await?;
            let created = CreatedKey {
                id: g.record.id.clone(),
                key: g.key.clone(),
                kind,
                origins: origins.clone(),
            };
            if out.json {
                print_line(&serde_json::to_string(&created)?)?;
            } else {
                print_line(&format!(
                    "created {} key {}\n{}\n(store it now: it is not shown again)",
                    kind.as_str(),
                    created.id,
                    created.key
                ))?;
            }
        }
        KeysCommand::List { out } => {
            let keys = store.list().await?;
            if out.json {
                let list: Vec<_> = keys
                    .iter()
                    .map(|k| {
                        serde_json::json!({
                            "id": k.id, "kind": k.kind, "origins": k.origins,
                            "createdAt": k.created_at, "revokedAt": k.revoked_at,
                        })
                    })
                    .collect();
                print_line(&serde_json::to_string(&list)?)?;
            } else {
                for k in keys {
                    let state = if k.revoked_at.is_some() { "revoked" } else { "active" };
                    print_line(&format!(
                        "{}  {:<11} {:<7} {}",
                        k.id,
                        k.kind.as_str(),
                        state,
                        k.origins.join(",")
                    ))?;
                }
            }
        }
        KeysCommand::Revoke { id, out } => {
            store.revoke(id, SystemClock.now()).await.with_context(|| format!("key {id}"))?;
            if out.json {
                print_line(&serde_json::json!({"id": id, "revoked": true}).to_string())?;
            } else {
                print_line(&format!("revoked {id}"))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn audit_verify(config: &ServerConfig, out: Output) -> anyhow::Result<ExitCode> {
    let log = SqliteAuditLog::new(open_db(config)?);
    let mut verifier = ChainVerifier::new();
    let mut after = 0;
    let broken = 'scan: loop {
        let page = log.scan(after, 1000).await?;
        let Some(last) = page.last() else { break None };
        after = last.seq;
        for r in &page {
            if let Err(b) = verifier.push(r) {
                break 'scan Some(b);
            }
        }
    };
    let checked = verifier.checked();
    if out.json {
        let v = match broken {
            None => serde_json::json!({"ok": true, "records": checked}),
            Some(b) => {
                serde_json::json!({"ok": false, "records": checked, "firstBroken": {"seq": b.seq, "kind": b.kind}})
            }
        };
        print_line(&v.to_string())?;
    } else {
        match broken {
            None => print_line(&format!("audit log intact: {checked} records"))?,
            Some(b) => print_line(&format!(
                "audit log BROKEN at record {} ({:?}); {checked} records before it are intact",
                b.seq, b.kind
            ))?,
        }
    }
    Ok(if broken.is_some() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn serve(config: ServerConfig) -> anyhow::Result<ExitCode> {
    crate::telemetry::init_tracing(&config.log);
    let addr = config.listen_addr()?;
    let sweep_every = Duration::from_secs(config.sweep_interval_secs);
    let (state, local) = AppState::local(config, env_lookup(EnvVars::MASTER_KEY))?;
    #[cfg(feature = "danger-fixed-challenge")]
    let state = match env_lookup(EnvVars::DANGER_FIXED_CHALLENGE) {
        Some(seq) if !seq.trim().is_empty() => {
            let gestures = seq
                .split(',')
                .map(|g| serde_json::from_value(serde_json::Value::String(g.trim().to_owned())))
                .collect::<Result<Vec<kyc_core::challenge::Gesture>, _>>()
                .with_context(|| {
                    format!(
                        "{}: use e.g. turn_left,blink,turn_right",
                        EnvVars::DANGER_FIXED_CHALLENGE
                    )
                })?;
            tracing::warn!(
                error_code = "danger_fixed_challenge",
                "DANGER: liveness challenges are fixed, not random (test build)"
            );
            state.with_fixed_challenge(gestures)
        }
        _ => state,
    };
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    let bound = listener.local_addr()?;

    let sweeper = tokio::spawn(run_sweeper(state.clone(), sweep_every));
    let worker = tokio::spawn(crate::service::jobs::run_worker(state.clone()));
    let flusher = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(2));
            loop {
                tick.tick().await;
                state.limits.flush(state.clock.now()).await;
            }
        })
    };
    let cleaner = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = local.objects.remove_stale_temp_files(Duration::from_secs(3600)) {
                tracing::warn!(error = %e, "temp-file cleanup failed");
            }
        }
    });

    tracing::info!(listen = %bound, data_dir = %state.config.data_dir.display(), "kyc server started");
    print_line(&format!(
        "kyc listening on http://{bound} (data in {})",
        state.config.data_dir.display()
    ))?;
    axum::serve(listener, crate::app(state.clone()))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    for task in [sweeper, worker, flusher, cleaner] {
        task.abort();
    }
    state.limits.flush(state.clock.now()).await;
    tracing::info!("kyc server stopped");
    Ok(ExitCode::SUCCESS)
}

/// Prints a typed error (JSON with `--json`) and returns exit code 3.
#[cfg(any(feature = "face-onnx", feature = "ocr-onnx"))]
fn typed_failure(json: bool, code: kyc_core::ErrorCode, message: &str) -> anyhow::Result<ExitCode> {
    if json {
        print_line(&serde_json::json!({"code": code, "message": message}).to_string())?;
    } else {
        let mut err = std::io::stderr().lock();
        writeln!(err, "kyc: {code}: {message}")?;
    }
    Ok(ExitCode::from(3))
}

#[cfg(feature = "ocr-onnx")]
fn document(cmd: &DocumentCommand) -> anyhow::Result<ExitCode> {
    use crate::backend::{ProviderError, local::ocr::LocalDocumentReader};
    use kyc_core::{
        ErrorCode,
        document::fields::{ReadError, read_fields},
    };
    let DocumentCommand::Read { image, lines, out } = cmd;
    let bytes = std::fs::read(image).with_context(|| format!("reading {}", image.display()))?;
    let reader = LocalDocumentReader::load(crate::cpu_pool::CpuPool::new(1))?;
    let (text, timings) = match reader.read_bytes_timed(&bytes) {
        Ok(r) => r,
        Err(ProviderError::Rejected(why)) => {
            return typed_failure(
                out.json,
                ErrorCode::MalformedImage,
                &format!("{}: {why}", image.display()),
            );
        }
        Err(e) => return Err(e.into()),
    };
    let today = time::OffsetDateTime::now_utc().date();
    let fields = match read_fields(&text, today) {
        Ok(f) => f,
        Err(ReadError::Unreadable | _) => {
            return typed_failure(
                out.json,
                ErrorCode::DocumentUnreadable,
                &format!("no identity document text in {}", image.display()),
            );
        }
    };
    if out.json {
        let mut v = serde_json::json!({
            "fields": {
                "name": fields.name, "surname": fields.surname, "givenNames": fields.given_names,
                "dateOfBirth": fields.date_of_birth, "documentNumber": fields.document_number,
                "nationality": fields.nationality, "expiryDate": fields.expiry_date, "sex": fields.sex,
            },
            "documentKind": fields.document_kind,
            "mrz": fields.mrz,
            "disagreements": fields.disagreements,
            "problems": fields.problems.iter().map(|p| p.code()).collect::<Vec<_>>(),
            "needsReview": fields.needs_review(),
            "engine": text.engine,
            "timingsMs": timings,
        });
        if *lines {
            v["lines"] = serde_json::to_value(&text.lines)?;
        }
        print_line(&v.to_string())?;
    } else {
        let show = |label: &str, f: &Option<kyc_core::document::fields::Field>| match f {
            Some(f) => format!("{label:<16} {} ({:?}, {:.2})", f.value, f.source, f.confidence),
            None => format!("{label:<16} -"),
        };
        for (label, f) in [
            ("name", &fields.name),
            ("date of birth", &fields.date_of_birth),
            ("document number", &fields.document_number),
            ("nationality", &fields.nationality),
            ("expiry", &fields.expiry_date),
            ("sex", &fields.sex),
        ] {
            print_line(&show(label, f))?;
        }
        for d in &fields.disagreements {
            print_line(&format!(
                "disagreement on {}: MRZ {} vs printed {}",
                d.field, d.mrz, d.printed
            ))?;
        }
        if *lines {
            for l in &text.lines {
                print_line(&format!("  {:.2} {}", l.confidence, l.text))?;
            }
        }
    }
    // fields missing is a typed, non-zero outcome after the partial result
    if !fields.missing().is_empty() {
        return Ok(ExitCode::from(4));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "face-onnx")]
async fn face(config: &ServerConfig, cmd: &FaceCommand) -> anyhow::Result<ExitCode> {
    use crate::backend::{
        face::{FaceEngine, FaceImage, ImageKind, ProviderError},
        local::face::LocalFaceEngine,
    };
    use kyc_core::ErrorCode;
    let engine = LocalFaceEngine::load(&config.face, crate::cpu_pool::CpuPool::per_core())?;
    let read = |p: &PathBuf| -> anyhow::Result<FaceImage> {
        Ok(FaceImage(std::fs::read(p).with_context(|| format!("reading {}", p.display()))?.into()))
    };
    let kind = |live: bool| if live { ImageKind::LiveFrame } else { ImageKind::Document };
    match cmd {
        FaceCommand::Compare { a, b, live, out } => {
            let (ia, ib) = (read(a)?, read(b)?);
            let result = match engine.compare((&ia, kind(*live)), &[(ib, kind(*live))]).await {
                Ok(r) => r.into_iter().next().flatten(),
                Err(ProviderError::Rejected(why)) if why.starts_with("no face") => {
                    return typed_failure(
                        out.json,
                        ErrorCode::NoFaceFound,
                        &format!("no face in {}", a.display()),
                    );
                }
                Err(ProviderError::Rejected(why)) => {
                    return typed_failure(out.json, ErrorCode::MalformedImage, why);
                }
                Err(e) => return Err(e.into()),
            };
            let Some(m) = result else {
                return typed_failure(
                    out.json,
                    ErrorCode::NoFaceFound,
                    &format!("no face in {}", b.display()),
                );
            };
            let threshold = config.liveness.match_threshold;
            let matched = m.similarity >= threshold;
            if out.json {
                let v = serde_json::json!({
                    "similarity": m.similarity, "match": matched, "threshold": threshold,
                    "rawScore": m.raw_score, "model": engine.name(),
                });
                print_line(&v.to_string())?;
            } else {
                let verdict = if matched { "match" } else { "no match" };
                print_line(&format!(
                    "similarity {:.1} ({verdict}) at threshold {threshold}; raw {:.4} ({})",
                    m.similarity,
                    m.raw_score,
                    engine.name()
                ))?;
            }
        }
        FaceCommand::Inspect { image, live, out } => {
            let analysis = match engine.analyze(&read(image)?, kind(*live)).await {
                Ok(a) => a,
                Err(ProviderError::Rejected(why)) => {
                    return typed_failure(
                        out.json,
                        ErrorCode::MalformedImage,
                        &format!("{}: {why}", image.display()),
                    );
                }
                Err(e) => return Err(e.into()),
            };
            if out.json {
                print_line(&serde_json::to_string(&analysis)?)?;
            } else {
                print_line(&format!(
                    "{}x{}, {} face(s)",
                    analysis.width,
                    analysis.height,
                    analysis.faces.len()
                ))?;
                for f in &analysis.faces {
                    let b = f.bounding_box;
                    let pose = f.pose.map_or("pose n/a".to_owned(), |p| {
                        format!(
                            "yaw {:.1} pitch {:.1} roll {:.1} eyes {:.2}/{:.2}",
                            p.yaw_deg, p.pitch_deg, p.roll_deg, p.left_eye_open, p.right_eye_open
                        )
                    });
                    print_line(&format!(
                        "  score {:.2} box {:.0},{:.0} {:.0}x{:.0}; {pose}; brightness {:.0} sharpness {:.0}",
                        f.score,
                        b.x,
                        b.y,
                        b.width,
                        b.height,
                        f.quality.brightness,
                        f.quality.sharpness
                    ))?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
