//! The supervision service (督导): inspections offices plan in their region (巡回督导,
//! 明察暗访, 随机调研) and what their visits find. Covert visits are blind until recorded.
//! It asks the registry about units and the pairing service about pairings, with the
//! caller's identity. Findings open rectification tasks, which escalate to the office
//! above when overdue. Consequences, deadlines and progress follow (issue 11).
#![forbid(unsafe_code)]

mod audit_trail;
mod commendations;
mod deadline_rules;
mod deadlines;
mod demo;
mod error;
mod export;
mod history;
pub mod messages;
mod names;
mod progress;
mod progress_xlsx;
mod render;
mod rollup;
pub mod rules;
mod service;
pub mod store;
mod talks;
mod tasks;

use std::sync::Arc;

use tonic::service::Routes;
use wenming_proto::supervision::v1::supervision_service_server::{
    SERVICE_NAME, SupervisionServiceServer,
};
use wenming_runtime::service::{
    BoxError, BoxFuture, DemoContext, Export, ServiceContext, ServiceDef,
};

pub use error::SupervisionError;
pub use service::SupervisionApi;
pub use store::Store;

wenming_runtime::service_migrations! {}

/// The supervision service, as the suite runs it.
pub static SERVICE: ServiceDef = ServiceDef {
    name: "supervision",
    grpc_service: SERVICE_NAME,
    zh_name: "督导服务",
    default_port: 50064,
    migrations: &MIGRATIONS,
    seed: None,
    upstreams: &["registry", "pairing", "quota"],
    routes,
    demo: Some(demo),
    imports: &[],
    exports: &[Export {
        what: "progress",
        about: "the progress report of a region and every level below it (XLSX, a sheet per level)",
        run: export_progress,
    }],
};

fn routes(context: ServiceContext) -> Result<Routes, BoxError> {
    let (upstream, timeout) = context.upstreams.get("registry")?;
    let registry = Arc::new(wenming_clients::GrpcRegistry::new(upstream, timeout));
    let (upstream, timeout) = context.upstreams.get("pairing")?;
    let pairing = Arc::new(wenming_clients::GrpcPairing::new(upstream, timeout));
    let (upstream, timeout) = context.upstreams.get("quota")?;
    let quota = Arc::new(wenming_clients::GrpcQuota::new(upstream, timeout));
    let every: u64 = wenming_runtime::config::optional(&context.config, "monitor_interval_secs")?
        .unwrap_or(DEFAULT_MONITOR_INTERVAL_SECS);
    if every == 0 {
        return Err("supervision.monitor_interval_secs must be at least 1".into());
    }
    let (routes, api) = routes_and_api(context, registry, pairing, quota);
    deadlines::spawn_monitor(api, std::time::Duration::from_secs(every));
    Ok(routes)
}

/// How often the deadline monitor scans in the background, by default.
const DEFAULT_MONITOR_INTERVAL_SECS: u64 = 300;

/// The service's routes asking `registry`, `pairing` and `quota` (the gRPC clients, or
/// a test's fakes).
pub fn routes_over(
    context: ServiceContext,
    registry: Arc<dyn wenming_clients::Registry>,
    pairing: Arc<dyn wenming_clients::Pairing>,
    quota: Arc<dyn wenming_clients::Quota>,
) -> Routes {
    routes_and_api(context, registry, pairing, quota).0
}

fn routes_and_api(
    context: ServiceContext,
    registry: Arc<dyn wenming_clients::Registry>,
    pairing: Arc<dyn wenming_clients::Pairing>,
    quota: Arc<dyn wenming_clients::Quota>,
) -> (Routes, SupervisionApi) {
    let settings = &context.settings;
    let api = SupervisionApi::new(
        Store::new(context.db, context.clock),
        registry,
        pairing,
        quota,
        context.signer,
    );
    let service = SupervisionServiceServer::new(api.clone())
        .max_decoding_message_size(settings.max_message_bytes)
        .max_encoding_message_size(settings.max_response_bytes);
    (Routes::new(service), api)
}

fn demo(context: &DemoContext) -> BoxFuture<'_, Result<(), BoxError>> {
    Box::pin(demo::load(context))
}

fn export_progress<'a>(
    file: &'a std::path::Path,
    channel: tonic::transport::Channel,
    token: &'a str,
    region: &'a str,
) -> BoxFuture<'a, Result<(), BoxError>> {
    Box::pin(export::progress(file, channel, token, region))
}
