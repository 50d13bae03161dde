use super::*;

#[tokio::test]
async fn memory_backends_conform() {
    let key = kyc_core::audit::ChainKey::from_bytes([3; 32]);
    all_suites(&crate::Backends::memory_with_audit_key(key.clone()), &key).await;
}
