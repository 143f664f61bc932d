//! The work of a pairing: versioned work plans, ledger entries and activities. The
//! helper and the unit write; everyone who reads the pairing reads its work.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use wenming_authz::Scope;
use wenming_domain::{
    ActivityId, Description, EvidenceRef, Heading, LedgerCategory, LedgerEntryId, PersonName,
};
use wenming_runtime::db::is_unique_violation;
use wenming_runtime::sql::{Page, Sql, list_scoped};

use super::pairings::hold_for_work;
use super::{Store, from_json, to_json};
use crate::error::{PairingError, Result};
use crate::messages as msg;

/// A milestone as stored (inside the plan's JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MilestoneRecord {
    pub title: String,
    pub responsible_person: String,
    pub due_date: String,
    pub completed_on: Option<String>,
}

/// A work plan to submit. Validated.
#[derive(Clone, Debug)]
pub struct NewWorkPlan {
    /// What the plan sets out to do.
    pub summary: Description,
    /// Its milestones: (title, responsible person, due date, completed on).
    pub milestones: Vec<(Heading, PersonName, Date, Option<Date>)>,
    /// The version it replaces (0 for the first).
    pub base_version: i64,
}

/// A work plan version as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct WorkPlanRecord {
    pub pairing_id: String,
    pub version: i64,
    pub summary: String,
    pub milestones_json: String,
    pub author: String,
    pub created_at: i64,
}

impl WorkPlanRecord {
    /// The milestones.
    pub fn milestones(&self) -> Result<Vec<MilestoneRecord>> {
        from_json(&self.milestones_json)
    }
}

/// A ledger entry to add. Validated.
#[derive(Clone, Debug)]
pub struct NewLedgerEntry {
    /// Day of the work.
    pub date: Date,
    /// Category.
    pub category: LedgerCategory,
    /// What was done.
    pub description: Description,
    /// Who took part.
    pub participants: Vec<PersonName>,
    /// References to evidence.
    pub evidence: Vec<EvidenceRef>,
    /// The activity id it belongs to, if any.
    pub activity_id: Option<String>,
}

/// A ledger entry as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct LedgerEntryRecord {
    pub id: String,
    pub pairing_id: String,
    pub entry_date: String,
    pub category: String,
    pub description: String,
    pub participants_json: String,
    pub evidence_json: String,
    pub activity_id: Option<String>,
    pub author: String,
    pub created_at: i64,
}

const ENTRY_COLUMNS: &str = "id, pairing_id, entry_date, category, description, \
    participants_json, evidence_json, activity_id, author, created_at";

wenming_runtime::table!(LedgerEntryRecord, from: "ledger_entries", columns: ENTRY_COLUMNS, key: "id" => id, noun: &msg::LEDGER_ENTRY, collection: "ledgerEntries");

impl LedgerEntryRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        format!("pairings/{}/ledgerEntries/{}", self.pairing_id, self.id)
    }

    /// Participants.
    pub fn participants(&self) -> Result<Vec<String>> {
        from_json(&self.participants_json)
    }

    /// Evidence references.
    pub fn evidence(&self) -> Result<Vec<String>> {
        from_json(&self.evidence_json)
    }
}

/// An activity to record. Validated.
#[derive(Clone, Debug)]
pub struct NewActivity {
    /// Title.
    pub title: Heading,
    /// Category.
    pub category: LedgerCategory,
    /// First day.
    pub start_date: Date,
    /// Last day, if several.
    pub end_date: Option<Date>,
    /// What it is.
    pub description: Description,
}

/// An activity as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ActivityRecord {
    pub id: String,
    pub pairing_id: String,
    pub title: String,
    pub category: String,
    pub start_date: String,
    pub end_date: Option<String>,
    pub description: String,
    pub author: String,
    pub created_at: i64,
}

const ACTIVITY_COLUMNS: &str =
    "id, pairing_id, title, category, start_date, end_date, description, author, created_at";

wenming_runtime::table!(ActivityRecord, from: "activities", columns: ACTIVITY_COLUMNS, key: "id" => id, noun: &msg::ACTIVITY, collection: "activities");

impl ActivityRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        format!("pairings/{}/activities/{}", self.pairing_id, self.id)
    }
}

/// What an earlier call with the same request id made (a ledger entry, an activity),
/// read with `select`; refused if it belongs to another pairing.
async fn earlier_child<T>(
    conn: &mut sqlx::AnyConnection,
    pairing: &super::PairingRecord,
    earlier: String,
    select: &str,
    kind: &'static wenming_runtime::catalogue::Noun,
) -> Result<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    if !earlier.starts_with(&format!("{}/", pairing.name())) {
        return Err(PairingError::Invalid(vec![
            wenming_runtime::idempotency::ClaimError::reused("another pairing"),
        ]));
    }
    let id = earlier.rsplit('/').next().unwrap_or_default().to_owned();
    sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(select.to_owned()))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| PairingError::not_found(kind, earlier))
}

impl Store {
    /// Submits the next version of a pairing's work plan.
    pub async fn submit_work_plan(
        &self,
        scope: &Scope,
        pairing_id: &str,
        plan: NewWorkPlan,
    ) -> Result<WorkPlanRecord> {
        let pairing = self.workable_pairing(scope, pairing_id).await?;
        let milestones: Vec<MilestoneRecord> = plan
            .milestones
            .iter()
            .map(|(title, person, due, done)| MilestoneRecord {
                title: title.as_str().to_owned(),
                responsible_person: person.as_str().to_owned(),
                due_date: due.to_string(),
                completed_on: done.map(|d| d.to_string()),
            })
            .collect();
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let record = WorkPlanRecord {
            pairing_id: pairing.id.clone(),
            version: plan.base_version + 1,
            summary: plan.summary.as_str().to_owned(),
            milestones_json: to_json(&milestones)?,
            author: scope.subject().to_owned(),
            created_at: tx.now_ms(),
        };
        let name = format!("{}/workPlan", pairing.name());
        hold_for_work(&mut tx, &pairing, false).await?;
        let (current,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(version), 0) FROM work_plans WHERE pairing_id = $1",
        )
        .bind(pairing.id.clone())
        .fetch_one(&mut *tx)
        .await?;
        if current != plan.base_version {
            return Err(PairingError::EtagMismatch(name));
        }
        let inserted = sqlx::query(
            "INSERT INTO work_plans (pairing_id, version, summary, milestones_json, author, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(record.pairing_id.clone())
        .bind(record.version)
        .bind(record.summary.clone())
        .bind(record.milestones_json.clone())
        .bind(record.author.clone())
        .bind(record.created_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            // Another author submitted on the same base version first.
            Err(err) if is_unique_violation(&err) => return Err(PairingError::EtagMismatch(name)),
            Err(err) => return Err(err.into()),
        }
        tx.audit("SubmitWorkPlan", &name, None::<&()>, Some(&record))?;
        tx.commit().await?;
        Ok(record)
    }

    /// Reads a version of the work plan (0: the current one).
    pub async fn get_work_plan(
        &self,
        scope: &Scope,
        pairing_id: &str,
        version: i64,
    ) -> Result<WorkPlanRecord> {
        let pairing = self.readable_pairing(scope, pairing_id).await?;
        let mut sql = Sql::new(
            "SELECT pairing_id, version, summary, milestones_json, author, created_at \
             FROM work_plans WHERE pairing_id = ",
        );
        sql.bind(pairing.id.clone());
        if version > 0 {
            sql.push(" AND version = ").bind(version);
        }
        sql.push(" ORDER BY version DESC LIMIT 1");
        sql.query_as::<WorkPlanRecord>()
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(|| {
                PairingError::not_found(&msg::WORK_PLAN, format!("{}/workPlan", pairing.name()))
            })
    }

    /// Adds a ledger entry to an active pairing.
    pub async fn add_ledger_entry(
        &self,
        scope: &Scope,
        pairing_id: &str,
        entry: NewLedgerEntry,
        request_id: Option<&str>,
    ) -> Result<LedgerEntryRecord> {
        let pairing = self.workable_pairing(scope, pairing_id).await?;
        crate::rules::ledger_open(&pairing.name(), pairing.state()?)?;
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let record = LedgerEntryRecord {
            id: LedgerEntryId::new().to_string(),
            pairing_id: pairing.id.clone(),
            entry_date: entry.date.to_string(),
            category: entry.category.as_str().to_owned(),
            description: entry.description.as_str().to_owned(),
            participants_json: to_json(
                &entry
                    .participants
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>(),
            )?,
            evidence_json: to_json(
                &entry
                    .evidence
                    .iter()
                    .map(|e| e.as_str())
                    .collect::<Vec<_>>(),
            )?,
            activity_id: entry.activity_id,
            author: scope.subject().to_owned(),
            created_at: tx.now_ms(),
        };
        if let Some(earlier) = tx.claim("AddLedgerEntry", &record.name()).await? {
            return earlier_child::<LedgerEntryRecord>(
                &mut tx,
                &pairing,
                earlier,
                &format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE id = $1"),
                &msg::LEDGER_ENTRY,
            )
            .await;
        }
        hold_for_work(&mut tx, &pairing, true).await?;
        if let Some(activity) = &record.activity_id {
            let found: Option<(String,)> =
                sqlx::query_as("SELECT id FROM activities WHERE id = $1 AND pairing_id = $2")
                    .bind(activity.clone())
                    .bind(pairing.id.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
            if found.is_none() {
                return Err(PairingError::invalid(
                    "entry.activity",
                    &msg::UNKNOWN_ACTIVITY,
                    format!(
                        "{}/activities/{activity} is not an activity of this pairing",
                        pairing.name()
                    ),
                ));
            }
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO ledger_entries ({ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )))
        .bind(record.id.clone())
        .bind(record.pairing_id.clone())
        .bind(record.entry_date.clone())
        .bind(record.category.clone())
        .bind(record.description.clone())
        .bind(record.participants_json.clone())
        .bind(record.evidence_json.clone())
        .bind(record.activity_id.clone())
        .bind(record.author.clone())
        .bind(record.created_at)
        .execute(&mut *tx)
        .await?;
        tx.audit("AddLedgerEntry", &record.name(), None::<&()>, Some(&record))?;
        tx.commit().await?;
        Ok(record)
    }

    /// Lists a pairing's ledger entries in the order they were written.
    pub async fn list_ledger_entries(
        &self,
        scope: &Scope,
        pairing_id: &str,
        category: Option<LedgerCategory>,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<LedgerEntryRecord>> {
        let pairing = self.readable_pairing(scope, pairing_id).await?;
        let filters = |sql: &mut Sql| {
            sql.push(" AND pairing_id = ").bind(pairing.id.clone());
            if let Some(category) = category {
                sql.push(" AND category = ")
                    .bind(category.as_str().to_owned());
            }
        };
        Ok(list_scoped(self.db.pool(), filters, after, size).await?)
    }

    /// Records a creation activity of an open pairing.
    pub async fn record_activity(
        &self,
        scope: &Scope,
        pairing_id: &str,
        activity: NewActivity,
        request_id: Option<&str>,
    ) -> Result<ActivityRecord> {
        let pairing = self.workable_pairing(scope, pairing_id).await?;
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let record = ActivityRecord {
            id: ActivityId::new().to_string(),
            pairing_id: pairing.id.clone(),
            title: activity.title.as_str().to_owned(),
            category: activity.category.as_str().to_owned(),
            start_date: activity.start_date.to_string(),
            end_date: activity.end_date.map(|d| d.to_string()),
            description: activity.description.as_str().to_owned(),
            author: scope.subject().to_owned(),
            created_at: tx.now_ms(),
        };
        if let Some(earlier) = tx.claim("RecordActivity", &record.name()).await? {
            return earlier_child::<ActivityRecord>(
                &mut tx,
                &pairing,
                earlier,
                &format!("SELECT {ACTIVITY_COLUMNS} FROM activities WHERE id = $1"),
                &msg::ACTIVITY,
            )
            .await;
        }
        hold_for_work(&mut tx, &pairing, false).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO activities ({ACTIVITY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )))
        .bind(record.id.clone())
        .bind(record.pairing_id.clone())
        .bind(record.title.clone())
        .bind(record.category.clone())
        .bind(record.start_date.clone())
        .bind(record.end_date.clone())
        .bind(record.description.clone())
        .bind(record.author.clone())
        .bind(record.created_at)
        .execute(&mut *tx)
        .await?;
        tx.audit("RecordActivity", &record.name(), None::<&()>, Some(&record))?;
        tx.commit().await?;
        Ok(record)
    }

    /// Lists a pairing's activities in the order they were recorded.
    pub async fn list_activities(
        &self,
        scope: &Scope,
        pairing_id: &str,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<ActivityRecord>> {
        let pairing = self.readable_pairing(scope, pairing_id).await?;
        let filters = |sql: &mut Sql| {
            sql.push(" AND pairing_id = ").bind(pairing.id.clone());
        };
        Ok(list_scoped(self.db.pool(), filters, after, size).await?)
    }
}
