//! Units' applications to join (畅通非公单位参与文明单位创建渠道): submitted by a platform,
//! decided by the office of the unit's region, which registers the unit on acceptance.

use serde::Serialize;
use wenming_authz::{PlatformAction, RowScope, Scope};
use wenming_domain::{ApplicationId, ApplicationState, Reason, UnitId};
use wenming_runtime::db::is_unique_violation;
use wenming_runtime::row_scope;
use wenming_runtime::sql::{Sql, get_scoped, list_scoped};

use super::{NewUnit, Page, Store, UnitRecord};
use crate::error::{RegistryError, Result};
use crate::messages as msg;
use crate::rules;

/// An application as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ApplicationRecord {
    pub id: String,
    pub display_name: String,
    pub credit_code: String,
    pub region_code: String,
    pub city_code: String,
    /// The unit as it will be registered (a [`UnitRecord`] as JSON).
    pub unit_record: String,
    pub platform: String,
    pub state: String,
    pub decline_reason: Option<String>,
    pub unit_id: Option<String>,
    pub decided_by: Option<String>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

const APPLICATION_COLUMNS: &str = "id, display_name, credit_code, region_code, city_code, \
    unit_record, platform, state, decline_reason, unit_id, decided_by, created_at, decided_at";

wenming_runtime::table!(ApplicationRecord, from: "applications", columns: APPLICATION_COLUMNS, key: "id" => id, noun: &msg::APPLICATION, collection: "applications");

impl ApplicationRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        format!("applications/{}", self.id)
    }

    /// The stored state.
    pub fn application_state(&self) -> Result<ApplicationState> {
        self.state
            .parse()
            .map_err(|err| RegistryError::Internal(format!("stored application state: {err}")))
    }

    /// The unit as it will be (or was) registered.
    pub fn unit(&self) -> Result<UnitRecord> {
        serde_json::from_str(&self.unit_record)
            .map_err(|err| RegistryError::Internal(format!("stored application unit: {err}")))
    }
}

/// What the office decides.
#[derive(Clone, Debug)]
pub enum Decision {
    /// Register the unit.
    Accept,
    /// Decline, with the reason the applicant reads.
    Decline(Reason),
}

/// Applications carry no provincial-direct mark (only the province marks units), so
/// the flag is the constant 0 and the provincial-direct office reads none of them.
const COLUMNS: row_scope::Columns<'static> = row_scope::Columns {
    unit: "unit_id",
    region: "region_code",
    city: "city_code",
    direct: "0",
};

impl Store {
    /// Records a platform's application for `unit`, pending with its region's office.
    pub async fn submit_application(
        &self,
        scope: &Scope,
        unit: NewUnit,
        request_id: Option<&str>,
    ) -> Result<ApplicationRecord> {
        let platform = rules::application_platform(scope)?;
        rules::application_unit(scope, &unit)?;
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let now = tx.now_ms();
        let unit = self.unit_record(&UnitId::new().to_string(), unit, now);
        let record = ApplicationRecord {
            id: ApplicationId::new().to_string(),
            display_name: unit.display_name.clone(),
            credit_code: unit.credit_code.clone(),
            region_code: unit.region_code.clone(),
            city_code: unit.city_code.clone(),
            unit_record: serde_json::to_string(&unit)
                .map_err(|err| RegistryError::Internal(format!("application unit: {err}")))?,
            platform,
            state: ApplicationState::Pending.as_str().to_owned(),
            decline_reason: None,
            unit_id: None,
            decided_by: None,
            created_at: now,
            decided_at: None,
        };
        if let Some(earlier) = tx.claim("SubmitApplication", &record.name()).await? {
            drop(tx);
            return self
                .get_application(scope, earlier.trim_start_matches("applications/"))
                .await;
        }
        let registered: Option<(String,)> =
            sqlx::query_as("SELECT id FROM units WHERE credit_code = $1")
                .bind(record.credit_code.clone())
                .fetch_optional(&mut *tx)
                .await?;
        if registered.is_some() {
            return Err(already_registered(&record.credit_code));
        }
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO applications ({APPLICATION_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        )))
        .bind(record.id.clone())
        .bind(record.display_name.clone())
        .bind(record.credit_code.clone())
        .bind(record.region_code.clone())
        .bind(record.city_code.clone())
        .bind(record.unit_record.clone())
        .bind(record.platform.clone())
        .bind(record.state.clone())
        .bind(record.decline_reason.clone())
        .bind(record.unit_id.clone())
        .bind(record.decided_by.clone())
        .bind(record.created_at)
        .bind(record.decided_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(err) if is_unique_violation(&err) => {
                return Err(RegistryError::AlreadyExists {
                    kind: &msg::APPLICATION,
                    description: format!(
                        "an application for credit code {} is already pending",
                        record.credit_code
                    ),
                    name: record.credit_code,
                });
            }
            other => other?,
        };
        tx.audit(
            "SubmitApplication",
            &record.name(),
            None::<&ApplicationRecord>,
            Some(&record),
        )?;
        tx.commit().await?;
        Ok(record)
    }

    /// Reads an application: the platform that submitted it, or an office whose region
    /// holds the unit's.
    pub async fn get_application(&self, scope: &Scope, id: &str) -> Result<ApplicationRecord> {
        let platform = scope
            .platform_granted(PlatformAction::SubmitApplication)
            .map(str::to_owned);
        let rows = scope.rows();
        if platform.is_none() && !scope.is_office() {
            return Err(denied_reading());
        }
        get_scoped(self.db.pool(), id, |sql| match &platform {
            Some(name) => {
                sql.push(" AND platform = ").bind(name.clone());
            }
            None => row_scope::push(sql, rows, COLUMNS),
        })
        .await
    }

    /// Lists the applications of the caller's region, optionally in one state.
    pub async fn list_applications(
        &self,
        scope: &Scope,
        state: Option<ApplicationState>,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<ApplicationRecord>> {
        if !scope.is_office() {
            return Err(denied_reading());
        }
        let rows: RowScope = scope.rows();
        let filters = |sql: &mut Sql| {
            row_scope::push(sql, rows, COLUMNS);
            if let Some(state) = state {
                sql.push(" AND state = ").bind(state.as_str().to_owned());
            }
        };
        Ok(list_scoped(self.db.pool(), filters, after, size).await?)
    }

    /// The office of the unit's region decides a pending application; accepting
    /// registers the unit in the same transaction.
    pub async fn decide_application(
        &self,
        scope: &Scope,
        id: &str,
        decision: Decision,
    ) -> Result<ApplicationRecord> {
        let before = self.get_application(scope, id).await?;
        rules::decides_application(scope, &before)?;
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let now = tx.now_ms();
        let mut after = before.clone();
        after.decided_by = Some(scope.subject().to_owned());
        after.decided_at = Some(now);
        match &decision {
            Decision::Accept => {
                let mut unit = before.unit()?;
                unit.created_at = now;
                unit.updated_at = now;
                let inserted = super::import::insert_units(
                    &mut tx,
                    self.db.backend(),
                    std::iter::once(unit.clone()),
                )
                .await?;
                if inserted.is_empty() {
                    return Err(already_registered(&unit.credit_code));
                }
                tx.audit("CreateUnit", &unit.name(), None::<&UnitRecord>, Some(&unit))?;
                after.state = ApplicationState::Accepted.as_str().to_owned();
                after.unit_id = Some(unit.id);
            }
            Decision::Decline(reason) => {
                after.state = ApplicationState::Declined.as_str().to_owned();
                after.decline_reason = Some(reason.as_str().to_owned());
            }
        }
        let changed = sqlx::query(
            "UPDATE applications SET state = $1, decline_reason = $2, unit_id = $3, \
             decided_by = $4, decided_at = $5 WHERE id = $6 AND state = 'pending'",
        )
        .bind(after.state.clone())
        .bind(after.decline_reason.clone())
        .bind(after.unit_id.clone())
        .bind(after.decided_by.clone())
        .bind(after.decided_at)
        .bind(id.to_owned())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(RegistryError::EtagMismatch(before.name()));
        }
        tx.audit(
            "DecideApplication",
            &after.name(),
            Some(&before),
            Some(&after),
        )?;
        tx.commit().await?;
        Ok(after)
    }
}

fn already_registered(credit_code: &str) -> RegistryError {
    RegistryError::AlreadyExists {
        kind: &msg::UNIT,
        name: credit_code.to_owned(),
        description: format!("a unit with credit code {credit_code} is already registered"),
    }
}

fn denied_reading() -> RegistryError {
    RegistryError::denied(
        &msg::READ_APPLICATIONS,
        "applications are read by the platform that submitted them and by offices",
    )
}
