//! The external load generator: h2load (nghttp2), a process of its own, as a platform
//! would load the suite from outside. It sends one gRPC request (a framed message in a
//! file) over and over on N connections with M streams each for a fixed time, and logs
//! every request's latency, from which the percentiles are taken. It counts HTTP
//! statuses only, so each request is first sent once by our own client and its gRPC
//! status checked.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::measured::Measured;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// h2load, installed from the system's packages (nghttp2-client) when missing.
pub fn ensure_installed() -> Result<PathBuf, Error> {
    let found = |_: ()| {
        Command::new("which")
            .arg("h2load")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    };
    if let Some(path) = found(()) {
        return Ok(path);
    }
    println!("installing h2load (apt-get install nghttp2-client)");
    let installed = Command::new("apt-get")
        .args(["install", "-y", "-qq", "nghttp2-client"])
        .status()?;
    if !installed.success() {
        return Err("h2load is missing and apt-get could not install nghttp2-client".into());
    }
    found(()).ok_or_else(|| "h2load still not found after installing nghttp2-client".into())
}

/// One gRPC call, as h2load sends it.
pub struct Call<'a> {
    /// `host:port`.
    pub addr: String,
    /// `/package.Service/Method`.
    pub path: &'a str,
    /// The encoded request message (framed here).
    pub message: Vec<u8>,
    /// `authorization`, if any.
    pub bearer: Option<String>,
}

/// Runs h2load on `call` with `in_flight` streams over `connections` connections (one
/// thread) for `duration`.
pub fn run(
    h2load: &Path,
    call: &Call<'_>,
    in_flight: usize,
    connections: usize,
    duration: Duration,
) -> Result<Measured, Error> {
    let dir = tempfile::tempdir()?;
    let body = dir.path().join("request.bin");
    let mut framed = vec![0u8];
    framed.extend_from_slice(&u32::try_from(call.message.len())?.to_be_bytes());
    framed.extend_from_slice(&call.message);
    std::fs::write(&body, framed)?;
    let log = dir.path().join("latencies.tsv");
    let mut command = Command::new(h2load);
    command
        .arg(format!("http://{}{}", call.addr, call.path))
        .args(["-t", "1"])
        .args(["-c", &connections.to_string()])
        .args(["-m", &(in_flight / connections).max(1).to_string()])
        .args(["-D", &format!("{}ms", duration.as_millis().max(1))])
        .args(["-H", "content-type: application/grpc"])
        .args(["-H", "te: trailers"])
        .arg("-d")
        .arg(&body)
        .arg("--log-file")
        .arg(&log);
    if let Some(bearer) = &call.bearer {
        command.args(["-H", &format!("authorization: {bearer}")]);
    }
    let out = command.output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "h2load failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    // "finished in 3.00s, 41234.50 req/s, …"
    let requests_per_second = stdout
        .lines()
        .find_map(|line| line.strip_prefix("finished in "))
        .and_then(|rest| rest.split(", ").nth(1))
        .and_then(|rps| rps.trim_end_matches(" req/s").parse::<f64>().ok())
        .ok_or_else(|| format!("no throughput in h2load's output: {stdout}"))?;
    let errored = stdout
        .lines()
        .find(|line| line.starts_with("requests:"))
        .unwrap_or_default()
        .to_owned();
    // start (µs since the epoch), HTTP status, duration (µs).
    let mut latencies: Vec<u64> = std::fs::read_to_string(&log)?
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let status = fields.nth(1)?;
            (status == "200")
                .then(|| fields.next()?.parse().ok())
                .flatten()
        })
        .collect();
    if latencies.is_empty() {
        return Err(format!("h2load logged no successful request ({errored})").into());
    }
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    Ok(Measured {
        calls: latencies.len() as u64,
        requests_per_second,
        p50_us: at(0.5),
        p99_us: at(0.99),
    })
}
