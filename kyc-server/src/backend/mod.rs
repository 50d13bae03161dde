//! Backends: the traits, records, in-memory implementations and conformance
//! suites are the `kyc-backend` crate, re-exported here; this module adds
//! the embedded implementations ([`local`], feature `local`) and the
//! screeners ([`screening`]).

pub use kyc_backend::*;

#[cfg(feature = "local")]
pub mod local;
pub mod screening;

#[cfg(test)]
mod conformance;
