//! Title tiers (文明单位称号) and the validity window of an awarded title.

use jiff::civil::Date;

use crate::division::AdminLevel;
use crate::named_enum::named_enum;

named_enum! {
    /// The tier of a civilised-unit title, from city level up to national.
    /// Variants are declared in rank order.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum TitleTier: "title tier" {
        /// 市级文明单位
        City = "city",
        /// 省级文明单位
        Provincial = "provincial",
        /// 省级文明单位标兵
        ProvincialModel = "provincial_model",
        /// 全国文明单位
        National = "national",
    }
}

impl TitleTier {
    /// The Chinese label used in documents.
    pub const fn label_zh(self) -> &'static str {
        match self {
            TitleTier::City => "市级文明单位",
            TitleTier::Provincial => "省级文明单位",
            TitleTier::ProvincialModel => "省级文明单位标兵",
            TitleTier::National => "全国文明单位",
        }
    }

    /// The level of the office that records the title: cities award city
    /// titles; the province awards provincial and provincial-model titles and
    /// records national ones (awarded by the central commission).
    pub const fn awarding_level(self) -> AdminLevel {
        match self {
            TitleTier::City => AdminLevel::City,
            TitleTier::Provincial | TitleTier::ProvincialModel | TitleTier::National => {
                AdminLevel::Province
            }
        }
    }

    /// 1 for city up to 4 for national; higher is more senior.
    pub const fn rank(self) -> u8 {
        match self {
            TitleTier::City => 1,
            TitleTier::Provincial => 2,
            TitleTier::ProvincialModel => 3,
            TitleTier::National => 4,
        }
    }
}

named_enum! {
    /// Where an awarded title stands in the registry. At most one title per unit and
    /// tier is current; whether a current title is *held* on a day is
    /// [`TitleValidity::is_valid_on`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum TitleState: "title state" {
        /// The latest award of its tier, not revoked.
        Current = "current",
        /// Withdrawn from a day on, with a reason.
        Revoked = "revoked",
        /// Replaced by a later award of the same tier after it expired.
        Superseded = "superseded",
    }
}

impl TitleState {
    /// How an official names the state.
    pub const fn label_zh(self) -> &'static str {
        match self {
            TitleState::Current => "有效",
            TitleState::Revoked => "已撤销",
            TitleState::Superseded => "已被新称号取代",
        }
    }
}

/// Why a tier cannot be the one a nomination or pairing cultivates for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TierChoiceError {
    /// None named, and the campaign does not name exactly one.
    #[error("name the title the unit is cultivated for")]
    Required,
    /// Not one of the campaign's target tiers.
    #[error("the campaign cultivates for {}, not {}", targets.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", "), tier.as_str())]
    NotTargeted {
        /// The tier named.
        tier: TitleTier,
        /// The campaign's target tiers.
        targets: Vec<TitleTier>,
    },
}

impl TitleTier {
    /// The tier a nomination or pairing in a campaign with `targets` cultivates for: the
    /// one `requested` if the campaign targets it (any, if the campaign names none), or
    /// the campaign's only target tier when none is requested.
    pub fn choose(
        requested: Option<TitleTier>,
        targets: &[TitleTier],
    ) -> Result<TitleTier, TierChoiceError> {
        match (requested, targets) {
            (Some(tier), []) => Ok(tier),
            (Some(tier), targets) if targets.contains(&tier) => Ok(tier),
            (Some(tier), targets) => Err(TierChoiceError::NotTargeted {
                tier,
                targets: targets.to_vec(),
            }),
            (None, [only]) => Ok(*only),
            (None, _) => Err(TierChoiceError::Required),
        }
    }
}

/// When an awarded title is in force. All dates are civil dates in China.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TitleValidity {
    /// First day the title is held.
    pub awarded_on: Date,
    /// First day the title is no longer held (exclusive end); `None` means open-ended.
    pub valid_until: Option<Date>,
    /// Day the title was revoked; it is not held from that day on.
    pub revoked_on: Option<Date>,
}

impl TitleValidity {
    /// Whether the title is held on `day`: on or after the award, before the
    /// end of validity and before any revocation.
    pub fn is_valid_on(&self, day: Date) -> bool {
        day >= self.awarded_on
            && self.valid_until.is_none_or(|end| day < end)
            && self.revoked_on.is_none_or(|revoked| day < revoked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn tiers_are_ranked_and_round_trip() {
        let ranks: Vec<u8> = TitleTier::ALL.iter().map(|t| t.rank()).collect();
        assert_eq!(ranks, [1, 2, 3, 4]);
        assert!(TitleTier::City < TitleTier::National);
        for tier in TitleTier::ALL {
            assert_eq!(tier.as_str().parse::<TitleTier>(), Ok(*tier));
        }
        assert_eq!(TitleTier::ProvincialModel.as_str(), "provincial_model");
    }

    #[test]
    fn a_tier_is_chosen_among_the_campaigns_targets() {
        use TitleTier::*;
        let seed = [City, Provincial, ProvincialModel];
        assert_eq!(TitleTier::choose(Some(City), &seed), Ok(City));
        assert!(matches!(
            TitleTier::choose(Some(National), &seed),
            Err(TierChoiceError::NotTargeted { .. })
        ));
        assert_eq!(
            TitleTier::choose(None, &seed),
            Err(TierChoiceError::Required)
        );
        assert_eq!(TitleTier::choose(None, &[City]), Ok(City));
        assert_eq!(TitleTier::choose(Some(National), &[]), Ok(National));
    }

    #[test]
    fn title_states_round_trip_and_read_in_chinese() {
        for state in TitleState::ALL {
            assert_eq!(state.as_str().parse::<TitleState>(), Ok(*state));
            assert!(!state.label_zh().is_empty());
        }
        // The names the SQL of the registry writes literally (the partial index of
        // current titles, the supersede and revoke updates).
        assert_eq!(TitleState::Current.as_str(), "current");
        assert_eq!(TitleState::Revoked.as_str(), "revoked");
        assert_eq!(TitleState::Superseded.as_str(), "superseded");
    }

    #[test]
    fn awarding_levels() {
        assert_eq!(TitleTier::City.awarding_level(), AdminLevel::City);
        assert_eq!(TitleTier::Provincial.awarding_level(), AdminLevel::Province);
        assert_eq!(TitleTier::National.awarding_level(), AdminLevel::Province);
    }

    #[test]
    fn validity_window() {
        let v = TitleValidity {
            awarded_on: date(2021, 12, 1),
            valid_until: Some(date(2024, 12, 1)),
            revoked_on: None,
        };
        assert!(!v.is_valid_on(date(2021, 11, 30)));
        assert!(v.is_valid_on(date(2021, 12, 1)));
        assert!(v.is_valid_on(date(2024, 11, 30)));
        assert!(!v.is_valid_on(date(2024, 12, 1)));

        let revoked = TitleValidity {
            revoked_on: Some(date(2022, 6, 1)),
            ..v
        };
        assert!(revoked.is_valid_on(date(2022, 5, 31)));
        assert!(!revoked.is_valid_on(date(2022, 6, 1)));

        let open = TitleValidity {
            valid_until: None,
            ..v
        };
        assert!(open.is_valid_on(date(2099, 1, 1)));
    }
}
