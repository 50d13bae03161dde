//! Name normalisation for screening and OCR output.
//!
//! * [`match_key`] turns any written form of a name into a comparable key:
//!   Unicode compatibility folding (NFKC: full-width letters, ligatures),
//!   transliteration to Latin (Cyrillic, Greek, Arabic, CJK, … via `deunicode`),
//!   diacritics removed, case folded, apostrophes dropped (`O'Brien` →
//!   `obrien`, as ICAO 9303 does), every other punctuation mark and the MRZ
//!   filler `<` turned into a token break, whitespace collapsed.
//! * [`tokens`] is the same key split into tokens.
//! * [`display`] is the form shown and stored for OCR output: NFC, upper case,
//!   whitespace collapsed, diacritics kept.
//!
//! ```
//! use kyc_core::names::{match_key, display};
//! assert_eq!(match_key("Dupont-Moreau, Aoífe"), "dupont moreau aoife");
//! assert_eq!(match_key("O’BRIEN<<CLAIRE"), "obrien claire");
//! assert_eq!(match_key("Ｊｏｈｎ　ＳＭＩＴＨ"), "john smith");
//! assert_eq!(match_key("Владимир Путин"), "vladimir putin");
//! assert_eq!(display("  josé   garcía "), "JOSÉ GARCÍA");
//! ```

use unicode_normalization::UnicodeNormalization;

/// Characters removed without a token break: apostrophes and similar marks.
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | 'ʼ' | 'ʻ' | '`' | '´' | 'ʹ' | '′')
}

/// The comparable key of a name: lowercase ASCII letters and digits in tokens
/// separated by single spaces.
pub fn match_key(name: &str) -> String {
    let mut ascii = String::with_capacity(name.len());
    for c in name.nfkc() {
        if is_apostrophe(c) {
            continue;
        }
        if c.is_ascii() {
            ascii.push(c);
        } else if let Some(t) = deunicode::deunicode_char(c) {
            // transliterations may themselves contain apostrophes (e.g. Cyrillic soft sign)
            ascii.extend(t.chars().filter(|c| !is_apostrophe(*c)));
        } else {
            ascii.push(' ');
        }
    }
    let mut out = String::with_capacity(ascii.len());
    for token in ascii.split(|c: char| !c.is_ascii_alphanumeric()).filter(|t| !t.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(token.chars().map(|c| c.to_ascii_lowercase()));
    }
    out
}

/// The tokens of [`match_key`].
pub fn tokens(name: &str) -> Vec<String> {
    match_key(name).split(' ').filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// The display form: NFC, upper case, whitespace collapsed and trimmed.
pub fn display(name: &str) -> String {
    let upper: String = name.chars().flat_map(char::to_uppercase).nfc().collect();
    upper.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_diacritics_case_and_punctuation() {
        assert_eq!(match_key("José María GARCÍA-López"), "jose maria garcia lopez");
        assert_eq!(match_key("Ærøskøbing Straße"), "aeroskobing strasse");
        assert_eq!(match_key("ŁUKASZ Żółć"), "lukasz zolc");
        assert_eq!(match_key("d'Artagnan"), "dartagnan");
        assert_eq!(match_key("  MUSTERMANN<<ERIKA<<<< "), "mustermann erika");
        assert_eq!(match_key("Dr. John  Q.  Public, Jr."), "dr john q public jr");
        assert_eq!(match_key("ﬁnn"), "finn");
        assert_eq!(match_key(""), "");
        assert_eq!(match_key("--- '' ..."), "");
    }

    #[test]
    fn transliterates_non_latin_scripts() {
        assert_eq!(match_key("Владимир Путин"), "vladimir putin");
        assert_eq!(match_key("Ελένη"), "elene");
        assert!(!match_key("محمد").is_empty());
        assert_eq!(match_key("王小明"), "wang xiao ming");
        assert_eq!(tokens("Ana-Maria  O'Neil"), vec!["ana", "maria", "oneil"]);
    }

    #[test]
    fn display_keeps_diacritics() {
        assert_eq!(display("e\u{301}lodie  dupont\n"), "ÉLODIE DUPONT");
        assert_eq!(display("straße"), "STRASSE");
    }

    proptest! {
        #[test]
        fn match_key_is_idempotent(s in "\\PC{0,40}") {
            let k = match_key(&s);
            prop_assert_eq!(match_key(&k), k.clone());
        }

        #[test]
        fn match_key_is_canonical_ascii(s in "\\PC{0,40}") {
            let k = match_key(&s);
            prop_assert!(k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' '));
            prop_assert!(!k.starts_with(' ') && !k.ends_with(' ') && !k.contains("  "));
        }

        #[test]
        fn case_and_punctuation_do_not_matter(words in proptest::collection::vec("[a-zA-Zà-ÿ]{1,8}", 1..4), sep in "[ ,.\\-<]{1,3}") {
            let spaced = words.join(" ");
            let other = words.iter().map(|w| w.to_uppercase()).collect::<Vec<_>>().join(&sep);
            prop_assert_eq!(match_key(&spaced), match_key(&other));
        }

        #[test]
        fn diacritics_do_not_matter(word in "[a-z]{1,10}") {
            let accented: String = word.chars().flat_map(|c| [c, '\u{301}']).collect();
            prop_assert_eq!(match_key(&accented), word);
        }

        #[test]
        fn tokens_rejoin_to_the_key(s in "\\PC{0,40}") {
            prop_assert_eq!(tokens(&s).join(" "), match_key(&s));
        }

        #[test]
        fn display_is_idempotent(s in "\\PC{0,40}") {
            let d = display(&s);
            prop_assert_eq!(display(&d), d.clone());
        }
    }
}
