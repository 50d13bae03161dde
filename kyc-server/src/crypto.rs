//! Envelope encryption (`kyc_backend::crypto`, re-exported) and the keys the
//! server derives from its keyring.

pub use kyc_backend::crypto::*;

/// The key the audit chain is computed under, derived from the keyring's
/// root (someone who can write the database but not read the master key
/// cannot re-hash the chain after changing it).
pub fn audit_chain_key(keys: &crate::keyring::Keyring) -> kyc_core::audit::ChainKey {
    kyc_core::audit::ChainKey::from_bytes(keys.derive(b"audit-chain-v1"))
}
