//! The pairing service (结对帮创): one-to-one pairings of helpers with non-public units,
//! their work plans, ledgers, activities and highlight brands, and the offices'
//! pairing lists. It is the first service that calls another: it asks the registry
//! about units, titles and campaigns with the caller's identity.
#![forbid(unsafe_code)]

mod audit_trail;
mod counts;
mod demo;
mod error;
pub mod messages;
mod render;
pub mod reports;
pub mod rules;
mod service;
pub mod store;

use std::sync::Arc;

use tonic::service::Routes;
use wenming_proto::pairing::v1::pairing_service_server::{PairingServiceServer, SERVICE_NAME};
use wenming_runtime::service::{BoxError, BoxFuture, DemoContext, ServiceContext, ServiceDef};

pub use error::PairingError;
pub use service::PairingApi;
pub use store::Store;

// 0001 was reissued when the shared tables moved to crates/runtime/migrations.
wenming_runtime::service_migrations! { 1 => "oTzjcWZFi6YFETFnmLIWEEGA1jEj2LUyMqwxRk59duPOAe3b3oePXY4+UhKwRz8d" }

/// The pairing service, as the suite runs it.
pub static SERVICE: ServiceDef = ServiceDef {
    name: "pairing",
    grpc_service: SERVICE_NAME,
    zh_name: "结对帮创服务",
    default_port: 50062,
    migrations: &MIGRATIONS,
    seed: None,
    upstreams: &["registry"],
    routes,
    demo: Some(demo),
    imports: &[],
    exports: &[],
};

fn routes(context: ServiceContext) -> Result<Routes, BoxError> {
    let (upstream, timeout) = context.upstreams.get("registry")?;
    let registry = Arc::new(wenming_clients::GrpcRegistry::new(upstream, timeout));
    Ok(routes_over(context, registry))
}

/// The service's routes asking `registry` (the gRPC client, or a test's fake).
pub fn routes_over(
    context: ServiceContext,
    registry: Arc<dyn wenming_clients::Registry>,
) -> Routes {
    let settings = &context.settings;
    let service = PairingServiceServer::new(PairingApi::new(
        Store::new(context.db, context.clock),
        registry,
    ))
    .max_decoding_message_size(settings.max_message_bytes)
    .max_encoding_message_size(settings.max_response_bytes);
    Routes::new(service)
}

fn demo(context: &DemoContext) -> BoxFuture<'_, Result<(), BoxError>> {
    Box::pin(demo::load(context))
}
