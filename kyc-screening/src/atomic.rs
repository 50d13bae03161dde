//! Crash-safe file replacement: write a temporary file beside the target,
//! fsync it, rename it over the target, then fsync the directory so the
//! rename itself survives a power loss.

use std::io::Write;
use std::path::Path;

/// Replaces `path` with `parts` concatenated, atomically and durably.
/// `stem` names the temporary file (`.{stem}.tmp-{pid}`), removed on failure.
pub(crate) fn replace(path: &Path, stem: &str, parts: &[&[u8]]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{stem}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        for p in parts {
            f.write_all(p)?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("index.bin");
        std::fs::write(&target, b"old").unwrap();
        super::replace(&target, "index.bin", &[b"ne", b"w"]).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // a target in a missing directory fails and leaves nothing behind
        assert!(super::replace(&dir.path().join("no/such/file"), "f", &[b"x"]).is_err());
    }
}
