//! Load: N requests in flight over a few connections for a fixed time; throughput and
//! latency percentiles from an HDR histogram. The baseline is a bare tonic server (only
//! the health service, no layers) answering Health/Check, run in the same process.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use wenming_authz::Principal;
use wenming_proto::registry::v1 as pb;
use wenming_testkit::TestDb;

use crate::BenchResult;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;

use crate::fixtures::{credit_code, unit};

/// Connections the load is spread over.
const CONNECTIONS: usize = 4;
/// Units registered before the run; half hold a title.
const UNITS: u32 = 2_000;

/// One measurement.
pub struct Measured {
    pub requests_per_second: f64,
    pub p50_us: u64,
    pub p99_us: u64,
}

/// Runs `call` from `in_flight` tasks for `duration`, round-robin over `channels`.
pub async fn measure<F, Fut>(
    channels: &[Channel],
    in_flight: usize,
    duration: Duration,
    call: F,
) -> Result<Measured, Box<dyn std::error::Error + Send + Sync>>
where
    F: Fn(Channel, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), tonic::Status>> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for task in 0..in_flight {
        let channel = channels[task % channels.len()].clone();
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut histogram = Histogram::<u64>::new(3).expect("3 significant figures");
            let mut n = task as u64;
            while Instant::now() < deadline {
                let sent = Instant::now();
                call(channel.clone(), n).await?;
                let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                histogram.record(micros.max(1)).ok();
                n += in_flight as u64;
            }
            Ok::<_, tonic::Status>(histogram)
        }));
    }
    let mut total = Histogram::<u64>::new(3)?;
    for task in tasks {
        total.add(task.await??)?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(Measured {
        requests_per_second: total.len() as f64 / elapsed,
        p50_us: total.value_at_quantile(0.5),
        p99_us: total.value_at_quantile(0.99),
    })
}

/// Channels to `addr`.
pub async fn connect(
    addr: SocketAddr,
) -> Result<Vec<Channel>, Box<dyn std::error::Error + Send + Sync>> {
    let mut channels = Vec::new();
    for _ in 0..CONNECTIONS {
        channels.push(
            Channel::from_shared(format!("http://{addr}"))?
                .connect()
                .await?,
        );
    }
    Ok(channels)
}

/// A bare tonic server with only the health service.
pub async fn start_baseline() -> Result<SocketAddr, Box<dyn std::error::Error + Send + Sync>> {
    let (_reporter, health) = tonic_health::server::health_reporter();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    tokio::spawn(async move {
        let _ = tonic::transport::Server::builder()
            .add_service(health)
            .serve_with_incoming(incoming)
            .await;
    });
    Ok(addr)
}

/// Calls Health/Check on the baseline server.
pub async fn baseline_call(channel: Channel, _n: u64) -> Result<(), tonic::Status> {
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map(|_| ())
}

/// Median of `values` (sorted in place).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Runs the three targets in interleaved rounds at each in-flight level and prints, per
/// target, the median req/s and p50/p99, and the median (min–max) of the per-round
/// ratio to echo; and the median (min–max) of the p50 the gateway adds to the direct
/// call in the same round.
pub async fn run(seconds: u64, rounds: u32, in_flight: &[usize]) -> BenchResult {
    let rounds = rounds.max(1);
    let slice = Duration::from_secs_f64(seconds as f64 / f64::from(rounds));
    let db = TestDb::sqlite().await;
    // The suite as `wenming up` runs it: the registry behind the gateway.
    // Rate limits off: one platform principal makes every call of the run.
    let suite = wenming_tests::Suite::start_with(&db, jiff::Timestamp::now(), None).await;
    seed_titles(&suite).await?;
    let platform = Principal::platform("bench-platform", "bench");
    let key = suite.internal_key.clone();
    let bearer = suite.platform("bench-platform");
    let registry_channels = connect(suite.registry).await?;
    let mut gateway_channels = Vec::new();
    for _ in 0..CONNECTIONS {
        gateway_channels.push(
            Channel::from_shared(format!("http://{}", gateway_addr(&suite)?))?
                .connect()
                .await?,
        );
    }
    let baseline_channels = connect(start_baseline().await?).await?;

    println!(
        "{rounds} rounds of {} ms per target, {CONNECTIONS} connections, SQLite, {UNITS} units (half with a title)",
        slice.as_millis()
    );
    println!(
        "{:<34} {:>9} {:>9} {:>8} {:>8} {:>20}",
        "target", "in flight", "req/s", "p50 µs", "p99 µs", "vs echo (min–max)"
    );
    for &n in in_flight {
        let mut rows: [Vec<Measured>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..rounds {
            rows[0].push(measure(&baseline_channels, n, slice, baseline_call).await?);
            rows[1].push({
                let key = key.clone();
                let platform = platform.clone();
                measure(&registry_channels, n, slice, move |channel, i| {
                    let client = RegistryServiceClient::with_interceptor(
                        channel,
                        wenming_runtime::client::AsPrincipal::new(&key, platform.clone()),
                    );
                    verify(client, i)
                })
                .await?
            });
            rows[2].push({
                let bearer = bearer.clone();
                measure(&gateway_channels, n, slice, move |channel, i| {
                    verify(
                        RegistryServiceClient::with_interceptor(channel, bearer.clone()),
                        i,
                    )
                })
                .await?
            });
        }
        let names = [
            "echo (bare tonic, Health/Check)",
            "VerifyTitle, direct to registry",
            "VerifyTitle, through the gateway",
        ];
        for (name, row) in names.iter().zip(&rows) {
            let mut ratios: Vec<f64> = row
                .iter()
                .zip(&rows[0])
                .map(|(m, echo)| m.requests_per_second / echo.requests_per_second)
                .collect();
            let (low, high) = (
                ratios.iter().copied().fold(f64::INFINITY, f64::min),
                ratios.iter().copied().fold(0.0, f64::max),
            );
            println!(
                "{name:<34} {n:>9} {:>9.0} {:>8.0} {:>8.0} {:>7.2}x ({low:.2}–{high:.2})",
                median(
                    &mut row
                        .iter()
                        .map(|m| m.requests_per_second)
                        .collect::<Vec<_>>()
                ),
                median(&mut row.iter().map(|m| m.p50_us as f64).collect::<Vec<_>>()),
                median(&mut row.iter().map(|m| m.p99_us as f64).collect::<Vec<_>>()),
                median(&mut ratios),
            );
        }
        let mut added: Vec<f64> = rows[2]
            .iter()
            .zip(&rows[1])
            .map(|(g, d)| g.p50_us as f64 - d.p50_us as f64)
            .collect();
        let (low, high) = (
            added.iter().copied().fold(f64::INFINITY, f64::min),
            added.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        );
        println!(
            "{:<34} {n:>9} {:>+9.0} µs added to p50 by the gateway (per round: {low:+.0} to {high:+.0})",
            "",
            median(&mut added)
        );
    }
    db.cleanup().await;
    Ok(())
}

/// The gateway's address, from its channel's target.
fn gateway_addr(
    suite: &wenming_tests::Suite,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    Ok(suite.gateway_addr.to_string())
}

async fn verify<T>(mut client: RegistryServiceClient<T>, i: u64) -> Result<(), tonic::Status>
where
    T: tonic::client::GrpcService<tonic::body::Body>,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    client
        .verify_title(pb::VerifyTitleRequest {
            credit_code: credit_code(u32::try_from(i % u64::from(UNITS)).unwrap_or(0)),
            as_of: "2024-06-01".into(),
            attest: false,
        })
        .await
        .map(|_| ())
}

/// Registers the units and gives every other one a provincial title.
async fn seed_titles(suite: &wenming_tests::Suite) -> BenchResult {
    let mut county = RegistryServiceClient::with_interceptor(
        suite.gateway.clone(),
        suite.office("county", crate::fixtures::COUNTY),
    )
    .max_decoding_message_size(64 * 1024 * 1024);
    let rows: Vec<pb::ImportRow> = (0..UNITS)
        .map(|n| pb::ImportRow {
            row_number: u64::from(n),
            unit: Some(unit(n)),
        })
        .collect();
    let response = county
        .import_units(tokio_stream::iter([pb::ImportUnitsRequest { rows }]))
        .await?
        .into_inner();
    let mut province = RegistryServiceClient::with_interceptor(
        suite.gateway.clone(),
        suite.office("province", "410000"),
    );
    for result in response.results.iter().step_by(2) {
        province
            .award_title(pb::AwardTitleRequest {
                title: Some(pb::Title {
                    unit: result.unit.clone(),
                    tier: pb::TitleTier::Provincial as i32,
                    awarded_on: "2023-01-18".into(),
                    valid_until: "2026-01-18".into(),
                    document_number: "豫文明〔2023〕2号".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await?;
    }
    Ok(())
}
