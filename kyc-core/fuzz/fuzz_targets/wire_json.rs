//! The JSON request bodies the server reads from untrusted clients.
#![no_main]

use kyc_core::api::v1::{CreateVerificationRequest, SubmitFrameRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = serde_json::from_slice::<CreateVerificationRequest>(data) {
        let _ = req.validate();
        // what parses serialises and parses back to the same request
        let again = serde_json::to_vec(&req).unwrap();
        let back: CreateVerificationRequest = serde_json::from_slice(&again).unwrap();
        assert_eq!(serde_json::to_vec(&back).unwrap(), again);
    }
    if let Ok(frame) = serde_json::from_slice::<SubmitFrameRequest>(data) {
        let again = serde_json::to_vec(&frame).unwrap();
        assert!(serde_json::from_slice::<SubmitFrameRequest>(&again).is_ok());
    }
});
