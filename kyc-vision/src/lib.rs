//! The KYC SDK's local vision engines, usable alone: no HTTP, no database,
//! no async runtime. Models are compiled into the binary (licences and
//! sha256 in `models/`) and run in pure Rust by `tract`; nothing is fetched
//! at run time and nothing leaves the machine.
//!
//! * [`face`] (feature `face`): detection with five landmarks, head pose and
//!   eye openness, quality, and an identity descriptor whose comparisons are
//!   calibrated to Rekognition's 0–100 similarity scale.
//! * [`ocr`] (feature `ocr`): the text lines of a document photo, with
//!   boxes in the deskewed page frame; `kyc_core::document::fields` reads
//!   fields from them.
//!
//! Every call is synchronous and CPU-bound: run it on a thread of your own
//! (`kyc-server` runs it on its CPU pool). The evidence types are
//! `kyc_core::face` and `kyc_core::document::text`.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use kyc_vision::face::{FaceConfig, FaceModels, ImageKind};
//! let models = FaceModels::load(&FaceConfig::default())?;
//! let (a, b) = (std::fs::read("id.jpg")?, std::fs::read("selfie.jpg")?);
//! let id = models.descriptor(&a, ImageKind::Document)?.ok_or("no face on the document")?;
//! let live = models.descriptor(&b, ImageKind::LiveFrame)?.ok_or("no face in the selfie")?;
//! println!("similarity {:.1}", models.compare(&id, &live).similarity);
//! # Ok(()) }
//! ```

mod error;
#[cfg(feature = "face")]
pub mod face;
#[cfg(feature = "ocr")]
pub mod ocr;
// Each engine uses part of the shared plumbing; with only one of them built
// the other part is unused, not dead.
#[cfg_attr(not(all(feature = "face", feature = "ocr")), allow(dead_code))]
mod onnx;

pub use error::VisionError;
