//! The quota service's error: the shared error core, plus the refusals only this
//! service makes: a full quota (RESOURCE_EXHAUSTED with a google.rpc.QuotaFailure) and
//! a recommendation list breaking its round's rules (FAILED_PRECONDITION with one
//! google.rpc.PreconditionFailure violation per rule broken).

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, PreconditionViolation, StatusExt as _};
use wenming_runtime::catalogue::{LOCALE, render};
use wenming_runtime::error::ServiceCases;

use crate::messages as msg;
use crate::rules::recommendation::Broken;

/// The quota service's own refusals.
#[derive(Debug, thiserror::Error)]
pub enum QuotaCase {
    /// Every place of a holder's tier is taken.
    #[error("quota of {holder} for {tier} is full: {used} of {quota} places used")]
    Full {
        /// "offices/{code}" or "offices/provincial-direct".
        holder: String,
        /// As officials name it ("平顶山市").
        holder_name: String,
        /// The tier's stable name, e.g. `provincial_model`.
        tier: &'static str,
        /// Its label, e.g. "河南省文明单位标兵".
        tier_label: &'static str,
        /// Places allocated.
        quota: i64,
        /// Places taken.
        used: i64,
    },
    /// A recommendation list breaks rules of its round: every one, at once.
    #[error("{list} breaks {} rule(s) of its round", broken.len())]
    ListBreaksRules {
        /// "recommendationRounds/{year}/lists/{office}".
        list: String,
        /// What it breaks, never empty.
        broken: Vec<Broken>,
    },
}

impl ServiceCases for QuotaCase {
    fn into_status(self) -> Status {
        match self {
            QuotaCase::Full {
                ref holder,
                ref holder_name,
                tier,
                tier_label,
                quota,
                used,
            } => {
                let description = self.to_string();
                let zh_cn = render(
                    msg::FULL,
                    &[
                        ("holder", holder_name.clone()),
                        ("tier", tier_label.to_owned()),
                        ("quota", quota.to_string()),
                        ("used", used.to_string()),
                    ],
                );
                let mut details = ErrorDetails::with_quota_failure_violation(
                    format!("{holder}/tiers/{tier}"),
                    format!("{used} of {quota} places used"),
                );
                details.set_localized_message(LOCALE, zh_cn);
                Status::with_error_details(Code::ResourceExhausted, description, details)
            }
            QuotaCase::ListBreaksRules { ref broken, .. } => {
                let en: Vec<&str> = broken.iter().map(|b| b.description.as_str()).collect();
                let description = format!("{self}: {}", en.join("; "));
                let zh: Vec<String> = broken.iter().map(Broken::zh_cn).collect();
                let mut details = ErrorDetails::with_precondition_failure(
                    broken
                        .iter()
                        .map(|b| {
                            PreconditionViolation::new(b.rule.name, &b.subject, &b.description)
                        })
                        .collect::<Vec<_>>(),
                );
                details.set_localized_message(
                    LOCALE,
                    render(msg::LIST_BREAKS, &[("list", zh.join("；"))]),
                );
                Status::with_error_details(Code::FailedPrecondition, description, details)
            }
        }
    }
}

/// Everything a quota call can fail with.
pub type QuotaError = wenming_runtime::Error<QuotaCase>;

pub(crate) type Result<T, E = QuotaError> = std::result::Result<T, E>;
