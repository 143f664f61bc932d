//! Serving the gateway: its own health and reflection, everything else through the proxy.

use std::future::Future;

use tokio::net::TcpListener;
use tonic::service::Routes;
use wenming_runtime::{Access, ServeError, ServerSettings};

use crate::proxy::Proxy;

/// Health reports the gateway under this name.
pub const GRPC_SERVICE: &str = "wenming.gateway.v1.Gateway";

/// Serves the gateway on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    proxy: Proxy,
    settings: &ServerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let mut routes = Routes::default();
    let router = std::mem::take(routes.axum_router_mut());
    *routes.axum_router_mut() = router.fallback_service(proxy);
    wenming_runtime::serve(
        listener,
        settings,
        Access::Public,
        routes,
        &[GRPC_SERVICE],
        // No database of its own: its health is the process's.
        None,
        shutdown,
    )
    .await
}
