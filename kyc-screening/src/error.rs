//! Typed errors with stable codes.

use std::path::PathBuf;

/// Everything that can go wrong while importing lists, building, saving or
/// loading an index, or reading a snapshot.
///
/// Each variant has a stable machine-readable [`code`](ScreeningError::code).
/// Messages name the file and, where known, the line or row; they never contain
/// list content beyond a short field name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScreeningError {
    /// A list file does not follow its format (bad field count, unparsable id,
    /// wrong XML structure …).
    #[error("{file}: line {line}: {reason}")]
    Malformed {
        /// File (or logical source) name.
        file: String,
        /// 1-based line or data row; 0 when not known.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A list file ends before its structure is complete (XML cut mid-file,
    /// CSV record cut mid-field, missing end-of-file marker).
    #[error("{file}: truncated: {reason}")]
    Truncated {
        /// File name.
        file: String,
        /// What was expected.
        reason: String,
    },
    /// A file or directory was not recognised as any supported list format.
    #[error("{path}: unknown list format: {reason}")]
    UnknownFormat {
        /// The path.
        path: PathBuf,
        /// Why it was not recognised.
        reason: String,
    },
    /// A prebuilt index file is not a valid index of this version (bad magic,
    /// checksum or encoding).
    #[error("index {path}: corrupt: {reason}")]
    IndexCorrupt {
        /// The index path.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// A snapshot file is not a valid snapshot.
    #[error("snapshot {path}: corrupt: {reason}")]
    SnapshotCorrupt {
        /// The snapshot path.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// An I/O error on a named path.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A query was rejected (for example an empty name).
    #[error("invalid query: {0}")]
    InvalidQuery(&'static str),
}

impl ScreeningError {
    /// The stable code of this error, for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "list_malformed",
            Self::Truncated { .. } => "list_truncated",
            Self::UnknownFormat { .. } => "list_unknown_format",
            Self::IndexCorrupt { .. } => "index_corrupt",
            Self::SnapshotCorrupt { .. } => "snapshot_corrupt",
            Self::Io { .. } => "io",
            Self::InvalidQuery(_) => "invalid_query",
        }
    }

    pub(crate) fn malformed(file: &str, line: u64, reason: impl Into<String>) -> Self {
        Self::Malformed { file: file.to_owned(), line, reason: reason.into() }
    }

    pub(crate) fn truncated(file: &str, reason: impl Into<String>) -> Self {
        Self::Truncated { file: file.to_owned(), reason: reason.into() }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }
}

/// Result alias for this crate.
pub type Result<T, E = ScreeningError> = std::result::Result<T, E>;
