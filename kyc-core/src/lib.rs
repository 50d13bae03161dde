#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod api;
pub mod audit;
pub mod challenge;
pub mod decision;
pub mod document;
mod error;
pub mod face;
mod id;
pub mod image;
pub mod names;
mod time;

pub use error::ErrorCode;
pub use id::{InvalidId, VerificationId};
pub use time::{Timestamp, TimestampError};

/// Re-exported so callers name the same date type core uses.
pub use ::time::Date;
