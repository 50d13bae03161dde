//! Compressed, dated, labelled snapshots of parsed lists.
//!
//! Layout: magic `KYCSNAP1`, then a DEFLATE stream (pure-Rust `miniz_oxide`
//! backend) of a postcard-encoded [`SnapshotFile`]. Only redistributable
//! sources are written ([`Source::redistributable`]): the derived EU CSV is
//! never included.

use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, ScreeningError};
use crate::model::{ListSnapshot, Source};

const MAGIC: &[u8; 8] = b"KYCSNAP1";

/// The content of a snapshot file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotFile {
    /// Free text shown with the snapshot (what it is, that it is not current).
    pub label: String,
    /// When the snapshot was made, `YYYY-MM-DD` (supplied by the caller).
    pub created: String,
    /// The lists.
    pub lists: Vec<ListSnapshot>,
}

/// Writes the redistributable lists of `snapshots` to `path` (atomically),
/// returning how many lists were written.
pub fn write_snapshot(
    snapshots: &[ListSnapshot],
    label: &str,
    created: &str,
    path: &Path,
) -> Result<usize> {
    let lists: Vec<ListSnapshot> =
        snapshots.iter().filter(|s| s.source.redistributable()).cloned().collect();
    let file = SnapshotFile { label: label.to_owned(), created: created.to_owned(), lists };
    let corrupt =
        |reason: String| ScreeningError::SnapshotCorrupt { path: path.to_owned(), reason };
    let payload = postcard::to_stdvec(&file).map_err(|e| corrupt(format!("cannot encode: {e}")))?;
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&payload).map_err(|e| ScreeningError::io(path, e))?;
    let compressed = enc.finish().map_err(|e| ScreeningError::io(path, e))?;
    crate::atomic::replace(path, "snapshot", &[MAGIC, &compressed])
        .map_err(|e| ScreeningError::io(path, e))?;
    Ok(file.lists.len())
}

/// Reads a snapshot written by [`write_snapshot`].
pub fn read_snapshot(path: &Path) -> Result<SnapshotFile> {
    let bytes = std::fs::read(path).map_err(|e| ScreeningError::io(path, e))?;
    decode_snapshot(&bytes, path)
}

/// The snapshot shipped in this crate (`data/lists-snapshot.bin`: the
/// redistributable lists, dated and labelled), so that screening works out of
/// the box. It is a snapshot, not the current lists: update with the
/// publishers' files.
pub fn shipped_snapshot() -> Result<SnapshotFile> {
    static SHIPPED: &[u8] = include_bytes!("../data/lists-snapshot.bin");
    decode_snapshot(SHIPPED, Path::new("<shipped lists-snapshot.bin>"))
}

/// Decodes the bytes of a snapshot file; `path` names it in errors.
pub fn decode_snapshot(bytes: &[u8], path: &Path) -> Result<SnapshotFile> {
    let corrupt =
        |reason: String| ScreeningError::SnapshotCorrupt { path: path.to_owned(), reason };
    let Some(body) = bytes.strip_prefix(MAGIC.as_slice()) else {
        return Err(corrupt("not a kyc-screening snapshot (bad magic)".to_owned()));
    };
    let mut payload = Vec::new();
    flate2::read::DeflateDecoder::new(body)
        .take(512 * 1024 * 1024)
        .read_to_end(&mut payload)
        .map_err(|e| corrupt(format!("cannot decompress: {e}")))?;
    let file: SnapshotFile =
        postcard::from_bytes(&payload).map_err(|e| corrupt(format!("cannot decode: {e}")))?;
    if file
        .lists
        .iter()
        .any(|l| !l.source.redistributable() || l.entries.iter().any(|e| e.source != l.source))
    {
        return Err(corrupt(
            "contains a list that is not redistributable or mixed sources".to_owned(),
        ));
    }
    Ok(file)
}

/// The sources in a snapshot.
pub fn sources(file: &SnapshotFile) -> Vec<Source> {
    file.lists.iter().map(|l| l.source).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Entry;

    #[test]
    fn round_trips_and_drops_eu() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.bin");
        let mk = |source| ListSnapshot {
            source,
            version: Some("v".into()),
            published: None,
            origin: "o".into(),
            entries: vec![Entry::new(source, "1", "X Y")],
        };
        let n = write_snapshot(
            &[mk(Source::Ofac), mk(Source::Eu), mk(Source::Un)],
            "test",
            "2026-01-01",
            &path,
        )
        .unwrap();
        assert_eq!(n, 2);
        let back = read_snapshot(&path).unwrap();
        assert_eq!(sources(&back), vec![Source::Ofac, Source::Un]);
        assert_eq!(back.lists[0].entries[0].primary_name, "X Y");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert_eq!(read_snapshot(&path).unwrap_err().code(), "snapshot_corrupt");
    }
}
