//! Another service of the suite as a service calls it: every replica its URLs resolve
//! to, calls spread over them as the gateway spreads its own ([`crate::balance`]), as
//! the transport of tonic's generated clients. One HTTP/2 connection to one replica (a
//! tonic `Channel` to a name) would send all of a service's calls to whichever replica
//! the name first resolved to. Unlike a Channel's, a call no replica takes is always
//! UNAVAILABLE, where a Channel could also answer CANCELLED for a stream reset under it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::balance::Replicas;

/// A cloneable handle on the replicas of one service.
#[derive(Clone, Debug)]
pub struct Upstream(Arc<Replicas>);

impl Upstream {
    /// The service at `urls` (one URL or several, separated by commas), over `tls` (the
    /// suite's mutual TLS; then the URLs are `https://`). Nothing is resolved or
    /// connected before the first call: a service that is down answers UNAVAILABLE
    /// when called, it does not stop the caller from starting.
    pub fn new(urls: &str, tls: Option<Arc<rustls::ClientConfig>>) -> Result<Self, String> {
        Ok(Self(Arc::new(Replicas::parse(urls, tls)?)))
    }
}

impl tower::Service<http::Request<tonic::body::Body>> for Upstream {
    type Response = http::Response<hyper::body::Incoming>;
    type Error = tonic::Status;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, tonic::Status>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness is per replica, decided when the call is sent.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let replicas = self.0.clone();
        Box::pin(async move {
            replicas
                .send(request)
                .await
                .map_err(|err| tonic::Status::unavailable(err.to_string()))
        })
    }
}
