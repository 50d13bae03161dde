//! Small helpers with no better home.

pub use kyc_backend::util::join_all;

/// An HTTP client builder on rustls with the ring crypto provider (installed
/// process-wide on first use). Every outbound client starts here.
#[cfg(feature = "http-client")]
pub fn http_client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}
