//! Recommendation rounds and lists. What must hold under concurrency is held here: a
//! year has one round; once the province has submitted its list of a national round no
//! holder's list changes (every holder's write takes a conditional update of the round
//! row, the province's closes it); the province's list names only units that are still
//! on a holder's list when it commits.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::AnyConnection;
use wenming_authz::Scope;
use wenming_domain::TitleTier;

use super::{Store, from_json, to_json};
use crate::error::{QuotaError, Result};
use crate::messages as msg;
use crate::rules::Province;
use crate::rules::recommendation::{Lines, ListOwner, Listed, PROVINCE_SEGMENT, Tally};

/// A round as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct RoundRecord {
    pub year: i64,
    pub tier: String,
    pub display_name: String,
    pub document_number: String,
    pub agency_cap_percent: i64,
    pub base_level_minimum_percent: i64,
    pub places: String,
    pub created_by: String,
    pub created_at: i64,
    pub closed: i64,
    pub version: i64,
}

const ROUND_COLUMNS: &str = "year, tier, display_name, document_number, agency_cap_percent, \
     base_level_minimum_percent, places, created_by, created_at, closed, version";

impl RoundRecord {
    /// "recommendationRounds/{year}".
    pub fn name(&self) -> String {
        round_name(self.year)
    }

    /// Its places by list segment.
    pub fn lines(&self) -> Result<BTreeMap<String, Lines>> {
        from_json(&self.places)
    }

    /// The stored tier.
    pub fn tier(&self) -> Result<TitleTier> {
        super::tier_from_column(&self.tier)
    }
}

/// "recommendationRounds/{year}".
pub fn round_name(year: i64) -> String {
    format!("recommendationRounds/{year}")
}

/// A round to create, checked by the edge.
#[derive(Clone, Debug)]
pub struct NewRound {
    pub year: i64,
    pub tier: TitleTier,
    pub display_name: String,
    pub document_number: String,
    pub agency_cap_percent: i64,
    pub base_level_minimum_percent: i64,
    /// By list segment.
    pub places: BTreeMap<String, Lines>,
}

/// A list as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ListRecord {
    pub id: String,
    pub year: i64,
    pub segment: String,
    pub units: String,
    pub tally: String,
    pub submitted_by: String,
    pub submitted_at: i64,
    pub version: i64,
}

const LIST_COLUMNS: &str = "id, year, segment, units, tally, submitted_by, submitted_at, version";

impl ListRecord {
    /// "recommendationRounds/{year}/lists/{segment}".
    pub fn name(&self) -> String {
        list_name(self.year, &self.segment)
    }

    /// Its units.
    pub fn listed(&self) -> Result<Vec<Listed>> {
        from_json(&self.units)
    }

    /// Its counts.
    pub fn counts(&self) -> Result<Tally> {
        from_json(&self.tally)
    }
}

/// "recommendationRounds/{year}/lists/{segment}".
pub fn list_name(year: i64, segment: &str) -> String {
    format!("recommendationRounds/{year}/lists/{segment}")
}

/// A list accepted by the rules, to store.
#[derive(Clone, Debug)]
pub struct AcceptedList {
    pub year: i64,
    pub owner: ListOwner,
    pub units: Vec<Listed>,
    pub tally: Tally,
}

impl Store {
    /// The province sets a year's round.
    pub async fn create_round(
        &self,
        scope: &Scope,
        _province: Province,
        new: NewRound,
        request_id: Option<&str>,
    ) -> Result<RoundRecord> {
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let record = RoundRecord {
            year: new.year,
            tier: new.tier.as_str().to_owned(),
            display_name: new.display_name,
            document_number: new.document_number,
            agency_cap_percent: new.agency_cap_percent,
            base_level_minimum_percent: new.base_level_minimum_percent,
            places: to_json(&new.places)?,
            created_by: scope.subject().to_owned(),
            created_at: tx.now_ms(),
            closed: 0,
            version: 1,
        };
        if let Some(earlier) = tx
            .claim("CreateRecommendationRound", &record.name())
            .await?
        {
            drop(tx);
            let year = earlier
                .trim_start_matches("recommendationRounds/")
                .parse()
                .map_err(|_| QuotaError::Internal(format!("claimed name {earlier}")))?;
            return self.get_round(year).await;
        }
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO recommendation_rounds ({ROUND_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )))
        .bind(record.year)
        .bind(record.tier.clone())
        .bind(record.display_name.clone())
        .bind(record.document_number.clone())
        .bind(record.agency_cap_percent)
        .bind(record.base_level_minimum_percent)
        .bind(record.places.clone())
        .bind(record.created_by.clone())
        .bind(record.created_at)
        .bind(record.closed)
        .bind(record.version)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(err) if wenming_runtime::db::is_unique_violation(&err) => {
                return Err(QuotaError::AlreadyExists {
                    kind: &msg::ROUND,
                    name: record.name(),
                    description: msg::ROUND_EXISTS.to_owned(),
                });
            }
            Err(err) => return Err(err.into()),
        }
        tx.audit(
            "CreateRecommendationRound",
            &record.name(),
            None::<&()>,
            Some(&record),
        )?;
        tx.commit().await?;
        Ok(record)
    }

    /// A year's round.
    pub async fn get_round(&self, year: i64) -> Result<RoundRecord> {
        let mut conn = self.db.pool().acquire().await?;
        round_row(&mut conn, year)
            .await?
            .ok_or_else(|| QuotaError::not_found(&msg::ROUND, round_name(year)))
    }

    /// A round's list of `segment`, if accepted.
    pub async fn get_list(&self, year: i64, segment: &str) -> Result<Option<ListRecord>> {
        let mut conn = self.db.pool().acquire().await?;
        list_row(&mut conn, year, segment).await
    }

    /// Every accepted list of a round.
    pub async fn lists(&self, year: i64) -> Result<Vec<ListRecord>> {
        Ok(sqlx::query_as::<_, ListRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {LIST_COLUMNS} FROM recommendation_lists WHERE year = $1 ORDER BY segment"
        )))
        .bind(year)
        .fetch_all(self.db.pool())
        .await?)
    }

    /// Stores an accepted list, replacing the owner's earlier one (if still `etag`). A
    /// holder's list is refused once the round is closed; the province's closes it, and
    /// is refused if a unit it names left its holder's list since it was checked.
    pub async fn put_list(
        &self,
        scope: &Scope,
        list: AcceptedList,
        etag: Option<i64>,
        request_id: Option<&str>,
    ) -> Result<ListRecord> {
        let segment = list.owner.segment();
        let name = list_name(list.year, &segment);
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        if let Some(earlier) = tx.claim("SubmitRecommendationList", &name).await? {
            drop(tx);
            return self
                .get_list(list.year, earlier.rsplit('/').next().unwrap_or_default())
                .await?
                .ok_or_else(|| QuotaError::not_found(&msg::LIST, earlier));
        }
        let round = round_name(list.year);
        let (sql, refusal) = match list.owner {
            ListOwner::Holder(_) => (
                "UPDATE recommendation_rounds SET version = version + 1 \
                 WHERE year = $1 AND closed = 0",
                Some(
                    QuotaError::precondition(
                        &msg::ROUND_CLOSED,
                        &round,
                        "the province has submitted its national list; the holders' lists \
                         no longer change",
                    )
                    .arg("round", &round),
                ),
            ),
            ListOwner::Province => (
                "UPDATE recommendation_rounds SET closed = 1, version = version + 1 \
                 WHERE year = $1",
                None,
            ),
        };
        let taken = sqlx::query(sql)
            .bind(list.year)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if taken == 0 {
            return Err(refusal.unwrap_or_else(|| QuotaError::not_found(&msg::ROUND, round)));
        }
        if list.owner == ListOwner::Province {
            still_candidates(&mut tx, list.year, &list.units).await?;
        }
        let before = list_row(&mut tx, list.year, &segment).await?;
        if let (Some(before), Some(etag)) = (&before, etag)
            && before.version != etag
        {
            return Err(QuotaError::EtagMismatch(name));
        }
        let record = ListRecord {
            id: format!("{}/{segment}", list.year),
            year: list.year,
            segment: segment.clone(),
            units: to_json(&list.units)?,
            tally: to_json(&list.tally)?,
            submitted_by: scope.subject().to_owned(),
            submitted_at: tx.now_ms(),
            version: before.as_ref().map_or(1, |b| b.version + 1),
        };
        let written = match &before {
            Some(before) => sqlx::query(
                "UPDATE recommendation_lists SET units = $1, tally = $2, submitted_by = $3, \
                 submitted_at = $4, version = $5 WHERE id = $6 AND version = $7",
            )
            .bind(record.units.clone())
            .bind(record.tally.clone())
            .bind(record.submitted_by.clone())
            .bind(record.submitted_at)
            .bind(record.version)
            .bind(record.id.clone())
            .bind(before.version)
            .execute(&mut *tx)
            .await
            .map(|done| done.rows_affected()),
            None => sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO recommendation_lists ({LIST_COLUMNS}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8)"
            )))
            .bind(record.id.clone())
            .bind(record.year)
            .bind(record.segment.clone())
            .bind(record.units.clone())
            .bind(record.tally.clone())
            .bind(record.submitted_by.clone())
            .bind(record.submitted_at)
            .bind(record.version)
            .execute(&mut *tx)
            .await
            .map(|done| done.rows_affected()),
        };
        match written {
            Ok(1) => {}
            Ok(_) => return Err(QuotaError::EtagMismatch(name)),
            Err(err) if wenming_runtime::db::is_unique_violation(&err) => {
                return Err(QuotaError::EtagMismatch(name));
            }
            Err(err) => return Err(err.into()),
        }
        tx.audit(
            "SubmitRecommendationList",
            &name,
            before.as_ref(),
            Some(&record),
        )?;
        tx.commit().await?;
        Ok(record)
    }
}

async fn round_row(conn: &mut AnyConnection, year: i64) -> Result<Option<RoundRecord>> {
    Ok(
        sqlx::query_as::<_, RoundRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {ROUND_COLUMNS} FROM recommendation_rounds WHERE year = $1"
        )))
        .bind(year)
        .fetch_optional(conn)
        .await?,
    )
}

async fn list_row(
    conn: &mut AnyConnection,
    year: i64,
    segment: &str,
) -> Result<Option<ListRecord>> {
    Ok(sqlx::query_as::<_, ListRecord>(sqlx::AssertSqlSafe(format!(
        "SELECT {LIST_COLUMNS} FROM recommendation_lists WHERE id = $1"
    )))
    .bind(format!("{year}/{segment}"))
    .fetch_optional(conn)
    .await?)
}

/// Inside the province's transaction (the round row already updated, so no holder's
/// list changes before it commits): each unit is still on its holder's list.
async fn still_candidates(conn: &mut AnyConnection, year: i64, units: &[Listed]) -> Result<()> {
    let lists = sqlx::query_as::<_, ListRecord>(sqlx::AssertSqlSafe(format!(
        "SELECT {LIST_COLUMNS} FROM recommendation_lists WHERE year = $1 AND segment <> $2"
    )))
    .bind(year)
    .bind(PROVINCE_SEGMENT)
    .fetch_all(&mut *conn)
    .await?;
    let mut named = BTreeMap::new();
    for list in &lists {
        for unit in list.listed()? {
            named.insert(unit.unit_id, list.segment.clone());
        }
    }
    for unit in units {
        if named.get(&unit.unit_id) != unit.candidate_of.as_ref() {
            return Err(QuotaError::EtagMismatch(list_name(year, PROVINCE_SEGMENT)));
        }
    }
    Ok(())
}
