//! The recommendation rules (R8), decided without I/O: what a round may set, whose list
//! a name is, and every rule a list breaks, each with the actual and the limit. A list
//! is judged whole: the holder reads all that is wrong with it at once.

use wenming_domain::{Divisions, OfficeKey, QuotaHolder, TitleTier, UnitKind};
use wenming_runtime::catalogue::{Rule, render};

use crate::messages as msg;

/// Most places one holder's row may give (a typo guard).
pub const MAX_PLACES: i64 = 1_000;

/// A list's places and the lines within them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lines {
    /// Most units.
    pub places: i64,
    /// Non-public units at least.
    pub non_public_minimum: i64,
    /// Communities (streets) at least.
    pub community_minimum: i64,
}

/// The shares a round fixes for every list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shares {
    /// Administrative agencies at most, in percent.
    pub agency_cap_percent: i64,
    /// Base-level units at least, in percent.
    pub base_level_minimum_percent: i64,
}

/// Whose list: a holder's, or the province's list of a national round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ListOwner {
    /// A city-level office or the provincial-direct office.
    Holder(QuotaHolder),
    /// The province, in a national round.
    Province,
}

impl ListOwner {
    /// The owner a list's last segment names.
    pub fn of_segment(segment: &str, divisions: &Divisions) -> Option<ListOwner> {
        if segment == PROVINCE_SEGMENT {
            return Some(ListOwner::Province);
        }
        let office = OfficeKey::parse(segment).ok()?;
        QuotaHolder::of_office(office, divisions).map(ListOwner::Holder)
    }

    /// Its place in holder order: the provincial-direct office, the cities by code, the
    /// province last.
    pub fn order(self, divisions: &Divisions) -> usize {
        match self {
            ListOwner::Holder(holder) => divisions
                .quota_holders()
                .position(|h| h == holder)
                .unwrap_or(usize::MAX - 1),
            ListOwner::Province => usize::MAX,
        }
    }

    /// The last segment of the list's name: a city's code, "provincial-direct" or
    /// "province".
    pub fn segment(self) -> String {
        match self {
            ListOwner::Holder(holder) => holder.office().to_string(),
            ListOwner::Province => PROVINCE_SEGMENT.to_owned(),
        }
    }
}

/// The list segment of the province's own list.
pub const PROVINCE_SEGMENT: &str = "province";

/// Which tiers a round recommends for.
pub fn round_tier(tier: TitleTier) -> bool {
    matches!(
        tier,
        TitleTier::National | TitleTier::ProvincialModel | TitleTier::Provincial
    )
}

/// A unit on a list, as the registry describes it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Listed {
    /// The unit's id.
    pub unit_id: String,
    /// Registered name.
    pub display_name: String,
    /// Ownership kind (stable name), if known.
    pub kind: Option<String>,
    /// 基层单位.
    pub base_level: bool,
    /// County-level region.
    pub region_code: String,
    /// On the province's list: the holder whose list named it (its list segment).
    pub candidate_of: Option<String>,
}

impl Listed {
    fn kind(&self) -> Option<UnitKind> {
        self.kind.as_deref().and_then(|k| k.parse().ok())
    }
}

/// The counts a list is judged on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    pub units: i64,
    pub places: i64,
    pub administrative_agencies: i64,
    pub non_public: i64,
    pub communities: i64,
    pub base_level: i64,
}

/// The counts of `units` against `lines`.
pub fn tally(units: &[Listed], lines: Lines) -> Tally {
    let count = |f: &dyn Fn(&Listed) -> bool| units.iter().filter(|u| f(u)).count() as i64;
    Tally {
        units: units.len() as i64,
        places: lines.places,
        administrative_agencies: count(&|u| u.kind() == Some(UnitKind::AdministrativeAgency)),
        non_public: count(&|u| u.kind().is_some_and(UnitKind::is_non_public)),
        communities: count(&|u| u.kind() == Some(UnitKind::CommunityStreet)),
        base_level: count(&|u| u.base_level),
    }
}

/// One rule a list breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// The rule (its name is the PreconditionFailure type).
    pub rule: &'static Rule,
    /// What it was checked on: the list, or a unit of it.
    pub subject: String,
    /// A sentence for integrators, with the actual and the limit.
    pub description: String,
    /// The values of its zh-CN text.
    pub args: Vec<(&'static str, String)>,
}

impl Broken {
    fn new(rule: &'static Rule, subject: &str, description: String) -> Self {
        Self {
            rule,
            subject: subject.to_owned(),
            description,
            args: Vec::new(),
        }
    }

    fn arg(mut self, name: &'static str, value: impl std::fmt::Display) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// Its zh-CN text.
    pub fn zh_cn(&self) -> String {
        render(self.rule.zh_cn, &self.args)
    }
}

/// `part` of `whole` in percent, as officials write it: "30", "33.3".
pub fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "0".to_owned();
    }
    let tenths = (part * 1000 + whole / 2) / whole;
    if tenths % 10 == 0 {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

/// Every share and line rule `tally` breaks, in the notice's order: places, agencies,
/// non-public units, communities, base-level units.
pub fn breaks(list: &str, shares: Shares, lines: Lines, tally: Tally) -> Vec<Broken> {
    let mut broken = Vec::new();
    let n = tally.units;
    if n > lines.places {
        broken.push(
            Broken::new(
                &msg::REC_PLACES,
                list,
                format!("{n} units for {} places", lines.places),
            )
            .arg("units", n)
            .arg("places", lines.places),
        );
    }
    // agencies / n > cap / 100, in whole numbers.
    if tally.administrative_agencies * 100 > shares.agency_cap_percent * n {
        let share = percent(tally.administrative_agencies, n);
        broken.push(
            Broken::new(
                &msg::REC_AGENCY_CAP,
                list,
                format!(
                    "administrative agencies {} of {n} = {share} %, cap {} %",
                    tally.administrative_agencies, shares.agency_cap_percent
                ),
            )
            .arg("count", tally.administrative_agencies)
            .arg("units", n)
            .arg("share", share)
            .arg("cap", shares.agency_cap_percent),
        );
    }
    if tally.non_public < lines.non_public_minimum {
        broken.push(
            Broken::new(
                &msg::REC_NON_PUBLIC,
                list,
                format!(
                    "non-public units {}, at least {}",
                    tally.non_public, lines.non_public_minimum
                ),
            )
            .arg("count", tally.non_public)
            .arg("minimum", lines.non_public_minimum),
        );
    }
    if tally.communities < lines.community_minimum {
        broken.push(
            Broken::new(
                &msg::REC_COMMUNITY,
                list,
                format!(
                    "communities (streets) {}, at least {}",
                    tally.communities, lines.community_minimum
                ),
            )
            .arg("count", tally.communities)
            .arg("minimum", lines.community_minimum),
        );
    }
    if tally.base_level * 100 < shares.base_level_minimum_percent * n {
        let share = percent(tally.base_level, n);
        broken.push(
            Broken::new(
                &msg::REC_BASE_LEVEL,
                list,
                format!(
                    "base-level units {} of {n} = {share} %, at least {} %",
                    tally.base_level, shares.base_level_minimum_percent
                ),
            )
            .arg("count", tally.base_level)
            .arg("units", n)
            .arg("share", share)
            .arg("minimum", shares.base_level_minimum_percent),
        );
    }
    broken
}

/// A unit the holder may not recommend: not its own (`owner`: whose it is).
pub fn not_the_holders(unit: &str, display_name: &str, owner: &str) -> Broken {
    Broken::new(
        &msg::REC_UNIT_HOLDER,
        unit,
        format!("{display_name} is recommended by {owner}"),
    )
    .arg("unit", display_name)
    .arg("holder", owner)
}

/// A deregistered unit.
pub fn deregistered(unit: &str, display_name: &str) -> Broken {
    Broken::new(
        &msg::REC_DEREGISTERED,
        unit,
        format!("{display_name} is deregistered"),
    )
    .arg("unit", display_name)
}

/// A unit on the province's national list that no holder's accepted list names.
pub fn not_a_candidate(unit: &str, display_name: &str) -> Broken {
    Broken::new(
        &msg::REC_NOT_A_CANDIDATE,
        unit,
        format!("{display_name} is on no holder's accepted list of the round"),
    )
    .arg("unit", display_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(kind: UnitKind, base_level: bool) -> Listed {
        Listed {
            unit_id: "u".into(),
            display_name: "单位".into(),
            kind: Some(kind.as_str().to_owned()),
            base_level,
            region_code: "410421".into(),
            candidate_of: None,
        }
    }

    fn rules(broken: &[Broken]) -> Vec<&str> {
        broken.iter().map(|b| b.rule.name).collect()
    }

    const SHARES: Shares = Shares {
        agency_cap_percent: 20,
        base_level_minimum_percent: 60,
    };

    #[test]
    fn a_list_of_ten_with_three_agencies_breaks_the_cap() {
        let mut units = vec![unit(UnitKind::AdministrativeAgency, false); 3];
        units.extend(vec![unit(UnitKind::PrivateEnterprise, true); 4]);
        units.extend(vec![unit(UnitKind::CommunityStreet, true); 3]);
        let lines = Lines {
            places: 10,
            non_public_minimum: 3,
            community_minimum: 2,
        };
        let broken = breaks("l", SHARES, lines, tally(&units, lines));
        assert_eq!(rules(&broken), ["recommendation.agency_cap"]);
        assert_eq!(
            broken[0].description,
            "administrative agencies 3 of 10 = 30 %, cap 20 %"
        );
        assert_eq!(
            broken[0].zh_cn(),
            "行政机关 3 个，占全部 10 个的 30%，超过上限 20%"
        );
    }

    #[test]
    fn every_broken_rule_is_named() {
        let units = vec![
            unit(UnitKind::AdministrativeAgency, false),
            unit(UnitKind::PublicInstitution, false),
            unit(UnitKind::PrivateEnterprise, true),
        ];
        let lines = Lines {
            places: 2,
            non_public_minimum: 2,
            community_minimum: 1,
        };
        let broken = breaks("l", SHARES, lines, tally(&units, lines));
        assert_eq!(
            rules(&broken),
            [
                "recommendation.places",
                "recommendation.agency_cap",
                "recommendation.non_public_minimum",
                "recommendation.community_minimum",
                "recommendation.base_level_share"
            ]
        );
        assert_eq!(
            broken[4].description,
            "base-level units 1 of 3 = 33.3 %, at least 60 %"
        );
        // Exactly at the limits is within them.
        let units = vec![
            unit(UnitKind::AdministrativeAgency, false),
            unit(UnitKind::PrivateEnterprise, true),
            unit(UnitKind::PrivateEnterprise, true),
            unit(UnitKind::CommunityStreet, true),
            unit(UnitKind::PublicInstitution, false),
        ];
        let lines = Lines {
            places: 5,
            non_public_minimum: 2,
            community_minimum: 1,
        };
        assert!(breaks("l", SHARES, lines, tally(&units, lines)).is_empty());
    }

    #[test]
    fn percentages_as_officials_write_them() {
        assert_eq!(percent(3, 10), "30");
        assert_eq!(percent(1, 3), "33.3");
        assert_eq!(percent(2, 3), "66.7");
        assert_eq!(percent(0, 0), "0");
    }
}
