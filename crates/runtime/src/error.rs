//! The one error type of every service, and its one mapping to a gRPC status with the
//! google.rpc details and the zh-CN message. A service with refusals of its own (a
//! quota's QuotaFailure, say) names them in `S`; the others use [`Error`] as it is.

use tonic::Status;

use crate::catalogue::{Args, Noun, Rule};
use crate::idempotency::ClaimError;
use crate::status::{self, Violation};

/// Refusals a service adds to the shared ones, each mapped to its status by the service.
pub trait ServiceCases: std::error::Error + Send + Sync + 'static {
    /// The status this case answers with (with its zh-CN message).
    fn into_status(self) -> Status;
}

/// The cases of a service that adds none.
#[derive(Debug, thiserror::Error)]
pub enum NoCases {}

impl ServiceCases for NoCases {
    fn into_status(self) -> Status {
        match self {}
    }
}

/// Everything a call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error<S: ServiceCases = NoCases> {
    /// Bad input; each violation names a field and the rule it broke.
    #[error("invalid argument: {0:?}")]
    Invalid(Vec<Violation>),
    /// Absent, or outside the caller's scope (the two are not told apart).
    #[error("{} {name} not found", kind.en)]
    NotFound {
        /// Resource type.
        kind: &'static Noun,
        /// Resource name as the caller sent it.
        name: String,
    },
    /// A business rule forbids the change.
    #[error("precondition {} failed for {subject}: {description}", rule.name)]
    Precondition {
        /// The rule (its name is the PreconditionFailure type).
        rule: &'static Rule,
        /// Values its zh-CN text refers to.
        args: Args,
        /// What the rule was checked on.
        subject: String,
        /// A sentence for integrators.
        description: String,
    },
    /// A unique key is taken.
    #[error("{} {name} already exists: {description}", kind.en)]
    AlreadyExists {
        /// Resource type.
        kind: &'static Noun,
        /// The conflicting resource.
        name: String,
        /// A sentence for integrators.
        description: String,
    },
    /// The caller's etag or base version is stale.
    #[error("etag mismatch on {0}")]
    EtagMismatch(String),
    /// The caller's kind may never do this.
    #[error("permission denied: {description}")]
    PermissionDenied {
        /// Which rule (and its zh-CN text).
        rule: &'static Rule,
        /// A sentence for integrators.
        description: &'static str,
    },
    /// Another service could not answer in time or at all; its DEADLINE_EXCEEDED or
    /// UNAVAILABLE passes on (the message is logged, not sent).
    #[error("{}: {status}", service.en)]
    Upstream {
        /// Which service.
        service: &'static Noun,
        /// What it (or the transport) answered.
        status: Status,
    },
    /// Database failure; logged, never sent.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Anything else unexpected; logged, never sent.
    #[error("internal: {0}")]
    Internal(String),
    /// A refusal of the service's own.
    #[error(transparent)]
    Service(S),
}

impl<S: ServiceCases> Error<S> {
    /// A single-field violation.
    pub fn invalid(
        field: impl Into<String>,
        rule: &'static Rule,
        description: impl Into<String>,
    ) -> Self {
        Self::Invalid(vec![Violation::new(field, rule, description)])
    }

    /// A broken business rule.
    pub fn precondition(
        rule: &'static Rule,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self::Precondition {
            rule,
            args: Vec::new(),
            subject: subject.into(),
            description: description.into(),
        }
    }

    /// Adds a value a precondition's (or a single violation's) zh-CN text refers to.
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl std::fmt::Display) -> Self {
        match &mut self {
            Self::Precondition { args, .. } => args.push((name, value.to_string())),
            Self::Invalid(violations) => {
                if let Some(last) = violations.last_mut() {
                    last.args.push((name, value.to_string()));
                }
            }
            _ => {}
        }
        self
    }

    /// Not found (or out of scope).
    pub fn not_found(kind: &'static Noun, name: impl Into<String>) -> Self {
        Self::NotFound {
            kind,
            name: name.into(),
        }
    }

    /// A kind of caller that may never do this.
    pub fn denied(rule: &'static Rule, description: &'static str) -> Self {
        Self::PermissionDenied { rule, description }
    }

    /// Another service's failure to answer.
    pub fn upstream(service: &'static Noun, status: Status) -> Self {
        Self::Upstream { service, status }
    }
}

impl<S: ServiceCases> From<Violation> for Error<S> {
    fn from(violation: Violation) -> Self {
        Self::Invalid(vec![violation])
    }
}

impl<S: ServiceCases> From<ClaimError> for Error<S> {
    fn from(err: ClaimError) -> Self {
        match err {
            ClaimError::Database(err) => Self::Database(err),
            ClaimError::Reused { operation } => Self::Invalid(vec![ClaimError::reused(&operation)]),
        }
    }
}

impl<S: ServiceCases> From<Error<S>> for Status {
    fn from(err: Error<S>) -> Self {
        match err {
            Error::Invalid(violations) => status::invalid_argument(&violations),
            Error::NotFound { kind, name } => status::not_found(kind, &name),
            Error::Precondition {
                rule,
                args,
                subject,
                description,
            } => status::failed_precondition(rule, &args, &subject, &description),
            Error::AlreadyExists {
                kind,
                name,
                description,
            } => status::already_exists(kind, &name, &description),
            Error::EtagMismatch(name) => status::etag_mismatch(&name),
            Error::PermissionDenied { rule, description } => {
                status::permission_denied(rule, description)
            }
            Error::Upstream { service, status } => status::upstream(service, &status),
            Error::Database(err) if crate::db::is_unavailable(&err) => {
                if matches!(err, sqlx::Error::PoolTimedOut) {
                    crate::metrics::pool_timed_out();
                }
                status::unavailable(&err)
            }
            Error::Database(err) => status::internal(&err),
            Error::Internal(cause) => status::internal(&cause),
            Error::Service(case) => case.into_status(),
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;
    use crate::catalogue::common;

    const FULL: Rule = Rule::new("batch.full", "本县已推荐 {count} 个，最多 {max} 个");
    const NOUN: Noun = Noun::new("unit", "单位");
    const DENIED: Rule = Rule::new("offices_only", "只有文明办可以办理");

    #[test]
    fn every_case_answers_with_a_chinese_message() {
        let cases: Vec<Error> = vec![
            Error::invalid("units[0]", &common::REQUIRED, "required"),
            Error::precondition(&FULL, "campaigns/x", "full")
                .arg("count", 5)
                .arg("max", 5),
            Error::not_found(&NOUN, "units/x"),
            Error::EtagMismatch("units/x".into()),
            Error::denied(&DENIED, "no"),
            Error::upstream(&NOUN, Status::unavailable("down")),
            Error::Internal("boom".into()),
            Error::Database(sqlx::Error::PoolTimedOut),
        ];
        for case in cases {
            let status = Status::from(case);
            let zh = status::zh_cn_of(&status).unwrap_or_default();
            assert!(!zh.is_empty(), "{status:?}");
            assert!(!zh.contains('{'), "unfilled placeholder in {zh}");
        }
        let status = Status::from(
            Error::<NoCases>::precondition(&FULL, "campaigns/x", "full")
                .arg("count", 5)
                .arg("max", 5),
        );
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(
            status::zh_cn_of(&status).unwrap(),
            "本县已推荐 5 个，最多 5 个"
        );
    }

    #[test]
    fn upstream_keeps_a_deadline_and_hides_the_cause() {
        let status = Status::from(Error::<NoCases>::upstream(
            &NOUN,
            Status::deadline_exceeded("secret detail"),
        ));
        assert_eq!(status.code(), Code::DeadlineExceeded);
        assert!(!status.message().contains("secret"));
        let status = Status::from(Error::<NoCases>::upstream(
            &NOUN,
            Status::resource_exhausted("x"),
        ));
        assert_eq!(status.code(), Code::Unavailable);
    }
}
