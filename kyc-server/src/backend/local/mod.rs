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
mod stores;

pub use db::{Database, Durability};
pub use jobs::SqliteJobQueue;
pub use liveness::SqliteLivenessStore;
pub use object_store::LocalObjectStore;
pub use ocr_data::SqliteOcrDataStore;
pub use stores::{SqliteAuditLog, SqliteKeyStore, SqliteVerificationStore};

/// A `kyc-vision` error as the engines' error: unusable input stays a
/// rejection, a failed inference is the engine's failure (retryable).
#[cfg(any(feature = "face-onnx", feature = "ocr-onnx"))]
fn vision_err(e: kyc_vision::VisionError) -> crate::backend::ProviderError {
    use crate::backend::ProviderError;
    match e {
        kyc_vision::VisionError::Rejected(why) => ProviderError::Rejected(why),
        kyc_vision::VisionError::Poisoned => ProviderError::Unavailable,
        e => ProviderError::Backend { provider: "local-onnx", source: Box::new(e) },
    }
}
