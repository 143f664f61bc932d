//! Pairings: proposal under the one-to-one rule, the lifecycle, exceptions and the
//! highlight brand.

use serde::Serialize;
use sqlx::AnyConnection;
use wenming_authz::Scope;
use wenming_domain::{
    Description, Heading, HelperKind, PairingExceptionId, PairingId, PairingState, Reason,
    TitleTier,
};
use wenming_runtime::db::is_unique_violation;
use wenming_runtime::sql::{Page, Sql, get_scoped, list_scoped};

use super::Store;
use super::lists::{ensure_list, gate_open_list};
use crate::error::{PairingError, Result};
use crate::messages as msg;
use crate::rules::{self, ArrangingOffice, Province};

/// A pairing to propose; the facts come from the registry, checked by the service.
#[derive(Clone, Debug)]
pub struct NewPairing {
    /// The campaign id.
    pub campaign_id: String,
    /// The campaign's pairing-list deadline, recorded on the office's list.
    pub deadline: Option<String>,
    /// The helper's kind.
    pub helper_kind: HelperKind,
    /// The title it cultivates the unit for.
    pub target_tier: TitleTier,
    /// "offices/{code}" or "units/{id}".
    pub helper: String,
    /// The helper unit's id, for unit helpers.
    pub helper_unit_id: Option<String>,
    /// The office's region name or the unit's registered name.
    pub helper_display_name: String,
    /// The unit helped.
    pub unit_id: String,
    /// Its registered name.
    pub unit_display_name: String,
    /// Its county-level region.
    pub unit_region: String,
    /// Its city-level region.
    pub unit_city: String,
    /// Of the provincial-direct system.
    pub unit_provincial_direct: bool,
}

/// A pairing as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct PairingRecord {
    pub id: String,
    pub campaign_id: String,
    pub office_region: String,
    pub office_city: String,
    pub helper_kind: String,
    pub helper: String,
    pub helper_unit_id: Option<String>,
    pub helper_display_name: String,
    pub unit_id: String,
    pub unit_display_name: String,
    pub unit_region: String,
    pub unit_city: String,
    pub state: String,
    pub helper_slot: Option<String>,
    pub unit_slot: Option<String>,
    pub exception_id: Option<String>,
    pub brand_name: Option<String>,
    pub brand_description: Option<String>,
    pub version: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub target_tier: Option<String>,
    pub unit_provincial_direct: i64,
}

const PAIRING_COLUMNS: &str = "id, campaign_id, office_region, office_city, helper_kind, helper, \
    helper_unit_id, helper_display_name, unit_id, unit_display_name, unit_region, unit_city, \
    state, helper_slot, unit_slot, exception_id, brand_name, brand_description, version, \
    created_by, created_at, updated_at, target_tier, unit_provincial_direct";

wenming_runtime::table!(PairingRecord, from: "pairings", columns: PAIRING_COLUMNS, key: "id" => id, noun: &msg::PAIRING, collection: "pairings");

impl PairingRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        format!("pairings/{}", self.id)
    }

    /// The stored state.
    pub fn state(&self) -> Result<PairingState> {
        self.state
            .parse()
            .map_err(|err| PairingError::Internal(format!("stored state: {err}")))
    }
}

/// One lifecycle step as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct EventRecord {
    pub state: String,
    pub actor: String,
    pub reason: String,
    pub at: i64,
}

/// An exception to the one-to-one rule as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ExceptionRecord {
    pub id: String,
    pub campaign_id: String,
    pub helper: String,
    pub unit_id: String,
    pub reason: String,
    pub granted_by: String,
    pub used_by: Option<String>,
    pub created_at: i64,
}

const EXCEPTION_COLUMNS: &str =
    "id, campaign_id, helper, unit_id, reason, granted_by, used_by, created_at";

impl ExceptionRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        format!("pairingExceptions/{}", self.id)
    }
}

/// An exception to grant. Validated.
#[derive(Clone, Debug)]
pub struct NewException {
    /// The campaign id.
    pub campaign_id: String,
    /// "offices/{code}" or "units/{id}".
    pub helper: String,
    /// The unit id.
    pub unit_id: String,
    /// The written reason.
    pub reason: Reason,
}

/// A pairing with its history and exception, as read.
#[derive(Clone, Debug)]
pub struct PairingView {
    /// The row.
    pub pairing: PairingRecord,
    /// Lifecycle steps, oldest first.
    pub history: Vec<EventRecord>,
    /// The exception it used, if any.
    pub exception: Option<ExceptionRecord>,
}

/// Filters of ListPairings.
#[derive(Clone, Debug, Default)]
pub struct PairingFilter {
    /// Campaign id.
    pub campaign_id: Option<String>,
    /// Arranging office.
    pub office_region: Option<String>,
    /// Helper name.
    pub helper: Option<String>,
    /// Unit id.
    pub unit_id: Option<String>,
    /// State.
    pub state: Option<PairingState>,
}

/// A lifecycle step to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Proposed → active.
    Activate,
    /// Active → concluded.
    Conclude,
    /// Proposed or active → dissolved.
    Dissolve,
}

impl Transition {
    fn target(self) -> PairingState {
        match self {
            Transition::Activate => PairingState::Active,
            Transition::Conclude => PairingState::Concluded,
            Transition::Dissolve => PairingState::Dissolved,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Transition::Activate => "ActivatePairing",
            Transition::Conclude => "ConcludePairing",
            Transition::Dissolve => "DissolvePairing",
        }
    }
}

impl Store {
    /// Proposes a pairing arranged by `office`, the caller's.
    pub async fn create_pairing(
        &self,
        scope: &Scope,
        office: ArrangingOffice,
        new: NewPairing,
        request_id: Option<&str>,
    ) -> Result<PairingView> {
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let now = tx.now_ms();
        let record = PairingRecord {
            id: PairingId::new().to_string(),
            campaign_id: new.campaign_id,
            office_region: office.key().to_string(),
            office_city: office.city_column(),
            helper_kind: new.helper_kind.as_str().to_owned(),
            helper: new.helper.clone(),
            helper_unit_id: new.helper_unit_id,
            helper_display_name: new.helper_display_name,
            unit_id: new.unit_id.clone(),
            unit_display_name: new.unit_display_name,
            unit_region: new.unit_region,
            unit_city: new.unit_city,
            state: PairingState::Proposed.as_str().to_owned(),
            helper_slot: Some(new.helper.clone()),
            unit_slot: Some(new.unit_id.clone()),
            exception_id: None,
            brand_name: None,
            brand_description: None,
            version: 1,
            created_by: scope.subject().to_owned(),
            created_at: now,
            updated_at: now,
            target_tier: Some(new.target_tier.as_str().to_owned()),
            unit_provincial_direct: i64::from(new.unit_provincial_direct),
        };
        let mut record = record;
        if let Some(earlier) = tx.claim("CreatePairing", &record.name()).await? {
            drop(tx);
            return self
                .get_pairing(scope, earlier.trim_start_matches("pairings/"))
                .await;
        }
        ensure_list(
            &mut tx,
            &record.campaign_id,
            &record.office_region,
            &record.office_city,
            new.deadline.as_deref(),
        )
        .await?;
        gate_open_list(&mut tx, &record.campaign_id, &record.office_region).await?;
        let (helper_taken, unit_taken) = open_conflicts(&mut tx, &record).await?;
        if helper_taken || unit_taken {
            record.exception_id = Some(use_exception(&mut tx, &record).await?);
            // The exception waives the rules that were in the way, and only those.
            if helper_taken {
                record.helper_slot = None;
            }
            if unit_taken {
                record.unit_slot = None;
            }
        }
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO pairings ({PAIRING_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
             $20, $21, $22, $23, $24)"
        )))
        .bind(record.id.clone())
        .bind(record.campaign_id.clone())
        .bind(record.office_region.clone())
        .bind(record.office_city.clone())
        .bind(record.helper_kind.clone())
        .bind(record.helper.clone())
        .bind(record.helper_unit_id.clone())
        .bind(record.helper_display_name.clone())
        .bind(record.unit_id.clone())
        .bind(record.unit_display_name.clone())
        .bind(record.unit_region.clone())
        .bind(record.unit_city.clone())
        .bind(record.state.clone())
        .bind(record.helper_slot.clone())
        .bind(record.unit_slot.clone())
        .bind(record.exception_id.clone())
        .bind(None::<String>)
        .bind(None::<String>)
        .bind(record.version)
        .bind(record.created_by.clone())
        .bind(record.created_at)
        .bind(record.updated_at)
        .bind(record.target_tier.clone())
        .bind(record.unit_provincial_direct)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            // A concurrent proposal took the helper's or the unit's place first.
            Err(err) if is_unique_violation(&err) => return Err(one_to_one(&record)),
            Err(err) => return Err(err.into()),
        }
        insert_event(
            &mut tx,
            &record.id,
            PairingState::Proposed,
            scope.subject(),
            "proposed",
            now,
        )
        .await?;
        tx.audit("CreatePairing", &record.name(), None::<&()>, Some(&record))?;
        tx.commit().await?;
        self.get_pairing(scope, &record.id).await
    }

    /// Reads a pairing the caller may read.
    pub async fn get_pairing(&self, scope: &Scope, id: &str) -> Result<PairingView> {
        let pairing = self.readable_pairing(scope, id).await?;
        self.view(pairing).await
    }

    /// The row of a pairing the caller may read; NOT_FOUND otherwise.
    pub(super) async fn readable_pairing(&self, scope: &Scope, id: &str) -> Result<PairingRecord> {
        get_scoped(self.db.pool(), id, |sql| rules::push_reads(sql, scope)).await
    }

    async fn pairing_row(
        &self,
        conn: &mut AnyConnection,
        id: &str,
    ) -> Result<Option<PairingRecord>> {
        Ok(
            sqlx::query_as::<_, PairingRecord>(sqlx::AssertSqlSafe(format!(
                "SELECT {PAIRING_COLUMNS} FROM pairings WHERE id = $1"
            )))
            .bind(id.to_owned())
            .fetch_optional(conn)
            .await?,
        )
    }

    async fn view(&self, pairing: PairingRecord) -> Result<PairingView> {
        let history = sqlx::query_as::<_, EventRecord>(
            "SELECT state, actor, reason, at FROM pairing_events WHERE pairing_id = $1 ORDER BY seq",
        )
        .bind(pairing.id.clone())
        .fetch_all(self.db.pool())
        .await?;
        let exception = match &pairing.exception_id {
            Some(id) => {
                sqlx::query_as::<_, ExceptionRecord>(sqlx::AssertSqlSafe(format!(
                    "SELECT {EXCEPTION_COLUMNS} FROM pairing_exceptions WHERE id = $1"
                )))
                .bind(id.clone())
                .fetch_optional(self.db.pool())
                .await?
            }
            None => None,
        };
        Ok(PairingView {
            pairing,
            history,
            exception,
        })
    }

    /// Lists the pairings the caller reads.
    pub async fn list_pairings(
        &self,
        scope: &Scope,
        filter: &PairingFilter,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<PairingView>> {
        let filters = |sql: &mut Sql| {
            rules::push_reads(sql, scope);
            let eq = [
                ("campaign_id", &filter.campaign_id),
                ("office_region", &filter.office_region),
                ("helper", &filter.helper),
                ("unit_id", &filter.unit_id),
            ];
            for (column, value) in eq {
                if let Some(value) = value {
                    sql.push(&format!(" AND {column} = ")).bind(value.clone());
                }
            }
            if let Some(state) = filter.state {
                sql.push(" AND state = ").bind(state.as_str().to_owned());
            }
        };
        let page = list_scoped::<PairingRecord>(self.db.pool(), filters, after, size).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for pairing in page.items {
            items.push(self.view(pairing).await?);
        }
        Ok(Page {
            items,
            next: page.next,
        })
    }

    /// Moves a pairing along its lifecycle, recording who and why.
    pub async fn transition(
        &self,
        scope: &Scope,
        id: &str,
        step: Transition,
        reason: &Reason,
        expected_version: Option<i64>,
    ) -> Result<PairingView> {
        let before = self.readable_pairing(scope, id).await?;
        rules::may_step(rules::access(scope, self.divisions, &before), step)?;
        let target = step.target();
        let current = before.state()?;
        if !current.can_become(target) {
            return Err(PairingError::precondition(
                &msg::LIFECYCLE,
                before.name(),
                format!("a {current} pairing cannot become {target}"),
            )
            .arg("from", current.label_zh())
            .arg("to", target.label_zh()));
        }
        if expected_version.is_some_and(|v| v != before.version) {
            return Err(PairingError::EtagMismatch(before.name()));
        }
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let now = tx.now_ms();
        if step == Transition::Dissolve {
            gate_open_list(&mut tx, &before.campaign_id, &before.office_region).await?;
        }
        let changed = sqlx::query(
            "UPDATE pairings SET state = $1, version = version + 1, updated_at = $2 \
             WHERE id = $3 AND version = $4",
        )
        .bind(target.as_str())
        .bind(now)
        .bind(before.id.clone())
        .bind(before.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(PairingError::EtagMismatch(before.name()));
        }
        insert_event(
            &mut tx,
            &before.id,
            target,
            scope.subject(),
            reason.as_str(),
            now,
        )
        .await?;
        let after = self
            .pairing_row(&mut tx, &before.id)
            .await?
            .ok_or_else(|| PairingError::Internal("pairing vanished in its transaction".into()))?;
        tx.audit(step.action(), &before.name(), Some(&before), Some(&after))?;
        tx.commit().await?;
        self.view(after).await
    }

    /// Records the province's waiver of the one-to-one rule for one helper and unit.
    pub async fn grant_exception(
        &self,
        scope: &Scope,
        _province: Province,
        new: NewException,
        request_id: Option<&str>,
    ) -> Result<ExceptionRecord> {
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let now = tx.now_ms();
        let record = ExceptionRecord {
            id: PairingExceptionId::new().to_string(),
            campaign_id: new.campaign_id,
            helper: new.helper,
            unit_id: new.unit_id,
            reason: new.reason.as_str().to_owned(),
            granted_by: scope.subject().to_owned(),
            used_by: None,
            created_at: now,
        };
        if let Some(earlier) = tx.claim("GrantPairingException", &record.name()).await? {
            let id = earlier.trim_start_matches("pairingExceptions/").to_owned();
            return sqlx::query_as::<_, ExceptionRecord>(sqlx::AssertSqlSafe(format!(
                "SELECT {EXCEPTION_COLUMNS} FROM pairing_exceptions WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| PairingError::not_found(&msg::PAIRING_EXCEPTION, earlier));
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO pairing_exceptions ({EXCEPTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )))
        .bind(record.id.clone())
        .bind(record.campaign_id.clone())
        .bind(record.helper.clone())
        .bind(record.unit_id.clone())
        .bind(record.reason.clone())
        .bind(record.granted_by.clone())
        .bind(None::<String>)
        .bind(record.created_at)
        .execute(&mut *tx)
        .await?;
        tx.audit(
            "GrantPairingException",
            &record.name(),
            None::<&()>,
            Some(&record),
        )?;
        tx.commit().await?;
        Ok(record)
    }

    /// Sets the highlight brand (the helper or the unit, while the pairing is open).
    pub async fn set_brand(
        &self,
        scope: &Scope,
        id: &str,
        name: &Heading,
        description: &Description,
        expected_version: Option<i64>,
    ) -> Result<PairingView> {
        let before = self.workable_pairing(scope, id).await?;
        if expected_version.is_some_and(|v| v != before.version) {
            return Err(PairingError::EtagMismatch(before.name()));
        }
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let now = tx.now_ms();
        let changed = sqlx::query(
            "UPDATE pairings SET brand_name = $1, brand_description = $2, version = version + 1, \
             updated_at = $3 WHERE id = $4 AND version = $5",
        )
        .bind(name.as_str().to_owned())
        .bind(description.as_str().to_owned())
        .bind(now)
        .bind(before.id.clone())
        .bind(before.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(PairingError::EtagMismatch(before.name()));
        }
        let after = self
            .pairing_row(&mut tx, &before.id)
            .await?
            .ok_or_else(|| PairingError::Internal("pairing vanished in its transaction".into()))?;
        tx.audit(
            "SetHighlightBrand",
            &before.name(),
            Some(&before),
            Some(&after),
        )?;
        tx.commit().await?;
        self.view(after).await
    }

    /// A pairing the caller may work on (helper or unit) and that is still open.
    pub(super) async fn workable_pairing(&self, scope: &Scope, id: &str) -> Result<PairingRecord> {
        let pairing = self.readable_pairing(scope, id).await?;
        let access = rules::access(scope, self.divisions, &pairing);
        rules::may_work(access, &pairing.name(), pairing.state()?)?;
        Ok(pairing)
    }
}

/// Inside a work write's transaction: takes the pairing's row (PostgreSQL queues a
/// concurrent conclusion or dissolution behind it, or this behind them) and checks again
/// that the pairing is still in a state that accepts the write, `active` only or any
/// open state.
pub(super) async fn hold_for_work(
    conn: &mut AnyConnection,
    pairing: &PairingRecord,
    active_only: bool,
) -> Result<()> {
    let sql = if active_only {
        "UPDATE pairings SET updated_at = updated_at WHERE id = $1 AND state = 'active'"
    } else {
        "UPDATE pairings SET updated_at = updated_at WHERE id = $1 \
         AND state IN ('proposed', 'active')"
    };
    let held = sqlx::query(sql)
        .bind(pairing.id.clone())
        .execute(conn)
        .await?
        .rows_affected();
    if held == 1 {
        Ok(())
    } else {
        Err(PairingError::precondition(
            &msg::CLOSED,
            pairing.name(),
            "the pairing was concluded or dissolved meanwhile: its work can no longer change",
        ))
    }
}

/// Whether the helper's place, and the unit's, are taken by an open pairing (in any
/// campaign) that counts toward the rule.
async fn open_conflicts(conn: &mut AnyConnection, new: &PairingRecord) -> Result<(bool, bool)> {
    let rows: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT helper_slot, unit_slot FROM pairings \
         WHERE state IN ('proposed', 'active') AND (helper_slot = $1 OR unit_slot = $2)",
    )
    .bind(new.helper.clone())
    .bind(new.unit_id.clone())
    .fetch_all(conn)
    .await?;
    let helper = rows
        .iter()
        .any(|(helper, _)| helper.as_deref() == Some(new.helper.as_str()));
    let unit = rows
        .iter()
        .any(|(_, unit)| unit.as_deref() == Some(new.unit_id.as_str()));
    Ok((helper, unit))
}

/// Takes an unused exception the province granted for this helper and unit, or refuses.
async fn use_exception(conn: &mut AnyConnection, new: &PairingRecord) -> Result<String> {
    let candidate: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM pairing_exceptions WHERE campaign_id = $1 AND helper = $2 \
         AND unit_id = $3 AND used_by IS NULL ORDER BY id LIMIT 1",
    )
    .bind(new.campaign_id.clone())
    .bind(new.helper.clone())
    .bind(new.unit_id.clone())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((exception,)) = candidate else {
        return Err(one_to_one(new));
    };
    let used =
        sqlx::query("UPDATE pairing_exceptions SET used_by = $1 WHERE id = $2 AND used_by IS NULL")
            .bind(new.name())
            .bind(exception.clone())
            .execute(conn)
            .await?
            .rows_affected();
    if used == 1 {
        Ok(exception)
    } else {
        Err(one_to_one(new))
    }
}

/// The refusal; it names neither the other pairing nor its office, which the caller may
/// not be allowed to see.
fn one_to_one(new: &PairingRecord) -> PairingError {
    PairingError::precondition(
        &msg::ONE_TO_ONE,
        new.helper.clone(),
        format!(
            "the helper {} or the unit units/{} already has an open pairing; a second one \
             needs an exception granted by the provincial office",
            new.helper, new.unit_id
        ),
    )
}

async fn insert_event(
    conn: &mut AnyConnection,
    pairing_id: &str,
    state: PairingState,
    actor: &str,
    reason: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO pairing_events (pairing_id, seq, state, actor, reason, at) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM pairing_events \
         WHERE pairing_id = $6",
    )
    .bind(pairing_id.to_owned())
    .bind(state.as_str())
    .bind(actor.to_owned())
    .bind(reason.to_owned())
    .bind(at)
    .bind(pairing_id.to_owned())
    .execute(conn)
    .await?;
    Ok(())
}
