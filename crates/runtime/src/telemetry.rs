//! Logging setup. `RUST_LOG` filters (default `info`); `WENMING_LOG_FORMAT=json` switches
//! to one JSON object per line for log shippers. Refused calls (the `wenming::denial`
//! target) can also be kept, as JSON lines, in an append-only file: the audit trail of
//! who tried what, on what, when.

use std::path::Path;
use std::sync::Mutex;

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _, fmt};

/// Target of the events that record a refused call.
pub const DENIAL_TARGET: &str = "wenming::denial";

/// Installs the global subscriber once; later calls do nothing. With `denial_log`, every
/// refusal is also appended to that file, whatever `RUST_LOG` says.
pub fn init(denial_log: Option<&Path>) -> std::io::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("WENMING_LOG_FORMAT").is_ok_and(|v| v == "json");
    let stderr = if json {
        fmt::layer().json().with_writer(std::io::stderr).boxed()
    } else {
        fmt::layer().with_writer(std::io::stderr).boxed()
    };
    let denials = match denial_log {
        Some(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            Some(
                fmt::layer()
                    .json()
                    .with_writer(Mutex::new(file))
                    .with_filter(Targets::new().with_target(DENIAL_TARGET, Level::WARN)),
            )
        }
        None => None,
    };
    let _ = tracing_subscriber::registry()
        .with(stderr.with_filter(filter))
        .with(denials)
        .try_init();
    Ok(())
}
