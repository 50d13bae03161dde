//! Parsers for the official list formats.
//!
//! Every parser takes the raw bytes of the file(s) and a file name used in
//! error messages, and returns all entries or a typed error: a malformed or
//! truncated file is never imported partially.

pub mod eu;
pub mod ofac;
pub mod uk;
pub mod un;
pub(crate) mod xml;

use std::borrow::Cow;

use crate::error::{Result, ScreeningError};
use crate::model::BirthDate;

/// Decodes Latin-1 / Windows-1252 (the OFAC legacy files) to UTF-8.
pub(crate) fn decode_latin1(bytes: &[u8]) -> Cow<'_, str> {
    encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0
}

/// Decodes UTF-8 text, skipping a BOM; invalid UTF-8 is an error.
pub(crate) fn decode_utf8<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u64 + 1;
        ScreeningError::malformed(file, line, "not valid UTF-8")
    })
}

/// Checks that CSV text is complete: every quoted field is closed and the
/// text ends with a line break. A file cut mid-record fails one of the two.
pub(crate) fn check_csv_complete(text: &str, file: &str) -> Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    if text.bytes().filter(|b| *b == b'"').count() % 2 != 0 {
        return Err(ScreeningError::truncated(file, "a quoted CSV field is not closed"));
    }
    if !text.ends_with('\n') {
        return Err(ScreeningError::truncated(
            file,
            "the last CSV record does not end with a line break",
        ));
    }
    Ok(())
}

fn month_number(name: &str) -> Option<u8> {
    let m = name.get(..3)?.to_ascii_lowercase();
    let n = match m.as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    Some(n)
}

fn year(s: &str) -> Option<i32> {
    let y: i32 = s.trim().parse().ok()?;
    (1000..=2999).contains(&y).then_some(y)
}

/// Parses one date written `DD Mon YYYY`, `Mon YYYY`, `YYYY`,
/// `YYYY-MM-DD` or `DD/MM/YYYY` (with `dd`/`mm`/`00` placeholders allowed).
pub(crate) fn parse_single_date(s: &str) -> Option<BirthDate> {
    let s = s.trim().trim_end_matches('.').trim();
    if s.contains('-') && s.as_bytes().first().is_some_and(u8::is_ascii_digit) && s.len() >= 7 {
        return BirthDate::parse_iso(s);
    }
    if s.contains('/') {
        let parts: Vec<&str> = s.split('/').map(str::trim).collect();
        if parts.len() == 3 {
            let y = year(parts[2])?;
            let m = parts[1].parse::<u8>().ok().filter(|m| (1..=12).contains(m));
            let d = parts[0].parse::<u8>().ok().filter(|d| (1..=31).contains(d));
            return Some(match (m, d) {
                (Some(month), Some(day)) => BirthDate::Exact { year: y, month, day },
                (Some(month), None) => BirthDate::Month { year: y, month },
                _ => BirthDate::Year { year: y },
            });
        }
        return None;
    }
    let parts: Vec<&str> = s.split_whitespace().collect();
    match parts.as_slice() {
        [y] => Some(BirthDate::Year { year: year(y)? }),
        [m, y] => Some(BirthDate::Month { year: year(y)?, month: month_number(m)? }),
        [d, m, y] => {
            let day = d.parse::<u8>().ok().filter(|d| (1..=31).contains(d))?;
            Some(BirthDate::Exact { year: year(y)?, month: month_number(m)?, day })
        }
        _ => None,
    }
}

/// Parses an OFAC-style DOB value: a single date, `circa YYYY`,
/// `YYYY to YYYY` or `DD Mon YYYY to DD Mon YYYY`.
pub(crate) fn parse_dob(s: &str) -> Option<BirthDate> {
    let s = s.trim().trim_end_matches('.').trim();
    let lower = s.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("circa") {
        let (from, to) = parse_dob(rest)?.years();
        return Some(if from == to {
            BirthDate::Circa { year: from }
        } else {
            BirthDate::Range { from, to }
        });
    }
    if let Some((a, b)) = lower.split_once(" to ") {
        let (from, _) = parse_single_date(a)?.years();
        let (_, to) = parse_single_date(b)?.years();
        return Some(if from == to {
            BirthDate::Year { year: from }
        } else {
            BirthDate::Range { from, to }
        });
    }
    parse_single_date(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_list_date_shapes() {
        assert_eq!(
            parse_dob("10 Dec 1948"),
            Some(BirthDate::Exact { year: 1948, month: 12, day: 10 })
        );
        assert_eq!(parse_dob("1946"), Some(BirthDate::Year { year: 1946 }));
        assert_eq!(parse_dob("circa 1955"), Some(BirthDate::Circa { year: 1955 }));
        assert_eq!(parse_dob("1960 to 1962"), Some(BirthDate::Range { from: 1960, to: 1962 }));
        assert_eq!(parse_dob("01 Jan 1960 to 31 Dec 1960"), Some(BirthDate::Year { year: 1960 }));
        assert_eq!(parse_dob("Jan 1958."), Some(BirthDate::Month { year: 1958, month: 1 }));
        assert_eq!(
            parse_dob("28/04/1937"),
            Some(BirthDate::Exact { year: 1937, month: 4, day: 28 })
        );
        assert_eq!(parse_dob("dd/mm/1957"), Some(BirthDate::Year { year: 1957 }));
        assert_eq!(
            parse_dob("1937-04-28"),
            Some(BirthDate::Exact { year: 1937, month: 4, day: 28 })
        );
        assert_eq!(parse_dob("unknown"), None);
    }

    #[test]
    fn rejects_cut_csv() {
        assert!(check_csv_complete("1,\"a\"\r\n", "f").is_ok());
        assert_eq!(check_csv_complete("1,\"a\r\n", "f").unwrap_err().code(), "list_truncated");
        assert_eq!(check_csv_complete("1,\"a\"\r\n2,b", "f").unwrap_err().code(), "list_truncated");
    }
}
