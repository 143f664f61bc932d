//! Span fields on log lines, without those meant for OpenTelemetry alone (`otel.*`,
//! `rpc.*`: the span's kind and the RPC system, the same on every call). The fmt layer
//! formats a span's fields when the span opens, for every call, whether a line is then
//! written or not; those two were most of that work, and noise on every line.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::{MakeVisitor, RecordFields, VisitFmt, VisitOutput};
use tracing_subscriber::fmt::FormattedFields;
use tracing_subscriber::fmt::format::{DefaultFields, JsonFields, JsonVisitor, Writer};

/// Whether a field goes on log lines.
fn logged(field: &Field) -> bool {
    let name = field.name();
    !(name.starts_with("otel.") || name.starts_with("rpc."))
}

/// Passes the fields that go on log lines to `V`.
#[derive(Debug)]
pub(crate) struct Logged<V>(V);

impl<V: Visit> Visit for Logged<V> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if logged(field) {
            self.0.record_debug(field, value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if logged(field) {
            self.0.record_str(field, value);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if logged(field) {
            self.0.record_i64(field, value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if logged(field) {
            self.0.record_u64(field, value);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if logged(field) {
            self.0.record_bool(field, value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if logged(field) {
            self.0.record_error(field, value);
        }
    }
}

impl<V: VisitOutput<fmt::Result>> VisitOutput<fmt::Result> for Logged<V> {
    fn finish(self) -> fmt::Result {
        self.0.finish()
    }
}

impl<V: VisitFmt> VisitFmt for Logged<V> {
    fn writer(&mut self) -> &mut dyn fmt::Write {
        self.0.writer()
    }
}

/// Text fields (`key=value`), as tracing-subscriber writes them, of the logged fields.
#[derive(Debug, Default)]
pub(crate) struct TextFields(DefaultFields);

impl<'a> MakeVisitor<Writer<'a>> for TextFields {
    type Visitor = Logged<<DefaultFields as MakeVisitor<Writer<'a>>>::Visitor>;

    fn make_visitor(&self, target: Writer<'a>) -> Self::Visitor {
        Logged(self.0.make_visitor(target))
    }
}

/// JSON fields (an object), as tracing-subscriber writes them, of the logged fields.
#[derive(Debug, Default)]
pub(crate) struct JsonLogFields;

impl<'writer> tracing_subscriber::fmt::FormatFields<'writer> for JsonLogFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut visitor = Logged(JsonVisitor::new(&mut writer));
        fields.record(&mut visitor);
        visitor.finish()
    }

    /// Fields recorded on a span after it opened (none of ours are) are merged into its
    /// object by tracing-subscriber's own JSON formatter, so the object stays one.
    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let mut merged = FormattedFields::<JsonFields>::new(std::mem::take(&mut current.fields));
        let added = JsonFields::new().add_fields(&mut merged, fields);
        current.fields = merged.fields;
        added
    }
}
