//! Managing the screening lists of the embedded screener: import a
//! directory of the publishers' files, download them from the configured
//! URLs, verify them by parsing, and swap the index file atomically (a
//! running `kyc serve` picks it up on its next screening). A malformed or
//! truncated file fails the whole operation and the index in service stays.
//! After a swap, every verification still kept is queued for re-screening
//! (ongoing monitoring): newly flagged ones are marked for review.

use crate::{
    ServerConfig,
    backend::{
        JobQueue,
        local::{Database, SqliteJobQueue, SqliteOcrDataStore},
        screening::index_version,
    },
    clock::{Clock, SystemClock},
    service::screening::screen_job,
};
use kyc_screening::{Index, IndexInfo, ScreeningError};
use std::{path::Path, sync::Arc};

/// Why a lists operation failed (the index in service is unchanged).
#[derive(Debug, thiserror::Error)]
pub enum ListsError {
    /// A list file is malformed, truncated or of an unknown format.
    #[error("{0}")]
    Parse(#[from] ScreeningError),
    /// A download failed.
    #[error("download {url}: {reason}")]
    Download {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Storage failed.
    #[error("storage: {0}")]
    Store(#[from] crate::backend::StoreError),
    /// A file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl ListsError {
    /// A stable code for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Parse(e) => e.code(),
            Self::Download { .. } => "list_download_failed",
            Self::Store(_) => "storage_unavailable",
            Self::Io { .. } => "io_error",
        }
    }
}

/// What an import or update installed.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Installed {
    /// The new lists version.
    pub version: String,
    /// What the index holds.
    pub info: IndexInfo,
    /// Verifications queued for re-screening.
    pub rescreens_queued: usize,
}

/// The lists in service: the index file, or the shipped snapshot.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InService {
    /// `index` (imported or updated) or `shipped_snapshot`.
    pub origin: &'static str,
    /// A label for the shipped snapshot (what it is, its date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// The lists version.
    pub version: String,
    /// What the index holds.
    pub info: IndexInfo,
}

/// Describes the lists `kyc serve` would screen against.
pub fn in_service(config: &ServerConfig) -> Result<InService, ListsError> {
    let path = config.lists_index_path();
    if path.exists() {
        let info = Index::load(&path)?.info();
        return Ok(InService {
            origin: "index",
            snapshot: None,
            version: index_version(&info),
            info,
        });
    }
    let shipped = kyc_screening::shipped_snapshot()?;
    let info = Index::build(&shipped.lists).info();
    Ok(InService {
        origin: "shipped_snapshot",
        snapshot: Some(format!("{} (created {})", shipped.label, shipped.created)),
        version: index_version(&info),
        info,
    })
}

/// Parses every list in `dir`, builds the index, installs it, and queues
/// re-screening.
pub async fn import(
    config: &ServerConfig,
    db: Arc<Database>,
    ocr: &SqliteOcrDataStore,
    dir: &Path,
) -> Result<Installed, ListsError> {
    let dir = dir.to_owned();
    let index = tokio::task::spawn_blocking(move || -> Result<Index, ScreeningError> {
        Ok(Index::build(&kyc_screening::import_dir(&dir)?))
    })
    .await
    .map_err(|e| ListsError::Io { path: "import".into(), source: std::io::Error::other(e) })??;
    install(config, db, ocr, index).await
}

async fn install(
    config: &ServerConfig,
    db: Arc<Database>,
    ocr: &SqliteOcrDataStore,
    index: Index,
) -> Result<Installed, ListsError> {
    let path = config.lists_index_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|source| ListsError::Io { path: dir.display().to_string(), source })?;
    }
    index.save(&path)?;
    let info = index.info();
    let version = index_version(&info);
    let now = SystemClock.now();
    let queue = SqliteJobQueue::new(db);
    let ids = ocr.live_ids(now).await?;
    for id in &ids {
        queue.enqueue(&screen_job(id, &version, now)).await?;
    }
    tracing::info!(step = "screening", status = "lists_installed", lists_version = %version, rescreens = ids.len(), "screening lists installed");
    Ok(Installed { version, info, rescreens_queued: ids.len() })
}

/// Downloads every configured source into a fresh directory beside the
/// index, verifies by importing, and installs. Nothing is swapped unless
/// every file downloads and parses.
#[cfg(feature = "http-client")]
pub async fn update(
    config: &ServerConfig,
    db: Arc<Database>,
    ocr: &SqliteOcrDataStore,
) -> Result<Installed, ListsError> {
    let sc = &config.screening;
    let base = config.data_dir.join("lists");
    std::fs::create_dir_all(&base)
        .map_err(|source| ListsError::Io { path: base.display().to_string(), source })?;
    let staging = base.join(format!(".download-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let result = async {
        let client = crate::util::http_client_builder()
            .https_only(!sc.danger_allow_plain_http_loopback)
            .timeout(std::time::Duration::from_secs(300))
            .build()
            .map_err(|e| ListsError::Download { url: String::new(), reason: e.to_string() })?;
        for source in &sc.sources {
            let fail = |reason: String| ListsError::Download { url: source.url.clone(), reason };
            crate::backend::screening::http::check_url(
                &source.url,
                sc.danger_allow_plain_http_loopback,
            )
            .map_err(fail)?;
            let response = client.get(&source.url).send().await.map_err(|e| fail(e.to_string()))?;
            if !response.status().is_success() {
                return Err(fail(format!("HTTP {}", response.status())));
            }
            if response.content_length().is_some_and(|n| n > sc.max_download_bytes) {
                return Err(fail(format!("larger than {} bytes", sc.max_download_bytes)));
            }
            // counted as it arrives: a body without Content-Length is bounded too
            let mut response = response;
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| fail(e.to_string()))? {
                if (body.len() + chunk.len()) as u64 > sc.max_download_bytes {
                    return Err(fail(format!("larger than {} bytes", sc.max_download_bytes)));
                }
                body.extend_from_slice(&chunk);
            }
            let dest = staging.join(&source.file);
            if let Some(dir) = dest.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|source| ListsError::Io { path: dir.display().to_string(), source })?;
            }
            std::fs::write(&dest, &body)
                .map_err(|source| ListsError::Io { path: dest.display().to_string(), source })?;
        }
        import(config, db, ocr, &staging).await
    }
    .await;
    let _ = std::fs::remove_dir_all(&staging);
    result
}
