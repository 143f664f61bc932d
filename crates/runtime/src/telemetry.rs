//! Logging and tracing setup. `RUST_LOG` filters the log (default `info`);
//! `WENMING_LOG_FORMAT=json` switches to one JSON object per line for log shippers.
//! A line written during a call names its trace and span ([`crate::log_ids`]).
//! Refused calls (the `wenming::denial` target) can also be kept, as JSON lines, in an
//! append-only file: the audit trail of who tried what, on what, when.
//!
//! Spans (one per call, continuing the caller's W3C trace context) go to OpenTelemetry;
//! they are exported over OTLP/gRPC when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, under `OTEL_SERVICE_NAME` (default
//! `wenming`). Without an endpoint they still carry trace ids from hop to hop.

use std::path::Path;
use std::sync::Mutex;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Level;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _, fmt};

use crate::log_fields::{JsonLogFields, TextFields};
use crate::log_ids::{DispatchSlot, WithTraceIds};

/// Target of the events that record a refused call.
pub const DENIAL_TARGET: &str = "wenming::denial";

/// The tracer provider; [`Tracing::shutdown`] flushes spans not yet exported.
#[derive(Debug)]
pub struct Tracing {
    provider: SdkTracerProvider,
}

impl Tracing {
    /// Exports what is buffered and stops. Blocks: call it off the async workers.
    pub fn shutdown(self) {
        if let Err(err) = self.provider.shutdown() {
            tracing::warn!(error = %err, "trace export did not finish");
        }
    }
}

/// Why telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The denial log could not be opened.
    #[error("denial log: {0}")]
    DenialLog(#[from] std::io::Error),
    /// The OTLP exporter could not be built.
    #[error("OTLP exporter: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
}

/// Installs the global subscriber once; later calls do nothing. With `denial_log`, every
/// refusal is also appended to that file, whatever `RUST_LOG` says.
pub fn init(denial_log: Option<&Path>) -> Result<Tracing, TelemetryError> {
    let endpoint_set = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()));
    let mut provider = SdkTracerProvider::builder().with_resource(
        Resource::builder()
            .with_service_name(
                std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "wenming".into()),
            )
            .build(),
    );
    if endpoint_set {
        provider = provider.with_batch_exporter(
            opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .build()?,
        );
    }
    install(denial_log, provider.build())
}

/// Installs the subscriber with spans going to `exporter` as they end (tests).
pub fn init_with_exporter(
    exporter: impl opentelemetry_sdk::trace::SpanExporter + 'static,
) -> Result<Tracing, TelemetryError> {
    install(
        None,
        SdkTracerProvider::builder()
            .with_simple_exporter(exporter)
            .build(),
    )
}

fn install(
    denial_log: Option<&Path>,
    provider: SdkTracerProvider,
) -> Result<Tracing, TelemetryError> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("WENMING_LOG_FORMAT").is_ok_and(|v| v == "json");
    let dispatch = DispatchSlot::default();
    let stderr = log_layer(json, &dispatch, std::io::stderr);
    let denials = match denial_log {
        Some(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            Some(
                log_layer(true, &dispatch, Mutex::new(file))
                    .with_filter(Targets::new().with_target(DENIAL_TARGET, Level::WARN)),
            )
        }
        None => None,
    };
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    // What a span costs is paid by every call; these leave out what nobody reads:
    // the thread a task happened to start on (a string allocated per span), the
    // busy/idle clock read on every poll, the source location of the one span site,
    // and the OpenTelemetry context made current on every poll (our code reads a
    // span's context through the tracing span, never from the thread).
    let spans = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("wenming"))
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_location(false)
        .with_context_activation(false)
        .with_filter(LevelFilter::INFO);
    let subscriber = tracing::Dispatch::new(
        tracing_subscriber::registry()
            .with(stderr.with_filter(filter))
            .with(denials)
            .with(spans),
    );
    let _ = dispatch.set(subscriber.downgrade());
    let _ = subscriber.try_init();
    Ok(Tracing { provider })
}

/// The layer writing log lines to `writer`: JSON objects (`json`) or text, each naming
/// the trace and span it was written in (through the subscriber `dispatch` will hold),
/// with the spans' fields that are meant for logs.
pub(crate) fn log_layer<S, W>(
    json: bool,
    dispatch: &DispatchSlot,
    writer: W,
) -> Box<dyn tracing_subscriber::Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    if json {
        fmt::layer()
            .json()
            .fmt_fields(JsonLogFields)
            .map_event_format(|format| WithTraceIds::new(format, true, dispatch.clone()))
            .with_writer(writer)
            .boxed()
    } else {
        // Text lines carry no colour codes: they are read in files and log stores as
        // often as in a terminal, and grepped.
        fmt::layer()
            .with_ansi(false)
            .fmt_fields(TextFields::default())
            .map_event_format(|format| WithTraceIds::new(format, false, dispatch.clone()))
            .with_writer(writer)
            .boxed()
    }
}
