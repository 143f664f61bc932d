//! Conversions between the wire enums and the domain vocabularies, in one place for
//! every service and tool.

use wenming_domain::{CampaignDeadline, NominationStatus, TitleTier, UnitKind, UnitScale};

use crate::registry::v1 as pb;

pub mod pairing;

/// A wire unit kind; `None` for UNSPECIFIED or an unknown value.
pub fn kind_from_pb(value: i32) -> Option<UnitKind> {
    Some(match pb::UnitKind::try_from(value).ok()? {
        pb::UnitKind::Unspecified => return None,
        pb::UnitKind::PrivateEnterprise => UnitKind::PrivateEnterprise,
        pb::UnitKind::ForeignFundedEnterprise => UnitKind::ForeignFundedEnterprise,
        pb::UnitKind::SocialOrganisation => UnitKind::SocialOrganisation,
        pb::UnitKind::IndividualBusiness => UnitKind::IndividualBusiness,
        pb::UnitKind::AdministrativeAgency => UnitKind::AdministrativeAgency,
        pb::UnitKind::PublicInstitution => UnitKind::PublicInstitution,
        pb::UnitKind::StateOwnedEnterprise => UnitKind::StateOwnedEnterprise,
        pb::UnitKind::CommunityStreet => UnitKind::CommunityStreet,
    })
}

/// The wire unit kind.
pub fn kind_to_pb(kind: UnitKind) -> pb::UnitKind {
    match kind {
        UnitKind::PrivateEnterprise => pb::UnitKind::PrivateEnterprise,
        UnitKind::ForeignFundedEnterprise => pb::UnitKind::ForeignFundedEnterprise,
        UnitKind::SocialOrganisation => pb::UnitKind::SocialOrganisation,
        UnitKind::IndividualBusiness => pb::UnitKind::IndividualBusiness,
        UnitKind::AdministrativeAgency => pb::UnitKind::AdministrativeAgency,
        UnitKind::PublicInstitution => pb::UnitKind::PublicInstitution,
        UnitKind::StateOwnedEnterprise => pb::UnitKind::StateOwnedEnterprise,
        UnitKind::CommunityStreet => pb::UnitKind::CommunityStreet,
    }
}

/// A wire scale; `None` for UNSPECIFIED or unknown.
pub fn scale_from_pb(value: i32) -> Option<UnitScale> {
    Some(match pb::UnitScale::try_from(value).ok()? {
        pb::UnitScale::Unspecified => return None,
        pb::UnitScale::Micro => UnitScale::Micro,
        pb::UnitScale::Small => UnitScale::Small,
        pb::UnitScale::Medium => UnitScale::Medium,
        pb::UnitScale::Large => UnitScale::Large,
    })
}

/// The wire scale.
pub fn scale_to_pb(scale: Option<UnitScale>) -> pb::UnitScale {
    match scale {
        None => pb::UnitScale::Unspecified,
        Some(UnitScale::Micro) => pb::UnitScale::Micro,
        Some(UnitScale::Small) => pb::UnitScale::Small,
        Some(UnitScale::Medium) => pb::UnitScale::Medium,
        Some(UnitScale::Large) => pb::UnitScale::Large,
    }
}

/// A wire tier; `None` for UNSPECIFIED or unknown.
pub fn tier_from_pb(value: i32) -> Option<TitleTier> {
    Some(match pb::TitleTier::try_from(value).ok()? {
        pb::TitleTier::Unspecified => return None,
        pb::TitleTier::City => TitleTier::City,
        pb::TitleTier::Provincial => TitleTier::Provincial,
        pb::TitleTier::ProvincialModel => TitleTier::ProvincialModel,
        pb::TitleTier::National => TitleTier::National,
    })
}

/// The wire tier.
pub fn tier_to_pb(tier: TitleTier) -> pb::TitleTier {
    match tier {
        TitleTier::City => pb::TitleTier::City,
        TitleTier::Provincial => pb::TitleTier::Provincial,
        TitleTier::ProvincialModel => pb::TitleTier::ProvincialModel,
        TitleTier::National => pb::TitleTier::National,
    }
}

/// A wire nomination status; `None` for UNSPECIFIED or unknown.
pub fn nomination_status_from_pb(value: i32) -> Option<NominationStatus> {
    Some(match pb::NominationStatus::try_from(value).ok()? {
        pb::NominationStatus::Unspecified => return None,
        pb::NominationStatus::Submitted => NominationStatus::Submitted,
        pb::NominationStatus::Accepted => NominationStatus::Accepted,
        pb::NominationStatus::Returned => NominationStatus::Returned,
    })
}

/// The wire nomination status.
pub fn nomination_status_to_pb(status: NominationStatus) -> pb::NominationStatus {
    match status {
        NominationStatus::Submitted => pb::NominationStatus::Submitted,
        NominationStatus::Accepted => pb::NominationStatus::Accepted,
        NominationStatus::Returned => pb::NominationStatus::Returned,
    }
}

/// A wire campaign deadline; `None` for UNSPECIFIED or an unknown value.
pub fn campaign_deadline_from_pb(value: i32) -> Option<CampaignDeadline> {
    Some(match pb::CampaignDeadline::try_from(value).ok()? {
        pb::CampaignDeadline::Unspecified => return None,
        pb::CampaignDeadline::Nomination => CampaignDeadline::Nomination,
        pb::CampaignDeadline::PairingList => CampaignDeadline::PairingList,
    })
}

/// The wire campaign deadline.
pub fn campaign_deadline_to_pb(deadline: CampaignDeadline) -> pb::CampaignDeadline {
    match deadline {
        CampaignDeadline::Nomination => pb::CampaignDeadline::Nomination,
        CampaignDeadline::PairingList => pb::CampaignDeadline::PairingList,
    }
}
