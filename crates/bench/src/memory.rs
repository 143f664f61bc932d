//! Resident memory of `wenming up` (all services, one process): right after `ready`,
//! at its peak while importing 100,000 units, and at its peak while serving VerifyTitle
//! with 32 calls in flight for a few seconds (rate limits raised for the run).

use std::path::Path;

use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;

use crate::BenchResult;
use crate::fixtures::{COUNTY, credit_code, unit};

/// A `/proc/PID/status` figure in KiB: `VmRSS` (resident now) or `VmHWM` (the peak).
fn status_kib(pid: u32, field: &str) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| {
            rest.trim_start_matches(':')
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        })
        .ok_or_else(|| format!("no {field}").into())
}

fn resident_kib(pid: u32) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    status_kib(pid, "VmRSS")
}

/// The peak resident size so far, then reset to the current one (so that the next
/// phase's peak is its own).
fn peak_kib(pid: u32) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    let peak = status_kib(pid, "VmHWM")?;
    // Writing 5 to clear_refs resets VmHWM (Linux 4.0+).
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    Ok(peak)
}

pub async fn run(wenming: &Path) -> BenchResult {
    // One platform makes every call of the load phase: rate limits raised.
    let up = crate::processes::Processes::up(wenming)?;
    let (pid, addr) = (up.pid(), up.gateway.clone());
    let idle = resident_kib(pid)?;
    let _ = peak_kib(pid)?;

    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let mut county = RegistryServiceClient::with_interceptor(
        channel.clone(),
        crate::load::authorization(&up.bearer("county", Some(COUNTY), None))?,
    );
    // 100,000 units, 500 rows a message, as `wenming import` sends them.
    let rows: Vec<pb::ImportRow> = (0..100_000)
        .map(|n| pb::ImportRow {
            row_number: u64::from(n),
            unit: Some(unit(n)),
        })
        .collect();
    county = county.max_decoding_message_size(64 * 1024 * 1024);
    county
        .import_units(tokio_stream::iter(
            rows.chunks(500)
                .map(|c| pb::ImportUnitsRequest { rows: c.to_vec() })
                .collect::<Vec<_>>(),
        ))
        .await?;
    let import_peak = peak_kib(pid)?;
    drop(rows);

    // 32 calls in flight over 4 connections for 5 s.
    let mut channels = Vec::new();
    for _ in 0..4 {
        channels.push(
            tonic::transport::Channel::from_shared(format!("http://{addr}"))?
                .connect()
                .await?,
        );
    }
    let platform = crate::load::authorization(&up.bearer("platform", None, Some("bench")))?;
    let served = crate::load::measure(&channels, 32, std::time::Duration::from_secs(5), {
        move |channel, i| {
            let auth = platform.clone();
            async move {
                RegistryServiceClient::with_interceptor(channel, auth)
                    .verify_title(pb::VerifyTitleRequest {
                        credit_code: credit_code(u32::try_from(i % 100_000).unwrap_or(0)),
                        as_of: String::new(),
                        attest: false,
                    })
                    .await
                    .map(|_| ())
            }
        }
    })
    .await?;
    let load_peak = peak_kib(pid)?;
    let after = resident_kib(pid)?;
    drop(up);
    println!(
        "wenming up resident memory (goal: 60 MiB idle, 200 MiB under load):\n  \
         idle after ready                          {:>7.1} MiB\n  \
         peak while importing 100,000 units         {:>7.1} MiB\n  \
         peak while serving 32 calls in flight       {:>7.1} MiB ({:.0} VerifyTitle/s)\n  \
         after both                                {:>7.1} MiB",
        idle as f64 / 1024.0,
        import_peak as f64 / 1024.0,
        load_peak as f64 / 1024.0,
        served.requests_per_second,
        after as f64 / 1024.0,
    );
    Ok(())
}
