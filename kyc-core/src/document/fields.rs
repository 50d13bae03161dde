//! Identity fields from the text of a document: the MRZ (check-digit
//! validated, repaired by [`super::mrz_ocr`]) and the printed zone
//! (label/value pairs such as `Surname` / `Date of birth`, and the numbered
//! fields `1.`–`5.` of EU driving licences), cross-checked against each other.
//!
//! * Printed values are found by layout: the value of a label is the text on
//!   its right in the same row, or the nearest line under it in the same
//!   column. Numbered licence fields are read the same way from their
//!   numbers, and by row order when the small numbers were not detected.
//! * The MRZ name has no check digit and OCR drops letters from it, so when
//!   it disagrees with the printed name the printed one wins and the
//!   disagreement is reported. MRZ dates have no century: the printed date
//!   supplies it. A printed document number whose check digit matches the
//!   MRZ's repairs an MRZ number OCR could not read.
//!
//! ```
//! use kyc_core::document::{fields::{read_fields, FieldSource}, text::{DocumentText, TextLine}};
//! let line = |text: &str, y: f32| TextLine { text: text.into(), confidence: 0.99, x: 10.0, y, width: 300.0, height: 20.0 };
//! let text = DocumentText {
//!     lines: vec![
//!         line("Surname / Nom", 0.0), line("ERIKSSON", 22.0),
//!         line("Given names / Prénoms", 50.0), line("ANNA MARIA", 72.0),
//!         line("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", 200.0),
//!         line("L898902C36UTO7408122F1204159ZE184226B<<<<<10", 230.0),
//!     ],
//!     ..Default::default()
//! };
//! let f = read_fields(&text, time::macros::date!(2026 - 11 - 25)).unwrap();
//! assert_eq!(f.name.as_ref().unwrap().value, "ANNA MARIA ERIKSSON");
//! assert_eq!(f.name.as_ref().unwrap().source, FieldSource::MrzAndPrinted);
//! assert_eq!(f.date_of_birth.unwrap().value, "1974-08-12");
//! assert_eq!(f.document_number.unwrap().value, "L898902C3");
//! ```

use super::{
    mrz::{self, CheckField, Mrz, MrzFormat, Sex},
    mrz_ocr,
    text::{DocumentText, TextLine},
};
use crate::names::match_key;
use serde::{Deserialize, Serialize};
use time::Date;

mod printed;
use printed::*;

/// Where a field's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldSource {
    /// The machine-readable zone.
    Mrz,
    /// The printed (visual) zone.
    Printed,
    /// Both, and they agree.
    MrzAndPrinted,
}

/// One field's value, how sure we are, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    /// Normalised value: upper case, trimmed; dates `YYYY-MM-DD`.
    pub value: String,
    /// 0–1.
    pub confidence: f32,
    /// Where it came from.
    pub source: FieldSource,
}

/// The MRZ as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MrzSummary {
    /// Layout.
    pub format: MrzFormat,
    /// Every check digit passed.
    pub valid: bool,
    /// The checks that failed.
    pub failed_checks: Vec<CheckField>,
}

/// MRZ and printed zone say different things.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Disagreement {
    /// Which field (`name`, `dateOfBirth`, `documentNumber`, …).
    pub field: String,
    /// What the MRZ says.
    pub mrz: String,
    /// What the printed zone says.
    pub printed: String,
}

/// The kind of document, as far as the text tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// A passport (TD3 MRZ, or `P` document code).
    Passport,
    /// An identity card (TD1/TD2 MRZ with an `I`/`A`/`C` code).
    IdCard,
    /// A visa (MRV-A/B).
    Visa,
    /// A driving licence (numbered fields, no MRZ).
    DrivingLicence,
    /// Not recognised.
    Unknown,
}

/// A problem with the reading that a reviewer should see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadProblem {
    /// An MRZ was found but some check digit fails even after repair.
    MrzChecksumFailed,
    /// Name, date of birth or document number could not be read.
    FieldsMissing,
    /// MRZ and printed zone disagree.
    SourcesDisagree,
    /// A date is not plausible (birth in the future, age over 130).
    ImplausibleDate,
}

impl ReadProblem {
    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::MrzChecksumFailed => "mrz_checksum_failed",
            Self::FieldsMissing => "fields_missing",
            Self::SourcesDisagree => "sources_disagree",
            Self::ImplausibleDate => "implausible_date",
        }
    }
}

/// Everything read from one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentFields {
    /// Kind of document.
    pub document_kind: DocumentKind,
    /// Full name, given names first.
    pub name: Option<Field>,
    /// Surname(s).
    pub surname: Option<Field>,
    /// Given name(s).
    pub given_names: Option<Field>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<Field>,
    /// Document number.
    pub document_number: Option<Field>,
    /// Nationality (ICAO 3-letter code from the MRZ, or as printed).
    pub nationality: Option<Field>,
    /// `YYYY-MM-DD`.
    pub expiry_date: Option<Field>,
    /// `M`, `F` or `X`.
    pub sex: Option<Field>,
    /// The MRZ, if one was found.
    pub mrz: Option<MrzSummary>,
    /// Where MRZ and printed zone differ.
    pub disagreements: Vec<Disagreement>,
    /// What a reviewer should look at (empty when all is well).
    pub problems: Vec<ReadProblem>,
}

impl DocumentFields {
    /// Whether a person should look at this document.
    pub fn needs_review(&self) -> bool {
        !self.problems.is_empty()
    }

    /// The required fields (name, date of birth, document number) that are missing.
    pub fn missing(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_none()),
            ("dateOfBirth", self.date_of_birth.is_none()),
            ("documentNumber", self.document_number.is_none()),
        ]
        .into_iter()
        .filter(|(_, m)| *m)
        .map(|(f, _)| f)
        .collect()
    }
}

/// Why nothing could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// No text, or no identity field at all: not a document, or unreadable.
    #[error("no identity document text could be read")]
    Unreadable,
}

fn field(value: String, confidence: f32, source: FieldSource) -> Option<Field> {
    Some(Field { value, confidence: (confidence * 1000.0).round() / 1000.0, source })
}

/// Reads the identity fields of a document's text. `today` resolves
/// two-digit years and checks plausibility.
pub fn read_fields(text: &DocumentText, today: Date) -> Result<DocumentFields, ReadError> {
    let raw: Vec<&str> = text.lines.iter().map(|l| l.text.as_str()).collect();
    let found = mrz_ocr::find(&raw);
    let printed_lines: Vec<TextLine> =
        text.lines.iter().filter(|l| !mrz_ocr::looks_like_mrz(&l.text)).cloned().collect();
    let printed = read_printed(&printed_lines);
    let mut out = DocumentFields {
        document_kind: DocumentKind::Unknown,
        name: None,
        surname: None,
        given_names: None,
        date_of_birth: None,
        document_number: None,
        nationality: None,
        expiry_date: None,
        sex: None,
        mrz: None,
        disagreements: Vec::new(),
        problems: Vec::new(),
    };
    merge(&mut out, found.as_ref().map(|(m, l)| (m, l.as_slice())), &printed, today);
    if out.name.is_none()
        && out.date_of_birth.is_none()
        && out.document_number.is_none()
        && out.mrz.is_none()
    {
        return Err(ReadError::Unreadable);
    }
    if !out.missing().is_empty() {
        out.problems.push(ReadProblem::FieldsMissing);
    }
    if !out.disagreements.is_empty() {
        out.problems.push(ReadProblem::SourcesDisagree);
    }
    Ok(out)
}

fn disagree(out: &mut DocumentFields, field: &str, mrz: &str, printed: &str) {
    out.disagreements.push(Disagreement {
        field: field.to_owned(),
        mrz: mrz.to_owned(),
        printed: printed.to_owned(),
    });
}

/// Picks, per field, the MRZ value, the printed one, or both when they agree.
fn merge(out: &mut DocumentFields, mrz: Option<(&Mrz, &[String])>, p: &Printed, today: Date) {
    let mrz_lines = mrz.map(|(_, l)| l).unwrap_or_default();
    let m = mrz.map(|(m, _)| m);
    out.document_kind = match m.map(|m| (m.format, m.document_code.chars().next())) {
        Some((MrzFormat::Mrva | MrzFormat::Mrvb, _)) => DocumentKind::Visa,
        Some((_, Some('P'))) => DocumentKind::Passport,
        Some(_) => DocumentKind::IdCard,
        None if p.licence => DocumentKind::DrivingLicence,
        None => DocumentKind::Unknown,
    };
    if let Some(m) = m {
        let failed: Vec<CheckField> =
            m.checks.iter().filter(|(_, ok)| !ok).map(|(f, _)| f).collect();
        if !failed.is_empty() {
            out.problems.push(ReadProblem::MrzChecksumFailed);
        }
        out.mrz =
            Some(MrzSummary { format: m.format, valid: failed.is_empty(), failed_checks: failed });
    }

    // names: printed wins on disagreement (no check digit covers the MRZ name)
    let mrz_surname = m.map(|m| m.surname.clone()).filter(|s| !s.is_empty());
    let mrz_given = m.map(|m| m.given_names.clone());
    let pick_name = |out: &mut DocumentFields,
                     key: &str,
                     mrz_v: Option<String>,
                     printed: Option<&(String, f32)>|
     -> Option<Field> {
        let printed = printed.map(|(v, c)| (clean_name(v), *c)).filter(|(v, _)| !v.is_empty());
        match (mrz_v, printed) {
            (Some(mv), Some((pv, c))) => {
                if match_key(&mv) == match_key(&pv) {
                    field(pv, 0.99_f32.max(c), FieldSource::MrzAndPrinted)
                } else if match_key(&mv).replace(' ', "") == match_key(&pv).replace(' ', "") {
                    // OCR lost the spaces of the printed name; the MRZ has them
                    field(clean_name(&mv), 0.97, FieldSource::MrzAndPrinted)
                } else {
                    disagree(out, key, &mv, &pv);
                    field(pv, c.min(0.9), FieldSource::Printed)
                }
            }
            (Some(mv), None) if !mv.is_empty() => field(clean_name(&mv), 0.9, FieldSource::Mrz),
            (_, Some((pv, c))) => field(pv, c, FieldSource::Printed),
            _ => None,
        }
    };
    out.surname = pick_name(out, "surname", mrz_surname, p.surname.as_ref());
    out.given_names = pick_name(out, "givenNames", mrz_given, p.given.as_ref());
    out.name = match (&out.given_names, &out.surname) {
        (Some(g), Some(s)) => {
            let source = if g.source == s.source { g.source } else { FieldSource::Printed };
            field(format!("{} {}", g.value, s.value), g.confidence.min(s.confidence), source)
        }
        (None, Some(s)) => Some(s.clone()),
        (Some(g), None) => Some(g.clone()),
        (None, None) => None,
    };

    // date of birth: the MRZ (check digit) with the century from the printed date
    let printed_birth = p.birth.and_then(|(d, c)| resolve(d, today, true).map(|d| (d, c)));
    let mrz_birth = m.filter(|m| m.checks.birth_date).and_then(|m| {
        let printed_century = printed_birth.map(|(d, _)| d.year() - d.year().rem_euclid(100));
        let raw = &m.birth_date_raw;
        let yy: i32 = raw.get(0..2)?.parse().ok()?;
        match printed_century {
            Some(c) => raw
                .get(2..4)
                .zip(raw.get(4..6))
                .and_then(|(mm, dd)| make_date(c + yy, mm.parse().ok()?, dd.parse().ok()?)),
            None => m.birth_date(today).ok(),
        }
    });
    out.date_of_birth = match (mrz_birth, printed_birth) {
        (Some(md), Some((pd, c))) if md == pd => {
            field(iso(md), 0.99_f32.max(c), FieldSource::MrzAndPrinted)
        }
        (Some(md), Some((pd, _))) => {
            disagree(out, "dateOfBirth", &iso(md), &iso(pd));
            field(iso(md), 0.9, FieldSource::Mrz)
        }
        (Some(md), None) => field(iso(md), 0.97, FieldSource::Mrz),
        (None, Some((pd, c))) => field(iso(pd), c.min(0.95), FieldSource::Printed),
        (None, None) => None,
    };
    if let Some(d) = &out.date_of_birth {
        let year = d.value.get(0..4).and_then(|y| y.parse::<i32>().ok()).unwrap_or(0);
        if d.value.as_str() > iso(today).as_str() || today.year() - year > 130 {
            out.problems.push(ReadProblem::ImplausibleDate);
        }
    }

    // document number: the MRZ when its check digit passes; else a printed
    // number the MRZ's check digit confirms; else the printed one
    let printed_number =
        p.number.as_ref().map(|(v, c)| (clean_number(v), *c)).filter(|(v, _)| v.len() >= 5);
    let mrz_number = m.filter(|m| m.checks.document_number).map(|m| m.document_number.clone());
    out.document_number = match (mrz_number, printed_number) {
        (Some(mn), Some((pn, c))) if mn == pn => {
            field(mn, 0.99_f32.max(c), FieldSource::MrzAndPrinted)
        }
        (Some(mn), Some((pn, _))) => {
            disagree(out, "documentNumber", &mn, &pn);
            field(mn, 0.95, FieldSource::Mrz)
        }
        (Some(mn), None) => field(mn, 0.98, FieldSource::Mrz),
        (None, Some((pn, c))) => {
            // the printed number, or the look-alike reading of it, that the MRZ check digit confirms
            let confirmed = m.and_then(|m| {
                look_alikes(&pn).into_iter().find(|cand| confirms_number(m, mrz_lines, cand))
            });
            match confirmed {
                Some(n) => field(n, 0.97, FieldSource::MrzAndPrinted),
                None => field(pn, c.min(0.9), FieldSource::Printed),
            }
        }
        (None, None) => None,
    };
    out.nationality =
        match (m.map(|m| m.nationality.clone()).filter(|n| n.len() == 3), &p.nationality) {
            (Some(n), _) => field(n, 0.95, FieldSource::Mrz),
            (None, Some((v, c))) => field(clean_name(v), *c, FieldSource::Printed),
            _ => None,
        };
    out.sex = match m.map(|m| m.sex) {
        Some(Sex::Male) => field("M".into(), 0.95, FieldSource::Mrz),
        Some(Sex::Female) => field("F".into(), 0.95, FieldSource::Mrz),
        Some(Sex::Unspecified) => field("X".into(), 0.9, FieldSource::Mrz),
        None => p
            .sex
            .as_ref()
            .map(|(v, c)| (v.trim().to_ascii_uppercase(), *c))
            .filter(|(v, _)| matches!(v.as_str(), "M" | "F" | "X"))
            .and_then(|(v, c)| field(v, c, FieldSource::Printed)),
    };
    let printed_expiry = p.expiry.and_then(|(d, c)| resolve(d, today, false).map(|d| (d, c)));
    let mrz_expiry = m.filter(|m| m.checks.expiry_date).and_then(|m| m.expiry_date(today).ok());
    out.expiry_date = match (mrz_expiry, printed_expiry) {
        (Some(md), Some((pd, c))) if md == pd => {
            field(iso(md), 0.99_f32.max(c), FieldSource::MrzAndPrinted)
        }
        (Some(md), _) => field(iso(md), 0.95, FieldSource::Mrz),
        (None, Some((pd, c))) => field(iso(pd), c.min(0.95), FieldSource::Printed),
        (None, None) => None,
    };
}

/// `s` and its readings with `O`/`0`, `I`/`1` swapped (at most 4 such places), `s` first.
fn look_alikes(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let places: Vec<usize> =
        (0..chars.len()).filter(|&i| matches!(chars[i], 'O' | '0' | 'I' | '1')).take(4).collect();
    (0u32..(1 << places.len()))
        .map(|mask| {
            let mut c = chars.clone();
            for (bit, &i) in places.iter().enumerate() {
                if mask & (1 << bit) != 0 {
                    c[i] = match c[i] {
                        'O' => '0',
                        '0' => 'O',
                        'I' => '1',
                        _ => 'I',
                    };
                }
            }
            c.into_iter().collect()
        })
        .collect()
}

/// Whether the MRZ's document-number check digit confirms a printed number
/// (OCR garbled the MRZ number, the check digit survived).
fn confirms_number(m: &Mrz, lines: &[String], printed: &str) -> bool {
    let (line, pos) = if m.format == MrzFormat::Td1 { (0, 14) } else { (1, 9) };
    let Some(check) = lines.get(line).and_then(|l| l.as_bytes().get(pos)) else { return false };
    if printed.len() > 9 || !check.is_ascii_digit() {
        return false;
    }
    let padded = format!("{printed:<<9}");
    mrz::check_digit(&padded) == Some(check - b'0')
}

#[cfg(test)]
mod tests;
