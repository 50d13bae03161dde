//! The `kyc` command: `kyc serve`, `kyc keys …`, `kyc audit verify`.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = kyc_server::cli::Cli::parse();
    kyc_server::cli::run(cli)
}
