//! The embedded screener: the `kyc-screening` index in process.
//!
//! It serves the index file written by `kyc lists import|update`
//! (`{data_dir}/lists/index.bin`) when there is one, else the snapshot of
//! the redistributable lists shipped in the binary. When the file changes
//! (a `kyc lists update` beside a running server) the next screening loads
//! it and swaps it in atomically; a file that fails to load leaves the
//! previous index in service.

use super::{Screener, ScreeningEvidence, ScreeningQuery};
use crate::backend::ProviderError;
use async_trait::async_trait;
use kyc_core::api::v1::{SanctionsListing, SanctionsMatch};
use kyc_screening::{BirthDate, Index, IndexInfo, Policy, Query, ScreeningError};
use sha2::{Digest, Sha256};
use std::{
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
    time::SystemTime,
};

/// A loaded index and what identifies it.
#[derive(Debug)]
struct Loaded {
    index: Index,
    version: String,
    /// Modification time of the file it came from (`None`: the shipped snapshot).
    modified: Option<SystemTime>,
}

/// The embedded screener.
#[derive(Debug)]
pub struct EmbeddedScreener {
    current: RwLock<Arc<Loaded>>,
    file: Option<PathBuf>,
    policy: Policy,
}

/// A version string for an index: a hash of what it holds (lists, their
/// versions and dates, counts), so the same lists give the same version.
pub fn index_version(info: &IndexInfo) -> String {
    let json = serde_json::to_vec(info).unwrap_or_default();
    let digest = Sha256::digest(&json);
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn loaded(index: Index, modified: Option<SystemTime>) -> Arc<Loaded> {
    let version = index_version(&index.info());
    Arc::new(Loaded { index, version, modified })
}

impl EmbeddedScreener {
    fn shipped_index() -> Result<Arc<Loaded>, ScreeningError> {
        let snapshot = kyc_screening::shipped_snapshot()?;
        Ok(loaded(Index::build(&snapshot.lists), None))
    }

    /// The shipped snapshot of the redistributable lists.
    pub fn shipped(policy: Policy) -> Result<Self, ScreeningError> {
        Ok(Self { current: RwLock::new(Self::shipped_index()?), file: None, policy })
    }

    /// The index at `file` if it exists (and whenever it changes), else the
    /// shipped snapshot until it does.
    pub fn open(file: &Path, policy: Policy) -> Result<Self, ScreeningError> {
        let current = if file.exists() {
            loaded(Index::load(file)?, modified(file))
        } else {
            Self::shipped_index()?
        };
        Ok(Self { current: RwLock::new(current), file: Some(file.to_owned()), policy })
    }

    /// Loads the index file again if it changed since it was loaded; returns
    /// whether a new index is now in service. A file that fails to load is
    /// an error and the previous index stays.
    pub fn reload_if_changed(&self) -> Result<bool, ScreeningError> {
        let Some(file) = &self.file else { return Ok(false) };
        let now = modified(file);
        if now.is_none() || now == self.loaded().modified {
            return Ok(false);
        }
        let index = Index::load(file)?;
        let next = loaded(index, now);
        match self.current.write() {
            Ok(mut g) => *g = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
        Ok(true)
    }

    fn loaded(&self) -> Arc<Loaded> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// What the index in service holds.
    pub fn info(&self) -> IndexInfo {
        self.loaded().index.info()
    }

    /// Screens without the async wrapper (CLI batch use).
    pub fn screen_now(&self, q: &ScreeningQuery) -> Result<ScreeningEvidence, ProviderError> {
        if let Err(e) = self.reload_if_changed() {
            tracing::warn!(
                error_code = e.code(),
                "screening lists file failed to load; the previous index stays in service"
            );
        }
        if q.name.trim().is_empty() {
            return Err(ProviderError::Rejected("empty name"));
        }
        let mut query = Query::name(q.name.clone());
        if let Some(dob) = q.date_of_birth.as_deref().and_then(BirthDate::parse_iso) {
            query = query.with_dob(dob);
        }
        if let Some(c) = &q.country {
            query = query.with_country(c.clone());
        }
        if q.individual {
            query = query.with_entity_type(kyc_screening::EntityType::Individual);
        }
        let current = self.loaded();
        let result = current.index.screen(&query, &self.policy).map_err(|e| match e {
            ScreeningError::InvalidQuery(_) => ProviderError::Rejected("invalid screening query"),
            other => ProviderError::Backend { provider: "embedded", source: Box::new(other) },
        })?;
        let matches = result
            .matches
            .iter()
            .map(|m| SanctionsMatch {
                source: m.source.as_str().to_owned(),
                id: m.id.clone(),
                name: m.name.clone(),
                score: m.score,
                explanation: Some(m.explanation.clone()),
                also_listed: m
                    .also_listed
                    .iter()
                    .map(|r| SanctionsListing {
                        source: r.source.as_str().to_owned(),
                        id: r.id.clone(),
                        name: r.name.clone(),
                        score: r.score,
                        linked: r.linked,
                    })
                    .collect(),
            })
            .collect();
        let raw = serde_json::to_value(&result).unwrap_or_default();
        Ok(ScreeningEvidence {
            provider: "embedded".to_owned(),
            lists_version: current.version.clone(),
            matches,
            raw,
        })
    }
}

#[async_trait]
impl Screener for EmbeddedScreener {
    fn name(&self) -> &str {
        "embedded"
    }

    fn lists_version(&self) -> String {
        let _ = self.reload_if_changed();
        self.loaded().version.clone()
    }

    async fn screen(&self, q: &ScreeningQuery) -> Result<ScreeningEvidence, ProviderError> {
        self.screen_now(q)
    }
}
