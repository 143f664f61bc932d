//! The span every call a server answers runs in, from the network or in process.

/// The span of one call: its path, continuing the caller's trace (`traceparent`).
pub(crate) fn rpc_span(path: &str, headers: &http::HeaderMap) -> tracing::Span {
    let span = local_rpc_span(path);
    crate::trace_context::continue_trace(&span, headers);
    span
}

/// The span of one call made in this process: a child of the caller's current span
/// (the gateway's), so its trace goes on without a `traceparent` written and parsed.
pub(crate) fn local_rpc_span(path: &str) -> tracing::Span {
    tracing::info_span!(
        "rpc",
        path = %path,
        otel.kind = "server",
        rpc.system = "grpc",
    )
}
