//! The registry's one error type, and its one mapping to a gRPC status.

use tonic::Status;
use wenming_runtime::status::{self, Violation};

/// Everything a registry call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Bad input; each violation names a field and the rule it broke.
    #[error("invalid argument: {0:?}")]
    Invalid(Vec<Violation>),
    /// Absent, or outside the caller's scope (the two are not told apart).
    #[error("{kind} {name} not found")]
    NotFound {
        /// Resource type, e.g. "unit".
        kind: &'static str,
        /// Resource name as the caller sent it.
        name: String,
    },
    /// A business rule forbids the change.
    #[error("precondition {rule} failed for {subject}: {description}")]
    Precondition {
        /// Stable rule name, e.g. "nomination.deadline".
        rule: &'static str,
        /// What the rule was checked on.
        subject: String,
        /// A sentence for people.
        description: String,
    },
    /// A unique key is taken.
    #[error("{kind} {name} already exists: {description}")]
    AlreadyExists {
        /// Resource type.
        kind: &'static str,
        /// The conflicting resource.
        name: String,
        /// A sentence for people.
        description: String,
    },
    /// The caller's etag is stale.
    #[error("etag mismatch on {0}")]
    EtagMismatch(String),
    /// The caller's kind may never do this.
    #[error("permission denied: {0}")]
    PermissionDenied(&'static str),
    /// Database failure; logged, never sent.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Anything else unexpected; logged, never sent.
    #[error("internal: {0}")]
    Internal(String),
}

pub(crate) type Result<T, E = RegistryError> = std::result::Result<T, E>;

impl RegistryError {
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

impl From<Violation> for RegistryError {
    fn from(violation: Violation) -> Self {
        Self::Invalid(vec![violation])
    }
}

impl From<wenming_runtime::idempotency::ClaimError> for RegistryError {
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

impl From<RegistryError> for Status {
    fn from(err: RegistryError) -> Self {
        match err {
            RegistryError::Invalid(violations) => status::invalid_argument(&violations),
            RegistryError::NotFound { kind, name } => status::not_found(kind, &name),
            RegistryError::Precondition {
                rule,
                subject,
                description,
            } => status::failed_precondition(rule, &subject, &description),
            RegistryError::AlreadyExists {
                kind,
                name,
                description,
            } => status::already_exists(kind, &name, &description),
            RegistryError::EtagMismatch(name) => status::etag_mismatch(&name),
            RegistryError::PermissionDenied(what) => status::permission_denied(what),
            RegistryError::Database(err) if wenming_runtime::db::is_unavailable(&err) => {
                status::unavailable(&err)
            }
            RegistryError::Database(err) => status::internal(&err),
            RegistryError::Internal(cause) => status::internal(&cause),
        }
    }
}
