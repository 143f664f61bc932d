//! Designations: a holder takes a place of its quota in force for a paired unit, and
//! frees it by withdrawing. The place is taken by a conditional UPDATE of the holder's
//! `quota_places` row in the same transaction as the designation's insert and its audit
//! record, so concurrent designations never take more places than the quota.

use serde::Serialize;
use wenming_authz::Scope;
use wenming_domain::{DesignationId, QuotaHolder, Reason, TitleTier};
use wenming_runtime::row_scope::{self, Columns};
use wenming_runtime::sql::{Page, Sql, get_scoped, list_scoped};

use super::{Store, holder_column};
use crate::error::{QuotaCase, QuotaError, Result};
use crate::messages as msg;
use crate::rules::Period;
use crate::store::tables::no_table_in_force;

/// A designation as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct DesignationRecord {
    pub id: String,
    pub period: String,
    pub holder: String,
    pub tier: String,
    pub unit_id: String,
    pub unit_display_name: String,
    pub unit_region: String,
    pub unit_city: String,
    pub unit_provincial_direct: i64,
    pub credit_code: String,
    pub pairing: String,
    pub state: String,
    pub designated_by: String,
    pub created_at: i64,
    pub withdrawn_by: Option<String>,
    pub withdrawn_at: Option<i64>,
    pub withdraw_reason: Option<String>,
    pub version: i64,
}

const DESIGNATION_COLUMNS: &str = "id, period, holder, tier, unit_id, unit_display_name, \
     unit_region, unit_city, unit_provincial_direct, credit_code, pairing, state, \
     designated_by, created_at, withdrawn_by, withdrawn_at, withdraw_reason, version";

wenming_runtime::table!(DesignationRecord, from: "designations", columns: DESIGNATION_COLUMNS,
    key: "id" => id, noun: &msg::DESIGNATION, collection: "designations");

impl DesignationRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        format!("designations/{}", self.id)
    }
}

/// What a new designation records, checked by the rules.
#[derive(Clone, Debug)]
pub struct NewDesignation {
    pub period: Period,
    pub holder: QuotaHolder,
    pub tier: TitleTier,
    pub unit_id: String,
    pub unit_display_name: String,
    pub unit_region: String,
    pub unit_city: String,
    pub unit_provincial_direct: bool,
    pub credit_code: String,
    pub pairing: String,
}

/// Which designations a list returns (within the caller's scope).
#[derive(Clone, Debug, Default)]
pub struct DesignationFilter {
    pub holder: Option<QuotaHolder>,
    pub tier: Option<TitleTier>,
    pub state: Option<&'static str>,
}

/// A holder's places of one tier, and its active designations' credit codes.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PlaceCount {
    pub holder: String,
    pub tier: String,
    pub quota: i64,
    pub used: i64,
}

/// The caller's scope on designation rows.
fn push_scope(sql: &mut Sql, scope: &Scope) {
    row_scope::push(
        sql,
        scope.rows(),
        Columns {
            unit: "unit_id",
            region: "unit_region",
            city: "unit_city",
            direct: "unit_provincial_direct",
        },
    );
}

impl Store {
    /// Designates a unit, taking one of the holder's places of the tier.
    pub async fn create_designation(
        &self,
        scope: &Scope,
        new: NewDesignation,
        request_id: Option<&str>,
    ) -> Result<DesignationRecord> {
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let record = DesignationRecord {
            id: DesignationId::new().to_string(),
            period: new.period.to_string(),
            holder: holder_column(new.holder),
            tier: new.tier.as_str().to_owned(),
            unit_id: new.unit_id,
            unit_display_name: new.unit_display_name,
            unit_region: new.unit_region,
            unit_city: new.unit_city,
            unit_provincial_direct: i64::from(new.unit_provincial_direct),
            credit_code: new.credit_code,
            pairing: new.pairing,
            state: "active".to_owned(),
            designated_by: scope.subject().to_owned(),
            created_at: tx.now_ms(),
            withdrawn_by: None,
            withdrawn_at: None,
            withdraw_reason: None,
            version: 1,
        };
        if let Some(earlier) = tx.claim("CreateDesignation", &record.name()).await? {
            drop(tx);
            return self
                .get_designation(scope, earlier.trim_start_matches("designations/"))
                .await;
        }
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO designations ({DESIGNATION_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
        )))
        .bind(record.id.clone())
        .bind(record.period.clone())
        .bind(record.holder.clone())
        .bind(record.tier.clone())
        .bind(record.unit_id.clone())
        .bind(record.unit_display_name.clone())
        .bind(record.unit_region.clone())
        .bind(record.unit_city.clone())
        .bind(record.unit_provincial_direct)
        .bind(record.credit_code.clone())
        .bind(record.pairing.clone())
        .bind(record.state.clone())
        .bind(record.designated_by.clone())
        .bind(record.created_at)
        .bind(None::<String>)
        .bind(None::<i64>)
        .bind(None::<String>)
        .bind(record.version)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(err) if wenming_runtime::db::is_unique_violation(&err) => {
                let unit = format!("units/{}", record.unit_id);
                return Err(QuotaError::AlreadyExists {
                    kind: &msg::DESIGNATION,
                    name: unit,
                    description: "the unit already holds an active designation".to_owned(),
                });
            }
            Err(err) => return Err(err.into()),
        }
        tx.audit(
            "CreateDesignation",
            &record.name(),
            None::<&()>,
            Some(&record),
        )?;
        // The place last, just before the commit: on PostgreSQL the holder's row stays
        // locked from this UPDATE to the commit, and every designation of the holder
        // waits for it, so nothing else runs while it is held.
        let taken = sqlx::query(
            "UPDATE quota_places SET used = used + 1 \
             WHERE period = $1 AND holder = $2 AND tier = $3 AND used < quota",
        )
        .bind(record.period.clone())
        .bind(record.holder.clone())
        .bind(record.tier.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken == 0 {
            let places: Option<(i64, i64)> = sqlx::query_as(
                "SELECT quota, used FROM quota_places WHERE period = $1 AND holder = $2 AND tier = $3",
            )
            .bind(record.period.clone())
            .bind(record.holder.clone())
            .bind(record.tier.clone())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((quota, used)) = places else {
                return Err(no_table_in_force(new.period));
            };
            return Err(QuotaError::Service(QuotaCase::Full {
                holder: format!("offices/{}", record.holder),
                holder_name: new.holder.display_name(self.divisions()),
                tier: new.tier.as_str(),
                tier_label: crate::rules::tier_title(new.tier),
                quota,
                used,
            }));
        }
        tx.commit().await?;
        Ok(record)
    }

    /// A designation the caller may read.
    pub async fn get_designation(&self, scope: &Scope, id: &str) -> Result<DesignationRecord> {
        get_scoped(self.db.pool(), id, |sql| push_scope(sql, scope)).await
    }

    /// A page of the designations of `period` the caller may read, oldest first.
    pub async fn list_designations(
        &self,
        scope: &Scope,
        period: Period,
        filter: &DesignationFilter,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<DesignationRecord>> {
        Ok(list_scoped(
            self.db.pool(),
            |sql| {
                sql.push(" AND period = ").bind(period.to_string());
                push_scope(sql, scope);
                if let Some(holder) = filter.holder {
                    sql.push(" AND holder = ").bind(holder_column(holder));
                }
                if let Some(tier) = filter.tier {
                    sql.push(" AND tier = ").bind(tier.as_str().to_owned());
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

    /// The holder withdraws its designation `id`, freeing its place.
    pub async fn withdraw_designation(
        &self,
        scope: &Scope,
        holder: QuotaHolder,
        id: &str,
        reason: &Reason,
        etag: Option<i64>,
    ) -> Result<DesignationRecord> {
        let before = self.get_designation(scope, id).await?;
        if before.holder != holder_column(holder) {
            return Err(QuotaError::not_found(&msg::DESIGNATION, before.name()));
        }
        if before.state != "active" {
            return Err(QuotaError::precondition(
                &msg::NOT_ACTIVE,
                before.name(),
                "the designation is already withdrawn",
            )
            .arg("designation", before.name()));
        }
        if etag.is_some_and(|etag| etag != before.version) {
            return Err(QuotaError::EtagMismatch(before.name()));
        }
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let now = tx.now_ms();
        let changed = sqlx::query(
            "UPDATE designations SET state = 'withdrawn', withdrawn_by = $1, withdrawn_at = $2, \
             withdraw_reason = $3, version = version + 1 \
             WHERE id = $4 AND state = 'active' AND version = $5",
        )
        .bind(scope.subject().to_owned())
        .bind(now)
        .bind(reason.as_str().to_owned())
        .bind(before.id.clone())
        .bind(before.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            // Withdrawn or changed by someone else since it was read.
            return Err(QuotaError::EtagMismatch(before.name()));
        }
        sqlx::query(
            "UPDATE quota_places SET used = used - 1 WHERE period = $1 AND holder = $2 AND tier = $3",
        )
        .bind(before.period.clone())
        .bind(before.holder.clone())
        .bind(before.tier.clone())
        .execute(&mut *tx)
        .await?;
        let after = DesignationRecord {
            state: "withdrawn".to_owned(),
            withdrawn_by: Some(scope.subject().to_owned()),
            withdrawn_at: Some(now),
            withdraw_reason: Some(reason.as_str().to_owned()),
            version: before.version + 1,
            ..before.clone()
        };
        tx.audit(
            "WithdrawDesignation",
            &before.name(),
            Some(&before),
            Some(&after),
        )?;
        tx.commit().await?;
        Ok(after)
    }

    /// The places of `period` (of `holder`, or all), and the active designations'
    /// holder, tier and credit code.
    pub async fn places(
        &self,
        period: Period,
        holder: Option<QuotaHolder>,
    ) -> Result<(Vec<PlaceCount>, Vec<(String, String, String)>)> {
        let mut sql =
            Sql::new("SELECT holder, tier, quota, used FROM quota_places WHERE period = ");
        sql.bind(period.to_string());
        if let Some(holder) = holder {
            sql.push(" AND holder = ").bind(holder_column(holder));
        }
        let places = sql
            .query_as::<PlaceCount>()
            .fetch_all(self.db.pool())
            .await?;
        let mut sql = Sql::new(
            "SELECT holder, tier, credit_code FROM designations WHERE state = 'active' AND period = ",
        );
        sql.bind(period.to_string());
        if let Some(holder) = holder {
            sql.push(" AND holder = ").bind(holder_column(holder));
        }
        let active = sql
            .query_as::<(String, String, String)>()
            .fetch_all(self.db.pool())
            .await?;
        Ok((places, active))
    }
}
