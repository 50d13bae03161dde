//! Finding and repairing a machine-readable zone in OCR output.
//!
//! OCR reads MRZs imperfectly: runs of `<` are miscounted, `0`/`O`, `1`/`I`,
//! `5`/`S`, `8`/`B` are confused, and now and then a character is dropped.
//! The zone's structure fixes most of it: every position is known to be a
//! letter, a digit or either; the date/sex block of the data line anchors
//! the fields around it; and check digits decide between candidate
//! readings. What cannot be repaired keeps its failing check digit, so the
//! caller can fall back on the printed field and say so.

use super::mrz::{self, Mrz, MrzFormat};

/// What a position of the zone may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// `A–Z` or `<`.
    Alpha,
    /// `0–9` or `<`.
    Digit,
    /// Anything in the alphabet.
    Any,
}

/// OCR confusions between letters and digits, both ways.
const LETTER_TO_DIGIT: [(char, char); 10] = [
    ('O', '0'),
    ('Q', '0'),
    ('D', '0'),
    ('I', '1'),
    ('L', '1'),
    ('Z', '2'),
    ('S', '5'),
    ('G', '6'),
    ('B', '8'),
    ('T', '7'),
];

fn to_digit(c: char) -> char {
    LETTER_TO_DIGIT.iter().find(|(l, _)| *l == c).map_or(c, |(_, d)| *d)
}

fn to_letter(c: char) -> char {
    match c {
        '0' => 'O',
        '1' => 'I',
        '2' => 'Z',
        '5' => 'S',
        '6' => 'G',
        '8' => 'B',
        '7' => 'T',
        '4' => 'A',
        _ => c,
    }
}

/// Upper case, spaces removed, look-alikes of `<` folded into it, anything
/// else outside the MRZ alphabet replaced by `<`.
pub fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c.to_ascii_uppercase() {
            c @ ('A'..='Z' | '0'..='9' | '<') => c,
            '«' | '‹' | '(' | '[' | '{' | 'く' => '<',
            _ => '<',
        })
        .collect()
}

/// The text without whitespace, and whether at least 90% of it is in the
/// MRZ alphabet (`A–Z`, `0–9`, `<`).
fn mrz_alphabet(text: &str) -> (Vec<char>, bool) {
    let raw: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    let alphabet =
        raw.iter().filter(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == '<').count();
    let mostly = alphabet * 10 >= raw.len() * 9;
    (raw, mostly)
}

/// Whether an OCR line looks like a line (or part of one) of an MRZ.
pub fn looks_like_mrz(text: &str) -> bool {
    let (raw, mostly) = mrz_alphabet(text);
    let fillers = raw.windows(2).any(|w| w == ['<', '<']);
    if raw.len() < 12 || (raw.len() < 20 && !fillers) {
        return false;
    }
    mostly && (raw.contains(&'<') || raw.len() >= 28)
}

/// Whether a detected text box may be a piece of an MRZ row (OCR engines
/// often cut runs of `<` into boxes of their own): a looser test than
/// [`looks_like_mrz`], for deciding which boxes to merge into one row.
pub fn looks_like_mrz_piece(text: &str) -> bool {
    let (raw, mostly) = mrz_alphabet(text);
    raw.len() >= 5 && mostly && (raw.contains(&'<') || raw.len() >= 25)
}

/// Position classes of each line of a format.
fn classes(format: MrzFormat, line: usize, len: usize) -> Vec<Class> {
    use Class::{Alpha, Any, Digit};
    let mut c = vec![Any; len];
    let mut set = |r: std::ops::Range<usize>, k: Class| {
        for i in r.filter(|&i| i < len) {
            c[i] = k;
        }
    };
    match (format, line) {
        (MrzFormat::Td1, 0) => {
            set(0..5, Alpha);
            set(14..15, Digit);
        }
        (MrzFormat::Td1, 1) => {
            set(0..8, Digit);
            set(8..15, Digit);
            set(15..18, Alpha);
            set(29..30, Digit);
        }
        (MrzFormat::Td1, _) => set(0..30, Alpha),
        (_, 0) => set(0..len, Alpha),
        (f, _) => {
            set(9..10, Digit);
            set(10..13, Alpha);
            set(13..20, Digit);
            set(21..28, Digit);
            if f == MrzFormat::Td3 {
                set(42..44, Digit);
            } else if f == MrzFormat::Td2 {
                set(35..36, Digit);
            }
        }
    }
    c
}

/// Applies the position classes: digits where only digits may be, letters
/// where only letters may be.
fn coerce(line: &str, classes: &[Class]) -> String {
    line.chars()
        .zip(classes.iter().chain(std::iter::repeat(&Class::Any)))
        .map(|(ch, k)| match k {
            Class::Digit if ch != '<' => to_digit(ch),
            Class::Alpha if ch != '<' => to_letter(ch),
            _ => ch,
        })
        .collect()
}

/// Brings `line` to `len` characters by growing or shrinking its longest run
/// of `<` (where OCR miscounts), or the end.
fn fit_fillers(line: &str, len: usize) -> String {
    let mut s: Vec<char> = line.chars().collect();
    while s.len() != len {
        // the longest run of '<' (last one on ties)
        let (mut best, mut best_len, mut i) = (None, 0usize, 0usize);
        while i < s.len() {
            if s[i] == '<' {
                let start = i;
                while i < s.len() && s[i] == '<' {
                    i += 1;
                }
                if i - start >= best_len {
                    best = Some(start);
                    best_len = i - start;
                }
            } else {
                i += 1;
            }
        }
        if s.len() < len {
            s.insert(best.unwrap_or(s.len()), '<');
        } else if let Some(b) = best.filter(|_| best_len > 0) {
            s.remove(b);
        } else {
            s.truncate(len);
        }
    }
    s.into_iter().collect()
}

/// Finds the date/sex block `YYMMDD c S YYMMDD c` (digits possibly misread
/// as letters) and returns where it starts.
fn date_block(line: &str) -> Option<usize> {
    let b: Vec<char> = line.chars().collect();
    let digitish = |c: char| c.is_ascii_digit() || LETTER_TO_DIGIT.iter().any(|(l, _)| *l == c);
    let sex = |c: char| matches!(c, 'M' | 'F' | 'X' | '<' | 'H' | 'N');
    (0..b.len().saturating_sub(14)).find(|&p| {
        b[p..p + 7].iter().all(|&c| digitish(c))
            && sex(b[p + 7])
            && b[p + 8..p + 15].iter().all(|&c| digitish(c))
            && b[p..p + 7].iter().filter(|c| c.is_ascii_digit()).count() >= 5
    })
}

/// Re-aligns a TD2/TD3/MRV data line on its date block: the 13 characters
/// before it are document number, check digit and nationality.
fn align_data_line(line: &str, len: usize) -> String {
    let Some(p) = date_block(line) else { return fit_fillers(line, len) };
    let chars: Vec<char> = line.chars().collect();
    let before: String = chars[..p].iter().collect();
    let block: String = chars[p..p + 15].iter().collect();
    let after: String = chars[p + 15..].iter().collect();
    // nationality: the last three characters before the block
    let head = if before.len() >= 13 {
        before[before.len() - 13..].to_owned()
    } else {
        // a character was lost in the document number: pad it so the
        // nationality and dates stay in place (its check digit will fail)
        format!("{}{}", "<".repeat(13 - before.len()), before)
    };
    let tail = fit_fillers(&after, len - 28);
    format!("{head}{block}{tail}")
}

/// TD1 line 2 starts with the date block; the rest is nationality, optional data, composite check.
fn align_td1_line2(line: &str) -> String {
    match date_block(line) {
        Some(p) => {
            let chars: Vec<char> = line.chars().collect();
            let rest: String = chars[p..].iter().collect();
            if rest.len() >= 30 {
                rest[..30].to_owned()
            } else {
                // keep the final (composite) digit at the end
                let (body, last) = rest.split_at(rest.len().saturating_sub(1));
                format!("{}{last}", fit_fillers(body, 29))
            }
        }
        None => fit_fillers(line, 30),
    }
}

/// Tries look-alike substitutions in the document number until its check
/// digit passes — and the composite check too, where the format has one, so
/// a random substitution (1 in 10 passes one check) is not taken for a
/// repair; returns the repaired MRZ if one does.
fn repair_document_number(m: &Mrz, lines: &[String]) -> Option<Mrz> {
    let (line, range) = match m.format {
        MrzFormat::Td1 => (0, 5..14),
        _ => (1, 0..9),
    };
    let original: Vec<char> = lines.get(line)?.chars().collect();
    let field: Vec<char> = original.get(range.clone())?.to_vec();
    if field.first() == Some(&'<') {
        return None; // a lost character, not a look-alike
    }
    let ambiguous: Vec<usize> = field
        .iter()
        .enumerate()
        .filter(|(_, c)| to_digit(**c) != **c || to_letter(**c) != **c)
        .map(|(i, _)| i)
        .collect();
    if ambiguous.len() > 4 {
        return None;
    }
    for mask in 1u32..(1 << ambiguous.len()) {
        let mut candidate = field.clone();
        for (bit, &i) in ambiguous.iter().enumerate() {
            if mask & (1 << bit) != 0 {
                let c = candidate[i];
                candidate[i] = if c.is_ascii_digit() { to_letter(c) } else { to_digit(c) };
            }
        }
        let mut repaired = lines.to_vec();
        let mut l: Vec<char> = original.clone();
        l.splice(range.clone(), candidate);
        repaired[line] = l.into_iter().collect();
        if let Ok(r) = mrz::parse(&repaired.join("\n"))
            && r.checks.document_number
            && r.checks.composite != Some(false)
        {
            return Some(r);
        }
    }
    None
}

/// The MRZ found in OCR lines (in reading order), repaired as far as the
/// check digits allow, with the lines it was parsed from.
pub fn find(lines: &[&str]) -> Option<(Mrz, Vec<String>)> {
    let candidates: Vec<String> =
        lines.iter().filter(|l| looks_like_mrz(l)).map(|l| clean(l)).collect();
    if candidates.len() < 2 {
        return None;
    }
    let mut best: Option<(usize, Mrz, Vec<String>)> = None;
    // the zone is at the bottom: try the last 3 (TD1) and the last 2 lines
    for (count, formats) in [
        (3usize, &[MrzFormat::Td1][..]),
        (2, &[MrzFormat::Td3, MrzFormat::Td2, MrzFormat::Mrva, MrzFormat::Mrvb][..]),
    ] {
        if candidates.len() < count {
            continue;
        }
        let group = &candidates[candidates.len() - count..];
        for &format in formats {
            let len = format.shape().1;
            let first_is_visa = group[0].starts_with('V');
            if matches!(format, MrzFormat::Mrva | MrzFormat::Mrvb) != first_is_visa {
                continue;
            }
            let fitted: Vec<String> = group
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let aligned = match (format, i) {
                        (MrzFormat::Td1, 1) => align_td1_line2(l),
                        (MrzFormat::Td1, _) => fit_fillers(l, len),
                        (_, 1) => align_data_line(l, len),
                        _ => fit_fillers(l, len),
                    };
                    coerce(&aligned, &classes(format, i, len))
                })
                .collect();
            // how far the raw lengths were from the format's: prefers the right format
            let distance: usize = group.iter().map(|l| l.len().abs_diff(len)).sum();
            let Ok(mut m) = mrz::parse(&fitted.join("\n")) else { continue };
            if !m.checks.document_number
                && let Some(r) = repair_document_number(&m, &fitted)
            {
                m = r;
            }
            let passed = m.checks.iter().filter(|(_, ok)| *ok).count();
            let score = passed * 1000 - distance.min(999);
            if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                best = Some((score, m, fitted));
            }
        }
    }
    best.map(|(_, m, l)| (m, l))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD3: [&str; 2] = [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ];

    #[test]
    fn clean_lines_parse_as_they_are() {
        let (m, _) = find(&TD3).unwrap();
        assert_eq!(m.surname, "ERIKSSON");
        assert_eq!(m.document_number, "L898902C3");
        assert!(m.validate().is_ok());
    }

    #[test]
    fn miscounted_fillers_and_look_alikes_are_repaired() {
        let lines = [
            "P<UT0ERIKSS0N<<ANNA<MAR1A<<<<<<<<<<<<<",
            "L898902C36UT07408122F12O4159ZE184226B<<<<<<<<10",
        ];
        let (m, fitted) = find(&lines).unwrap();
        assert_eq!(fitted[0].len(), 44);
        assert_eq!(m.surname, "ERIKSSON");
        assert_eq!(m.given_names, "ANNA MARIA");
        assert_eq!(m.issuing_state, "UTO");
        assert!(m.validate().is_ok(), "{:?}", m.checks);
    }

    #[test]
    fn a_document_number_letter_read_as_a_digit_is_repaired_by_its_check_digit() {
        // C misread as... no look-alike; O→0 in the number is the classic case
        let lines = [
            "I<UTOD23145890<7349<<<<<<<<<<<",
            "3407127M9507122UTO<<<<<<<<<<<2",
            "STEVENSON<<PETER<JOHN<<<<<<<<<",
        ];
        let (m, _) = find(&lines).unwrap();
        assert_eq!(m.format, MrzFormat::Td1);
        assert_eq!(m.surname, "STEVENSON");
    }

    #[test]
    fn a_lost_character_keeps_the_dates_in_place() {
        // a 9 of the document number was dropped by OCR
        let lines = [
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L89802C36UTO7408122F1204159ZE184226B<<<<<10",
        ];
        let (m, _) = find(&lines).unwrap();
        assert!(m.checks.birth_date && m.checks.expiry_date);
        assert!(!m.checks.document_number);
        assert_eq!(m.nationality, "UTO");
    }

    #[test]
    fn mrz_pieces_are_recognised() {
        assert!(looks_like_mrz_piece("P<UTOERIKSSON<<ANNA<MARIA<<<<"));
        assert!(looks_like_mrz_piece("L898902C36UTO7408122F1204159ZE184226B"));
        assert!(looks_like_mrz_piece("<<<<<<<<"));
        assert!(!looks_like_mrz_piece("Date of birth"));
        assert!(!looks_like_mrz_piece("UTOPIA"));
        assert!(!looks_like_mrz_piece("12 JUN 1984"));
    }

    #[test]
    fn prose_is_not_an_mrz() {
        assert!(find(&["Date of birth / Date de naissance", "12 JUN 1984"]).is_none());
    }

    #[test]
    fn fillers_fit_both_ways() {
        assert_eq!(fit_fillers("AB<<C", 7), "AB<<<<C");
        assert_eq!(fit_fillers("AB<<<<C", 5), "AB<<C");
        assert_eq!(fit_fillers("ABC", 2), "AB");
    }
}
