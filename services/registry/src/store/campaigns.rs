//! Campaigns: the minimal record the nomination rules need.

use jiff::civil::Date;
use serde::Serialize;
use wenming_authz::Scope;
use wenming_domain::{BatchRule, CampaignId, Deadline, OfficeKey, RegionCode, TitleTier};
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
}

const CAMPAIGN_COLUMNS: &str = "id, display_name, organising_region, document_number, \
    nomination_deadline, pairing_list_deadline, batch_min, batch_max, target_tiers, created_by, created_at";

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
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let now = tx.now_ms();
        let record = CampaignRecord {
            id: CampaignId::new().to_string(),
            display_name: campaign.display_name,
            organising_region: region.to_string(),
            document_number: campaign.document_number,
            nomination_deadline: campaign.nomination_deadline.to_string(),
            pairing_list_deadline: campaign.pairing_list_deadline.map(|d| d.to_string()),
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
        };
        if let Some(earlier) = tx.claim("CreateCampaign", &record.name()).await? {
            drop(tx);
            return self
                .get_campaign(scope, earlier.trim_start_matches("campaigns/"))
                .await;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
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
        .execute(&mut *tx)
        .await?;
        tx.audit(
            "CreateCampaign",
            &record.name(),
            None::<&CampaignRecord>,
            Some(&record),
        )
        .await?;
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

    /// Lists campaigns visible to the caller.
    pub async fn list_campaigns(
        &self,
        scope: &Scope,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<CampaignRecord>> {
        let visible = self.visible_organisers(scope)?;
        let filters = |sql: &mut Sql| push_organisers(sql, visible.as_deref());
        Ok(list_scoped(self.db.pool(), filters, after, size).await?)
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
