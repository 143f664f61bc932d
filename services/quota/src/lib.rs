//! The quota service (指标分配): the province's allocation table of key cultivation
//! places (R7) as officials send it, its versions, and the designations the holders
//! (city-level offices, 济源, the provincial-direct office) make within it. It asks the
//! registry about units and titles and the pairing service about pairings, with the
//! caller's identity.
#![forbid(unsafe_code)]

mod audit_trail;
mod demo;
mod error;
mod export;
mod import_file;
pub mod messages;
mod recommend;
mod render;
pub mod rules;
mod service;
pub mod store;
pub mod table_file;

use std::sync::Arc;

use tonic::service::Routes;
use wenming_proto::quota::v1::quota_service_server::{QuotaServiceServer, SERVICE_NAME};
use wenming_runtime::service::{
    BoxError, BoxFuture, DemoContext, Import, ServiceContext, ServiceDef,
};

pub use error::{QuotaCase, QuotaError};
pub use service::QuotaApi;
pub use store::Store;

wenming_runtime::service_migrations! {}

/// The quota service, as the suite runs it.
pub static SERVICE: ServiceDef = ServiceDef {
    name: "quota",
    grpc_service: SERVICE_NAME,
    zh_name: "指标分配服务",
    default_port: 50063,
    migrations: &MIGRATIONS,
    seed: None,
    upstreams: &["registry", "pairing"],
    routes,
    demo: Some(demo),
    imports: &[Import {
        what: "quota",
        about: "the province's allocation table (TSV, CSV or XLSX in the annex's layout; \
                the period in the file's name, e.g. 2021-2023.xlsx)",
        run: import_quota,
    }],
    exports: &[],
};

fn routes(context: ServiceContext) -> Result<Routes, BoxError> {
    let (upstream, timeout) = context.upstreams.get("registry")?;
    let registry = Arc::new(wenming_clients::GrpcRegistry::new(upstream, timeout));
    let (upstream, timeout) = context.upstreams.get("pairing")?;
    let pairing = Arc::new(wenming_clients::GrpcPairing::new(upstream, timeout));
    Ok(routes_over(context, registry, pairing))
}

/// The service's routes asking `registry` and `pairing` (the gRPC clients, or a test's
/// fakes).
pub fn routes_over(
    context: ServiceContext,
    registry: Arc<dyn wenming_clients::Registry>,
    pairing: Arc<dyn wenming_clients::Pairing>,
) -> Routes {
    let settings = &context.settings;
    let service = QuotaServiceServer::new(QuotaApi::new(
        Store::new(context.db, context.clock),
        registry,
        pairing,
    ))
    .max_decoding_message_size(settings.max_message_bytes)
    .max_encoding_message_size(settings.max_response_bytes);
    Routes::new(service)
}

fn demo(context: &DemoContext) -> BoxFuture<'_, Result<(), BoxError>> {
    Box::pin(demo::load(context))
}

fn import_quota<'a>(
    file: &'a std::path::Path,
    channel: tonic::transport::Channel,
    token: &'a str,
) -> BoxFuture<'a, Result<(), BoxError>> {
    Box::pin(import_file::import_quota(file, channel, token))
}
