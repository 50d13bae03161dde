#![doc = include_str!("../README.md")]

pub mod country;
pub mod error;
pub mod model;
pub mod parse;

pub use error::{Result, ScreeningError};
pub use model::{Alias, AliasQuality, BirthDate, EntityType, Entry, ListSnapshot, Source};
