//! Rectification tasks: opened from a finding, progress recorded, closed or reopened.

use serde::{Deserialize, Serialize};
use wenming_authz::Scope;
use wenming_domain::RectificationTaskId;
use wenming_runtime::sql::{Page, get_scoped, list_scoped};
use wenming_runtime::write::WriteTx;

use super::{InspectionRecord, Store, push_task_visible as push_visible, to_json};
use crate::error::{Result, SupervisionError};
use crate::messages as msg;
use crate::rules::FollowUp;

/// A task as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct TaskRecord {
    pub id: String,
    pub inspection_id: Option<String>,
    pub finding_index: Option<i64>,
    pub talk_id: Option<String>,
    pub description: String,
    pub responsible_person: String,
    pub due_date: String,
    pub follow_up_office: String,
    pub follow_up_region: String,
    pub follow_up_city: String,
    pub escalated_to: String,
    pub target: String,
    pub target_display_name: String,
    pub target_region: String,
    pub target_city: String,
    pub target_unit: Option<String>,
    pub target_helper_unit: Option<String>,
    pub target_direct: i64,
    pub state: String,
    pub history: String,
    pub opened_by: String,
    pub created_at: i64,
    pub version: i64,
}

const COLUMNS: &str = "id, inspection_id, finding_index, talk_id, description, responsible_person, \
     due_date, follow_up_office, follow_up_region, follow_up_city, escalated_to, target, \
     target_display_name, target_region, target_city, target_unit, target_helper_unit, \
     target_direct, state, history, opened_by, created_at, version";

wenming_runtime::table!(TaskRecord, from: "rectification_tasks", columns: COLUMNS,
    key: "id" => id, noun: &msg::TASK, collection: "rectificationTasks");

/// One event of a task's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskEvent {
    /// progress, closed, reopened
    pub kind: String,
    pub note: String,
    pub evidence: Vec<String>,
    pub actor: String,
    pub at: i64,
}

impl TaskRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        format!("rectificationTasks/{}", self.id)
    }

    /// Its finding's name, if it comes from one.
    pub fn finding(&self) -> Option<String> {
        Some(format!(
            "inspections/{}/findings/{}",
            self.inspection_id.as_deref()?,
            self.finding_index?
        ))
    }

    /// Its talk's name, if it follows one up.
    pub fn talk(&self) -> Option<String> {
        Some(format!("admonishmentTalks/{}", self.talk_id.as_deref()?))
    }

    /// Its history.
    pub fn events(&self) -> Result<Vec<TaskEvent>> {
        serde_json::from_str(&self.history)
            .map_err(|err| SupervisionError::Internal(format!("stored history: {err}")))
    }
}

/// Where a task comes from, and what it is about (as its origin's row records it).
#[derive(Clone, Debug)]
pub struct TaskOrigin {
    pub inspection_id: Option<String>,
    pub finding_index: Option<i64>,
    pub talk_id: Option<String>,
    pub target: String,
    pub target_display_name: String,
    pub target_region: String,
    pub target_city: String,
    pub target_unit: Option<String>,
    pub target_helper_unit: Option<String>,
    pub target_direct: i64,
}

impl TaskOrigin {
    /// Finding `n` of `inspection`.
    pub fn finding(inspection: &InspectionRecord, n: i64) -> Self {
        Self {
            inspection_id: Some(inspection.id.clone()),
            finding_index: Some(n),
            talk_id: None,
            target: inspection.target.clone(),
            target_display_name: inspection.target_display_name.clone(),
            target_region: inspection.target_region.clone(),
            target_city: inspection.target_city.clone(),
            target_unit: inspection.target_unit.clone(),
            target_helper_unit: inspection.target_helper_unit.clone(),
            target_direct: inspection.target_direct,
        }
    }
}

/// A task to open, checked by the rules.
#[derive(Clone, Debug)]
pub struct NewTask {
    pub description: String,
    pub responsible_person: String,
    pub due_date: String,
    pub follow_up: FollowUp,
}

/// Which tasks a list returns (within what the caller may see).
#[derive(Clone, Debug, Default)]
pub struct TaskFilter {
    pub state: Option<&'static str>,
    /// Open and due before this day ("YYYY-MM-DD", today).
    pub overdue_on: Option<String>,
    /// Escalated to this office (its key).
    pub escalated_to: Option<String>,
}

impl Store {
    /// Opens a task from `origin`.
    pub async fn open_task(
        &self,
        scope: &Scope,
        origin: TaskOrigin,
        new: NewTask,
        request_id: Option<&str>,
    ) -> Result<TaskRecord> {
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let record = task_record(&tx, origin, new);
        if let Some(earlier) = tx.claim("OpenRectificationTask", &record.name()).await? {
            drop(tx);
            return self
                .get_task(scope, earlier.trim_start_matches("rectificationTasks/"))
                .await;
        }
        insert_task(&mut tx, &record).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// A task the caller may see.
    pub async fn get_task(&self, scope: &Scope, id: &str) -> Result<TaskRecord> {
        get_scoped(self.db.pool(), id, |sql| push_visible(sql, scope)).await
    }

    /// A page of the tasks the caller may see, oldest first.
    pub async fn list_tasks(
        &self,
        scope: &Scope,
        filter: &TaskFilter,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<TaskRecord>> {
        Ok(list_scoped(
            self.db.pool(),
            |sql| {
                push_visible(sql, scope);
                if let Some(state) = filter.state {
                    sql.push(" AND state = ").bind(state.to_owned());
                }
                if let Some(today) = &filter.overdue_on {
                    sql.push(" AND state = 'open' AND due_date < ")
                        .bind(today.clone());
                }
                if let Some(office) = &filter.escalated_to {
                    sql.push(" AND escalated_to = ").bind(office.clone());
                }
            },
            after,
            size,
        )
        .await?)
    }

    /// Every open task due before `today` (for the deadline monitor, which scopes what
    /// it records by the tasks' own columns).
    pub async fn overdue_tasks(&self, today: &str) -> Result<Vec<TaskRecord>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM rectification_tasks WHERE state = 'open' AND due_date < $1 \
             ORDER BY id"
        )))
        .bind(today.to_owned())
        .fetch_all(self.db.pool())
        .await?)
    }

    /// Adds `event` to a task the caller may see, if `check` allows it and the task is
    /// in `from` (and still `etag`), moving it to `to`.
    #[allow(clippy::too_many_arguments)]
    pub async fn task_event(
        &self,
        scope: &Scope,
        id: &str,
        event: TaskEvent,
        from: &'static str,
        to: &'static str,
        etag: Option<i64>,
        check: impl FnOnce(&TaskRecord) -> Result<()>,
    ) -> Result<TaskRecord> {
        let before = self.get_task(scope, id).await?;
        check(&before)?;
        if before.state != from {
            let action = match event.kind.as_str() {
                "progress" => "记录进展",
                "closed" => "关闭",
                _ => "重新打开",
            };
            return Err(SupervisionError::precondition(
                &msg::TASK_STATE,
                before.name(),
                format!("{} is {}", before.name(), before.state),
            )
            .arg("task", before.name())
            .arg(
                "state",
                if before.state == "open" {
                    "整改中"
                } else {
                    "已关闭"
                },
            )
            .arg("action", action));
        }
        if etag.is_some_and(|etag| etag != before.version) {
            return Err(SupervisionError::EtagMismatch(before.name()));
        }
        let mut events = before.events()?;
        events.push(event);
        let after = TaskRecord {
            state: to.to_owned(),
            history: to_json(&events)?,
            version: before.version + 1,
            ..before.clone()
        };
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let changed = sqlx::query(
            "UPDATE rectification_tasks SET state = $1, history = $2, version = $3 \
             WHERE id = $4 AND version = $5",
        )
        .bind(after.state.clone())
        .bind(after.history.clone())
        .bind(after.version)
        .bind(after.id.clone())
        .bind(before.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(SupervisionError::EtagMismatch(before.name()));
        }
        let operation = match to {
            "closed" => "CloseRectificationTask",
            _ if from == "closed" => "ReopenRectificationTask",
            _ => "RecordTaskProgress",
        };
        tx.audit(operation, &before.name(), Some(&before), Some(&after))?;
        tx.commit().await?;
        Ok(after)
    }
}

/// The row of a task opened now from `origin`.
pub(super) fn task_record(tx: &WriteTx<'_>, origin: TaskOrigin, new: NewTask) -> TaskRecord {
    TaskRecord {
        id: RectificationTaskId::new().to_string(),
        inspection_id: origin.inspection_id,
        finding_index: origin.finding_index,
        talk_id: origin.talk_id,
        description: new.description,
        responsible_person: new.responsible_person,
        due_date: new.due_date,
        follow_up_office: new.follow_up.office,
        follow_up_region: new.follow_up.region,
        follow_up_city: new.follow_up.city,
        escalated_to: new.follow_up.escalated_to,
        target: origin.target,
        target_display_name: origin.target_display_name,
        target_region: origin.target_region,
        target_city: origin.target_city,
        target_unit: origin.target_unit,
        target_helper_unit: origin.target_helper_unit,
        target_direct: origin.target_direct,
        state: "open".to_owned(),
        history: "[]".to_owned(),
        opened_by: tx.subject().to_owned(),
        created_at: tx.now_ms(),
        version: 1,
    }
}

/// Writes a new task and its audit record in `tx`.
pub(super) async fn insert_task(tx: &mut WriteTx<'_>, record: &TaskRecord) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO rectification_tasks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, \
         $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)"
    )))
    .bind(record.id.clone())
    .bind(record.inspection_id.clone())
    .bind(record.finding_index)
    .bind(record.talk_id.clone())
    .bind(record.description.clone())
    .bind(record.responsible_person.clone())
    .bind(record.due_date.clone())
    .bind(record.follow_up_office.clone())
    .bind(record.follow_up_region.clone())
    .bind(record.follow_up_city.clone())
    .bind(record.escalated_to.clone())
    .bind(record.target.clone())
    .bind(record.target_display_name.clone())
    .bind(record.target_region.clone())
    .bind(record.target_city.clone())
    .bind(record.target_unit.clone())
    .bind(record.target_helper_unit.clone())
    .bind(record.target_direct)
    .bind(record.state.clone())
    .bind(record.history.clone())
    .bind(record.opened_by.clone())
    .bind(record.created_at)
    .bind(record.version)
    .execute(&mut **tx)
    .await?;
    tx.audit(
        "OpenRectificationTask",
        &record.name(),
        None::<&()>,
        Some(record),
    )?;
    Ok(())
}
