//! W3C trace context across hops: a server's span per call continues the caller's trace
//! (`traceparent`/`tracestate` extracted from the request), and the calls it makes carry
//! that span as their parent. Without a tracing subscriber carrying the OpenTelemetry
//! layer (tests, tools) spans have no context, and callers pass the incoming headers on
//! unchanged instead.

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::TraceContextExt as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct HeadersMut<'a>(&'a mut http::HeaderMap);

impl Injector for HeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// Makes `span` continue the trace the request's headers name, if any.
pub fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    // The W3C propagator reads nothing without a `traceparent`: most callers send none,
    // and every call would pay for the global propagator's lock and a context for it.
    if !headers.contains_key("traceparent") {
        return;
    }
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)));
    if parent.span().span_context().is_valid() {
        // Fails only when no OpenTelemetry layer is installed: nothing to continue then.
        let _ = span.set_parent(parent);
    }
}

/// Writes the current span's trace context into `headers`, replacing what was there.
/// Returns `false` (and leaves `headers` alone) when the current span has no context.
pub fn inject_current(headers: &mut http::HeaderMap) -> bool {
    let context = tracing::Span::current().context();
    if !context.span().span_context().is_valid() {
        return false;
    }
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(&context, &mut HeadersMut(headers));
    });
    true
}
