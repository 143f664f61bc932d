//! Trace and span ids on log lines. A line written inside a call names the trace and
//! span (OpenTelemetry's) it was written in: `trace_id` and `span_id` as the first keys
//! of a JSON line, ` trace_id=… span_id=…` at the end of a text line. The ids are looked
//! up when a line is written, not when a span opens, so the calls that log nothing (the
//! most) pay nothing for them.

use std::sync::{Arc, OnceLock};

use opentelemetry::trace::{SpanId, TraceContextExt as _, TraceId};
use tracing::dispatcher::WeakDispatch;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The subscriber the formatters are part of, set once it is built: OpenTelemetry
/// answers a span's ids through it (the thread's current one is out of reach while an
/// event is being written).
pub(crate) type DispatchSlot = Arc<OnceLock<WeakDispatch>>;

/// Formats a line as `inner` does, with the ids of the innermost span that has them.
#[derive(Debug)]
pub(crate) struct WithTraceIds<F> {
    inner: F,
    json: bool,
    dispatch: DispatchSlot,
}

impl<F> WithTraceIds<F> {
    /// `inner` writes JSON objects (`json`) or text lines, in the subscriber `dispatch`
    /// will hold.
    pub(crate) fn new(inner: F, json: bool, dispatch: DispatchSlot) -> Self {
        Self {
            inner,
            json,
            dispatch,
        }
    }
}

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let Some((trace_id, span_id)) = self.ids(ctx) else {
            return self.inner.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        match (self.json, line.strip_prefix('{')) {
            // One JSON object a line: the ids go in as its first keys.
            (true, Some(rest)) => write!(
                writer,
                "{{\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\",{rest}"
            ),
            (true, None) => writer.write_str(&line),
            (false, _) => {
                let text = line.strip_suffix('\n').unwrap_or(&line);
                writeln!(writer, "{text} trace_id={trace_id} span_id={span_id}")
            }
        }
    }
}

impl<F> WithTraceIds<F> {
    /// The ids of the innermost span of the event's scope known to OpenTelemetry.
    fn ids<S, N>(&self, ctx: &FmtContext<'_, S, N>) -> Option<(TraceId, SpanId)>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
        N: for<'a> FormatFields<'a> + 'static,
    {
        let dispatch = self.dispatch.get()?.upgrade()?;
        ctx.event_scope()?.find_map(|span| {
            let context = tracing_opentelemetry::get_otel_context(&span.id(), &dispatch)?;
            let ids = context.span().span_context().clone();
            ids.is_valid().then(|| (ids.trace_id(), ids.span_id()))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::DispatchSlot;

    /// What the layer writes, line by line.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Logs one line outside any span and one inside a span (with a field recorded after
    /// it opened), through the layer the suite installs; both lines, and the span's trace
    /// and span ids as OpenTelemetry has them.
    fn log(json: bool) -> (String, String, String, String) {
        let lines = Lines::default();
        let writer = lines.clone();
        let slot = DispatchSlot::default();
        let stderr = crate::telemetry::log_layer(json, &slot, move || writer.clone());
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(stderr)
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        let dispatch = tracing::Dispatch::new(subscriber);
        slot.set(dispatch.downgrade()).unwrap();
        let (trace_id, span_id) = tracing::dispatcher::with_default(&dispatch, || {
            tracing::info!("outside");
            let span = tracing::info_span!(
                "rpc",
                path = "/a.B/C",
                otel.kind = "server",
                rpc.system = "grpc",
                late = tracing::field::Empty,
                otel.status_code = tracing::field::Empty,
            );
            span.record("late", "yes");
            span.record("otel.status_code", "ok");
            let _entered = span.enter();
            tracing::warn!(reason = "no token", "refused");
            use opentelemetry::trace::TraceContextExt as _;
            use tracing_opentelemetry::OpenTelemetrySpanExt as _;
            let context = span.context();
            let ids = context.span().span_context().clone();
            (ids.trace_id().to_string(), ids.span_id().to_string())
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let mut it = text.lines().map(str::to_owned);
        let outside = it.next().unwrap();
        let inside = it.next().unwrap();
        (outside, inside, trace_id, span_id)
    }

    #[test]
    fn a_text_line_inside_a_span_ends_with_its_ids() {
        let (outside, inside, trace_id, span_id) = log(false);
        assert_eq!(trace_id.len(), 32);
        assert!(outside.ends_with("outside"), "{outside}");
        assert!(!outside.contains("trace_id"), "{outside}");
        assert!(
            inside.ends_with(&format!(
                "refused reason=\"no token\" trace_id={trace_id} span_id={span_id}"
            )),
            "{inside}"
        );
        // The span's fields for OpenTelemetry alone are not on the line.
        assert!(
            inside.contains("rpc{path=\"/a.B/C\" late=\"yes\"}:"),
            "{inside}"
        );
    }

    #[test]
    fn a_json_line_inside_a_span_has_its_ids_as_keys() {
        let (outside, inside, trace_id, span_id) = log(true);
        let outside: serde_json::Value = serde_json::from_str(&outside).unwrap();
        assert_eq!(outside["fields"]["message"], "outside");
        assert!(outside.get("trace_id").is_none(), "{outside}");
        let inside: serde_json::Value = serde_json::from_str(&inside).unwrap();
        assert_eq!(inside["fields"]["message"], "refused");
        assert_eq!(inside["trace_id"], trace_id.as_str(), "{inside}");
        assert_eq!(inside["span_id"], span_id.as_str(), "{inside}");
        assert_eq!(
            inside["span"],
            serde_json::json!({"name": "rpc", "path": "/a.B/C", "late": "yes"}),
            "the span's fields for OpenTelemetry alone are not on the line; one recorded \
             after the span opened is"
        );
    }
}
