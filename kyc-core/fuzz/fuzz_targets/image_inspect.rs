//! Image header inspection and metadata stripping on arbitrary bytes.
#![no_main]

use kyc_core::image::{UploadPolicy, check, inspect, sniff_format, strip_metadata};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let info = inspect(data);
    let _ = check(data, &UploadPolicy::default());
    if let Ok(s) = strip_metadata(data) {
        // stripping keeps the format and dimensions, and is idempotent
        let again = strip_metadata(&s.bytes).expect("stripped output must stay valid");
        assert_eq!(again.bytes, s.bytes);
        assert_eq!(again.removed, 0);
        assert_eq!(inspect(&s.bytes).ok(), info.ok());
        assert_eq!(sniff_format(&s.bytes), sniff_format(data));
    }
});
