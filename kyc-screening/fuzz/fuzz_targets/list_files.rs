//! Every sanctions-list parser, and the index snapshot decoder, on arbitrary
//! bytes: a typed error or entries, never a panic; the same bytes always
//! give the same answer.
#![no_main]

use kyc_screening::parse::{eu, ofac, uk, un};
use kyc_screening::{Source, decode_snapshot};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fn entries(data: &[u8], which: u8) -> Option<usize> {
    match which % 7 {
        0 => un::parse(data, "un.xml").ok().map(|s| s.entries.len()),
        1 => eu::parse_derived_csv(data, "eu.csv").ok().map(|s| s.entries.len()),
        2 => eu::parse_fsf_xml(data, "eu.xml").ok().map(|s| s.entries.len()),
        3 => uk::parse_csv(data, "uk.csv").ok().map(|s| s.entries.len()),
        4 => uk::parse_xml(data, "uk.xml").ok().map(|s| s.entries.len()),
        5 => {
            // split the input into the primary and alias files at the first NUL
            let (primary, alt) = match data.iter().position(|b| *b == 0) {
                Some(i) => (&data[..i], Some(&data[i + 1..])),
                None => (data, None),
            };
            let files = ofac::OfacFiles {
                primary: ofac::CsvFile { name: "sdn.csv", bytes: primary },
                alt: alt.map(|bytes| ofac::CsvFile { name: "alt.csv", bytes }),
                add: None,
                comments: None,
            };
            ofac::parse(Source::Ofac, &files).ok().map(|e| e.len())
        }
        _ => decode_snapshot(data, Path::new("index.bin")).ok().map(|_| 0),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let first = entries(rest, which);
    assert_eq!(first, entries(rest, which), "parsing is deterministic");
});
