//! The province's commendations of a unit's pairings, as the unit's record shows them:
//! recorded by the supervision service (which holds the full record), read with the
//! unit's titles by VerifyTitle.

use serde::Serialize;
use wenming_authz::Scope;

use super::Store;
use crate::error::Result;

/// A commendation on a unit's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CommendationRecord {
    /// "commendations/{id}" of the supervision service.
    pub name: String,
    pub document_number: String,
    pub title: String,
    /// "YYYY-MM-DD".
    pub commended_on: String,
    /// "pairings/{id}".
    pub pairing: String,
}

const COLUMNS: &str = "name, document_number, title, commended_on, pairing";

impl Store {
    /// Records `commendation` on the unit `unit_id` the caller may see, replacing one of
    /// the same document number (the rules have checked that the caller commends).
    pub async fn record_commendation(
        &self,
        scope: &Scope,
        unit_id: &str,
        commendation: CommendationRecord,
    ) -> Result<CommendationRecord> {
        let unit = self.get_unit(scope, unit_id).await?;
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let before: Option<CommendationRecord> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM unit_commendations WHERE unit_id = $1 AND document_number = $2"
        )))
        .bind(unit_id.to_owned())
        .bind(commendation.document_number.clone())
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO unit_commendations (unit_id, document_number, name, title, \
             commended_on, pairing, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (unit_id, document_number) DO UPDATE SET name = excluded.name, \
             title = excluded.title, commended_on = excluded.commended_on, \
             pairing = excluded.pairing, recorded_by = excluded.recorded_by, \
             recorded_at = excluded.recorded_at",
        )
        .bind(unit_id.to_owned())
        .bind(commendation.document_number.clone())
        .bind(commendation.name.clone())
        .bind(commendation.title.clone())
        .bind(commendation.commended_on.clone())
        .bind(commendation.pairing.clone())
        .bind(scope.subject().to_owned())
        .bind(tx.now_ms())
        .execute(&mut *tx)
        .await?;
        tx.audit(
            "RecordCommendation",
            &format!(
                "{}/commendations/{}",
                unit.name(),
                commendation.document_number
            ),
            before.as_ref(),
            Some(&commendation),
        )?;
        tx.commit().await?;
        self.verify_cache.forget(&unit.credit_code);
        Ok(commendation)
    }

    /// Every commendation on the unit's record, newest first.
    pub(super) async fn commendations_of(&self, unit_id: &str) -> Result<Vec<CommendationRecord>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM unit_commendations WHERE unit_id = $1 \
             ORDER BY commended_on DESC, document_number"
        )))
        .bind(unit_id.to_owned())
        .fetch_all(self.db.pool())
        .await?)
    }
}
