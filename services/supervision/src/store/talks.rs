//! Admonishment talks: scheduled, then held (with the follow-up task opened in the same
//! transaction) or cancelled.

use serde::{Deserialize, Serialize};
use wenming_authz::Scope;
use wenming_domain::{AdmonishmentTalkId, Reason};
use wenming_runtime::sql::{Page, get_scoped, list_scoped};

use super::tasks::{insert_task, task_record};
use super::{
    NewTask, Store, TaskOrigin, TaskRecord, push_consequence_visible as push_visible, to_json,
};
use crate::error::{Result, SupervisionError};
use crate::messages as msg;
use crate::rules::Planner;

/// A talk as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct TalkRecord {
    pub id: String,
    pub head: String,
    pub reason: String,
    pub finding: String,
    pub scheduled_on: String,
    pub place: String,
    pub state: String,
    pub record: Option<String>,
    pub follow_up_task: Option<String>,
    pub cancel_reason: Option<String>,
    pub target_display_name: String,
    pub target_region: String,
    pub target_city: String,
    pub target_unit: String,
    pub target_helper_unit: Option<String>,
    pub target_direct: i64,
    pub office_key: String,
    pub office_region: String,
    pub office_city: String,
    pub scheduled_by: String,
    pub created_at: i64,
    pub version: i64,
}

const COLUMNS: &str = "id, head, reason, finding, scheduled_on, place, state, record, \
     follow_up_task, cancel_reason, target_display_name, target_region, target_city, \
     target_unit, target_helper_unit, target_direct, office_key, office_region, office_city, \
     scheduled_by, created_at, version";

wenming_runtime::table!(TalkRecord, from: "admonishment_talks", columns: COLUMNS,
    key: "id" => id, noun: &msg::TALK, collection: "admonishmentTalks");

/// What was said at a talk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldTalk {
    pub held_on: String,
    pub summary: String,
    pub participants: Vec<String>,
    pub commitments: Vec<String>,
    pub recorded_by: String,
    pub recorded_at: i64,
}

impl TalkRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        format!("admonishmentTalks/{}", self.id)
    }

    /// Its record, once held.
    pub fn held(&self) -> Result<Option<HeldTalk>> {
        self.record
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|err| SupervisionError::Internal(format!("stored talk record: {err}")))
    }

    /// What a task following it up is about.
    pub fn task_origin(&self) -> TaskOrigin {
        TaskOrigin {
            inspection_id: None,
            finding_index: None,
            talk_id: Some(self.id.clone()),
            target: format!("units/{}", self.target_unit),
            target_display_name: self.target_display_name.clone(),
            target_region: self.target_region.clone(),
            target_city: self.target_city.clone(),
            target_unit: Some(self.target_unit.clone()),
            target_helper_unit: self.target_helper_unit.clone(),
            target_direct: self.target_direct,
        }
    }
}

/// A talk to schedule, checked and resolved against the registry.
#[derive(Clone, Debug)]
pub struct NewTalk {
    pub head: String,
    pub reason: String,
    pub finding: String,
    pub scheduled_on: String,
    pub place: String,
    pub target_display_name: String,
    pub target_region: String,
    pub target_city: String,
    pub target_unit: String,
    pub target_helper_unit: Option<String>,
    pub target_direct: bool,
}

/// Which talks a list returns (within what the caller may see).
#[derive(Clone, Debug, Default)]
pub struct TalkFilter {
    /// A unit id.
    pub unit: Option<String>,
    pub state: Option<&'static str>,
}

/// How a scheduled talk ends.
#[derive(Debug)]
pub enum TalkEnd {
    /// Held, with its record and follow-up task.
    Held(Box<HeldTalk>, Box<NewTask>),
    /// Called off.
    Cancelled(Reason),
}

impl Store {
    /// Schedules a talk by `office`.
    pub async fn schedule_talk(
        &self,
        scope: &Scope,
        office: Planner,
        new: NewTalk,
        request_id: Option<&str>,
    ) -> Result<TalkRecord> {
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let record = TalkRecord {
            id: AdmonishmentTalkId::new().to_string(),
            head: new.head,
            reason: new.reason,
            finding: new.finding,
            scheduled_on: new.scheduled_on,
            place: new.place,
            state: "scheduled".to_owned(),
            record: None,
            follow_up_task: None,
            cancel_reason: None,
            target_display_name: new.target_display_name,
            target_region: new.target_region,
            target_city: new.target_city,
            target_unit: new.target_unit,
            target_helper_unit: new.target_helper_unit,
            target_direct: i64::from(new.target_direct),
            office_key: office.office,
            office_region: office.region,
            office_city: office.city,
            scheduled_by: scope.subject().to_owned(),
            created_at: tx.now_ms(),
            version: 1,
        };
        if let Some(earlier) = tx.claim("ScheduleAdmonishmentTalk", &record.name()).await? {
            drop(tx);
            return self
                .get_talk(scope, earlier.trim_start_matches("admonishmentTalks/"))
                .await;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO admonishment_talks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
        )))
        .bind(record.id.clone())
        .bind(record.head.clone())
        .bind(record.reason.clone())
        .bind(record.finding.clone())
        .bind(record.scheduled_on.clone())
        .bind(record.place.clone())
        .bind(record.state.clone())
        .bind(record.record.clone())
        .bind(record.follow_up_task.clone())
        .bind(record.cancel_reason.clone())
        .bind(record.target_display_name.clone())
        .bind(record.target_region.clone())
        .bind(record.target_city.clone())
        .bind(record.target_unit.clone())
        .bind(record.target_helper_unit.clone())
        .bind(record.target_direct)
        .bind(record.office_key.clone())
        .bind(record.office_region.clone())
        .bind(record.office_city.clone())
        .bind(record.scheduled_by.clone())
        .bind(record.created_at)
        .bind(record.version)
        .execute(&mut *tx)
        .await?;
        tx.audit(
            "ScheduleAdmonishmentTalk",
            &record.name(),
            None::<&()>,
            Some(&record),
        )?;
        tx.commit().await?;
        Ok(record)
    }

    /// A talk the caller may see.
    pub async fn get_talk(&self, scope: &Scope, id: &str) -> Result<TalkRecord> {
        get_scoped(self.db.pool(), id, |sql| push_visible(sql, scope)).await
    }

    /// A page of the talks the caller may see, oldest first.
    pub async fn list_talks(
        &self,
        scope: &Scope,
        filter: &TalkFilter,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<TalkRecord>> {
        Ok(list_scoped(
            self.db.pool(),
            |sql| {
                push_visible(sql, scope);
                if let Some(unit) = &filter.unit {
                    sql.push(" AND target_unit = ").bind(unit.clone());
                }
                if let Some(state) = filter.state {
                    sql.push(" AND state = ").bind(state.to_owned());
                }
            },
            after,
            size,
        )
        .await?)
    }

    /// Ends `before`, a scheduled talk the caller read and may end, if it is still
    /// `etag`: held (its follow-up task opened in the same transaction) or cancelled.
    pub async fn end_talk(
        &self,
        scope: &Scope,
        before: &TalkRecord,
        end: TalkEnd,
        etag: Option<i64>,
    ) -> Result<(TalkRecord, Option<TaskRecord>)> {
        if before.state != "scheduled" {
            return Err(SupervisionError::precondition(
                &msg::TALK_STATE,
                before.name(),
                format!("{} is {}", before.name(), before.state),
            )
            .arg("talk", before.name())
            .arg(
                "state",
                if before.state == "held" {
                    "谈话"
                } else {
                    "取消"
                },
            ));
        }
        if etag.is_some_and(|etag| etag != before.version) {
            return Err(SupervisionError::EtagMismatch(before.name()));
        }
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let (after, task, operation) = match end {
            TalkEnd::Held(held, new_task) => {
                let task = task_record(&tx, before.task_origin(), *new_task);
                let after = TalkRecord {
                    state: "held".to_owned(),
                    record: Some(to_json(held.as_ref())?),
                    follow_up_task: Some(task.name()),
                    version: before.version + 1,
                    ..before.clone()
                };
                (after, Some(task), "RecordAdmonishmentTalk")
            }
            TalkEnd::Cancelled(reason) => {
                let after = TalkRecord {
                    state: "cancelled".to_owned(),
                    cancel_reason: Some(reason.as_str().to_owned()),
                    version: before.version + 1,
                    ..before.clone()
                };
                (after, None, "CancelAdmonishmentTalk")
            }
        };
        let changed = sqlx::query(
            "UPDATE admonishment_talks SET state = $1, record = $2, follow_up_task = $3, \
             cancel_reason = $4, version = $5 WHERE id = $6 AND state = 'scheduled' \
             AND version = $7",
        )
        .bind(after.state.clone())
        .bind(after.record.clone())
        .bind(after.follow_up_task.clone())
        .bind(after.cancel_reason.clone())
        .bind(after.version)
        .bind(after.id.clone())
        .bind(before.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(SupervisionError::EtagMismatch(before.name()));
        }
        tx.audit(operation, &before.name(), Some(before), Some(&after))?;
        if let Some(task) = &task {
            insert_task(&mut tx, task).await?;
        }
        tx.commit().await?;
        Ok((after, task))
    }
}
