//! MRZ parsing on arbitrary text, with date resolution.
#![no_main]

use kyc_core::document::mrz;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(m) = mrz::parse(text) {
        let _ = m.validate();
        let today = time::macros::date!(2026 - 11 - 25);
        if let Ok(d) = m.birth_date(today) {
            assert!(d <= today);
        }
        let _ = m.expiry_date(today);
        // parsing is deterministic
        assert_eq!(mrz::parse(text).ok(), Some(m));
    }
});
