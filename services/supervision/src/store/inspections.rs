//! Inspections: planned, then recorded with their findings or cancelled.

use serde::{Deserialize, Serialize};
use wenming_authz::Scope;
use wenming_domain::{InspectionId, Reason};
use wenming_runtime::sql::{Page, get_scoped, list_scoped};

use super::{Store, push_visible, to_json};
use crate::error::{Result, SupervisionError};
use crate::messages as msg;
use crate::rules::Planner;

/// An inspection as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct InspectionRecord {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub target_display_name: String,
    pub target_region: String,
    pub target_city: String,
    pub target_unit: Option<String>,
    pub target_helper_unit: Option<String>,
    pub target_direct: i64,
    pub inspectors: String,
    pub planned_start: String,
    pub planned_end: String,
    pub purpose: String,
    pub state: String,
    pub planning_office: String,
    pub planning_region: String,
    pub planning_city: String,
    pub visit: Option<String>,
    pub planned_by: String,
    pub created_at: i64,
    pub cancel_reason: Option<String>,
    pub version: i64,
}

const COLUMNS: &str = "id, kind, target, target_display_name, target_region, target_city, \
     target_unit, target_helper_unit, target_direct, inspectors, planned_start, planned_end, \
     purpose, state, planning_office, planning_region, planning_city, visit, planned_by, \
     created_at, cancel_reason, version";

wenming_runtime::table!(InspectionRecord, from: "inspections", columns: COLUMNS,
    key: "id" => id, noun: &msg::INSPECTION, collection: "inspections");

impl InspectionRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        format!("inspections/{}", self.id)
    }

    /// Its inspectors.
    pub fn inspector_names(&self) -> Result<Vec<String>> {
        serde_json::from_str(&self.inspectors)
            .map_err(|err| SupervisionError::Internal(format!("stored inspectors: {err}")))
    }

    /// Its visit, once recorded.
    pub fn recorded_visit(&self) -> Result<Option<VisitRecord>> {
        self.visit
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|err| SupervisionError::Internal(format!("stored visit: {err}")))
    }
}

/// A recorded visit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitRecord {
    pub visited_on: String,
    pub summary: String,
    pub recorded_by: String,
    pub recorded_at: i64,
    pub findings: Vec<FindingRecord>,
}

/// A finding of a visit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRecord {
    /// low_enthusiasm, going_through_the_motions, practical_difficulty, good_practice
    pub category: String,
    pub cause: String,
    pub description: String,
    pub measure: String,
    /// "pairings/{id}" or empty.
    pub pairing: String,
}

/// A new inspection, checked by the rules and resolved against registry and pairing.
#[derive(Clone, Debug)]
pub struct NewInspection {
    pub kind: &'static str,
    pub target: String,
    pub target_display_name: String,
    pub target_region: String,
    pub target_city: String,
    pub target_unit: Option<String>,
    pub target_helper_unit: Option<String>,
    pub target_direct: bool,
    pub inspectors: Vec<String>,
    pub planned_start: String,
    pub planned_end: String,
    pub purpose: String,
}

/// Which inspections a list returns (within what the caller may see).
#[derive(Clone, Debug, Default)]
pub struct InspectionFilter {
    pub kind: Option<&'static str>,
    pub state: Option<&'static str>,
    /// A city or county code: targets in it.
    pub region: Option<String>,
}

impl Store {
    /// Plans an inspection.
    pub async fn plan_inspection(
        &self,
        scope: &Scope,
        planner: Planner,
        new: NewInspection,
        request_id: Option<&str>,
    ) -> Result<InspectionRecord> {
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let record = InspectionRecord {
            id: InspectionId::new().to_string(),
            kind: new.kind.to_owned(),
            target: new.target,
            target_display_name: new.target_display_name,
            target_region: new.target_region,
            target_city: new.target_city,
            target_unit: new.target_unit,
            target_helper_unit: new.target_helper_unit,
            target_direct: i64::from(new.target_direct),
            inspectors: to_json(&new.inspectors)?,
            planned_start: new.planned_start,
            planned_end: new.planned_end,
            purpose: new.purpose,
            state: "planned".to_owned(),
            planning_office: planner.office,
            planning_region: planner.region,
            planning_city: planner.city,
            visit: None,
            planned_by: scope.subject().to_owned(),
            created_at: tx.now_ms(),
            cancel_reason: None,
            version: 1,
        };
        if let Some(earlier) = tx.claim("PlanInspection", &record.name()).await? {
            drop(tx);
            return self
                .get_inspection(scope, earlier.trim_start_matches("inspections/"))
                .await;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO inspections ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
        )))
        .bind(record.id.clone())
        .bind(record.kind.clone())
        .bind(record.target.clone())
        .bind(record.target_display_name.clone())
        .bind(record.target_region.clone())
        .bind(record.target_city.clone())
        .bind(record.target_unit.clone())
        .bind(record.target_helper_unit.clone())
        .bind(record.target_direct)
        .bind(record.inspectors.clone())
        .bind(record.planned_start.clone())
        .bind(record.planned_end.clone())
        .bind(record.purpose.clone())
        .bind(record.state.clone())
        .bind(record.planning_office.clone())
        .bind(record.planning_region.clone())
        .bind(record.planning_city.clone())
        .bind(record.visit.clone())
        .bind(record.planned_by.clone())
        .bind(record.created_at)
        .bind(record.cancel_reason.clone())
        .bind(record.version)
        .execute(&mut *tx)
        .await?;
        tx.audit("PlanInspection", &record.name(), None::<&()>, Some(&record))?;
        tx.commit().await?;
        Ok(record)
    }

    /// An inspection the caller may see.
    pub async fn get_inspection(&self, scope: &Scope, id: &str) -> Result<InspectionRecord> {
        get_scoped(self.db.pool(), id, |sql| push_visible(sql, scope)).await
    }

    /// A page of the inspections the caller may see, oldest first.
    pub async fn list_inspections(
        &self,
        scope: &Scope,
        filter: &InspectionFilter,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<InspectionRecord>> {
        Ok(list_scoped(
            self.db.pool(),
            |sql| {
                push_visible(sql, scope);
                if let Some(kind) = filter.kind {
                    sql.push(" AND kind = ").bind(kind.to_owned());
                }
                if let Some(state) = filter.state {
                    sql.push(" AND state = ").bind(state.to_owned());
                }
                if let Some(region) = &filter.region {
                    super::push_target_in(sql, region);
                }
            },
            after,
            size,
        )
        .await?)
    }

    /// Records the visit of a planned inspection (`visit`) or cancels it (`reason`),
    /// by its planning office, if it is still planned and still `etag`.
    pub async fn close_inspection(
        &self,
        scope: &Scope,
        id: &str,
        visit: Option<VisitRecord>,
        reason: Option<&Reason>,
        etag: Option<i64>,
        check_office: impl FnOnce(&InspectionRecord) -> Result<()>,
    ) -> Result<InspectionRecord> {
        let before = self.get_inspection(scope, id).await?;
        check_office(&before)?;
        if before.state != "planned" {
            return Err(SupervisionError::precondition(
                &msg::NOT_PLANNED,
                before.name(),
                format!("{} is {}", before.name(), before.state),
            )
            .arg("inspection", before.name())
            .arg(
                "state",
                if before.state == "done" {
                    "记录"
                } else {
                    "取消"
                },
            ));
        }
        if etag.is_some_and(|etag| etag != before.version) {
            return Err(SupervisionError::EtagMismatch(before.name()));
        }
        let (state, operation) = if visit.is_some() {
            ("done", "RecordVisit")
        } else {
            ("cancelled", "CancelInspection")
        };
        let after = InspectionRecord {
            state: state.to_owned(),
            visit: visit.as_ref().map(to_json).transpose()?,
            cancel_reason: reason.map(|r| r.as_str().to_owned()),
            version: before.version + 1,
            ..before.clone()
        };
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let changed = sqlx::query(
            "UPDATE inspections SET state = $1, visit = $2, cancel_reason = $3, version = $4 \
             WHERE id = $5 AND state = 'planned' AND version = $6",
        )
        .bind(after.state.clone())
        .bind(after.visit.clone())
        .bind(after.cancel_reason.clone())
        .bind(after.version)
        .bind(after.id.clone())
        .bind(before.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            // Recorded, cancelled or changed by someone else since it was read.
            return Err(SupervisionError::EtagMismatch(before.name()));
        }
        tx.audit(operation, &before.name(), Some(&before), Some(&after))?;
        tx.commit().await?;
        Ok(after)
    }
}
