//! The tower layer that times every call a server answers and reads its gRPC status:
//! from the headers of a trailers-only answer (a refusal), else from the trailers at
//! the end of the body. The status goes to the call's duration histogram and onto the
//! call's span (`rpc.grpc.status_code`, and `otel.status_code = ERROR` for the codes
//! the OpenTelemetry conventions count as server errors).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;

use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use prost::Message as _;
use tower::{Layer, Service};

use super::noted_status::{StatusSlot, status_in};

/// gRPC's CANCELLED: the caller went away before the answer ended.
const CANCELLED: i32 = 1;
/// gRPC's UNKNOWN: an answer that ended without a status.
const UNKNOWN: i32 = 2;

/// Times the calls of the server named `server`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RpcMetricsLayer {
    server: &'static str,
}

impl RpcMetricsLayer {
    /// For the server answering the gRPC services `service_names` (the first names it:
    /// `wenming.registry.v1.RegistryService` is `registry`).
    pub(crate) fn for_services(service_names: &[&str]) -> Self {
        let first = service_names.first().copied().unwrap_or("");
        let short = first
            .strip_prefix("wenming.")
            .and_then(|rest| rest.split('.').next())
            .unwrap_or(first);
        Self {
            server: intern(short),
        }
    }
}

impl<S> Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics {
            inner,
            server: self.server,
        }
    }
}

/// The service made by [`RpcMetricsLayer`].
#[derive(Clone, Debug)]
pub(crate) struct RpcMetrics<S> {
    inner: S,
    server: &'static str,
}

impl<S, B, R> Service<http::Request<B>> for RpcMetrics<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    R: Body + Unpin + Send + 'static,
{
    type Response = http::Response<ObservedBody<R>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let server = self.server;
        let method = service_and_method(request.uri().path());
        // A browser's CORS preflight is no call of an RPC.
        let preflight = request.method() == http::Method::OPTIONS;
        // gRPC-Web carries the status inside the body: noted for us inside the
        // translation.
        let slot = is_grpc_web(request.headers()).then(StatusSlot::default);
        if let Some(slot) = &slot {
            request.extensions_mut().insert(slot.clone());
        }
        let started = Instant::now();
        let response = self.inner.call(request);
        Box::pin(async move {
            // tonic enters the call's span when it polls this future, not around `call`.
            let span = tracing::Span::current();
            let response = response.await?;
            if preflight {
                return Ok(response.map(|inner| ObservedBody {
                    inner,
                    observer: None,
                }));
            }
            let mut observer = Observer {
                server,
                method,
                started,
                span,
                slot,
                done: false,
            };
            if let Some(answered) = response.extensions().get::<Answered>() {
                observer.method = answered.method;
                observer.finish(answered.code);
            } else if let Some(code) = status_in(response.headers()) {
                observer.finish(code);
            }
            Ok(response.map(|inner| ObservedBody {
                inner,
                observer: Some(observer).filter(|o| !o.done),
            }))
        })
    }
}

/// Set on an answer a server gives in another form than gRPC (the gateway's JSON
/// calls, whose path is a URL of their own and whose answer has no `grpc-status`): the
/// RPC the call was turned into and the status it ended with, which the metrics and the
/// call's span take instead.
#[derive(Clone, Copy, Debug)]
pub struct Answered {
    method: (&'static str, &'static str),
    code: i32,
}

impl Answered {
    /// A call that ended with `code`, not (yet) known as any RPC (`_OTHER`).
    pub fn with_code(code: tonic::Code) -> Self {
        Self {
            method: OTHER,
            code: code as i32,
        }
    }

    /// The same, as the call of the RPC at `rpc_path` (`package.Service/Method`, with or
    /// without the leading slash).
    #[must_use]
    pub fn of_rpc(self, rpc_path: &str) -> Self {
        Self {
            method: service_and_method(rpc_path),
            ..self
        }
    }
}

/// A response body that reports the call when its trailers pass (or it is dropped).
#[derive(Debug)]
pub(crate) struct ObservedBody<R> {
    inner: R,
    observer: Option<Observer>,
}

impl<R: Body + Unpin> Body for ObservedBody<R> {
    type Data = R::Data;
    type Error = R::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        let code = match &polled {
            Poll::Ready(Some(Ok(frame))) => frame
                .trailers_ref()
                .map(|t| status_in(t).unwrap_or(UNKNOWN)),
            Poll::Ready(Some(Err(_))) => Some(UNKNOWN),
            // Ended without trailers: the status noted inside a translation, if any.
            Poll::Ready(None) => Some(
                this.observer
                    .as_ref()
                    .and_then(|o| o.slot.as_ref()?.noted())
                    .unwrap_or(UNKNOWN),
            ),
            Poll::Pending => None,
        };
        if let Some(code) = code
            && let Some(mut observer) = this.observer.take()
        {
            observer.finish(code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<R> Drop for ObservedBody<R> {
    fn drop(&mut self) {
        if let Some(mut observer) = self.observer.take() {
            // A status noted inside a translation means the answer was whole (hyper
            // stops at a gRPC-Web body's end without asking for more); none, that the
            // caller went away.
            let noted = observer.slot.as_ref().and_then(StatusSlot::noted);
            observer.finish(noted.unwrap_or(CANCELLED));
        }
    }
}

#[derive(Debug)]
struct Observer {
    server: &'static str,
    /// The call's service and method, as labels.
    method: (&'static str, &'static str),
    started: Instant,
    span: tracing::Span,
    /// Where a gRPC-Web call's status is noted.
    slot: Option<StatusSlot>,
    done: bool,
}

impl Observer {
    fn finish(&mut self, code: i32) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        super::record_call(
            self.server,
            self.method,
            code,
            self.started.elapsed().as_secs_f64(),
        );
        // Straight to the OpenTelemetry span: as fields of the tracing span they would be
        // formatted for log lines too, on every call, for lines that do not come after.
        use tracing_opentelemetry::OpenTelemetrySpanExt as _;
        self.span
            .set_attribute("rpc.grpc.status_code", i64::from(code));
        if is_server_error(code) {
            self.span
                .set_status(opentelemetry::trace::Status::error(""));
        }
    }
}

/// The codes a server span counts as errors (OpenTelemetry's gRPC conventions):
/// UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS.
fn is_server_error(code: i32) -> bool {
    matches!(code, 2 | 4 | 12 | 13 | 14 | 15)
}

/// Whether a request is gRPC-Web (`application/grpc-web`, `…+proto`, `-text`).
fn is_grpc_web(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc-web"))
}

/// The labels of a call no served proto declares.
const OTHER: (&str, &str) = ("_OTHER", "_OTHER");

/// The service and method of a call's path, or `_OTHER` for a path no served proto
/// declares (so that a caller cannot mint label values). A lookup, no allocation: it
/// runs on every call.
pub(super) fn service_and_method(path: &str) -> (&'static str, &'static str) {
    known_methods()
        .get(path.trim_start_matches('/'))
        .copied()
        .unwrap_or(OTHER)
}

/// Every declared "service/method", with its two halves kept for the life of the
/// process (label values must be `'static`; the set is fixed at build time).
fn known_methods() -> &'static HashMap<String, (&'static str, &'static str)> {
    static KNOWN: OnceLock<HashMap<String, (&'static str, &'static str)>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut paths: Vec<String> = [
            "grpc.health.v1.Health/Check",
            "grpc.health.v1.Health/Watch",
            "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        if let Ok(set) = prost_types::FileDescriptorSet::decode(wenming_proto::FILE_DESCRIPTOR_SET)
        {
            for file in &set.file {
                let package = file.package();
                for service in &file.service {
                    for method in &service.method {
                        paths.push(format!("{package}.{}/{}", service.name(), method.name()));
                    }
                }
            }
        }
        paths
            .into_iter()
            .filter_map(|path| {
                let (service, method) = path.split_once('/')?;
                let halves = (intern(service), intern(method));
                Some((path, halves))
            })
            .collect()
    })
}

/// A server name kept for the life of the process (a label value must be `'static`).
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<std::sync::Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_declared_methods_become_labels() {
        assert_eq!(
            service_and_method("/wenming.registry.v1.RegistryService/VerifyTitle"),
            ("wenming.registry.v1.RegistryService", "VerifyTitle")
        );
        assert_eq!(
            service_and_method("/grpc.health.v1.Health/Check").1,
            "Check"
        );
        for made_up in [
            "/wenming.registry.v1.RegistryService/Nope",
            "/x/y",
            "/",
            "/../../etc",
        ] {
            assert_eq!(service_and_method(made_up).0, "_OTHER", "{made_up}");
        }
    }

    #[test]
    fn servers_are_named_by_their_package() {
        let layer = RpcMetricsLayer::for_services(&["wenming.registry.v1.RegistryService"]);
        assert_eq!(layer.server, "registry");
        let layer = RpcMetricsLayer::for_services(&["wenming.gateway.v1.Gateway"]);
        assert_eq!(layer.server, "gateway");
    }
}
