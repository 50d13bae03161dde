//! The error every engine backend (face, document, screening) answers with.

/// Why an engine (face engine, document reader, screener) could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The input was unusable (not an image, no face where one is required, not a document).
    #[error("rejected: {0}")]
    Rejected(&'static str),
    /// The engine did not answer in time.
    #[error("timed out")]
    Timeout,
    /// The engine is unavailable (circuit open, quota, outage).
    #[error("unavailable")]
    Unavailable,
    /// The engine cannot do this.
    #[error("not supported")]
    NotSupported,
    /// Anything else from the provider.
    #[error("{provider} failed")]
    Backend {
        /// Which engine.
        provider: &'static str,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl ProviderError {
    /// Whether a retry may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Timeout | Self::Unavailable | Self::Backend { .. })
    }
}
