//! ListUnitHistory: what supervision recorded about one unit, as one list an official
//! reads, newest first.

use wenming_authz::Scope;
use wenming_clients::Onward;
use wenming_proto::supervision::v1 as pb;
use wenming_proto::supervision::v1::UnitHistoryKind as Kind;

use crate::error::{Result, SupervisionError};
use crate::names::optional_unit;
use crate::service::SupervisionApi;
use crate::store::UnitHistory;
use wenming_runtime::catalogue::common;

fn kind_zh(kind: &str) -> &'static str {
    match kind {
        "roving" => "巡回督导",
        "open_visit" => "明察",
        "covert_visit" => "暗访",
        _ => "随机调研",
    }
}

fn entry(date: &str, kind: Kind, resource: String, summary: String) -> pb::UnitHistoryEntry {
    pb::UnitHistoryEntry {
        date: date.to_owned(),
        kind: kind as i32,
        resource,
        summary,
    }
}

/// The entries of `history`, newest first (by date, then resource name).
pub(crate) fn entries(history: &UnitHistory) -> Result<Vec<pb::UnitHistoryEntry>> {
    let mut out = Vec::new();
    for i in &history.inspections {
        let (date, summary) = match i.recorded_visit()? {
            Some(v) => (
                v.visited_on,
                format!(
                    "{}：已检查，{} 条发现。{}",
                    kind_zh(&i.kind),
                    v.findings.len(),
                    v.summary
                ),
            ),
            None if i.state == "cancelled" => (
                i.planned_start.clone(),
                format!("{}：已取消", kind_zh(&i.kind)),
            ),
            None => (
                i.planned_start.clone(),
                format!(
                    "{}：计划于 {} 至 {}",
                    kind_zh(&i.kind),
                    i.planned_start,
                    i.planned_end
                ),
            ),
        };
        out.push(entry(&date, Kind::Inspection, i.name(), summary));
    }
    for t in &history.tasks {
        let state = if t.state == "open" {
            "整改中"
        } else {
            "已关闭"
        };
        out.push(entry(
            &t.due_date,
            Kind::RectificationTask,
            t.name(),
            format!(
                "整改任务（{state}，责任人 {}，期限 {}）：{}",
                t.responsible_person, t.due_date, t.description
            ),
        ));
    }
    for c in &history.commendations {
        out.push(entry(
            &c.commended_on,
            Kind::Commendation,
            c.name(),
            format!("通报表扬（{}）：{}", c.document_number, c.title),
        ));
    }
    for t in &history.talks {
        let (date, summary) = match t.held()? {
            Some(h) => (
                h.held_on,
                format!("约谈（已谈话，{}）：{}", t.head, t.reason),
            ),
            None if t.state == "cancelled" => (
                t.scheduled_on.clone(),
                format!("约谈（已取消）：{}", t.reason),
            ),
            None => (
                t.scheduled_on.clone(),
                format!("约谈（定于 {}，{}）：{}", t.scheduled_on, t.place, t.reason),
            ),
        };
        out.push(entry(&date, Kind::AdmonishmentTalk, t.name(), summary));
    }
    out.sort_by(|a, b| {
        b.date
            .cmp(&a.date)
            .then_with(|| b.resource.cmp(&a.resource))
    });
    Ok(out)
}

impl SupervisionApi {
    pub(crate) async fn unit_history(
        &self,
        onward: &Onward,
        scope: &Scope,
        req: &pb::ListUnitHistoryRequest,
    ) -> Result<pb::ListUnitHistoryResponse> {
        let unit = optional_unit("unit", &req.unit)?.ok_or_else(|| {
            SupervisionError::invalid("unit", &common::REQUIRED, "unit is required")
        })?;
        // NOT_FOUND for a unit the caller may not see, as the registry answers it.
        self.registry().unit(onward, "unit", &req.unit).await?;
        let history = self.store().unit_history(scope, &unit).await?;
        Ok(pb::ListUnitHistoryResponse {
            entries: entries(&history)?,
            truncated: history.truncated,
        })
    }
}
