use super::*;

#[test]
fn eight_locales_translate_every_key() {
    assert_eq!(supported().count(), 8);
    let en: Vec<&str> = LOCALES[0].1.split(SEP).collect();
    assert_eq!(en, EN);
    for (code, table, _) in LOCALES {
        let table: Vec<&str> = table.split(SEP).collect();
        assert_eq!(table.len(), N, "{code}");
        for (i, t) in table.iter().enumerate() {
            assert!(!t.trim().is_empty(), "{code}: {} is empty", Key::ALL[i].name());
            assert_eq!(Texts::new([code], []).get(Key::ALL[i]), *t);
        }
        if code != "en" {
            let same = table.iter().zip(EN.iter()).filter(|(a, b)| a == b).count();
            assert!(same <= 1, "{code}: {same} texts left in English");
        }
        // placeholders survive translation
        let t = Texts::new([code], []);
        assert!(t.get(Key::SecondsLeft).contains("{n}"), "{code}");
        assert!(t.fill(Key::Steps, &[("done", "1"), ("total", "2")]).contains('2'));
    }
}

#[test]
fn the_locale_comes_from_the_attribute_then_the_browser() {
    assert_eq!(Texts::new(["pt-BR"], []).locale(), "pt");
    assert_eq!(Texts::new(["xx", "de-CH", "fr"], []).locale(), "de");
    assert_eq!(Texts::new(["tlh"], []).locale(), "en");
    assert_eq!(Texts::new(Vec::<&str>::new(), []).locale(), "en");
    let ar = Texts::new(["ar-EG"], []);
    assert!(ar.rtl() && !Texts::new(["zh-CN"], []).rtl());
}

#[test]
fn labels_override_any_text_and_ignore_junk() {
    let t = Texts::new(
        ["fr"],
        parse_labels(r#"{"title": "Ouvrir un compte", "nope": "x", "retry": 3}"#),
    );
    assert_eq!(t.get(Key::Title), "Ouvrir un compte");
    assert_eq!(t.get(Key::Retry), "Réessayer");
    assert_eq!(
        Texts::new(["en"], parse_labels("not json")).get(Key::Title),
        "Verify your identity"
    );
}

#[test]
fn placeholders_are_filled_and_unknown_braces_kept() {
    let t = Texts::new(["en"], []);
    assert_eq!(t.fill(Key::Steps, &[("done", "1"), ("total", "3")]), "Step 1 of 3");
    assert_eq!(t.fill(Key::SecondsLeft, &[("n", "12")]), "12 s left");
    let zh = Texts::new(["zh"], []);
    assert_eq!(zh.fill(Key::Steps, &[("done", "2"), ("total", "3")]), "第 2 步，共 3 步");
    let odd = Texts::new(["en"], [("title".to_owned(), "a {x} {n} {n b} {".to_owned())]);
    assert_eq!(odd.fill(Key::Title, &[("n", "5")]), "a {x} 5 {n b} {");
}

#[test]
fn every_error_and_issue_has_a_text() {
    assert_eq!(error_key("camera_denied"), Key::ErrCameraDenied);
    assert_eq!(error_key("unauthorized"), Key::ErrExpired);
    assert_eq!(error_key("whatever"), Key::ErrGeneric);
    for i in [FrameIssue::TooDark, FrameIssue::NoFace, FrameIssue::Blurry] {
        assert_ne!(issue_key(issue_code(i)), Key::IssueOffCenter);
    }
}
