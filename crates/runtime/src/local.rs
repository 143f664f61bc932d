//! A server reached from inside its own process: `wenming up`'s gateway hands a call to
//! the service's routes directly, without a socket or a second HTTP/2 encoding. The
//! call goes through the same layers as one from the network (drain signal, metrics,
//! zh-CN refusals, the identity check), in a span that is a child of the caller's (no
//! `traceparent` is written or read: the caller's span is the current one), within
//! the caller's `grpc-timeout` and the server's request timeout, as tonic's server
//! would apply them. What only a connection has (TLS, the per-connection concurrency
//! limit, HTTP/2 flow control) does not apply.

use std::time::Duration;

use tower::ServiceExt as _;
use tracing::Instrument as _;

/// A server's routes, callable in process.
#[derive(Clone, Debug)]
pub struct LocalService {
    router: axum::Router,
    timeout: Duration,
}

impl LocalService {
    pub(crate) fn new(router: axum::Router, timeout: Duration) -> Self {
        Self { router, timeout }
    }

    /// Answers `request` (a gRPC call: path, headers, framed body) as the server would.
    pub async fn call(
        &self,
        request: http::Request<axum::body::Body>,
    ) -> http::Response<tonic::body::Body> {
        let span = crate::call_span::local_rpc_span(request.uri().path());
        let asked = request
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(crate::onward::parse_grpc_timeout);
        let within = asked.map_or(self.timeout, |asked| asked.min(self.timeout));
        let answer = self.router.clone().oneshot(request);
        match tokio::time::timeout(within, answer).instrument(span).await {
            Ok(Ok(response)) => response.map(tonic::body::Body::new),
            Ok(Err(never)) => match never {},
            // What tonic's server answers when its timeout expires.
            Err(_) => tonic::Status::cancelled("Timeout expired").into_http(),
        }
    }
}
