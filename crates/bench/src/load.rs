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
use crate::measured::Measured;

/// Connections the load is spread over.
const CONNECTIONS: usize = 4;
/// Units registered before the run; half hold a title.
const UNITS: u32 = 2_000;

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
        calls: total.len(),
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
pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The lowest and highest of `values`, the range a median is printed with.
pub(crate) fn range(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), &v| {
            (low.min(v), high.max(v))
        })
}

/// Sends a fixed `authorization` header.
#[derive(Clone)]
pub(crate) struct Authorization(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for Authorization {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

pub(crate) fn authorization(
    header: &str,
) -> Result<Authorization, Box<dyn std::error::Error + Send + Sync>> {
    Ok(Authorization(header.parse()?))
}

/// A gateway under load: where it listens and the platform's `authorization`.
struct Gateway {
    name: &'static str,
    addr: String,
    bearer: String,
    channels: Vec<Channel>,
}

impl Gateway {
    async fn new(
        name: &'static str,
        addr: String,
        bearer: String,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let mut channels = Vec::new();
        for _ in 0..CONNECTIONS {
            channels.push(
                Channel::from_shared(format!("http://{addr}"))?
                    .connect()
                    .await?,
            );
        }
        Ok(Self {
            name,
            addr,
            bearer,
            channels,
        })
    }

    async fn measure(
        &self,
        n: usize,
        slice: Duration,
    ) -> Result<Measured, Box<dyn std::error::Error + Send + Sync>> {
        let auth = authorization(&self.bearer)?;
        measure(&self.channels, n, slice, move |channel, i| {
            verify(
                RegistryServiceClient::with_interceptor(channel, auth.clone()),
                i,
            )
        })
        .await
    }
}

/// Prints a table of targets × in-flight levels from interleaved rounds: per target the
/// median req/s, p50 and p99, and the median (min–max) of the per-round ratio to the
/// first target (echo).
fn print_rows(names: &[&str], n: usize, rows: &[Vec<Measured>]) {
    for (name, row) in names.iter().zip(rows) {
        let mut ratios: Vec<f64> = row
            .iter()
            .zip(&rows[0])
            .map(|(m, echo)| m.requests_per_second / echo.requests_per_second)
            .collect();
        let (low, high) = range(&ratios);
        println!(
            "{name:<44} {n:>9} {:>9.0} {:>8.0} {:>8.0} {:>7.2}x ({low:.2}–{high:.2})  p99/p50 {:.2}",
            median(
                &mut row
                    .iter()
                    .map(|m| m.requests_per_second)
                    .collect::<Vec<_>>()
            ),
            median(&mut row.iter().map(|m| m.p50_us as f64).collect::<Vec<_>>()),
            median(&mut row.iter().map(|m| m.p99_us as f64).collect::<Vec<_>>()),
            median(&mut ratios),
            median(
                &mut row
                    .iter()
                    .map(|m| m.p99_us as f64 / m.p50_us.max(1) as f64)
                    .collect::<Vec<_>>()
            ),
        );
    }
}

/// The median (min–max) of the per-round difference of p50s, `a` − `b`.
fn print_added(label: &str, n: usize, a: &[Measured], b: &[Measured]) {
    let mut added: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(a, b)| a.p50_us as f64 - b.p50_us as f64)
        .collect();
    let (low, high) = range(&added);
    println!(
        "{:<44} {n:>9} {:>+9.0} µs added to p50 {label} (per round: {low:+.0} to {high:+.0})",
        "",
        median(&mut added)
    );
}

/// Runs the targets in interleaved rounds at each in-flight level, with our own load
/// generator in this process and then with h2load from outside it: echo (a bare tonic
/// server), VerifyTitle straight to the registry, through a gateway calling the
/// registry in its own process (as `wenming up`), through one calling it over loopback
/// HTTP/2, and, given the `wenming` binary, through `wenming up` itself (a process of its
/// own, with the telemetry it runs with) and through `wenming serve gateway` in front of
/// `wenming serve registry` as separate processes.
pub async fn run(
    seconds: u64,
    rounds: u32,
    in_flight: &[usize],
    wenming: Option<&std::path::Path>,
    serve_workers: Option<usize>,
) -> BenchResult {
    let rounds = rounds.max(1);
    let slice = Duration::from_secs_f64(seconds as f64 / f64::from(rounds));
    let now = jiff::Timestamp::now();
    // Rate limits off: one platform principal makes every call of the run.
    let (db_up, db_net) = (TestDb::sqlite().await, TestDb::sqlite().await);
    let up = wenming_tests::Suite::start_with(&db_up, now, None).await;
    let net = wenming_tests::Suite::start_opts(
        &db_net,
        now,
        wenming_tests::SuiteOptions {
            network: true,
            ..Default::default()
        },
    )
    .await;
    let mut gateways = Vec::new();
    for (name, suite) in [
        ("VerifyTitle, gateway, service in process", &up),
        ("VerifyTitle, gateway, service over loopback", &net),
    ] {
        seed_titles(
            suite.gateway.clone(),
            &suite.office("county", crate::fixtures::COUNTY).header(),
            &suite.office("province", "410000").header(),
        )
        .await?;
        gateways.push(
            Gateway::new(
                name,
                suite.gateway_addr.to_string(),
                suite.platform("bench-platform").header(),
            )
            .await?,
        );
    }
    let processes = match wenming.filter(|path| path.exists()) {
        Some(binary) => vec![
            (
                "VerifyTitle, wenming up (its own process)",
                crate::processes::Processes::up(binary)?,
            ),
            (
                "VerifyTitle, wenming serve gateway + registry",
                crate::processes::Processes::start(binary, serve_workers)?,
            ),
        ],
        None => {
            println!(
                "(no wenming binary: the rows of its processes are left out; build it with --release)"
            );
            Vec::new()
        }
    };
    for (name, processes) in &processes {
        let bearer = seed_processes(processes).await?;
        gateways.push(Gateway::new(name, processes.gateway.clone(), bearer).await?);
    }
    let platform = Principal::platform("bench-platform", "bench");
    let key = up.internal_key.clone();
    let registry_channels = connect(up.registry).await?;
    let echo = start_baseline().await?;
    let baseline_channels = connect(echo).await?;

    println!(
        "{rounds} rounds of {} ms per target, {CONNECTIONS} connections, SQLite, {UNITS} units (half with a title)",
        slice.as_millis()
    );
    println!("\nOur load generator, in this process:");
    println!(
        "{:<44} {:>9} {:>9} {:>8} {:>8} {:>20}",
        "target", "in flight", "req/s", "p50 µs", "p99 µs", "vs echo (min–max)"
    );
    for &n in in_flight {
        let mut rows: Vec<Vec<Measured>> = (0..2 + gateways.len()).map(|_| Vec::new()).collect();
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
            for (row, gateway) in rows[2..].iter_mut().zip(&gateways) {
                row.push(gateway.measure(n, slice).await?);
            }
        }
        let mut names = vec![
            "echo (bare tonic, Health/Check)",
            "VerifyTitle, direct to registry",
        ];
        names.extend(gateways.iter().map(|g| g.name));
        print_rows(&names, n, &rows);
        for (i, gateway) in gateways.iter().enumerate() {
            print_added(
                &format!("by \"{}\"", gateway.name),
                n,
                &rows[2 + i],
                &rows[1],
            );
        }
    }

    let h2load = crate::h2load::ensure_installed()?;
    println!("\nh2load (nghttp2), a process of its own, 1 thread:");
    println!(
        "{:<44} {:>9} {:>9} {:>8} {:>8} {:>20}",
        "target", "in flight", "req/s", "p50 µs", "p99 µs", "vs echo (min–max)"
    );
    use prost::Message as _;
    let echo_call = crate::h2load::Call {
        addr: echo.to_string(),
        path: "/grpc.health.v1.Health/Check",
        message: HealthCheckRequest::default().encode_to_vec(),
        bearer: None,
    };
    let mut calls = Vec::new();
    for gateway in &gateways {
        calls.push(
            h2load_verify_call(
                gateway.channels[0].clone(),
                gateway.addr.clone(),
                gateway.bearer.clone(),
            )
            .await?,
        );
    }
    for &n in in_flight {
        let mut rows: Vec<Vec<Measured>> = (0..1 + calls.len()).map(|_| Vec::new()).collect();
        for _ in 0..rounds {
            rows[0].push(crate::h2load::run(
                &h2load,
                &echo_call,
                n,
                CONNECTIONS,
                slice,
            )?);
            for (row, call) in rows[1..].iter_mut().zip(&calls) {
                row.push(crate::h2load::run(&h2load, call, n, CONNECTIONS, slice)?);
            }
        }
        let mut names = vec!["echo (bare tonic, Health/Check)"];
        names.extend(gateways.iter().map(|g| g.name));
        print_rows(&names, n, &rows);
    }
    drop(processes);
    db_up.cleanup().await;
    db_net.cleanup().await;
    Ok(())
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

/// Seeds the suite of `processes` through its gateway (as [`seed_titles`]); the
/// platform's bearer that calls VerifyTitle.
pub(crate) async fn seed_processes(
    processes: &crate::processes::Processes,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let gateway = Channel::from_shared(format!("http://{}", processes.gateway))?
        .connect()
        .await?;
    seed_titles(
        gateway,
        &processes.bearer("county", Some(crate::fixtures::COUNTY), None),
        &processes.bearer("province", Some("410000"), None),
    )
    .await?;
    Ok(processes.bearer("platform", None, Some("bench-platform")))
}

/// VerifyTitle through the gateway at `addr` as h2load sends it, for the platform
/// `bearer`, after checking once over `channel` that it is answered OK (h2load counts
/// HTTP statuses only). One code for every call: h2load sends the same bytes each time
/// (the answer comes from the registry's cache after the first, as for a platform
/// asking again).
pub(crate) async fn h2load_verify_call(
    channel: Channel,
    addr: String,
    bearer: String,
) -> Result<crate::h2load::Call<'static>, Box<dyn std::error::Error + Send + Sync>> {
    use prost::Message as _;
    verify(
        RegistryServiceClient::with_interceptor(channel, authorization(&bearer)?),
        0,
    )
    .await?;
    Ok(crate::h2load::Call {
        addr,
        path: "/wenming.registry.v1.RegistryService/VerifyTitle",
        message: pb::VerifyTitleRequest {
            credit_code: credit_code(0),
            as_of: "2024-06-01".into(),
            attest: false,
        }
        .encode_to_vec(),
        bearer: Some(bearer),
    })
}

/// Registers the units (as the county) and gives every other one a provincial title
/// (as the province), through the gateway `gateway`.
async fn seed_titles(gateway: Channel, county: &str, province: &str) -> BenchResult {
    let mut county =
        RegistryServiceClient::with_interceptor(gateway.clone(), authorization(county)?)
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
    let mut province = RegistryServiceClient::with_interceptor(gateway, authorization(province)?);
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
