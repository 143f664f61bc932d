//! The rectification RPCs: parse at the edge, check the finding and who acts, store.

use wenming_authz::{RowScope, Scope};
use wenming_domain::{
    Description, EvidenceRef, InspectionId, PersonName, Reason, RectificationTaskId,
};
use wenming_proto::supervision::v1 as pb;
use wenming_runtime::catalogue::common;
use wenming_runtime::edge::{etag, page, parse_date, parse_name, request_id};
use wenming_runtime::sql::Page;
use wenming_runtime::status::Violation;

use crate::error::{Result, SupervisionError};
use crate::messages as msg;
use crate::rules;
use crate::service::{SupervisionApi, text};
use crate::store::{NewTask, TaskEvent, TaskFilter, TaskOrigin, TaskRecord};

/// Most evidence references one progress entry carries.
const MAX_EVIDENCE: usize = 20;

pub(crate) fn task_id(field: &str, name: &str) -> Result<String> {
    Ok(parse_name(field, "rectificationTasks", name, |id| {
        RectificationTaskId::parse(id).ok()
    })?
    .to_string())
}

/// "inspections/{id}/findings/{n}" → (id, n), n ≥ 1.
pub(crate) fn finding_name(field: &str, name: &str) -> Result<(String, i64)> {
    name.strip_prefix("inspections/")
        .and_then(|rest| rest.split_once("/findings/"))
        .and_then(|(id, n)| {
            Some((
                InspectionId::parse(id).ok()?.to_string(),
                n.parse::<i64>().ok().filter(|n| *n >= 1)?,
            ))
        })
        .ok_or_else(|| {
            Violation::new(
                field,
                &msg::FINDING_NAME,
                format!("'{name}' is not a name like inspections/{{id}}/findings/1"),
            )
            .arg("value", name)
            .into()
        })
}

/// Whether the caller may record progress on `task`: the unit inspected, its pairing's
/// helper, or the follow-up office and those above it.
fn may_progress(scope: &Scope, api: &SupervisionApi, task: &TaskRecord) -> Result<()> {
    let allowed = match scope.rows() {
        RowScope::Unit(unit) => {
            let unit = unit.to_string();
            task.target_unit.as_deref() == Some(unit.as_str())
                || task.target_helper_unit.as_deref() == Some(unit.as_str())
        }
        _ => rules::at_or_above(scope, api.store().divisions(), &task.follow_up_office),
    };
    if allowed {
        Ok(())
    } else {
        Err(SupervisionError::denied(
            &msg::PROGRESS_BY,
            "only the unit, its helper and the follow-up office record progress",
        ))
    }
}

fn may_close(scope: &Scope, api: &SupervisionApi, task: &TaskRecord) -> Result<()> {
    if rules::at_or_above(scope, api.store().divisions(), &task.follow_up_office) {
        Ok(())
    } else {
        Err(SupervisionError::denied(
            &msg::FOLLOW_UP_ONLY,
            "only the follow-up office and those above it close or reopen a task",
        ))
    }
}

impl SupervisionApi {
    pub(crate) async fn open_task(
        &self,
        scope: &Scope,
        req: pb::OpenRectificationTaskRequest,
    ) -> Result<TaskRecord> {
        let request_id = request_id(&req.request_id)?;
        let task = req.task.ok_or_else(|| {
            SupervisionError::invalid("task", &common::REQUIRED, "task is required")
        })?;
        let (inspection_id, n) = finding_name("task.finding", &task.finding)?;
        let description = text("task.description", Description::parse(&task.description))?;
        let person = text(
            "task.responsible_person",
            PersonName::parse(&task.responsible_person),
        )?;
        let due = parse_date("task.due_date", &task.due_date)?;
        rules::planner(scope, self.store().divisions())?;
        let inspection = self.store().get_inspection(scope, &inspection_id).await?;
        rules::planning_office(scope, &inspection.planning_office)?;
        let Some(visit) = inspection.recorded_visit()? else {
            return Err(SupervisionError::precondition(
                &msg::NOT_RECORDED,
                inspection.name(),
                "tasks come from recorded visits",
            )
            .arg("inspection", inspection.name()));
        };
        if n as usize > visit.findings.len() {
            return Err(SupervisionError::precondition(
                &msg::NO_FINDING,
                &task.finding,
                "the visit has no such finding",
            )
            .arg("inspection", inspection.name())
            .arg("n", n));
        }
        if due.to_string() < visit.visited_on {
            return Err(SupervisionError::invalid(
                "task.due_date",
                &msg::DUE_DATE,
                "the due date is before the visit",
            )
            .arg("value", due)
            .arg("visited", &visit.visited_on));
        }
        let follow_up = rules::follow_up(
            self.store().divisions(),
            "task.follow_up_office",
            &task.follow_up_office,
            &inspection.planning_office,
            &inspection.target_region,
        )?;
        self.store()
            .open_task(
                scope,
                TaskOrigin::finding(&inspection, n),
                NewTask {
                    description: description.as_str().to_owned(),
                    responsible_person: person.as_str().to_owned(),
                    due_date: due.to_string(),
                    follow_up,
                },
                request_id,
            )
            .await
    }

    pub(crate) async fn list_tasks(
        &self,
        scope: &Scope,
        req: &pb::ListRectificationTasksRequest,
    ) -> Result<Page<TaskRecord>> {
        let (size, after) = page(req.page_size, &req.page_token)?;
        let today = self.store().clock().today_in_china().to_string();
        let state = wenming_runtime::edge::optional_enum("state", req.state, |v| {
            match pb::RectificationState::try_from(v).ok()? {
                pb::RectificationState::Unspecified => None,
                pb::RectificationState::Open => Some("open"),
                pb::RectificationState::Closed => Some("closed"),
            }
        })?;
        let escalated_to = if req.escalated {
            Some(rules::planner(scope, self.store().divisions())?.office)
        } else {
            None
        };
        let filter = TaskFilter {
            state,
            overdue_on: (req.overdue_only || req.escalated).then_some(today),
            escalated_to,
        };
        self.store()
            .list_tasks(scope, &filter, after.as_deref(), size)
            .await
    }

    pub(crate) async fn task_progress(
        &self,
        scope: &Scope,
        req: pb::RecordTaskProgressRequest,
    ) -> Result<TaskRecord> {
        let id = task_id("name", &req.name)?;
        let note = text("note", Description::parse(&req.note))?;
        if req.evidence.len() > MAX_EVIDENCE {
            return Err(SupervisionError::invalid(
                "evidence",
                &msg::TOO_MANY,
                format!("at most {MAX_EVIDENCE}"),
            )
            .arg("max", MAX_EVIDENCE));
        }
        let evidence = req
            .evidence
            .iter()
            .enumerate()
            .map(|(i, e)| {
                text(&format!("evidence[{i}]"), EvidenceRef::parse(e))
                    .map(|e| e.as_str().to_owned())
            })
            .collect::<Result<Vec<_>>>()?;
        let event = self.event("progress", note.as_str(), evidence, scope);
        self.store()
            .task_event(scope, &id, event, "open", "open", None, |task| {
                may_progress(scope, self, task)
            })
            .await
    }

    pub(crate) async fn close_or_reopen(
        &self,
        scope: &Scope,
        name: &str,
        why: &str,
        etag_text: &str,
        close: bool,
    ) -> Result<TaskRecord> {
        let id = task_id("name", name)?;
        let reason = text("reason", Reason::parse(why))?;
        let version = etag("etag", etag_text)?;
        let (kind, from, to) = if close {
            ("closed", "open", "closed")
        } else {
            ("reopened", "closed", "open")
        };
        let event = self.event(kind, reason.as_str(), Vec::new(), scope);
        self.store()
            .task_event(scope, &id, event, from, to, version, |task| {
                may_close(scope, self, task)
            })
            .await
    }

    fn event(&self, kind: &str, note: &str, evidence: Vec<String>, scope: &Scope) -> TaskEvent {
        TaskEvent {
            kind: kind.to_owned(),
            note: note.to_owned(),
            evidence,
            actor: scope.subject().to_owned(),
            at: self.store().clock().now().as_millisecond(),
        }
    }
}
