#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod api;
pub mod auth;
pub mod backend;
pub mod breaker;
/// The `kyc` command line; it runs on the embedded stores, so it needs `local`.
#[cfg(feature = "local")]
pub mod cli;
pub mod clock;
pub mod config;
pub mod cpu_pool;
pub mod crypto;
pub mod emf;
pub mod error;
#[cfg(any(test, feature = "testing"))]
pub mod fixtures;
pub mod keyring;
pub mod limits;
#[cfg(feature = "local")]
pub mod lists;
pub mod retry;
pub mod server;
pub mod service;
mod state;
pub mod telemetry;
#[cfg(feature = "tls")]
pub mod tls;
pub mod util;

pub use api::app;
pub use config::ServerConfig;
pub use error::ApiError;
#[cfg(feature = "local")]
pub use state::LocalBackends;
pub use state::{
    AppState, Backends, StartupError, load_keyring, load_master_key, prepare_data_dir,
};
