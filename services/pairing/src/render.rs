//! Stored records → wire messages.

use wenming_proto::pairing::v1 as pb;
use wenming_runtime::edge::timestamp;

use crate::error::{PairingError, Result};
use crate::store::{
    ActivityRecord, ExceptionRecord, LedgerEntryRecord, PairingListView, PairingView,
    WorkPlanRecord,
};
use wenming_proto::convert::pairing::{category_to_pb, helper_kind_to_pb, state_to_pb};
use wenming_proto::convert::tier_to_pb;

fn stored<T: std::str::FromStr>(what: &str, text: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|err| PairingError::Internal(format!("stored {what}: {err}")))
}

pub(crate) fn exception_to_pb(e: &ExceptionRecord) -> pb::PairingException {
    pb::PairingException {
        name: e.name(),
        campaign: format!("campaigns/{}", e.campaign_id),
        helper: e.helper.clone(),
        unit: format!("units/{}", e.unit_id),
        reason: e.reason.clone(),
        granted_by: e.granted_by.clone(),
        used_by: e.used_by.clone().unwrap_or_default(),
        create_time: Some(timestamp(e.created_at)),
    }
}

pub(crate) fn pairing_to_pb(view: &PairingView) -> Result<pb::Pairing> {
    let p = &view.pairing;
    let history = view
        .history
        .iter()
        .map(|e| {
            Ok(pb::PairingEvent {
                state: state_to_pb(stored("state", &e.state)?) as i32,
                actor: e.actor.clone(),
                reason: e.reason.clone(),
                time: Some(timestamp(e.at)),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(pb::Pairing {
        name: p.name(),
        campaign: format!("campaigns/{}", p.campaign_id),
        office_region_code: p.office_region.clone(),
        helper: Some(pb::Helper {
            kind: helper_kind_to_pb(stored("helper kind", &p.helper_kind)?) as i32,
            name: p.helper.clone(),
            display_name: p.helper_display_name.clone(),
        }),
        unit: format!("units/{}", p.unit_id),
        unit_display_name: p.unit_display_name.clone(),
        unit_region_code: p.unit_region.clone(),
        state: state_to_pb(p.state()?) as i32,
        exception: view.exception.as_ref().map(exception_to_pb),
        highlight_brand: p.brand_name.as_ref().map(|name| pb::HighlightBrand {
            display_name: name.clone(),
            description: p.brand_description.clone().unwrap_or_default(),
        }),
        history,
        etag: p.version.to_string(),
        create_time: Some(timestamp(p.created_at)),
        update_time: Some(timestamp(p.updated_at)),
        target_tier: p
            .target_tier
            .as_deref()
            .and_then(|t| t.parse().ok())
            .map_or(
                wenming_proto::registry::v1::TitleTier::Unspecified,
                tier_to_pb,
            ) as i32,
    })
}

pub(crate) fn work_plan_to_pb(plan: &WorkPlanRecord) -> Result<pb::WorkPlan> {
    Ok(pb::WorkPlan {
        name: format!("pairings/{}/workPlan", plan.pairing_id),
        version: plan.version,
        summary: plan.summary.clone(),
        milestones: plan
            .milestones()?
            .into_iter()
            .map(|m| pb::Milestone {
                title: m.title,
                responsible_person: m.responsible_person,
                due_date: m.due_date,
                completed_on: m.completed_on.unwrap_or_default(),
            })
            .collect(),
        author: plan.author.clone(),
        create_time: Some(timestamp(plan.created_at)),
    })
}

pub(crate) fn ledger_entry_to_pb(e: &LedgerEntryRecord) -> Result<pb::LedgerEntry> {
    Ok(pb::LedgerEntry {
        name: e.name(),
        date: e.entry_date.clone(),
        category: category_to_pb(stored("category", &e.category)?) as i32,
        description: e.description.clone(),
        participants: e.participants()?,
        evidence: e.evidence()?,
        activity: e
            .activity_id
            .as_ref()
            .map(|a| format!("pairings/{}/activities/{a}", e.pairing_id))
            .unwrap_or_default(),
        author: e.author.clone(),
        create_time: Some(timestamp(e.created_at)),
    })
}

pub(crate) fn activity_to_pb(a: &ActivityRecord) -> Result<pb::Activity> {
    Ok(pb::Activity {
        name: a.name(),
        title: a.title.clone(),
        category: category_to_pb(stored("category", &a.category)?) as i32,
        start_date: a.start_date.clone(),
        end_date: a.end_date.clone().unwrap_or_default(),
        description: a.description.clone(),
        author: a.author.clone(),
        create_time: Some(timestamp(a.created_at)),
    })
}

fn list_state_to_pb(state: &str) -> Result<pb::PairingListState> {
    match state {
        "open" => Ok(pb::PairingListState::Open),
        "reported" => Ok(pb::PairingListState::Reported),
        other => Err(PairingError::Internal(format!("stored list state {other}"))),
    }
}

pub(crate) fn list_to_pb(view: &PairingListView) -> Result<pb::PairingList> {
    let l = &view.list;
    Ok(pb::PairingList {
        name: l.name(),
        campaign: format!("campaigns/{}", l.campaign_id),
        office_region_code: l.office_region.clone(),
        state: list_state_to_pb(&l.state)? as i32,
        pairing_count: u32::try_from(view.pairing_count).unwrap_or(u32::MAX),
        deadline: l.deadline.clone().unwrap_or_default(),
        report_time: l.reported_at.map(timestamp),
        late: l.late != 0,
        history: view
            .history
            .iter()
            .map(|e| {
                Ok(pb::PairingListEvent {
                    state: list_state_to_pb(&e.state)? as i32,
                    actor: e.actor.clone(),
                    reason: e.reason.clone(),
                    late: e.late != 0,
                    time: Some(timestamp(e.at)),
                })
            })
            .collect::<Result<Vec<_>>>()?,
    })
}
