//! Building gRPC statuses with google.rpc details. Services map their error enum to a
//! `Status` in one place, through these helpers, so every service answers alike.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt as _};

/// Error domain in google.rpc.ErrorInfo.
pub const ERROR_DOMAIN: &str = "wenming";

/// One field that broke one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Path of the field in the request, e.g. `unit.credit_code`.
    pub field: String,
    /// Stable machine name of the rule, e.g. `check_character`.
    pub rule: String,
    /// A sentence for people.
    pub description: String,
}

impl Violation {
    /// A violation of `rule` by `field`.
    pub fn new(
        field: impl Into<String>,
        rule: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
            description: description.into(),
        }
    }
}

impl From<Violation> for Status {
    /// A single bad field, answered as [`invalid_argument`] does.
    fn from(violation: Violation) -> Self {
        invalid_argument(std::slice::from_ref(&violation))
    }
}

/// INVALID_ARGUMENT with a BadRequest naming each field.
pub fn invalid_argument(violations: &[Violation]) -> Status {
    let message = violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ");
    let fields: Vec<FieldViolation> = violations
        .iter()
        .map(|v| {
            let mut field = FieldViolation::new(&v.field, &v.description);
            field.reason = v.rule.to_uppercase();
            field
        })
        .collect();
    Status::with_error_details(
        Code::InvalidArgument,
        message,
        ErrorDetails::with_bad_request(fields),
    )
}

/// FAILED_PRECONDITION with a PreconditionFailure naming the rule and its subject.
pub fn failed_precondition(rule: &str, subject: &str, description: &str) -> Status {
    Status::with_error_details(
        Code::FailedPrecondition,
        description,
        ErrorDetails::with_precondition_failure_violation(rule, subject, description),
    )
}

/// NOT_FOUND for a resource the caller cannot see (absent or out of scope alike).
pub fn not_found(resource_type: &str, name: &str) -> Status {
    Status::with_error_details(
        Code::NotFound,
        format!("{name} not found"),
        ErrorDetails::with_resource_info(resource_type, name, "", "not found"),
    )
}

/// ALREADY_EXISTS for a resource whose unique key is taken.
pub fn already_exists(resource_type: &str, name: &str, description: &str) -> Status {
    Status::with_error_details(
        Code::AlreadyExists,
        description,
        ErrorDetails::with_resource_info(resource_type, name, "", description),
    )
}

/// ABORTED for a stale etag: read the resource again and retry.
pub fn etag_mismatch(name: &str) -> Status {
    Status::with_error_details(
        Code::Aborted,
        format!("{name} was changed by someone else; read it again and retry"),
        ErrorDetails::with_error_info(
            "ETAG_MISMATCH",
            ERROR_DOMAIN,
            [("resource".to_owned(), name.to_owned())],
        ),
    )
}

/// PERMISSION_DENIED for an action the caller's kind may never do.
pub fn permission_denied(description: &str) -> Status {
    Status::with_error_details(
        Code::PermissionDenied,
        description,
        ErrorDetails::with_error_info("PERMISSION_DENIED", ERROR_DOMAIN, []),
    )
}

/// INTERNAL: the cause is logged here and never sent to the caller.
pub fn internal(cause: &dyn std::fmt::Display) -> Status {
    tracing::error!(error = %cause, "internal error");
    Status::internal("internal error")
}

/// UNAVAILABLE: the database or a dependency is unreachable; the call may be retried.
pub fn unavailable(cause: &dyn std::fmt::Display) -> Status {
    tracing::warn!(error = %cause, "dependency unavailable");
    Status::unavailable("temporarily unavailable, retry later")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_request_names_every_field() {
        let status = invalid_argument(&[
            Violation::new("unit.credit_code", "check_character", "wrong check"),
            Violation::new("unit.region_code", "unknown_region", "no such region"),
        ]);
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let violations = &details.bad_request().unwrap().field_violations;
        assert_eq!(violations.len(), 2);
        assert_eq!(violations[0].field, "unit.credit_code");
        assert_eq!(violations[0].reason, "CHECK_CHARACTER");
        assert!(
            status
                .message()
                .contains("unit.region_code: no such region")
        );
    }

    #[test]
    fn internal_hides_the_cause() {
        let status = internal(&"password authentication failed for user x");
        assert_eq!(status.message(), "internal error");
    }
}
