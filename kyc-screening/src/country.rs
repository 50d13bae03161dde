//! Country names to ISO 3166-1 alpha-2 codes.
//!
//! Names are the ISO 3166 short and official names plus the spellings the
//! sanctions lists use (`Iran (Islamic Republic of)`, `Korea, Democratic
//! People's Republic of`, `Russia`, `Burma` …). Lookups compare
//! [`kyc_core::names::match_key`] forms.

use std::collections::HashMap;
use std::sync::OnceLock;

/// (code, names) pairs.
const COUNTRIES: &[(&str, &[&str])] = &[
    ("AD", &["Andorra", "Principality of Andorra"]),
    ("AE", &["United Arab Emirates", "UAE"]),
    ("AF", &["Afghanistan", "Islamic Republic of Afghanistan"]),
    ("AG", &["Antigua and Barbuda"]),
    ("AI", &["Anguilla"]),
    ("AL", &["Albania", "Republic of Albania"]),
    ("AM", &["Armenia", "Republic of Armenia"]),
    ("AO", &["Angola", "Republic of Angola"]),
    ("AQ", &["Antarctica"]),
    ("AR", &["Argentina", "Argentine Republic"]),
    ("AS", &["American Samoa"]),
    ("AT", &["Austria", "Republic of Austria"]),
    ("AU", &["Australia"]),
    ("AW", &["Aruba"]),
    ("AX", &["Åland Islands"]),
    ("AZ", &["Azerbaijan", "Republic of Azerbaijan"]),
    (
        "BA",
        &[
            "Bosnia and Herzegovina",
            "Republic of Bosnia and Herzegovina",
            "Bosnia",
            "Bosnia-Herzegovina",
        ],
    ),
    ("BB", &["Barbados"]),
    ("BD", &["Bangladesh", "People's Republic of Bangladesh"]),
    ("BE", &["Belgium", "Kingdom of Belgium"]),
    ("BF", &["Burkina Faso"]),
    ("BG", &["Bulgaria", "Republic of Bulgaria"]),
    ("BH", &["Bahrain", "Kingdom of Bahrain"]),
    ("BI", &["Burundi", "Republic of Burundi"]),
    ("BJ", &["Benin", "Republic of Benin"]),
    ("BL", &["Saint Barthélemy"]),
    ("BM", &["Bermuda"]),
    ("BN", &["Brunei Darussalam", "Brunei"]),
    (
        "BO",
        &[
            "Bolivia, Plurinational State of",
            "Plurinational State of Bolivia",
            "Bolivia",
            "Bolivia (Plurinational State of)",
        ],
    ),
    ("BQ", &["Bonaire, Sint Eustatius and Saba"]),
    ("BR", &["Brazil", "Federative Republic of Brazil"]),
    ("BS", &["Bahamas", "Commonwealth of the Bahamas", "The Bahamas"]),
    ("BT", &["Bhutan", "Kingdom of Bhutan"]),
    ("BV", &["Bouvet Island"]),
    ("BW", &["Botswana", "Republic of Botswana"]),
    ("BY", &["Belarus", "Republic of Belarus"]),
    ("BZ", &["Belize"]),
    ("CA", &["Canada"]),
    ("CC", &["Cocos (Keeling) Islands"]),
    (
        "CD",
        &[
            "Congo, The Democratic Republic of the",
            "Democratic Republic of the Congo",
            "Congo Democratic Republic of (was Zaire)",
            "DRC",
            "Congo Kinshasa",
            "Zaire",
        ],
    ),
    ("CF", &["Central African Republic"]),
    ("CG", &["Congo", "Republic of the Congo", "Congo Brazzaville"]),
    ("CH", &["Switzerland", "Swiss Confederation"]),
    ("CI", &["Côte d'Ivoire", "Republic of Côte d'Ivoire", "Ivory Coast", "Cote d'Ivoire"]),
    ("CK", &["Cook Islands"]),
    ("CL", &["Chile", "Republic of Chile"]),
    ("CM", &["Cameroon", "Republic of Cameroon"]),
    ("CN", &["China", "People's Republic of China", "PRC"]),
    ("CO", &["Colombia", "Republic of Colombia"]),
    ("CR", &["Costa Rica", "Republic of Costa Rica"]),
    ("CU", &["Cuba", "Republic of Cuba"]),
    ("CV", &["Cabo Verde", "Republic of Cabo Verde", "Cape Verde"]),
    ("CW", &["Curaçao"]),
    ("CX", &["Christmas Island"]),
    ("CY", &["Cyprus", "Republic of Cyprus"]),
    ("CZ", &["Czechia", "Czech Republic"]),
    ("DE", &["Germany", "Federal Republic of Germany"]),
    ("DJ", &["Djibouti", "Republic of Djibouti"]),
    ("DK", &["Denmark", "Kingdom of Denmark"]),
    ("DM", &["Dominica", "Commonwealth of Dominica"]),
    ("DO", &["Dominican Republic"]),
    ("DZ", &["Algeria", "People's Democratic Republic of Algeria"]),
    ("EC", &["Ecuador", "Republic of Ecuador"]),
    ("EE", &["Estonia", "Republic of Estonia"]),
    ("EG", &["Egypt", "Arab Republic of Egypt"]),
    ("EH", &["Western Sahara"]),
    ("ER", &["Eritrea", "the State of Eritrea"]),
    ("ES", &["Spain", "Kingdom of Spain"]),
    ("ET", &["Ethiopia", "Federal Democratic Republic of Ethiopia"]),
    ("FI", &["Finland", "Republic of Finland"]),
    ("FJ", &["Fiji", "Republic of Fiji"]),
    ("FK", &["Falkland Islands (Malvinas)"]),
    (
        "FM",
        &[
            "Micronesia, Federated States of",
            "Federated States of Micronesia",
            "Micronesia",
            "Micronesia (Federated States of)",
        ],
    ),
    ("FO", &["Faroe Islands"]),
    ("FR", &["France", "French Republic"]),
    ("GA", &["Gabon", "Gabonese Republic"]),
    (
        "GB",
        &[
            "United Kingdom",
            "United Kingdom of Great Britain and Northern Ireland",
            "UK",
            "Great Britain",
            "England",
            "Scotland",
            "Wales",
        ],
    ),
    ("GD", &["Grenada"]),
    ("GE", &["Georgia"]),
    ("GF", &["French Guiana"]),
    ("GG", &["Guernsey"]),
    ("GH", &["Ghana", "Republic of Ghana"]),
    ("GI", &["Gibraltar"]),
    ("GL", &["Greenland"]),
    ("GM", &["Gambia", "Republic of the Gambia", "The Gambia"]),
    ("GN", &["Guinea", "Republic of Guinea"]),
    ("GP", &["Guadeloupe"]),
    ("GQ", &["Equatorial Guinea", "Republic of Equatorial Guinea"]),
    ("GR", &["Greece", "Hellenic Republic"]),
    ("GS", &["South Georgia and the South Sandwich Islands"]),
    ("GT", &["Guatemala", "Republic of Guatemala"]),
    ("GU", &["Guam"]),
    ("GW", &["Guinea-Bissau", "Republic of Guinea-Bissau"]),
    ("GY", &["Guyana", "Republic of Guyana"]),
    (
        "HK",
        &[
            "Hong Kong",
            "Hong Kong Special Administrative Region of China",
            "Hong Kong SAR",
            "Hong Kong China",
        ],
    ),
    ("HM", &["Heard Island and McDonald Islands"]),
    ("HN", &["Honduras", "Republic of Honduras"]),
    ("HR", &["Croatia", "Republic of Croatia"]),
    ("HT", &["Haiti", "Republic of Haiti"]),
    ("HU", &["Hungary"]),
    ("ID", &["Indonesia", "Republic of Indonesia"]),
    ("IE", &["Ireland"]),
    ("IL", &["Israel", "State of Israel"]),
    ("IM", &["Isle of Man"]),
    ("IN", &["India", "Republic of India"]),
    ("IO", &["British Indian Ocean Territory"]),
    ("IQ", &["Iraq", "Republic of Iraq"]),
    (
        "IR",
        &[
            "Iran, Islamic Republic of",
            "Islamic Republic of Iran",
            "Iran",
            "Iran (Islamic Republic of)",
        ],
    ),
    ("IS", &["Iceland", "Republic of Iceland"]),
    ("IT", &["Italy", "Italian Republic"]),
    ("JE", &["Jersey"]),
    ("JM", &["Jamaica"]),
    ("JO", &["Jordan", "Hashemite Kingdom of Jordan"]),
    ("JP", &["Japan"]),
    ("KE", &["Kenya", "Republic of Kenya"]),
    ("KG", &["Kyrgyzstan", "Kyrgyz Republic"]),
    ("KH", &["Cambodia", "Kingdom of Cambodia"]),
    ("KI", &["Kiribati", "Republic of Kiribati"]),
    ("KM", &["Comoros", "Union of the Comoros"]),
    ("KN", &["Saint Kitts and Nevis", "St Kitts and Nevis"]),
    (
        "KP",
        &[
            "Korea, Democratic People's Republic of",
            "Democratic People's Republic of Korea",
            "North Korea",
            "DPRK",
            "Democratic Peoples Republic of Korea",
            "Korea North",
        ],
    ),
    ("KR", &["Korea, Republic of", "South Korea", "Republic of Korea", "Korea South"]),
    ("KW", &["Kuwait", "State of Kuwait"]),
    ("KY", &["Cayman Islands"]),
    ("KZ", &["Kazakhstan", "Republic of Kazakhstan"]),
    ("LA", &["Lao People's Democratic Republic", "Laos", "Lao"]),
    ("LB", &["Lebanon", "Lebanese Republic"]),
    ("LC", &["Saint Lucia"]),
    ("LI", &["Liechtenstein", "Principality of Liechtenstein"]),
    ("LK", &["Sri Lanka", "Democratic Socialist Republic of Sri Lanka"]),
    ("LR", &["Liberia", "Republic of Liberia"]),
    ("LS", &["Lesotho", "Kingdom of Lesotho"]),
    ("LT", &["Lithuania", "Republic of Lithuania"]),
    ("LU", &["Luxembourg", "Grand Duchy of Luxembourg"]),
    ("LV", &["Latvia", "Republic of Latvia"]),
    ("LY", &["Libya", "Libyan Arab Jamahiriya"]),
    ("MA", &["Morocco", "Kingdom of Morocco"]),
    ("MC", &["Monaco", "Principality of Monaco"]),
    ("MD", &["Moldova, Republic of", "Republic of Moldova", "Moldova"]),
    ("ME", &["Montenegro"]),
    ("MF", &["Saint Martin (French part)"]),
    ("MG", &["Madagascar", "Republic of Madagascar"]),
    ("MH", &["Marshall Islands", "Republic of the Marshall Islands"]),
    (
        "MK",
        &[
            "North Macedonia",
            "Republic of North Macedonia",
            "Macedonia",
            "The former Yugoslav Republic of Macedonia",
        ],
    ),
    ("ML", &["Mali", "Republic of Mali"]),
    ("MM", &["Myanmar", "Republic of Myanmar", "Burma"]),
    ("MN", &["Mongolia"]),
    ("MO", &["Macao", "Macao Special Administrative Region of China", "Macau"]),
    ("MP", &["Northern Mariana Islands", "Commonwealth of the Northern Mariana Islands"]),
    ("MQ", &["Martinique"]),
    ("MR", &["Mauritania", "Islamic Republic of Mauritania"]),
    ("MS", &["Montserrat"]),
    ("MT", &["Malta", "Republic of Malta"]),
    ("MU", &["Mauritius", "Republic of Mauritius"]),
    ("MV", &["Maldives", "Republic of Maldives"]),
    ("MW", &["Malawi", "Republic of Malawi"]),
    ("MX", &["Mexico", "United Mexican States"]),
    ("MY", &["Malaysia"]),
    ("MZ", &["Mozambique", "Republic of Mozambique"]),
    ("NA", &["Namibia", "Republic of Namibia"]),
    ("NC", &["New Caledonia"]),
    ("NE", &["Niger", "Republic of the Niger"]),
    ("NF", &["Norfolk Island"]),
    ("NG", &["Nigeria", "Federal Republic of Nigeria"]),
    ("NI", &["Nicaragua", "Republic of Nicaragua"]),
    ("NL", &["Netherlands", "Kingdom of the Netherlands", "The Netherlands", "Holland"]),
    ("NO", &["Norway", "Kingdom of Norway"]),
    ("NP", &["Nepal", "Federal Democratic Republic of Nepal"]),
    ("NR", &["Nauru", "Republic of Nauru"]),
    ("NU", &["Niue"]),
    ("NZ", &["New Zealand"]),
    ("OM", &["Oman", "Sultanate of Oman"]),
    ("PA", &["Panama", "Republic of Panama"]),
    ("PE", &["Peru", "Republic of Peru"]),
    ("PF", &["French Polynesia"]),
    ("PG", &["Papua New Guinea", "Independent State of Papua New Guinea"]),
    ("PH", &["Philippines", "Republic of the Philippines"]),
    ("PK", &["Pakistan", "Islamic Republic of Pakistan"]),
    ("PL", &["Poland", "Republic of Poland"]),
    ("PM", &["Saint Pierre and Miquelon"]),
    ("PN", &["Pitcairn"]),
    ("PR", &["Puerto Rico"]),
    (
        "PS",
        &[
            "Palestine, State of",
            "the State of Palestine",
            "State of Palestine",
            "Palestinian",
            "West Bank",
            "Gaza",
            "Gaza Strip",
            "Palestinian Territories",
            "Palestinian Territory",
            "Occupied Palestinian Territory",
        ],
    ),
    ("PT", &["Portugal", "Portuguese Republic"]),
    ("PW", &["Palau", "Republic of Palau"]),
    ("PY", &["Paraguay", "Republic of Paraguay"]),
    ("QA", &["Qatar", "State of Qatar"]),
    ("RE", &["Réunion"]),
    ("RO", &["Romania"]),
    ("RS", &["Serbia", "Republic of Serbia", "Serbia and Montenegro", "Yugoslavia"]),
    ("RU", &["Russian Federation", "Russia"]),
    ("RW", &["Rwanda", "Rwandese Republic"]),
    ("SA", &["Saudi Arabia", "Kingdom of Saudi Arabia"]),
    ("SB", &["Solomon Islands"]),
    ("SC", &["Seychelles", "Republic of Seychelles"]),
    ("SD", &["Sudan", "Republic of the Sudan"]),
    ("SE", &["Sweden", "Kingdom of Sweden"]),
    ("SG", &["Singapore", "Republic of Singapore"]),
    ("SH", &["Saint Helena, Ascension and Tristan da Cunha"]),
    ("SI", &["Slovenia", "Republic of Slovenia"]),
    ("SJ", &["Svalbard and Jan Mayen"]),
    ("SK", &["Slovakia", "Slovak Republic"]),
    ("SL", &["Sierra Leone", "Republic of Sierra Leone"]),
    ("SM", &["San Marino", "Republic of San Marino"]),
    ("SN", &["Senegal", "Republic of Senegal"]),
    ("SO", &["Somalia", "Federal Republic of Somalia"]),
    ("SR", &["Suriname", "Republic of Suriname"]),
    ("SS", &["South Sudan", "Republic of South Sudan"]),
    ("ST", &["Sao Tome and Principe", "Democratic Republic of Sao Tome and Principe"]),
    ("SV", &["El Salvador", "Republic of El Salvador"]),
    ("SX", &["Sint Maarten (Dutch part)"]),
    ("SY", &["Syrian Arab Republic", "Syria"]),
    ("SZ", &["Eswatini", "Kingdom of Eswatini", "Swaziland"]),
    ("TC", &["Turks and Caicos Islands"]),
    ("TD", &["Chad", "Republic of Chad"]),
    ("TF", &["French Southern Territories"]),
    ("TG", &["Togo", "Togolese Republic"]),
    ("TH", &["Thailand", "Kingdom of Thailand"]),
    ("TJ", &["Tajikistan", "Republic of Tajikistan"]),
    ("TK", &["Tokelau"]),
    ("TL", &["Timor-Leste", "Democratic Republic of Timor-Leste", "East Timor"]),
    ("TM", &["Turkmenistan"]),
    ("TN", &["Tunisia", "Republic of Tunisia"]),
    ("TO", &["Tonga", "Kingdom of Tonga"]),
    ("TR", &["Türkiye", "Republic of Türkiye", "Turkey", "Turkiye"]),
    ("TT", &["Trinidad and Tobago", "Republic of Trinidad and Tobago"]),
    ("TV", &["Tuvalu"]),
    ("TW", &["Taiwan, Province of China", "Taiwan"]),
    ("TZ", &["Tanzania, United Republic of", "United Republic of Tanzania", "Tanzania"]),
    ("UA", &["Ukraine"]),
    ("UG", &["Uganda", "Republic of Uganda"]),
    ("UM", &["United States Minor Outlying Islands"]),
    ("US", &["United States", "United States of America", "USA"]),
    ("UY", &["Uruguay", "Eastern Republic of Uruguay"]),
    ("UZ", &["Uzbekistan", "Republic of Uzbekistan"]),
    ("VA", &["Holy See (Vatican City State)", "Holy See", "Vatican"]),
    ("VC", &["Saint Vincent and the Grenadines"]),
    (
        "VE",
        &[
            "Venezuela, Bolivarian Republic of",
            "Bolivarian Republic of Venezuela",
            "Venezuela",
            "Venezuela (Bolivarian Republic of)",
        ],
    ),
    ("VG", &["Virgin Islands, British", "British Virgin Islands", "Virgin Islands British"]),
    ("VI", &["Virgin Islands, U.S.", "Virgin Islands of the United States"]),
    ("VN", &["Viet Nam", "Socialist Republic of Viet Nam", "Vietnam"]),
    ("VU", &["Vanuatu", "Republic of Vanuatu"]),
    ("WF", &["Wallis and Futuna"]),
    ("WS", &["Samoa", "Independent State of Samoa"]),
    ("XK", &["Kosovo"]),
    ("YE", &["Yemen", "Republic of Yemen"]),
    ("YT", &["Mayotte"]),
    ("ZA", &["South Africa", "Republic of South Africa"]),
    ("ZM", &["Zambia", "Republic of Zambia"]),
    ("ZW", &["Zimbabwe", "Republic of Zimbabwe"]),
];

fn table() -> &'static HashMap<String, &'static str> {
    static TABLE: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = HashMap::new();
        for (code, names) in COUNTRIES {
            map.insert(code.to_ascii_lowercase(), *code);
            for name in *names {
                map.insert(kyc_core::names::match_key(name), *code);
            }
        }
        map
    })
}

/// The ISO 3166-1 alpha-2 code of a country name or code, if known.
///
/// ```
/// use kyc_screening::country::iso2;
/// assert_eq!(iso2("Iran (Islamic Republic of)"), Some("IR"));
/// assert_eq!(iso2("KOREA, DEMOCRATIC PEOPLE'S REPUBLIC OF"), Some("KP"));
/// assert_eq!(iso2("ru"), Some("RU"));
/// assert_eq!(iso2("Atlantis"), None);
/// ```
pub fn iso2(name: &str) -> Option<&'static str> {
    let key = kyc_core::names::match_key(name);
    if key.is_empty() {
        return None;
    }
    let table = table();
    if let Some(code) = table.get(&key) {
        return Some(code);
    }
    // "Iran (Islamic Republic of)" style: try the part before a parenthesis.
    let head = name.split(['(', ';']).next().unwrap_or(name);
    table.get(&kyc_core::names::match_key(head)).copied()
}

/// The ISO code when derivable, else the trimmed raw value.
pub fn normalise(name: &str) -> String {
    match iso2(name) {
        Some(code) => code.to_owned(),
        None => name.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_list_spellings() {
        assert_eq!(iso2("Russian Federation"), Some("RU"));
        assert_eq!(iso2("CONGO, Democratic Republic of (was Zaire)"), Some("CD"));
        assert_eq!(iso2("United Kingdom of Great Britain and Northern Ireland"), Some("GB"));
        assert_eq!(iso2("Syrian Arab Republic"), Some("SY"));
        assert_eq!(iso2("Democratic People's Republic of Korea"), Some("KP"));
        assert_eq!(iso2(""), None);
        assert_eq!(normalise(" Narnia "), "Narnia");
    }
}
