//! Campaigns: the minimal record the nomination rules need.

use jiff::civil::Date;
use serde::Serialize;
use wenming_authz::Scope;
use wenming_domain::{AdminLevel, BatchRule, CampaignId, Deadline, RegionCode, TitleTier};
use wenming_runtime::sql::Sql;

use super::{Page, Store, into_page, push_page};
use crate::error::{RegistryError, Result};
use crate::messages as msg;
use wenming_runtime::audit::{self, AuditEntry};
use wenming_runtime::idempotency;

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
        let region = match scope.office() {
            Some((AdminLevel::Province | AdminLevel::City, region)) => region,
            _ => {
                return Err(RegistryError::denied(
                    &msg::ORGANISE_CAMPAIGNS,
                    "only city and provincial offices organise campaigns",
                ));
            }
        };
        let now = self.now_ms();
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
        let mut tx = self.db.begin_write().await?;
        if let Some(request_id) = request_id
            && let Some(earlier) = idempotency::claim(
                &mut tx,
                scope.subject(),
                request_id,
                "CreateCampaign",
                &record.name(),
                now,
            )
            .await?
        {
            drop(tx);
            return self
                .get_campaign(scope, earlier.trim_start_matches("campaigns/"))
                .await;
        }
        sqlx::query(
            "INSERT INTO campaigns (id, display_name, organising_region, document_number, \
             nomination_deadline, pairing_list_deadline, batch_min, batch_max, target_tiers, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
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
        audit::record(
            &mut tx,
            AuditEntry {
                subject: scope.subject(),
                action: "CreateCampaign",
                resource: &record.name(),
                request_id,
                at_ms: now,
            },
            None::<&CampaignRecord>,
            Some(&record),
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Regions whose campaigns the caller sees: its own region and every region above.
    fn visible_organisers(&self, scope: &Scope) -> Result<Option<Vec<String>>> {
        let Some((level, region)) = scope.office() else {
            return Err(RegistryError::denied(
                &msg::OFFICES_READ_CAMPAIGNS,
                "only civilisation offices read campaigns",
            ));
        };
        if level == AdminLevel::Province {
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
        let mut sql = Sql::new(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = "
        ));
        sql.bind(id.to_owned());
        push_organisers(&mut sql, visible.as_deref());
        sql.query_as::<CampaignRecord>()
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(|| RegistryError::not_found(&msg::CAMPAIGN, format!("campaigns/{id}")))
    }

    /// Lists campaigns visible to the caller.
    pub async fn list_campaigns(
        &self,
        scope: &Scope,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<CampaignRecord>> {
        let visible = self.visible_organisers(scope)?;
        let mut sql = Sql::new(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE 1 = 1"
        ));
        push_organisers(&mut sql, visible.as_deref());
        push_page(&mut sql, "id", after, size);
        let rows = sql
            .query_as::<CampaignRecord>()
            .fetch_all(self.db.pool())
            .await?;
        Ok(into_page(rows, size, |c| c.id.clone()))
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
