//! Conversions between the wire enums and the domain vocabularies, and the parsing of
//! names, dates and ids at the edge.

use jiff::civil::Date;
use wenming_domain::{NominationStatus, TitleTier, UnitKind, UnitScale};
use wenming_proto::registry::v1 as pb;

use crate::error::{RegistryError, Result};

pub(crate) fn kind_from_pb(value: i32) -> Option<UnitKind> {
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

pub(crate) fn kind_to_pb(kind: UnitKind) -> pb::UnitKind {
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

pub(crate) fn scale_from_pb(value: i32) -> Option<UnitScale> {
    Some(match pb::UnitScale::try_from(value).ok()? {
        pb::UnitScale::Unspecified => return None,
        pb::UnitScale::Micro => UnitScale::Micro,
        pb::UnitScale::Small => UnitScale::Small,
        pb::UnitScale::Medium => UnitScale::Medium,
        pb::UnitScale::Large => UnitScale::Large,
    })
}

pub(crate) fn scale_to_pb(scale: Option<UnitScale>) -> pb::UnitScale {
    match scale {
        None => pb::UnitScale::Unspecified,
        Some(UnitScale::Micro) => pb::UnitScale::Micro,
        Some(UnitScale::Small) => pb::UnitScale::Small,
        Some(UnitScale::Medium) => pb::UnitScale::Medium,
        Some(UnitScale::Large) => pb::UnitScale::Large,
    }
}

pub(crate) fn tier_from_pb(value: i32) -> Option<TitleTier> {
    Some(match pb::TitleTier::try_from(value).ok()? {
        pb::TitleTier::Unspecified => return None,
        pb::TitleTier::City => TitleTier::City,
        pb::TitleTier::Provincial => TitleTier::Provincial,
        pb::TitleTier::ProvincialModel => TitleTier::ProvincialModel,
        pb::TitleTier::National => TitleTier::National,
    })
}

pub(crate) fn tier_to_pb(tier: TitleTier) -> pb::TitleTier {
    match tier {
        TitleTier::City => pb::TitleTier::City,
        TitleTier::Provincial => pb::TitleTier::Provincial,
        TitleTier::ProvincialModel => pb::TitleTier::ProvincialModel,
        TitleTier::National => pb::TitleTier::National,
    }
}

pub(crate) fn nomination_status_from_pb(value: i32) -> Option<NominationStatus> {
    Some(match pb::NominationStatus::try_from(value).ok()? {
        pb::NominationStatus::Unspecified => return None,
        pb::NominationStatus::Submitted => NominationStatus::Submitted,
        pb::NominationStatus::Accepted => NominationStatus::Accepted,
        pb::NominationStatus::Returned => NominationStatus::Returned,
    })
}

pub(crate) fn nomination_status_to_pb(status: NominationStatus) -> pb::NominationStatus {
    match status {
        NominationStatus::Submitted => pb::NominationStatus::Submitted,
        NominationStatus::Accepted => pb::NominationStatus::Accepted,
        NominationStatus::Returned => pb::NominationStatus::Returned,
    }
}

/// Parses a wire enum that must be set: unknown and UNSPECIFIED values are refused.
pub(crate) fn required_enum<T>(
    field: &str,
    value: i32,
    parse: impl Fn(i32) -> Option<T>,
) -> Result<T> {
    parse(value).ok_or_else(|| {
        RegistryError::invalid(
            field,
            "required",
            format!("{field} must be set to a known value"),
        )
    })
}

/// Parses an optional wire enum: UNSPECIFIED is `None`, unknown values are refused.
pub(crate) fn optional_enum<T>(
    field: &str,
    value: i32,
    parse: impl Fn(i32) -> Option<T>,
) -> Result<Option<T>> {
    if value == 0 {
        return Ok(None);
    }
    parse(value).map(Some).ok_or_else(|| {
        RegistryError::invalid(
            field,
            "unknown_value",
            format!("{value} is not a known value"),
        )
    })
}

/// Parses an ISO 8601 calendar date ("2021-04-20").
pub(crate) fn parse_date(field: &str, text: &str) -> Result<Date> {
    text.trim().parse::<Date>().map_err(|_| {
        RegistryError::invalid(
            field,
            "date",
            format!("'{text}' is not a date like 2021-04-20"),
        )
    })
}

/// Parses an optional date: empty is `None`.
pub(crate) fn parse_optional_date(field: &str, text: &str) -> Result<Option<Date>> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        parse_date(field, text).map(Some)
    }
}

/// Extracts the id from a resource name "{collection}/{id}" and parses it.
pub(crate) fn parse_name<T>(
    field: &str,
    collection: &str,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T> {
    name.strip_prefix(collection)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(parse)
        .ok_or_else(|| {
            RegistryError::invalid(
                field,
                "resource_name",
                format!("'{name}' is not a resource name like {collection}/{{id}}"),
            )
        })
}

/// Milliseconds since the epoch to a protobuf timestamp.
pub(crate) fn timestamp(millis: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: millis.div_euclid(1000),
        nanos: i32::try_from(millis.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}
