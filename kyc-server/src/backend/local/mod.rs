//! Embedded backends: an encrypted filesystem object store and SQLite stores.
//! One machine, no network, no cloud.

mod db;
mod object_store;
mod stores;

pub use db::{Database, Durability};
pub use object_store::LocalObjectStore;
pub use stores::{SqliteAuditLog, SqliteKeyStore, SqliteVerificationStore};
