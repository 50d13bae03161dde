#![doc = include_str!("../README.md")]

mod atomic;
pub mod country;
pub mod error;
pub mod import;
pub mod index;
pub mod model;
pub mod normalize;
pub mod parse;
pub mod score;
mod sim;
pub mod snapshot;
mod subjects;

pub use error::{Result, ScreeningError};
pub use import::import_dir;
pub use index::{Index, IndexInfo, ListInfo};
pub use model::{Alias, AliasQuality, BirthDate, EntityType, Entry, ListSnapshot, Source};
pub use score::{
    Components, CountryAgreement, DobAgreement, ListedRef, Match, Policy, Query, ScreeningResult,
    Status,
};
pub use snapshot::{decode_snapshot, read_snapshot, shipped_snapshot, write_snapshot};
