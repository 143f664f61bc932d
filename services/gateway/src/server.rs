//! Serving the gateway: its own health and reflection, everything else through the proxy.

use std::future::Future;

use tonic::service::Routes;
use wenming_runtime::{Access, Listener, ServeError, ServerSettings};

use crate::proxy::Proxy;

/// Health reports the gateway under this name.
pub const GRPC_SERVICE: &str = "wenming.gateway.v1.Gateway";

/// Serves the gateway on `listener` (plain, or TLS with the public certificate) until
/// `shutdown` resolves.
pub async fn serve(
    listener: impl Into<Listener>,
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
