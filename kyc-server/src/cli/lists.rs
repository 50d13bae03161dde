//! `kyc lists …` and `kyc screen …`.

use crate::{
    ServerConfig,
    backend::screening::{ScreeningQuery, from_config},
    cli::shared::{Output, env_lookup, open_db, print_line},
    config::EnvVars,
    lists::{self, ListsError},
};
use anyhow::Context;
use clap::Subcommand;
use kyc_core::decision::sanctions_status;
use std::{
    io::BufRead,
    path::{Path, PathBuf},
    process::ExitCode,
};

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

/// The OCR store of the data directory (for re-screening after a lists change).
fn ocr_store(
    config: &ServerConfig,
    db: std::sync::Arc<crate::backend::local::Database>,
) -> anyhow::Result<crate::backend::local::SqliteOcrDataStore> {
    let master = crate::load_master_key(config, env_lookup(EnvVars::MASTER_KEY))?;
    let key = crate::crypto::DataKey::from_bytes(
        master.derive(crate::backend::local::ocr_data::OCR_DATA_KEY_LABEL),
    );
    Ok(crate::backend::local::SqliteOcrDataStore::new(db, key))
}

fn lists_failure(out: Output, e: &ListsError) -> anyhow::Result<ExitCode> {
    if out.json {
        print_line(&serde_json::json!({"code": e.code(), "message": e.to_string()}).to_string())?;
    } else {
        print_line(&format!("kyc: {}: {e} (the lists in service are unchanged)", e.code()))?;
    }
    Ok(ExitCode::from(3))
}

fn show_installed(out: Output, installed: &lists::Installed) -> anyhow::Result<()> {
    if out.json {
        return print_line(&serde_json::to_string(installed)?);
    }
    print_line(&format!(
        "installed lists version {}: {} entries, {} names; {} verification(s) queued for re-screening",
        installed.version, installed.info.entries, installed.info.names, installed.rescreens_queued
    ))
}

/// `kyc lists …`
pub(crate) async fn lists(config: &ServerConfig, cmd: &ListsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ListsCommand::Import { dir, out } => {
            let db = open_db(config)?;
            let ocr = ocr_store(config, db.clone())?;
            match lists::import(config, db, &ocr, dir).await {
                Ok(installed) => show_installed(*out, &installed)?,
                Err(e) => return lists_failure(*out, &e),
            }
        }
        #[cfg(feature = "http-client")]
        ListsCommand::Update { out } => {
            let db = open_db(config)?;
            let ocr = ocr_store(config, db.clone())?;
            match lists::update(config, db, &ocr).await {
                Ok(installed) => show_installed(*out, &installed)?,
                Err(e) => return lists_failure(*out, &e),
            }
        }
        ListsCommand::Info { out } => {
            let info = match lists::in_service(config) {
                Ok(i) => i,
                Err(e) => return lists_failure(*out, &e),
            };
            if out.json {
                print_line(&serde_json::to_string(&info)?)?;
            } else {
                print_line(&format!(
                    "lists version {} ({}{})",
                    info.version,
                    info.origin,
                    info.snapshot.as_deref().map(|s| format!(": {s}")).unwrap_or_default()
                ))?;
                for l in &info.info.lists {
                    print_line(&format!(
                        "  {:<10} {:>6} entries {:>6} names  published {}  version {}  ({})",
                        l.source.as_str(),
                        l.entries,
                        l.names,
                        l.published.as_deref().unwrap_or("-"),
                        l.version.as_deref().unwrap_or("-"),
                        l.origin
                    ))?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One batch input line.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchLine {
    name: String,
    #[serde(default)]
    dob: Option<String>,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    individual: bool,
}

/// `kyc screen …`: prints `{"status", "matches": [...]}` per subject.
pub(crate) async fn screen(
    config: &ServerConfig,
    query: Option<ScreeningQuery>,
    batch: Option<&Path>,
    out: Output,
) -> anyhow::Result<ExitCode> {
    let screener = from_config(config, env_lookup(EnvVars::SCREENING_API_KEY).as_deref())?;
    let policy = config.screening.decision_policy();
    let one = |q: ScreeningQuery| {
        let screener = screener.clone();
        async move {
            match screener.screen(&q).await {
                Ok(e) => serde_json::json!({
                    "status": sanctions_status(e.best_score(), &policy),
                    "matches": e.matches,
                    "listsVersion": e.lists_version,
                }),
                Err(e) => serde_json::json!({
                    "status": "error",
                    "code": if e.is_retryable() { "screening_unavailable" } else { "invalid_query" },
                    "message": e.to_string(),
                }),
            }
        }
    };
    if let Some(q) = query {
        let result = one(q).await;
        if out.json {
            print_line(&result.to_string())?;
        } else {
            print_line(result["status"].as_str().unwrap_or("error"))?;
            for m in result["matches"].as_array().map(Vec::as_slice).unwrap_or_default() {
                print_line(&format!(
                    "  {:.3}  {}:{}  {}",
                    m["score"].as_f64().unwrap_or_default(),
                    m["source"].as_str().unwrap_or_default(),
                    m["id"].as_str().unwrap_or_default(),
                    m["name"].as_str().unwrap_or_default()
                ))?;
            }
        }
        return Ok(if result["status"] == "error" { ExitCode::from(3) } else { ExitCode::SUCCESS });
    }
    let Some(path) = batch else { anyhow::bail!("give --name or --batch") };
    let reader: Box<dyn BufRead> = if path == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("{}", path.display()))?,
        ))
    };
    for (n, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("{} line {}", path.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let result = match serde_json::from_str::<BatchLine>(&line) {
            Ok(b) => {
                let q = ScreeningQuery {
                    name: b.name,
                    date_of_birth: b.dob,
                    country: b.country,
                    individual: b.individual,
                };
                one(q).await
            }
            Err(e) => serde_json::json!({
                "status": "error",
                "code": "invalid_query",
                "message": format!("line {}: {e}", n + 1),
            }),
        };
        print_line(&result.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}
