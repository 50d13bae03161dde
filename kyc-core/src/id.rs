//! Identifiers.

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};
use uuid::Uuid;

/// The id of one verification: a random (version 4) UUID.
///
/// Generated from an injected cryptographic RNG, so core stays free of global randomness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VerificationId(Uuid);

impl VerificationId {
    /// A fresh random id.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }

    /// The underlying UUID.
    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }

    /// Wraps an existing UUID (e.g. read back from storage).
    pub const fn from_uuid(u: Uuid) -> Self {
        Self(u)
    }
}

impl fmt::Display for VerificationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // always the lowercase hyphenated form: it is also used in object keys
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

/// A string is not a verification id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a verification id")]
pub struct InvalidId;

impl FromStr for VerificationId {
    type Err = InvalidId;

    /// Accepts only the canonical hyphenated form (36 characters), any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 36 {
            return Err(InvalidId);
        }
        Uuid::parse_str(s).map(Self).map_err(|_| InvalidId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn generates_v4_and_round_trips() {
        let mut rng = StdRng::seed_from_u64(7);
        let id = VerificationId::generate(&mut rng);
        assert_eq!(id.as_uuid().get_version_num(), 4);
        let s = id.to_string();
        assert_eq!(s.len(), 36);
        assert_eq!(s.parse::<VerificationId>().unwrap(), id);
        assert_ne!(VerificationId::generate(&mut rng), id);
    }

    #[test]
    fn rejects_non_canonical_forms() {
        assert!("not-a-uuid".parse::<VerificationId>().is_err());
        assert!("67e5504410b1426f9247bb680e5fe0c8".parse::<VerificationId>().is_err());
        assert!("../../etc/passwd".parse::<VerificationId>().is_err());
    }
}
