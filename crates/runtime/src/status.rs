//! Building gRPC statuses with google.rpc details. Services map their error enum to a
//! `Status` in one place, through these helpers, so every service answers alike.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, LocalizedMessage, StatusExt as _};

use crate::catalogue::{Args, LOCALE, Noun, Rule, common, render};

/// Error domain in google.rpc.ErrorInfo.
pub const ERROR_DOMAIN: &str = "wenming";

/// One field that broke one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Path of the field in the request, e.g. `unit.credit_code`.
    pub field: String,
    /// The rule, with its stable name and its zh-CN text.
    pub rule: &'static Rule,
    /// A sentence for integrators (English).
    pub description: String,
    /// Values the zh-CN text refers to.
    pub args: Args,
}

impl Violation {
    /// A violation of `rule` by `field`.
    pub fn new(
        field: impl Into<String>,
        rule: &'static Rule,
        description: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            rule,
            description: description.into(),
            args: Vec::new(),
        }
    }

    /// Adds a value the zh-CN text refers to as `{name}`.
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl std::fmt::Display) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// The zh-CN sentence an official reads.
    pub fn zh_cn(&self) -> String {
        let mut args = self.args.clone();
        args.push(("field", self.field.clone()));
        render(self.rule.zh_cn, &args)
    }
}

impl From<Violation> for Status {
    /// A single bad field, answered as [`invalid_argument`] does.
    fn from(violation: Violation) -> Self {
        invalid_argument(std::slice::from_ref(&violation))
    }
}

/// `details` with the zh-CN message added.
fn localized(mut details: ErrorDetails, zh_cn: impl Into<String>) -> ErrorDetails {
    details.set_localized_message(LOCALE, zh_cn);
    details
}

/// INVALID_ARGUMENT with a BadRequest naming each field, each in both languages.
pub fn invalid_argument(violations: &[Violation]) -> Status {
    let message = violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ");
    let zh_cn = violations
        .iter()
        .map(Violation::zh_cn)
        .collect::<Vec<_>>()
        .join("；");
    let fields: Vec<FieldViolation> = violations
        .iter()
        .map(|v| {
            let mut field = FieldViolation::new(&v.field, &v.description);
            field.reason = v.rule.name.to_uppercase();
            field.localized_message = Some(LocalizedMessage::new(LOCALE, v.zh_cn()));
            field
        })
        .collect();
    Status::with_error_details(
        Code::InvalidArgument,
        message,
        localized(ErrorDetails::with_bad_request(fields), zh_cn),
    )
}

/// FAILED_PRECONDITION with a PreconditionFailure naming the rule and its subject.
pub fn failed_precondition(
    rule: &Rule,
    args: &[(&str, String)],
    subject: &str,
    description: &str,
) -> Status {
    let mut all: Vec<(&str, String)> = args.to_vec();
    all.push(("subject", subject.to_owned()));
    Status::with_error_details(
        Code::FailedPrecondition,
        description,
        localized(
            ErrorDetails::with_precondition_failure_violation(rule.name, subject, description),
            render(rule.zh_cn, &all),
        ),
    )
}

/// NOT_FOUND for a resource the caller cannot see (absent or out of scope alike).
pub fn not_found(noun: &Noun, name: &str) -> Status {
    let zh_cn = render(
        common::status::NOT_FOUND,
        &[("noun", noun.zh_cn.to_owned()), ("name", name.to_owned())],
    );
    Status::with_error_details(
        Code::NotFound,
        format!("{name} not found"),
        localized(
            ErrorDetails::with_resource_info(noun.en, name, "", "not found"),
            zh_cn,
        ),
    )
}

/// ALREADY_EXISTS for a resource whose unique key is taken.
pub fn already_exists(noun: &Noun, name: &str, description: &str) -> Status {
    let zh_cn = render(
        common::status::ALREADY_EXISTS,
        &[("noun", noun.zh_cn.to_owned()), ("name", name.to_owned())],
    );
    Status::with_error_details(
        Code::AlreadyExists,
        description,
        localized(
            ErrorDetails::with_resource_info(noun.en, name, "", description),
            zh_cn,
        ),
    )
}

/// ABORTED for a stale etag: read the resource again and retry.
pub fn etag_mismatch(name: &str) -> Status {
    Status::with_error_details(
        Code::Aborted,
        format!("{name} was changed by someone else; read it again and retry"),
        localized(
            ErrorDetails::with_error_info(
                "ETAG_MISMATCH",
                ERROR_DOMAIN,
                [("resource".to_owned(), name.to_owned())],
            ),
            render(common::status::ETAG_MISMATCH, &[("name", name.to_owned())]),
        ),
    )
}

/// PERMISSION_DENIED for an action the caller's kind may never do.
pub fn permission_denied(rule: &Rule, description: &str) -> Status {
    Status::with_error_details(
        Code::PermissionDenied,
        description,
        localized(
            ErrorDetails::with_error_info(
                "PERMISSION_DENIED",
                ERROR_DOMAIN,
                [("rule".to_owned(), rule.name.to_owned())],
            ),
            rule.zh_cn,
        ),
    )
}

/// A status of `code` whose only detail is the zh-CN message (refusals with no other
/// detail to give: UNAUTHENTICATED, UNIMPLEMENTED, DEADLINE_EXCEEDED …).
pub fn plain(code: Code, message: impl Into<String>, zh_cn: impl Into<String>) -> Status {
    Status::with_error_details(code, message, localized(ErrorDetails::new(), zh_cn))
}

/// INVALID_ARGUMENT for a request that does not decode (see `wenming_proto::codec`),
/// naming the field where it broke when prost named one.
pub fn undecodable(field: &str, message: impl Into<String>) -> Status {
    let zh_cn = if field.is_empty() {
        common::status::UNREADABLE.to_owned()
    } else {
        format!("{}（字段 {field}）", common::status::UNREADABLE)
    };
    let mut violation = FieldViolation::new(
        field,
        "does not decode (wrong type, not UTF-8, or cut short)",
    );
    violation.reason = "UNDECODABLE".to_owned();
    violation.localized_message = Some(LocalizedMessage::new(LOCALE, zh_cn.clone()));
    Status::with_error_details(
        Code::InvalidArgument,
        message,
        localized(ErrorDetails::with_bad_request(vec![violation]), zh_cn),
    )
}

/// INTERNAL: the cause is logged here and never sent to the caller.
pub fn internal(cause: &dyn std::fmt::Display) -> Status {
    tracing::error!(error = %cause, "internal error");
    plain(Code::Internal, "internal error", common::status::INTERNAL)
}

/// UNAVAILABLE: the database or a dependency is unreachable; the call may be retried.
pub fn unavailable(cause: &dyn std::fmt::Display) -> Status {
    tracing::warn!(error = %cause, "dependency unavailable");
    plain(
        Code::Unavailable,
        "temporarily unavailable, retry later",
        common::status::UNAVAILABLE,
    )
}

/// The answer when another service (`service`) could not answer in time or at all: its
/// DEADLINE_EXCEEDED passes on as such, anything else as UNAVAILABLE. The cause is
/// logged, not sent.
pub fn upstream(service: &Noun, status: &Status) -> Status {
    let args = [("service", service.zh_cn.to_owned())];
    if status.code() == Code::DeadlineExceeded {
        tracing::warn!(service = service.en, error = %status.message(), "call to another service ran out of time");
        plain(
            Code::DeadlineExceeded,
            format!("the {} did not answer within the deadline", service.en),
            render(common::status::UPSTREAM_DEADLINE, &args),
        )
    } else {
        tracing::warn!(service = service.en, error = %status.message(), code = ?status.code(), "another service unavailable");
        plain(
            Code::Unavailable,
            format!(
                "the {} is unavailable; nothing was written, retry later",
                service.en
            ),
            render(common::status::UPSTREAM_UNAVAILABLE, &args),
        )
    }
}

/// The zh-CN message of a status, if it carries one.
pub fn zh_cn_of(status: &Status) -> Option<String> {
    status
        .get_error_details()
        .localized_message()
        .filter(|m| m.locale == LOCALE)
        .map(|m| m.message.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECK: Rule = Rule::new("check_character", "{field} 的校验码应为 {expected}");

    #[test]
    fn bad_request_names_every_field() {
        let status = invalid_argument(&[
            Violation::new("unit.credit_code", &CHECK, "wrong check").arg("expected", 'H'),
            Violation::new(
                "unit.region_code",
                &common::REGION_UNKNOWN,
                "no such region",
            )
            .arg("value", "419999"),
        ]);
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let violations = &details.bad_request().unwrap().field_violations;
        assert_eq!(violations.len(), 2);
        assert_eq!(violations[0].field, "unit.credit_code");
        assert_eq!(violations[0].reason, "CHECK_CHARACTER");
        assert_eq!(
            violations[0].localized_message.as_ref().unwrap().message,
            "unit.credit_code 的校验码应为 H"
        );
        let zh = zh_cn_of(&status).unwrap();
        assert!(zh.contains("419999"), "{zh}");
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
        assert_eq!(zh_cn_of(&status).as_deref(), Some(common::status::INTERNAL));
    }
}
