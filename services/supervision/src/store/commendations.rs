//! Commendations by the province, written with their copy on the unit's record in the
//! registry: the registry call is made inside the transaction, so a commendation the
//! registry did not take is not kept here either.

use serde::Serialize;
use wenming_authz::Scope;
use wenming_domain::CommendationId;
use wenming_runtime::db::is_unique_violation;
use wenming_runtime::sql::{Page, get_scoped, list_scoped};

use super::{Store, push_consequence_visible as push_visible};
use crate::error::{Result, SupervisionError};
use crate::messages as msg;
use crate::rules::Planner;

/// A commendation as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct CommendationRecord {
    pub id: String,
    pub pairing: String,
    pub document_number: String,
    pub title: String,
    pub commended_on: String,
    pub helper: String,
    pub target_display_name: String,
    pub target_region: String,
    pub target_city: String,
    pub target_unit: String,
    pub target_helper_unit: Option<String>,
    pub target_direct: i64,
    pub office_key: String,
    pub office_region: String,
    pub office_city: String,
    pub commended_by: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, pairing, document_number, title, commended_on, helper, \
     target_display_name, target_region, target_city, target_unit, target_helper_unit, \
     target_direct, office_key, office_region, office_city, commended_by, created_at";

wenming_runtime::table!(CommendationRecord, from: "commendations", columns: COLUMNS,
    key: "id" => id, noun: &msg::COMMENDATION, collection: "commendations");

impl CommendationRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        format!("commendations/{}", self.id)
    }
}

/// A commendation to make, checked and resolved against pairing and registry.
#[derive(Clone, Debug)]
pub struct NewCommendation {
    pub pairing: String,
    pub document_number: String,
    pub title: String,
    pub commended_on: String,
    pub helper: String,
    pub target_display_name: String,
    pub target_region: String,
    pub target_city: String,
    pub target_unit: String,
    pub target_helper_unit: Option<String>,
    pub target_direct: bool,
}

/// Which commendations a list returns (within what the caller may see).
#[derive(Clone, Debug, Default)]
pub struct CommendationFilter {
    pub pairing: Option<String>,
    /// A unit id.
    pub unit: Option<String>,
}

impl Store {
    /// Makes a commendation by `office`, calling `publish` (the registry) before it
    /// commits: if `publish` fails nothing is kept.
    pub async fn commend(
        &self,
        scope: &Scope,
        office: Planner,
        new: NewCommendation,
        request_id: Option<&str>,
        publish: impl AsyncFnOnce(&CommendationRecord) -> Result<()>,
    ) -> Result<CommendationRecord> {
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let record = CommendationRecord {
            id: CommendationId::new().to_string(),
            pairing: new.pairing,
            document_number: new.document_number,
            title: new.title,
            commended_on: new.commended_on,
            helper: new.helper,
            target_display_name: new.target_display_name,
            target_region: new.target_region,
            target_city: new.target_city,
            target_unit: new.target_unit,
            target_helper_unit: new.target_helper_unit,
            target_direct: i64::from(new.target_direct),
            office_key: office.office,
            office_region: office.region,
            office_city: office.city,
            commended_by: scope.subject().to_owned(),
            created_at: tx.now_ms(),
        };
        if let Some(earlier) = tx.claim("CommendPairing", &record.name()).await? {
            drop(tx);
            return self
                .get_commendation(scope, earlier.trim_start_matches("commendations/"))
                .await;
        }
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO commendations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        )))
        .bind(record.id.clone())
        .bind(record.pairing.clone())
        .bind(record.document_number.clone())
        .bind(record.title.clone())
        .bind(record.commended_on.clone())
        .bind(record.helper.clone())
        .bind(record.target_display_name.clone())
        .bind(record.target_region.clone())
        .bind(record.target_city.clone())
        .bind(record.target_unit.clone())
        .bind(record.target_helper_unit.clone())
        .bind(record.target_direct)
        .bind(record.office_key.clone())
        .bind(record.office_region.clone())
        .bind(record.office_city.clone())
        .bind(record.commended_by.clone())
        .bind(record.created_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(err) if is_unique_violation(&err) => {
                return Err(SupervisionError::AlreadyExists {
                    kind: &msg::COMMENDATION,
                    name: format!("{}/{}", record.pairing, record.document_number),
                    description: "the pairing is already commended by this document".into(),
                });
            }
            other => other?,
        };
        tx.audit("CommendPairing", &record.name(), None::<&()>, Some(&record))?;
        publish(&record).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// A commendation the caller may see.
    pub async fn get_commendation(&self, scope: &Scope, id: &str) -> Result<CommendationRecord> {
        get_scoped(self.db.pool(), id, |sql| push_visible(sql, scope)).await
    }

    /// A page of the commendations the caller may see, in id order (ids are
    /// time-ordered: oldest first).
    pub async fn list_commendations(
        &self,
        scope: &Scope,
        filter: &CommendationFilter,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<CommendationRecord>> {
        Ok(list_scoped(
            self.db.pool(),
            |sql| {
                push_visible(sql, scope);
                if let Some(pairing) = &filter.pairing {
                    sql.push(" AND pairing = ").bind(pairing.clone());
                }
                if let Some(unit) = &filter.unit {
                    sql.push(" AND target_unit = ").bind(unit.clone());
                }
            },
            after,
            size,
        )
        .await?)
    }
}
