use super::*;
use time::macros::date;

const TODAY: Date = date!(2026 - 11 - 25);

fn line(text: &str, x: f32, y: f32) -> TextLine {
    TextLine {
        text: text.into(),
        confidence: 0.98,
        x,
        y,
        width: 20.0 * text.len() as f32,
        height: 22.0,
    }
}

fn doc(lines: Vec<TextLine>) -> DocumentText {
    DocumentText { lines, ..Default::default() }
}

#[test]
fn printed_dates_in_every_style() {
    assert_eq!(printed_date("12 JUN 1984"), Some((12, 6, 1984, true)));
    assert_eq!(printed_date("12JUN84"), Some((12, 6, 84, false)));
    assert_eq!(printed_date("12.06.1984"), Some((12, 6, 1984, true)));
    assert_eq!(printed_date("12/O6/1984"), Some((12, 6, 1984, true)));
    assert_eq!(printed_date("11 MAR 89 Germany"), Some((11, 3, 89, false)));
    assert_eq!(printed_date("31 0CT 1973 Utopia"), Some((31, 10, 1973, true)), "0 for O");
    assert_eq!(printed_date("O1 5EP 1980"), Some((1, 9, 1980, true)));
    assert_eq!(printed_date("12 XYZ 1984"), None);
    assert_eq!(printed_date("32.01.1984"), None);
    assert_eq!(printed_date("HANSEN"), None);
    assert_eq!(resolve((8, 2, 44, false), TODAY, true), Some(date!(1944 - 02 - 08)));
    assert_eq!(resolve((13, 1, 3, false), TODAY, true), Some(date!(2003 - 01 - 13)));
    assert_eq!(resolve((14, 7, 35, false), TODAY, false), Some(date!(2035 - 07 - 14)));
}

#[test]
fn labels_in_english_and_french_and_numbered() {
    assert_eq!(label_of("Givennames/Prenoms"), Some(Label::GivenNames));
    assert_eq!(label_of("Dateof birth/Date denaissance"), Some(Label::BirthDate));
    assert_eq!(label_of("Passport No./No.dupasseport"), Some(Label::DocumentNumber));
    assert_eq!(label_of("Surname/Nom"), Some(Label::Surname));
    assert_eq!(label_of("Sumame/Nom"), Some(Label::Surname), "rn read as m");
    assert_eq!(label_of("4a."), Some(Label::Licence("4a")));
    assert_eq!(label_of("5."), Some(Label::Licence("5")));
    assert_eq!(label_of("HANSEN"), None);
    assert_eq!(label_of("Dateofexpiry/Dated'expiration"), Some(Label::Expiry));
}

#[test]
fn a_passport_with_a_garbled_mrz_name_reads_the_printed_name() {
    let f = read_fields(
        &doc(vec![
            line("Passport No./No.dupasseport", 380.0, 196.0),
            line("X3V8LHYC9", 380.0, 215.0),
            line("Surname/Nom", 380.0, 246.0),
            line("DUBOIS", 380.0, 266.0),
            line("Givennames/Prenoms", 380.0, 297.0),
            line("JOHN", 380.0, 317.0),
            line("Dateof birth/Date denaissance", 380.0, 399.0),
            line("12JUN84", 380.0, 417.0),
            line("P<UTODUBIS<<J0HN<<<<<<<<<<<<<<<<<<<<<<<<<<<", 130.0, 658.0),
            line("X3V8LHY90UT08406125F3507142<<<<<<<<<<<<<<<2", 130.0, 692.0),
        ]),
        TODAY,
    )
    .unwrap();
    assert_eq!(f.document_kind, DocumentKind::Passport);
    assert_eq!(f.name.unwrap().value, "JOHN DUBOIS");
    assert_eq!(f.surname.as_ref().unwrap().source, FieldSource::Printed);
    assert_eq!(f.disagreements[0].field, "surname");
    let dob = f.date_of_birth.unwrap();
    assert_eq!((dob.value.as_str(), dob.source), ("1984-06-12", FieldSource::MrzAndPrinted));
    // the MRZ lost a character of the number; its check digit (0) confirms the printed one
    assert_eq!(f.document_number.unwrap().value, "X3V8LHYC9");
    assert!(f.problems.contains(&ReadProblem::SourcesDisagree));
}

#[test]
fn a_driving_licence_by_its_numbered_fields() {
    let f = read_fields(
        &doc(vec![
            line("DRIVING LICENCE", 517.0, 25.0),
            line("1.", 361.0, 111.0),
            line("HANSEN", 411.0, 102.0),
            line("2.", 359.0, 169.0),
            line("NINA", 410.0, 162.0),
            line("3.", 359.0, 230.0),
            line("11 MAR 89 Germany", 409.0, 221.0),
            line("4a.", 359.0, 290.0),
            line("09AUG19", 410.0, 284.0),
            line("4b.09AUG29", 602.0, 284.0),
            line("5.", 360.0, 352.0),
            line("HANSE853012ZT", 412.0, 345.0),
        ]),
        TODAY,
    )
    .unwrap();
    assert_eq!(f.document_kind, DocumentKind::DrivingLicence);
    assert_eq!(f.name.unwrap().value, "NINA HANSEN");
    assert_eq!(f.date_of_birth.unwrap().value, "1989-03-11");
    assert_eq!(f.document_number.unwrap().value, "HANSE853012ZT");
    assert_eq!(f.expiry_date.unwrap().value, "2029-08-09");
    assert!(f.problems.is_empty(), "{:?}", f.problems);
}

#[test]
fn a_us_licence_by_its_aamva_fields() {
    // labels over their values, numbers with abbreviations, month-first dates;
    // field 5 is the document discriminator, 4d the number
    let f = read_fields(
        &doc(vec![
            line("DRIVER LICENSE", 440.0, 36.0),
            line("4a ISS", 420.0, 131.0),
            line("4d NUMBER", 597.0, 131.0),
            line("03/18/2018", 440.0, 146.0),
            line("736HDV7874JSB", 620.0, 146.0),
            line("4b EXP", 419.0, 180.0),
            line("3 DOB", 605.0, 180.0),
            line("01/20/2028", 440.0, 194.0),
            line("03/18/2001", 618.0, 194.0),
            line("1", 332.0, 298.0),
            line("MARIA", 356.0, 290.0),
            line("2 GARCIA", 331.0, 313.0),
            line("5 DD 03/12/2019", 331.0, 482.0),
        ]),
        TODAY,
    )
    .unwrap();
    assert_eq!(f.document_kind, DocumentKind::DrivingLicence);
    assert_eq!(f.surname.unwrap().value, "MARIA");
    assert_eq!(f.given_names.unwrap().value, "GARCIA");
    assert_eq!(f.date_of_birth.unwrap().value, "2001-03-18");
    assert_eq!(f.expiry_date.unwrap().value, "2028-01-20");
    assert_eq!(f.document_number.unwrap().value, "736HDV7874JSB");
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    // the same dates on an EU card are day first, and 18 is no month
    assert_eq!(printed_date("03/18/2001"), None);
    assert_eq!(printed_date_month_first("03/18/2001"), Some((18, 3, 2001, true)));
    assert_eq!(label_of("NO"), None, "a bare NO is no label");
}

#[test]
fn a_licence_without_its_numbers_is_read_by_rows() {
    let f = read_fields(
        &doc(vec![
            line("DRIVING LICENCE", 517.0, 25.0),
            line("HANSEN", 411.0, 102.0),
            line("NINA", 410.0, 162.0),
            line("11 MAR 89 Germany", 409.0, 221.0),
            line("09AUG19", 410.0, 284.0),
            line("HANSE853012ZT", 412.0, 345.0),
        ]),
        TODAY,
    )
    .unwrap();
    assert_eq!(f.name.unwrap().value, "NINA HANSEN");
    assert_eq!(f.document_number.unwrap().value, "HANSE853012ZT");
}

/// Held-out failures: a stray low-confidence "5" beside "4b.…", a surname
/// line without its "1.", a month with a zero for its O.
#[test]
fn a_licence_with_noise_numbers_and_a_missing_label() {
    let mut stray = line("5", 560.0, 290.0);
    stray.confidence = 0.02;
    let f = read_fields(
        &doc(vec![
            line("DRIVING LICENCE", 517.0, 25.0),
            line("FISCHER", 411.0, 102.0),
            line("2.", 359.0, 169.0),
            line("ANNA MARIA", 410.0, 162.0),
            line("3.", 359.0, 230.0),
            line("31 0CT 1973 Utopia", 409.0, 221.0),
            line("4a.", 359.0, 290.0),
            line("25 DEC 2024", 410.0, 284.0),
            stray,
            line("4b.25 DEC 2034", 602.0, 284.0),
            line("5.", 360.0, 352.0),
            line("FISCH793061YM", 412.0, 345.0),
        ]),
        TODAY,
    )
    .unwrap();
    assert_eq!(f.name.unwrap().value, "ANNA MARIA FISCHER");
    assert_eq!(f.date_of_birth.unwrap().value, "1973-10-31");
    assert_eq!(f.document_number.unwrap().value, "FISCH793061YM");
    assert_eq!(f.expiry_date.unwrap().value, "2034-12-25");
}

#[test]
fn mrz_filler_and_stray_digits_are_no_names() {
    let mut one = line("1", 130.0, 740.0);
    one.confidence = 0.28;
    let f = read_fields(
        &doc(vec![
            line("Sumame/Nom", 380.0, 246.0),
            line("NOVAK", 380.0, 266.0),
            line("Given names / Prenoms", 380.0, 297.0),
            line("LUCAS", 380.0, 317.0),
            line("Date of birth / Date de naissance", 380.0, 399.0),
            line("31 JUL 1965", 380.0, 417.0),
            line("P<ITANOVAK<<LUCAS<<<", 130.0, 658.0),
            line("LKN60CK8<81TA6507316M3506237<<", 130.0, 692.0),
            one,
            line("<<<0", 160.0, 740.0),
        ]),
        TODAY,
    )
    .unwrap();
    assert_eq!(f.name.unwrap().value, "LUCAS NOVAK");
    assert_eq!(f.date_of_birth.unwrap().value, "1965-07-31");
    assert!(name_like("ANNA MARIA") && !name_like("<<<0") && !name_like("0"));
}

#[test]
fn text_without_identity_fields_is_unreadable() {
    let r = read_fields(&doc(vec![line("Hello world", 0.0, 0.0)]), TODAY);
    assert_eq!(r, Err(ReadError::Unreadable));
    assert_eq!(read_fields(&doc(vec![]), TODAY), Err(ReadError::Unreadable));
}

#[test]
fn missing_fields_are_flagged() {
    let f = read_fields(&doc(vec![line("Surname", 0.0, 0.0), line("SMITH", 0.0, 24.0)]), TODAY)
        .unwrap();
    assert!(f.problems.contains(&ReadProblem::FieldsMissing));
    assert_eq!(f.missing(), ["dateOfBirth", "documentNumber"]);
    assert!(f.needs_review());
}

proptest::proptest! {
    #[test]
    fn never_panics_on_arbitrary_lines(texts in proptest::collection::vec(".{0,60}", 0..12)) {
        let lines = texts.iter().enumerate().map(|(i, t)| line(t, 0.0, i as f32 * 25.0)).collect();
        let _ = read_fields(&doc(lines), TODAY);
    }
}
