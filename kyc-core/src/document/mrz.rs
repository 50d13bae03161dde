//! ICAO Doc 9303 machine-readable zones: TD1 (3×30), TD2 (2×36), TD3 (2×44)
//! and machine-readable visas MRV-A (2×44) and MRV-B (2×36).
//!
//! [`parse`] checks the structure (line count, lengths, character set) and
//! reads every field; it computes every check digit but does not fail on a
//! wrong one, because a reader wants the fields of a slightly mis-read MRZ
//! too. [`Mrz::validate`] then reports the first failing check by name.
//! Dates stay raw (`YYMMDD`) until a reference date resolves the century:
//! [`Mrz::birth_date`], [`Mrz::expiry_date`].
//!
//! ```
//! use kyc_core::document::mrz::{self, CheckField};
//! let m = mrz::parse(
//!     "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n\
//!      L898902C36UTO7408122F1204159ZE184226B<<<<<10",
//! ).unwrap();
//! assert_eq!(m.surname, "ERIKSSON");
//! assert_eq!(m.given_names, "ANNA MARIA");
//! assert!(m.validate().is_ok());
//! let today = time::macros::date!(2026 - 11 - 25);
//! assert_eq!(m.birth_date(today).unwrap(), time::macros::date!(1974 - 08 - 12));
//! assert_eq!(m.expiry_date(today).unwrap(), time::macros::date!(2012 - 04 - 15));
//! # let _ = CheckField::Composite;
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, Month};

/// The MRZ layouts of ICAO 9303.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MrzFormat {
    /// ID cards: 3 lines of 30.
    Td1,
    /// Official travel documents: 2 lines of 36.
    Td2,
    /// Passports: 2 lines of 44.
    Td3,
    /// Visa format A: 2 lines of 44.
    Mrva,
    /// Visa format B: 2 lines of 36.
    Mrvb,
}

impl MrzFormat {
    /// Number of lines and characters per line.
    pub const fn shape(self) -> (usize, usize) {
        match self {
            Self::Td1 => (3, 30),
            Self::Td2 | Self::Mrvb => (2, 36),
            Self::Td3 | Self::Mrva => (2, 44),
        }
    }
}

/// A check digit of the MRZ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckField {
    /// Over the document number.
    DocumentNumber,
    /// Over the date of birth.
    BirthDate,
    /// Over the date of expiry.
    ExpiryDate,
    /// Over the personal number (TD3 only).
    PersonalNumber,
    /// Over the whole data line(s) (not on visas).
    Composite,
}

impl CheckField {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DocumentNumber => "document_number",
            Self::BirthDate => "birth_date",
            Self::ExpiryDate => "expiry_date",
            Self::PersonalNumber => "personal_number",
            Self::Composite => "composite",
        }
    }
}

/// Results of every check digit the format has (`None`: the format has no such check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckDigits {
    /// Document number check.
    pub document_number: bool,
    /// Birth date check.
    pub birth_date: bool,
    /// Expiry date check.
    pub expiry_date: bool,
    /// Personal number check (TD3).
    pub personal_number: Option<bool>,
    /// Composite check (TD1, TD2, TD3).
    pub composite: Option<bool>,
}

impl CheckDigits {
    /// Each check the format has, with its result, in ICAO order.
    pub fn iter(&self) -> impl Iterator<Item = (CheckField, bool)> {
        [
            Some((CheckField::DocumentNumber, self.document_number)),
            Some((CheckField::BirthDate, self.birth_date)),
            Some((CheckField::ExpiryDate, self.expiry_date)),
            self.personal_number.map(|ok| (CheckField::PersonalNumber, ok)),
            self.composite.map(|ok| (CheckField::Composite, ok)),
        ]
        .into_iter()
        .flatten()
    }

    /// Whether every check passed.
    pub fn all_valid(&self) -> bool {
        self.iter().all(|(_, ok)| ok)
    }
}

/// The holder's sex as printed in the MRZ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    /// `M`.
    #[serde(rename = "M")]
    Male,
    /// `F`.
    #[serde(rename = "F")]
    Female,
    /// `<` or `X`.
    #[serde(rename = "X")]
    Unspecified,
}

/// A parsed MRZ. `Debug` shows only the format and check results: the fields are PII.
#[derive(Clone, PartialEq, Eq)]
pub struct Mrz {
    /// Layout.
    pub format: MrzFormat,
    /// Document code without fillers (`P`, `ID`, `I`, `PO`, `V`, …).
    pub document_code: String,
    /// Issuing state or organisation (ICAO 3-letter code, fillers removed: `D`).
    pub issuing_state: String,
    /// Primary identifier; components separated by single spaces.
    pub surname: String,
    /// Secondary identifier; components separated by single spaces.
    pub given_names: String,
    /// Document number without fillers, including the overflow of long TD1/TD2 numbers.
    pub document_number: String,
    /// Nationality (fillers removed).
    pub nationality: String,
    /// Date of birth as printed, `YYMMDD` (may contain `<` for unknown parts).
    pub birth_date_raw: String,
    /// Sex.
    pub sex: Sex,
    /// Date of expiry as printed, `YYMMDD`.
    pub expiry_date_raw: String,
    /// Optional data / personal number (fillers trimmed; long-number overflow removed).
    pub optional_data: String,
    /// Second optional data field (TD1 line 2), fillers trimmed.
    pub optional_data_2: String,
    /// Every check digit's result.
    pub checks: CheckDigits,
}

impl fmt::Debug for Mrz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mrz")
            .field("format", &self.format)
            .field("checks", &self.checks)
            .finish_non_exhaustive()
    }
}

/// Why an MRZ could not be parsed or validated. Carries positions, never content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MrzError {
    /// Line count and lengths match no ICAO layout.
    #[error("no MRZ layout has {lines} line(s) of {lengths:?} characters")]
    UnknownLayout {
        /// Number of non-empty lines.
        lines: usize,
        /// Their lengths.
        lengths: Vec<usize>,
    },
    /// A character outside `A–Z`, `0–9`, `<`.
    #[error("invalid character at line {line}, column {column}")]
    InvalidCharacter {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The sex field is not `M`, `F`, `X` or `<`.
    #[error("invalid sex field")]
    InvalidSex,
    /// A check digit does not match its field.
    #[error("the {} check digit does not match", .0.as_str())]
    CheckDigit(CheckField),
    /// A date is not a calendar date.
    #[error("the {} is not a valid date", .0.as_str())]
    InvalidDate(CheckField),
}

/// Value of one MRZ character for check digits: digits 0–9, A–Z 10–35, `<` 0.
const fn char_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some((c - b'0') as u32),
        b'A'..=b'Z' => Some((c - b'A') as u32 + 10),
        b'<' => Some(0),
        _ => None,
    }
}

/// The ICAO 9303 check digit (weights 7, 3, 1) over `field`, or `None` if it
/// has characters outside the MRZ alphabet.
pub fn check_digit(field: &str) -> Option<u8> {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let mut sum = 0u32;
    for (i, c) in field.bytes().enumerate() {
        sum += char_value(c)? * WEIGHTS[i % 3];
    }
    Some((sum % 10) as u8)
}

/// Whether `check` (one character) is the check digit of `field`.
/// A `<` check character is accepted only for an all-filler field (ICAO allows
/// it for an empty personal number).
fn verify(field: &str, check: u8) -> bool {
    match check {
        b'0'..=b'9' => check_digit(field) == Some(check - b'0'),
        b'<' => field.bytes().all(|c| c == b'<'),
        _ => false,
    }
}

fn trim_fillers(s: &str) -> String {
    s.trim_end_matches('<').to_owned()
}

/// `<` to spaces, runs collapsed, trimmed.
fn name_part(s: &str) -> String {
    s.split('<').filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ")
}

fn names(field: &str) -> (String, String) {
    match field.split_once("<<") {
        Some((surname, given)) => (name_part(surname), name_part(given)),
        None => (name_part(field), String::new()),
    }
}

fn normalise_lines(input: &str) -> Result<Vec<String>, MrzError> {
    let mut lines: Vec<String> = input
        .lines()
        .map(|l| l.trim().replace(' ', "").to_ascii_uppercase())
        .filter(|l| !l.is_empty())
        .collect();
    // one unbroken string: split by the total length
    if lines.len() == 1 {
        let l = &lines[0];
        let split = match l.len() {
            90 => Some(30),
            88 => Some(44),
            72 => Some(36),
            _ => None,
        };
        if let Some(n) = split
            && l.is_ascii()
        {
            lines =
                l.as_bytes().chunks(n).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
        }
    }
    for (i, l) in lines.iter().enumerate() {
        if let Some(col) = l.bytes().position(|c| char_value(c).is_none()) {
            return Err(MrzError::InvalidCharacter { line: i + 1, column: col + 1 });
        }
    }
    Ok(lines)
}

fn detect(lines: &[String]) -> Result<MrzFormat, MrzError> {
    let lengths: Vec<usize> = lines.iter().map(String::len).collect();
    let first = lines.first().and_then(|l| l.bytes().next());
    match (lines.len(), lengths.as_slice()) {
        (3, [30, 30, 30]) => Ok(MrzFormat::Td1),
        (2, [36, 36]) if first == Some(b'V') => Ok(MrzFormat::Mrvb),
        (2, [36, 36]) => Ok(MrzFormat::Td2),
        (2, [44, 44]) if first == Some(b'V') => Ok(MrzFormat::Mrva),
        (2, [44, 44]) => Ok(MrzFormat::Td3),
        _ => Err(MrzError::UnknownLayout { lines: lines.len(), lengths }),
    }
}

fn sex(c: u8) -> Result<Sex, MrzError> {
    match c {
        b'M' => Ok(Sex::Male),
        b'F' => Ok(Sex::Female),
        b'<' | b'X' => Ok(Sex::Unspecified),
        _ => Err(MrzError::InvalidSex),
    }
}

/// A document number field with its check character and the optional data
/// that may hold its overflow (ICAO 9303 Part 5 §4.2.4 / Part 6).
/// Returns (number, check passed, optional data with the overflow removed).
fn document_number(field: &str, check: u8, optional: &str) -> (String, bool, String) {
    if check == b'<' {
        // long number: overflow + check digit up to the first filler of the optional data
        let overflow_len = optional.find('<').unwrap_or(optional.len());
        if overflow_len >= 1 {
            let (overflow, rest) = optional.split_at(overflow_len);
            let (digits, check) = overflow.split_at(overflow_len - 1);
            let number = format!("{field}{digits}");
            let c = check.as_bytes()[0];
            // Most issuers compute over the joined number; some (one Belgian series) keep the `<`.
            let ok = verify(&number, c) || verify(&format!("{field}<{digits}"), c);
            return (trim_fillers(&number), ok, trim_fillers(rest.trim_start_matches('<')));
        }
    }
    (trim_fillers(field), verify(field, check), trim_fillers(optional))
}

/// Parses an MRZ (lines separated by newlines, or one unbroken string).
/// Lower case is accepted and upper-cased; spaces inside lines are removed.
pub fn parse(input: &str) -> Result<Mrz, MrzError> {
    let lines = normalise_lines(input)?;
    let format = detect(&lines)?;
    match format {
        MrzFormat::Td1 => parse_td1(&lines[0], &lines[1], &lines[2]),
        _ => parse_two_line(format, &lines[0], &lines[1]),
    }
}

fn parse_td1(l1: &str, l2: &str, l3: &str) -> Result<Mrz, MrzError> {
    let b2 = l2.as_bytes();
    let (document_number, doc_ok, optional_data) =
        document_number(&l1[5..14], l1.as_bytes()[14], &l1[15..30]);
    let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
    let (surname, given_names) = names(l3);
    Ok(Mrz {
        format: MrzFormat::Td1,
        document_code: trim_fillers(&l1[0..2]),
        issuing_state: trim_fillers(&l1[2..5]),
        surname,
        given_names,
        document_number,
        nationality: trim_fillers(&l2[15..18]),
        birth_date_raw: l2[0..6].to_owned(),
        sex: sex(b2[7])?,
        expiry_date_raw: l2[8..14].to_owned(),
        optional_data,
        optional_data_2: trim_fillers(&l2[18..29]),
        checks: CheckDigits {
            document_number: doc_ok,
            birth_date: verify(&l2[0..6], b2[6]),
            expiry_date: verify(&l2[8..14], b2[14]),
            personal_number: None,
            composite: Some(verify(&composite, b2[29])),
        },
    })
}

fn parse_two_line(format: MrzFormat, l1: &str, l2: &str) -> Result<Mrz, MrzError> {
    let b2 = l2.as_bytes();
    let len = l2.len();
    let is_visa = matches!(format, MrzFormat::Mrva | MrzFormat::Mrvb);
    // optional data / personal number runs from 28 to the check digit(s) at the end
    let optional_end = match format {
        MrzFormat::Td3 => 42,
        MrzFormat::Td2 => 35,
        _ => len,
    };
    let optional = &l2[28..optional_end];
    let (document_number, doc_ok, optional_data) = if format == MrzFormat::Td2 {
        document_number(&l2[0..9], b2[9], optional)
    } else {
        (trim_fillers(&l2[0..9]), verify(&l2[0..9], b2[9]), trim_fillers(optional))
    };
    let personal_number = (format == MrzFormat::Td3).then(|| verify(&l2[28..42], b2[42]));
    let composite = (!is_visa).then(|| {
        let data = format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..len - 1]);
        verify(&data, b2[len - 1])
    });
    let (surname, given_names) = names(&l1[5..]);
    Ok(Mrz {
        format,
        document_code: trim_fillers(&l1[0..2]),
        issuing_state: trim_fillers(&l1[2..5]),
        surname,
        given_names,
        document_number,
        nationality: trim_fillers(&l2[10..13]),
        birth_date_raw: l2[13..19].to_owned(),
        sex: sex(b2[20])?,
        expiry_date_raw: l2[21..27].to_owned(),
        optional_data,
        optional_data_2: String::new(),
        checks: CheckDigits {
            document_number: doc_ok,
            birth_date: verify(&l2[13..19], b2[19]),
            expiry_date: verify(&l2[21..27], b2[27]),
            personal_number,
            composite,
        },
    })
}

/// Splits `YYMMDD` into numbers; `None` if any character is not a digit.
fn yymmdd(raw: &str) -> Option<(i32, u8, u8)> {
    if raw.len() != 6 || !raw.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| raw[r].parse::<u8>().ok();
    Some((i32::from(n(0..2)?), n(2..4)?, n(4..6)?))
}

fn make_date(year: i32, month: u8, day: u8) -> Option<Date> {
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Resolves a `YYMMDD` date in the past: the latest century that does not put
/// it after `reference` (birth dates).
pub fn past_date(raw: &str, reference: Date) -> Option<Date> {
    let (yy, m, d) = yymmdd(raw)?;
    let base = reference.year() - reference.year().rem_euclid(100);
    let this_century = make_date(base + yy, m, d);
    match this_century {
        Some(date) if date <= reference => Some(date),
        Some(_) => make_date(base - 100 + yy, m, d),
        // e.g. 29 February that exists in only one of the two centuries
        None => make_date(base - 100 + yy, m, d).filter(|date| *date <= reference),
    }
}

/// Resolves a `YYMMDD` date within 50 years before or after `reference`
/// (expiry dates: expired documents are still read correctly).
pub fn near_date(raw: &str, reference: Date) -> Option<Date> {
    let (yy, m, d) = yymmdd(raw)?;
    let base = reference.year() - reference.year().rem_euclid(100);
    [base - 100, base, base + 100]
        .into_iter()
        .filter_map(|c| make_date(c + yy, m, d))
        .min_by_key(|date| (date.year() - reference.year()).abs())
}

impl Mrz {
    /// Fails with the first check digit that does not match, in ICAO order.
    pub fn validate(&self) -> Result<(), MrzError> {
        match self.checks.iter().find(|(_, ok)| !ok) {
            Some((field, _)) => Err(MrzError::CheckDigit(field)),
            None => Ok(()),
        }
    }

    /// Date of birth, with the century chosen so that it is not after `reference`.
    pub fn birth_date(&self, reference: Date) -> Result<Date, MrzError> {
        past_date(&self.birth_date_raw, reference)
            .ok_or(MrzError::InvalidDate(CheckField::BirthDate))
    }

    /// Date of expiry, with the century that puts it nearest to `reference`.
    pub fn expiry_date(&self, reference: Date) -> Result<Date, MrzError> {
        near_date(&self.expiry_date_raw, reference)
            .ok_or(MrzError::InvalidDate(CheckField::ExpiryDate))
    }
}

#[cfg(test)]
mod tests;
