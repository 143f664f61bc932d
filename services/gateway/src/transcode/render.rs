//! Answers as JSON: a message with protobuf's JSON mapping (every field, defaults
//! included, so that `found: false` and empty lists are there to read), a refusal as
//! its `google.rpc.Status` with its details, under the HTTP status of its code.

use bytes::Bytes;
use http_body_util::BodyExt as _;
use prost_reflect::{DynamicMessage, MessageDescriptor, SerializeOptions};
use tonic::{Code, Status};
use wenming_runtime::metrics::Answered;
use wenming_runtime::status::Violation;

use super::{Response, http_status};
use crate::messages;

/// INVALID_ARGUMENT naming `field` (empty: the body as a whole).
pub fn bad_request(field: &str, description: &str) -> Status {
    Status::from(Violation::new(
        if field.is_empty() { "body" } else { field },
        &messages::JSON_REQUEST,
        description,
    ))
}

/// OUT_OF_RANGE for a body over `limit` bytes (read no further than the limit).
pub fn too_large(limit: usize) -> Status {
    wenming_runtime::status::plain(
        Code::OutOfRange,
        format!("the body is larger than {limit} bytes"),
        wenming_runtime::catalogue::render(
            messages::BODY_TOO_LARGE,
            &[("limit", limit.to_string())],
        ),
    )
}

/// `status` as its HTTP status and `google.rpc.Status` JSON.
pub fn status_json(descriptor: &MessageDescriptor, status: &Status) -> Response {
    let decoded = if status.details().is_empty() {
        None
    } else {
        DynamicMessage::decode(descriptor.clone(), status.details()).ok()
    };
    let message = decoded.unwrap_or_else(|| {
        let mut message = DynamicMessage::new(descriptor.clone());
        message.set_field_by_name("code", prost_reflect::Value::I32(status.code() as i32));
        message.set_field_by_name(
            "message",
            prost_reflect::Value::String(status.message().to_owned()),
        );
        message
    });
    json(status.code(), &message)
}

/// The gRPC answer `response` as JSON: its message, or its refusal.
pub async fn answer_json(
    status_descriptor: &MessageDescriptor,
    output: &MessageDescriptor,
    response: http::Response<tonic::body::Body>,
) -> Response {
    let (parts, body) = response.into_parts();
    // A refusal made before any message ("trailers-only") is in the headers.
    if let Some(status) = Status::from_header_map(&parts.headers)
        && status.code() != Code::Ok
    {
        return status_json(status_descriptor, &status);
    }
    let collected = match body.collect().await {
        Ok(collected) => collected,
        Err(err) => {
            tracing::warn!(error = %err, "backend answer cut short");
            return status_json(
                status_descriptor,
                &Status::unavailable("the answer was cut short"),
            );
        }
    };
    if let Some(status) = collected.trailers().and_then(Status::from_header_map)
        && status.code() != Code::Ok
    {
        return status_json(status_descriptor, &status);
    }
    let data = collected.to_bytes();
    match message_of(output, &data) {
        Some(message) => json(Code::Ok, &message),
        None => status_json(
            status_descriptor,
            &wenming_runtime::status::internal(&"backend answer not one message"),
        ),
    }
}

/// The one uncompressed message of a gRPC answer's body.
fn message_of(output: &MessageDescriptor, data: &Bytes) -> Option<DynamicMessage> {
    let (header, rest) = data.split_at_checked(5)?;
    let len = usize::try_from(u32::from_be_bytes(header[1..5].try_into().ok()?)).ok()?;
    if header[0] != 0 || rest.len() != len {
        return None;
    }
    DynamicMessage::decode(output.clone(), rest).ok()
}

/// `message` as the JSON answer of a call that ended with `code`, under its HTTP
/// status; the code goes with the answer for the metrics and the call's span.
fn json(code: Code, message: &DynamicMessage) -> Response {
    let status = http_status(code);
    let mut body = Vec::new();
    let mut serializer = serde_json::Serializer::new(&mut body);
    let written = message.serialize_with_options(
        &mut serializer,
        &SerializeOptions::new().skip_default_fields(false),
    );
    let (code, status, body) = match written {
        Ok(()) => (code, status, body),
        Err(err) => {
            tracing::warn!(error = %err, "answer not rendered as JSON");
            (
                Code::Internal,
                http::StatusCode::INTERNAL_SERVER_ERROR,
                br#"{"code":13,"message":"the answer could not be rendered as JSON"}"#.to_vec(),
            )
        }
    };
    let mut response = http::Response::new(tonic::body::Body::new(
        http_body_util::Full::new(Bytes::from(body)).map_err(|never| match never {}),
    ));
    *response.status_mut() = status;
    response.extensions_mut().insert(Answered::with_code(code));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
