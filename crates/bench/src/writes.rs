//! Writes at database speed (issue 14): CreateUnit through the gateway on PostgreSQL by
//! N clients, each call a new unit, against pgbench's single-row INSERTs by as many
//! clients into a table of the same database, in interleaved rounds of a few seconds.
//! CreateUnit does more than one INSERT (the request-id claim when given, the unit row
//! with its indexes, the audit record and its chain's head), so the ratio says what
//! the suite's guarantees cost over the database's own write rate.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_testkit::TestDb;

use crate::BenchResult;
use crate::fixtures::unit;
use crate::load::{median, range};

/// Runs `rounds` rounds of `seconds` per side with `clients` clients and prints both
/// rates and their ratio (median of the per-round ratios, with its range).
pub async fn run(clients: usize, seconds: u64, rounds: u32) -> BenchResult {
    let Some(db) = TestDb::postgres().await else {
        return Err(format!("set {} to a PostgreSQL URL", wenming_testkit::PG_URL_VAR).into());
    };
    let suite = wenming_tests::Suite::start_with(&db, jiff::Timestamp::now(), None).await;
    let registry = suite.db("registry");
    sqlx::query(
        "CREATE TABLE bench_insert (id TEXT PRIMARY KEY, credit_code TEXT NOT NULL, \
         display_name TEXT NOT NULL, region_code TEXT NOT NULL, created_at BIGINT NOT NULL)",
    )
    .execute(registry.pool())
    .await?;
    let script = tempfile::NamedTempFile::new()?;
    std::fs::write(
        script.path(),
        "INSERT INTO bench_insert VALUES (gen_random_uuid()::text, md5(random()::text), \
         'pgbench', '410421', (extract(epoch from clock_timestamp()) * 1000)::bigint);\n",
    )?;
    let county = suite.office("county", crate::fixtures::COUNTY);
    let next = Arc::new(AtomicU32::new(0));
    let window = Duration::from_secs(seconds.max(1));
    println!(
        "{rounds} rounds of {seconds} s per side, {clients} clients, PostgreSQL (the registry's own database)"
    );
    println!("{:<40} {:>12}", "side", "per second");
    let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        let pgbench = pgbench(registry.url(), script.path(), clients, seconds)?;
        let created = create_units(&suite, &county, &next, clients, window).await?;
        ratios.push(created / pgbench);
        theirs.push(pgbench);
        ours.push(created);
    }
    let (low, high) = range(&ratios);
    println!(
        "{:<40} {:>12.0}",
        "pgbench single-row INSERT (TPS)",
        median(&mut theirs)
    );
    println!(
        "{:<40} {:>12.0}",
        "CreateUnit through the gateway",
        median(&mut ours)
    );
    println!(
        "{:<40} {:>11.2}x ({low:.2}–{high:.2})",
        "CreateUnit ÷ pgbench",
        median(&mut ratios)
    );
    db.cleanup().await;
    Ok(())
}

/// pgbench's TPS for `script` by `clients` clients for `seconds` on `url`.
fn pgbench(
    url: &str,
    script: &std::path::Path,
    clients: usize,
    seconds: u64,
) -> Result<f64, Box<dyn std::error::Error + Send + Sync>> {
    let out = Command::new("pgbench")
        .args([
            "-n",
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
            "-f",
        ])
        .arg(script)
        .arg(url)
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "pgbench failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    // "tps = 1234.567890 (without initial connection time)"
    text.lines()
        .find_map(|line| line.trim().strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|tps| tps.parse().ok())
        .ok_or_else(|| format!("no tps in pgbench's output: {text}").into())
}

/// CreateUnit calls per second by `clients` clients through the gateway for `window`,
/// each call a unit never registered before.
async fn create_units(
    suite: &wenming_tests::Suite,
    county: &wenming_tests::Bearer,
    next: &Arc<AtomicU32>,
    clients: usize,
    window: Duration,
) -> Result<f64, Box<dyn std::error::Error + Send + Sync>> {
    let started = Instant::now();
    let deadline = started + window;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let mut client =
            RegistryServiceClient::with_interceptor(suite.gateway.clone(), county.clone());
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                client
                    .create_unit(pb::CreateUnitRequest {
                        unit: Some(unit(n)),
                        request_id: format!("bench-{n}"),
                    })
                    .await?;
                done += 1;
            }
            Ok::<_, tonic::Status>(done)
        }));
    }
    let mut total = 0u64;
    for task in tasks {
        total += task.await??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}
