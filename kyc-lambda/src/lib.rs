//! The AWS Lambda entry points of the KYC server: one `bootstrap` binary,
//! the function it serves chosen by `KYC_LAMBDA_HANDLER`.
//!
//! | `KYC_LAMBDA_HANDLER` | function in deploy/template.yaml (the workstreams' name) | event |
//! |---|---|---|
//! | `api` | `ApiFunction`, `kyc-{env}-api` (`IDUploadLambda` and `LivenessOrchestratorLambda`: routes of one router) | API Gateway proxy (REST or HTTP API) into the same axum router as `kyc serve` |
//! | `ocr` | `OcrFunction`, `kyc-{env}-ocr` (`OCRExtractionLambda`) | S3 `ObjectCreated` on `kyc-id-uploads/`, directly or through SQS (the template: through the `kyc-{env}-uploads` queue) |
//! | `screening` | `ScreeningFunction`, `kyc-{env}-screening` (`SanctionsScreeningLambda`) | DynamoDB Streams of `KycOcrData` |
//! | `jobs` | `JobsFunction`, `kyc-{env}-jobs` | a schedule: runs due jobs (retries, face match) and the retention sweep |
//!
//! The durable record of work is the job queue (the outbox the API writes
//! with each record): the event functions are its fast path, running the
//! same idempotent step a job would, and the sweeper runs whatever an event
//! did not (a lost event, a retry after backoff), so an event delivered
//! twice, late or never still leaves each step done once.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod events;
pub mod http;

use kyc_server::{AppState, ServerConfig, StartupError, config::Overrides};
use std::{fmt, str::FromStr};

/// Which function this process serves (`KYC_LAMBDA_HANDLER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// The HTTP API.
    Api,
    /// Document reading on upload events.
    Ocr,
    /// Screening on reading records.
    Screening,
    /// The scheduled job sweeper.
    Jobs,
}

impl Handler {
    /// The variable that names the handler.
    pub const ENV: &'static str = "KYC_LAMBDA_HANDLER";
    const ALL: [(&'static str, Self); 4] = [
        ("api", Self::Api),
        ("ocr", Self::Ocr),
        ("screening", Self::Screening),
        ("jobs", Self::Jobs),
    ];

    /// The handler's name, as `KYC_LAMBDA_HANDLER` spells it.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, h)| *h == self).map_or("api", |(n, _)| n)
    }
}

impl fmt::Display for Handler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `KYC_LAMBDA_HANDLER` that names no handler.
#[derive(Debug, thiserror::Error)]
#[error("KYC_LAMBDA_HANDLER={0:?}: use api, ocr, screening or jobs")]
pub struct UnknownHandler(String);

impl FromStr for Handler {
    type Err = UnknownHandler;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Self::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, h)| *h)
            .ok_or_else(|| UnknownHandler(s.to_owned()))
    }
}

/// Why a function could not start.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// No or an unknown handler.
    #[error(transparent)]
    Handler(#[from] UnknownHandler),
    /// The configuration or a backend.
    #[error(transparent)]
    Startup(#[from] StartupError),
}

/// The largest document upload a function behind API Gateway takes: a
/// synchronous invocation carries at most 6 MB, and API Gateway hands a
/// binary body over base64-encoded (4 bytes for 3) inside the event, so
/// 4 MiB (5.6 MB encoded) leaves room for the rest of the event. A larger
/// body would be refused by Lambda before the function sees it, with no
/// typed error; capped here, the client gets `payload_too_large`.
pub const MAX_UPLOAD_BYTES: u64 = 4 * 1024 * 1024;

/// The server's configuration, read as `kyc serve` reads it
/// (`KYC_CONFIG`, `KYC_*`, the standard AWS environment; `env` looks
/// variables up), so one configuration serves the server and every function.
/// Unlike `kyc serve`, a function writes the CloudWatch metrics (`[log] emf`)
/// unless `KYC_LOG_EMF` says otherwise: Lambda's stdout is CloudWatch Logs;
/// and uploads are capped at [`MAX_UPLOAD_BYTES`].
pub fn config(env: impl Fn(&str) -> Option<String>) -> Result<ServerConfig, InitError> {
    let emf_set = env(kyc_server::config::EnvVars::LOG_EMF).is_some();
    let mut config = ServerConfig::load(&Overrides::default(), env).map_err(StartupError::from)?;
    if !emf_set {
        config.log.emf = true;
    }
    if config.upload.max_bytes > MAX_UPLOAD_BYTES {
        tracing::info!(
            configured = config.upload.max_bytes,
            cap = MAX_UPLOAD_BYTES,
            "upload.max_bytes capped to what a Lambda invocation carries"
        );
        config.upload.max_bytes = MAX_UPLOAD_BYTES;
    }
    Ok(config)
}

/// The handler (`KYC_LAMBDA_HANDLER`, default `api`) and the state of a
/// function over the backends `config` names.
pub async fn init(
    config: ServerConfig,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(Handler, AppState), InitError> {
    let handler: Handler = env(Handler::ENV).unwrap_or_else(|| "api".to_owned()).parse()?;
    let (state, _local) = AppState::for_config(config, &env).await?;
    Ok((handler, state))
}

/// Serves `handler` on the Lambda Runtime API until the environment is shut
/// down.
pub async fn run(handler: Handler, state: AppState) -> Result<(), lambda_http::Error> {
    use lambda_http::{LambdaEvent, service_fn};
    tracing::info!(handler = %handler, "kyc lambda started");
    match handler {
        Handler::Api => http::run(state).await,
        Handler::Ocr => {
            lambda_http::lambda_runtime::run(service_fn(|e: LambdaEvent<serde_json::Value>| {
                let state = state.clone();
                async move { events::ocr(&state, e.payload).await }
            }))
            .await
        }
        Handler::Screening => lambda_http::lambda_runtime::run(service_fn(
            |e: LambdaEvent<aws_lambda_events::event::dynamodb::Event>| {
                let state = state.clone();
                async move { Ok::<_, lambda_http::Error>(events::screen(&state, e.payload).await) }
            },
        ))
        .await,
        Handler::Jobs => {
            lambda_http::lambda_runtime::run(service_fn(|e: LambdaEvent<serde_json::Value>| {
                let state = state.clone();
                async move { events::sweep(&state, e.context.deadline()).await }
            }))
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handlers_by_name() {
        for (name, h) in Handler::ALL {
            assert_eq!(name.parse::<Handler>().unwrap(), h);
            assert_eq!(h.to_string(), name);
        }
        let e = "worker".parse::<Handler>().unwrap_err().to_string();
        assert!(e.contains("KYC_LAMBDA_HANDLER") && e.contains("use api, ocr"), "{e}");
    }

    #[test]
    fn functions_write_cloudwatch_metrics_unless_told_not_to() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        assert!(config(env(&[])).unwrap().log.emf);
        assert!(!config(env(&[("KYC_LOG_EMF", "false")])).unwrap().log.emf);
        let e = config(env(&[("KYC_LOG_EMF_NAMESPACE", "AWS/Lambda")])).unwrap_err().to_string();
        assert!(e.contains("log.emf_namespace"), "{e}");
    }

    #[test]
    fn uploads_fit_in_one_invocation() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        // the server's 10 MiB default would be refused by Lambda, untyped
        assert_eq!(config(env(&[])).unwrap().upload.max_bytes, MAX_UPLOAD_BYTES);
        let asked = config(env(&[("KYC_MAX_UPLOAD_BYTES", "20000000")])).unwrap();
        assert_eq!(asked.upload.max_bytes, MAX_UPLOAD_BYTES);
        let smaller = config(env(&[("KYC_MAX_UPLOAD_BYTES", "1000000")])).unwrap();
        assert_eq!(smaller.upload.max_bytes, 1_000_000);
        // base64 of the cap plus a generous event envelope stays under 6 MB
        assert!(MAX_UPLOAD_BYTES.div_ceil(3) * 4 + 256 * 1024 < 6 * 1024 * 1024);
    }
}
