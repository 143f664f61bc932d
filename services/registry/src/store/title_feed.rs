//! The feed of title changes platforms follow (R12): awards, revocations, expiries and
//! deregistrations of units holding a title, numbered in commit order.
//!
//! Every change that adds to the feed updates the head row as its last statement before
//! the audit chain and the commit, so the head stays locked only for the commit and the
//! numbers commit in order: a reader that has seen change n has seen every change before
//! it, on PostgreSQL as on SQLite. Expiries are not anybody's action: a sweep records
//! those whose day has come, at most once per title (a unique index), when the feed is
//! read and the day has turned since the last sweep.

use std::sync::{Arc, Mutex};

use jiff::civil::Date;
use sqlx::AnyConnection;

use super::Store;
use crate::error::Result;

/// How a title changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Awarded (or recorded).
    Awarded,
    /// Revoked.
    Revoked,
    /// Its term ended.
    Expired,
    /// Its unit was deregistered while it held it.
    UnitDeregistered,
}

impl ChangeKind {
    /// As stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Awarded => "awarded",
            ChangeKind::Revoked => "revoked",
            ChangeKind::Expired => "expired",
            ChangeKind::UnitDeregistered => "unit_deregistered",
        }
    }

    /// The kind stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [
            ChangeKind::Awarded,
            ChangeKind::Revoked,
            ChangeKind::Expired,
            ChangeKind::UnitDeregistered,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// A change to record: what happened to which title, from which day.
#[derive(Clone, Debug)]
pub struct NewChange {
    /// How.
    pub kind: ChangeKind,
    /// The title's id.
    pub title_id: String,
    /// The first day the change holds.
    pub effective_on: String,
}

/// A change as the feed reads it, with the title's fields.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TitleChangeRecord {
    pub seq: i64,
    pub kind: String,
    pub title_id: String,
    pub effective_on: String,
    pub recorded_at: i64,
    pub credit_code: String,
    pub city_code: String,
    pub tier: String,
    pub awarded_on: String,
    pub valid_until: Option<String>,
    pub document_number: String,
}

/// What the feed keeps in memory: who waits for changes, and the last day swept.
#[derive(Debug)]
pub(super) struct FeedState {
    /// Bumped after a commit that added changes (watchers in this process wait on it).
    changed: tokio::sync::watch::Sender<u64>,
    /// The last day this process swept expiries for.
    swept: Mutex<Option<Date>>,
}

impl Default for FeedState {
    fn default() -> Self {
        Self {
            changed: tokio::sync::watch::Sender::new(0),
            swept: Mutex::new(None),
        }
    }
}

/// Shared by every clone of the store.
pub(super) type Feed = Arc<FeedState>;

/// Records `changes` in `tx`, numbered after the head, which stays locked until the
/// commit. Call it as the change's last statement before [`WriteTx::commit`]; a change
/// already in the feed (the same title and kind) is not recorded twice.
///
/// [`WriteTx::commit`]: wenming_runtime::write::WriteTx::commit
pub(super) async fn append(
    conn: &mut AnyConnection,
    changes: &[NewChange],
    now_ms: i64,
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let count = i64::try_from(changes.len()).unwrap_or(i64::MAX);
    let (last,): (i64,) =
        sqlx::query_as("UPDATE title_change_head SET seq = seq + $1 WHERE id = 1 RETURNING seq")
            .bind(count)
            .fetch_one(&mut *conn)
            .await?;
    for (i, change) in changes.iter().enumerate() {
        let seq = last - count + 1 + i64::try_from(i).unwrap_or(0);
        sqlx::query(
            "INSERT INTO title_changes (seq, kind, title_id, effective_on, recorded_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (title_id, kind) DO NOTHING",
        )
        .bind(seq)
        .bind(change.kind.as_str())
        .bind(change.title_id.clone())
        .bind(change.effective_on.clone())
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The titles ended by their unit's deregistration on `day`: current, and still held on
/// that day by their term and any revocation.
pub(super) async fn ended_by_deregistration(
    conn: &mut AnyConnection,
    unit_id: &str,
    day: Date,
) -> Result<Vec<NewChange>> {
    let day = day.to_string();
    let ids: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM titles WHERE unit_id = $1 AND state = 'current' \
         AND (valid_until IS NULL OR valid_until > $2) ORDER BY id",
    )
    .bind(unit_id.to_owned())
    .bind(day.clone())
    .fetch_all(&mut *conn)
    .await?;
    Ok(ids
        .into_iter()
        .map(|(title_id,)| NewChange {
            kind: ChangeKind::UnitDeregistered,
            title_id,
            effective_on: day.clone(),
        })
        .collect())
}

const CHANGE_COLUMNS: &str = "c.seq, c.kind, c.title_id, c.effective_on, c.recorded_at, \
    t.credit_code, t.city_code, t.tier, t.awarded_on, t.valid_until, t.document_number";

impl Store {
    /// Up to `limit` changes after `after`, oldest first (expiries due today swept in
    /// first).
    pub async fn title_changes(&self, after: i64, limit: i64) -> Result<Vec<TitleChangeRecord>> {
        self.sweep_expiries().await?;
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CHANGE_COLUMNS} FROM title_changes c JOIN titles t ON t.id = c.title_id \
             WHERE c.seq > $1 ORDER BY c.seq LIMIT $2"
        )))
        .bind(after)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?)
    }

    /// A receiver that changes whenever this process commits title changes.
    pub fn watch_title_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.feed.changed.subscribe()
    }

    /// Wakes this process's watchers: call after a commit that appended changes.
    pub(super) fn title_changes_committed(&self) {
        self.feed.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Records the expiries of titles whose term ended since the last sweep, once a day
    /// per process (and per replica: another replica's sweep of the same day adds
    /// nothing, as the head says what is already swept).
    pub async fn sweep_expiries(&self) -> Result<()> {
        let today = self.clock.today_in_china();
        if self.swept().is_some_and(|day| day >= today) {
            return Ok(());
        }
        let today_text = today.to_string();
        let (through,): (String,) =
            sqlx::query_as("SELECT expired_through FROM title_change_head WHERE id = 1")
                .fetch_one(self.db.pool())
                .await?;
        if through < today_text {
            let mut tx = self.db.begin_write().await?;
            let now = self.now_ms();
            // Read again under the head's lock: another replica may have swept meanwhile.
            let (through,): (String,) = sqlx::query_as(
                "UPDATE title_change_head SET expired_through = expired_through WHERE id = 1 \
                 RETURNING expired_through",
            )
            .fetch_one(&mut *tx)
            .await?;
            let due: Vec<(String, String)> = sqlx::query_as(
                "SELECT t.id, t.valid_until FROM titles t JOIN units u ON u.id = t.unit_id \
                 WHERE t.valid_until > $1 AND t.valid_until <= $2 \
                 AND (t.revoked_on IS NULL OR t.revoked_on > t.valid_until) \
                 AND NOT (u.state = 'deregistered' \
                          AND (u.deregistered_on IS NULL OR u.deregistered_on < t.valid_until)) \
                 ORDER BY t.valid_until, t.id",
            )
            .bind(through)
            .bind(today_text.clone())
            .fetch_all(&mut *tx)
            .await?;
            let changes: Vec<NewChange> = due
                .into_iter()
                .map(|(title_id, valid_until)| NewChange {
                    kind: ChangeKind::Expired,
                    title_id,
                    effective_on: valid_until,
                })
                .collect();
            append(&mut tx, &changes, now).await?;
            sqlx::query("UPDATE title_change_head SET expired_through = $1 WHERE id = 1")
                .bind(today_text)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            if !changes.is_empty() {
                tracing::info!(expired = changes.len(), "title expiries recorded");
                self.title_changes_committed();
            }
        }
        let mut swept = self.feed.swept.lock().unwrap_or_else(|e| e.into_inner());
        *swept = (*swept).max(Some(today));
        Ok(())
    }

    fn swept(&self) -> Option<Date> {
        *self.feed.swept.lock().unwrap_or_else(|e| e.into_inner())
    }
}
