//! Screeners: the trait and its types are `kyc_backend::screening`
//! (re-exported here); the implementations are [`EmbeddedScreener`] (the
//! `kyc-screening` engine over the official lists, in process) and, with
//! feature `http-client`, [`http::HttpScreener`] (a third-party screening
//! API, ComplyAdvantage-style).

mod embedded;
#[cfg(feature = "http-client")]
pub mod http;

pub use embedded::{EmbeddedScreener, index_version};
pub use kyc_backend::screening::*;

/// The screener `config` asks for: the embedded engine over
/// `{data_dir}/lists/index.bin` (or the shipped snapshot), or the provider
/// with the API key from `api_key_env` or its key file.
pub fn from_config(
    config: &crate::ServerConfig,
    api_key_env: Option<&str>,
) -> Result<std::sync::Arc<dyn Screener>, crate::StartupError> {
    use crate::{StartupError, config::ScreenerKind};
    match config.screening.provider {
        ScreenerKind::Embedded => {
            let s = EmbeddedScreener::open(
                &config.lists_index_path(),
                config.screening.engine_policy(),
            )
            .map_err(|e| StartupError::Screening(e.to_string()))?;
            Ok(std::sync::Arc::new(s))
        }
        #[cfg(feature = "http-client")]
        ScreenerKind::Http => {
            let http = &config.screening.http;
            let key = match api_key_env.filter(|k| !k.trim().is_empty()) {
                Some(k) => k.to_owned(),
                None => match &http.api_key_file {
                    Some(f) => std::fs::read_to_string(f)
                        .map_err(|e| {
                            StartupError::Screening(format!("api_key_file {}: {e}", f.display()))
                        })?
                        .trim()
                        .to_owned(),
                    None => {
                        return Err(StartupError::Screening(format!(
                            "provider = \"http\" needs {} or screening.http.api_key_file",
                            crate::config::EnvVars::SCREENING_API_KEY
                        )));
                    }
                },
            };
            let loopback = config.screening.danger_allow_plain_http_loopback;
            let s = http::HttpScreener::new(http.clone(), key, loopback)
                .map_err(StartupError::Screening)?;
            Ok(std::sync::Arc::new(s))
        }
        #[cfg(not(feature = "http-client"))]
        ScreenerKind::Http => {
            let _ = api_key_env;
            Err(StartupError::Screening("provider = \"http\" needs the http-client feature".into()))
        }
    }
}
