//! Tower layer that gives a zh-CN message to the refusals no service wrote: those tonic
//! answers itself (a request over the size limit, a message it cannot decode, a call
//! past the server's timeout). Every status a service or the gateway builds already
//! carries its details, which this leaves alone.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::HeaderMap;
use tonic::{Code, Status};
use tower::{Layer, Service};

use crate::catalogue::common::status as texts;

/// Adds the zh-CN message to a refusal that has no details.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalizeLayer;

impl<S> Layer<S> for LocalizeLayer {
    type Service = LocalizeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LocalizeService { inner }
    }
}

/// The service made by [`LocalizeLayer`].
#[derive(Clone, Debug)]
pub struct LocalizeService<S> {
    inner: S,
}

impl<S, B, R> Service<http::Request<B>> for LocalizeService<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let response = self.inner.call(request);
        Box::pin(async move {
            let mut response = response.await?;
            localize(response.headers_mut());
            Ok(response)
        })
    }
}

/// Rewrites a trailers-only refusal without details into one with the zh-CN message.
fn localize(headers: &mut HeaderMap) {
    if headers.contains_key("grpc-status-details-bin") {
        return;
    }
    let Some(status) = Status::from_header_map(headers) else {
        return;
    };
    if status.code() == Code::InvalidArgument
        && let Some(field) = wenming_proto::codec::undecodable_field(status.message())
    {
        let _ = crate::status::undecodable(field, status.message().to_owned()).add_header(headers);
        return;
    }
    let zh_cn = match status.code() {
        Code::Ok => return,
        Code::Cancelled | Code::DeadlineExceeded => texts::TIMEOUT,
        Code::ResourceExhausted | Code::OutOfRange => texts::TOO_LARGE,
        Code::InvalidArgument => texts::UNREADABLE,
        Code::Unimplemented => texts::UNIMPLEMENTED,
        Code::Unavailable => texts::UNAVAILABLE,
        Code::Unauthenticated => texts::NO_IDENTITY,
        _ => texts::INTERNAL,
    };
    let localized = crate::status::plain(status.code(), status.message().to_owned(), zh_cn);
    let _ = localized.add_header(headers);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_refusal_gets_its_chinese_message_and_a_detailed_one_is_kept() {
        let mut headers = HeaderMap::new();
        Status::out_of_range("decoded message length too large")
            .add_header(&mut headers)
            .unwrap();
        localize(&mut headers);
        let status = Status::from_header_map(&headers).unwrap();
        assert_eq!(status.code(), Code::OutOfRange);
        assert_eq!(
            crate::status::zh_cn_of(&status).as_deref(),
            Some(texts::TOO_LARGE)
        );

        let mut headers = HeaderMap::new();
        crate::status::plain(Code::NotFound, "x", "未找到")
            .add_header(&mut headers)
            .unwrap();
        localize(&mut headers);
        let status = Status::from_header_map(&headers).unwrap();
        assert_eq!(crate::status::zh_cn_of(&status).as_deref(), Some("未找到"));
    }
}
