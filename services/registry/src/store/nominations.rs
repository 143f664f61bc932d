//! Nominations of cultivation targets (R3): a county submits 3 to 5 of its non-public
//! units to its city before the deadline; the city accepts or returns each one.

use std::collections::HashMap;

use serde::Serialize;
use wenming_authz::Scope;
use wenming_domain::{AdminLevel, NominationId, NominationStatus, Reason, RegionCode, TitleTier};
use wenming_runtime::db::is_unique_violation;
use wenming_runtime::sql::{Sql, get_scoped, list_scoped};

use super::{Page, Store, push_scope};
use crate::error::{RegistryError, Result};
use crate::messages as msg;
use crate::rules;

/// A nomination as stored, with its history.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct NominationRecord {
    pub id: String,
    pub campaign_id: String,
    pub unit_id: String,
    pub unit_display_name: String,
    pub county_code: String,
    pub city_code: String,
    pub status: String,
    pub version: i64,
    pub submitted_at: i64,
    pub target_tier: Option<String>,
    pub provincial_direct: i64,
    #[sqlx(skip)]
    pub history: Vec<NominationEventRecord>,
}

/// One state change.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct NominationEventRecord {
    pub nomination_id: String,
    pub seq: i64,
    pub status: String,
    pub actor: String,
    pub reason: String,
    pub at: i64,
}

const NOMINATION_COLUMNS: &str = "id, campaign_id, unit_id, unit_display_name, county_code, \
    city_code, status, version, submitted_at, target_tier, provincial_direct";

wenming_runtime::table!(NominationRecord, from: "nominations", columns: NOMINATION_COLUMNS, key: "id" => id, noun: &msg::NOMINATION, collection: "nominations");

impl NominationRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        format!("nominations/{}", self.id)
    }

    /// Status.
    pub fn nomination_status(&self) -> Option<NominationStatus> {
        self.status.parse().ok()
    }
}

impl Store {
    /// A county office nominates `unit_ids` for a campaign of its city (the
    /// provincial-direct office for one of the province).
    pub async fn submit_nominations(
        &self,
        scope: &Scope,
        campaign_id: &str,
        unit_ids: &[String],
        tier: Option<TitleTier>,
        request_id: Option<&str>,
    ) -> Result<Vec<NominationRecord>> {
        let nominating = rules::nominating_office(scope, self.divisions)?;
        let (county, city) = (nominating.office, nominating.organiser);
        let campaign = self.get_campaign(scope, campaign_id).await?;
        rules::nomination_window(
            nominating,
            &campaign.name(),
            campaign.organiser()?,
            campaign.nomination_deadline()?,
            self.clock.now(),
        )?;
        let tier = rules::nomination_tier(tier, &campaign.tiers())?;
        let rule = campaign.batch();
        let mut units = Vec::with_capacity(unit_ids.len());
        rules::distinct(unit_ids)?;
        for id in unit_ids {
            let unit = self.get_unit(scope, id).await?;
            rules::registered(&unit, "a deregistered unit cannot be nominated")?;
            rules::non_public(
                &unit,
                "only non-public units are nominated as cultivation targets",
            )?;
            rules::nominee(nominating, &unit)?;
            units.push(unit);
        }
        let count = i64::try_from(units.len()).unwrap_or(i64::MAX);
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let now = tx.now_ms();
        let records: Vec<NominationRecord> = units
            .iter()
            .map(|unit| NominationRecord {
                id: NominationId::new().to_string(),
                campaign_id: campaign.id.clone(),
                unit_id: unit.id.clone(),
                unit_display_name: unit.display_name.clone(),
                county_code: county.to_string(),
                city_code: city.to_string(),
                status: NominationStatus::Submitted.as_str().to_owned(),
                version: 1,
                submitted_at: now,
                target_tier: Some(tier.as_str().to_owned()),
                provincial_direct: i64::from(nominating.is_provincial_direct()),
                history: vec![],
            })
            .collect();
        let resource = records
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>()
            .join(",");

        if let Some(earlier) = tx.claim("SubmitNominations", &resource).await? {
            drop(tx);
            let mut found = Vec::new();
            for id in earlier.split(',').filter(|s| !s.is_empty()) {
                found.push(self.get_nomination(scope, id).await?);
            }
            return Ok(found);
        }
        // The batch counter makes the limit hold under concurrent submissions.
        sqlx::query(
            "INSERT INTO nomination_batches (campaign_id, county_code, active) VALUES ($1, $2, 0) \
             ON CONFLICT DO NOTHING",
        )
        .bind(campaign.id.clone())
        .bind(county.to_string())
        .execute(&mut *tx)
        .await?;
        let raised = sqlx::query(
            "UPDATE nomination_batches SET active = active + $1 \
             WHERE campaign_id = $2 AND county_code = $3 AND active + $1 <= $4",
        )
        .bind(count)
        .bind(campaign.id.clone())
        .bind(county.to_string())
        .bind(campaign.batch_max)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let active: (i64,) = sqlx::query_as(
            "SELECT active FROM nomination_batches WHERE campaign_id = $1 AND county_code = $2",
        )
        .bind(campaign.id.clone())
        .bind(county.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let after = if raised == 1 {
            active.0
        } else {
            active.0 + count
        };
        rules::batch(rule, &campaign.name(), active.0, after)?;
        for record in &records {
            let inserted = sqlx::query(
                "INSERT INTO nominations (id, campaign_id, unit_id, unit_display_name, county_code, \
                 city_code, status, version, submitted_at, target_tier, provincial_direct) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(record.id.clone())
            .bind(record.campaign_id.clone())
            .bind(record.unit_id.clone())
            .bind(record.unit_display_name.clone())
            .bind(record.county_code.clone())
            .bind(record.city_code.clone())
            .bind(record.status.clone())
            .bind(record.version)
            .bind(record.submitted_at)
            .bind(record.target_tier.clone())
            .bind(record.provincial_direct)
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(err) if is_unique_violation(&err) => {
                    return Err(RegistryError::precondition(
                        &msg::NOMINATION_UNIQUE,
                        format!("units/{}", record.unit_id),
                        "the unit is already nominated in this campaign",
                    )
                    .arg("unit", &record.unit_display_name));
                }
                other => other?,
            };
            insert_event(
                &mut tx,
                &record.id,
                1,
                NominationStatus::Submitted,
                scope.subject(),
                "",
                now,
            )
            .await?;
            tx.audit(
                "SubmitNomination",
                &record.name(),
                None::<&NominationRecord>,
                Some(record),
            )?;
        }
        tx.commit().await?;
        let mut out = Vec::with_capacity(records.len());
        for record in records {
            out.push(self.get_nomination(scope, &record.id).await?);
        }
        Ok(out)
    }

    /// The organising office accepts or returns a submitted nomination.
    pub async fn decide_nomination(
        &self,
        scope: &Scope,
        id: &str,
        accept: bool,
        reason: Option<&Reason>,
        expected_version: Option<i64>,
    ) -> Result<NominationRecord> {
        let before = self.get_nomination(scope, id).await?;
        let campaign = self.get_campaign(scope, &before.campaign_id).await?;
        rules::deciding_office(scope, campaign.organiser()?)?;
        if !before
            .nomination_status()
            .is_some_and(NominationStatus::can_decide)
        {
            return Err(RegistryError::precondition(
                &msg::NOMINATION_STATUS,
                before.name(),
                format!("the nomination is already {}", before.status),
            )
            .arg("status", status_zh(&before.status)));
        }
        let status = if accept {
            NominationStatus::Accepted
        } else {
            NominationStatus::Returned
        };
        let reason_text = reason.map(|r| r.as_str().to_owned()).unwrap_or_default();
        let version = expected_version.unwrap_or(before.version);
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let now = tx.now_ms();
        let changed = sqlx::query(
            "UPDATE nominations SET status = $1, version = version + 1 \
             WHERE id = $2 AND version = $3 AND status = 'submitted'",
        )
        .bind(status.as_str().to_owned())
        .bind(id.to_owned())
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(RegistryError::EtagMismatch(before.name()));
        }
        if status == NominationStatus::Returned {
            sqlx::query(
                "UPDATE nomination_batches SET active = active - 1 \
                 WHERE campaign_id = $1 AND county_code = $2",
            )
            .bind(before.campaign_id.clone())
            .bind(before.county_code.clone())
            .execute(&mut *tx)
            .await?;
        }
        let seq = i64::try_from(before.history.len()).unwrap_or(0) + 1;
        insert_event(&mut tx, id, seq, status, scope.subject(), &reason_text, now).await?;
        let mut after = before.clone();
        after.status = status.as_str().to_owned();
        after.version = version + 1;
        let action = if accept {
            "AcceptNomination"
        } else {
            "ReturnNomination"
        };
        tx.audit(action, &after.name(), Some(&before), Some(&after))?;
        tx.commit().await?;
        self.get_nomination(scope, id).await
    }

    /// Reads a nomination in the caller's scope, with its history.
    pub async fn get_nomination(&self, scope: &Scope, id: &str) -> Result<NominationRecord> {
        let rows = Self::readable_rows(scope)?;
        let mut record: NominationRecord = get_scoped(self.db.pool(), id, |sql| {
            push_scope(
                sql,
                rows,
                "unit_id",
                "county_code",
                "city_code",
                "provincial_direct",
            );
        })
        .await?;
        self.attach_history(std::slice::from_mut(&mut record))
            .await?;
        Ok(record)
    }

    /// Lists nominations in the caller's scope.
    pub async fn list_nominations(
        &self,
        scope: &Scope,
        campaign: Option<&str>,
        status: Option<NominationStatus>,
        region: Option<RegionCode>,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<NominationRecord>> {
        let rows = Self::readable_rows(scope)?;
        let filters = |sql: &mut Sql| {
            push_scope(
                sql,
                rows,
                "unit_id",
                "county_code",
                "city_code",
                "provincial_direct",
            );
            self.push_nomination_filters(sql, campaign, status, region);
        };
        let mut page = list_scoped(self.db.pool(), filters, after, size).await?;
        self.attach_history(&mut page.items).await?;
        Ok(page)
    }

    /// Appends the filters of ListNominations.
    fn push_nomination_filters(
        &self,
        sql: &mut Sql,
        campaign: Option<&str>,
        status: Option<NominationStatus>,
        region: Option<RegionCode>,
    ) {
        if let Some(campaign) = campaign {
            sql.push(" AND campaign_id = ").bind(campaign.to_owned());
        }
        if let Some(status) = status {
            sql.push(" AND status = ").bind(status.as_str().to_owned());
        }
        if let Some(region) = region {
            match self.divisions.get(region).map(|d| d.level) {
                Some(AdminLevel::Province) => {}
                Some(AdminLevel::City) => {
                    sql.push(" AND city_code = ").bind(region.to_string());
                }
                _ => {
                    sql.push(" AND county_code = ").bind(region.to_string());
                }
            }
        }
    }

    async fn attach_history(&self, records: &mut [NominationRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(
            "SELECT nomination_id, seq, status, actor, reason, at FROM nomination_events \
             WHERE nomination_id IN (",
        );
        for (i, record) in records.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(record.id.clone());
        }
        sql.push(") ORDER BY nomination_id, seq");
        let events = sql
            .query_as::<NominationEventRecord>()
            .fetch_all(self.db.pool())
            .await?;
        let mut by_id: HashMap<String, Vec<NominationEventRecord>> = HashMap::new();
        for event in events {
            by_id
                .entry(event.nomination_id.clone())
                .or_default()
                .push(event);
        }
        for record in records {
            record.history = by_id.remove(&record.id).unwrap_or_default();
        }
        Ok(())
    }
}

/// How an official reads a nomination's status.
fn status_zh(status: &str) -> &'static str {
    match status.parse() {
        Ok(NominationStatus::Submitted) => "待审核",
        Ok(NominationStatus::Accepted) => "已接受",
        Ok(NominationStatus::Returned) => "已退回",
        Err(_) => "未知",
    }
}

async fn insert_event(
    conn: &mut sqlx::AnyConnection,
    nomination_id: &str,
    seq: i64,
    status: NominationStatus,
    actor: &str,
    reason: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO nomination_events (nomination_id, seq, status, actor, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(nomination_id.to_owned())
    .bind(seq)
    .bind(status.as_str().to_owned())
    .bind(actor.to_owned())
    .bind(reason.to_owned())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
