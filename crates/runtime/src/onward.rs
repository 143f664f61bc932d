//! Calls a service makes to another on behalf of its caller carry what the caller sent:
//! the internal identity (so the other service applies the caller's scope, not a
//! broader one), the W3C trace context, and what is left of the caller's deadline.

use std::future::Future;
use std::time::{Duration, Instant};

use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue, MetadataMap};
use tonic::{Code, Status};
use wenming_authz::IDENTITY_HEADER;

/// Headers passed on unchanged.
const PASSED_ON: [&str; 3] = [IDENTITY_HEADER, "traceparent", "tracestate"];

/// Most of the caller's remaining time kept back to answer in.
const MAX_MARGIN: Duration = Duration::from_millis(100);

/// What an incoming call hands on to the calls it makes.
#[derive(Clone, Debug)]
pub struct Onward {
    headers: Vec<(&'static str, AsciiMetadataValue)>,
    deadline: Option<Instant>,
}

impl Onward {
    /// Captures the identity, trace context and deadline of `request`. Call it first
    /// thing in the handler: the deadline counts from here.
    pub fn of<T>(request: &tonic::Request<T>) -> Self {
        let metadata = request.metadata();
        let headers = PASSED_ON
            .iter()
            .filter_map(|name| Some((*name, metadata.get(*name)?.clone())))
            .collect();
        let deadline = grpc_timeout(metadata).map(|left| Instant::now() + left);
        Self { headers, deadline }
    }

    /// The calls a service makes on its own behalf (a background job), as `principal`
    /// signed by `signer`; each gets the full `at_most` of [`Onward::call`].
    pub fn on_own_behalf(
        signer: &wenming_authz::IdentitySigner,
        principal: &wenming_authz::Principal,
    ) -> Result<Self, Status> {
        let token = signer
            .sign(principal)
            .parse()
            .map_err(|_| Status::internal("identity is not ASCII"))?;
        Ok(Self {
            headers: vec![(IDENTITY_HEADER, token)],
            deadline: None,
        })
    }

    /// Calls `call` with a request for `message` carrying the caller's headers and a
    /// deadline of the caller's remaining time, at most `at_most`. The deadline is sent
    /// as `grpc-timeout` and also enforced here, so a peer that never answers costs no
    /// more than the deadline: it fails with DEADLINE_EXCEEDED.
    pub async fn call<T, R, F>(
        &self,
        message: T,
        at_most: Duration,
        call: impl FnOnce(tonic::Request<T>) -> F,
    ) -> Result<R, Status>
    where
        F: Future<Output = Result<tonic::Response<R>, Status>>,
    {
        let left = self.deadline.map_or(at_most, |d| {
            let left = d.saturating_duration_since(Instant::now());
            // Keep a margin so this service still answers within the caller's deadline,
            // with its own status, instead of the caller's transport timing out first.
            left.saturating_sub((left / 10).min(MAX_MARGIN))
                .min(at_most)
        });
        if left.is_zero() {
            return Err(Status::deadline_exceeded(
                "no time left of the caller's deadline",
            ));
        }
        let mut request = tonic::Request::new(message);
        let mut headers = http::HeaderMap::new();
        let traced = crate::trace_context::inject_current(&mut headers);
        for (name, value) in &self.headers {
            // This service's span is the parent of the call when there is one.
            if traced && *name != IDENTITY_HEADER {
                continue;
            }
            request.metadata_mut().insert(*name, value.clone());
        }
        for (name, value) in &headers {
            if let (Ok(key), Ok(value)) = (
                AsciiMetadataKey::from_bytes(name.as_str().as_bytes()),
                value.to_str().map(str::parse::<AsciiMetadataValue>),
            ) && let Ok(value) = value
            {
                request.metadata_mut().insert(key, value);
            }
        }
        request.set_timeout(left);
        let started = Instant::now();
        match tokio::time::timeout(left, call(request)).await {
            Ok(Ok(response)) => Ok(response.into_inner()),
            // The called server enforces the same timeout (`grpc-timeout`) and answers
            // CANCELLED when it passes, as tonic's server does.
            Ok(Err(status)) if status.code() == Code::Cancelled && started.elapsed() >= left => {
                Err(Status::deadline_exceeded(
                    "the deadline passed while waiting for another service",
                ))
            }
            Ok(Err(status)) => Err(status),
            Err(_) => Err(Status::deadline_exceeded(
                "the deadline passed while waiting for another service",
            )),
        }
    }
}

/// The `grpc-timeout` header of `metadata`.
fn grpc_timeout(metadata: &MetadataMap) -> Option<Duration> {
    parse_grpc_timeout(metadata.get("grpc-timeout")?.to_str().ok()?)
}

/// A `grpc-timeout` value: up to 8 digits and a unit (H, M, S, m, u, n).
pub(crate) fn parse_grpc_timeout(text: &str) -> Option<Duration> {
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let value: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(value * 3600),
        "M" => Duration::from_secs(value * 60),
        "S" => Duration::from_secs(value),
        "m" => Duration::from_millis(value),
        "u" => Duration::from_micros(value),
        "n" => Duration::from_nanos(value),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(headers: &[(&'static str, &str)]) -> tonic::Request<()> {
        let mut request = tonic::Request::new(());
        for (name, value) in headers {
            request
                .metadata_mut()
                .insert(*name, value.parse().expect("ascii"));
        }
        request
    }

    #[test]
    fn timeouts_parse_in_every_unit() {
        let parse = |t: &str| grpc_timeout(request_with(&[("grpc-timeout", t)]).metadata());
        assert_eq!(parse("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse("3M"), Some(Duration::from_secs(180)));
        assert_eq!(parse("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse("7u"), Some(Duration::from_micros(7)));
        assert_eq!(parse("9n"), Some(Duration::from_nanos(9)));
        assert_eq!(parse("123456789S"), None);
        assert_eq!(parse("S"), None);
        assert_eq!(parse("5x"), None);
    }

    #[tokio::test]
    async fn headers_and_the_shorter_deadline_are_passed_on() {
        let incoming = request_with(&[
            ("x-wenming-identity", "token"),
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
            ("authorization", "Bearer external"),
            ("grpc-timeout", "2S"),
        ]);
        let onward = Onward::of(&incoming);
        let seen = onward
            .call(
                (),
                Duration::from_secs(30),
                |request: tonic::Request<()>| async move {
                    let m = request.metadata();
                    Ok(tonic::Response::new((
                        m.get("x-wenming-identity")
                            .map(|v| v.to_str().unwrap().to_owned()),
                        m.get("traceparent").is_some(),
                        m.get("authorization").is_some(),
                        m.get("grpc-timeout")
                            .map(|v| v.to_str().unwrap().to_owned()),
                    )))
                },
            )
            .await
            .unwrap();
        assert_eq!(seen.0.as_deref(), Some("token"));
        assert!(seen.1, "trace context passed on");
        assert!(!seen.2, "the external token is not passed on");
        let sent: u64 = seen.3.unwrap().trim_end_matches('u').parse().unwrap();
        assert!(
            sent <= 2_000_000 && sent > 1_000_000,
            "caller's 2 s, less the time used: {sent}"
        );
    }

    #[tokio::test]
    async fn a_peer_that_never_answers_costs_the_deadline_only() {
        let onward = Onward::of(&request_with(&[("grpc-timeout", "50m")]));
        let result: Result<(), Status> = onward
            .call((), Duration::from_secs(30), |_request| {
                std::future::pending::<Result<tonic::Response<()>, Status>>()
            })
            .await;
        assert_eq!(result.unwrap_err().code(), Code::DeadlineExceeded);
    }
}
