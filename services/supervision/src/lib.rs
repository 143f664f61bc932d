//! The supervision service (督导): inspections offices plan in their region (巡回督导,
//! 明察暗访, 随机调研) and what their visits find. Covert visits are blind until recorded.
//! It asks the registry about units and the pairing service about pairings, with the
//! caller's identity. Findings open rectification tasks, which escalate to the office
//! above when overdue. Consequences, deadlines and progress follow (issue 11).
#![forbid(unsafe_code)]

mod demo;
mod error;
pub mod messages;
mod render;
pub mod rules;
mod service;
pub mod store;
mod tasks;

use std::sync::Arc;

use tonic::service::Routes;
use wenming_proto::supervision::v1::supervision_service_server::{
    SERVICE_NAME, SupervisionServiceServer,
};
use wenming_runtime::service::{BoxError, BoxFuture, DemoContext, ServiceContext, ServiceDef};

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
    upstreams: &["registry", "pairing"],
    routes,
    demo: Some(demo),
    imports: &[],
};

fn routes(context: ServiceContext) -> Result<Routes, BoxError> {
    let (channel, timeout) = context.upstreams.get("registry")?;
    let registry = Arc::new(wenming_clients::GrpcRegistry::new(channel, timeout));
    let (channel, timeout) = context.upstreams.get("pairing")?;
    let pairing = Arc::new(wenming_clients::GrpcPairing::new(channel, timeout));
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
    let service = SupervisionServiceServer::new(SupervisionApi::new(
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
