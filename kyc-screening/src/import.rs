//! Importing a directory of list files.

use std::path::{Path, PathBuf};

use crate::error::{Result, ScreeningError};
use crate::model::{ListSnapshot, Source};
use crate::parse::{eu, ofac, uk, un};

/// The formats [`import_file`] and [`import_dir`] recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    /// UN consolidated XML (root `CONSOLIDATED_LIST`).
    UnXml,
    /// EU FSF XML (root `export`).
    EuFsfXml,
    /// Full UK Sanctions List XML (root `Designations`).
    UkXml,
    /// UK summary CSV or OFSI ConList CSV.
    UkCsv,
    /// The derived EU CSV (`Name,Alias,…`).
    EuDerivedCsv,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| ScreeningError::io(path, e))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Recognises a single-file list by its content (XML root element or CSV
/// header). OFAC files are recognised by name in [`import_dir`].
pub fn sniff(bytes: &[u8]) -> Option<ListFormat> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = String::from_utf8_lossy(head);
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with('<') {
        // first element that is not a declaration, comment or doctype
        let mut rest = head;
        while let Some(i) = rest.find('<') {
            let after = &rest[i + 1..];
            if after.starts_with('?') || after.starts_with('!') {
                rest = after;
                continue;
            }
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let local = name.rsplit(':').next().unwrap_or("");
            return match local {
                "CONSOLIDATED_LIST" => Some(ListFormat::UnXml),
                "export" => Some(ListFormat::EuFsfXml),
                "Designations" => Some(ListFormat::UkXml),
                _ => None,
            };
        }
        return None;
    }
    let first = head.lines().next().unwrap_or("");
    if first.starts_with("Last Updated") || (first.contains("Unique ID") && first.contains("Name"))
    {
        return Some(ListFormat::UkCsv);
    }
    if first.starts_with("Name,Alias") {
        return Some(ListFormat::EuDerivedCsv);
    }
    None
}

/// Parses one single-file list (UN XML, EU FSF XML, UK XML/CSV, derived EU CSV).
pub fn import_file(path: &Path) -> Result<ListSnapshot> {
    let bytes = read(path)?;
    let name = file_name(path);
    match sniff(&bytes) {
        Some(ListFormat::UnXml) => un::parse(&bytes, &name),
        Some(ListFormat::EuFsfXml) => eu::parse_fsf_xml(&bytes, &name),
        Some(ListFormat::UkXml) => uk::parse_xml(&bytes, &name),
        Some(ListFormat::UkCsv) => uk::parse_csv(&bytes, &name),
        Some(ListFormat::EuDerivedCsv) => eu::parse_derived_csv(&bytes, &name),
        None => Err(ScreeningError::UnknownFormat {
            path: path.to_owned(),
            reason: "not a recognised sanctions list (XML root or CSV header)".to_owned(),
        }),
    }
}

/// The OFAC file groups: (primary, alt, add, comments, source).
const OFAC_GROUPS: &[(&str, &str, &str, &str, Source)] = &[
    ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv", Source::Ofac),
    ("cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv", Source::OfacCons),
];

fn find(files: &[PathBuf], name: &str) -> Option<PathBuf> {
    files.iter().find(|p| file_name(p).eq_ignore_ascii_case(name)).cloned()
}

fn import_ofac(
    files: &[PathBuf],
    group: &(&str, &str, &str, &str, Source),
    used: &mut Vec<PathBuf>,
) -> Result<Option<ListSnapshot>> {
    let (prim, alt, add, comments, source) = *group;
    if find(files, prim).is_none() {
        return Ok(None);
    }
    let load = |name: &str, used: &mut Vec<PathBuf>| -> Result<Option<(String, Vec<u8>)>> {
        match find(files, name) {
            Some(p) => {
                used.push(p.clone());
                Ok(Some((file_name(&p), read(&p)?)))
            }
            None => Ok(None),
        }
    };
    let primary = load(prim, used)?;
    let alt = load(alt, used)?;
    let add = load(add, used)?;
    let comments = load(comments, used)?;
    let Some(primary) = primary else { return Ok(None) };
    fn as_file(f: &Option<(String, Vec<u8>)>) -> Option<ofac::CsvFile<'_>> {
        f.as_ref().map(|(n, b)| ofac::CsvFile { name: n, bytes: b })
    }
    let files_ref = ofac::OfacFiles {
        primary: ofac::CsvFile { name: &primary.0, bytes: &primary.1 },
        alt: as_file(&alt),
        add: as_file(&add),
        comments: as_file(&comments),
    };
    let entries = ofac::parse(source, &files_ref)?;
    let origin = [Some(&primary), alt.as_ref(), add.as_ref(), comments.as_ref()]
        .into_iter()
        .flatten()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join("+");
    Ok(Some(ListSnapshot { source, version: None, published: None, origin, entries }))
}

fn collect(dir: &Path, depth: usize, out: &mut Vec<Vec<PathBuf>>) -> Result<()> {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    let rd = std::fs::read_dir(dir).map_err(|e| ScreeningError::io(dir, e))?;
    for entry in rd {
        let entry = entry.map_err(|e| ScreeningError::io(dir, e))?;
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| ScreeningError::io(&path, e))?;
        if ft.is_dir() && !file_name(&path).starts_with('.') {
            dirs.push(path);
        } else if ft.is_file() {
            files.push(path);
        }
    }
    files.sort();
    dirs.sort();
    out.push(files);
    if depth > 0 {
        for d in dirs {
            collect(&d, depth - 1, out)?;
        }
    }
    Ok(())
}

/// Imports every list found in `dir` and its subdirectories (two levels):
/// OFAC CSV groups by their official file names (`sdn.csv` + `alt.csv` +
/// `add.csv` + `sdn_comments.csv`; `cons_prim.csv` + `cons_alt.csv` + …),
/// other lists by content ([`sniff`]). Files with other extensions (`.ods`,
/// `.md`, …) are ignored; a `.csv` or `.xml` that is not recognised is an
/// error, as is a directory without any list. Any malformed or truncated file
/// fails the whole import.
pub fn import_dir(dir: &Path) -> Result<Vec<ListSnapshot>> {
    let mut groups = Vec::new();
    collect(dir, 2, &mut groups)?;
    let mut out = Vec::new();
    for files in &groups {
        let mut used: Vec<PathBuf> = Vec::new();
        for group in OFAC_GROUPS {
            if let Some(s) = import_ofac(files, group, &mut used)? {
                out.push(s);
            }
        }
        for path in files {
            if used.contains(path) {
                continue;
            }
            let ext = path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            if ext != "csv" && ext != "xml" {
                continue;
            }
            out.push(import_file(path)?);
        }
    }
    if out.is_empty() {
        return Err(ScreeningError::UnknownFormat {
            path: dir.to_owned(),
            reason: "no sanctions list files found".to_owned(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_formats() {
        assert_eq!(sniff(b"<?xml version=\"1.0\"?>\n<CONSOLIDATED_LIST>"), Some(ListFormat::UnXml));
        assert_eq!(
            sniff(b"\xEF\xBB\xBF<?xml?><!-- c --><export xmlns=\"x\">"),
            Some(ListFormat::EuFsfXml)
        );
        assert_eq!(sniff(b"<Designations>"), Some(ListFormat::UkXml));
        assert_eq!(sniff(b"Unique ID,OFSI Group ID,Name\n"), Some(ListFormat::UkCsv));
        assert_eq!(sniff(b"Name,Alias,Nationality\n"), Some(ListFormat::EuDerivedCsv));
        assert_eq!(sniff(b"hello"), None);
    }

    #[test]
    fn rejects_unknown_and_empty_directories() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(import_dir(dir.path()).unwrap_err().code(), "list_unknown_format");
        std::fs::write(dir.path().join("x.csv"), "a,b\n").unwrap();
        assert_eq!(import_dir(dir.path()).unwrap_err().code(), "list_unknown_format");
    }

    #[test]
    fn a_truncated_file_fails_the_whole_import() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("sdn.csv"),
            "1,\"A\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 1\r\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("un.xml"), "<CONSOLIDATED_LIST></CONSOLIDATED_LIST>")
            .unwrap();
        assert_eq!(import_dir(dir.path()).unwrap_err().code(), "list_truncated");
    }
}
