//! `wenming-bench`: every number is a ratio against a baseline measured in the same run,
//! because these machines are noisy. Method and results: BENCHMARKS.md.
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout)]

mod cpu;
mod fixtures;
mod h2load;
mod import;
mod load;
mod measured;
mod memory;
mod processes;
mod quota;
mod rollup;
mod writes;

use std::path::PathBuf;

use clap::Parser;

/// Benchmarks with in-run baselines.
#[derive(Debug, Parser)]
#[command(name = "wenming-bench")]
enum Bench {
    /// Bulk import through ImportUnits vs `sqlite3 .import` and `psql \copy` of the same
    /// rows into the same table. PostgreSQL runs when WENMING_TEST_DATABASE_URL is set.
    Import {
        /// Rows per run.
        #[arg(long, default_value_t = 100_000)]
        rows: u32,
        /// Runs per side; the median is reported.
        #[arg(long, default_value_t = 3)]
        rounds: u32,
    },
    /// VerifyTitle straight to the registry and through the gateway vs a bare tonic
    /// server's health check, interleaved in short rounds.
    Verify {
        /// Seconds per target and in-flight level, split over the rounds.
        #[arg(long, default_value_t = 6)]
        seconds: u64,
        /// Rounds per in-flight level: each measures echo, direct and gateway in turn for
        /// seconds/rounds, so a machine that speeds up or slows down affects all three.
        #[arg(long, default_value_t = 12)]
        rounds: u32,
        /// Requests in flight, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "10,32")]
        in_flight: Vec<usize>,
        /// The wenming binary, for the rows with the gateway and the registry as
        /// separate processes (left out when it is missing).
        #[arg(long, default_value = "target/release/wenming")]
        wenming: PathBuf,
        /// Worker threads of each of those processes (TOKIO_WORKER_THREADS); default:
        /// one per core, as they run in production.
        #[arg(long)]
        serve_workers: Option<usize>,
    },
    /// CPU time per VerifyTitle of `wenming up` under h2load, for each binary given (the
    /// first is the one the others are compared with), loaded in turn in each round.
    Cpu {
        /// A wenming binary; repeat to compare builds.
        #[arg(long = "wenming", default_value = "target/release/wenming")]
        wenmings: Vec<PathBuf>,
        /// Seconds of load per binary and round.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Rounds; medians are reported.
        #[arg(long, default_value_t = 3)]
        rounds: u32,
        /// Requests in flight.
        #[arg(long, default_value_t = 32)]
        in_flight: usize,
    },
    /// Designations under contention (many callers, one holder, one quota row) through
    /// the quota service vs single-row inserts into the same table by as many callers.
    Quota {
        /// Callers at once.
        #[arg(long, default_value_t = 50)]
        callers: usize,
        /// Calls per caller.
        #[arg(long, default_value_t = 20)]
        per_caller: usize,
        /// Runs per side; the median is reported.
        #[arg(long, default_value_t = 3)]
        rounds: u32,
    },
    /// The province's progress report over many units through the supervision service
    /// (real registry and pairing behind it) vs a grouped count(*) of the units table.
    Rollup {
        /// Units loaded.
        #[arg(long, default_value_t = 1_000_000)]
        units: u32,
        /// County-level regions they are spread over (Henan has 180).
        #[arg(long, default_value_t = 180)]
        regions: usize,
        /// Calls per side.
        #[arg(long, default_value_t = 30)]
        calls: u32,
    },
    /// CreateUnit through the gateway on PostgreSQL by N clients vs pgbench's single-row
    /// INSERTs by as many clients into the same database (needs
    /// WENMING_TEST_DATABASE_URL and pgbench).
    Writes {
        /// Clients on each side.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Seconds per side and round.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Rounds, interleaved.
        #[arg(long, default_value_t = 3)]
        rounds: u32,
    },
    /// Resident memory of `wenming up`, idle and after a burst of calls.
    Memory {
        /// The wenming binary (build it with --release first).
        #[arg(long, default_value = "target/release/wenming")]
        wenming: PathBuf,
    },
}

type BenchResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> BenchResult {
    match Bench::parse() {
        Bench::Import { rows, rounds } => import::run(rows, rounds).await,
        Bench::Verify {
            seconds,
            rounds,
            in_flight,
            wenming,
            serve_workers,
        } => load::run(seconds, rounds, &in_flight, Some(&wenming), serve_workers).await,
        Bench::Cpu {
            wenmings,
            seconds,
            rounds,
            in_flight,
        } => cpu::run(&wenmings, seconds, rounds, in_flight).await,
        Bench::Quota {
            callers,
            per_caller,
            rounds,
        } => quota::run(callers, per_caller, rounds).await,
        Bench::Rollup {
            units,
            regions,
            calls,
        } => rollup::run(units, regions, calls).await,
        Bench::Writes {
            clients,
            seconds,
            rounds,
        } => writes::run(clients, seconds, rounds).await,
        Bench::Memory { wenming } => memory::run(&wenming).await,
    }
}
