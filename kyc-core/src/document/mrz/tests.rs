use super::*;
use proptest::prelude::*;
use time::macros::date;

/// The shared labelled MRZ set (../shared/data/documents/mrz.jsonl).
fn fixtures() -> Vec<serde_json::Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/documents/mrz.jsonl");
    let text = std::fs::read_to_string(path).expect("../shared/data/documents/mrz.jsonl");
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn parses_every_labelled_mrz_exactly() {
    let records = fixtures();
    assert_eq!(records.len(), 48);
    let (mut valid, mut invalid) = (0, 0);
    for r in &records {
        let text = r["mrz"].as_str().unwrap();
        let note = r["note"].as_str().unwrap();
        let m = parse(text).unwrap_or_else(|e| panic!("{note}: {e}"));
        let format = serde_json::to_value(m.format).unwrap();
        assert_eq!(format, r["format"], "{note}");
        let f = &r["fields"];
        assert_eq!(m.surname, f["surname"].as_str().unwrap(), "{note}");
        assert_eq!(m.given_names, f["given_names"].as_str().unwrap(), "{note}");
        assert_eq!(m.document_number, f["document_number"].as_str().unwrap(), "{note}");
        assert_eq!(m.birth_date_raw, f["birth_date"].as_str().unwrap(), "{note}");
        assert_eq!(m.expiry_date_raw, f["expiry_date"].as_str().unwrap(), "{note}");
        assert_eq!(m.nationality, f["nationality"].as_str().unwrap(), "{note}");
        assert_eq!(m.issuing_state, f["issuing_state"].as_str().unwrap(), "{note}");
        assert_eq!(m.document_code, f["document_code"].as_str().unwrap(), "{note}");
        let sex = match f["sex"].as_str().unwrap() {
            "M" => Sex::Male,
            "F" => Sex::Female,
            _ => Sex::Unspecified,
        };
        assert_eq!(m.sex, sex, "{note}");
        // every check digit the fixture labels, and no others
        let expected = r["check_digits"].as_object().unwrap();
        let actual: Vec<(CheckField, bool)> = m.checks.iter().collect();
        assert_eq!(actual.len(), expected.len(), "{note}: {actual:?}");
        for (field, ok) in actual {
            assert_eq!(Some(ok), expected[field.as_str()].as_bool(), "{note}: {}", field.as_str());
        }
        let is_valid = r["valid"].as_bool().unwrap();
        assert_eq!(m.validate().is_ok(), is_valid, "{note}");
        if is_valid {
            valid += 1;
        } else {
            invalid += 1;
            let first_bad = m.checks.iter().find(|(_, ok)| !ok).unwrap().0;
            assert_eq!(m.validate().unwrap_err(), MrzError::CheckDigit(first_bad));
        }
    }
    assert_eq!((valid, invalid), (30, 18));
}

#[test]
fn error_names_the_failing_check() {
    let m = parse(
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n\
         L898902C36UTO7408122F1204179ZE184226B<<<<<10",
    )
    .unwrap();
    let err = m.validate().unwrap_err();
    assert_eq!(err, MrzError::CheckDigit(CheckField::ExpiryDate));
    assert_eq!(err.to_string(), "the expiry_date check digit does not match");
}

#[test]
fn accepts_unbroken_lowercase_and_spaced_input() {
    let joined =
        "p<utoeriksson<<anna<maria<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10";
    let m = parse(joined).unwrap();
    assert_eq!(m.format, MrzFormat::Td3);
    assert!(m.validate().is_ok());
    let spaced = "I<UTOD231458907<<<<<<<<<<<<<<<\r\n 7408122F1204159UTO<<<<<<<<<<<6 \r\nERIKSSON<<ANNA<MARIA<<<<<<<<<<\n";
    assert_eq!(parse(spaced).unwrap().format, MrzFormat::Td1);
}

#[test]
fn rejects_bad_layouts_and_characters() {
    assert!(matches!(parse(""), Err(MrzError::UnknownLayout { lines: 0, .. })));
    assert!(matches!(parse("P<UTO\nL898"), Err(MrzError::UnknownLayout { lines: 2, .. })));
    let bad = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F12041-9ZE184226B<<<<<10";
    assert_eq!(parse(bad).unwrap_err(), MrzError::InvalidCharacter { line: 2, column: 27 });
    let bad_sex = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122Q1204159ZE184226B<<<<<10";
    assert_eq!(parse(bad_sex).unwrap_err(), MrzError::InvalidSex);
}

#[test]
fn infers_centuries_from_the_reference_date() {
    let today = date!(2026 - 11 - 25);
    assert_eq!(past_date("740812", today), Some(date!(1974 - 08 - 12)));
    assert_eq!(past_date("050603", today), Some(date!(2005 - 06 - 03)));
    assert_eq!(past_date("261125", today), Some(date!(2026 - 11 - 25)));
    assert_eq!(past_date("261126", today), Some(date!(1926 - 11 - 26)));
    assert_eq!(past_date("000229", today), Some(date!(2000 - 02 - 29)));
    assert_eq!(past_date("991301", today), None);
    assert_eq!(past_date("74O812", today), None);
    assert_eq!(near_date("340528", today), Some(date!(2034 - 05 - 28)));
    assert_eq!(near_date("961210", today), Some(date!(1996 - 12 - 10)));
    assert_eq!(near_date("120415", today), Some(date!(2012 - 04 - 15)));
    let m = parse("IDBEL600001795<0152<<<<<<<<<<<\n1301014F2311207BEL130101987398\nSPECIMEN<<SPECIMEN<<<<<<<<<<<<").unwrap();
    assert_eq!(m.birth_date(today).unwrap(), date!(2013 - 01 - 01));
    assert_eq!(m.expiry_date(today).unwrap(), date!(2023 - 11 - 20));
    let garbled = parse("IDCHEA1234567<6<<<<<<<<<<<<<<<\n7SIOZSGMZOO90IBCHE<<<<<<<<<<<B\n5M1TH<<J0HN<AL8ERT<<<<<<<<<<<<").unwrap();
    assert_eq!(
        garbled.birth_date(today).unwrap_err(),
        MrzError::InvalidDate(CheckField::BirthDate)
    );
}

#[test]
fn debug_hides_personal_data() {
    let m = parse("I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<").unwrap();
    let dbg = format!("{m:?}");
    assert!(!dbg.contains("ERIKSSON") && !dbg.contains("D23145890") && !dbg.contains("740812"));
}

#[test]
fn check_digit_known_values() {
    assert_eq!(check_digit("L898902C3"), Some(6));
    assert_eq!(check_digit("740812"), Some(2));
    assert_eq!(check_digit("<<<<<<"), Some(0));
    assert_eq!(check_digit("abc"), None);
}

// ---- property tests: encode → parse ---------------------------------------

fn field(len: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Z0-9]{{1,{len}}}")).unwrap()
}

fn name_words() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(proptest::string::string_regex("[A-Z]{1,8}").unwrap(), 1..3)
}

fn yymmdd_str() -> impl Strategy<Value = String> {
    (0u8..100, 1u8..13, 1u8..29).prop_map(|(y, m, d)| format!("{y:02}{m:02}{d:02}"))
}

fn pad(s: &str, n: usize) -> String {
    let mut s = s.to_owned();
    while s.len() < n {
        s.push('<');
    }
    s.truncate(n);
    s
}

fn cd(s: &str) -> char {
    char::from(b'0' + check_digit(s).unwrap())
}

prop_compose! {
    fn td3()(num in field(9), nat in "[A-Z]{3}", dob in yymmdd_str(), exp in yymmdd_str(),
             sex in "[MF<]", personal in field(14), sur in name_words(), given in name_words())
        -> (String, String, String, String, String, String, String) {
        let number = pad(&num, 9);
        let personal = pad(&personal, 14);
        let names = pad(&format!("{}<<{}", sur.join("<"), given.join("<")), 39);
        let mut l2 = format!("{number}{}{nat}{dob}{}{sex}{exp}{}{personal}{}",
            cd(&number), cd(&dob), cd(&exp), cd(&personal));
        let composite = format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..43]);
        l2.push(cd(&composite));
        let l1 = format!("P<{nat}{names}");
        (format!("{l1}\n{l2}"), num, sur.join(" "), given.join(" "), dob, exp, nat)
    }
}

prop_compose! {
    fn td1()(num in field(9), nat in "[A-Z]{3}", dob in yymmdd_str(), exp in yymmdd_str(),
             sex in "[MF<]", sur in name_words(), given in name_words())
        -> (String, String, String, String, String, String, String) {
        let number = pad(&num, 9);
        let l1 = format!("I<{nat}{number}{}{}", cd(&number), "<".repeat(15));
        let mut l2 = format!("{dob}{}{sex}{exp}{}{nat}{}", cd(&dob), cd(&exp), "<".repeat(11));
        let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
        l2.push(cd(&composite));
        let l3 = pad(&format!("{}<<{}", sur.join("<"), given.join("<")), 30);
        (format!("{l1}\n{l2}\n{l3}"), num, sur.join(" "), given.join(" "), dob, exp, nat)
    }
}

proptest! {
    #[test]
    fn encoded_td3_parses_back((text, num, sur, given, dob, exp, nat) in td3()) {
        let m = parse(&text).unwrap();
        prop_assert_eq!(m.format, MrzFormat::Td3);
        prop_assert!(m.validate().is_ok());
        prop_assert_eq!(m.document_number, num);
        prop_assert_eq!(m.birth_date_raw, dob);
        prop_assert_eq!(m.expiry_date_raw, exp);
        prop_assert_eq!(m.nationality, nat);
        // names may be truncated to 39 characters by the layout
        let full = format!("{sur} {given}");
        let got = format!("{} {}", m.surname, m.given_names);
        prop_assert!(full.starts_with(got.trim()), "{} vs {}", full, got);
    }

    #[test]
    fn encoded_td1_parses_back((text, num, sur, given, dob, exp, nat) in td1()) {
        let m = parse(&text).unwrap();
        prop_assert_eq!(m.format, MrzFormat::Td1);
        prop_assert!(m.validate().is_ok());
        prop_assert_eq!(m.document_number, num);
        prop_assert_eq!(m.birth_date_raw, dob);
        prop_assert_eq!(m.expiry_date_raw, exp);
        prop_assert_eq!(m.nationality, nat);
        let full = format!("{sur} {given}");
        let got = format!("{} {}", m.surname, m.given_names);
        prop_assert!(full.starts_with(got.trim()));
    }

    #[test]
    fn altering_a_birth_date_digit_is_caught((text, ..) in td3(), pos in 13usize..19, delta in 1u8..10) {
        let mut bytes = text.into_bytes();
        let i = 45 + pos; // line 2 starts after 44 chars + newline
        let c = bytes[i];
        bytes[i] = b'0' + (c - b'0' + delta) % 10;
        let m = parse(std::str::from_utf8(&bytes).unwrap()).unwrap();
        prop_assert_eq!(m.validate().unwrap_err(), MrzError::CheckDigit(CheckField::BirthDate));
    }

    #[test]
    fn any_input_never_panics(s in "[A-Z0-9<\n]{0,120}") {
        if let Ok(m) = parse(&s) {
            let _ = m.validate();
            let _ = m.birth_date(date!(2026 - 01 - 01));
            let _ = m.expiry_date(date!(2026 - 01 - 01));
        }
    }

    #[test]
    fn any_unicode_never_panics(s in "\\PC{0,100}") {
        let _ = parse(&s);
    }
}
