//! Stored records → wire messages.

use wenming_domain::{Divisions, QUOTA_TIERS, QuotaHolder, UnitKind};
use wenming_proto::convert::{kind_to_pb, tier_to_pb};
use wenming_proto::quota::v1 as pb;
use wenming_runtime::edge::timestamp;

use crate::error::Result;
use crate::rules::recommendation::{Lines, ListOwner, PROVINCE_SEGMENT};
use crate::rules::{self, Attention, TierCount};
use crate::store::{self, DesignationRecord, ListRecord, RoundRecord, VersionView, version_name};

/// What a designation's read adds from pairing and the registry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DesignationLook {
    /// What needs the holder's attention.
    pub attention: Vec<Attention>,
    /// The unit holds the tier (or higher) today.
    pub titled: bool,
}

fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn tier_quotas(quotas: &[i64; 2]) -> Vec<pb::TierQuota> {
    QUOTA_TIERS
        .iter()
        .zip(quotas)
        .map(|(tier, quota)| pb::TierQuota {
            tier: tier_to_pb(*tier) as i32,
            quota: count(*quota),
        })
        .collect()
}

fn state_to_pb(state: &str) -> pb::AllocationTableState {
    match state {
        "draft" => pb::AllocationTableState::Draft,
        "confirmed" => pb::AllocationTableState::Confirmed,
        "superseded" => pb::AllocationTableState::Superseded,
        "discarded" => pb::AllocationTableState::Discarded,
        _ => pb::AllocationTableState::Unspecified,
    }
}

/// A holder as named on the wire.
pub(crate) fn holder_name(holder: QuotaHolder) -> String {
    format!("offices/{}", holder.office())
}

pub(crate) fn version_to_pb(
    view: &VersionView,
    divisions: &Divisions,
) -> pb::AllocationTableVersion {
    let r = &view.record;
    let period = rules::Period::parse(&r.period);
    pb::AllocationTableVersion {
        name: period.map_or_else(String::new, |p| version_name(p, r.version)),
        table: format!("allocationTables/{}", r.period),
        version: count(r.version),
        state: state_to_pb(&r.state) as i32,
        rows: view
            .rows
            .iter()
            .map(|row| pb::AllocationRow {
                holder: holder_name(row.holder),
                holder_display_name: row.holder.display_name(divisions),
                quotas: tier_quotas(&row.quotas),
            })
            .collect(),
        totals: tier_quotas(&rules::totals(&view.rows)),
        discrepancies: view
            .discrepancies
            .iter()
            .map(|d| pb::TotalDiscrepancy {
                tier: store::tier_from_column(&d.tier).map_or(0, |t| tier_to_pb(t) as i32),
                column: d.column.clone(),
                declared: d.declared,
                sum: d.sum,
            })
            .collect(),
        source: match r.source.as_str() {
            "import" => pb::AllocationSource::Import,
            "reallocation" => pb::AllocationSource::Reallocation,
            _ => pb::AllocationSource::Unspecified,
        } as i32,
        reason: r.reason.clone(),
        created_by: r.created_by.clone(),
        create_time: Some(timestamp(r.created_at)),
        confirmed_by: r.confirmed_by.clone().unwrap_or_default(),
        confirm_time: r.confirmed_at.map(timestamp),
        etag: r.row_version.to_string(),
    }
}

pub(crate) fn designation_to_pb(
    r: &DesignationRecord,
    look: &DesignationLook,
) -> Result<pb::Designation> {
    let tier = store::tier_from_column(&r.tier)?;
    Ok(pb::Designation {
        name: r.name(),
        table: format!("allocationTables/{}", r.period),
        unit: format!("units/{}", r.unit_id),
        tier: tier_to_pb(tier) as i32,
        holder: format!("offices/{}", r.holder),
        unit_display_name: r.unit_display_name.clone(),
        unit_region_code: r.unit_region.clone(),
        pairing: r.pairing.clone(),
        state: match r.state.as_str() {
            "active" => pb::DesignationState::Active,
            _ => pb::DesignationState::Withdrawn,
        } as i32,
        attention: look
            .attention
            .iter()
            .map(|a| match a {
                Attention::PairingNotOpen => pb::DesignationAttention::PairingNotOpen as i32,
                Attention::UnitDeregistered => pb::DesignationAttention::UnitDeregistered as i32,
            })
            .collect(),
        titled: look.titled,
        designated_by: r.designated_by.clone(),
        create_time: Some(timestamp(r.created_at)),
        withdrawn_by: r.withdrawn_by.clone().unwrap_or_default(),
        withdraw_time: r.withdrawn_at.map(timestamp),
        withdraw_reason: r.withdraw_reason.clone().unwrap_or_default(),
        etag: r.version.to_string(),
    })
}

pub(crate) fn tier_fulfilments(counts: &[TierCount; 2]) -> Vec<pb::TierFulfilment> {
    QUOTA_TIERS
        .iter()
        .zip(counts)
        .map(|(tier, c)| pb::TierFulfilment {
            tier: tier_to_pb(*tier) as i32,
            quota: count(c.quota),
            designated: count(c.designated),
            titled: count(c.titled),
            gap: count(c.gap()),
            free: count(c.free()),
        })
        .collect()
}

pub(crate) fn holder_fulfilment(
    holder: QuotaHolder,
    counts: &[TierCount; 2],
    divisions: &Divisions,
) -> pb::HolderFulfilment {
    pb::HolderFulfilment {
        holder: holder_name(holder),
        holder_display_name: holder.display_name(divisions),
        tiers: tier_fulfilments(counts),
    }
}

/// The holder a list segment names, as on the wire and as officials write it.
fn segment_holder(segment: &str, divisions: &Divisions) -> (String, String) {
    if segment == PROVINCE_SEGMENT {
        let province = divisions.province();
        let name = divisions
            .get(province)
            .map_or_else(|| province.to_string(), |d| d.name.clone());
        return (format!("offices/{province}"), name);
    }
    match ListOwner::of_segment(segment, divisions) {
        Some(ListOwner::Holder(holder)) => (holder_name(holder), holder.display_name(divisions)),
        _ => (format!("offices/{segment}"), segment.to_owned()),
    }
}

fn places_to_pb(segment: &str, lines: Lines, divisions: &Divisions) -> pb::RecommendationPlaces {
    let (holder, holder_display_name) = segment_holder(segment, divisions);
    pb::RecommendationPlaces {
        holder,
        holder_display_name,
        places: count(lines.places),
        non_public_minimum: count(lines.non_public_minimum),
        community_minimum: count(lines.community_minimum),
    }
}

pub(crate) fn round_to_pb(
    r: &RoundRecord,
    divisions: &Divisions,
) -> Result<pb::RecommendationRound> {
    let lines = r.lines()?;
    let order = |segment: &str| {
        ListOwner::of_segment(segment, divisions).map_or(usize::MAX, |o| o.order(divisions))
    };
    let mut rows: Vec<(&String, &Lines)> = lines
        .iter()
        .filter(|(segment, _)| segment.as_str() != PROVINCE_SEGMENT)
        .collect();
    rows.sort_by_key(|(segment, _)| order(segment));
    Ok(pb::RecommendationRound {
        name: r.name(),
        year: count(r.year),
        tier: tier_to_pb(r.tier()?) as i32,
        display_name: r.display_name.clone(),
        document_number: r.document_number.clone(),
        agency_cap_percent: count(r.agency_cap_percent),
        base_level_minimum_percent: count(r.base_level_minimum_percent),
        places: rows
            .into_iter()
            .map(|(segment, lines)| places_to_pb(segment, *lines, divisions))
            .collect(),
        province_places: lines
            .get(PROVINCE_SEGMENT)
            .map(|lines| places_to_pb(PROVINCE_SEGMENT, *lines, divisions)),
        created_by: r.created_by.clone(),
        create_time: Some(timestamp(r.created_at)),
        closed: r.closed != 0,
    })
}

pub(crate) fn list_to_pb(l: &ListRecord, divisions: &Divisions) -> Result<pb::RecommendationList> {
    let tally = l.counts()?;
    let (holder, _) = segment_holder(&l.segment, divisions);
    Ok(pb::RecommendationList {
        name: l.name(),
        round: store::round_name(l.year),
        holder,
        units: l
            .listed()?
            .into_iter()
            .map(|u| pb::RecommendedUnit {
                unit: format!("units/{}", u.unit_id),
                display_name: u.display_name,
                kind: u
                    .kind
                    .as_deref()
                    .and_then(|k| k.parse::<UnitKind>().ok())
                    .map_or(0, |k| kind_to_pb(k) as i32),
                base_level: u.base_level,
                region_code: u.region_code,
                candidate_of: u
                    .candidate_of
                    .map(|segment| segment_holder(&segment, divisions).0)
                    .unwrap_or_default(),
            })
            .collect(),
        tally: Some(pb::RecommendationTally {
            units: count(tally.units),
            places: count(tally.places),
            administrative_agencies: count(tally.administrative_agencies),
            non_public: count(tally.non_public),
            communities: count(tally.communities),
            base_level: count(tally.base_level),
        }),
        submitted_by: l.submitted_by.clone(),
        submit_time: Some(timestamp(l.submitted_at)),
        etag: l.version.to_string(),
    })
}
