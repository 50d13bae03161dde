//! Name normalisation on arbitrary text.
#![no_main]

use kyc_core::names::{display, match_key, tokens};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let k = match_key(text);
    assert_eq!(match_key(&k), k);
    assert!(k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' '));
    assert_eq!(tokens(text).join(" "), k);
    let d = display(text);
    assert_eq!(display(&d), d);
});
