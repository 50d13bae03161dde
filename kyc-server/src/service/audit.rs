//! Audit-chain checkpoints: the head of the chain written down outside the
//! database, and the whole log checked against them.
//!
//! The chain is keyed, so nobody without the key can re-hash it after a
//! change; deleting its last records still leaves a valid, shorter chain.
//! A checkpoint kept where the database's writers cannot reach catches that
//! (and a rewrite by someone who does hold the key).

use crate::backend::{AuditLog, StoreError};
use kyc_core::{
    Timestamp,
    audit::{ChainBreak, ChainKey, ChainVerifier, Checkpoint},
};
use serde::{Deserialize, Serialize};
use std::{
    io::{self, BufRead, Write},
    path::Path,
};

/// One line of a checkpoint file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointLine {
    /// The head's sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: String,
    /// When the checkpoint was written.
    pub at: Timestamp,
}

/// Why checkpoints could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The file could not be read or written.
    #[error("checkpoint file: {0}")]
    Io(#[from] io::Error),
    /// A line is neither a checkpoint JSON object nor `seq:hash`.
    #[error("checkpoint file line {line}: not a checkpoint")]
    BadLine {
        /// 1-based line number.
        line: usize,
    },
    /// The audit log could not be read.
    #[error("audit log: {0}")]
    Store(#[from] StoreError),
}

/// Appends the log's head to `path` (fsynced) if it moved past `last`;
/// returns the head written or kept.
pub async fn write_checkpoint(
    log: &dyn AuditLog,
    path: &Path,
    last: Option<Checkpoint>,
    now: Timestamp,
) -> Result<Option<Checkpoint>, CheckpointError> {
    let Some(head) = log.head().await? else { return Ok(last) };
    let head = Checkpoint::from(&head);
    if last.as_ref() == Some(&head) {
        return Ok(last);
    }
    let line = CheckpointLine { seq: head.seq, hash: head.hash.clone(), at: now };
    let mut text = serde_json::to_string(&line).map_err(io::Error::other)?;
    text.push('\n');
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || -> io::Result<()> {
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
        f.write_all(text.as_bytes())?;
        f.sync_data()
    })
    .await
    .map_err(io::Error::other)??;
    Ok(Some(head))
}

/// Reads a checkpoint file: JSON lines as [`write_checkpoint`] writes them,
/// or `seq:hash` lines as `kyc audit head` prints them. Blank lines are skipped.
pub fn read_checkpoints(path: &Path) -> Result<Vec<Checkpoint>, CheckpointError> {
    let file = std::fs::File::open(path)?;
    let mut out = Vec::new();
    for (i, line) in io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parsed = if line.starts_with('{') {
            serde_json::from_str::<CheckpointLine>(line)
                .ok()
                .and_then(|c| format!("{}:{}", c.seq, c.hash).parse().ok())
        } else {
            line.parse().ok()
        };
        out.push(parsed.ok_or(CheckpointError::BadLine { line: i + 1 })?);
    }
    Ok(out)
}

/// The outcome of checking a whole log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Records that verified, from the first.
    pub records: u64,
    /// The first broken link, if any.
    pub broken: Option<ChainBreak>,
    /// The last record that verified.
    pub head: Option<Checkpoint>,
}

/// Checks every record of `log` under `key`, in pages, and holds it to
/// `checkpoints`.
pub async fn verify_log(
    log: &dyn AuditLog,
    key: ChainKey,
    checkpoints: Vec<Checkpoint>,
) -> Result<ChainReport, StoreError> {
    let mut verifier = ChainVerifier::new(key).with_checkpoints(checkpoints);
    let mut after = 0;
    let broken = 'scan: loop {
        let page = log.scan(after, 1000).await?;
        let Some(last) = page.last() else { break verifier.finish().err() };
        after = last.seq;
        for r in &page {
            if let Err(b) = verifier.push(r) {
                break 'scan Some(b);
            }
        }
    };
    Ok(ChainReport { records: verifier.checked(), broken, head: verifier.head() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::memory::MemoryAuditLog;
    use kyc_core::{
        api::v1::{Step, StepStatus},
        audit::{AuditEvent, BreakKind},
    };

    const KEY: ChainKey = ChainKey::from_bytes([1; 32]);

    fn event() -> AuditEvent {
        AuditEvent {
            at: Timestamp::from_unix_millis(1_764_064_800_000),
            verification_id: None,
            step: Step::Upload,
            status: StepStatus::Succeeded,
            code: None,
            actor: "system".into(),
            detail: serde_json::Value::Null,
        }
    }

    #[tokio::test]
    async fn checkpoints_are_written_when_the_head_moves_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoints.jsonl");
        let log = MemoryAuditLog::new(KEY);
        let now = Timestamp::from_unix_millis(1_764_064_800_000);
        assert_eq!(write_checkpoint(&log, &path, None, now).await.unwrap(), None);
        assert!(!path.exists(), "nothing to checkpoint in an empty log");
        log.append(event()).await.unwrap();
        let first = write_checkpoint(&log, &path, None, now).await.unwrap();
        let again = write_checkpoint(&log, &path, first.clone(), now).await.unwrap();
        assert_eq!(first, again);
        log.append(event()).await.unwrap();
        let second = write_checkpoint(&log, &path, again, now).await.unwrap();
        let read = read_checkpoints(&path).unwrap();
        assert_eq!(read, vec![first.unwrap(), second.unwrap()], "one line per head, none repeated");
        let report = verify_log(&log, KEY, read).await.unwrap();
        assert_eq!((report.records, report.broken), (2, None));
    }

    #[tokio::test]
    async fn a_log_shorter_than_its_checkpoint_is_truncated() {
        let log = MemoryAuditLog::new(KEY);
        for _ in 0..3 {
            log.append(event()).await.unwrap();
        }
        let head = Checkpoint::from(&log.head().await.unwrap().unwrap());
        let ahead = Checkpoint { seq: 5, hash: head.hash.clone() };
        let report = verify_log(&log, KEY, vec![head.clone(), ahead]).await.unwrap();
        assert_eq!(report.broken, Some(ChainBreak { seq: 4, kind: BreakKind::Truncated }));
        // an empty log held to a checkpoint is truncated too
        let empty = MemoryAuditLog::new(KEY);
        let report = verify_log(&empty, KEY, vec![head]).await.unwrap();
        assert_eq!(report.broken, Some(ChainBreak { seq: 1, kind: BreakKind::Truncated }));
    }

    #[test]
    fn bad_checkpoint_lines_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        let hash = "ab".repeat(32);
        std::fs::write(&path, format!("3:{hash}\n\n{{\"seq\":4,\"hash\":\"{hash}\",\"at\":\"2025-11-25T10:00:00Z\"}}\nnope\n")).unwrap();
        assert!(matches!(read_checkpoints(&path), Err(CheckpointError::BadLine { line: 4 })));
    }
}
