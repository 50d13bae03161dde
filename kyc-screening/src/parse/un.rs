//! UN Security Council consolidated list XML (`CONSOLIDATED_LIST` with
//! `INDIVIDUALS/INDIVIDUAL` and `ENTITIES/ENTITY`).
//!
//! Names are split over `FIRST_NAME`..`FOURTH_NAME` (not reliably in
//! given/family order, so they are joined in document order); aliases carry a
//! `QUALITY` (`Good`, `Low`, `a.k.a.`, `f.k.a.`); a DOB is a `DATE`, a `YEAR`
//! or `FROM_YEAR`/`TO_YEAR` with a `TYPE_OF_DATE`; `NAME_ORIGINAL_SCRIPT`
//! holds the Arabic/Cyrillic spelling and is kept as a strong alias.

use super::xml::{self, Node};
use crate::country;
use crate::error::{Result, ScreeningError};
use crate::model::{AliasQuality, BirthDate, EntityType, Entry, ListSnapshot, Source};

/// Parses the whole file into a snapshot (version = `dateGenerated`).
pub fn parse(bytes: &[u8], file: &str) -> Result<ListSnapshot> {
    let root = xml::parse(bytes, file)?;
    if root.name != "CONSOLIDATED_LIST" {
        return Err(ScreeningError::malformed(
            file,
            root.line,
            format!("root element is <{}>, expected <CONSOLIDATED_LIST>", root.name),
        ));
    }
    let generated = root.attr("dateGenerated").map(str::to_owned);
    let mut entries = Vec::new();
    for node in root.path(&["INDIVIDUALS", "INDIVIDUAL"]) {
        entries.push(entry(node, EntityType::Individual, file)?);
    }
    for node in root.path(&["ENTITIES", "ENTITY"]) {
        entries.push(entry(node, EntityType::Entity, file)?);
    }
    Ok(ListSnapshot {
        source: Source::Un,
        published: generated.as_deref().and_then(|d| d.get(..10)).map(str::to_owned),
        version: generated,
        origin: file.to_owned(),
        entries,
    })
}

fn entry(node: &Node, kind: EntityType, file: &str) -> Result<Entry> {
    let id = node
        .text_of("REFERENCE_NUMBER")
        .ok_or_else(|| ScreeningError::malformed(file, node.line, "REFERENCE_NUMBER missing"))?;
    let name: Vec<&str> = ["FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"]
        .iter()
        .filter_map(|n| node.text_of(n))
        .collect();
    if name.is_empty() {
        return Err(ScreeningError::malformed(
            file,
            node.line,
            format!("{id}: FIRST_NAME missing"),
        ));
    }
    let mut e = Entry::new(Source::Un, id, name.join(" "));
    e.entity_type = kind;
    if let Some(list) = node.text_of("UN_LIST_TYPE") {
        Entry::push_unique(&mut e.programmes, list);
    }
    for original in node.children("NAME_ORIGINAL_SCRIPT") {
        if let Some(v) = original.value() {
            e.push_alias(v, AliasQuality::Strong);
        }
    }
    for alias in node.children("INDIVIDUAL_ALIAS").chain(node.children("ENTITY_ALIAS")) {
        let Some(name) = alias.text_of("ALIAS_NAME") else { continue };
        let quality = match alias.text_of("QUALITY").map(str::to_ascii_lowercase).as_deref() {
            Some("low") => AliasQuality::Weak,
            Some("good" | "a.k.a." | "f.k.a.") => AliasQuality::Strong,
            _ => AliasQuality::Unknown,
        };
        e.push_alias(name, quality);
        if let Some(d) = alias.text_of("DATE_OF_BIRTH").and_then(super::parse_single_date) {
            push_dob(&mut e, d);
        }
    }
    for dob in node.children("INDIVIDUAL_DATE_OF_BIRTH") {
        let kind = dob.text_of("TYPE_OF_DATE").unwrap_or("").to_ascii_uppercase();
        let date = if let Some(d) = dob.text_of("DATE").and_then(super::parse_single_date) {
            Some(d)
        } else if let Some(y) = dob.text_of("YEAR").and_then(|y| y.parse::<i32>().ok()) {
            Some(BirthDate::Year { year: y })
        } else if let (Some(from), Some(to)) = (
            dob.text_of("FROM_YEAR").and_then(|y| y.parse::<i32>().ok()),
            dob.text_of("TO_YEAR").and_then(|y| y.parse::<i32>().ok()),
        ) {
            Some(BirthDate::Range { from, to })
        } else {
            None
        };
        let approximate = kind == "APPROXIMATELY"
            || dob.text_of("NOTE").is_some_and(|n| n.to_ascii_lowercase().starts_with("approx"));
        let date = match date {
            Some(BirthDate::Year { year }) if approximate => Some(BirthDate::Circa { year }),
            other => other,
        };
        if let Some(d) = date {
            push_dob(&mut e, d);
        }
    }
    for pob in node.children("INDIVIDUAL_PLACE_OF_BIRTH") {
        let parts: Vec<&str> =
            ["CITY", "STATE_PROVINCE", "COUNTRY"].iter().filter_map(|n| pob.text_of(n)).collect();
        if !parts.is_empty() {
            Entry::push_unique(&mut e.places_of_birth, &parts.join(", "));
        }
    }
    for nat in node.path(&["NATIONALITY", "VALUE"]) {
        if let Some(v) = nat.value() {
            Entry::push_unique(&mut e.nationalities, &country::normalise(v));
        }
    }
    for addr in node.children("INDIVIDUAL_ADDRESS").chain(node.children("ENTITY_ADDRESS")) {
        if let Some(c) = addr.text_of("COUNTRY") {
            Entry::push_unique(&mut e.address_countries, &country::normalise(c));
        }
    }
    Ok(e)
}

fn push_dob(e: &mut Entry, d: BirthDate) {
    if !e.dates_of_birth.contains(&d) {
        e.dates_of_birth.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09.554Z">
  <INDIVIDUALS>
    <INDIVIDUAL>
      <DATAID>1</DATAID>
      <FIRST_NAME>ABDUL</FIRST_NAME><SECOND_NAME>RAHMAN</SECOND_NAME><THIRD_NAME/>
      <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>
      <REFERENCE_NUMBER>QDi.999</REFERENCE_NUMBER>
      <NAME_ORIGINAL_SCRIPT>عبد الرحمن</NAME_ORIGINAL_SCRIPT>
      <NATIONALITY><VALUE>Iraq</VALUE></NATIONALITY>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Abd al-Rahman</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Abu Rami</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1970-01-02</DATE></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>APPROXIMATELY</TYPE_OF_DATE><YEAR>1971</YEAR></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1973</FROM_YEAR><TO_YEAR>1974</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_PLACE_OF_BIRTH><CITY>Mosul</CITY><COUNTRY>Iraq</COUNTRY></INDIVIDUAL_PLACE_OF_BIRTH>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES>
    <ENTITY><FIRST_NAME>AL-RASHID TRUST</FIRST_NAME><UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE><REFERENCE_NUMBER>QDe.005</REFERENCE_NUMBER>
      <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>Al-Rasheed Trust</ALIAS_NAME></ENTITY_ALIAS>
      <ENTITY_ADDRESS><COUNTRY>Pakistan</COUNTRY></ENTITY_ADDRESS>
    </ENTITY>
  </ENTITIES>
</CONSOLIDATED_LIST>"#;

    #[test]
    fn parses_individuals_and_entities() {
        let snap = parse(DOC.as_bytes(), "consolidated.xml").unwrap();
        assert_eq!(snap.published.as_deref(), Some("2026-02-27"));
        assert_eq!(snap.entries.len(), 2);
        let p = &snap.entries[0];
        assert_eq!((p.id.as_str(), p.primary_name.as_str()), ("QDi.999", "ABDUL RAHMAN"));
        assert_eq!(p.entity_type, EntityType::Individual);
        assert_eq!(p.aliases.len(), 3);
        assert_eq!(p.aliases[2].quality, AliasQuality::Weak);
        assert_eq!(
            p.dates_of_birth,
            vec![
                BirthDate::Exact { year: 1970, month: 1, day: 2 },
                BirthDate::Circa { year: 1971 },
                BirthDate::Range { from: 1973, to: 1974 }
            ]
        );
        assert_eq!(p.nationalities, vec!["IQ"]);
        assert_eq!(p.places_of_birth, vec!["Mosul, Iraq"]);
        let e = &snap.entries[1];
        assert_eq!(e.entity_type, EntityType::Entity);
        assert_eq!(e.address_countries, vec!["PK"]);
    }

    #[test]
    fn rejects_truncated_xml() {
        let cut = &DOC.as_bytes()[..DOC.len() / 2];
        assert_eq!(parse(cut, "consolidated.xml").unwrap_err().code(), "list_truncated");
    }

    #[test]
    fn rejects_an_entry_without_reference_number() {
        let doc = "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>X</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>";
        let err = parse(doc.as_bytes(), "c.xml").unwrap_err();
        assert_eq!(err.code(), "list_malformed");
        assert!(err.to_string().contains("line 1"));
    }

    #[test]
    fn rejects_another_root() {
        assert_eq!(parse(b"<other/>", "c.xml").unwrap_err().code(), "list_malformed");
    }
}
