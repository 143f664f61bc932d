//! Tower layer that verifies the internal identity of every call before it reaches a
//! service. Health and reflection stay open, so probes and tools work without one.

use std::task::{Context, Poll};

use futures::future::{Either, Ready, ready};
use tonic::Status;
use tower::{Layer, Service};
use wenming_authz::{IDENTITY_HEADER, IdentityError, IdentityVerifier, Scope};

/// Paths served without an identity.
const OPEN_PREFIXES: [&str; 2] = ["/grpc.health.v1.Health/", "/grpc.reflection."];

/// Adds the verified [`Scope`] to the request extensions, or answers UNAUTHENTICATED.
#[derive(Clone, Debug)]
pub struct IdentityLayer {
    verifier: IdentityVerifier,
}

impl IdentityLayer {
    /// A layer verifying with `verifier`.
    pub fn new(verifier: IdentityVerifier) -> Self {
        Self { verifier }
    }
}

impl<S> Layer<S> for IdentityLayer {
    type Service = IdentityService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        IdentityService {
            inner,
            verifier: self.verifier.clone(),
        }
    }
}

/// The service made by [`IdentityLayer`].
#[derive(Clone, Debug)]
pub struct IdentityService<S> {
    inner: S,
    verifier: IdentityVerifier,
}

impl<S, B> Service<http::Request<B>> for IdentityService<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Either<S::Future, Ready<Result<Self::Response, Self::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let path = request.uri().path();
        if OPEN_PREFIXES.iter().any(|prefix| path.starts_with(prefix)) {
            return Either::Left(self.inner.call(request));
        }
        let verified = request
            .headers()
            .get(IDENTITY_HEADER)
            .ok_or(IdentityError::Missing)
            .and_then(|value| {
                value
                    .to_str()
                    .map_err(|_| IdentityError::Invalid("not ASCII".into()))
            })
            .and_then(|token| self.verifier.verify(token));
        match verified {
            Ok(scope) => {
                request.extensions_mut().insert(scope);
                Either::Left(self.inner.call(request))
            }
            Err(err) => {
                tracing::warn!(path, error = %err, "call refused: no valid internal identity");
                Either::Right(ready(Ok(crate::status::plain(
                    tonic::Code::Unauthenticated,
                    err.to_string(),
                    crate::catalogue::common::status::NO_IDENTITY,
                )
                .into_http())))
            }
        }
    }
}

/// The verified scope of a request that passed [`IdentityLayer`].
pub fn scope_of<T>(request: &tonic::Request<T>) -> Result<Scope, Status> {
    request.extensions().get::<Scope>().cloned().ok_or_else(|| {
        crate::status::plain(
            tonic::Code::Unauthenticated,
            "the call carries no internal identity",
            crate::catalogue::common::status::NO_IDENTITY,
        )
    })
}
