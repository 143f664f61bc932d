//! Prometheus metrics of the process (docs/OPERATIONS.md, "Metrics"): one registry per
//! process, so that `wenming up` shows the whole suite on one address and each
//! `wenming serve` its own. Names follow the OpenTelemetry semantic conventions as
//! Prometheus spells them (`rpc.server.call.duration` -> `rpc_server_call_duration_seconds`,
//! `db.client.connection.count` -> `db_client_connection_count`); what is ours alone is
//! prefixed `wenming_`.

mod endpoint;
mod noted_status;
mod rpc_layer;

use std::sync::{Mutex, OnceLock};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::db::Database;

pub use endpoint::{serve, spawn};
pub use noted_status::{NoteStatus, StatusSlot};
pub use rpc_layer::Answered;
pub(crate) use rpc_layer::RpcMetricsLayer;

/// Bucket bounds of call durations, in seconds: 100 µs to 10 s, closer where the calls
/// of this suite are (a VerifyTitle from the cache answers in well under a millisecond).
const DURATION_BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RpcLabels {
    /// Which server answered: `gateway`, `registry`, … (one process may hold several).
    server: &'static str,
    rpc_system: &'static str,
    rpc_service: &'static str,
    rpc_method: &'static str,
    rpc_grpc_status_code: i32,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool_name: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolName {
    pool_name: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabels {
    budget: &'static str,
}

struct Metrics {
    registry: Registry,
    calls: Family<RpcLabels, Histogram, fn() -> Histogram>,
    connections: Family<PoolLabels, Gauge>,
    connections_max: Family<PoolName, Gauge>,
    pool_timeouts: Counter,
    caches: Family<CacheLabels, Counter>,
    rate_limited: Family<LimitLabels, Counter>,
    pools: Mutex<Vec<(&'static str, Database)>>,
}

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let mut registry = Registry::default();
        let calls = Family::<RpcLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        registry.register(
            "rpc_server_call_duration_seconds",
            "Duration of the calls a server answered, by method and gRPC status code \
             (its _count is the request count: RED)",
            calls.clone(),
        );
        let connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_client_connection_count",
            "Connections of a service's database pool, by state (used, idle)",
            connections.clone(),
        );
        let connections_max = Family::<PoolName, Gauge>::default();
        registry.register(
            "db_client_connection_max",
            "The most connections a service's database pool opens",
            connections_max.clone(),
        );
        let pool_timeouts = Counter::default();
        registry.register(
            "db_client_connection_timeouts",
            "Calls that waited for a pooled connection longer than the pool's acquire timeout",
            pool_timeouts.clone(),
        );
        let caches = Family::<CacheLabels, Counter>::default();
        registry.register(
            "wenming_cache_requests",
            "Lookups of a cache (verify_title, gateway_token, gateway_identity, \
             gateway_policy), by result (hit, miss)",
            caches.clone(),
        );
        let rate_limited = Family::<LimitLabels, Counter>::default();
        registry.register(
            "wenming_gateway_rate_limited",
            "Calls the gateway refused with RESOURCE_EXHAUSTED, by budget (person, platform)",
            rate_limited.clone(),
        );
        registry.register(
            "wenming_build",
            "The running build",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        Metrics {
            registry,
            calls,
            connections,
            connections_max,
            pool_timeouts,
            caches,
            rate_limited,
            pools: Mutex::new(Vec::new()),
        }
    })
}

/// Counts a lookup of `cache` (`verify_title`, `gateway_token`, …).
pub fn cache_lookup(cache: &'static str, hit: bool) {
    metrics()
        .caches
        .get_or_create(&CacheLabels {
            cache,
            result: if hit { "hit" } else { "miss" },
        })
        .inc();
}

/// Counts a call refused for its budget (`person` or `platform`).
pub fn rate_limited(budget: &'static str) {
    metrics()
        .rate_limited
        .get_or_create(&LimitLabels { budget })
        .inc();
}

/// Shows `db`'s pool as `name`'s (read at each scrape).
pub fn register_pool(name: &'static str, db: &Database) {
    let mut pools = metrics().pools.lock().unwrap_or_else(|e| e.into_inner());
    pools.retain(|(_, pool)| !pool.pool().is_closed());
    pools.push((name, db.clone()));
}

/// Counts a call that gave up waiting for a pooled connection (sqlx shows no count of
/// the waiting, only this end of it).
pub fn pool_timed_out() {
    metrics().pool_timeouts.inc();
}

/// Records one answered call.
fn record_call(
    server: &'static str,
    (service, method): (&'static str, &'static str),
    code: i32,
    seconds: f64,
) {
    metrics()
        .calls
        .get_or_create(&RpcLabels {
            server,
            rpc_system: "grpc",
            rpc_service: service,
            rpc_method: method,
            rpc_grpc_status_code: code,
        })
        .observe(seconds);
}

/// The metrics in the OpenMetrics text format.
pub fn render() -> String {
    let metrics = metrics();
    refresh_pools(metrics);
    let mut text = String::new();
    if prometheus_client::encoding::text::encode(&mut text, &metrics.registry).is_err() {
        tracing::warn!("metrics could not be encoded");
    }
    text
}

/// Reads the pools' sizes: several pools of one name (tests) add up.
fn refresh_pools(metrics: &Metrics) {
    let pools = metrics.pools.lock().unwrap_or_else(|e| e.into_inner());
    let mut sums: std::collections::BTreeMap<&'static str, (i64, i64, i64)> = Default::default();
    for (name, db) in pools.iter() {
        let pool = db.pool();
        if pool.is_closed() {
            continue;
        }
        let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
        let size = i64::from(pool.size());
        let max = i64::from(pool.options().get_max_connections());
        let sum = sums.entry(name).or_default();
        sum.0 += size - idle;
        sum.1 += idle;
        sum.2 += max;
    }
    for (pool_name, (used, idle, max)) in sums {
        for (state, value) in [("used", used), ("idle", idle)] {
            metrics
                .connections
                .get_or_create(&PoolLabels { pool_name, state })
                .set(value);
        }
        metrics
            .connections_max
            .get_or_create(&PoolName { pool_name })
            .set(max);
    }
}
