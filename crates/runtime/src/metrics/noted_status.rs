//! The gRPC status of a call the metrics layer sees only translated: a gRPC-Web answer
//! carries its status inside the body, where the metrics layer (outside the
//! translation) does not look. The metrics layer gives such a call a [`StatusSlot`];
//! [`NoteStatus`], inside the translation, writes the status it sees into it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::task::{Context, Poll};

use http_body::{Body, Frame, SizeHint};
use tower::Service;

use http::HeaderMap;

/// The gRPC status in `headers` (a trailers-only answer's, or trailers).
pub(super) fn status_in(headers: &HeaderMap) -> Option<i32> {
    headers.get("grpc-status")?.to_str().ok()?.parse().ok()
}

/// No status noted yet.
const NONE: i32 = -1;

/// Where the status of one call is noted (a request extension).
#[derive(Clone, Debug)]
pub struct StatusSlot(Arc<AtomicI32>);

impl Default for StatusSlot {
    fn default() -> Self {
        Self(Arc::new(AtomicI32::new(NONE)))
    }
}

impl StatusSlot {
    fn note(&self, code: i32) {
        self.0.store(code, Ordering::Release);
    }

    /// The status noted, if any.
    pub(super) fn noted(&self) -> Option<i32> {
        Some(self.0.load(Ordering::Acquire)).filter(|code| *code != NONE)
    }
}

type Body_ = tonic::body::Body;

/// Notes the gRPC status of the calls `S` answers in their [`StatusSlot`] (calls
/// without one pass untouched).
#[derive(Clone, Debug)]
pub struct NoteStatus<S>(S);

impl<S> NoteStatus<S> {
    /// Notes what `inner` answers.
    pub fn new(inner: S) -> Self {
        Self(inner)
    }
}

impl<S> Service<http::Request<Body_>> for NoteStatus<S>
where
    S: Service<http::Request<Body_>, Response = http::Response<Body_>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body_>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body_>) -> Self::Future {
        let slot = request.extensions().get::<StatusSlot>().cloned();
        let answer = self.0.call(request);
        Box::pin(async move {
            let response = answer.await?;
            let Some(slot) = slot else {
                return Ok(response);
            };
            // A refusal before any message has its status in the headers.
            if let Some(code) = status_in(response.headers()) {
                slot.note(code);
            }
            Ok(response.map(|inner| Body_::new(NotedBody { inner, slot })))
        })
    }
}

/// A body that notes the status in its trailers as they pass.
struct NotedBody {
    inner: Body_,
    slot: StatusSlot,
}

impl Body for NotedBody {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(code) = frame.trailers_ref().and_then(status_in)
        {
            self.slot.note(code);
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
