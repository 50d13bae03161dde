//! OFAC legacy CSV files: `sdn.csv` + `alt.csv` + `add.csv` +
//! `sdn_comments.csv`, and the consolidated non-SDN `cons_prim.csv` +
//! `cons_alt.csv` + `cons_add.csv` + `cons_comments.csv` in the same layout.
//!
//! No header; Latin-1; `-0-` (often `-0- `) means empty; CRLF; the official
//! files end with a `0x1A` byte. Dates and places of birth, nationalities and
//! weak a.k.a.s are only inside the free-text Remarks, whose overflow is in
//! the comments file.

use std::collections::HashMap;

use crate::country;
use crate::error::{Result, ScreeningError};
use crate::model::{AliasQuality, EntityType, Entry, Source};

/// One input file: its name (for error messages) and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct CsvFile<'a> {
    /// File name, used in errors.
    pub name: &'a str,
    /// Raw bytes.
    pub bytes: &'a [u8],
}

/// The files of one OFAC list. Only `primary` is required.
#[derive(Debug, Clone, Copy)]
pub struct OfacFiles<'a> {
    /// `sdn.csv` / `cons_prim.csv`: `ent_num,SDN_Name,SDN_Type,Program,Title,
    /// Call_Sign,Vess_type,Tonnage,GRT,Vess_flag,Vess_owner,Remarks`.
    pub primary: CsvFile<'a>,
    /// `alt.csv` / `cons_alt.csv`: `ent_num,alt_num,alt_type,alt_name,alt_remarks`.
    pub alt: Option<CsvFile<'a>>,
    /// `add.csv` / `cons_add.csv`: `ent_num,add_num,address,city,country,add_remarks`.
    pub add: Option<CsvFile<'a>>,
    /// `sdn_comments.csv` / `cons_comments.csv`: `ent_num,remarks continued`.
    pub comments: Option<CsvFile<'a>>,
}

fn field(v: &str) -> Option<&str> {
    let v = v.trim();
    (!v.is_empty() && v != "-0-").then_some(v)
}

/// Reads every record of an OFAC CSV file and checks its field count.
fn records(file: CsvFile<'_>, fields: usize) -> Result<Vec<(u64, csv::StringRecord)>> {
    let text = super::decode_latin1(file.bytes);
    let text = text.trim_end_matches('\u{1A}');
    super::check_csv_complete(text, file.name)?;
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(csv::Position::line).unwrap_or(0);
            ScreeningError::malformed(file.name, line, format!("CSV: {e}"))
        })?;
        let line = record.position().map(csv::Position::line).unwrap_or(0);
        if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != fields {
            return Err(ScreeningError::malformed(
                file.name,
                line,
                format!("expected {fields} fields, found {}", record.len()),
            ));
        }
        out.push((line, record));
    }
    Ok(out)
}

fn ent_num(record: &csv::StringRecord, file: &str, line: u64) -> Result<u64> {
    record
        .get(0)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| ScreeningError::malformed(file, line, "ent_num is not a number"))
}

/// Parses an OFAC list into entries, in file order.
pub fn parse(source: Source, files: &OfacFiles<'_>) -> Result<Vec<Entry>> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut remarks: Vec<String> = Vec::new();
    let mut by_num: HashMap<u64, usize> = HashMap::new();
    for (line, record) in records(files.primary, 12)? {
        let num = ent_num(&record, files.primary.name, line)?;
        let name = record.get(1).and_then(field).ok_or_else(|| {
            ScreeningError::malformed(files.primary.name, line, "SDN_Name is empty")
        })?;
        if by_num.insert(num, entries.len()).is_some() {
            return Err(ScreeningError::malformed(
                files.primary.name,
                line,
                format!("duplicate ent_num {num}"),
            ));
        }
        let mut entry = Entry::new(source, num.to_string(), name);
        entry.entity_type = match record.get(2).and_then(field).map(str::to_ascii_lowercase) {
            None => EntityType::Entity,
            Some(t) if t == "individual" => EntityType::Individual,
            Some(t) if t == "vessel" => EntityType::Vessel,
            Some(t) if t == "aircraft" => EntityType::Aircraft,
            Some(_) => EntityType::Unknown,
        };
        if let Some(programs) = record.get(3).and_then(field) {
            for p in programs.split("] [") {
                Entry::push_unique(&mut entry.programmes, p.trim_matches(['[', ']', ' ']));
            }
        }
        if let Some(flag) = record.get(9).and_then(field) {
            Entry::push_unique(&mut entry.address_countries, &country::normalise(flag));
        }
        remarks.push(record.get(11).and_then(field).unwrap_or("").to_owned());
        entries.push(entry);
    }
    if let Some(file) = files.comments {
        for (line, record) in records(file, 2)? {
            let num = ent_num(&record, file.name, line)?;
            let Some(&i) = by_num.get(&num) else { continue };
            // The overflow continues the Remarks text exactly: do not trim it.
            let text = record.get(1).filter(|t| t.trim() != "-0-");
            if let (Some(text), Some(r)) = (text, remarks.get_mut(i)) {
                r.push_str(text);
            }
        }
    }
    if let Some(file) = files.alt {
        for (line, record) in records(file, 5)? {
            let num = ent_num(&record, file.name, line)?;
            let Some(name) = record.get(3).and_then(field) else {
                return Err(ScreeningError::malformed(file.name, line, "alt_name is empty"));
            };
            // Rows for entries missing from the primary file are delisted
            // subjects the publisher did not prune: skip them.
            if let Some(entry) = by_num.get(&num).and_then(|&i| entries.get_mut(i)) {
                entry.push_alias(name, AliasQuality::Strong);
            }
        }
    }
    if let Some(file) = files.add {
        for (line, record) in records(file, 6)? {
            let num = ent_num(&record, file.name, line)?;
            if let (Some(entry), Some(c)) =
                (by_num.get(&num).and_then(|&i| entries.get_mut(i)), record.get(4).and_then(field))
            {
                Entry::push_unique(&mut entry.address_countries, &country::normalise(c));
            }
        }
    }
    for (entry, text) in entries.iter_mut().zip(&remarks) {
        apply_remarks(entry, text);
    }
    Ok(entries)
}

/// Extracts DOBs, POBs, nationalities/citizenships and weak a.k.a.s from the
/// Remarks text.
fn apply_remarks(entry: &mut Entry, text: &str) {
    if text.is_empty() {
        return;
    }
    for alias in weak_akas(text) {
        entry.push_alias(alias, AliasQuality::Weak);
    }
    for item in text.split(';') {
        let item = item.trim();
        let item = item.strip_prefix("alt. ").unwrap_or(item).trim();
        if let Some(v) = item.strip_prefix("DOB ") {
            if let Some(d) = super::parse_dob(v)
                && !entry.dates_of_birth.contains(&d)
            {
                entry.dates_of_birth.push(d);
            }
        } else if let Some(v) = item.strip_prefix("POB ") {
            Entry::push_unique(&mut entry.places_of_birth, v.trim_end_matches('.'));
        } else if let Some(v) =
            item.strip_prefix("nationality ").or_else(|| item.strip_prefix("citizen "))
        {
            Entry::push_unique(
                &mut entry.nationalities,
                &country::normalise(v.trim_end_matches('.')),
            );
        }
    }
}

/// The quoted names after `a.k.a.` in Remarks (`a.k.a. 'ABU-'UMAR'.`): a name
/// ends at a quote followed by `;`, `.` at the end, or the end of the text.
fn weak_akas(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("a.k.a. '") {
        let after = &rest[start + "a.k.a. '".len()..];
        let bytes = after.as_bytes();
        let mut end = None;
        for (i, b) in bytes.iter().enumerate() {
            if *b != b'\'' {
                continue;
            }
            let next = bytes.get(i + 1).copied();
            let closes = matches!(next, None | Some(b';' | b',' | b'.'));
            if closes {
                end = Some(i);
                break;
            }
        }
        let Some(end) = end else { break };
        let name = after[..end].trim();
        if !name.is_empty() {
            out.push(name);
        }
        rest = &after[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BirthDate;

    const SDN: &[u8] = b"2674,\"ABBAS, Abu\",\"individual\",\"SDGT] [IRGC\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 10 Dec 1948; alt. DOB 1950; POB Safed, Palestine; nationality Iraq; a.k.a. 'ABU-'UMAR'; a.k.a. 'THE SHEIKH'.\"\r\n306,\"BANCO NACIONAL DE CUBA\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"a.k.a. 'BNC'.\"\r\n\x1a";
    const ALT: &[u8] =
        b"306,220,\"aka\",\"NATIONAL BANK OF CUBA\",-0- \r\n9999,1,\"aka\",\"ORPHAN\",-0- \r\n\x1a";
    const ADD: &[u8] =
        b"306,199,\"Zweierstrasse 35\",\"Zurich CH-8022\",\"Switzerland\",-0- \r\n\x1a";
    const COMMENTS: &[u8] = b"306,\" Linked To: X.\"\r\n";

    fn files<'a>(sdn: &'a [u8]) -> OfacFiles<'a> {
        OfacFiles {
            primary: CsvFile { name: "sdn.csv", bytes: sdn },
            alt: Some(CsvFile { name: "alt.csv", bytes: ALT }),
            add: Some(CsvFile { name: "add.csv", bytes: ADD }),
            comments: Some(CsvFile { name: "sdn_comments.csv", bytes: COMMENTS }),
        }
    }

    #[test]
    fn parses_the_csv_trio_with_remarks() {
        let entries = parse(Source::Ofac, &files(SDN)).unwrap();
        assert_eq!(entries.len(), 2);
        let abbas = &entries[0];
        assert_eq!(abbas.id, "2674");
        assert_eq!(abbas.entity_type, EntityType::Individual);
        assert_eq!(abbas.programmes, vec!["SDGT", "IRGC"]);
        assert_eq!(
            abbas.dates_of_birth,
            vec![
                BirthDate::Exact { year: 1948, month: 12, day: 10 },
                BirthDate::Year { year: 1950 }
            ]
        );
        assert_eq!(abbas.places_of_birth, vec!["Safed, Palestine"]);
        assert_eq!(abbas.nationalities, vec!["IQ"]);
        let names: Vec<&str> = abbas.aliases.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["ABU-'UMAR", "THE SHEIKH"]);
        assert!(abbas.aliases.iter().all(|a| a.quality == AliasQuality::Weak));
        let bank = &entries[1];
        assert_eq!(bank.entity_type, EntityType::Entity);
        assert_eq!(
            bank.aliases.len(),
            2,
            "{:?}",
            bank.aliases.iter().map(|a| &a.name).collect::<Vec<_>>()
        );
        assert_eq!(bank.aliases[0].name, "NATIONAL BANK OF CUBA");
        assert_eq!(bank.aliases[0].quality, AliasQuality::Strong);
        assert_eq!(
            (bank.aliases[1].name.as_str(), bank.aliases[1].quality),
            ("BNC", AliasQuality::Weak)
        );
        assert_eq!(bank.address_countries, vec!["CH"]);
    }

    #[test]
    fn rejects_a_truncated_primary_file() {
        let cut = &SDN[..SDN.len() - 20];
        let err = parse(Source::Ofac, &files(cut)).unwrap_err();
        assert_eq!(err.code(), "list_truncated");
        assert!(err.to_string().contains("sdn.csv"));
    }

    #[test]
    fn rejects_a_wrong_field_count_with_the_line() {
        let bad = b"1,\"A\",-0- \r\n";
        let err = parse(Source::Ofac, &files(bad)).unwrap_err();
        assert_eq!(err.code(), "list_malformed");
        assert!(err.to_string().contains("sdn.csv: line 1"), "{err}");
    }

    #[test]
    fn rejects_a_non_numeric_id() {
        let bad = b"x,\"A\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
        assert_eq!(parse(Source::Ofac, &files(bad)).unwrap_err().code(), "list_malformed");
    }
}
