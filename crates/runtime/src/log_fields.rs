//! Span fields on log lines, without those meant for OpenTelemetry alone (`otel.*`,
//! `rpc.*`: the span's kind and the RPC system, the same on every call; an event's
//! fields of those names are left out too). The fmt layer
//! formats a span's fields when the span opens, for every call, whether a line is then
//! written or not; those two were most of that work, and noise on every line.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::{MakeVisitor, RecordFields, VisitFmt, VisitOutput};
use tracing_subscriber::fmt::FormattedFields;
use tracing_subscriber::fmt::format::{DefaultFields, JsonVisitor, Writer};

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

    fn record_i128(&mut self, field: &Field, value: i128) {
        if logged(field) {
            self.0.record_i128(field, value);
        }
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        if logged(field) {
            self.0.record_u128(field, value);
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if logged(field) {
            self.0.record_f64(field, value);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if logged(field) {
            self.0.record_bool(field, value);
        }
    }

    fn record_bytes(&mut self, field: &Field, value: &[u8]) {
        if logged(field) {
            self.0.record_bytes(field, value);
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

impl TextFields {
    fn write<R: RecordFields>(&self, writer: Writer<'_>, fields: R) -> fmt::Result {
        let mut visitor = Logged(self.0.make_visitor(writer));
        fields.record(&mut visitor);
        visitor.finish()
    }
}

impl<'writer> tracing_subscriber::fmt::FormatFields<'writer> for TextFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        self.write(writer, fields)
    }

    /// Fields recorded on a span after it opened follow its others, a space between.
    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let mut added = String::new();
        self.write(Writer::new(&mut added), fields)?;
        if !added.is_empty() {
            if !current.fields.is_empty() {
                current.fields.push(' ');
            }
            current.fields.push_str(&added);
        }
        Ok(())
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

    /// Fields recorded on a span after it opened (none of ours are) go into its object,
    /// which stays one object.
    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let mut added = String::new();
        let mut visitor = Logged(JsonVisitor::new(&mut added));
        fields.record(&mut visitor);
        visitor.finish()?;
        if current.fields.is_empty() {
            current.fields = added;
            return Ok(());
        }
        let mut object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&current.fields).map_err(|_| fmt::Error)?;
        let added: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&added).map_err(|_| fmt::Error)?;
        object.extend(added);
        current.fields = serde_json::to_string(&object).map_err(|_| fmt::Error)?;
        Ok(())
    }
}
