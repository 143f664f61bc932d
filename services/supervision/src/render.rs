//! Stored records → wire messages, and the wire's enums ↔ their stored names.

use wenming_proto::supervision::v1 as pb;
use wenming_runtime::edge::timestamp;

use crate::error::Result;
use crate::store::{CommendationRecord, InspectionRecord, TalkRecord, TaskRecord};

/// Stored kind of a wire kind.
pub(crate) fn kind_from_pb(value: i32) -> Option<&'static str> {
    Some(match pb::InspectionKind::try_from(value).ok()? {
        pb::InspectionKind::Unspecified => return None,
        pb::InspectionKind::Roving => "roving",
        pb::InspectionKind::OpenVisit => "open_visit",
        pb::InspectionKind::CovertVisit => "covert_visit",
        pb::InspectionKind::ResearchVisit => "research_visit",
    })
}

fn kind_to_pb(kind: &str) -> pb::InspectionKind {
    match kind {
        "roving" => pb::InspectionKind::Roving,
        "open_visit" => pb::InspectionKind::OpenVisit,
        "covert_visit" => pb::InspectionKind::CovertVisit,
        "research_visit" => pb::InspectionKind::ResearchVisit,
        _ => pb::InspectionKind::Unspecified,
    }
}

/// Stored state of a wire state.
pub(crate) fn state_from_pb(value: i32) -> Option<&'static str> {
    Some(match pb::InspectionState::try_from(value).ok()? {
        pb::InspectionState::Unspecified => return None,
        pb::InspectionState::Planned => "planned",
        pb::InspectionState::Done => "done",
        pb::InspectionState::Cancelled => "cancelled",
    })
}

fn state_to_pb(state: &str) -> pb::InspectionState {
    match state {
        "planned" => pb::InspectionState::Planned,
        "done" => pb::InspectionState::Done,
        "cancelled" => pb::InspectionState::Cancelled,
        _ => pb::InspectionState::Unspecified,
    }
}

/// Stored category of a wire category.
pub(crate) fn category_from_pb(value: i32) -> Option<&'static str> {
    Some(match pb::FindingCategory::try_from(value).ok()? {
        pb::FindingCategory::Unspecified => return None,
        pb::FindingCategory::LowEnthusiasm => "low_enthusiasm",
        pb::FindingCategory::GoingThroughTheMotions => "going_through_the_motions",
        pb::FindingCategory::PracticalDifficulty => "practical_difficulty",
        pb::FindingCategory::GoodPractice => "good_practice",
    })
}

fn category_to_pb(category: &str) -> pb::FindingCategory {
    match category {
        "low_enthusiasm" => pb::FindingCategory::LowEnthusiasm,
        "going_through_the_motions" => pb::FindingCategory::GoingThroughTheMotions,
        "practical_difficulty" => pb::FindingCategory::PracticalDifficulty,
        "good_practice" => pb::FindingCategory::GoodPractice,
        _ => pb::FindingCategory::Unspecified,
    }
}

pub(crate) fn inspection_to_pb(r: &InspectionRecord) -> Result<pb::Inspection> {
    let visit = r.recorded_visit()?.map(|v| pb::Visit {
        visited_on: v.visited_on,
        summary: v.summary,
        recorded_by: v.recorded_by,
        record_time: Some(timestamp(v.recorded_at)),
        findings: v
            .findings
            .into_iter()
            .map(|f| pb::Finding {
                category: category_to_pb(&f.category) as i32,
                cause: f.cause,
                description: f.description,
                measure: f.measure,
                pairing: f.pairing,
            })
            .collect(),
    });
    Ok(pb::Inspection {
        name: r.name(),
        kind: kind_to_pb(&r.kind) as i32,
        target: r.target.clone(),
        target_display_name: r.target_display_name.clone(),
        target_region_code: r.target_region.clone(),
        inspectors: r.inspector_names()?,
        planned_start: r.planned_start.clone(),
        planned_end: r.planned_end.clone(),
        purpose: r.purpose.clone(),
        state: state_to_pb(&r.state) as i32,
        planning_office: format!("offices/{}", r.planning_office),
        visit,
        planned_by: r.planned_by.clone(),
        create_time: Some(timestamp(r.created_at)),
        cancel_reason: r.cancel_reason.clone().unwrap_or_default(),
        etag: r.version.to_string(),
    })
}

pub(crate) fn task_to_pb(
    t: &TaskRecord,
    today: jiff::civil::Date,
) -> Result<pb::RectificationTask> {
    let due: jiff::civil::Date = t.due_date.parse().map_err(|err| {
        crate::error::SupervisionError::Internal(format!("stored due date: {err}"))
    })?;
    let days_overdue = if t.state == "open" {
        crate::rules::days_overdue(due, today)
    } else {
        0
    };
    Ok(pb::RectificationTask {
        name: t.name(),
        finding: t.finding().unwrap_or_default(),
        talk: t.talk().unwrap_or_default(),
        description: t.description.clone(),
        responsible_person: t.responsible_person.clone(),
        due_date: t.due_date.clone(),
        follow_up_office: format!("offices/{}", t.follow_up_office),
        target: t.target.clone(),
        target_display_name: t.target_display_name.clone(),
        target_region_code: t.target_region.clone(),
        state: match t.state.as_str() {
            "open" => pb::RectificationState::Open,
            _ => pb::RectificationState::Closed,
        } as i32,
        days_overdue,
        escalated_to: if days_overdue > 0 && !t.escalated_to.is_empty() {
            format!("offices/{}", t.escalated_to)
        } else {
            String::new()
        },
        history: t
            .events()?
            .into_iter()
            .map(|e| pb::TaskEvent {
                kind: match e.kind.as_str() {
                    "progress" => pb::TaskEventKind::Progress,
                    "closed" => pb::TaskEventKind::Closed,
                    _ => pb::TaskEventKind::Reopened,
                } as i32,
                note: e.note,
                evidence: e.evidence,
                actor: e.actor,
                time: Some(timestamp(e.at)),
            })
            .collect(),
        opened_by: t.opened_by.clone(),
        create_time: Some(timestamp(t.created_at)),
        etag: t.version.to_string(),
    })
}

pub(crate) fn commendation_to_pb(c: &CommendationRecord) -> pb::Commendation {
    pb::Commendation {
        name: c.name(),
        pairing: c.pairing.clone(),
        document_number: c.document_number.clone(),
        title: c.title.clone(),
        commended_on: c.commended_on.clone(),
        unit: format!("units/{}", c.target_unit),
        unit_display_name: c.target_display_name.clone(),
        helper: c.helper.clone(),
        region_code: c.target_region.clone(),
        commended_by: c.commended_by.clone(),
        create_time: Some(timestamp(c.created_at)),
    }
}

/// Stored state of a wire talk state.
pub(crate) fn talk_state_from_pb(value: i32) -> Option<&'static str> {
    Some(match pb::AdmonishmentState::try_from(value).ok()? {
        pb::AdmonishmentState::Unspecified => return None,
        pb::AdmonishmentState::Scheduled => "scheduled",
        pb::AdmonishmentState::Held => "held",
        pb::AdmonishmentState::Cancelled => "cancelled",
    })
}

pub(crate) fn talk_to_pb(t: &TalkRecord) -> Result<pb::AdmonishmentTalk> {
    let record = t.held()?.map(|h| pb::TalkRecord {
        held_on: h.held_on,
        summary: h.summary,
        participants: h.participants,
        commitments: h.commitments,
        recorded_by: h.recorded_by,
        record_time: Some(timestamp(h.recorded_at)),
    });
    Ok(pb::AdmonishmentTalk {
        name: t.name(),
        unit: format!("units/{}", t.target_unit),
        head: t.head.clone(),
        reason: t.reason.clone(),
        finding: t.finding.clone(),
        scheduled_on: t.scheduled_on.clone(),
        place: t.place.clone(),
        state: match t.state.as_str() {
            "scheduled" => pb::AdmonishmentState::Scheduled,
            "held" => pb::AdmonishmentState::Held,
            _ => pb::AdmonishmentState::Cancelled,
        } as i32,
        record,
        follow_up_task: t.follow_up_task.clone().unwrap_or_default(),
        unit_display_name: t.target_display_name.clone(),
        region_code: t.target_region.clone(),
        office: format!("offices/{}", t.office_key),
        cancel_reason: t.cancel_reason.clone().unwrap_or_default(),
        scheduled_by: t.scheduled_by.clone(),
        create_time: Some(timestamp(t.created_at)),
        etag: t.version.to_string(),
    })
}
