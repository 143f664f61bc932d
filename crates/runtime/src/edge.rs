//! Parsing at the edge, shared by every service: wire enums, dates, resource names,
//! request ids, etags and page tokens. Each failure is a [`Violation`] naming the field,
//! which the service's error type turns into INVALID_ARGUMENT.

use jiff::civil::Date;

use crate::catalogue::common;
use crate::paging;
use crate::status::Violation;

/// A wire enum that must be set: unknown and UNSPECIFIED values are refused.
pub fn required_enum<T>(
    field: &str,
    value: i32,
    parse: impl Fn(i32) -> Option<T>,
) -> Result<T, Violation> {
    parse(value).ok_or_else(|| {
        Violation::new(
            field,
            &common::REQUIRED,
            format!("{field} must be set to a known value"),
        )
    })
}

/// An optional wire enum: UNSPECIFIED is `None`, unknown values are refused.
pub fn optional_enum<T>(
    field: &str,
    value: i32,
    parse: impl Fn(i32) -> Option<T>,
) -> Result<Option<T>, Violation> {
    if value == 0 {
        return Ok(None);
    }
    parse(value).map(Some).ok_or_else(|| {
        Violation::new(
            field,
            &common::UNKNOWN_VALUE,
            format!("{value} is not a known value"),
        )
    })
}

/// An ISO 8601 calendar date ("2021-04-20").
pub fn parse_date(field: &str, text: &str) -> Result<Date, Violation> {
    text.trim().parse::<Date>().map_err(|_| {
        Violation::new(
            field,
            &common::DATE,
            format!("'{text}' is not a date like 2021-04-20"),
        )
        .arg("value", text)
    })
}

/// An optional date: empty is `None`.
pub fn parse_optional_date(field: &str, text: &str) -> Result<Option<Date>, Violation> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        parse_date(field, text).map(Some)
    }
}

/// The id of a resource name "{collection}/{id}", parsed by `parse`.
pub fn parse_name<T>(
    field: &str,
    collection: &str,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, Violation> {
    name.strip_prefix(collection)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(parse)
        .ok_or_else(|| {
            Violation::new(
                field,
                &common::RESOURCE_NAME,
                format!("'{name}' is not a resource name like {collection}/{{id}}"),
            )
            .arg("collection", collection)
            .arg("value", name)
        })
}

/// Milliseconds since the epoch as a protobuf timestamp.
pub fn timestamp(millis: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: millis.div_euclid(1000),
        nanos: i32::try_from(millis.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

/// A `request_id`: empty is `None`; at most 100 characters.
pub fn request_id(text: &str) -> Result<Option<&str>, Violation> {
    let text = text.trim();
    if text.len() > 100 {
        return Err(Violation::new(
            "request_id",
            &common::REQUEST_ID_TOO_LONG,
            "must be at most 100 characters",
        ));
    }
    Ok((!text.is_empty()).then_some(text))
}

/// An etag this suite issued (a row version): empty is `None`.
pub fn etag(field: &str, text: &str) -> Result<Option<i64>, Violation> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| Violation::new(field, &common::ETAG, "not an etag this service issued"))
}

/// Page size and the cursor after which the page starts.
pub fn page(size: i32, token: &str) -> Result<(i64, Option<String>), Violation> {
    let size = paging::page_size(size).ok_or_else(|| {
        Violation::new("page_size", &common::NON_NEGATIVE, "must not be negative")
    })?;
    let after = if token.is_empty() {
        None
    } else {
        Some(paging::decode_token(token).ok_or_else(|| {
            Violation::new(
                "page_token",
                &common::PAGE_TOKEN,
                "not a token from a previous page",
            )
        })?)
    };
    Ok((size, after))
}

/// A cursor into a numbered log (a change feed, the deadline monitor) as this suite gave
/// it: empty is the log's start.
pub fn cursor(field: &str, text: &str) -> Result<i64, Violation> {
    if text.is_empty() {
        return Ok(0);
    }
    text.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| Violation::new(field, &common::PAGE_TOKEN, "not a cursor this service gave"))
}

/// The token of the page after the one ending at `next` (empty: no more pages).
pub fn next_page_token(next: Option<&str>) -> String {
    next.map(paging::encode_token).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_dates_and_tokens() {
        assert_eq!(
            parse_name("name", "pairings", "pairings/x", |id| Some(id.to_owned())),
            Ok("x".to_owned())
        );
        let err = parse_name("name", "pairings", "units/x", |id| Some(id.to_owned())).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.rule.name),
            ("name", "resource_name")
        );
        assert_eq!(
            parse_date("d", "2021-05-01").unwrap().to_string(),
            "2021-05-01"
        );
        assert_eq!(parse_date("d", "1 May").unwrap_err().rule.name, "date");
        assert_eq!(parse_optional_date("d", " ").unwrap(), None);
        assert_eq!(request_id(" ").unwrap(), None);
        assert_eq!(
            request_id(&"x".repeat(101)).unwrap_err().rule.name,
            "too_long"
        );
        assert_eq!(etag("etag", "x").unwrap_err().rule.name, "etag");
        let (size, after) = page(0, &next_page_token(Some("k"))).unwrap();
        assert_eq!(
            (size, after.as_deref()),
            (paging::DEFAULT_PAGE_SIZE, Some("k"))
        );
        assert_eq!(page(-1, "").unwrap_err().field, "page_size");
        assert_eq!(timestamp(1_500).nanos, 500_000_000);
    }
}
