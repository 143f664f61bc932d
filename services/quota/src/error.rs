//! The quota service's error: the shared error core, plus the one refusal only this
//! service makes, a full quota (RESOURCE_EXHAUSTED with a google.rpc.QuotaFailure).

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};
use wenming_runtime::catalogue::{LOCALE, render};
use wenming_runtime::error::ServiceCases;

use crate::messages as msg;

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
        }
    }
}

/// Everything a quota call can fail with.
pub type QuotaError = wenming_runtime::Error<QuotaCase>;

pub(crate) type Result<T, E = QuotaError> = std::result::Result<T, E>;
