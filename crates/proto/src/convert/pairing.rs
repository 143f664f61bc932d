//! Wire enums of the pairing contract ↔ the domain vocabularies.

use crate::pairing::v1 as pb;
use wenming_domain::{HelperKind, LedgerCategory, PairingState};

/// A wire helper kind; `None` for UNSPECIFIED or unknown.
pub fn helper_kind_from_pb(value: i32) -> Option<HelperKind> {
    Some(match pb::HelperKind::try_from(value).ok()? {
        pb::HelperKind::Unspecified => return None,
        pb::HelperKind::CityOffice => HelperKind::CityOffice,
        pb::HelperKind::CountyOffice => HelperKind::CountyOffice,
        pb::HelperKind::NationalCivilisedUnit => HelperKind::NationalCivilisedUnit,
        pb::HelperKind::ProvincialModelUnit => HelperKind::ProvincialModelUnit,
    })
}

/// The wire helper kind.
pub fn helper_kind_to_pb(kind: HelperKind) -> pb::HelperKind {
    match kind {
        HelperKind::CityOffice => pb::HelperKind::CityOffice,
        HelperKind::CountyOffice => pb::HelperKind::CountyOffice,
        HelperKind::NationalCivilisedUnit => pb::HelperKind::NationalCivilisedUnit,
        HelperKind::ProvincialModelUnit => pb::HelperKind::ProvincialModelUnit,
    }
}

/// A wire pairing state; `None` for UNSPECIFIED or unknown.
pub fn state_from_pb(value: i32) -> Option<PairingState> {
    Some(match pb::PairingState::try_from(value).ok()? {
        pb::PairingState::Unspecified => return None,
        pb::PairingState::Proposed => PairingState::Proposed,
        pb::PairingState::Active => PairingState::Active,
        pb::PairingState::Concluded => PairingState::Concluded,
        pb::PairingState::Dissolved => PairingState::Dissolved,
    })
}

/// The wire pairing state.
pub fn state_to_pb(state: PairingState) -> pb::PairingState {
    match state {
        PairingState::Proposed => pb::PairingState::Proposed,
        PairingState::Active => pb::PairingState::Active,
        PairingState::Concluded => pb::PairingState::Concluded,
        PairingState::Dissolved => pb::PairingState::Dissolved,
    }
}

/// A wire ledger category; `None` for UNSPECIFIED or unknown.
pub fn category_from_pb(value: i32) -> Option<LedgerCategory> {
    use pb::LedgerCategory as W;
    Some(match W::try_from(value).ok()? {
        W::Unspecified => return None,
        W::Training => LedgerCategory::Training,
        W::ExchangeVisit => LedgerCategory::ExchangeVisit,
        W::VolunteerService => LedgerCategory::VolunteerService,
        W::PartyBuilding => LedgerCategory::PartyBuilding,
        W::CivilisedCityCampaign => LedgerCategory::CivilisedCityCampaign,
        W::RuralRevitalisation => LedgerCategory::RuralRevitalisation,
        W::EcologicalCivilisation => LedgerCategory::EcologicalCivilisation,
        W::MajorEventService => LedgerCategory::MajorEventService,
        W::Other => LedgerCategory::Other,
    })
}

/// The wire ledger category.
pub fn category_to_pb(category: LedgerCategory) -> pb::LedgerCategory {
    use pb::LedgerCategory as W;
    match category {
        LedgerCategory::Training => W::Training,
        LedgerCategory::ExchangeVisit => W::ExchangeVisit,
        LedgerCategory::VolunteerService => W::VolunteerService,
        LedgerCategory::PartyBuilding => W::PartyBuilding,
        LedgerCategory::CivilisedCityCampaign => W::CivilisedCityCampaign,
        LedgerCategory::RuralRevitalisation => W::RuralRevitalisation,
        LedgerCategory::EcologicalCivilisation => W::EcologicalCivilisation,
        LedgerCategory::MajorEventService => W::MajorEventService,
        LedgerCategory::Other => W::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips() {
        for kind in HelperKind::ALL {
            assert_eq!(
                helper_kind_from_pb(helper_kind_to_pb(*kind) as i32),
                Some(*kind)
            );
        }
        for state in PairingState::ALL {
            assert_eq!(state_from_pb(state_to_pb(*state) as i32), Some(*state));
        }
        for category in LedgerCategory::ALL {
            assert_eq!(
                category_from_pb(category_to_pb(*category) as i32),
                Some(*category)
            );
        }
        assert_eq!(helper_kind_from_pb(0), None);
        assert_eq!(category_from_pb(99), None);
    }
}
