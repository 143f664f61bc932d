//! Conversions between the wire enums and the domain vocabularies, and the parsing of
//! names, dates and ids at the edge.

use jiff::civil::Date;
pub(crate) use wenming_proto::convert::{
    kind_from_pb, kind_to_pb, nomination_status_from_pb, nomination_status_to_pb, scale_from_pb,
    scale_to_pb, tier_from_pb, tier_to_pb,
};

use crate::error::{RegistryError, Result};

/// Parses a wire enum that must be set: unknown and UNSPECIFIED values are refused.
pub(crate) fn required_enum<T>(
    field: &str,
    value: i32,
    parse: impl Fn(i32) -> Option<T>,
) -> Result<T> {
    parse(value).ok_or_else(|| {
        RegistryError::invalid(
            field,
            "required",
            format!("{field} must be set to a known value"),
        )
    })
}

/// Parses an optional wire enum: UNSPECIFIED is `None`, unknown values are refused.
pub(crate) fn optional_enum<T>(
    field: &str,
    value: i32,
    parse: impl Fn(i32) -> Option<T>,
) -> Result<Option<T>> {
    if value == 0 {
        return Ok(None);
    }
    parse(value).map(Some).ok_or_else(|| {
        RegistryError::invalid(
            field,
            "unknown_value",
            format!("{value} is not a known value"),
        )
    })
}

/// Parses an ISO 8601 calendar date ("2021-04-20").
pub(crate) fn parse_date(field: &str, text: &str) -> Result<Date> {
    text.trim().parse::<Date>().map_err(|_| {
        RegistryError::invalid(
            field,
            "date",
            format!("'{text}' is not a date like 2021-04-20"),
        )
    })
}

/// Parses an optional date: empty is `None`.
pub(crate) fn parse_optional_date(field: &str, text: &str) -> Result<Option<Date>> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        parse_date(field, text).map(Some)
    }
}

/// Extracts the id from a resource name "{collection}/{id}" and parses it.
pub(crate) fn parse_name<T>(
    field: &str,
    collection: &str,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T> {
    name.strip_prefix(collection)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(parse)
        .ok_or_else(|| {
            RegistryError::invalid(
                field,
                "resource_name",
                format!("'{name}' is not a resource name like {collection}/{{id}}"),
            )
        })
}

/// Milliseconds since the epoch to a protobuf timestamp.
pub(crate) fn timestamp(millis: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: millis.div_euclid(1000),
        nanos: i32::try_from(millis.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}
