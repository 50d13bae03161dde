//! Name normalisation for matching: tokens, token classes, given-name
//! equivalence classes and a phonetic key.
//!
//! Built on [`kyc_core::names::match_key`] (NFKC, transliteration to Latin,
//! diacritics, case, punctuation). On top of it this module:
//! * classifies tokens: honorifics (`mr`, `dr`, `sheikh`, `haji` …), legal
//!   forms and generic organisation words (`llc`, `ltd`, `corp`, `bank`,
//!   `company` …) and connectives (`al`, `bin`, `of`, `de` …) are *stop*
//!   tokens that are kept but weigh little; single letters are initials;
//! * maps common given names to an equivalence class across romanisations
//!   (Mohammed/Muhammad/Mohamed/Mohamad …, Aleksandr/Alexander/Oleksandr …);
//! * computes a phonetic key per token ([`phonetic_key`]) after folding
//!   romanisation variants (kh/h, ou/u, y/i/j, ee/i, ph/f, q/k, w/v, z/s …).

use std::collections::HashMap;
use std::sync::OnceLock;

/// The role of a token in a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TokenKind {
    /// An ordinary name token.
    Name,
    /// An honorific, legal form, generic organisation word or connective.
    Stop,
    /// A single letter.
    Initial,
    /// Digits (vessel numbers, …): must match exactly.
    Number,
}

/// Honorifics and titles.
const HONORIFICS: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "doctor",
    "prof",
    "professor",
    "sir",
    "dame",
    "lord",
    "sheikh",
    "shaikh",
    "shaykh",
    "sheik",
    "cheikh",
    "haji",
    "hajji",
    "hadji",
    "hajj",
    "alhaj",
    "alhajji",
    "mullah",
    "mulla",
    "maulana",
    "maulvi",
    "mawlawi",
    "mawlavi",
    "moulvi",
    "qari",
    "ustad",
    "ustadh",
    "imam",
    "sayyid",
    "syed",
    "general",
    "gen",
    "colonel",
    "col",
    "major",
    "maj",
    "captain",
    "capt",
    "lt",
    "lieutenant",
    "sgt",
    "sergeant",
    "commander",
    "cmdr",
    "admiral",
    "brigadier",
    "marshal",
    "eng",
    "engineer",
    "rev",
    "reverend",
    "father",
    "fr",
    "jr",
    "sr",
    "junior",
    "senior",
    "ii",
    "iii",
    "iv",
    "hon",
    "honourable",
    "his",
    "her",
    "excellency",
    "mme",
    "mlle",
    "herr",
    "frau",
    "sen",
    "senator",
    "president",
    "minister",
];

/// Legal forms and generic organisation words.
const LEGAL: &[&str] = &[
    "llc",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "inc",
    "incorporated",
    "co",
    "company",
    "cia",
    "compania",
    "gmbh",
    "ag",
    "kg",
    "sa",
    "sas",
    "sarl",
    "srl",
    "spa",
    "bv",
    "nv",
    "plc",
    "jsc",
    "ojsc",
    "cjsc",
    "pjsc",
    "ooo",
    "oao",
    "zao",
    "pao",
    "ao",
    "tov",
    "pat",
    "fze",
    "fzco",
    "fzc",
    "fz",
    "lp",
    "llp",
    "pte",
    "pvt",
    "private",
    "public",
    "sdn",
    "bhd",
    "sro",
    "as",
    "ab",
    "oy",
    "group",
    "holding",
    "holdings",
    "international",
    "intl",
    "trading",
    "trade",
    "enterprise",
    "enterprises",
    "industries",
    "industrial",
    "industry",
    "bank",
    "banco",
    "banque",
    "financial",
    "finance",
    "investment",
    "investments",
    "services",
    "service",
    "shipping",
    "logistics",
    "import",
    "export",
    "general",
    "global",
    "association",
    "foundation",
    "organization",
    "organisation",
    "establishment",
    "est",
    "firm",
    "partners",
    "ventures",
    "resources",
    "technologies",
    "technology",
    "tech",
    "systems",
    "solutions",
    "management",
    "development",
    "construction",
    "engineering",
    "commercial",
    "comercial",
    "commerce",
    "agency",
    "office",
    "center",
    "centre",
    "institute",
    "society",
    "fund",
    "trust",
    "network",
    "committee",
    "ministry",
    "department",
    "authority",
    "state",
    "national",
    "sociedad",
    "anonima",
    "limitada",
    "obshchestvo",
    "ogranichennoy",
    "otvetstvennostyu",
    "aktsionernoe",
    "obshchestvom",
    "sirketi",
    "ticaret",
    "sanayi",
    "mmc",
    "tic",
    "jv",
    "gie",
    "scs",
    "unlimited",
    "first",
    "united",
];

/// Connectives and particles.
const CONNECTIVES: &[&str] = &[
    "al", "el", "ul", "ol", "bin", "ibn", "bint", "ben", "bn", "of", "the", "and", "for", "de",
    "del", "della", "di", "da", "dos", "das", "do", "du", "des", "la", "le", "les", "los", "las",
    "van", "von", "der", "den", "y", "e", "et", "und", "i", "na", "ve", "a", "an", "aka",
];

/// Given-name equivalence classes across romanisations. The first spelling
/// names the class.
const GIVEN_NAME_CLASSES: &[&[&str]] = &[
    &[
        "muhammad",
        "mohammed",
        "mohammad",
        "mohamed",
        "mohamad",
        "muhammed",
        "muhamed",
        "muhamad",
        "mohd",
        "mhd",
        "mohamud",
        "mahomed",
        "mukhammed",
        "mukhammad",
        "magomed",
        "mohammet",
        "mehmet",
        "mehmed",
        "muhammet",
        "mouhamed",
        "mouhammad",
        "mohamet",
        "mahamat",
        "mahammad",
        "muhamadu",
        "mohammod",
    ],
    &["ahmad", "ahmed", "akhmed", "ahmet", "achmed", "ahmat", "akhmad", "ahamed", "ahmadi"],
    &[
        "husayn", "hussein", "hussain", "husain", "hossein", "hosein", "huseyin", "husein",
        "hussien", "hussin", "houssein", "hosseyn", "husseyn", "gusein", "huseen",
    ],
    &["hasan", "hassan", "hassen", "hasen", "khasan", "hasaan"],
    &["abdullah", "abdallah", "abdulla", "abdollah", "abdalla", "abdoullah", "abdellah", "abdulah"],
    &[
        "yusuf", "yousef", "youssef", "yousif", "yusif", "yussuf", "yousuf", "yusuph", "yosef",
        "youcef", "jusuf", "yussef", "yousof",
    ],
    &["umar", "omar", "omer", "oumar", "omor"],
    &["usama", "osama", "usamah", "ousama", "oussama", "osamah"],
    &["said", "saeed", "saiid", "sayid", "saied", "saed", "seyed", "sayed", "sayyed", "seyyed"],
    &["khalid", "khaled", "halid", "chalid", "khaleed"],
    &["mustafa", "mustapha", "moustafa", "mostafa", "moustapha", "mustafo"],
    &["ibrahim", "ebrahim", "ibragim", "ibraheem", "brahim", "ibrahima"],
    &["ismail", "ismael", "ismayil", "esmail", "ismoil", "ismaeel", "ismayl"],
    &["mahmud", "mahmoud", "makhmud", "mahmood", "mehmood", "mahmut"],
    &["abdul", "abdel", "abdal", "abdol", "abdoul", "abd", "abdu", "abdi"],
    &["rahman", "rehman", "rahmane", "rakhman", "rahmon"],
    &[
        "abdulrahman",
        "abdelrahman",
        "abdurrahman",
        "abdalrahman",
        "abdurahman",
        "abderrahmane",
        "abdulrehman",
        "abdolrahman",
    ],
    &["ali", "aly", "alee"],
    &["yahya", "yahia", "yehia", "yahiya", "yehya"],
    &["musa", "moussa", "mousa", "mussa", "moosa"],
    &["isa", "issa", "eisa", "esa"],
    &["yunus", "younis", "younes", "yunis", "younus", "yonus"],
    &["salih", "saleh", "salah", "salekh"],
    &["jamal", "gamal", "djamal", "jamaal"],
    &[
        "aleksandr",
        "alexander",
        "aleksander",
        "alexandr",
        "oleksandr",
        "aliaksandr",
        "alyaksandr",
        "alexandre",
        "alejandro",
        "alessandro",
        "aleksandar",
    ],
    &["sergei", "sergey", "serhii", "serhiy", "siarhei", "sergej", "serguei", "sergiy"],
    &["andrei", "andrey", "andrii", "andriy", "andrej", "andrew", "andreas", "andre", "andres"],
    &["dmitri", "dmitry", "dmitriy", "dmytro", "dzmitry", "dmitrii", "dimitri", "dimitry"],
    &["yuri", "yury", "yuriy", "iurii", "yurii", "juri", "jury", "iouri"],
    &["alexei", "aleksei", "aleksey", "alexey", "oleksii", "oleksiy", "aliaksei", "alexej"],
    &["vladimir", "volodymyr", "uladzimir", "wladimir", "wladimir"],
    &["nikolai", "nikolay", "mykola", "mikalai", "nicolai", "nikolaj"],
    &["mikhail", "michail", "mykhailo", "mikhael", "mihail", "michael", "mikhailo"],
    &[
        "yevgeny", "evgeny", "evgeniy", "yevgeniy", "yevhen", "evgenii", "yevgeni", "evgueni",
        "jewgeni",
    ],
    &["viktor", "victor", "wiktor"],
    &["igor", "ihor"],
    &["oleg", "oleh"],
    &["pavel", "pavlo", "paul", "pawel"],
    &["petr", "pyotr", "petro", "peter", "piotr", "pierre", "pedro"],
    &["grigory", "grigori", "hryhoriy", "grigoriy", "gregory", "grigorii"],
    &["gennady", "gennadiy", "hennadiy", "gennadi", "gennadii"],
    &["anatoly", "anatoliy", "anatolii", "anatoli"],
    &["valery", "valeriy", "valeri", "valerii", "valerij"],
    &["vyacheslav", "viacheslav", "vjacheslav"],
    &["yevgenia", "evgenia", "yevgeniya", "evgeniya"],
    &["tatiana", "tatyana", "tetiana", "tatsiana"],
    &["natalia", "natalya", "nataliya", "natallia"],
    &["yelena", "elena", "olena", "alena", "helena"],
    &["maria", "mariya", "mariia", "marya"],
    &["ivan", "ivanov"],
    &["kim", "gim"],
    &["jong", "chong", "jung", "chung"],
    &["joseph", "josef", "jose", "giuseppe", "iosif", "osip"],
    &["john", "jon", "johan", "johann", "jean", "juan", "giovanni", "ioan", "jan"],
];

fn set(words: &'static [&'static str]) -> std::collections::HashSet<&'static str> {
    words.iter().copied().collect()
}

struct Tables {
    stop: std::collections::HashSet<&'static str>,
    classes: HashMap<&'static str, &'static str>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut stop = set(HONORIFICS);
        stop.extend(set(LEGAL));
        stop.extend(set(CONNECTIVES));
        let mut classes = HashMap::new();
        for class in GIVEN_NAME_CLASSES {
            for name in *class {
                classes.entry(*name).or_insert(class[0]);
            }
        }
        Tables { stop, classes }
    })
}

/// The kind of a (normalised) token.
pub fn token_kind(token: &str) -> TokenKind {
    if token.bytes().all(|b| b.is_ascii_digit()) {
        TokenKind::Number
    } else if token.len() == 1 {
        TokenKind::Initial
    } else if tables().stop.contains(token) {
        TokenKind::Stop
    } else {
        TokenKind::Name
    }
}

/// The given-name class of a token (`mohamed` → `muhammad`), if any.
pub fn name_class(token: &str) -> Option<&'static str> {
    tables().classes.get(token).copied()
}

/// Normalised tokens of a name: [`kyc_core::names::match_key`] split on
/// spaces. Hyphenated and `al-` prefixed parts are separate tokens
/// (`al-Assad` → `al assad`); apostrophes are dropped (`Sa'id` → `said`).
pub fn tokens(name: &str) -> Vec<String> {
    kyc_core::names::tokens(name)
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// A phonetic key for one normalised token, robust to common romanisation
/// variants. Given names in an equivalence class get the class name as key.
///
/// ```
/// use kyc_screening::normalize::phonetic_key;
/// assert_eq!(phonetic_key("mohammed"), phonetic_key("muhammad"));
/// assert_eq!(phonetic_key("mohamed"), phonetic_key("mohamad"));
/// assert_eq!(phonetic_key("khaled"), phonetic_key("halid"));
/// assert_eq!(phonetic_key("khadr"), phonetic_key("hadr"));
/// assert_eq!(phonetic_key("youssef"), phonetic_key("yusuf"));
/// assert_eq!(phonetic_key("abdulrahman"), phonetic_key("abdelrahman"));
/// assert_ne!(phonetic_key("mohammed"), phonetic_key("mahmoud"));
/// ```
pub fn phonetic_key(token: &str) -> String {
    if let Some(class) = name_class(token) {
        return format!("={class}");
    }
    if token.bytes().any(|b| b.is_ascii_digit()) {
        return token.to_owned();
    }
    // 1. fold digraphs and letters with variant romanisations
    let t = token.as_bytes();
    let mut folded: Vec<u8> = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        let c = t[i];
        let next = t.get(i + 1).copied();
        let (out, skip): (&[u8], usize) = match (c, next) {
            (b's', Some(b'c')) if t.get(i + 2) == Some(&b'h') => (b"s", 3),
            (b'k', Some(b'h')) | (b'g', Some(b'h')) if c == b'k' => (b"h", 2),
            (b'g', Some(b'h')) => (b"g", 2),
            (b'p', Some(b'h')) => (b"f", 2),
            (b't', Some(b'h')) => (b"t", 2),
            (b'd', Some(b'h')) => (b"d", 2),
            (b's', Some(b'h')) | (b'c', Some(b'h')) => (b"s", 2),
            (b'z', Some(b'h')) => (b"j", 2),
            (b'd', Some(b'j')) => (b"j", 2),
            (b'd', Some(b'z')) => (b"j", 2),
            (b't', Some(b's')) | (b't', Some(b'z')) => (b"s", 2),
            (b'c', Some(b'k')) => (b"k", 2),
            (b'q', Some(b'u')) => (b"k", 2),
            (b'q', _) | (b'c', _) => (b"k", 1),
            (b'x', _) => (b"ks", 1),
            (b'z', _) => (b"s", 1),
            (b'w', _) => (b"v", 1),
            (b'j', _) => (b"y", 1),
            _ => (&t[i..i + 1], 1),
        };
        folded.extend_from_slice(out);
        i += skip;
    }
    // 2. keep the first letter (vowels as `a`), drop later vowels and an `h`
    //    that is not between a vowel and a consonant, collapse repeats
    let mut key = String::with_capacity(folded.len());
    let mut last: u8 = 0;
    for (i, &c) in folded.iter().enumerate() {
        let out = if i == 0 {
            if is_vowel(c) { b'a' } else { c }
        } else if is_vowel(c) {
            last = 0;
            continue;
        } else if c == b'h' {
            let prev_vowel = folded.get(i - 1).is_some_and(|p| is_vowel(*p));
            let next_consonant = folded.get(i + 1).is_some_and(|n| !is_vowel(*n));
            if !(prev_vowel && next_consonant) {
                continue;
            }
            c
        } else {
            c
        };
        if out != last {
            key.push(char::from(out));
        }
        last = out;
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn classifies_tokens() {
        assert_eq!(token_kind("llc"), TokenKind::Stop);
        assert_eq!(token_kind("sheikh"), TokenKind::Stop);
        assert_eq!(token_kind("al"), TokenKind::Stop);
        assert_eq!(token_kind("j"), TokenKind::Initial);
        assert_eq!(token_kind("1024"), TokenKind::Number);
        assert_eq!(token_kind("putin"), TokenKind::Name);
    }

    #[test]
    fn folds_romanisation_variants() {
        assert_eq!(phonetic_key("husayn"), phonetic_key("hussein"));
        assert_eq!(phonetic_key("qaddafi"), phonetic_key("kadafi"));
        assert_eq!(phonetic_key("aleksandr"), phonetic_key("alexander"));
        assert_eq!(phonetic_key("zawahiri"), phonetic_key("sawahiri"));
        assert_eq!(phonetic_key("shchukin"), phonetic_key("schukin"));
        assert_eq!(phonetic_key("gaddafi"), phonetic_key("gadafi"));
        assert_eq!(tokens("Abdul-Rahman AL-ZAWAHIRI"), vec!["abdul", "rahman", "al", "zawahiri"]);
    }

    proptest! {
        #[test]
        fn phonetic_key_never_panics_and_is_short(s in "[a-z0-9]{0,30}") {
            let k = phonetic_key(&s);
            prop_assert!(k.len() <= s.len() * 2 + 16);
        }

        #[test]
        fn tokens_never_panic(s in "\\PC{0,60}") {
            for t in tokens(&s) {
                prop_assert!(!t.is_empty());
                let _ = token_kind(&t);
            }
        }
    }
}
