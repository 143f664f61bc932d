//! Pairing (结对帮创): who may help, the lifecycle of a pairing, the ledger categories
//! and the free texts of plans, ledgers and activities.

use std::fmt;

use crate::TitleTier;
use crate::named_enum::named_enum;
use crate::unit::{TextError, checked_text};

named_enum! {
    /// What kind of helper a pairing has (the seed notice names exactly these four).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum HelperKind: "helper kind" {
        /// 市文明办
        CityOffice = "city_office",
        /// 县（市、区）文明办
        CountyOffice = "county_office",
        /// 全国文明单位
        NationalCivilisedUnit = "national_civilised_unit",
        /// 河南省文明单位标兵
        ProvincialModelUnit = "provincial_model_unit",
    }
}

impl HelperKind {
    /// The title a unit helper must hold; `None` for office helpers.
    pub const fn required_title(self) -> Option<TitleTier> {
        match self {
            HelperKind::NationalCivilisedUnit => Some(TitleTier::National),
            HelperKind::ProvincialModelUnit => Some(TitleTier::ProvincialModel),
            HelperKind::CityOffice | HelperKind::CountyOffice => None,
        }
    }

    /// Whether the helper is a civilisation office (rather than a titled unit).
    pub const fn is_office(self) -> bool {
        self.required_title().is_none()
    }
}

named_enum! {
    /// Where a pairing stands: proposed → active → concluded or dissolved.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum PairingState: "pairing state" {
        /// Put on the office's list, not yet confirmed.
        Proposed = "proposed",
        /// Confirmed; the helper and the unit work together.
        Active = "active",
        /// Ended after its work was done.
        Concluded = "concluded",
        /// Ended early, with a reason.
        Dissolved = "dissolved",
    }
}

impl PairingState {
    /// How an official names the state.
    pub const fn label_zh(self) -> &'static str {
        match self {
            PairingState::Proposed => "待确认",
            PairingState::Active => "进行中",
            PairingState::Concluded => "已结束",
            PairingState::Dissolved => "已解除",
        }
    }

    /// Proposed and active pairings hold the helper's and the unit's one place.
    pub const fn is_open(self) -> bool {
        matches!(self, PairingState::Proposed | PairingState::Active)
    }

    /// The lifecycle's allowed steps.
    pub const fn can_become(self, next: PairingState) -> bool {
        matches!(
            (self, next),
            (PairingState::Proposed, PairingState::Active)
                | (PairingState::Proposed, PairingState::Dissolved)
                | (PairingState::Active, PairingState::Concluded)
                | (PairingState::Active, PairingState::Dissolved)
        )
    }

    /// Whether the helper and the unit may still write plans, ledger entries and
    /// activities: while proposed (plans only) or active.
    pub const fn accepts_work(self) -> bool {
        self.is_open()
    }
}

named_enum! {
    /// Category of a ledger entry or activity (R13 and the seed's list of work).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum LedgerCategory: "ledger category" {
        /// 培训
        Training = "training",
        /// 交流观摩
        ExchangeVisit = "exchange_visit",
        /// 志愿服务
        VolunteerService = "volunteer_service",
        /// 党建活动
        PartyBuilding = "party_building",
        /// 文明城市创建
        CivilisedCityCampaign = "civilised_city_campaign",
        /// 乡村振兴
        RuralRevitalisation = "rural_revitalisation",
        /// 生态文明
        EcologicalCivilisation = "ecological_civilisation",
        /// 重大赛会服务
        MajorEventService = "major_event_service",
        /// 其他
        Other = "other",
    }
}

/// A heading (milestone, activity, brand name): trimmed, 2 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Heading(String);

impl Heading {
    /// Validates and trims a heading.
    pub fn parse(text: &str) -> Result<Heading, TextError> {
        checked_text(text, "heading", 2, 100, &[]).map(Heading)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A description (plan summary, ledger entry, activity, brand): trimmed, 2 to 2,000
/// characters; line breaks and tabs allowed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Description(String);

impl Description {
    /// Validates and trims a description.
    pub fn parse(text: &str) -> Result<Description, TextError> {
        checked_text(text, "description", 2, 2000, &['\n', '\r', '\t']).map(Description)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Description {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A reference to evidence kept elsewhere (a document number, an archive path, a URL):
/// trimmed, 2 to 500 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EvidenceRef(String);

impl EvidenceRef {
    /// Validates and trims an evidence reference.
    pub fn parse(text: &str) -> Result<EvidenceRef, TextError> {
        checked_text(text, "evidence reference", 2, 500, &[]).map(EvidenceRef)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_steps() {
        use PairingState::*;
        assert!(Proposed.can_become(Active));
        assert!(Proposed.can_become(Dissolved));
        assert!(!Proposed.can_become(Concluded));
        assert!(Active.can_become(Concluded));
        assert!(Active.can_become(Dissolved));
        for end in [Concluded, Dissolved] {
            assert!(!end.is_open());
            for next in PairingState::ALL {
                assert!(!end.can_become(*next), "{end} must be final");
            }
        }
        assert!(Proposed.is_open() && Active.is_open());
    }

    #[test]
    fn unit_helpers_need_their_title() {
        assert_eq!(
            HelperKind::NationalCivilisedUnit.required_title(),
            Some(TitleTier::National)
        );
        assert_eq!(
            HelperKind::ProvincialModelUnit.required_title(),
            Some(TitleTier::ProvincialModel)
        );
        assert!(HelperKind::CityOffice.is_office());
        assert!(!HelperKind::ProvincialModelUnit.is_office());
    }

    #[test]
    fn texts_are_checked() {
        assert_eq!(Heading::parse(" 培训 ").unwrap().as_str(), "培训");
        assert_eq!(Heading::parse("x").unwrap_err().rule(), "too_short");
        assert!(Description::parse("第一行\n第二行").is_ok());
        assert_eq!(
            Description::parse(&"字".repeat(2001)).unwrap_err().rule(),
            "too_long"
        );
        assert_eq!(
            EvidenceRef::parse("a\u{7}b").unwrap_err().rule(),
            "control_character"
        );
        for c in LedgerCategory::ALL {
            assert_eq!(c.as_str().parse::<LedgerCategory>(), Ok(*c));
        }
    }
}
