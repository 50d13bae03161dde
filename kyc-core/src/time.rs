//! Timestamps passed into core logic. Core never reads a clock: callers pass `now`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// A point in time as milliseconds since the Unix epoch (UTC).
///
/// On the wire it is an RFC 3339 string with millisecond precision,
/// e.g. `"2026-11-25T10:00:00.000Z"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From milliseconds since the Unix epoch.
    pub const fn from_unix_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// From whole seconds since the Unix epoch.
    pub const fn from_unix_secs(s: i64) -> Self {
        Self(s.saturating_mul(1000))
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the Unix epoch (rounded down).
    pub const fn unix_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// This timestamp plus a number of milliseconds (saturating).
    pub const fn add_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// This timestamp plus a number of seconds (saturating).
    pub const fn add_secs(self, s: i64) -> Self {
        self.add_millis(s.saturating_mul(1000))
    }

    /// Milliseconds from `earlier` to `self` (negative if `earlier` is later).
    pub const fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The UTC calendar date of this timestamp.
    pub fn date(self) -> time::Date {
        self.to_offset_datetime().date()
    }

    fn to_offset_datetime(self) -> OffsetDateTime {
        let nanos = i128::from(self.0) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(if self.0 < 0 {
            OffsetDateTime::UNIX_EPOCH
        } else {
            // beyond year 9999: clamp to the largest representable instant
            time::PrimitiveDateTime::MAX.assume_utc()
        })
    }

    /// RFC 3339 with millisecond precision and a `Z` suffix.
    pub fn to_rfc3339(self) -> String {
        let dt = self.to_offset_datetime();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.millisecond()
        )
    }

    /// Parses an RFC 3339 timestamp (any offset; sub-millisecond digits are truncated).
    pub fn parse_rfc3339(s: &str) -> Result<Self, TimestampError> {
        let dt = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| TimestampError)?;
        let ms = dt.unix_timestamp_nanos().div_euclid(1_000_000);
        i64::try_from(ms).map(Self).map_err(|_| TimestampError)
    }
}

/// A string was not an RFC 3339 timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 timestamp")]
pub struct TimestampError;

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_with_millis_and_z() {
        let t = Timestamp::from_unix_millis(1_764_064_800_123);
        assert_eq!(t.to_rfc3339(), "2025-11-25T10:00:00.123Z");
        assert_eq!(Timestamp::parse_rfc3339("2025-11-25T11:00:00.123+01:00").unwrap(), t);
    }

    #[test]
    fn rejects_garbage() {
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
        assert!(serde_json::from_str::<Timestamp>("\"2025-13-01T00:00:00Z\"").is_err());
    }

    proptest! {
        #[test]
        fn rfc3339_round_trips(ms in -62_135_596_800_000i64..253_402_300_799_999i64) {
            let t = Timestamp::from_unix_millis(ms);
            prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()).unwrap(), t);
        }
    }
}
