//! HTTP integration tests: `app(state).oneshot(request)`, no sockets, except
//! the `cli` module, which runs the real `kyc` binary, and `listener` and
//! `tls`, which serve the app on a loopback socket.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod harness;

mod auth;
mod authz;
#[cfg(feature = "aws")]
mod aws;
mod cli;
mod demo;
mod disk;
mod limits;
mod listener;
mod liveness;
mod openapi;
mod screening;
mod storage;
#[cfg(feature = "tls")]
mod tls;
mod upload;
mod verifications;
