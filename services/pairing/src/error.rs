//! The pairing service's one error type, and its one mapping to a gRPC status.

use tonic::{Code, Status};
use wenming_runtime::status::{self, Violation};

/// Everything a pairing call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum PairingError {
    /// Bad input; each violation names a field and the rule it broke.
    #[error("invalid argument: {0:?}")]
    Invalid(Vec<Violation>),
    /// Absent, or outside the caller's scope (the two are not told apart).
    #[error("{kind} {name} not found")]
    NotFound {
        /// Resource type, e.g. "pairing".
        kind: &'static str,
        /// Resource name as the caller sent it.
        name: String,
    },
    /// A business rule forbids the change.
    #[error("precondition {rule} failed for {subject}: {description}")]
    Precondition {
        /// Stable rule name, e.g. "pairing.one_to_one".
        rule: &'static str,
        /// What the rule was checked on.
        subject: String,
        /// A sentence for people.
        description: String,
    },
    /// The caller's etag or base version is stale.
    #[error("etag mismatch on {0}")]
    EtagMismatch(String),
    /// The caller may never do this.
    #[error("permission denied: {0}")]
    PermissionDenied(&'static str),
    /// The registry could not answer in time or at all: its status code
    /// (UNAVAILABLE or DEADLINE_EXCEEDED) is passed on.
    #[error("registry: {0}")]
    Registry(Status),
    /// Database failure; logged, never sent.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Anything else unexpected; logged, never sent.
    #[error("internal: {0}")]
    Internal(String),
}

pub(crate) type Result<T, E = PairingError> = std::result::Result<T, E>;

impl PairingError {
    /// Shorthand for a single-field violation.
    pub(crate) fn invalid(
        field: impl Into<String>,
        rule: &str,
        description: impl Into<String>,
    ) -> Self {
        Self::Invalid(vec![Violation::new(field, rule, description)])
    }

    /// Shorthand for a broken business rule.
    pub(crate) fn precondition(
        rule: &'static str,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self::Precondition {
            rule,
            subject: subject.into(),
            description: description.into(),
        }
    }

    /// Shorthand for not found.
    pub(crate) fn not_found(kind: &'static str, name: impl Into<String>) -> Self {
        Self::NotFound {
            kind,
            name: name.into(),
        }
    }
}

impl From<Violation> for PairingError {
    fn from(violation: Violation) -> Self {
        Self::Invalid(vec![violation])
    }
}

impl From<wenming_runtime::idempotency::ClaimError> for PairingError {
    fn from(err: wenming_runtime::idempotency::ClaimError) -> Self {
        match err {
            wenming_runtime::idempotency::ClaimError::Database(err) => Self::Database(err),
            wenming_runtime::idempotency::ClaimError::Reused { operation } => {
                Self::Invalid(vec![wenming_runtime::idempotency::ClaimError::reused(
                    &operation,
                )])
            }
        }
    }
}

impl From<PairingError> for Status {
    fn from(err: PairingError) -> Self {
        match err {
            PairingError::Invalid(violations) => status::invalid_argument(&violations),
            PairingError::NotFound { kind, name } => status::not_found(kind, &name),
            PairingError::Precondition {
                rule,
                subject,
                description,
            } => status::failed_precondition(rule, &subject, &description),
            PairingError::EtagMismatch(name) => status::etag_mismatch(&name),
            PairingError::PermissionDenied(what) => status::permission_denied(what),
            PairingError::Registry(upstream) if upstream.code() == Code::DeadlineExceeded => {
                tracing::warn!(error = %upstream.message(), "registry call ran out of time");
                Status::deadline_exceeded("the registry did not answer within the deadline")
            }
            PairingError::Registry(upstream) => {
                tracing::warn!(error = %upstream.message(), code = ?upstream.code(), "registry unavailable");
                Status::unavailable("the registry is unavailable; nothing was written, retry later")
            }
            PairingError::Database(err) if wenming_runtime::db::is_unavailable(&err) => {
                status::unavailable(&err)
            }
            PairingError::Database(err) => status::internal(&err),
            PairingError::Internal(cause) => status::internal(&cause),
        }
    }
}
