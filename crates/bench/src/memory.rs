//! Resident memory of `wenming up` (all services, one process): right after `ready`,
//! and after a burst of imports and verifications.

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
) -> Result<impl tonic::service::Interceptor + use<>, Box<dyn std::error::Error + Send + Sync>> {
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

fn resident_kib(pid: u32) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS".into())
}

pub async fn run(wenming: &Path) -> BenchResult {
    let dir = std::env::temp_dir().join(format!("wenming-bench-up-{}", std::process::id()));
    let mut child = Command::new(wenming)
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
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

    let key = DevKey::load_or_create(&dir)?;
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let mut county = RegistryServiceClient::with_interceptor(
        channel.clone(),
        bearer(&key, "county", Some(COUNTY), None)?,
    );
    let rows: Vec<pb::ImportRow> = (0..5_000)
        .map(|n| pb::ImportRow {
            row_number: u64::from(n),
            unit: Some(unit(n)),
        })
        .collect();
    county
        .import_units(tokio_stream::iter(
            rows.chunks(500)
                .map(|c| pb::ImportUnitsRequest { rows: c.to_vec() })
                .collect::<Vec<_>>(),
        ))
        .await?;
    let mut platform = RegistryServiceClient::with_interceptor(
        channel,
        bearer(&key, "platform", None, Some("bench"))?,
    );
    let mut n = 0;
    while n < 5_000 {
        let called = platform
            .verify_title(pb::VerifyTitleRequest {
                credit_code: credit_code(n),
                as_of: String::new(),
                attest: false,
            })
            .await;
        match called {
            Ok(_) => n += 1,
            // Over the platform's rate limit: wait as RetryInfo says, as a client should.
            Err(status) if status.code() == tonic::Code::ResourceExhausted => {
                use tonic_types::StatusExt as _;
                let wait = status
                    .get_details_retry_info()
                    .and_then(|r| r.retry_delay)
                    .unwrap_or(std::time::Duration::from_millis(10));
                tokio::time::sleep(wait).await;
            }
            Err(status) => return Err(status.into()),
        }
    }
    let busy = resident_kib(child.id())?;
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    child.wait()?;
    std::fs::remove_dir_all(&dir).ok();
    println!(
        "wenming up resident memory: idle after ready {:.1} MiB; after 5,000 imports and 5,000 VerifyTitle calls {:.1} MiB (bound: 60 MiB idle)",
        idle as f64 / 1024.0,
        busy as f64 / 1024.0
    );
    Ok(())
}
