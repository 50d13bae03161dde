//! EU financial sanctions (FSF) consolidated list.
//!
//! * [`parse_fsf_xml`]: the official `xmlFullSanctionsList_1_1` export
//!   (`export/@generationDate`, `sanctionEntity/@logicalId`,
//!   `nameAlias/@wholeName @strong`, `subjectType/@code`
//!   `person`/`enterprise`, `regulation/@programme`,
//!   `birthdate/@birthdate @year @circa @yearRangeFrom @yearRangeTo @city
//!   @countryDescription`, `citizenship/@countryIso2Code`,
//!   `address/@countryIso2Code`).
//! * [`parse_derived_csv`]: a third-party derivation of that XML
//!   (`Name,Alias,Nationality,Designation,Sanction Type,Source`, one row per
//!   entity, aliases joined with `", "`, no EU ids: entries get the id
//!   `row<N>`, N the 1-based data row). Not redistributable.

use super::xml;
use crate::country;
use crate::error::{Result, ScreeningError};
use crate::model::{AliasQuality, BirthDate, EntityType, Entry, ListSnapshot, Source};

fn subject_type(code: &str) -> EntityType {
    match code.trim().to_ascii_lowercase().as_str() {
        "person" | "p" => EntityType::Individual,
        "enterprise" | "e" => EntityType::Entity,
        _ => EntityType::Unknown,
    }
}

/// Tokens that the derived CSV's `", "` split cuts off a company name.
const SPLIT_SUFFIXES: &[&str] = &[
    "ltd", "llc", "inc", "jsc", "ojsc", "cjsc", "pjsc", "ooo", "oao", "zao", "ao", "pao", "sa",
    "s a", "gmbh", "co", "ag", "plc", "limited", "corp", "lp", "bv", "nv", "srl", "spa", "fze",
    "fzco", "fzc",
];

/// Parses the derived EU CSV (see the module docs).
pub fn parse_derived_csv(bytes: &[u8], file: &str) -> Result<ListSnapshot> {
    let text = super::decode_utf8(bytes, file)?;
    super::check_csv_complete(text, file)?;
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ScreeningError::malformed(file, 1, format!("CSV header: {e}")))?
        .clone();
    let col = |n: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(n));
    let (Some(name_col), Some(alias_col)) = (col("Name"), col("Alias")) else {
        return Err(ScreeningError::malformed(file, 1, "header lacks `Name` and `Alias`"));
    };
    let (nat_col, kind_col) = (col("Nationality"), col("Designation"));
    let mut entries = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map(csv::Position::line).unwrap_or(0);
            ScreeningError::malformed(file, line, format!("CSV: {e}"))
        })?;
        let line = record.position().map(csv::Position::line).unwrap_or(0);
        let name = record
            .get(name_col)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ScreeningError::malformed(file, line, "Name is empty"))?;
        let mut e = Entry::new(Source::Eu, format!("row{}", row + 1), name);
        e.entity_type =
            kind_col.and_then(|c| record.get(c)).map(subject_type).unwrap_or(EntityType::Unknown);
        if let Some(nat) = nat_col.and_then(|c| record.get(c)).filter(|v| !v.is_empty()) {
            Entry::push_unique(&mut e.nationalities, &country::normalise(nat));
        }
        let mut pieces: Vec<String> = Vec::new();
        for piece in record.get(alias_col).unwrap_or("").split(", ") {
            let key = kyc_core::names::match_key(piece);
            match pieces.last_mut() {
                Some(last) if SPLIT_SUFFIXES.contains(&key.as_str()) => {
                    last.push_str(", ");
                    last.push_str(piece);
                }
                _ => pieces.push(piece.to_owned()),
            }
        }
        for p in &pieces {
            e.push_alias(p, AliasQuality::Unknown);
        }
        entries.push(e);
    }
    Ok(ListSnapshot {
        source: Source::Eu,
        version: None,
        published: None,
        origin: file.to_owned(),
        entries,
    })
}

/// Parses the official EU FSF XML export.
pub fn parse_fsf_xml(bytes: &[u8], file: &str) -> Result<ListSnapshot> {
    let root = xml::parse(bytes, file)?;
    if root.name != "export" {
        return Err(ScreeningError::malformed(
            file,
            root.line,
            format!("root element is <{}>, expected <export>", root.name),
        ));
    }
    let generated = root.attr("generationDate").map(str::to_owned);
    let mut entries = Vec::new();
    for s in root.children("sanctionEntity") {
        let id = s.attr("logicalId").ok_or_else(|| {
            ScreeningError::malformed(file, s.line, "sanctionEntity without logicalId")
        })?;
        let mut names = Vec::new();
        for n in s.children("nameAlias") {
            let whole = n.attr("wholeName").map(str::to_owned).or_else(|| {
                let parts: Vec<&str> = ["firstName", "middleName", "lastName"]
                    .iter()
                    .filter_map(|a| n.attr(a))
                    .collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            });
            let Some(whole) = whole else { continue };
            let quality = match n.attr("strong") {
                Some("true") => AliasQuality::Strong,
                Some("false") => AliasQuality::Weak,
                _ => AliasQuality::Unknown,
            };
            names.push((whole, quality));
        }
        let primary = names
            .iter()
            .find(|(_, q)| *q == AliasQuality::Strong)
            .or_else(|| names.first())
            .map(|(n, _)| n.clone())
            .ok_or_else(|| {
                ScreeningError::malformed(
                    file,
                    s.line,
                    format!("sanctionEntity {id}: no nameAlias"),
                )
            })?;
        let mut e = Entry::new(Source::Eu, id, primary);
        for (n, q) in &names {
            e.push_alias(n, *q);
        }
        e.entity_type = s
            .child("subjectType")
            .and_then(|t| t.attr("code"))
            .map(subject_type)
            .unwrap_or(EntityType::Unknown);
        for r in s.children("regulation") {
            if let Some(p) = r.attr("programme") {
                Entry::push_unique(&mut e.programmes, p);
            }
        }
        for b in s.children("birthdate") {
            let circa = b.attr("circa") == Some("true");
            let date = if let Some(d) = b.attr("birthdate").and_then(BirthDate::parse_iso) {
                Some(d)
            } else if let Some(y) = b.attr("year").and_then(|y| y.parse::<i32>().ok()) {
                match b
                    .attr("monthOfYear")
                    .and_then(|m| m.parse::<u8>().ok())
                    .filter(|m| (1..=12).contains(m))
                {
                    Some(month) => Some(BirthDate::Month { year: y, month }),
                    None => Some(BirthDate::Year { year: y }),
                }
            } else if let (Some(from), Some(to)) = (
                b.attr("yearRangeFrom").and_then(|y| y.parse::<i32>().ok()),
                b.attr("yearRangeTo").and_then(|y| y.parse::<i32>().ok()),
            ) {
                Some(BirthDate::Range { from, to })
            } else {
                None
            };
            let date = match date {
                Some(BirthDate::Year { year }) if circa => Some(BirthDate::Circa { year }),
                other => other,
            };
            if let Some(d) = date.filter(|d| !e.dates_of_birth.contains(d)) {
                e.dates_of_birth.push(d);
            }
            let pob: Vec<&str> = ["city", "place", "countryDescription"]
                .iter()
                .filter_map(|a| b.attr(a))
                .filter(|v| *v != "UNKNOWN")
                .collect();
            if !pob.is_empty() {
                Entry::push_unique(&mut e.places_of_birth, &pob.join(", "));
            }
        }
        for c in s.children("citizenship") {
            let v = c
                .attr("countryIso2Code")
                .filter(|c| *c != "00")
                .map(str::to_owned)
                .or_else(|| c.attr("countryDescription").map(country::normalise));
            if let Some(v) = v {
                Entry::push_unique(&mut e.nationalities, &v);
            }
        }
        for a in s.children("address") {
            if let Some(v) = a.attr("countryIso2Code").filter(|c| *c != "00") {
                Entry::push_unique(&mut e.address_countries, v);
            }
        }
        entries.push(e);
    }
    Ok(ListSnapshot {
        source: Source::Eu,
        published: generated.as_deref().and_then(|g| g.get(..10)).map(str::to_owned),
        version: generated,
        origin: file.to_owned(),
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_derived_csv() {
        let csv = "Name,Alias,Nationality,Designation,Sanction Type,Source\nSaddam Hussein Al-Tikriti,\"Saddam Hussein Al-Tikriti, Abu Ali, Abou Ali\",IRAQ,person,regulation,Europe\nACME,\"ACME, TRADING, LLC, Акме\",,enterprise,amendment,Europe\n";
        let snap = parse_derived_csv(csv.as_bytes(), "eu.csv").unwrap();
        assert_eq!(snap.entries.len(), 2);
        let e = &snap.entries[0];
        assert_eq!(e.id, "row1");
        assert_eq!(e.entity_type, EntityType::Individual);
        assert_eq!(e.nationalities, vec!["IQ"]);
        assert_eq!(e.aliases.len(), 2);
        let names: Vec<&str> = snap.entries[1].aliases.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["TRADING, LLC", "Акме"]);
        assert_eq!(snap.entries[1].id, "row2");
    }

    const XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2025-05-20T17:04:39.581+02:00" globalFileId="151535">
  <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.27.28" logicalId="13">
    <regulation regulationType="regulation" organisationType="council" publicationDate="2003-07-08" entryIntoForceDate="2003-07-07" numberTitle="1210/2003 (OJ L169)" programme="IRQ" logicalId="12"/>
    <subjectType code="person" classificationCode="P"/>
    <nameAlias firstName="Saddam" middleName="" lastName="Hussein Al-Tikriti" wholeName="Saddam Hussein Al-Tikriti" function="" gender="M" title="" nameLanguage="" strong="true" regulationLanguage="en" logicalId="17"/>
    <nameAlias firstName="" middleName="" lastName="" wholeName="Abu Ali" function="" gender="M" title="" nameLanguage="" strong="false" regulationLanguage="en" logicalId="18"/>
    <citizenship region="" countryIso2Code="IQ" countryDescription="IRAQ" regulationLanguage="en" logicalId="19"/>
    <birthdate circa="false" calendarType="GREGORIAN" city="al-Awja, near Tikrit" zipCode="" birthdate="1937-04-28" dayOfMonth="28" monthOfYear="4" year="1937" region="" place="" countryIso2Code="IQ" countryDescription="IRAQ" regulationLanguage="en" logicalId="20"/>
  </sanctionEntity>
  <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.1.2" logicalId="999">
    <regulation programme="RUS" logicalId="1"/>
    <subjectType code="enterprise" classificationCode="E"/>
    <nameAlias wholeName="Acme Trading LLC" strong="true" logicalId="2"/>
    <nameAlias wholeName="ООО Акме" strong="true" logicalId="3"/>
    <birthdate circa="true" year="1950" logicalId="4"/>
    <address countryIso2Code="RU" logicalId="5"/>
  </sanctionEntity>
</export>"#;

    #[test]
    fn parses_the_fsf_xml() {
        let snap = parse_fsf_xml(XML.as_bytes(), "eu.xml").unwrap();
        assert_eq!(snap.published.as_deref(), Some("2025-05-20"));
        let e = &snap.entries[0];
        assert_eq!((e.id.as_str(), e.primary_name.as_str()), ("13", "Saddam Hussein Al-Tikriti"));
        assert_eq!(e.entity_type, EntityType::Individual);
        assert_eq!(e.aliases.len(), 1);
        assert_eq!(e.aliases[0].quality, AliasQuality::Weak);
        assert_eq!(e.programmes, vec!["IRQ"]);
        assert_eq!(e.nationalities, vec!["IQ"]);
        assert_eq!(e.dates_of_birth, vec![BirthDate::Exact { year: 1937, month: 4, day: 28 }]);
        assert_eq!(e.places_of_birth, vec!["al-Awja, near Tikrit, IRAQ"]);
        let c = &snap.entries[1];
        assert_eq!(c.entity_type, EntityType::Entity);
        assert_eq!(c.dates_of_birth, vec![BirthDate::Circa { year: 1950 }]);
        assert_eq!(c.address_countries, vec!["RU"]);
    }

    #[test]
    fn rejects_truncated_and_foreign_xml() {
        let cut = &XML.as_bytes()[..XML.len() - 100];
        assert_eq!(parse_fsf_xml(cut, "eu.xml").unwrap_err().code(), "list_truncated");
        assert_eq!(
            parse_fsf_xml(b"<CONSOLIDATED_LIST/>", "eu.xml").unwrap_err().code(),
            "list_malformed"
        );
    }
}
