//! Another service's refusal, as the calling service's error.

use tonic::{Code, Status};
use wenming_runtime::catalogue::Noun;
use wenming_runtime::{Error, ServiceCases};

use crate::messages;

/// Why a call to another service gave no answer to use.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Absent, or outside the caller's scope.
    #[error("{} {name} not found", kind.en)]
    NotFound {
        /// What was asked for.
        kind: &'static Noun,
        /// Its name.
        name: String,
    },
    /// The other service refused the caller this lookup.
    #[error("{} refused the caller", service.en)]
    Refused {
        /// Which service.
        service: &'static Noun,
    },
    /// The other service refused a name the caller sent (reported on the caller's
    /// field).
    #[error("{} refused {value}: {message}", service.en)]
    Invalid {
        /// Which service.
        service: &'static Noun,
        /// The caller's field that held it.
        field: String,
        /// The value.
        value: String,
        /// The other service's reason.
        message: String,
        /// The same in zh-CN, when the other service gave it.
        message_zh_cn: Option<String>,
    },
    /// The other service did not answer in time or at all.
    #[error("{}: {status}", service.en)]
    Upstream {
        /// Which service.
        service: &'static Noun,
        /// What came back.
        status: Status,
    },
    /// An answer this service cannot use (a fault of ours, logged).
    #[error("{0}")]
    Internal(String),
}

impl ClientError {
    /// `status` from `service`, asked about `kind` `name` on the caller's `field`.
    pub fn from_status(
        service: &'static Noun,
        status: Status,
        kind: &'static Noun,
        field: &str,
        name: &str,
    ) -> Self {
        match status.code() {
            Code::NotFound => Self::NotFound {
                kind,
                name: name.to_owned(),
            },
            Code::PermissionDenied => Self::Refused { service },
            Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted => {
                Self::Upstream { service, status }
            }
            Code::InvalidArgument => Self::Invalid {
                service,
                field: field.to_owned(),
                value: name.to_owned(),
                message: status.message().to_owned(),
                message_zh_cn: wenming_runtime::status::zh_cn_of(&status),
            },
            code => Self::Internal(format!(
                "{} answered {code:?}: {}",
                service.en,
                status.message()
            )),
        }
    }
}

impl<S: ServiceCases> From<ClientError> for Error<S> {
    fn from(err: ClientError) -> Self {
        match err {
            ClientError::NotFound { kind, name } => Error::not_found(kind, name),
            ClientError::Refused { service } => Error::denied(
                &messages::REFUSED_CALLER,
                if service.en == messages::REGISTRY.en {
                    "the registry refuses this caller the lookup"
                } else {
                    "the pairing service refuses this caller the lookup"
                },
            ),
            ClientError::Invalid {
                service,
                field,
                value,
                message,
                message_zh_cn,
            } => Error::invalid(
                field,
                if service.en == messages::REGISTRY.en {
                    &messages::REGISTRY_REFUSED
                } else {
                    &messages::PAIRING_REFUSED
                },
                format!("the {} refused '{value}': {message}", service.en),
            )
            .arg("service", service.zh_cn)
            .arg("value", value)
            .arg("reason", message_zh_cn.unwrap_or(message)),
            ClientError::Upstream { service, status } => Error::upstream(service, status),
            ClientError::Internal(cause) => Error::Internal(cause),
        }
    }
}
