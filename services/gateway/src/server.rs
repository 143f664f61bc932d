//! Serving the gateway: its own health and reflection, everything else through the proxy.

use std::future::Future;

use tonic::service::Routes;
use wenming_runtime::{Access, Listener, ServeError, Server, ServerSettings};

use crate::edge::Edge;
use crate::proxy::Proxy;

/// Health reports the gateway under this name.
pub const GRPC_SERVICE: &str = "wenming.gateway.v1.Gateway";

/// Serves the gateway on `listener` (plain, or TLS with the public certificate) until
/// `shutdown` resolves: gRPC, gRPC-Web and JSON on the same address, with CORS answers
/// for `cors_origins`.
pub async fn serve(
    listener: impl Into<Listener>,
    proxy: Proxy,
    settings: &ServerSettings,
    cors_origins: &[String],
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    prepare(proxy, settings, cors_origins)
        .await?
        .serve(listener, shutdown)
        .await
}

/// The gateway's server, ready to serve (its health port, if any, already bound).
pub async fn prepare(
    proxy: Proxy,
    settings: &ServerSettings,
    cors_origins: &[String],
) -> Result<Server, ServeError> {
    let edge =
        Edge::new(proxy, settings.max_message_bytes).map_err(|e| ServeError::Setup(e.into()))?;
    let cors = crate::edge::cors(cors_origins).map_err(|e| ServeError::Setup(e.into()))?;
    let entry = tower::ServiceBuilder::new()
        .option_layer(cors)
        .service(edge);
    let mut routes = Routes::default();
    let router = std::mem::take(routes.axum_router_mut());
    *routes.axum_router_mut() = router.fallback_service(entry);
    Server::new(
        settings,
        Access::Public,
        routes,
        &[GRPC_SERVICE],
        // No database of its own: its health is the process's.
        None,
    )
    .await
}
