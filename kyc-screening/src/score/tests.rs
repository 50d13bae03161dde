use super::search::*;
use super::*;
use crate::model::{Alias, ListSnapshot};

fn index() -> Index {
    let mut e1 = Entry::new(Source::Ofac, "1", "AL-ZAWAHIRI, Ayman");
    e1.entity_type = EntityType::Individual;
    e1.dates_of_birth = vec![BirthDate::Exact { year: 1951, month: 6, day: 19 }];
    e1.nationalities = vec!["EG".to_owned()];
    e1.aliases
        .push(Alias { name: "Abdul Rahman AL-MUHAJIR".to_owned(), quality: AliasQuality::Strong });
    let mut e2 = Entry::new(Source::Un, "QDe.001", "EMMA TRADING LLC");
    e2.entity_type = EntityType::Entity;
    let mut e3 = Entry::new(Source::Uk, "RUS0001", "IVANOV Sergei Petrovich");
    e3.entity_type = EntityType::Individual;
    let mut entries = vec![e1, e2, e3];
    for i in 0..200 {
        let mut e =
            Entry::new(Source::Eu, format!("row{i}"), format!("Mohammed Person{i} Trading LLC"));
        e.entity_type = EntityType::Entity;
        entries.push(e);
    }
    build(entries)
}

fn build(entries: Vec<Entry>) -> Index {
    Index::build(&[ListSnapshot {
        source: Source::Ofac,
        version: None,
        published: None,
        origin: "t".into(),
        entries,
    }])
}

#[test]
fn partial_matches_on_romanised_han_names_are_weaker() {
    assert!(is_ideographic("王君正"));
    assert!(is_ideographic("윤철"));
    assert!(!is_ideographic("WANG Jun Zheng"));
    assert!(!is_ideographic("Павел ПОПОВ"));
    let mut han = Entry::new(Source::Un, "KPi.1", "王君正");
    han.entity_type = EntityType::Individual;
    let mut latin = Entry::new(Source::Un, "KPi.2", "WANG Jun Zheng");
    latin.entity_type = EntityType::Individual;
    let idx = build(vec![han, latin]);
    let p = Policy::default();
    let scores = |q: &str| {
        let r = idx.screen(&Query::name(q), &p).unwrap();
        let of = |id: &str| r.matches.iter().find(|m| m.id == id).map_or(0.0, |m| m.score);
        (of("KPi.1"), of("KPi.2"))
    };
    // the same two of three syllables: the Latin-script name keeps its
    // score, the machine romanisation of the Han name is discounted
    let (han_partial, latin_partial) = scores("Jun Wang");
    assert!(han_partial < latin_partial * 0.95, "{han_partial} vs {latin_partial}");
    // the exact Han name (or its full reading) is still a match
    let (han_exact, _) = scores("王君正");
    assert!(han_exact >= p.match_threshold, "{han_exact}");
    let (han_reading, _) = scores("Wang Jun Zheng");
    assert!(han_reading >= p.match_threshold, "{han_reading}");
}

#[test]
fn finds_variants() {
    let idx = index();
    let p = Policy::default();
    for q in [
        "Ayman al-Zawahiri",
        "Aiman Zawahri",
        "ZAWAHIRI Ayman",
        "Dr. Ayman al Zawahiry",
        "Abdulrahman Al Muhajir",
        "Sergey Ivanov Petrovich",
    ] {
        let r = idx.screen(&Query::name(q), &p).unwrap();
        assert_ne!(r.status, Status::Clear, "{q}");
    }
}

#[test]
fn three_letter_tokens_match_exactly_or_not_at_all() {
    let sim = |a: &str, b: &str| {
        let ph = |t: &str| index::hash(index::SALT_PHON, normalize::phonetic_key(t).as_bytes());
        token_sim_str(a, TokenKind::Name, ph(a), b, TokenKind::Name, ph(b))
    };
    assert_eq!(sim("tao", "tai"), 0.0);
    assert_eq!(sim("yan", "yun"), 0.0);
    assert_eq!(sim("wu", "wu"), 1.0);
    // longer tokens keep their typo tolerance
    assert!(sim("zawahiri", "zawahri") >= MIN_TOKEN_SIM);
}

#[test]
fn generic_tokens_do_not_carry_a_match() {
    let idx = index();
    let p = Policy::default();
    for q in ["Emma Daniels", "Trading LLC", "Mohammed Smith", "Ivan Petrov"] {
        let r = idx.screen(&Query::name(q), &p).unwrap();
        assert_eq!(
            r.status,
            Status::Clear,
            "{q}: {:?}",
            r.matches.first().map(|m| (&m.name, m.score))
        );
    }
}

#[test]
fn dob_and_type_evidence() {
    let idx = index();
    let p = Policy::default();
    let good = idx
        .screen(
            &Query::name("Ayman Zawahiri")
                .with_dob(BirthDate::Exact { year: 1951, month: 6, day: 19 })
                .with_country("Egypt"),
            &p,
        )
        .unwrap();
    assert_eq!(good.matches[0].components.dob_agreement, DobAgreement::Exact);
    assert_eq!(good.matches[0].components.country_agreement, CountryAgreement::Agrees);
    let bad = idx
        .screen(&Query::name("Ayman Zawahiri").with_dob(BirthDate::Year { year: 1990 }), &p)
        .unwrap();
    assert!(bad.matches.first().is_none_or(|m| m.score < good.matches[0].score));
    let company = idx
        .screen(&Query::name("Ayman Zawahiri").with_entity_type(EntityType::Entity), &p)
        .unwrap();
    assert_eq!(company.status, Status::Clear);
    assert_eq!(
        dob_agreement(Some(BirthDate::Year { year: 1952 }), &[BirthDate::Year { year: 1951 }]),
        DobAgreement::WithinOneYear
    );
    assert_eq!(
        dob_agreement(
            Some(BirthDate::Year { year: 1951 }),
            &[BirthDate::Range { from: 1950, to: 1952 }]
        ),
        DobAgreement::Year
    );
}

#[test]
fn result_json_shape() {
    let idx = index();
    let r = idx.screen(&Query::name("Ayman al-Zawahiri"), &Policy::default()).unwrap();
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["status"], "match");
    assert_eq!(v["matches"][0]["source"], "ofac");
    assert_eq!(v["matches"][0]["id"], "1");
    assert!(v["matches"][0]["score"].as_f64().unwrap() > 0.9);
    assert_eq!(v["matches"][0]["components"]["dob_agreement"], "unknown");
    assert!(idx.screen(&Query::name(" -- "), &Policy::default()).is_err());
}
