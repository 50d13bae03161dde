//! Property tests: parsers and the index decoder never panic on arbitrary
//! input, and cut XML files are always rejected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use kyc_screening::parse::{eu, ofac, uk, un};
use kyc_screening::{Entry, Index, ListSnapshot, Policy, Query, Source};
use proptest::prelude::*;

const UN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09.554Z">
  <INDIVIDUALS>
    <INDIVIDUAL><FIRST_NAME>ABDUL</FIRST_NAME><SECOND_NAME>RAHMAN</SECOND_NAME><REFERENCE_NUMBER>QDi.999</REFERENCE_NUMBER>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Abd al-Rahman</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1970-01-02</DATE></INDIVIDUAL_DATE_OF_BIRTH>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES><ENTITY><FIRST_NAME>AL-RASHID TRUST</FIRST_NAME><REFERENCE_NUMBER>QDe.005</REFERENCE_NUMBER></ENTITY></ENTITIES>
</CONSOLIDATED_LIST>"#;

const SDN: &str = "2674,\"ABBAS, Abu\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 10 Dec 1948; a.k.a. 'ABU-'UMAR'.\"\r\n306,\"BANCO NACIONAL DE CUBA\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\x1a";

fn small_index() -> Index {
    let entries = vec![
        Entry::new(Source::Ofac, "1", "AL-ZAWAHIRI, Ayman"),
        Entry::new(Source::Un, "2", "BANCO NACIONAL DE CUBA"),
    ];
    Index::build(&[ListSnapshot {
        source: Source::Ofac,
        version: None,
        published: None,
        origin: "t".into(),
        entries,
    }])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let f = ofac::CsvFile { name: "sdn.csv", bytes: &bytes };
        let _ = ofac::parse(Source::Ofac, &ofac::OfacFiles { primary: f, alt: Some(f), add: Some(f), comments: Some(f) });
        let _ = un::parse(&bytes, "un.xml");
        let _ = uk::parse_csv(&bytes, "uk.csv");
        let _ = uk::parse_xml(&bytes, "uk.xml");
        let _ = eu::parse_derived_csv(&bytes, "eu.csv");
        let _ = eu::parse_fsf_xml(&bytes, "eu.xml");
        let _ = kyc_screening::import::sniff(&bytes);
        let _ = Index::from_bytes(&bytes, Path::new("x.idx"));
    }

    #[test]
    fn parsers_never_panic_on_mutated_fixtures(pos in 0usize..2000, byte in any::<u8>(), cut in 0usize..2000) {
        for base in [UN.as_bytes(), SDN.as_bytes()] {
            let mut b = base.to_vec();
            let p = pos % b.len();
            b[p] = byte;
            b.truncate(cut.max(1).min(b.len()));
            let _ = un::parse(&b, "un.xml");
            let f = ofac::CsvFile { name: "sdn.csv", bytes: &b };
            let _ = ofac::parse(Source::Ofac, &ofac::OfacFiles { primary: f, alt: None, add: None, comments: None });
            let _ = eu::parse_fsf_xml(&b, "eu.xml");
            let _ = uk::parse_xml(&b, "uk.xml");
        }
    }

    #[test]
    fn cut_xml_is_always_rejected(cut in 0usize..UN.len()) {
        let err = un::parse(&UN.as_bytes()[..cut], "un.xml").unwrap_err();
        prop_assert!(matches!(err.code(), "list_truncated" | "list_malformed"), "{}", err);
    }

    #[test]
    fn a_corrupted_index_is_rejected_or_valid(pos in 0usize..100_000, byte in any::<u8>()) {
        let mut bytes = small_index().to_bytes().unwrap();
        let p = pos % bytes.len();
        let changed = bytes[p] != byte;
        bytes[p] = byte;
        let r = Index::from_bytes(&bytes, Path::new("x.idx"));
        if changed {
            prop_assert!(r.is_err());
        }
    }

    #[test]
    fn screening_never_panics(name in "\\PC{0,60}") {
        let idx = small_index();
        if let Ok(r) = idx.screen(&Query::name(name), &Policy::default()) {
            prop_assert!(r.matches.iter().all(|m| (0.0..=1.0).contains(&m.score)));
        }
    }
}

#[test]
fn the_full_un_fixture_parses() {
    assert_eq!(un::parse(UN.as_bytes(), "un.xml").unwrap().entries.len(), 2);
}
