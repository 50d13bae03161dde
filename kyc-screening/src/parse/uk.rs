//! UK sanctions lists.
//!
//! * [`parse_csv`]: the 8-column summary (`Unique ID, OFSI Group ID, Name,
//!   Regime Name, Type, Designation source, Date Designated, Sanctions
//!   Imposed`) — primary names only — and the OFSI consolidated list CSV
//!   (`ConList.csv`, one row per name, `Name 1`..`Name 6`, `Alias Type`,
//!   `Alias Quality`, `DOB`, `Nationality`, `Group ID`, `UK Sanctions List
//!   Ref`), recognised by their header.
//! * [`parse_xml`]: the full FCDO `UK_Sanctions_List.xml` (`Designations /
//!   Designation` with `UniqueID`, `Names/Name` (`Name1`..`Name6`, `NameType`
//!   `Primary name`/`Alias`, `AliasStrength`), `NonLatinNames`,
//!   `IndividualEntityShip`, `RegimeName`, `IndividualDetails/Individual`
//!   with `DOBs/DOB` (`dd/mm/yyyy`), `Nationalities/Nationality`,
//!   `BirthDetails/Location`, and `Addresses/Address/AddressCountry`).

use std::collections::HashMap;

use super::xml::{self, Node};
use crate::country;
use crate::error::{Result, ScreeningError};
use crate::model::{AliasQuality, EntityType, Entry, ListSnapshot, Source};

fn entity_type(v: &str) -> EntityType {
    match v.trim().to_ascii_lowercase().as_str() {
        "individual" => EntityType::Individual,
        "entity" => EntityType::Entity,
        "ship" | "vessel" => EntityType::Vessel,
        _ => EntityType::Unknown,
    }
}

/// `2025-08-11` from a file name like `UK_Sanctions_List_2025-08-11.csv`.
pub(crate) fn date_in_name(file: &str) -> Option<String> {
    let b = file.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let s = file.get(i..i + 10)?;
        let ok = s
            .bytes()
            .enumerate()
            .all(|(j, c)| if j == 4 || j == 7 { c == b'-' } else { c.is_ascii_digit() });
        ok.then(|| s.to_owned())
    })
}

/// `dd/mm/yyyy` or `dd-mm-yyyy` to `yyyy-mm-dd`.
fn dmy_to_iso(v: &str) -> Option<String> {
    let parts: Vec<&str> = v.trim().split(['/', '-']).collect();
    match parts.as_slice() {
        [d, m, y] if y.len() == 4 && d.len() <= 2 => Some(format!("{y}-{m:0>2}-{d:0>2}")),
        _ => None,
    }
}

/// Parses either UK CSV layout (see the module docs).
pub fn parse_csv(bytes: &[u8], file: &str) -> Result<ListSnapshot> {
    let text = super::decode_utf8(bytes, file)?;
    super::check_csv_complete(text, file)?;
    // OFSI ConList.csv starts with a `Last Updated,dd/mm/yyyy` line before the header.
    let (last_updated, body) = match text.split_once('\n') {
        Some((first, rest)) if first.starts_with("Last Updated") => {
            (first.split(',').nth(1).and_then(dmy_to_iso), rest)
        }
        _ => (None, text),
    };
    let mut reader =
        csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(body.as_bytes());
    let header_offset = u64::from(last_updated.is_some());
    let headers = reader
        .headers()
        .map_err(|e| {
            ScreeningError::malformed(file, 1 + header_offset, format!("CSV header: {e}"))
        })?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(csv::Position::line).unwrap_or(0) + header_offset;
            ScreeningError::malformed(file, line, format!("CSV: {e}"))
        })?;
        let line = record.position().map(csv::Position::line).unwrap_or(0) + header_offset;
        rows.push((line, record));
    }
    let entries = if let (Some(id), Some(name)) = (col("Unique ID"), col("Name")) {
        summary_rows(&rows, file, id, name, col("Type"), col("Regime Name"))?
    } else if let (Some(group), Some(_)) = (col("Group ID"), col("Name 6")) {
        conlist_rows(&rows, file, &headers, group)?
    } else {
        return Err(ScreeningError::malformed(
            file,
            1 + header_offset,
            "not a UK list CSV header (no `Unique ID`/`Name` nor `Group ID`/`Name 6`)",
        ));
    };
    Ok(ListSnapshot {
        source: Source::Uk,
        version: last_updated.clone().or_else(|| date_in_name(file)),
        published: last_updated.or_else(|| date_in_name(file)),
        origin: file.to_owned(),
        entries,
    })
}

fn summary_rows(
    rows: &[(u64, csv::StringRecord)],
    file: &str,
    id: usize,
    name: usize,
    kind: Option<usize>,
    regime: Option<usize>,
) -> Result<Vec<Entry>> {
    let mut entries = Vec::with_capacity(rows.len());
    let mut seen = HashMap::new();
    for (line, r) in rows {
        let uid = r
            .get(id)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ScreeningError::malformed(file, *line, "Unique ID is empty"))?;
        // The published 2025-08-11 list has two designations with an empty
        // Name cell: keep them (the id is still reportable), they cannot match.
        let n = r.get(name).unwrap_or("");
        if seen.insert(uid.to_owned(), *line).is_some() {
            return Err(ScreeningError::malformed(
                file,
                *line,
                format!("duplicate Unique ID {uid}"),
            ));
        }
        let mut e = Entry::new(Source::Uk, uid, n);
        e.entity_type = kind.and_then(|k| r.get(k)).map(entity_type).unwrap_or(EntityType::Unknown);
        if let Some(v) = regime.and_then(|k| r.get(k)) {
            Entry::push_unique(&mut e.programmes, v);
        }
        entries.push(e);
    }
    Ok(entries)
}

fn conlist_rows(
    rows: &[(u64, csv::StringRecord)],
    file: &str,
    headers: &csv::StringRecord,
    group: usize,
) -> Result<Vec<Entry>> {
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let parts: Vec<usize> = ["Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Name 6"]
        .iter()
        .filter_map(|n| col(n))
        .collect();
    fn get(r: &csv::StringRecord, c: Option<usize>) -> Option<&str> {
        c.and_then(|c| r.get(c)).map(str::trim).filter(|v| !v.is_empty())
    }
    let (
        alias_type,
        alias_quality,
        dob,
        nat,
        town,
        cob,
        regime,
        kind,
        uk_ref,
        non_latin,
        addr_country,
    ) = (
        col("Alias Type"),
        col("Alias Quality"),
        col("DOB"),
        col("Nationality"),
        col("Town of Birth"),
        col("Country of Birth"),
        col("Regime"),
        col("Group Type"),
        col("UK Sanctions List Ref"),
        col("Name Non-Latin Script"),
        col("Country"),
    );
    let mut entries: Vec<Entry> = Vec::new();
    let mut by_group: HashMap<String, usize> = HashMap::new();
    for (line, r) in rows {
        let gid = get(r, Some(group))
            .ok_or_else(|| ScreeningError::malformed(file, *line, "Group ID is empty"))?;
        let name: Vec<&str> = parts.iter().filter_map(|&c| get(r, Some(c))).collect();
        if name.is_empty() {
            return Err(ScreeningError::malformed(file, *line, "all name columns are empty"));
        }
        let name = name.join(" ");
        let i = match by_group.get(gid) {
            Some(&i) => i,
            None => {
                let id = get(r, uk_ref).unwrap_or(gid);
                let mut e = Entry::new(Source::Uk, id, name.clone());
                e.entity_type = get(r, kind).map(entity_type).unwrap_or(EntityType::Unknown);
                by_group.insert(gid.to_owned(), entries.len());
                entries.push(e);
                entries.len() - 1
            }
        };
        let Some(e) = entries.get_mut(i) else { continue };
        let is_primary = get(r, alias_type).is_none_or(|t| t.eq_ignore_ascii_case("Primary name"));
        if is_primary && e.primary_name != name && e.aliases.is_empty() {
            e.primary_name = name;
        } else {
            let q = match get(r, alias_quality).map(str::to_ascii_lowercase).as_deref() {
                Some(q) if q.starts_with("good") || q.starts_with("high") => AliasQuality::Strong,
                Some(q) if q.starts_with("low") => AliasQuality::Weak,
                _ => AliasQuality::Unknown,
            };
            e.push_alias(&name, q);
        }
        if let Some(v) = get(r, non_latin) {
            e.push_alias(v, AliasQuality::Strong);
        }
        if let Some(d) = get(r, dob).and_then(super::parse_single_date)
            && !e.dates_of_birth.contains(&d)
        {
            e.dates_of_birth.push(d);
        }
        if let Some(v) = get(r, nat) {
            for n in
                v.split([',', ';']).filter(|n| !n.trim().is_empty() && !n.trim().starts_with('('))
            {
                Entry::push_unique(&mut e.nationalities, &country::normalise(n));
            }
        }
        let pob: Vec<&str> = [get(r, town), get(r, cob)].into_iter().flatten().collect();
        if !pob.is_empty() {
            Entry::push_unique(&mut e.places_of_birth, &pob.join(", "));
        }
        if let Some(v) = get(r, regime) {
            Entry::push_unique(&mut e.programmes, v);
        }
        if let Some(v) = get(r, addr_country) {
            Entry::push_unique(&mut e.address_countries, &country::normalise(v));
        }
    }
    Ok(entries)
}

fn joined_name(name: &Node) -> Option<String> {
    let parts: Vec<&str> = ["Name1", "Name2", "Name3", "Name4", "Name5", "Name6"]
        .iter()
        .filter_map(|n| name.text_of(n))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Parses the full FCDO UK Sanctions List XML.
pub fn parse_xml(bytes: &[u8], file: &str) -> Result<ListSnapshot> {
    let root = xml::parse(bytes, file)?;
    if root.name != "Designations" {
        return Err(ScreeningError::malformed(
            file,
            root.line,
            format!("root element is <{}>, expected <Designations>", root.name),
        ));
    }
    let generated =
        root.text_of("DateGenerated").or_else(|| root.attr("DateGenerated")).map(str::to_owned);
    let mut entries = Vec::new();
    for d in root.children("Designation") {
        let id = d
            .text_of("UniqueID")
            .ok_or_else(|| ScreeningError::malformed(file, d.line, "UniqueID missing"))?;
        let names = d.path(&["Names", "Name"]);
        let primary = names
            .iter()
            .find(|n| n.text_of("NameType").is_some_and(|t| t.eq_ignore_ascii_case("Primary name")))
            .or_else(|| names.first())
            .and_then(|n| joined_name(n))
            .ok_or_else(|| ScreeningError::malformed(file, d.line, format!("{id}: no name")))?;
        let mut e = Entry::new(Source::Uk, id, primary);
        e.entity_type =
            d.text_of("IndividualEntityShip").map(entity_type).unwrap_or(EntityType::Unknown);
        for n in &names {
            let Some(name) = joined_name(n) else { continue };
            let q = match n.text_of("AliasStrength").map(str::to_ascii_lowercase).as_deref() {
                Some(s)
                    if s.starts_with("good")
                        || s.starts_with("strong")
                        || s.starts_with("high") =>
                {
                    AliasQuality::Strong
                }
                Some(s) if s.starts_with("low") || s.starts_with("weak") => AliasQuality::Weak,
                _ if n
                    .text_of("NameType")
                    .is_some_and(|t| t.eq_ignore_ascii_case("Primary name")) =>
                {
                    AliasQuality::Strong
                }
                _ => AliasQuality::Unknown,
            };
            e.push_alias(&name, q);
        }
        for n in d.path(&["NonLatinNames", "NonLatinName"]) {
            if let Some(v) = n.text_of("NameNonLatinScript") {
                e.push_alias(v, AliasQuality::Strong);
            }
        }
        if let Some(r) = d.text_of("RegimeName") {
            Entry::push_unique(&mut e.programmes, r);
        }
        for ind in d.path(&["IndividualDetails", "Individual"]) {
            for dob in ind.path(&["DOBs", "DOB"]) {
                if let Some(v) = dob.value().and_then(super::parse_single_date)
                    && !e.dates_of_birth.contains(&v)
                {
                    e.dates_of_birth.push(v);
                }
            }
            for nat in ind.path(&["Nationalities", "Nationality"]) {
                if let Some(v) = nat.value() {
                    Entry::push_unique(&mut e.nationalities, &country::normalise(v));
                }
            }
            for loc in ind.path(&["BirthDetails", "Location"]) {
                let parts: Vec<&str> = ["TownOfBirth", "CountryOfBirth"]
                    .iter()
                    .filter_map(|n| loc.text_of(n))
                    .collect();
                if !parts.is_empty() {
                    Entry::push_unique(&mut e.places_of_birth, &parts.join(", "));
                }
            }
        }
        for addr in d.path(&["Addresses", "Address"]) {
            if let Some(c) = addr.text_of("AddressCountry") {
                Entry::push_unique(&mut e.address_countries, &country::normalise(c));
            }
        }
        entries.push(e);
    }
    let published = generated.as_deref().and_then(|g| {
        dmy_to_iso(g.get(..10).unwrap_or(g)).or_else(|| g.get(..10).map(str::to_owned))
    });
    Ok(ListSnapshot {
        source: Source::Uk,
        version: generated,
        published,
        origin: file.to_owned(),
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BirthDate;

    #[test]
    fn parses_the_summary_csv() {
        let csv = "Unique ID,OFSI Group ID,Name,Regime Name,Type,Designation source,Date Designated,Sanctions Imposed\nAFG0001,12703,HAJI KHAIRULLAH HAJI SATTAR MONEY EXCHANGE,Afghanistan,Entity,UN,29-06-2012,Asset freeze\nRUS0001,1,IVANOV Ivan Ivanovich,Russia,Individual,UK,01-01-2022,Asset freeze\n";
        let snap = parse_csv(csv.as_bytes(), "UK_Sanctions_List_2025-08-11.csv").unwrap();
        assert_eq!(snap.published.as_deref(), Some("2025-08-11"));
        assert_eq!(snap.entries.len(), 2);
        assert_eq!(snap.entries[1].id, "RUS0001");
        assert_eq!(snap.entries[1].entity_type, EntityType::Individual);
        assert_eq!(snap.entries[0].programmes, vec!["Afghanistan"]);
    }

    #[test]
    fn rejects_duplicate_ids_and_bad_headers() {
        let csv = "Unique ID,Name,Type\nA1,X,Entity\nA1,Y,Entity\n";
        let err = parse_csv(csv.as_bytes(), "uk.csv").unwrap_err();
        assert!(err.to_string().contains("uk.csv: line 3"), "{err}");
        assert_eq!(parse_csv(b"a,b\n1,2\n", "uk.csv").unwrap_err().code(), "list_malformed");
        assert_eq!(
            parse_csv(b"Unique ID,Name\nA1,\"X\n", "uk.csv").unwrap_err().code(),
            "list_truncated"
        );
    }

    #[test]
    fn parses_the_ofsi_conlist_csv() {
        let csv = "Last Updated,11/08/2025\nName 6,Name 1,Name 2,Name 3,Name 4,Name 5,Title,Name Non-Latin Script,DOB,Town of Birth,Country of Birth,Nationality,Country,Group Type,Alias Type,Alias Quality,Regime,UK Sanctions List Ref,Group ID\nIVANOV,Ivan,Ivanovich,,,,,Иван Иванов,01/02/1960,Moscow,Russia,Russia,Russia,Individual,Primary name,,Russia,RUS9999,9999\nIVANOFF,Ivan,,,,,,,dd/mm/1961,,,,,Individual,AKA,Low quality,Russia,RUS9999,9999\n";
        let snap = parse_csv(csv.as_bytes(), "ConList.csv").unwrap();
        assert_eq!(snap.published.as_deref(), Some("2025-08-11"));
        let e = &snap.entries[0];
        assert_eq!((e.id.as_str(), e.primary_name.as_str()), ("RUS9999", "Ivan Ivanovich IVANOV"));
        assert_eq!(e.aliases.len(), 2);
        assert_eq!(e.aliases[1].quality, AliasQuality::Weak);
        assert_eq!(
            e.dates_of_birth,
            vec![BirthDate::Exact { year: 1960, month: 2, day: 1 }, BirthDate::Year { year: 1961 }]
        );
        assert_eq!(e.nationalities, vec!["RU"]);
    }

    const XML: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Designations>
  <DateGenerated>11/08/2025</DateGenerated>
  <Designation>
    <LastUpdated>01/01/2025</LastUpdated>
    <UniqueID>RUS0001</UniqueID>
    <OFSIGroupID>14000</OFSIGroupID>
    <Names>
      <Name><Name1>Ivan</Name1><Name2>Ivanovich</Name2><Name6>IVANOV</Name6><NameType>Primary name</NameType></Name>
      <Name><Name1>Ivan</Name1><Name6>IVANOFF</Name6><NameType>Alias</NameType><AliasStrength>Good quality</AliasStrength></Name>
      <Name><Name6>VANYA</Name6><NameType>Alias</NameType><AliasStrength>Low quality</AliasStrength></Name>
    </Names>
    <NonLatinNames><NonLatinName><NameNonLatinScript>Иван Иванович Иванов</NameNonLatinScript></NonLatinName></NonLatinNames>
    <RegimeName>Russia</RegimeName>
    <IndividualEntityShip>Individual</IndividualEntityShip>
    <IndividualDetails><Individual>
      <DOBs><DOB>01/02/1960</DOB><DOB>dd/mm/1961</DOB></DOBs>
      <Nationalities><Nationality>Russia</Nationality></Nationalities>
      <BirthDetails><Location><TownOfBirth>Moscow</TownOfBirth><CountryOfBirth>Russia</CountryOfBirth></Location></BirthDetails>
    </Individual></IndividualDetails>
    <Addresses><Address><AddressCountry>Cyprus</AddressCountry></Address></Addresses>
  </Designation>
  <Designation>
    <UniqueID>RUS0002</UniqueID>
    <Names><Name><Name6>ACME TRADING LLC</Name6><NameType>Primary name</NameType></Name></Names>
    <IndividualEntityShip>Entity</IndividualEntityShip>
  </Designation>
</Designations>"#;

    #[test]
    fn parses_the_full_xml() {
        let snap = parse_xml(XML.as_bytes(), "UK_Sanctions_List.xml").unwrap();
        assert_eq!(snap.published.as_deref(), Some("2025-08-11"));
        assert_eq!(snap.entries.len(), 2);
        let e = &snap.entries[0];
        assert_eq!(e.primary_name, "Ivan Ivanovich IVANOV");
        let aliases: Vec<(&str, AliasQuality)> =
            e.aliases.iter().map(|a| (a.name.as_str(), a.quality)).collect();
        assert_eq!(
            aliases,
            vec![
                ("Ivan IVANOFF", AliasQuality::Strong),
                ("VANYA", AliasQuality::Weak),
                ("Иван Иванович Иванов", AliasQuality::Strong)
            ]
        );
        assert_eq!(
            e.dates_of_birth,
            vec![BirthDate::Exact { year: 1960, month: 2, day: 1 }, BirthDate::Year { year: 1961 }]
        );
        assert_eq!(e.nationalities, vec!["RU"]);
        assert_eq!(e.places_of_birth, vec!["Moscow, Russia"]);
        assert_eq!(e.address_countries, vec!["CY"]);
        assert_eq!(snap.entries[1].entity_type, EntityType::Entity);
    }

    #[test]
    fn rejects_truncated_xml() {
        let cut = &XML.as_bytes()[..XML.len() - 40];
        assert_eq!(parse_xml(cut, "UK_Sanctions_List.xml").unwrap_err().code(), "list_truncated");
    }
}
