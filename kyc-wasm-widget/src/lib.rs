//! `<kyc-verify>`: the identity-verification Web Component.
//!
//! The flow (consent → document → liveness → verdict) is one state machine
//! ([`flow`]); texts in eight languages ([`i18n`]); camera choice by
//! capabilities ([`camera`]); attributes ([`config`]). These are pure Rust
//! and tested natively. The browser part (`ui`, leptos and web-sys) exists
//! only in the wasm32 build; `npm/` wraps it as an npm package and a CDN
//! script.

pub mod camera;
pub mod config;
pub mod flow;
pub mod i18n;

#[cfg(target_arch = "wasm32")]
mod ui;
#[cfg(target_arch = "wasm32")]
pub use ui::KycWidget;
#[cfg(target_arch = "wasm32")]
pub mod wire;
