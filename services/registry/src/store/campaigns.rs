//! Campaigns: the minimal record the nomination rules need.

use jiff::civil::Date;
use serde::Serialize;
use std::collections::HashMap;
use wenming_authz::Scope;

use wenming_domain::{
    BatchRule, CampaignDeadline, CampaignId, Deadline, DeadlineMoveId, OfficeKey, Reason,
    RegionCode, TitleTier,
};
use wenming_runtime::sql::{Sql, get_scoped, list_scoped};

use super::{Page, Store};
use crate::error::{RegistryError, Result};
use crate::messages as msg;
use crate::rules;

/// A campaign to create. Validated.
#[derive(Clone, Debug)]
pub struct NewCampaign {
    /// Display name.
    pub display_name: String,
    /// Founding document number.
    pub document_number: String,
    /// Last day for nominations.
    pub nomination_deadline: Date,
    /// Last day for pairing lists.
    pub pairing_list_deadline: Option<Date>,
    /// Batch limits.
    pub batch: BatchRule,
    /// Target titles.
    pub target_tiers: Vec<TitleTier>,
    /// The provincial campaign it belongs to (id), if any.
    pub parent_id: Option<String>,
}

/// A campaign as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct CampaignRecord {
    pub id: String,
    pub display_name: String,
    pub organising_region: String,
    pub document_number: String,
    pub nomination_deadline: String,
    pub pairing_list_deadline: Option<String>,
    pub batch_min: i64,
    pub batch_max: i64,
    pub target_tiers: String,
    pub created_by: String,
    pub created_at: i64,
    pub parent_id: Option<String>,
}

const CAMPAIGN_COLUMNS: &str = "id, display_name, organising_region, document_number, \
    nomination_deadline, pairing_list_deadline, batch_min, batch_max, target_tiers, created_by, \
    created_at, parent_id";

/// A move of a campaign's deadline, as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct DeadlineMoveRecord {
    pub id: String,
    pub campaign_id: String,
    pub deadline: String,
    pub moved_from: Option<String>,
    pub moved_to: String,
    pub reason: String,
    pub moved_by: String,
    pub moved_at: i64,
}

wenming_runtime::table!(CampaignRecord, from: "campaigns", columns: CAMPAIGN_COLUMNS, key: "id" => id, noun: &msg::CAMPAIGN, collection: "campaigns");

impl CampaignRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        format!("campaigns/{}", self.id)
    }

    /// The organising office's region.
    pub fn organiser(&self) -> Result<RegionCode> {
        RegionCode::parse(&self.organising_region)
            .map_err(|err| RegistryError::Internal(format!("stored organiser: {err}")))
    }

    /// The nomination deadline.
    pub fn nomination_deadline(&self) -> Result<Deadline> {
        self.nomination_deadline
            .parse::<Date>()
            .map(Deadline::new)
            .map_err(|err| RegistryError::Internal(format!("stored deadline: {err}")))
    }

    /// The batch rule.
    pub fn batch(&self) -> BatchRule {
        BatchRule {
            min: u32::try_from(self.batch_min).unwrap_or(0),
            max: u32::try_from(self.batch_max).unwrap_or(0),
        }
    }

    /// Target tiers.
    pub fn tiers(&self) -> Vec<TitleTier> {
        self.target_tiers
            .split(',')
            .filter_map(|t| t.parse().ok())
            .collect()
    }
}

impl Store {
    /// Creates a campaign organised by the caller's (city or provincial) office.
    pub async fn create_campaign(
        &self,
        scope: &Scope,
        campaign: NewCampaign,
        request_id: Option<&str>,
    ) -> Result<CampaignRecord> {
        let region = rules::organising_office(scope)?;
        let parent = match &campaign.parent_id {
            Some(id) => {
                let parent = self.get_campaign(scope, id).await?;
                rules::campaign_parent(
                    region,
                    &parent,
                    campaign.pairing_list_deadline,
                    self.divisions,
                )?;
                Some(parent)
            }
            None => None,
        };
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let now = tx.now_ms();
        let mut pairing_list_deadline = campaign.pairing_list_deadline.map(|d| d.to_string());
        if let Some(parent) = &parent {
            // Lock the parent's row (a no-op update) so that a move of its deadline
            // cannot pass this campaign by, then take the deadline as it now stands.
            sqlx::query("UPDATE campaigns SET parent_id = parent_id WHERE id = $1")
                .bind(parent.id.clone())
                .execute(&mut *tx)
                .await?;
            let (current,): (Option<String>,) =
                sqlx::query_as("SELECT pairing_list_deadline FROM campaigns WHERE id = $1")
                    .bind(parent.id.clone())
                    .fetch_one(&mut *tx)
                    .await?;
            pairing_list_deadline = current;
        }
        let record = CampaignRecord {
            id: CampaignId::new().to_string(),
            display_name: campaign.display_name,
            organising_region: region.to_string(),
            document_number: campaign.document_number,
            nomination_deadline: campaign.nomination_deadline.to_string(),
            pairing_list_deadline,
            batch_min: i64::from(campaign.batch.min),
            batch_max: i64::from(campaign.batch.max),
            target_tiers: campaign
                .target_tiers
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(","),
            created_by: scope.subject().to_owned(),
            created_at: now,
            parent_id: campaign.parent_id.clone(),
        };
        if let Some(earlier) = tx.claim("CreateCampaign", &record.name()).await? {
            drop(tx);
            return self
                .get_campaign(scope, earlier.trim_start_matches("campaigns/"))
                .await;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        )))
        .bind(record.id.clone())
        .bind(record.display_name.clone())
        .bind(record.organising_region.clone())
        .bind(record.document_number.clone())
        .bind(record.nomination_deadline.clone())
        .bind(record.pairing_list_deadline.clone())
        .bind(record.batch_min)
        .bind(record.batch_max)
        .bind(record.target_tiers.clone())
        .bind(record.created_by.clone())
        .bind(record.created_at)
        .bind(record.parent_id.clone())
        .execute(&mut *tx)
        .await?;
        tx.audit(
            "CreateCampaign",
            &record.name(),
            None::<&CampaignRecord>,
            Some(&record),
        )?;
        tx.commit().await?;
        Ok(record)
    }

    /// Regions whose campaigns the caller sees: its own region and every region above.
    /// (The provincial-direct office sees the province's campaigns, which it nominates
    /// and reports to.)
    fn visible_organisers(&self, scope: &Scope) -> Result<Option<Vec<String>>> {
        let office = rules::office(
            scope,
            &msg::OFFICES_READ_CAMPAIGNS,
            "only civilisation offices read campaigns",
        )?;
        let region = match office {
            OfficeKey::Region(region) => region,
            OfficeKey::ProvincialDirect => self.divisions.province(),
        };
        if office == OfficeKey::Region(self.divisions.province()) {
            return Ok(None);
        }
        let mut regions = Vec::new();
        let mut current = Some(region);
        while let Some(code) = current {
            regions.push(code.to_string());
            current = self.divisions.get(code).and_then(|d| d.parent);
        }
        Ok(Some(regions))
    }

    /// Reads a campaign visible to the caller.
    pub async fn get_campaign(&self, scope: &Scope, id: &str) -> Result<CampaignRecord> {
        let visible = self.visible_organisers(scope)?;
        get_scoped(self.db.pool(), id, |sql| {
            push_organisers(sql, visible.as_deref());
        })
        .await
    }

    /// Lists campaigns visible to the caller, optionally only those that belong to the
    /// provincial campaign `parent` (id).
    pub async fn list_campaigns(
        &self,
        scope: &Scope,
        parent: Option<&str>,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<CampaignRecord>> {
        let visible = self.visible_organisers(scope)?;
        let filters = |sql: &mut Sql| {
            push_organisers(sql, visible.as_deref());
            if let Some(parent) = parent {
                sql.push(" AND parent_id = ").bind(parent.to_owned());
            }
        };
        Ok(list_scoped(self.db.pool(), filters, after, size).await?)
    }

    /// Moves `which` deadline of the campaign `id` to `moved_to`, with `reason`; a
    /// provincial campaign's pairing-list deadline moves for the campaigns that belong to
    /// it in the same transaction. Moving a deadline to the date it has changes nothing.
    pub async fn move_deadline(
        &self,
        scope: &Scope,
        id: &str,
        which: CampaignDeadline,
        moved_to: Date,
        reason: &Reason,
    ) -> Result<CampaignRecord> {
        let before = self.get_campaign(scope, id).await?;
        rules::deadline_move(scope, &before, which, moved_to, self.clock.today_in_china())?;
        let column = match which {
            CampaignDeadline::Nomination => "nomination_deadline",
            CampaignDeadline::PairingList => "pairing_list_deadline",
        };
        let moved_from = match which {
            CampaignDeadline::Nomination => Some(before.nomination_deadline.clone()),
            CampaignDeadline::PairingList => before.pairing_list_deadline.clone(),
        };
        let to = moved_to.to_string();
        if moved_from.as_deref() == Some(to.as_str()) {
            return Ok(before);
        }
        let mut after = before.clone();
        match which {
            CampaignDeadline::Nomination => after.nomination_deadline = to.clone(),
            CampaignDeadline::PairingList => after.pairing_list_deadline = Some(to.clone()),
        }
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let now = tx.now_ms();
        // Only from the date read: a concurrent move of the same deadline wins once.
        let changed = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE campaigns SET {column} = $1 WHERE id = $2 AND {column} IS NOT DISTINCT FROM $3"
        )))
        .bind(to.clone())
        .bind(id.to_owned())
        .bind(moved_from.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(RegistryError::EtagMismatch(before.name()));
        }
        if which == CampaignDeadline::PairingList {
            sqlx::query("UPDATE campaigns SET pairing_list_deadline = $1 WHERE parent_id = $2")
                .bind(to.clone())
                .bind(id.to_owned())
                .execute(&mut *tx)
                .await?;
        }
        let record = DeadlineMoveRecord {
            id: DeadlineMoveId::new().to_string(),
            campaign_id: id.to_owned(),
            deadline: which.as_str().to_owned(),
            moved_from,
            moved_to: to,
            reason: reason.as_str().to_owned(),
            moved_by: scope.subject().to_owned(),
            moved_at: now,
        };
        sqlx::query(
            "INSERT INTO campaign_deadline_moves \
             (id, campaign_id, deadline, moved_from, moved_to, reason, moved_by, moved_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(record.id.clone())
        .bind(record.campaign_id.clone())
        .bind(record.deadline.clone())
        .bind(record.moved_from.clone())
        .bind(record.moved_to.clone())
        .bind(record.reason.clone())
        .bind(record.moved_by.clone())
        .bind(record.moved_at)
        .execute(&mut *tx)
        .await?;
        tx.audit(
            "MoveCampaignDeadline",
            &after.name(),
            Some(&before),
            Some(&after),
        )?;
        tx.commit().await?;
        Ok(after)
    }

    /// The deadline moves of the campaigns `ids`, oldest first, by campaign id.
    pub async fn deadline_moves(
        &self,
        ids: &[&str],
    ) -> Result<HashMap<String, Vec<DeadlineMoveRecord>>> {
        let mut moves: HashMap<String, Vec<DeadlineMoveRecord>> = HashMap::new();
        if ids.is_empty() {
            return Ok(moves);
        }
        let mut sql = Sql::new(
            "SELECT id, campaign_id, deadline, moved_from, moved_to, reason, moved_by, moved_at \
             FROM campaign_deadline_moves WHERE campaign_id IN (",
        );
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind((*id).to_owned());
        }
        sql.push(") ORDER BY moved_at, id");
        let rows: Vec<DeadlineMoveRecord> = sql.query_as().fetch_all(self.db.pool()).await?;
        for row in rows {
            moves.entry(row.campaign_id.clone()).or_default().push(row);
        }
        Ok(moves)
    }
}

fn push_organisers(sql: &mut Sql, visible: Option<&[String]>) {
    if let Some(regions) = visible {
        sql.push(" AND organising_region IN (");
        for (i, region) in regions.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(region.clone());
        }
        sql.push(")");
    }
}
