//! `wenming`: the one binary of the suite.
#![forbid(unsafe_code)]

mod attestation;
mod audit;
mod backup;
mod cli;
mod config;
mod dial;
mod health;
mod tokens;
mod up;

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("wenming: cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // The OTLP exporter's channel lives on this runtime.
    let telemetry = {
        let _entered = runtime.enter();
        wenming_runtime::telemetry::init(args.denial_log().as_deref())
    };
    let telemetry = match telemetry {
        Ok(telemetry) => telemetry,
        Err(err) => {
            eprintln!("wenming: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let result = cli::run(args).await;
        // Flushing blocks: off the async workers.
        let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
        result
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("wenming: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
