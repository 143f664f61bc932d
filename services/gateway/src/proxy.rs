//! Forwarding: every call that is not the gateway's own health or reflection is
//! authenticated, checked against the policy, and passed to its service with a signed
//! internal identity in place of the external token. The message bytes are not decoded.

use std::collections::HashSet;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::HeaderValue;
use quick_cache::sync::Cache;
use tonic::{Code, Status};
use wenming_runtime::catalogue::{LOCALE, render};
use wenming_runtime::status;

use crate::messages;
use tower::Service;
use wenming_authz::{IDENTITY_HEADER, IdentitySigner, Principal, Role};

use crate::limits::{Limiter, RateLimits};
use crate::{Authenticator, Policy};
use wenming_runtime::balance::Replicas;

/// Where calls to one gRPC service go.
#[derive(Clone, Debug)]
pub struct Backend {
    /// Fully qualified service name, e.g. `wenming.registry.v1.RegistryService`.
    pub service: String,
    /// How an official names the service (its refusals name it so).
    label_zh: String,
    target: Target,
}

/// How a backend is reached.
#[derive(Clone, Debug)]
enum Target {
    /// Over the network: the replicas of the service, an HTTP/2 connection each.
    Remote(Arc<Replicas>),
    /// In this process (`wenming up`): its routes, called directly.
    Local(wenming_runtime::local::LocalService),
}

impl Backend {
    /// Calls to `service` go to `urls`: one URL (`http://host:port`) or several,
    /// separated by commas. Every address a URL's host resolves to is a replica, with
    /// an HTTP/2 connection of its own opened on first use and again after a failure;
    /// calls are spread over the replicas (see `balance`), and a backend none of whose
    /// replicas answers is UNAVAILABLE, not a hang. With `tls` (the suite's mutual TLS)
    /// the URLs are `https://` and the gateway presents its client certificate.
    pub fn new(
        service: impl Into<String>,
        urls: &str,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Result<Self, String> {
        let service = service.into();
        Ok(Self {
            label_zh: service.clone(),
            service,
            target: Target::Remote(Arc::new(Replicas::parse(urls, tls)?)),
        })
    }

    /// Calls to `service` go to `local`, a service of this process: the same
    /// authentication, policy, limits and identity, then its routes without a socket.
    pub fn local(service: impl Into<String>, local: wenming_runtime::local::LocalService) -> Self {
        let service = service.into();
        Self {
            label_zh: service.clone(),
            service,
            target: Target::Local(local),
        }
    }

    /// The same backend, named `label` in the gateway's zh-CN refusals.
    #[must_use]
    pub fn labelled(mut self, label: &str) -> Self {
        label.clone_into(&mut self.label_zh);
        self
    }
}

/// The forwarding service.
#[derive(Clone, Debug)]
pub struct Proxy {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    authn: Authenticator,
    policy: Policy,
    limiter: Option<Limiter>,
    signer: IdentitySigner,
    /// Internal identities by subject, reused while young: signing costs more than the
    /// rest of the gateway's own work per call.
    identities: Cache<(String, Role), (Instant, HeaderValue)>,
    /// Backends by fully qualified service name.
    backends: std::collections::HashMap<String, Backend>,
    /// Every RPC of the wenming contracts ("package.Service/Method"): other paths are
    /// refused before the policy, so random paths cannot fill its caches.
    known_rpcs: HashSet<String>,
    /// Those of them that answer with a stream (bounded per caller while open).
    streaming_rpcs: HashSet<String>,
    default_timeout: Duration,
}

/// How long a signed internal identity is reused (it lives 60 s; services allow 5 s of
/// skew, so a reused one always has more than 25 s left).
const IDENTITY_REUSE: Duration = Duration::from_secs(30);

impl Proxy {
    /// A proxy to `backends`; `limits` of `None` turns rate limiting off (benchmarks).
    pub fn new(
        authn: Authenticator,
        policy: Policy,
        limits: Option<&RateLimits>,
        signer: IdentitySigner,
        backends: Vec<Backend>,
        default_timeout: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                authn,
                policy,
                limiter: limits.map(Limiter::new),
                signer,
                identities: Cache::new(10_000),
                backends: backends
                    .into_iter()
                    .map(|backend| (backend.service.clone(), backend))
                    .collect(),
                known_rpcs: rpcs(|_| true),
                streaming_rpcs: rpcs(|method| method.server_streaming()),
                default_timeout,
            }),
        }
    }
}

type Response = http::Response<tonic::body::Body>;

impl Proxy {
    /// Authenticates, checks and forwards one gRPC call (JSON calls come here once
    /// transcoded); `Err` is the gateway's own refusal.
    pub(crate) async fn forward(
        &self,
        request: http::Request<axum::body::Body>,
    ) -> Result<Response, Status> {
        self.inner.forward(request).await
    }
}

/// gRPC calls arrive with axum's body type, gRPC-Web calls (once turned into gRPC)
/// with tonic's: any HTTP body goes.
impl<B> Service<http::Request<B>> for Proxy
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let inner = self.inner.clone();
        let request = request.map(axum::body::Body::new);
        Box::pin(async move {
            Ok(inner
                .forward(request)
                .await
                .unwrap_or_else(Status::into_http))
        })
    }
}

impl Inner {
    async fn forward(&self, request: http::Request<axum::body::Body>) -> Result<Response, Status> {
        let rpc = request.uri().path().trim_start_matches('/').to_owned();
        // Kept as an address; formatted only when a refusal is logged.
        let peer = Peer::of(&request);
        let authorization = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let principal = self.authn.authenticate(authorization).map_err(|err| {
            tracing::warn!(target: "wenming::denial", %peer, %rpc, reason = %err, "unauthenticated call refused");
            status::plain(Code::Unauthenticated, err.to_string(), messages::auth_zh(&err))
        })?;
        if let Some(limiter) = &self.limiter
            && let Err(wait) = limiter.check(&principal)
        {
            tracing::warn!(target: "wenming::denial", %peer, subject = %principal.subject, %rpc, ?wait, "rate limit");
            return Err(rate_limited(&principal, wait));
        }
        if !self.known_rpcs.contains(&rpc) {
            return Err(unknown_rpc(&rpc));
        }
        let (service, method) = rpc.split_once('/').unwrap_or((rpc.as_str(), ""));
        let backend = self
            .backends
            .get(service)
            .ok_or_else(|| unknown_rpc(&rpc))?;
        if !self.policy.allows(&principal, &rpc) {
            deny(&principal, &rpc, &peer);
            return Err(policy_denied(&principal, &rpc, &backend.label_zh, method));
        }
        // Held by the answer's body: released when the stream ends or the caller leaves.
        let stream_permit = match &self.limiter {
            Some(limiter) if self.streaming_rpcs.contains(&rpc) => {
                Some(limiter.open_stream(&principal).map_err(|max| {
                    tracing::warn!(target: "wenming::denial", %peer, subject = %principal.subject, %rpc, max, "open stream limit");
                    too_many_streams(&principal, max)
                })?)
            }
            _ => None,
        };

        let (mut parts, body) = request.into_parts();
        // The external token stops here; the service trusts only the internal identity,
        // and a client-supplied one is never passed on.
        parts.headers.remove(http::header::AUTHORIZATION);
        parts
            .headers
            .insert(IDENTITY_HEADER, self.identity(&principal)?);
        if !parts.headers.contains_key("grpc-timeout") {
            let millis = self.default_timeout.as_millis();
            parts.headers.insert(
                "grpc-timeout",
                HeaderValue::from_str(&format!("{millis}m"))
                    .map_err(|_| status::internal(&"timeout header"))?,
            );
        }
        let response = match &backend.target {
            Target::Local(local) => local.call(http::Request::from_parts(parts, body)).await,
            Target::Remote(replicas) => {
                // The service's span continues this one (without a tracing layer the
                // caller's trace headers pass through unchanged). A local call's span is
                // a child of this one without them.
                wenming_runtime::trace_context::inject_current(&mut parts.headers);
                let request = http::Request::from_parts(parts, tonic::body::Body::new(body));
                let response = replicas.send(request).await.map_err(|err| {
                    tracing::warn!(service, error = %err, "backend unavailable");
                    status::plain(
                        Code::Unavailable,
                        format!("{service} is unavailable"),
                        render(
                            messages::BACKEND_UNAVAILABLE,
                            &[("service", backend.label_zh.clone())],
                        ),
                    )
                })?;
                response.map(tonic::body::Body::new)
            }
        };
        Ok(match stream_permit {
            Some(permit) => response.map(|body| {
                use http_body_util::BodyExt as _;
                tonic::body::Body::new(body.map_frame(move |frame| {
                    let _held = &permit;
                    frame
                }))
            }),
            None => response,
        })
    }
}

/// The RPCs of the compiled wenming contracts whose method is `wanted`.
fn rpcs(wanted: impl Fn(&prost_types::MethodDescriptorProto) -> bool + Copy) -> HashSet<String> {
    use prost::Message as _;
    let Ok(set) = prost_types::FileDescriptorSet::decode(wenming_proto::FILE_DESCRIPTOR_SET) else {
        return HashSet::new();
    };
    set.file
        .iter()
        .filter(|file| file.package().starts_with("wenming."))
        .flat_map(|file| {
            file.service.iter().flat_map(move |service| {
                service
                    .method
                    .iter()
                    .filter(move |method| wanted(method))
                    .map(move |method| {
                        format!("{}.{}/{}", file.package(), service.name(), method.name())
                    })
            })
        })
        .collect()
}

/// The caller's address, for denial records.
struct Peer(Option<std::net::SocketAddr>);

impl Peer {
    /// The remote address of the request's connection, plain or TLS.
    fn of<B>(request: &http::Request<B>) -> Self {
        use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
        let extensions = request.extensions();
        Self(
            extensions
                .get::<TcpConnectInfo>()
                .or_else(|| {
                    extensions
                        .get::<TlsConnectInfo<TcpConnectInfo>>()
                        .map(TlsConnectInfo::get_ref)
                })
                .and_then(TcpConnectInfo::remote_addr),
        )
    }
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(addr) => addr.fmt(f),
            None => Ok(()),
        }
    }
}

/// RESOURCE_EXHAUSTED with how long to wait (RetryInfo) and whose budget (QuotaFailure).
fn rate_limited(principal: &Principal, wait: Duration) -> Status {
    use tonic_types::{ErrorDetails, StatusExt as _};
    let mut details = ErrorDetails::with_retry_info(Some(wait));
    details.add_quota_failure_violation(
        format!("subject:{}", principal.subject),
        "calls per second of one caller",
    );
    let wait_ms = wait.as_millis().max(1);
    details.set_localized_message(
        LOCALE,
        render(
            messages::RATE_LIMITED.zh_cn,
            &[("wait_ms", wait_ms.to_string())],
        ),
    );
    Status::with_error_details(
        tonic::Code::ResourceExhausted,
        format!("too many calls; retry in {wait_ms} ms"),
        details,
    )
}

impl Inner {
    /// The internal identity for `principal`: a recent one, or a fresh signature. Keyed
    /// by subject and role, so a subject whose token changes role gets a new one.
    fn identity(&self, principal: &Principal) -> Result<HeaderValue, Status> {
        let recent = self
            .identities
            .get(&crate::cache_key::PairRef(
                principal.subject.as_str(),
                &principal.role,
            ))
            .filter(|(at, _)| at.elapsed() < IDENTITY_REUSE);
        wenming_runtime::metrics::cache_lookup("gateway_identity", recent.is_some());
        if let Some((_, value)) = recent {
            return Ok(value);
        }
        let value = HeaderValue::from_str(&self.signer.sign(principal))
            .map_err(|_| status::internal(&"identity header"))?;
        self.identities.insert(
            (principal.subject.clone(), principal.role.clone()),
            (Instant::now(), value.clone()),
        );
        Ok(value)
    }
}

/// RESOURCE_EXHAUSTED: the caller holds as many open streams as it may (QuotaFailure).
fn too_many_streams(principal: &Principal, max: u32) -> Status {
    use tonic_types::{ErrorDetails, StatusExt as _};
    let mut details = ErrorDetails::new();
    details.add_quota_failure_violation(
        format!("subject:{}", principal.subject),
        "open server streams of one caller",
    );
    details.set_localized_message(
        LOCALE,
        render(
            messages::TOO_MANY_STREAMS.zh_cn,
            &[("max", max.to_string())],
        ),
    );
    Status::with_error_details(
        Code::ResourceExhausted,
        format!("at most {max} open streams per caller; close one first"),
        details,
    )
}

/// UNIMPLEMENTED for a path that is no RPC of the contracts.
fn unknown_rpc(rpc: &str) -> Status {
    status::plain(
        Code::Unimplemented,
        format!("no RPC {rpc}"),
        render(messages::UNKNOWN_RPC, &[("rpc", rpc.to_owned())]),
    )
}

/// PERMISSION_DENIED by the policy, naming the kind of caller and the RPC (in Chinese:
/// the service's name and the method).
fn policy_denied(principal: &Principal, rpc: &str, service_zh: &str, method: &str) -> Status {
    let mut details = tonic_types::ErrorDetails::with_error_info(
        "PERMISSION_DENIED",
        status::ERROR_DOMAIN,
        [("rule".to_owned(), messages::POLICY.name.to_owned())],
    );
    details.set_localized_message(
        LOCALE,
        render(
            messages::POLICY.zh_cn,
            &[
                ("caller", messages::caller_zh(principal)),
                ("service", service_zh.to_owned()),
                ("method", method.to_owned()),
            ],
        ),
    );
    use tonic_types::StatusExt as _;
    Status::with_error_details(
        Code::PermissionDenied,
        format!("{} may not call {rpc}", kind(principal)),
        details,
    )
}

fn kind(principal: &Principal) -> String {
    match &principal.role {
        wenming_authz::Role::Office { level, .. } => format!("a {} office", level.as_str()),
        wenming_authz::Role::ProvincialDirect => "the provincial-direct office".to_owned(),
        wenming_authz::Role::Unit { .. } => "a unit user".to_owned(),
        wenming_authz::Role::Platform { name, .. } => format!("platform {name}"),
    }
}

/// Every denial is logged under the `wenming::denial` target (the audit trail of refused
/// calls: who, what, when).
fn deny(principal: &Principal, rpc: &str, peer: &Peer) {
    tracing::warn!(
        target: "wenming::denial",
        %peer,
        subject = %principal.subject,
        caller = %kind(principal),
        %rpc,
        "call refused by policy"
    );
}
