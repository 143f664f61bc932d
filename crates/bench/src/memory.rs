//! Resident memory of `wenming up` (all services, one process): right after `ready`,
//! at its peak while importing 100,000 units, and at its peak while serving VerifyTitle
//! with 32 calls in flight for a few seconds (rate limits raised for the run).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use tonic::metadata::MetadataValue;
use wenming_gateway::ExternalClaims;
use wenming_gateway::dev_key::{DEV_AUDIENCE, DEV_ISSUER, DevKey};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;

use crate::BenchResult;
use crate::fixtures::{COUNTY, credit_code, unit};

/// An interceptor sending a development bearer token (the suite runs behind its gateway).
fn bearer(
    key: &DevKey,
    level: &str,
    region: Option<&str>,
    platform: Option<&str>,
) -> Result<
    impl tonic::service::Interceptor + Clone + Send + Sync + 'static + use<>,
    Box<dyn std::error::Error + Send + Sync>,
> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let token = key.issue(&ExternalClaims {
        sub: "bench".into(),
        iss: DEV_ISSUER.into(),
        aud: DEV_AUDIENCE.into(),
        exp: now + 3600,
        nbf: None,
        iat: Some(now),
        level: level.into(),
        region: region.map(str::to_owned),
        unit: None,
        platform: platform.map(str::to_owned),
        actions: None,
    });
    let value: MetadataValue<_> = format!("Bearer {token}").parse()?;
    Ok(move |mut req: tonic::Request<()>| {
        req.metadata_mut().insert("authorization", value.clone());
        Ok(req)
    })
}

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
    let dir = std::env::temp_dir().join(format!("wenming-bench-up-{}", std::process::id()));
    let mut child = Command::new(wenming)
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        // One platform makes every call of the load phase.
        .env(
            "WENMING_GATEWAY__RATE_LIMITS__PLATFORM_PER_SECOND",
            "100000000",
        )
        .env("WENMING_GATEWAY__RATE_LIMITS__PLATFORM_BURST", "100000000")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("127.0.0.1:"))
        .ok_or("no address in the ready line")?
        .trim_end_matches(',')
        .to_owned();
    let idle = resident_kib(child.id())?;
    let _ = peak_kib(child.id())?;

    let key = DevKey::load_or_create(&dir)?;
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let mut county = RegistryServiceClient::with_interceptor(
        channel.clone(),
        bearer(&key, "county", Some(COUNTY), None)?,
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
    let import_peak = peak_kib(child.id())?;
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
    let platform = bearer(&key, "platform", None, Some("bench"))?;
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
    let load_peak = peak_kib(child.id())?;
    let after = resident_kib(child.id())?;
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    child.wait()?;
    std::fs::remove_dir_all(&dir).ok();
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
