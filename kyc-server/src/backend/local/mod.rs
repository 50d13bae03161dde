//! Embedded backends: an encrypted filesystem object store and SQLite stores.
//! One machine, no network, no cloud.

mod db;
#[cfg(feature = "face-onnx")]
pub mod face;
mod jobs;
mod liveness;
mod object_store;
#[cfg(feature = "ocr-onnx")]
pub mod ocr;
pub mod ocr_data;
#[cfg(any(feature = "face-onnx", feature = "ocr-onnx"))]
pub(crate) mod onnx;
mod stores;

pub use db::{Database, Durability};
pub use jobs::SqliteJobQueue;
pub use liveness::SqliteLivenessStore;
pub use object_store::LocalObjectStore;
pub use ocr_data::SqliteOcrDataStore;
pub use stores::{SqliteAuditLog, SqliteKeyStore, SqliteVerificationStore};
