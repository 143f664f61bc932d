//! `wenming`: the one binary of the suite.
#![forbid(unsafe_code)]

mod cli;
mod config;
mod demo;
mod import;
mod tokens;
mod up;

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    if let Err(err) = wenming_runtime::telemetry::init(args.denial_log().as_deref()) {
        eprintln!("wenming: cannot open the denial log: {err}");
        return std::process::ExitCode::FAILURE;
    }
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
    match runtime.block_on(cli::run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("wenming: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
