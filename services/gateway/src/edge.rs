//! What reaches the gateway's public address, by content type: gRPC goes to the proxy,
//! gRPC-Web (browsers) is turned into gRPC first, and anything else is a JSON call on a
//! route of the contracts. Browsers' cross-origin calls are answered with CORS headers
//! for the origins of the allow-list only.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower::Service;
use wenming_runtime::metrics::NoteStatus;

use crate::proxy::Proxy;
use crate::transcode::Transcoder;

type Response = http::Response<tonic::body::Body>;

/// The public entry's service.
#[derive(Clone, Debug)]
pub struct Edge {
    proxy: Proxy,
    grpc_web: tonic_web::GrpcWebService<NoteStatus<Proxy>>,
    json: Arc<Transcoder>,
}

impl Edge {
    /// The entry in front of `proxy`, reading JSON bodies up to `max_body` bytes.
    pub fn new(proxy: Proxy, max_body: usize) -> Result<Self, String> {
        Ok(Self {
            // The call's status, which gRPC-Web answers inside the body, noted for the
            // metrics.
            grpc_web: tower::Layer::layer(
                &tonic_web::GrpcWebLayer::new(),
                NoteStatus::new(proxy.clone()),
            ),
            json: Arc::new(Transcoder::from_contracts(max_body)?),
            proxy,
        })
    }
}

impl Service<http::Request<axum::body::Body>> for Edge {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<axum::body::Body>) -> Self::Future {
        let content_type = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if content_type.starts_with("application/grpc-web") {
            let call = self.grpc_web.call(request);
            Box::pin(call)
        } else if content_type.starts_with("application/grpc") {
            self.proxy.call(request)
        } else {
            let (json, proxy) = (self.json.clone(), self.proxy.clone());
            Box::pin(async move { Ok(json.call(&proxy, request).await) })
        }
    }
}

/// The CORS answers for `origins` (none: no cross-origin call is allowed): the headers
/// gRPC-Web and JSON callers send, and the gRPC status headers they read.
pub fn cors(origins: &[String]) -> Result<Option<tower_http::cors::CorsLayer>, String> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return Ok(None);
    }
    let origins = origins
        .iter()
        .map(|o| http::HeaderValue::from_str(o).map_err(|_| format!("gateway.cors_origins: {o}")))
        .collect::<Result<Vec<_>, _>>()?;
    let names = |list: &[&'static str]| {
        list.iter()
            .map(|n| http::HeaderName::from_static(n))
            .collect::<Vec<_>>()
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([http::Method::GET, http::Method::POST])
            .allow_headers(names(&[
                "authorization",
                "content-type",
                "grpc-timeout",
                "x-grpc-web",
                "x-user-agent",
                "traceparent",
            ]))
            .expose_headers(names(&[
                "grpc-status",
                "grpc-message",
                "grpc-status-details-bin",
            ]))
            .max_age(std::time::Duration::from_secs(600)),
    ))
}
