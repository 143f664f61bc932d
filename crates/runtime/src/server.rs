//! Serving one gRPC service: health, reflection, identity, limits, a span per call and a
//! bounded graceful drain.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tower::ServiceBuilder;
use wenming_authz::IdentityVerifier;

use crate::IdentityLayer;

/// Limits and timeouts every server applies.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ServerSettings {
    /// Largest request message, in bytes.
    pub max_message_bytes: usize,
    /// Largest response message, in bytes: larger, since ImportUnits answers one result
    /// per row it was sent.
    pub max_response_bytes: usize,
    /// Longest a call may run; a shorter client deadline wins.
    pub request_timeout_secs: u64,
    /// How long in-flight calls get to finish after SIGTERM.
    pub drain_timeout_secs: u64,
    /// Concurrent calls per connection.
    pub concurrency_per_connection: usize,
    /// How often a service checks that its database answers (its health follows).
    pub health_probe_ms: u64,
    /// Where the process serves its Prometheus metrics (`GET /metrics`); none: no
    /// metrics endpoint.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// A plaintext address serving only the health service, for probes that cannot
    /// speak TLS (Kubernetes' gRPC probes, a container HEALTHCHECK) when the server's
    /// own address is TLS; none: health only on the server's address.
    pub health_listen: Option<std::net::SocketAddr>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            max_message_bytes: 4 * 1024 * 1024,
            max_response_bytes: 64 * 1024 * 1024,
            request_timeout_secs: 30,
            drain_timeout_secs: 10,
            concurrency_per_connection: 256,
            health_probe_ms: 5000,
            metrics_listen: None,
            health_listen: None,
        }
    }
}

/// Why a server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Transport failure.
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// Reflection descriptors could not be loaded.
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The service could not be set up (its routes, its upstreams).
    #[error("setup: {0}")]
    Setup(Box<dyn std::error::Error + Send + Sync>),
}

/// Who may call the served routes.
#[derive(Clone, Debug)]
pub enum Access {
    /// A service: every call but health and reflection carries a verified internal
    /// identity.
    Internal(Box<IdentityVerifier>),
    /// The gateway: its routes authenticate external callers themselves.
    Public,
}

/// Where a server accepts calls: a plain TCP listener, or one whose connections are
/// TLS (the gateway's public certificate, or the suite's mutual TLS).
#[derive(Debug)]
pub enum Listener {
    /// Plaintext HTTP/2 (and HTTP/1.1 on the gateway).
    Plain(TcpListener),
    /// TLS on every connection.
    Tls(TcpListener, Arc<crate::tls::ServerTls>),
}

impl Listener {
    /// `listener`, with TLS when `tls` is given.
    pub fn new(listener: TcpListener, tls: Option<Arc<crate::tls::ServerTls>>) -> Self {
        match tls {
            Some(tls) => Self::Tls(listener, tls),
            None => Self::Plain(listener),
        }
    }
}

impl From<TcpListener> for Listener {
    fn from(listener: TcpListener) -> Self {
        Self::Plain(listener)
    }
}

/// Serves `routes` on `listener` until `shutdown` resolves, then drains for at most
/// `drain_timeout_secs`. `service_names` are the fully qualified gRPC service names the
/// health service reports: SERVING until the drain starts, then NOT_SERVING; and, with
/// a `database`, NOT_SERVING while it does not answer.
pub async fn serve(
    listener: impl Into<Listener>,
    settings: &ServerSettings,
    access: Access,
    routes: Routes,
    service_names: &[&str],
    database: Option<&crate::db::Database>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    Server::new(settings, access, routes, service_names, database)
        .await?
        .serve(listener, shutdown)
        .await
}

/// A server ready to serve: its routes behind the suite's layers, health and
/// reflection. Served on a listener ([`Server::serve`]), and reachable in the same
/// process without a socket ([`Server::local`]), both through the same layers.
#[derive(Debug)]
pub struct Server {
    settings: ServerSettings,
    public: bool,
    /// The routes with health, reflection and the layers, shared by both ways in.
    router: axum::Router,
    health: tonic_health::server::HealthReporter,
    /// Health alone in plaintext on `health_listen`, bound from the start (a probe
    /// may ask as soon as the process says it is ready); stops with the server.
    _health_only: Option<AbortOnDrop>,
    names: Vec<String>,
    database: Option<crate::db::Database>,
    drain_begun: tokio::sync::watch::Sender<bool>,
}

impl Server {
    /// Prepares `routes` as the server of `service_names` (SERVING from now on).
    pub async fn new(
        settings: &ServerSettings,
        access: Access,
        routes: Routes,
        service_names: &[&str],
        database: Option<&crate::db::Database>,
    ) -> Result<Self, ServeError> {
        let (health, health_service) = tonic_health::server::health_reporter();
        for name in service_names {
            health
                .set_service_status(*name, ServingStatus::Serving)
                .await;
        }
        let health_only = match settings.health_listen {
            Some(at) => Some(AbortOnDrop(
                serve_health_only(at, Routes::new(health_service.clone())).await?,
            )),
            None => None,
        };
        let routes = routes
            .add_service(health_service)
            .add_service(reflection().build_v1()?)
            .add_service(reflection().build_v1alpha()?);
        // Told to every call (its request's extensions), so long-lived streams end when
        // the drain begins rather than hold the server until the drain times out.
        let (drain_begun, drain_seen) = tokio::sync::watch::channel(false);
        let public = matches!(access, Access::Public);
        // Outermost the drain signal, then the timing and status of the call as
        // answered, then the zh-CN message of tonic's own refusals, then the identity
        // check.
        let layers = ServiceBuilder::new()
            .map_request(move |mut request: http::Request<axum::body::Body>| {
                request
                    .extensions_mut()
                    .insert(crate::follow::Draining(drain_seen.clone()));
                request
            })
            .layer(crate::metrics::RpcMetricsLayer::for_services(service_names))
            .layer(crate::localize_layer::LocalizeLayer)
            .option_layer(match access {
                Access::Internal(verifier) => Some(IdentityLayer::new(*verifier)),
                Access::Public => None,
            })
            // The routes answer with axum's body; the layers above speak tonic's.
            .map_response(|response: http::Response<axum::body::Body>| {
                response.map(tonic::body::Body::new)
            });
        Ok(Self {
            settings: settings.clone(),
            public,
            router: routes.prepare().into_axum_router().layer(layers),
            health,
            _health_only: health_only,
            names: service_names.iter().map(|s| (*s).to_owned()).collect(),
            database: database.cloned(),
            drain_begun,
        })
    }

    /// The server in this process: calls go through the same layers as calls over
    /// the network, in a span of their own, within the request timeout.
    pub fn local(&self) -> crate::local::LocalService {
        crate::local::LocalService::new(
            self.router.clone(),
            Duration::from_secs(self.settings.request_timeout_secs),
        )
    }

    /// Serves on `listener` until `shutdown` resolves, then drains for at most
    /// `drain_timeout_secs`.
    pub async fn serve(
        self,
        listener: impl Into<Listener>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let Self {
            settings,
            public,
            router,
            health,
            _health_only,
            names,
            database,
            drain_begun,
        } = self;
        let draining = Arc::new(Notify::new());
        let stopping = Arc::new(AtomicBool::new(false));
        let probe = database.map(|db| {
            crate::health_probe::spawn(
                db,
                health.clone(),
                names.clone(),
                Duration::from_millis(settings.health_probe_ms.max(1)),
                stopping.clone(),
            )
        });
        let signal = {
            let draining = draining.clone();
            async move {
                shutdown.await;
                stopping.store(true, Ordering::SeqCst);
                health
                    .set_service_status("", ServingStatus::NotServing)
                    .await;
                for name in &names {
                    health
                        .set_service_status(name, ServingStatus::NotServing)
                        .await;
                }
                let _ = drain_begun.send(true);
                draining.notify_one();
            }
        };

        // The gateway also takes HTTP/1.1: JSON and gRPC-Web callers.
        let router = tonic::transport::Server::builder()
            .accept_http1(public)
            .timeout(Duration::from_secs(settings.request_timeout_secs))
            .concurrency_limit_per_connection(settings.concurrency_per_connection)
            // A caller gone without closing (no FIN: a dropped mobile link, a vanished
            // host) is noticed within 80 s, and its open streams end (the gateway counts
            // them per caller).
            .http2_keepalive_interval(Some(Duration::from_secs(60)))
            .http2_keepalive_timeout(Some(Duration::from_secs(20)))
            .trace_fn(|request| crate::call_span::rpc_span(request.uri().path(), request.headers()))
            .add_routes(Routes::from(router));
        let server: std::pin::Pin<
            Box<dyn Future<Output = Result<(), tonic::transport::Error>> + Send>,
        > = match listener.into() {
            Listener::Plain(listener) => Box::pin(router.serve_with_incoming_shutdown(
                TcpIncoming::from(listener).with_nodelay(Some(true)),
                signal,
            )),
            Listener::Tls(listener, tls) => {
                Box::pin(router.serve_with_incoming_shutdown(tls.incoming(listener), signal))
            }
        };

        let drain_timeout = Duration::from_secs(settings.drain_timeout_secs);
        let _probe = probe.map(AbortOnDrop);
        tokio::select! {
            result = server => result?,
            () = async {
                draining.notified().await;
                tokio::time::sleep(drain_timeout).await;
            } => {
                tracing::warn!(?drain_timeout, "drain timed out; closing remaining calls");
            }
        }
        Ok(())
    }
}

/// Serves `health` alone, in plaintext, on `at`.
async fn serve_health_only(
    at: std::net::SocketAddr,
    health: Routes,
) -> Result<tokio::task::JoinHandle<()>, ServeError> {
    let listener = TcpListener::bind(at)
        .await
        .map_err(|err| ServeError::Setup(format!("health_listen {at}: {err}").into()))?;
    tracing::info!(addr = %listener.local_addr().map_or(at, |a| a), "health served in plaintext");
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    Ok(tokio::spawn(async move {
        if let Err(err) = tonic::transport::Server::builder()
            .add_routes(health)
            .serve_with_incoming(incoming)
            .await
        {
            tracing::warn!(error = %err, "health listener stopped");
        }
    }))
}

/// Stops a background task when the server stops.
#[derive(Debug)]
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(wenming_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
}
