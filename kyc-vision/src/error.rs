//! The error every engine call answers with.

/// Why an image could not be analysed or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VisionError {
    /// The input is unusable: not a JPEG/PNG, too many pixels, undecodable,
    /// or a face whose landmarks make no geometric sense.
    #[error("rejected: {0}")]
    Rejected(&'static str),
    /// The model failed to run (tract's error).
    #[error("inference failed")]
    Inference(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A lock around a plan cache was poisoned by a panic in another thread.
    #[error("model plan cache unavailable")]
    Poisoned,
}
