//! Cultivation nominations (培育对象推荐): the batch-size rule and the status.

use crate::named_enum::named_enum;

/// How many active nominations a county's batch must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BatchRule {
    /// Fewest active nominations allowed.
    pub min: u32,
    /// Most active nominations allowed.
    pub max: u32,
}

/// Why a batch size breaks the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchRuleError {
    /// The batch would hold fewer than the minimum.
    #[error("the batch would hold {found} active nominations but must hold at least {min}")]
    TooFew {
        /// Minimum required.
        min: u32,
        /// Active nominations the batch would hold.
        found: u32,
    },
    /// The batch would hold more than the maximum.
    #[error("the batch would hold {found} active nominations but may hold at most {max}")]
    TooMany {
        /// Maximum allowed.
        max: u32,
        /// Active nominations the batch would hold.
        found: u32,
    },
}

impl BatchRuleError {
    /// Short stable machine name of the violated rule.
    pub fn rule(&self) -> &'static str {
        match self {
            BatchRuleError::TooFew { .. } => "too_few",
            BatchRuleError::TooMany { .. } => "too_many",
        }
    }
}

impl BatchRule {
    /// The seed notice: each county reports 3 to 5 units to the city.
    pub const SEED: BatchRule = BatchRule { min: 3, max: 5 };

    /// Checks the number of active nominations (those that
    /// [count toward the batch](NominationStatus::counts_toward_batch)) after a change.
    pub fn check(&self, active_after: u32) -> Result<(), BatchRuleError> {
        if active_after < self.min {
            Err(BatchRuleError::TooFew {
                min: self.min,
                found: active_after,
            })
        } else if active_after > self.max {
            Err(BatchRuleError::TooMany {
                max: self.max,
                found: active_after,
            })
        } else {
            Ok(())
        }
    }
}

named_enum! {
    /// Where a nomination stands with the city office.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum NominationStatus: "nomination status" {
        /// Reported by the county, awaiting the city's decision.
        Submitted = "submitted",
        /// Accepted by the city as a cultivation target.
        Accepted = "accepted",
        /// Returned by the city to the county, with a reason.
        Returned = "returned",
    }
}

impl NominationStatus {
    /// Only a submitted nomination can be accepted or returned.
    pub const fn can_decide(self) -> bool {
        matches!(self, NominationStatus::Submitted)
    }

    /// Submitted and accepted nominations occupy a place in the county's batch;
    /// a returned one frees its place.
    pub const fn counts_toward_batch(self) -> bool {
        matches!(
            self,
            NominationStatus::Submitted | NominationStatus::Accepted
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_rule_is_three_to_five() {
        let rule = BatchRule::SEED;
        assert_eq!(
            rule.check(2),
            Err(BatchRuleError::TooFew { min: 3, found: 2 })
        );
        assert!(rule.check(3).is_ok());
        assert!(rule.check(5).is_ok());
        let err = rule.check(6).unwrap_err();
        assert_eq!(err, BatchRuleError::TooMany { max: 5, found: 6 });
        assert_eq!(err.rule(), "too_many");
        assert_eq!(
            err.to_string(),
            "the batch would hold 6 active nominations but may hold at most 5"
        );
    }

    #[test]
    fn only_submitted_can_be_decided() {
        assert!(NominationStatus::Submitted.can_decide());
        assert!(!NominationStatus::Accepted.can_decide());
        assert!(!NominationStatus::Returned.can_decide());
        assert!(NominationStatus::Accepted.counts_toward_batch());
        assert!(!NominationStatus::Returned.counts_toward_batch());
        for s in NominationStatus::ALL {
            assert_eq!(s.as_str().parse::<NominationStatus>(), Ok(*s));
        }
    }
}
