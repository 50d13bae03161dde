//! The printed zone: label/value pairs found by layout, and the numbered
//! fields of EU driving licences.

use crate::{
    document::{mrz, text::TextLine},
    names::{display, match_key},
};
use time::{Date, Month};

/// Printed-zone labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Label {
    Surname,
    GivenNames,
    BirthDate,
    DocumentNumber,
    Nationality,
    Sex,
    Expiry,
    /// Numbered licence fields: 1 surname, 2 given names, 3 birth date and
    /// place, 4a issue, 4b expiry, 5 number.
    Licence(&'static str),
}

/// The label a line is, if it is one (letters only, lower case, compared
/// with the English and French labels ICAO recommends).
pub(super) fn label_of(text: &str) -> Option<Label> {
    let t = text.trim();
    if let Some(label) = aamva_label(t) {
        return Some(label);
    }
    for n in ["1", "2", "3", "4a", "4b", "4c", "5", "8", "9"] {
        let rest = t.strip_prefix(n).map(str::trim);
        if matches!(rest, Some(".") | Some("") | Some(",")) {
            return Some(Label::Licence(n));
        }
    }
    // OCR reads "rn" as "m" ("Sumame"): compare with "rn" folded to "m"
    let k: String = t
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_lowercase()
        .replace("rn", "m");
    let has = |s: &str| k.contains(s);
    Some(if has("sumame") || k.starts_with("nom") || has("familyname") || has("lastname") {
        Label::Surname
    } else if has("givenname") || has("prenom") || has("forename") || has("firstname") {
        Label::GivenNames
    } else if has("dateofbirth") || has("birth") || has("naissance") {
        Label::BirthDate
    } else if has("passportno")
        || has("documentno")
        || has("dupasseport")
        || has("dudocument")
        || has("documentnumber")
        || has("cardno")
    {
        Label::DocumentNumber
    } else if has("nationalit") {
        Label::Nationality
    } else if k.starts_with("sex") {
        Label::Sex
    } else if has("expiry") || has("expiration") || has("dateofexp") {
        Label::Expiry
    } else {
        return None;
    })
}

/// US and Canadian licences (the AAMVA card design): a field number with an
/// abbreviation, or the abbreviation alone — `4d NUMBER`, `4d DLN`, `3 DOB`,
/// `4b EXP`, `4a ISS`, `5 DD`, `15 SEX`. Field 4d is the licence number and
/// 5 the document discriminator (EU field 5 is the number).
fn aamva_label(t: &str) -> Option<Label> {
    let upper = t.to_uppercase();
    let mut words = upper.split_whitespace();
    let first = words.next()?;
    let (number, word) = if first.chars().next()?.is_ascii_digit() {
        (Some(first), words.next())
    } else {
        (None, Some(first))
    };
    if words.next().is_some() {
        return None;
    }
    let word = word?.trim_end_matches(['.', ':']);
    Some(match (number, word) {
        (Some("4D"), "DLN" | "NUMBER" | "LIC" | "LIC#" | "NO") | (None, "DLN") => {
            Label::Licence("4d")
        }
        (Some("3") | None, "DOB") => Label::Licence("3"),
        (Some("4B") | None, "EXP" | "EXPIRES") => Label::Licence("4b"),
        (Some("4A") | None, "ISS" | "ISSUED") => Label::Licence("4a"),
        (Some("5"), "DD") => Label::Licence("5dd"),
        (Some("15"), "SEX") => Label::Sex,
        _ => return None,
    })
}

/// Whether the page is laid out as a US or Canadian licence (an AAMVA
/// number or birth-date label on it): dates are then month first.
pub(super) fn is_aamva(lines: &[TextLine]) -> bool {
    lines.iter().any(|l| matches!(aamva_label(l.text.trim()), Some(Label::Licence("4d" | "3"))))
}

/// The line holding a label's value: on its right in the same row, else the
/// nearest line below it in the same column that is not a label.
pub(super) fn value_of<'a>(
    label: &TextLine,
    lines: &'a [TextLine],
    same_row_only: bool,
) -> Option<&'a TextLine> {
    let right = lines
        .iter()
        .filter(|l| {
            l.x >= label.right() - 2.0
                && (l.center_y() - label.center_y()).abs() < 0.6 * label.height.max(l.height)
                && l.x - label.right() < 8.0 * label.height
                && label_of(&l.text).is_none()
        })
        .min_by(|a, b| a.x.total_cmp(&b.x));
    if right.is_some() || same_row_only {
        return right;
    }
    lines
        .iter()
        .filter(|l| {
            l.y > label.y + 0.5 * label.height
                && l.y < label.bottom() + 2.0 * label.height
                && (l.x - label.x).abs() < 2.0 * label.height
                && label_of(&l.text).is_none()
        })
        .min_by(|a, b| a.y.total_cmp(&b.y))
}

/// Lines read with less confidence than this are not taken as labels.
pub(super) const MIN_LABEL_CONFIDENCE: f32 = 0.3;

pub(super) const MONTHS: [&str; 12] =
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/// A printed date at the start of `text`: `12 JUN 1984`, `12.06.1984`,
/// `12/06/1984`, `12-06-1984`, `12 JUN 84`, with or without spaces.
/// Returns day, month, and the year as written (2 or 4 digits).
pub(super) fn printed_date(text: &str) -> Option<(u8, u8, i32, bool)> {
    let (day, month, year, four) = date_parts(text)?;
    valid_date(day, month, year, four)
}

/// A printed date written month first (`03/18/2001`, US and Canadian cards).
pub(super) fn printed_date_month_first(text: &str) -> Option<(u8, u8, i32, bool)> {
    let (month, day, year, four) = date_parts(text)?;
    valid_date(day, month, year, four)
}

fn valid_date(day: i32, month: i32, year: i32, four: bool) -> Option<(u8, u8, i32, bool)> {
    if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
        return None;
    }
    Some((day as u8, month as u8, year, four))
}

/// The three numbers of a printed date in the order written, the middle one
/// from a month name when it is one.
fn date_parts(text: &str) -> Option<(i32, i32, i32, bool)> {
    let s: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    let digits = |x: &str| -> Option<i32> {
        let fixed: String = x
            .chars()
            .map(|c| match c {
                'O' | 'D' | 'Q' => '0',
                'I' | 'L' => '1',
                'S' => '5',
                'B' => '8',
                'Z' => '2',
                c => c,
            })
            .collect();
        (!fixed.is_empty() && fixed.bytes().all(|b| b.is_ascii_digit()))
            .then(|| fixed.parse().ok())
            .flatten()
    };
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 6 {
        return None;
    }
    let day = digits(&chars[0..2].iter().collect::<String>())?;
    let rest: String = chars[2..].iter().collect();
    let (month, year_part) = if let Some(r) = rest.strip_prefix(['.', '/', '-']) {
        let m = digits(r.get(0..2)?)?;
        (m, r.get(3..)?.to_owned())
    } else {
        // "0CT", "5EP": digits read for the month's letters
        let letters: String = rest
            .chars()
            .take(3)
            .map(|c| match c {
                '0' => 'O',
                '1' => 'I',
                '5' => 'S',
                '8' => 'B',
                '2' => 'Z',
                '6' => 'G',
                c => c,
            })
            .collect();
        let m = MONTHS.iter().position(|m| letters == *m)? as i32 + 1;
        (m, rest.get(3..)?.to_owned())
    };
    let year_digits: String = year_part.chars().take(4).collect();
    let (year, four) = match digits(&year_digits) {
        Some(y) if year_digits.len() == 4 => (y, true),
        _ => (digits(year_part.get(0..2)?)?, false),
    };
    Some((day, month, year, four))
}

pub(super) fn make_date(y: i32, m: u8, d: u8) -> Option<Date> {
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

/// Resolves a printed date: two-digit years by the same rule as the MRZ
/// (`past` for births, nearest for expiry).
pub(super) fn resolve(d: (u8, u8, i32, bool), today: Date, past: bool) -> Option<Date> {
    let (day, month, year, four) = d;
    if four {
        return make_date(year, month, day);
    }
    let raw = format!("{:02}{:02}{:02}", year.rem_euclid(100), month, day);
    if past { mrz::past_date(&raw, today) } else { mrz::near_date(&raw, today) }
}

pub(super) fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A name as stored: upper case, apostrophes dropped, other punctuation a space.
pub(super) fn clean_name(s: &str) -> String {
    let t: String = s
        .chars()
        .filter(|c| !matches!(c, '\'' | '’' | '‘' | '`'))
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    display(&t)
}

/// A document number as printed: upper case, alphanumerics only.
pub(super) fn clean_number(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_uppercase()
}

#[derive(Debug, Default)]
pub(super) struct Printed {
    pub(super) surname: Option<(String, f32)>,
    pub(super) given: Option<(String, f32)>,
    pub(super) birth: Option<((u8, u8, i32, bool), f32)>,
    pub(super) number: Option<(String, f32)>,
    pub(super) nationality: Option<(String, f32)>,
    pub(super) sex: Option<(String, f32)>,
    pub(super) expiry: Option<((u8, u8, i32, bool), f32)>,
    pub(super) licence: bool,
    /// Dates are written month first (a US or Canadian licence).
    pub(super) month_first: bool,
}

impl Printed {
    fn date(&self, text: &str) -> Option<(u8, u8, i32, bool)> {
        if self.month_first { printed_date_month_first(text) } else { printed_date(text) }
    }
}

pub(super) fn read_printed(lines: &[TextLine]) -> Printed {
    let aamva = is_aamva(lines);
    let mut p = Printed { month_first: aamva, ..Printed::default() };
    let text = |l: &TextLine| l.text.trim().to_owned();
    for l in lines {
        // a stray low-confidence "1" or "5" is noise, not a field number
        let Some(label) = label_of(&l.text).filter(|_| l.confidence >= MIN_LABEL_CONFIDENCE) else {
            // "4b. 09 AUG 29", "1. HANSEN": the number glued to its value
            if let Some((n, v)) = glued_licence_field(&l.text) {
                p.licence = true;
                assign_licence(&mut p, n, v, l.confidence);
            } else if let Some((n, v)) = aamva.then(|| spaced_name_field(&l.text)).flatten() {
                assign_licence(&mut p, n, v, l.confidence);
            }
            continue;
        };
        // AAMVA values sit below their labels ("3 DOB" over "03/18/2001");
        // names stay beside their numbers
        let same_row_only = match label {
            Label::Licence("1" | "2") => true,
            Label::Licence(_) => !aamva,
            _ => false,
        };
        let Some(v) = value_of(l, lines, same_row_only) else { continue };
        let c = v.confidence;
        match label {
            Label::Surname | Label::GivenNames if !name_like(&v.text) => {}
            Label::Surname => p.surname = p.surname.take().or(Some((text(v), c))),
            Label::GivenNames => p.given = p.given.take().or(Some((text(v), c))),
            Label::BirthDate => p.birth = p.birth.or(p.date(&v.text).map(|d| (d, c))),
            Label::DocumentNumber => p.number = p.number.take().or(Some((text(v), c))),
            Label::Nationality => p.nationality = p.nationality.take().or(Some((text(v), c))),
            Label::Sex => p.sex = p.sex.take().or(Some((text(v), c))),
            Label::Expiry => p.expiry = p.expiry.or(p.date(&v.text).map(|d| (d, c))),
            // "4b.19.07.2035" beside a "5": that line is its own field
            Label::Licence(_) if glued_licence_field(&v.text).is_some() => {}
            Label::Licence(n) => {
                p.licence = true;
                assign_licence(&mut p, n, &v.text, c);
            }
        }
    }
    if aamva {
        p.licence = true;
    } else if p.licence || is_licence(lines) {
        // fills what the (small, often undetected) numbers of an EU licence did not give
        p.licence = true;
        licence_by_rows(lines, &mut p);
        fix_licence_number(&mut p);
    }
    p
}

/// EU licence numbers often start with the holder's surname (UK: its first
/// five letters, padded with `9`): where OCR read a look-alike digit there
/// (`DUB01…` for `DUBOI…`), the surname read from field 1 corrects it.
pub(super) fn fix_licence_number(p: &mut Printed) {
    let (Some((surname, _)), Some((number, _))) = (&p.surname, &mut p.number) else { return };
    let letters: Vec<char> =
        match_key(surname).chars().filter(char::is_ascii_alphabetic).take(5).collect();
    let mut fixed: Vec<char> = number.chars().collect();
    if letters.len() < 3 || fixed.len() < letters.len() + 3 {
        return;
    }
    let look_alike = |ocr: char, want: char| {
        let ocr = ocr.to_ascii_uppercase();
        let want = want.to_ascii_uppercase();
        ocr == want
            || matches!(
                (ocr, want),
                ('0', 'O')
                    | ('1', 'I')
                    | ('1', 'L')
                    | ('5', 'S')
                    | ('8', 'B')
                    | ('2', 'Z')
                    | ('6', 'G')
            )
    };
    if fixed.iter().zip(&letters).all(|(o, w)| look_alike(*o, *w)) {
        for (o, w) in fixed.iter_mut().zip(&letters) {
            *o = w.to_ascii_uppercase();
        }
        *number = fixed.into_iter().collect();
    }
}

pub(super) fn glued_licence_field(text: &str) -> Option<(&'static str, &str)> {
    let t = text.trim();
    for n in ["4a", "4b", "4c", "1", "2", "3", "5"] {
        if let Some(rest) = t.strip_prefix(n).and_then(|r| r.strip_prefix('.'))
            && !rest.trim().is_empty()
        {
            return Some((n, rest.trim()));
        }
    }
    None
}

/// `2 GARCÍA`: an AAMVA name field's number and its value, a space between.
fn spaced_name_field(text: &str) -> Option<(&'static str, &str)> {
    let t = text.trim();
    let (n, rest) = t.split_once(' ')?;
    let n = match n {
        "1" => "1",
        "2" => "2",
        _ => return None,
    };
    let rest = rest.trim();
    (name_like(rest) && !rest.chars().any(|c| c.is_ascii_digit())).then_some((n, rest))
}

/// Whether a value can be a name: two letters or more, no MRZ filler.
pub(super) fn name_like(v: &str) -> bool {
    v.chars().filter(|c| c.is_alphabetic()).count() >= 2 && !v.contains('<')
}

pub(super) fn assign_licence(p: &mut Printed, n: &str, v: &str, c: f32) {
    let v = v.trim();
    match n {
        "1" if name_like(v) => p.surname = p.surname.take().or(Some((v.to_owned(), c))),
        "2" if name_like(v) => p.given = p.given.take().or(Some((v.to_owned(), c))),
        "3" => p.birth = p.birth.or(p.date(v).map(|d| (d, c))),
        "4b" => p.expiry = p.expiry.or(p.date(v).map(|d| (d, c))),
        // the licence number: field 5 in the EU, 4d on AAMVA cards (where 5 is
        // the document discriminator)
        "5" if !p.month_first => p.number = p.number.take().or(Some((v.to_owned(), c))),
        "4d" => p.number = p.number.take().or(Some((v.to_owned(), c))),
        _ => {}
    }
}

pub(super) fn is_licence(lines: &[TextLine]) -> bool {
    lines.iter().any(|l| {
        let k = match_key(&l.text);
        k.contains("driving licence")
            || k.contains("driving license")
            || k.contains("drivinglicence")
            || k.contains("permis de conduire")
            || k.starts_with("4b")
    })
}

/// EU licence fields by row order when their numbers were not detected: the
/// birth-date row (a date followed by a place) is field 3; the two rows above
/// it in the same column are 1 and 2; the row after the issue/expiry row is 5.
pub(super) fn licence_by_rows(lines: &[TextLine], p: &mut Printed) {
    let Some(dob_i) = lines.iter().position(|l| {
        printed_date(&l.text).is_some() && l.text.chars().filter(|c| c.is_alphabetic()).count() >= 4
    }) else {
        return;
    };
    let dob = &lines[dob_i];
    let column: Vec<&TextLine> = lines
        .iter()
        .filter(|l| {
            (l.x - dob.x).abs() < 1.5 * dob.height
                && l.confidence >= 0.6
                && l.text.trim().chars().count() >= 3
                && label_of(&l.text).is_none()
                && glued_licence_field(&l.text).is_none()
        })
        .collect();
    let Some(pos) = column.iter().position(|l| std::ptr::eq(*l, dob)) else { return };
    if pos >= 2 {
        assign_licence(p, "1", &column[pos - 2].text, column[pos - 2].confidence);
        assign_licence(p, "2", &column[pos - 1].text, column[pos - 1].confidence);
    }
    assign_licence(p, "3", &dob.text, dob.confidence);
    if let Some(n) = column.get(pos + 2) {
        assign_licence(p, "5", &n.text, n.confidence);
    }
}
