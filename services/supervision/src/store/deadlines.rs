//! The deadline monitor's items: each scan's findings recorded in one transaction (new
//! ones numbered in order, vanished ones resolved), read by cursor for lists and streams.
//! Watchers in this process are woken when a scan adds items; other replicas' watchers
//! find them on their next poll.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use wenming_authz::Scope;
use wenming_runtime::db::is_unique_violation;
use wenming_runtime::sql::Sql;

use super::{Store, push_consequence_visible as push_visible};
use crate::error::{Result, SupervisionError};

/// An item as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct DeadlineRecord {
    pub key: String,
    pub seq: i64,
    pub kind: String,
    pub campaign: String,
    pub subject: String,
    pub subject_display_name: String,
    pub due_date: String,
    pub nominated: i64,
    pub required: i64,
    pub office_key: String,
    pub office_region: String,
    pub office_city: String,
    pub target_region: String,
    pub target_city: String,
    pub target_unit: Option<String>,
    pub target_helper_unit: Option<String>,
    pub target_direct: i64,
    pub found_at: i64,
    pub resolved_at: Option<i64>,
}

const COLUMNS: &str = "key, seq, kind, campaign, subject, subject_display_name, due_date, \
     nominated, required, office_key, office_region, office_city, target_region, \
     target_city, target_unit, target_helper_unit, target_direct, found_at, resolved_at";

/// Something a scan found late (the rules make them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundItem {
    pub kind: &'static str,
    pub campaign: String,
    pub subject: String,
    pub subject_display_name: String,
    pub due_date: String,
    pub nominated: i64,
    pub required: i64,
    pub office_key: String,
    pub office_region: String,
    pub office_city: String,
    pub target_region: String,
    pub target_city: String,
    pub target_unit: Option<String>,
    pub target_helper_unit: Option<String>,
    pub target_direct: bool,
}

impl FoundItem {
    /// What is late, once.
    pub fn key(&self) -> String {
        format!("{}:{}:{}", self.kind, self.campaign, self.subject)
    }
}

/// Which items a read returns (within what the caller may see).
#[derive(Clone, Debug, Default)]
pub struct DeadlineFilter {
    pub campaign: Option<String>,
    /// A city or county code.
    pub region: Option<String>,
    pub include_resolved: bool,
}

/// What a scan changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanOutcome {
    pub found: usize,
    pub resolved: usize,
}

/// Attempts at numbering a scan's new items when another scan takes the same numbers.
const SCAN_ATTEMPTS: usize = 3;

impl Store {
    /// Records a complete scan: `found` is everything late now. New items are numbered
    /// after every earlier one; items no longer found are resolved; one found again after
    /// being resolved is open again under its first number.
    pub async fn record_scan(&self, subject: &str, found: Vec<FoundItem>) -> Result<ScanOutcome> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_record_scan(subject, &found).await {
                Err(SupervisionError::Database(err))
                    if is_unique_violation(&err) && attempt < SCAN_ATTEMPTS =>
                {
                    continue;
                }
                Ok(outcome) => {
                    if outcome.found > 0 {
                        self.deadlines_changed.send_modify(|n| *n += 1);
                    }
                    return Ok(outcome);
                }
                Err(err) => return Err(err),
            }
        }
    }

    async fn try_record_scan(&self, subject: &str, found: &[FoundItem]) -> Result<ScanOutcome> {
        let mut tx = self.db.write_as_service(subject, self.clock()).await?;
        let now = tx.now_ms();
        let known: Vec<(String, Option<i64>)> =
            sqlx::query_as("SELECT key, resolved_at FROM deadline_items")
                .fetch_all(&mut *tx)
                .await?;
        let known: HashMap<String, Option<i64>> = known.into_iter().collect();
        let (next,): (Option<i64>,) = sqlx::query_as("SELECT MAX(seq) FROM deadline_items")
            .fetch_one(&mut *tx)
            .await?;
        let mut seq = next.unwrap_or(0);
        let mut outcome = ScanOutcome::default();
        let mut seen = HashSet::new();
        for item in found {
            let key = item.key();
            if !seen.insert(key.clone()) {
                continue;
            }
            match known.get(&key) {
                None => {
                    seq += 1;
                    insert(&mut tx, item, &key, seq, now).await?;
                    outcome.found += 1;
                }
                Some(Some(_)) => {
                    sqlx::query("UPDATE deadline_items SET resolved_at = NULL WHERE key = $1")
                        .bind(key.clone())
                        .execute(&mut *tx)
                        .await?;
                }
                Some(None) => {}
            }
        }
        for (key, resolved) in &known {
            if resolved.is_none() && !seen.contains(key) {
                sqlx::query("UPDATE deadline_items SET resolved_at = $1 WHERE key = $2")
                    .bind(now)
                    .bind(key.clone())
                    .execute(&mut *tx)
                    .await?;
                outcome.resolved += 1;
            }
        }
        if outcome != ScanOutcome::default() {
            tx.audit(
                "ScanDeadlines",
                "deadlineItems",
                None::<&()>,
                Some(&serde_json::json!({
                    "found": outcome.found,
                    "resolved": outcome.resolved,
                })),
            )?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// Up to `size` items the caller may see numbered after `after`, in order.
    pub async fn deadline_items(
        &self,
        scope: &Scope,
        filter: &DeadlineFilter,
        after: i64,
        size: i64,
    ) -> Result<Vec<DeadlineRecord>> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM deadline_items WHERE seq > "
        ));
        sql.bind(after);
        push_visible(&mut sql, scope);
        if !filter.include_resolved {
            sql.push(" AND resolved_at IS NULL");
        }
        if let Some(campaign) = &filter.campaign {
            sql.push(" AND campaign = ").bind(campaign.clone());
        }
        if let Some(region) = &filter.region {
            super::push_target_in(&mut sql, region);
        }
        sql.push(&format!(" ORDER BY seq LIMIT {size}"));
        Ok(sql.query_as().fetch_all(self.db.pool()).await?)
    }

    /// The open items the caller may see, counted by the region they lie in.
    pub async fn open_deadline_counts(&self, scope: &Scope) -> Result<Vec<(String, i64)>> {
        let mut sql = Sql::new(
            "SELECT target_region, COUNT(*) FROM deadline_items WHERE resolved_at IS NULL \
             AND target_region <> ''",
        );
        push_visible(&mut sql, scope);
        sql.push(" GROUP BY target_region");
        Ok(sql.query_as().fetch_all(self.db.pool()).await?)
    }

    /// A receiver that changes whenever a scan in this process adds items.
    pub fn watch_deadlines(&self) -> tokio::sync::watch::Receiver<u64> {
        self.deadlines_changed.subscribe()
    }
}

async fn insert(
    tx: &mut wenming_runtime::write::WriteTx<'_>,
    item: &FoundItem,
    key: &str,
    seq: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO deadline_items ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11, $12, $13, $14, $15, $16, $17, $18, NULL)"
    )))
    .bind(key.to_owned())
    .bind(seq)
    .bind(item.kind.to_owned())
    .bind(item.campaign.clone())
    .bind(item.subject.clone())
    .bind(item.subject_display_name.clone())
    .bind(item.due_date.clone())
    .bind(item.nominated)
    .bind(item.required)
    .bind(item.office_key.clone())
    .bind(item.office_region.clone())
    .bind(item.office_city.clone())
    .bind(item.target_region.clone())
    .bind(item.target_city.clone())
    .bind(item.target_unit.clone())
    .bind(item.target_helper_unit.clone())
    .bind(i64::from(item.target_direct))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
