//! Titles (R4) and their verification by e-government platforms (R12).

use std::sync::Arc;

use jiff::civil::Date;
use serde::Serialize;
use wenming_authz::{PlatformAction, RowScope, Scope};
use wenming_domain::{
    CreditCode, Reason, RegionCode, TitleId, TitleState, TitleTier, TitleValidity,
};
use wenming_runtime::db::is_unique_violation;
use wenming_runtime::sql::{Sql, get_scoped, list_scoped};

use super::title_feed::{self, ChangeKind, NewChange};
use super::verify_cache::UnitTitles;
use super::{Page, Store, push_scope};
use crate::error::{RegistryError, Result};
use crate::messages as msg;
use crate::rules;

/// A title award to record. Validated.
#[derive(Clone, Debug)]
pub struct NewTitle {
    /// Unit id.
    pub unit_id: String,
    /// Tier.
    pub tier: TitleTier,
    /// First day held.
    pub awarded_on: Date,
    /// First day no longer held (every title has a term).
    pub valid_until: Date,
    /// Awarding document.
    pub document_number: String,
}

/// A title as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct TitleRecord {
    pub id: String,
    pub unit_id: String,
    pub credit_code: String,
    pub region_code: String,
    pub city_code: String,
    pub tier: String,
    pub awarded_on: String,
    pub valid_until: Option<String>,
    pub document_number: String,
    pub state: String,
    pub revoked_on: Option<String>,
    pub revocation_reason: Option<String>,
    pub awarded_by: String,
    pub created_at: i64,
    pub provincial_direct: i64,
}

const TITLE_COLUMNS: &str = "id, unit_id, credit_code, region_code, city_code, tier, awarded_on, \
    valid_until, document_number, state, revoked_on, revocation_reason, awarded_by, created_at, \
    provincial_direct";

wenming_runtime::table!(TitleRecord, from: "titles", columns: TITLE_COLUMNS, key: "id" => id, noun: &msg::TITLE, collection: "titles");

impl TitleRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        format!("titles/{}", self.id)
    }

    /// The stored state.
    pub fn title_state(&self) -> Result<TitleState> {
        self.state
            .parse()
            .map_err(|err| RegistryError::Internal(format!("stored title state: {err}")))
    }

    /// The tier.
    pub fn title_tier(&self) -> Option<TitleTier> {
        self.tier.parse().ok()
    }

    /// The validity dates (the one rule for "held on a day").
    pub fn validity(&self) -> Option<TitleValidity> {
        Self::validity_of(
            &self.awarded_on,
            self.valid_until.as_deref(),
            self.revoked_on.as_deref(),
        )
    }

    fn validity_of(
        awarded_on: &str,
        valid_until: Option<&str>,
        revoked_on: Option<&str>,
    ) -> Option<TitleValidity> {
        let date = |text: Option<&str>| match text {
            Some(d) => d.parse().ok().map(Some),
            None => Some(None),
        };
        Some(TitleValidity {
            awarded_on: awarded_on.parse().ok()?,
            valid_until: date(valid_until)?,
            revoked_on: date(revoked_on)?,
        })
    }
}

/// The answer to VerifyTitle.
#[derive(Clone, Debug)]
pub struct VerifiedTitles {
    /// The unit's credit code.
    pub credit_code: String,
    /// The unit's name.
    pub display_name: String,
    /// Whether the unit was registered on the day.
    pub registered: bool,
    /// The day it was deregistered, if that was on or before the day asked.
    pub deregistered_on: Option<Date>,
    /// Titles held on the day, highest tier first.
    pub titles: Vec<HeldTitle>,
    /// Commendations made on or before the day, newest first.
    pub commendations: Vec<super::CommendationRecord>,
}

/// A title as verification sees it.
#[derive(Clone, Debug)]
pub struct HeldTitle {
    /// Tier.
    pub tier: TitleTier,
    /// When it is held.
    pub validity: TitleValidity,
    /// Awarding document.
    pub document_number: String,
    /// The city the unit was under when it was awarded (the awarding office of a city
    /// title).
    pub city_code: RegionCode,
}

/// How a helper lookup names its unit.
#[derive(Clone, Debug)]
pub enum UnitKey {
    /// By id.
    Id(String),
    /// By credit code.
    Code(CreditCode),
}

/// The answer to GetHelperEligibility.
#[derive(Clone, Debug)]
pub struct HelperFacts {
    /// Unit id.
    pub unit_id: String,
    /// Its credit code.
    pub credit_code: String,
    /// Its name.
    pub display_name: String,
    /// Registered on the day.
    pub registered: bool,
    /// Helper titles held on the day, highest first.
    pub helper_tiers: Vec<TitleTier>,
}

impl Store {
    /// Records an award. A current title of the same tier that has expired by the award
    /// date is superseded; one still held refuses the award.
    pub async fn award_title(
        &self,
        scope: &Scope,
        title: NewTitle,
        request_id: Option<&str>,
    ) -> Result<TitleRecord> {
        let unit = self.get_unit(scope, &title.unit_id).await?;
        rules::awarding_office(scope, title.tier, &unit.city_code)?;
        rules::registered(&unit, "a deregistered unit cannot be awarded a title")?;
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let now = tx.now_ms();
        let record = TitleRecord {
            id: TitleId::new().to_string(),
            unit_id: unit.id.clone(),
            credit_code: unit.credit_code.clone(),
            region_code: unit.region_code.clone(),
            city_code: unit.city_code.clone(),
            tier: title.tier.as_str().to_owned(),
            awarded_on: title.awarded_on.to_string(),
            valid_until: Some(title.valid_until.to_string()),
            document_number: title.document_number,
            state: TitleState::Current.as_str().to_owned(),
            revoked_on: None,
            revocation_reason: None,
            awarded_by: scope.subject().to_owned(),
            created_at: now,
            provincial_direct: unit.provincial_direct,
        };
        if let Some(earlier) = tx.claim("AwardTitle", &record.name()).await? {
            drop(tx);
            return self
                .get_title(scope, earlier.trim_start_matches("titles/"))
                .await;
        }
        let current: Option<TitleRecord> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TITLE_COLUMNS} FROM titles WHERE unit_id = $1 AND tier = $2 AND state = 'current'"
        )))
        .bind(unit.id.clone())
        .bind(record.tier.clone())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(current) = current {
            let over = match current.validity() {
                Some(validity) => rules::award_over(Some(&validity), title.awarded_on),
                None => rules::OverCurrent::Refuse,
            };
            if over == rules::OverCurrent::Refuse {
                return Err(RegistryError::precondition(
                    &msg::TITLE_ALREADY_HELD,
                    current.name(),
                    format!("the unit already holds a current {} title", record.tier),
                )
                .arg("tier", title.tier.label_zh()));
            }
            sqlx::query(
                "UPDATE titles SET state = 'superseded' WHERE id = $1 AND state = 'current'",
            )
            .bind(current.id.clone())
            .execute(&mut *tx)
            .await?;
        }
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO titles ({TITLE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        )))
        .bind(record.id.clone())
        .bind(record.unit_id.clone())
        .bind(record.credit_code.clone())
        .bind(record.region_code.clone())
        .bind(record.city_code.clone())
        .bind(record.tier.clone())
        .bind(record.awarded_on.clone())
        .bind(record.valid_until.clone())
        .bind(record.document_number.clone())
        .bind(record.state.clone())
        .bind(record.revoked_on.clone())
        .bind(record.revocation_reason.clone())
        .bind(record.awarded_by.clone())
        .bind(record.created_at)
        .bind(record.provincial_direct)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(err) if is_unique_violation(&err) => {
                return Err(RegistryError::precondition(
                    &msg::TITLE_ALREADY_HELD,
                    unit.name(),
                    format!("the unit already holds a current {} title", record.tier),
                )
                .arg("tier", title.tier.label_zh()));
            }
            other => other?,
        };
        tx.audit(
            "AwardTitle",
            &record.name(),
            None::<&TitleRecord>,
            Some(&record),
        )?;
        let mut changes = vec![NewChange {
            kind: ChangeKind::Awarded,
            title_id: record.id.clone(),
            effective_on: record.awarded_on.clone(),
        }];
        // A term that ended already (an award recorded late) past the last sweep: its
        // expiry now, since no sweep will come back for it.
        if title.valid_until <= self.clock.today_in_china() {
            changes.push(NewChange {
                kind: ChangeKind::Expired,
                title_id: record.id.clone(),
                effective_on: title.valid_until.to_string(),
            });
        }
        title_feed::append(&mut tx, &changes, now).await?;
        tx.commit().await?;
        self.verify_cache.forget(&record.credit_code);
        self.title_changes_committed();
        Ok(record)
    }

    /// Revokes a current title from `revoked_on` (default: today).
    pub async fn revoke_title(
        &self,
        scope: &Scope,
        id: &str,
        reason: &Reason,
        revoked_on: Option<Date>,
    ) -> Result<TitleRecord> {
        let before = self.get_title(scope, id).await?;
        let tier = before
            .title_tier()
            .ok_or_else(|| RegistryError::Internal(format!("stored tier {}", before.tier)))?;
        rules::awarding_office(scope, tier, &before.city_code)?;
        let day = revoked_on.unwrap_or_else(|| self.clock.today_in_china());
        let awarded_on = before
            .awarded_on
            .parse::<Date>()
            .map_err(|err| RegistryError::Internal(format!("stored award date: {err}")))?;
        rules::revocation(before.title_state()?, &before.name(), awarded_on, day)?;
        let mut after = before.clone();
        after.state = TitleState::Revoked.as_str().to_owned();
        after.revoked_on = Some(day.to_string());
        after.revocation_reason = Some(reason.as_str().to_owned());
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let changed = sqlx::query(
            "UPDATE titles SET state = 'revoked', revoked_on = $1, revocation_reason = $2 \
             WHERE id = $3 AND state = 'current'",
        )
        .bind(after.revoked_on.clone())
        .bind(after.revocation_reason.clone())
        .bind(id.to_owned())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(RegistryError::EtagMismatch(before.name()));
        }
        tx.audit("RevokeTitle", &after.name(), Some(&before), Some(&after))?;
        let now = tx.now_ms();
        let change = NewChange {
            kind: ChangeKind::Revoked,
            title_id: after.id.clone(),
            effective_on: day.to_string(),
        };
        title_feed::append(&mut tx, &[change], now).await?;
        tx.commit().await?;
        self.verify_cache.forget(&after.credit_code);
        self.title_changes_committed();
        Ok(after)
    }

    /// Reads a title in the caller's scope.
    pub async fn get_title(&self, scope: &Scope, id: &str) -> Result<TitleRecord> {
        let rows = Self::readable_rows(scope)?;
        get_scoped(self.db.pool(), id, |sql| {
            push_scope(
                sql,
                rows,
                "unit_id",
                "region_code",
                "city_code",
                "provincial_direct",
            );
        })
        .await
    }

    /// Lists titles (all states) in the caller's scope, optionally of one unit.
    pub async fn list_titles(
        &self,
        scope: &Scope,
        unit_id: Option<&str>,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<TitleRecord>> {
        let rows = Self::readable_rows(scope)?;
        let filters = |sql: &mut Sql| {
            push_scope(
                sql,
                rows,
                "unit_id",
                "region_code",
                "city_code",
                "provincial_direct",
            );
            if let Some(unit_id) = unit_id {
                sql.push(" AND unit_id = ").bind(unit_id.to_owned());
            }
        };
        Ok(list_scoped(self.db.pool(), filters, after, size).await?)
    }

    /// Titles a unit holds on `day`, by credit code: from the cache, or from one indexed
    /// read (the unit by its unique credit code, its titles by `titles_credit_code`).
    pub async fn verify_title(
        &self,
        scope: &Scope,
        code: &CreditCode,
        day: Date,
    ) -> Result<VerifiedTitles> {
        // A platform without the grant is refused by the policy already; again here for
        // a call that reaches the registry without the gateway.
        let rows = if scope.platform_may(PlatformAction::VerifyTitle) {
            RowScope::Everything
        } else {
            match scope.rows() {
                RowScope::Nothing => {
                    return Err(RegistryError::denied(
                        &msg::PLATFORM_NOT_GRANTED,
                        "this platform is not granted title verification",
                    ));
                }
                rows => rows,
            }
        };
        let unit = self.unit_titles(code).await?;
        if !wenming_runtime::row_scope::allows(
            rows,
            &unit.unit_id,
            &unit.region_code,
            &unit.city_code,
            unit.provincial_direct,
        ) {
            return Err(RegistryError::not_found(&msg::UNIT, code.as_str()));
        }
        let registered = rules::registered_on(unit.active, unit.deregistered_on, day);
        let mut held: Vec<HeldTitle> = unit
            .titles
            .iter()
            .filter(|t| registered && rules::held_on(&t.validity, day))
            .cloned()
            .collect();
        held.sort_by_key(|t| std::cmp::Reverse(t.tier));
        let day_text = day.to_string();
        Ok(VerifiedTitles {
            credit_code: code.as_str().to_owned(),
            display_name: unit.display_name.clone(),
            registered,
            deregistered_on: unit.deregistered_on.filter(|left| *left <= day),
            titles: held,
            commendations: unit
                .commendations
                .iter()
                .filter(|c| c.commended_on <= day_text)
                .cloned()
                .collect(),
        })
    }

    /// Whether the unit `key` names can help in a pairing on `day`: asked by any office
    /// about any unit, so it answers no more than a pairing needs.
    pub async fn helper_eligibility(
        &self,
        scope: &Scope,
        key: UnitKey,
        day: Date,
    ) -> Result<HelperFacts> {
        rules::office(
            scope,
            &msg::OFFICES_ASK_HELPERS,
            "only civilisation offices ask whether a unit can help",
        )?;
        let code = match key {
            UnitKey::Code(code) => code,
            UnitKey::Id(id) => {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT credit_code FROM units WHERE id = $1")
                        .bind(id.clone())
                        .fetch_optional(self.db.pool())
                        .await?;
                let Some((code,)) = row else {
                    return Err(RegistryError::not_found(&msg::UNIT, format!("units/{id}")));
                };
                CreditCode::parse(&code)
                    .map_err(|err| RegistryError::Internal(format!("stored credit code: {err}")))?
            }
        };
        let unit = self.unit_titles(&code).await?;
        let registered = rules::registered_on(unit.active, unit.deregistered_on, day);
        Ok(HelperFacts {
            unit_id: unit.unit_id.clone(),
            credit_code: code.as_str().to_owned(),
            display_name: unit.display_name.clone(),
            registered,
            helper_tiers: rules::helper_tiers(&unit.titles, registered, day),
        })
    }

    /// What verification needs of the unit with `code`: from the cache, or read.
    async fn unit_titles(&self, code: &CreditCode) -> Result<Arc<UnitTitles>> {
        if let Some(unit) = self.verify_cache.get(code.as_str()) {
            return Ok(unit);
        }
        let unit = Arc::new(self.load_unit_titles(code).await?);
        self.verify_cache
            .put(code.as_str().to_owned(), unit.clone());
        Ok(unit)
    }

    async fn load_unit_titles(&self, code: &CreditCode) -> Result<UnitTitles> {
        type Row = (
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(VERIFY_SQL)
            .bind(code.as_str().to_owned())
            .fetch_all(self.db.pool())
            .await?;
        let Some(first) = rows.first() else {
            return Err(RegistryError::not_found(&msg::UNIT, code.as_str()));
        };
        let deregistered_on = match first.11.as_deref() {
            Some(day) => Some(day.parse::<Date>().map_err(|err| {
                RegistryError::Internal(format!("stored deregistration day: {err}"))
            })?),
            None => None,
        };
        let mut unit = UnitTitles {
            unit_id: first.0.clone(),
            region_code: first.1.clone(),
            city_code: first.2.clone(),
            display_name: first.3.clone(),
            active: first.4 == super::units::ACTIVE,
            provincial_direct: first.10 != 0,
            deregistered_on,
            titles: Vec::new(),
            commendations: self.commendations_of(&first.0).await?,
        };
        for row in rows {
            let (Some(tier), Some(awarded_on)) = (row.5, row.6) else {
                continue;
            };
            let parsed = TitleRecord::validity_of(&awarded_on, row.7.as_deref(), row.9.as_deref());
            let city = row.12.as_deref().map(RegionCode::parse);
            let (Ok(tier), Some(validity), Some(Ok(city_code))) =
                (tier.parse::<TitleTier>(), parsed, city)
            else {
                return Err(RegistryError::Internal(format!(
                    "stored title of {}",
                    code.as_str()
                )));
            };
            unit.titles.push(HeldTitle {
                tier,
                validity,
                document_number: row.8.unwrap_or_default(),
                city_code,
            });
        }
        Ok(unit)
    }
}

/// The one read behind VerifyTitle (public so a test can check its plan).
pub const VERIFY_SQL: &str = "SELECT u.id, u.region_code, u.city_code, u.display_name, u.state, \
    t.tier, t.awarded_on, t.valid_until, t.document_number, t.revoked_on, u.provincial_direct, \
    u.deregistered_on, t.city_code \
    FROM units u LEFT JOIN titles t ON t.credit_code = u.credit_code \
    WHERE u.credit_code = $1";
