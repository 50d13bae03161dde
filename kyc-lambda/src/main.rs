//! `bootstrap` of the KYC Lambda functions (see the crate docs).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let env = |name: &str| std::env::var(name).ok();
    let started = match kyc_lambda::config(env) {
        Ok(config) => {
            kyc_server::telemetry::init_tracing(&config.log);
            kyc_lambda::init(config, env).await
        }
        Err(e) => {
            kyc_server::telemetry::init_tracing(&Default::default());
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
