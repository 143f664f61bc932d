//! The admonishment-talk RPCs (约谈): an office summons a unit's head, holds the talk
//! and records it with its follow-up rectification task, or calls it off.

use wenming_authz::Scope;
use wenming_clients::Onward;
use wenming_domain::{AdmonishmentTalkId, Description, Heading, PersonName, Reason};
use wenming_proto::supervision::v1 as pb;
use wenming_runtime::catalogue::common;
use wenming_runtime::edge::{etag, optional_enum, page, parse_date, parse_name, request_id};
use wenming_runtime::sql::Page;
use wenming_runtime::status::Violation;

use crate::error::{Result, SupervisionError};
use crate::messages as msg;
use crate::names::optional_unit;
use crate::render::talk_state_from_pb;
use crate::rules::{self, MAX_INSPECTORS};
use crate::service::{SupervisionApi, text};
use crate::store::{HeldTalk, NewTalk, NewTask, TalkEnd, TalkFilter, TalkRecord};
use crate::tasks::finding_name;

/// Most commitments of one talk.
const MAX_COMMITMENTS: usize = 50;

pub(crate) fn talk_id(field: &str, name: &str) -> Result<String> {
    Ok(parse_name(field, "admonishmentTalks", name, |id| {
        AdmonishmentTalkId::parse(id).ok()
    })?
    .to_string())
}

/// A list of 1 to `max` entries, each parsed by `parse`.
fn entries<T>(
    field: &str,
    values: &[String],
    max: usize,
    parse: impl Fn(&str, &str) -> Result<T>,
) -> Result<Vec<T>> {
    if values.is_empty() {
        return Err(Violation::new(field, &msg::AT_LEAST_ONE, "at least one")
            .arg("field", field)
            .into());
    }
    if values.len() > max {
        return Err(
            SupervisionError::invalid(field, &msg::TOO_MANY, format!("at most {max}"))
                .arg("max", max),
        );
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| parse(&format!("{field}[{i}]"), v))
        .collect()
}

impl SupervisionApi {
    pub(crate) async fn schedule_talk(
        &self,
        onward: &Onward,
        scope: &Scope,
        req: pb::ScheduleAdmonishmentTalkRequest,
    ) -> Result<TalkRecord> {
        let request_id = request_id(&req.request_id)?;
        let talk = req.talk.ok_or_else(|| {
            SupervisionError::invalid("talk", &common::REQUIRED, "talk is required")
        })?;
        let unit_id = optional_unit("talk.unit", &talk.unit)?.ok_or_else(|| {
            SupervisionError::invalid("talk.unit", &common::REQUIRED, "talk.unit is required")
        })?;
        let head = text("talk.head", PersonName::parse(&talk.head))?;
        let reason = text("talk.reason", Reason::parse(&talk.reason))?;
        let place = text("talk.place", Heading::parse(&talk.place))?;
        let scheduled_on = parse_date("talk.scheduled_on", &talk.scheduled_on)?;
        let finding = if talk.finding.is_empty() {
            None
        } else {
            Some(finding_name("talk.finding", &talk.finding)?)
        };
        let office = rules::planner(scope, self.store().divisions())?;
        let unit = self.resolve(onward, scope, "talk.unit", &talk.unit).await?;
        if let Some((inspection_id, n)) = finding {
            self.talk_finding(scope, &inspection_id, n, &talk.finding, &unit_id)
                .await?;
        }
        self.store()
            .schedule_talk(
                scope,
                office,
                NewTalk {
                    head: head.as_str().to_owned(),
                    reason: reason.as_str().to_owned(),
                    finding: talk.finding.clone(),
                    scheduled_on: scheduled_on.to_string(),
                    place: place.as_str().to_owned(),
                    target_display_name: unit.display_name,
                    target_region: unit.region,
                    target_city: unit.city,
                    target_unit: unit_id,
                    target_helper_unit: unit.helper_unit,
                    target_direct: unit.direct,
                },
                request_id,
            )
            .await
    }

    /// The finding `n` of inspection `id` prompting a talk with `unit`: of a recorded
    /// visit the caller sees, to that unit.
    async fn talk_finding(
        &self,
        scope: &Scope,
        id: &str,
        n: i64,
        name: &str,
        unit: &str,
    ) -> Result<()> {
        let inspection = self.store().get_inspection(scope, id).await?;
        let has_finding = inspection
            .recorded_visit()?
            .is_some_and(|v| n as usize <= v.findings.len());
        if !has_finding || inspection.target_unit.as_deref() != Some(unit) {
            return Err(SupervisionError::precondition(
                &msg::TALK_FINDING,
                name,
                "the finding is not of a recorded visit to this unit",
            )
            .arg("finding", name)
            .arg("unit", format!("units/{unit}")));
        }
        Ok(())
    }

    pub(crate) async fn list_talks(
        &self,
        scope: &Scope,
        req: &pb::ListAdmonishmentTalksRequest,
    ) -> Result<Page<TalkRecord>> {
        let (size, after) = page(req.page_size, &req.page_token)?;
        let filter = TalkFilter {
            unit: optional_unit("unit", &req.unit)?,
            state: optional_enum("state", req.state, talk_state_from_pb)?,
        };
        self.store()
            .list_talks(scope, &filter, after.as_deref(), size)
            .await
    }

    pub(crate) async fn record_talk(
        &self,
        scope: &Scope,
        req: pb::RecordAdmonishmentTalkRequest,
    ) -> Result<TalkRecord> {
        let id = talk_id("name", &req.name)?;
        let version = etag("etag", &req.etag)?;
        let record = req.record.ok_or_else(|| {
            SupervisionError::invalid("record", &common::REQUIRED, "record is required")
        })?;
        let today = self.store().clock().today_in_china();
        let held_on = parse_date("record.held_on", &record.held_on)?;
        rules::not_after_today("record.held_on", held_on, today)?;
        let summary = text("record.summary", Description::parse(&record.summary))?;
        let participants = entries(
            "record.participants",
            &record.participants,
            MAX_INSPECTORS,
            |field, v| Ok(text(field, PersonName::parse(v))?.as_str().to_owned()),
        )?;
        let commitments = entries(
            "record.commitments",
            &record.commitments,
            MAX_COMMITMENTS,
            |field, v| Ok(text(field, Description::parse(v))?.as_str().to_owned()),
        )?;
        let follow = req.follow_up.ok_or_else(|| {
            SupervisionError::invalid("follow_up", &common::REQUIRED, "follow_up is required")
        })?;
        let description = text(
            "follow_up.description",
            Description::parse(&follow.description),
        )?;
        let due = parse_date("follow_up.due_date", &follow.due_date)?;
        if due < held_on {
            return Err(SupervisionError::invalid(
                "follow_up.due_date",
                &msg::TALK_DUE_DATE,
                "the due date is before the talk",
            )
            .arg("value", due)
            .arg("held", held_on));
        }
        rules::planner(scope, self.store().divisions())?;
        let before = self.store().get_talk(scope, &id).await?;
        rules::summoning_office(scope, &before.office_key)?;
        let responsible_person = if follow.responsible_person.trim().is_empty() {
            before.head.clone()
        } else {
            text(
                "follow_up.responsible_person",
                PersonName::parse(&follow.responsible_person),
            )?
            .as_str()
            .to_owned()
        };
        let follow_up = rules::follow_up(
            self.store().divisions(),
            "follow_up.follow_up_office",
            &follow.follow_up_office,
            &before.office_key,
            &before.target_region,
        )?;
        let held = HeldTalk {
            held_on: held_on.to_string(),
            summary: summary.as_str().to_owned(),
            participants,
            commitments,
            recorded_by: scope.subject().to_owned(),
            recorded_at: self.store().clock().now().as_millisecond(),
        };
        let task = NewTask {
            description: description.as_str().to_owned(),
            responsible_person,
            due_date: due.to_string(),
            follow_up,
        };
        let (after, _task) = self
            .store()
            .end_talk(
                scope,
                &before,
                TalkEnd::Held(Box::new(held), Box::new(task)),
                version,
            )
            .await?;
        Ok(after)
    }

    pub(crate) async fn cancel_talk(
        &self,
        scope: &Scope,
        req: pb::CancelAdmonishmentTalkRequest,
    ) -> Result<TalkRecord> {
        let id = talk_id("name", &req.name)?;
        let version = etag("etag", &req.etag)?;
        let reason = text("reason", Reason::parse(&req.reason))?;
        rules::planner(scope, self.store().divisions())?;
        let before = self.store().get_talk(scope, &id).await?;
        rules::summoning_office(scope, &before.office_key)?;
        let (after, _) = self
            .store()
            .end_talk(scope, &before, TalkEnd::Cancelled(reason), version)
            .await?;
        Ok(after)
    }
}
