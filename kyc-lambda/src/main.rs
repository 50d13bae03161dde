//! `bootstrap` of the KYC Lambda functions (see the crate docs).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let env = |name: &str| std::env::var(name).ok();
    let started = match kyc_lambda::config(env) {
        Ok(config) => {
            init_tracing(config.log.clone());
            kyc_lambda::init(config, env).await
        }
        Err(e) => {
            init_tracing(Default::default());
            Err(e)
        }
    };
    let (handler, state) = match started {
        Ok(s) => s,
        Err(e) => {
            // Lambda reports an init failure with the function's log
            tracing::error!(error = %e, error_code = "lambda_init_failed", "kyc lambda did not start");
            return ExitCode::FAILURE;
        }
    };
    match kyc_lambda::run(handler, state).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, error_code = "lambda_runtime_failed", "kyc lambda stopped");
            ExitCode::FAILURE
        }
    }
}

/// The server's log settings, with this crate's events let through.
fn init_tracing(mut log: kyc_server::config::LogConfig) {
    if !log.filter.contains("kyc_lambda") {
        log.filter.push_str(",kyc_lambda=info");
    }
    kyc_server::telemetry::init_tracing(&log);
}
