//! Units: create, read, update, list, deregister, and reserve-pool membership.

use serde::{Deserialize, Serialize};
use wenming_authz::Scope;
use wenming_domain::{
    CreditCode, PersonName, PhoneNumber, Reason, RegionCode, TitleTier, UnitId, UnitKind, UnitName,
    UnitScale,
};
use wenming_runtime::sql::{Sql, get_scoped, list_scoped};

use super::title_feed;
use super::{Page, Store, push_scope};
use crate::error::{RegistryError, Result};
use crate::messages as msg;
use crate::rules;

/// The fields of a unit that offices (and, for some, the unit) may change. Validated.
#[derive(Clone, Debug)]
pub struct UnitFields {
    /// Registered name.
    pub display_name: UnitName,
    /// County-level region.
    pub region: RegionCode,
    /// Ownership kind.
    pub kind: UnitKind,
    /// Size.
    pub scale: Option<UnitScale>,
    /// Nature (industry), free text.
    pub nature: String,
    /// Employees.
    pub employees: u32,
    /// Main business.
    pub main_business: String,
    /// Annual revenue in 10,000 yuan.
    pub annual_revenue_10k_yuan: u64,
    /// Party organisation type (wire name), if any.
    pub party_organisation_type: Option<String>,
    /// Party members.
    pub party_members: u32,
    /// Party-building instructor.
    pub party_instructor: String,
    /// Party-mass service centre.
    pub party_service_centre: String,
    /// Civilisation officer.
    pub officer_name: Option<PersonName>,
    /// Officer's phone.
    pub officer_phone: Option<PhoneNumber>,
    /// Of the provincial-direct system (省直).
    pub provincial_direct: bool,
    /// A base-level unit (基层单位) as its office records it.
    pub base_level: bool,
}

/// A unit to register. Validated.
#[derive(Clone, Debug)]
pub struct NewUnit {
    /// The credit code (immutable afterwards).
    pub credit_code: CreditCode,
    /// Everything else.
    pub fields: UnitFields,
}

/// A unit as stored.
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow)]
pub struct UnitRecord {
    pub id: String,
    pub display_name: String,
    pub credit_code: String,
    pub region_code: String,
    pub city_code: String,
    pub kind: String,
    pub scale: Option<String>,
    pub nature: String,
    pub employees: i64,
    pub main_business: String,
    pub annual_revenue_10k_yuan: i64,
    pub party_organisation_type: Option<String>,
    pub party_members: i64,
    pub party_instructor: String,
    pub party_service_centre: String,
    pub officer_name: String,
    pub officer_phone: String,
    pub state: String,
    pub deregistration_reason: Option<String>,
    pub pool_reason: Option<String>,
    pub pool_target_tier: Option<String>,
    pub pool_added_by: Option<String>,
    pub pool_added_at: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub provincial_direct: i64,
    /// `YYYY-MM-DD`, set on deregistration.
    pub deregistered_on: Option<String>,
    /// A base-level unit (基层单位), 0/1. Absent (0) in applications stored before it.
    #[serde(default)]
    pub base_level: i64,
}

pub(crate) const UNIT_COLUMNS: &str = "id, display_name, credit_code, region_code, city_code, kind, scale, nature, \
    employees, main_business, annual_revenue_10k_yuan, party_organisation_type, party_members, \
    party_instructor, party_service_centre, officer_name, officer_phone, state, \
    deregistration_reason, pool_reason, pool_target_tier, pool_added_by, pool_added_at, \
    version, created_at, updated_at, provincial_direct, deregistered_on, base_level";

pub(crate) const ACTIVE: &str = "active";
const DEREGISTERED: &str = "deregistered";

wenming_runtime::table!(UnitRecord, from: "units u", columns: UNIT_COLUMNS, key: "u.id" => id, noun: &msg::UNIT, collection: "units");

impl UnitRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        format!("units/{}", self.id)
    }

    /// Whether the unit is registered (not deregistered).
    pub fn is_active(&self) -> bool {
        self.state == ACTIVE
    }

    /// The ownership kind.
    pub fn unit_kind(&self) -> Option<UnitKind> {
        self.kind.parse().ok()
    }

    /// Whether it belongs to the provincial-direct system.
    pub fn is_provincial_direct(&self) -> bool {
        self.provincial_direct != 0
    }

    /// Whether it is a base-level unit (基层单位).
    pub fn is_base_level(&self) -> bool {
        self.base_level != 0
    }
}

/// Filters of ListUnits, already validated.
#[derive(Clone, Debug, Default)]
pub struct ListUnitsFilter {
    /// Region subtree.
    pub region: Option<RegionCode>,
    /// Kind.
    pub kind: Option<UnitKind>,
    /// Reserve pool membership.
    pub in_pool: Option<bool>,
    /// Nomination status name, and optional campaign id.
    pub nomination: Option<(String, Option<String>)>,
    /// Tier held on a date.
    pub title: Option<(TitleTier, jiff::civil::Date)>,
    /// Name contains.
    pub name_contains: Option<String>,
    /// Include deregistered units.
    pub include_deregistered: bool,
    /// Only provincial-direct units (true) or only the others (false).
    pub provincial_direct: Option<bool>,
}

impl Store {
    /// Registers a unit in the caller's scope. Idempotent on `request_id`.
    pub async fn create_unit(
        &self,
        scope: &Scope,
        unit: NewUnit,
        request_id: Option<&str>,
    ) -> Result<UnitRecord> {
        rules::office(
            scope,
            &msg::OFFICES_REGISTER,
            "only civilisation offices register units",
        )?;
        self.check_region_in_scope(scope, "unit.region_code", unit.fields.region)?;
        let id = UnitId::new().to_string();
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        if let Some(earlier) = tx.claim("CreateUnit", &format!("units/{id}")).await? {
            drop(tx);
            return self
                .get_unit(scope, earlier.trim_start_matches("units/"))
                .await;
        }
        let record = self.unit_record(&id, unit, tx.now_ms());
        let inserted = super::import::insert_units(
            &mut tx,
            self.db.backend(),
            std::iter::once(record.clone()),
        )
        .await?;
        if inserted.is_empty() {
            return Err(RegistryError::AlreadyExists {
                kind: &msg::UNIT,
                description: format!(
                    "a unit with credit code {} is already registered",
                    record.credit_code
                ),
                name: record.credit_code,
            });
        }
        tx.audit(
            "CreateUnit",
            &record.name(),
            None::<&UnitRecord>,
            Some(&record),
        )?;
        tx.commit().await?;
        Ok(record)
    }

    pub(crate) fn unit_record(&self, id: &str, unit: NewUnit, now: i64) -> UnitRecord {
        let f = unit.fields;
        UnitRecord {
            id: id.to_owned(),
            display_name: f.display_name.as_str().to_owned(),
            credit_code: unit.credit_code.as_str().to_owned(),
            region_code: f.region.to_string(),
            city_code: self.city_of(f.region).to_string(),
            kind: f.kind.as_str().to_owned(),
            scale: f.scale.map(|s| s.as_str().to_owned()),
            nature: f.nature,
            employees: i64::from(f.employees),
            main_business: f.main_business,
            annual_revenue_10k_yuan: i64::try_from(f.annual_revenue_10k_yuan).unwrap_or(i64::MAX),
            party_organisation_type: f.party_organisation_type,
            party_members: i64::from(f.party_members),
            party_instructor: f.party_instructor,
            party_service_centre: f.party_service_centre,
            officer_name: f
                .officer_name
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            officer_phone: f
                .officer_phone
                .as_ref()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            state: ACTIVE.to_owned(),
            deregistration_reason: None,
            pool_reason: None,
            pool_target_tier: None,
            pool_added_by: None,
            pool_added_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
            provincial_direct: i64::from(f.provincial_direct),
            deregistered_on: None,
            base_level: i64::from(f.base_level),
        }
    }

    fn city_of(&self, region: RegionCode) -> RegionCode {
        self.divisions.city_of(region).unwrap_or(region)
    }

    /// Refuses a region outside the caller's subtree, or one a unit cannot belong to.
    pub(crate) fn check_region_in_scope(
        &self,
        scope: &Scope,
        field: &str,
        region: RegionCode,
    ) -> Result<()> {
        rules::unit_region(scope, self.divisions, field, region)
    }

    /// Reads a unit the caller can see.
    pub async fn get_unit(&self, scope: &Scope, id: &str) -> Result<UnitRecord> {
        let rows = Self::readable_rows(scope)?;
        get_scoped(self.db.pool(), id, |sql| {
            push_scope(
                sql,
                rows,
                "u.id",
                "u.region_code",
                "u.city_code",
                "u.provincial_direct",
            );
        })
        .await
    }

    /// Replaces the fields of a unit if `etag` (its version) is current.
    pub async fn update_unit(
        &self,
        scope: &Scope,
        id: &str,
        expected_version: Option<i64>,
        apply: impl FnOnce(&UnitRecord) -> Result<UnitFields>,
    ) -> Result<UnitRecord> {
        let before = self.get_unit(scope, id).await?;
        rules::registered(&before, "a deregistered unit cannot be changed")?;
        rules::keeps_unit(scope, &before)?;
        let fields = apply(&before)?;
        if fields.region.to_string() != before.region_code {
            self.check_region_in_scope(scope, "unit.region_code", fields.region)?;
        }
        if fields.provincial_direct != before.is_provincial_direct() {
            rules::marks_provincial_direct(scope, "unit.provincial_direct")?;
        }
        let version = expected_version.unwrap_or(before.version);
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let now = tx.now_ms();
        let credit_code = CreditCode::parse(&before.credit_code)
            .map_err(|err| RegistryError::Internal(format!("stored credit code: {err}")))?;
        let mut after = self.unit_record(
            id,
            NewUnit {
                credit_code,
                fields,
            },
            now,
        );
        after.state = before.state.clone();
        after.pool_reason = before.pool_reason.clone();
        after.pool_target_tier = before.pool_target_tier.clone();
        after.pool_added_by = before.pool_added_by.clone();
        after.pool_added_at = before.pool_added_at;
        after.created_at = before.created_at;
        after.version = version + 1;
        let changed = sqlx::query(
            "UPDATE units SET display_name = $1, region_code = $2, city_code = $3, kind = $4, \
             scale = $5, nature = $6, employees = $7, main_business = $8, \
             annual_revenue_10k_yuan = $9, party_organisation_type = $10, party_members = $11, \
             party_instructor = $12, party_service_centre = $13, officer_name = $14, \
             officer_phone = $15, version = version + 1, updated_at = $16, \
             provincial_direct = $17, base_level = $18 \
             WHERE id = $19 AND version = $20 AND state = 'active'",
        )
        .bind(after.display_name.clone())
        .bind(after.region_code.clone())
        .bind(after.city_code.clone())
        .bind(after.kind.clone())
        .bind(after.scale.clone())
        .bind(after.nature.clone())
        .bind(after.employees)
        .bind(after.main_business.clone())
        .bind(after.annual_revenue_10k_yuan)
        .bind(after.party_organisation_type.clone())
        .bind(after.party_members)
        .bind(after.party_instructor.clone())
        .bind(after.party_service_centre.clone())
        .bind(after.officer_name.clone())
        .bind(after.officer_phone.clone())
        .bind(now)
        .bind(after.provincial_direct)
        .bind(after.base_level)
        .bind(id.to_owned())
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(RegistryError::EtagMismatch(before.name()));
        }
        self.sync_title_regions(&mut tx, &after).await?;
        tx.audit("UpdateUnit", &after.name(), Some(&before), Some(&after))?;
        tx.commit().await?;
        self.verify_cache.forget(&after.credit_code);
        Ok(after)
    }

    /// Titles carry the unit's regions for scoped reads; keep them in step when a unit moves.
    async fn sync_title_regions(
        &self,
        tx: &mut sqlx::AnyConnection,
        unit: &UnitRecord,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE titles SET region_code = $1, city_code = $2, provincial_direct = $3 \
             WHERE unit_id = $4",
        )
        .bind(unit.region_code.clone())
        .bind(unit.city_code.clone())
        .bind(unit.provincial_direct)
        .bind(unit.id.clone())
        .execute(tx)
        .await?;
        Ok(())
    }

    /// Lists units in the caller's scope.
    pub async fn list_units(
        &self,
        scope: &Scope,
        filter: &ListUnitsFilter,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<UnitRecord>> {
        let rows = Self::readable_rows(scope)?;
        let filters = |sql: &mut Sql| {
            push_scope(
                sql,
                rows,
                "u.id",
                "u.region_code",
                "u.city_code",
                "u.provincial_direct",
            );
            self.push_unit_filters(sql, filter);
        };
        Ok(list_scoped(self.db.pool(), filters, after, size).await?)
    }

    /// Appends the filters of ListUnits on units (`u`).
    fn push_unit_filters(&self, sql: &mut Sql, filter: &ListUnitsFilter) {
        if let Some(region) = filter.region {
            self.push_region_filter(sql, region);
        }
        if let Some(kind) = filter.kind {
            sql.push(" AND u.kind = ").bind(kind.as_str().to_owned());
        }
        match filter.in_pool {
            Some(true) => {
                sql.push(" AND u.pool_reason IS NOT NULL");
            }
            Some(false) => {
                sql.push(" AND u.pool_reason IS NULL");
            }
            None => {}
        }
        if let Some((status, campaign)) = &filter.nomination {
            sql.push(
                " AND EXISTS (SELECT 1 FROM nominations n WHERE n.unit_id = u.id AND n.status = ",
            )
            .bind(status.clone());
            if let Some(campaign) = campaign {
                sql.push(" AND n.campaign_id = ").bind(campaign.clone());
            }
            sql.push(")");
        }
        if let Some((tier, day)) = filter.title {
            sql.push(" AND EXISTS (SELECT 1 FROM titles t WHERE t.unit_id = u.id AND t.tier = ")
                .bind(tier.as_str().to_owned());
            rules::push_held_on(sql, "t", day);
            sql.push(")");
            rules::push_registered_on(sql, "u", day);
        }
        if let Some(text) = &filter.name_contains {
            let escaped = text
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            sql.push(" AND u.display_name LIKE ")
                .bind(format!("%{escaped}%"))
                .push(" ESCAPE '\\'");
        }
        if !filter.include_deregistered {
            sql.push(" AND u.state = 'active'");
        }
        match filter.provincial_direct {
            Some(true) => {
                sql.push(" AND u.provincial_direct = 1");
            }
            Some(false) => {
                sql.push(" AND u.provincial_direct = 0");
            }
            None => {}
        }
    }

    /// Appends a region-subtree filter on units (`u`).
    fn push_region_filter(&self, sql: &mut Sql, region: RegionCode) {
        match self.divisions.get(region).map(|d| d.level) {
            Some(wenming_domain::AdminLevel::Province) => {}
            Some(wenming_domain::AdminLevel::City) => {
                sql.push(" AND u.city_code = ").bind(region.to_string());
            }
            _ => {
                sql.push(" AND u.region_code = ").bind(region.to_string());
            }
        }
    }

    /// Marks a unit deregistered; the record stays.
    pub async fn deregister_unit(
        &self,
        scope: &Scope,
        id: &str,
        reason: &Reason,
        expected_version: Option<i64>,
    ) -> Result<UnitRecord> {
        rules::office(
            scope,
            &msg::OFFICES_DEREGISTER,
            "only civilisation offices deregister units",
        )?;
        let before = self.get_unit(scope, id).await?;
        rules::registered(&before, "the unit is already deregistered")?;
        rules::keeps_unit(scope, &before)?;
        let version = expected_version.unwrap_or(before.version);
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let now = tx.now_ms();
        let mut after = before.clone();
        after.state = DEREGISTERED.to_owned();
        let today = self.clock.today_in_china();
        after.deregistered_on = Some(today.to_string());
        after.deregistration_reason = Some(reason.as_str().to_owned());
        after.pool_reason = None;
        after.pool_target_tier = None;
        after.pool_added_by = None;
        after.pool_added_at = None;
        after.version = version + 1;
        after.updated_at = now;
        let changed = sqlx::query(
            "UPDATE units SET state = 'deregistered', deregistration_reason = $1, \
             pool_reason = NULL, pool_target_tier = NULL, pool_added_by = NULL, pool_added_at = NULL, \
             version = version + 1, updated_at = $2, deregistered_on = $5 \
             WHERE id = $3 AND version = $4 AND state = 'active'",
        )
        .bind(reason.as_str().to_owned())
        .bind(now)
        .bind(id.to_owned())
        .bind(version)
        .bind(after.deregistered_on.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(RegistryError::EtagMismatch(before.name()));
        }
        tx.audit("DeregisterUnit", &after.name(), Some(&before), Some(&after))?;
        let ended = title_feed::ended_by_deregistration(&mut tx, id, today).await?;
        title_feed::append(&mut tx, &ended, now).await?;
        tx.commit().await?;
        self.verify_cache.forget(&after.credit_code);
        if !ended.is_empty() {
            self.title_changes_committed();
        }
        Ok(after)
    }

    /// Puts a non-public unit in the reserve pool, or (with `entry = None`) takes it out.
    pub async fn set_reserve_pool(
        &self,
        scope: &Scope,
        id: &str,
        entry: Option<(TitleTier, &Reason)>,
        removal_reason: Option<&Reason>,
    ) -> Result<UnitRecord> {
        rules::office(
            scope,
            &msg::OFFICES_POOL,
            "only civilisation offices keep the reserve pool",
        )?;
        let before = self.get_unit(scope, id).await?;
        rules::registered(&before, "a deregistered unit cannot be in the reserve pool")?;
        rules::keeps_unit(scope, &before)?;
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let now = tx.now_ms();
        let mut after = before.clone();
        let action = match entry {
            Some((tier, reason)) => {
                rules::non_public(&before, "only non-public units enter the reserve pool")?;
                rules::pool_change(&before, true)?;
                after.pool_reason = Some(reason.as_str().to_owned());
                after.pool_target_tier = Some(tier.as_str().to_owned());
                after.pool_added_by = Some(scope.subject().to_owned());
                after.pool_added_at = Some(now);
                "AddToReservePool"
            }
            None => {
                rules::pool_change(&before, false)?;
                after.pool_reason = None;
                after.pool_target_tier = None;
                after.pool_added_by = None;
                after.pool_added_at = None;
                "RemoveFromReservePool"
            }
        };
        after.version += 1;
        after.updated_at = now;
        let changed = sqlx::query(
            "UPDATE units SET pool_reason = $1, pool_target_tier = $2, pool_added_by = $3, \
             pool_added_at = $4, version = version + 1, updated_at = $5 \
             WHERE id = $6 AND version = $7",
        )
        .bind(after.pool_reason.clone())
        .bind(after.pool_target_tier.clone())
        .bind(after.pool_added_by.clone())
        .bind(after.pool_added_at)
        .bind(now)
        .bind(id.to_owned())
        .bind(before.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(RegistryError::EtagMismatch(before.name()));
        }
        #[derive(Serialize)]
        struct Removal<'a> {
            reason: &'a str,
        }
        let removal = removal_reason.map(|r| Removal { reason: r.as_str() });
        tx.audit(
            action,
            &after.name(),
            Some(&before),
            Some(&(&after, removal)),
        )?;
        tx.commit().await?;
        self.verify_cache.forget(&after.credit_code);
        Ok(after)
    }
}
