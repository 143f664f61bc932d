//! Allocation table versions: imports land as drafts, the province confirms one into
//! force or reallocates the one in force; the places designations take follow the
//! version in force.

use serde::Serialize;
use sqlx::AnyConnection;
use wenming_authz::Scope;
use wenming_domain::{QUOTA_TIERS, QuotaHolder};
use wenming_runtime::sql::{Page, into_page};
use wenming_runtime::write::WriteTx;

use super::{Store, from_json, holder_column, holder_from_column, tier_from_column, to_json};
use crate::error::{QuotaError, Result};
use crate::messages as msg;
use crate::rules::{Discrepancy, HolderRow, ParsedTable, Period, Province, tier_index};

/// A version as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct VersionRecord {
    pub id: String,
    pub period: String,
    pub version: i64,
    pub state: String,
    pub source: String,
    pub reason: String,
    pub discrepancies: String,
    pub created_by: String,
    pub created_at: i64,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<i64>,
    pub row_version: i64,
}

const VERSION_COLUMNS: &str = "id, period, version, state, source, reason, discrepancies, \
                               created_by, created_at, confirmed_by, confirmed_at, row_version";

/// One stored row of a version.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct RowRecord {
    pub holder: String,
    pub tier: String,
    pub quota: i64,
}

/// A version with its rows, as read.
#[derive(Clone, Debug)]
pub struct VersionView {
    /// The version row.
    pub record: VersionRecord,
    /// Its holders' rows, in the annex's order.
    pub rows: Vec<HolderRow>,
    /// The file's declared totals that differ from the sums.
    pub discrepancies: Vec<Discrepancy>,
}

/// What an audit record keeps of a version.
#[derive(Serialize)]
struct Audited<'a> {
    record: &'a VersionRecord,
    rows: &'a [RowRecord],
}

fn version_id(period: Period, version: i64) -> String {
    format!("{period}/{version}")
}

fn row_records(rows: &[HolderRow]) -> Vec<RowRecord> {
    rows.iter()
        .flat_map(|row| {
            QUOTA_TIERS.iter().enumerate().map(|(t, tier)| RowRecord {
                holder: holder_column(row.holder),
                tier: tier.as_str().to_owned(),
                quota: row.quotas[t],
            })
        })
        .collect()
}

/// How a version came about.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Source {
    Import,
    Reallocation,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Import => "import",
            Source::Reallocation => "reallocation",
        }
    }
}

impl Store {
    /// Imports `table` for `period` as a new draft; a draft before it is discarded.
    pub async fn import_version(
        &self,
        scope: &Scope,
        _province: Province,
        period: Period,
        table: &ParsedTable,
        file_name: &str,
        request_id: Option<&str>,
    ) -> Result<VersionView> {
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let number = next_version(&mut tx, period).await?;
        if let Some(earlier) = tx
            .claim("ImportAllocationTable", &version_name(period, number))
            .await?
        {
            drop(tx);
            return self.version_named(&earlier).await;
        }
        sqlx::query(
            "UPDATE allocation_versions SET state = 'discarded', row_version = row_version + 1 \
             WHERE period = $1 AND state = 'draft'",
        )
        .bind(period.to_string())
        .execute(&mut *tx)
        .await?;
        let record = VersionRecord {
            id: version_id(period, number),
            period: period.to_string(),
            version: number,
            state: "draft".to_owned(),
            source: Source::Import.as_str().to_owned(),
            reason: file_name.to_owned(),
            discrepancies: to_json(&table.discrepancies)?,
            created_by: scope.subject().to_owned(),
            created_at: tx.now_ms(),
            confirmed_by: None,
            confirmed_at: None,
            row_version: 1,
        };
        insert_version(&mut tx, &record, &table.rows).await?;
        let rows = row_records(&table.rows);
        tx.audit(
            "ImportAllocationTable",
            &version_name(period, number),
            None::<&()>,
            Some(&Audited {
                record: &record,
                rows: &rows,
            }),
        )?;
        tx.commit().await?;
        self.get_version(period, Some(number)).await
    }

    /// The version `number` of `period`, or its newest (`None`).
    pub async fn get_version(&self, period: Period, number: Option<i64>) -> Result<VersionView> {
        let name = match number {
            Some(n) => version_name(period, n),
            None => format!("allocationTables/{period}"),
        };
        let record = match number {
            Some(n) => {
                sqlx::query_as::<_, VersionRecord>(sqlx::AssertSqlSafe(format!(
                    "SELECT {VERSION_COLUMNS} FROM allocation_versions WHERE id = $1"
                )))
                .bind(version_id(period, n))
                .fetch_optional(self.db.pool())
                .await?
            }
            None => {
                sqlx::query_as::<_, VersionRecord>(sqlx::AssertSqlSafe(format!(
                    "SELECT {VERSION_COLUMNS} FROM allocation_versions WHERE period = $1 \
                 ORDER BY version DESC LIMIT 1"
                )))
                .bind(period.to_string())
                .fetch_optional(self.db.pool())
                .await?
            }
        };
        let record = record.ok_or_else(|| QuotaError::not_found(&msg::TABLE, name))?;
        self.view(record).await
    }

    /// The version in force of `period`, if one was confirmed.
    pub async fn in_force(&self, period: Period) -> Result<Option<VersionView>> {
        let record = sqlx::query_as::<_, VersionRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS} FROM allocation_versions \
             WHERE period = $1 AND state = 'confirmed'"
        )))
        .bind(period.to_string())
        .fetch_optional(self.db.pool())
        .await?;
        match record {
            Some(record) => Ok(Some(self.view(record).await?)),
            None => Ok(None),
        }
    }

    /// A page of `period`'s versions, newest first, after version `after`.
    pub async fn list_versions(
        &self,
        period: Period,
        after: Option<i64>,
        size: i64,
    ) -> Result<Page<VersionView>> {
        let records = sqlx::query_as::<_, VersionRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS} FROM allocation_versions \
             WHERE period = $1 AND version < $2 ORDER BY version DESC LIMIT $3"
        )))
        .bind(period.to_string())
        .bind(after.unwrap_or(i64::MAX))
        .bind(size + 1)
        .fetch_all(self.db.pool())
        .await?;
        let page = into_page(records, size, |r| r.version.to_string());
        let mut items = Vec::with_capacity(page.items.len());
        for record in page.items {
            items.push(self.view(record).await?);
        }
        Ok(Page {
            items,
            next: page.next,
        })
    }

    /// Confirms the draft `number` of `period` into force.
    pub async fn confirm(
        &self,
        scope: &Scope,
        _province: Province,
        period: Period,
        number: i64,
        etag: Option<i64>,
        accept_discrepancies: bool,
    ) -> Result<VersionView> {
        let name = version_name(period, number);
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let before = version_row(&mut tx, &version_id(period, number))
            .await?
            .ok_or_else(|| QuotaError::not_found(&msg::TABLE, name.clone()))?;
        if etag.is_some_and(|etag| etag != before.row_version) {
            return Err(QuotaError::EtagMismatch(name));
        }
        if before.state != "draft" {
            return Err(QuotaError::precondition(
                &msg::NOT_A_DRAFT,
                &name,
                format!(
                    "{name} is {}, not the draft awaiting confirmation",
                    before.state
                ),
            )
            .arg("version", &name)
            .arg("state", state_zh(&before.state)));
        }
        let discrepancies: Vec<Discrepancy> = from_json(&before.discrepancies)?;
        if !discrepancies.is_empty() && !accept_discrepancies {
            let list = discrepancies
                .iter()
                .map(|d| format!("“{}”声明 {}，各行之和 {}", d.column, d.declared, d.sum))
                .collect::<Vec<_>>()
                .join("；");
            let en = discrepancies
                .iter()
                .map(|d| {
                    format!(
                        "{} declares {} but its rows sum to {}",
                        d.column, d.declared, d.sum
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            return Err(QuotaError::precondition(
                &msg::DISCREPANCIES,
                &name,
                format!("{en}; correct and import again, or confirm with accept_discrepancies"),
            )
            .arg("list", list));
        }
        let rows = rows_of(&mut tx, &before.id, self).await?;
        bring_into_force(&mut tx, period, &rows, self).await?;
        sqlx::query(
            "UPDATE allocation_versions SET state = 'superseded', row_version = row_version + 1 \
             WHERE period = $1 AND state = 'confirmed'",
        )
        .bind(period.to_string())
        .execute(&mut *tx)
        .await?;
        let now = tx.now_ms();
        sqlx::query(
            "UPDATE allocation_versions SET state = 'confirmed', confirmed_by = $1, \
             confirmed_at = $2, row_version = row_version + 1 WHERE id = $3",
        )
        .bind(scope.subject().to_owned())
        .bind(now)
        .bind(before.id.clone())
        .execute(&mut *tx)
        .await?;
        let after = version_row(&mut tx, &before.id)
            .await?
            .ok_or_else(|| QuotaError::Internal("confirmed version vanished".into()))?;
        tx.audit("ConfirmAllocationTable", &name, Some(&before), Some(&after))?;
        tx.commit().await?;
        self.get_version(period, Some(number)).await
    }

    /// Makes `rows` (the version in force with the province's changes) a new version in
    /// force, if the version in force is still `etag`.
    #[allow(clippy::too_many_arguments)]
    pub async fn reallocate(
        &self,
        scope: &Scope,
        _province: Province,
        period: Period,
        etag: Option<i64>,
        rows: impl FnOnce(&[HolderRow]) -> Result<Vec<HolderRow>>,
        reason: &str,
        request_id: Option<&str>,
    ) -> Result<VersionView> {
        let mut tx = self.db.write(scope, self.clock(), request_id).await?;
        let number = next_version(&mut tx, period).await?;
        if let Some(earlier) = tx
            .claim("ReallocateQuota", &version_name(period, number))
            .await?
        {
            drop(tx);
            return self.version_named(&earlier).await;
        }
        let current = sqlx::query_as::<_, VersionRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS} FROM allocation_versions \
             WHERE period = $1 AND state = 'confirmed'"
        )))
        .bind(period.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| no_table_in_force(period))?;
        if etag.is_some_and(|etag| etag != current.row_version) {
            return Err(QuotaError::EtagMismatch(version_name(
                period,
                current.version,
            )));
        }
        let old_rows = rows_of(&mut tx, &current.id, self).await?;
        let new_rows = rows(&old_rows)?;
        bring_into_force(&mut tx, period, &new_rows, self).await?;
        sqlx::query(
            "UPDATE allocation_versions SET state = 'superseded', row_version = row_version + 1 \
             WHERE id = $1",
        )
        .bind(current.id.clone())
        .execute(&mut *tx)
        .await?;
        let now = tx.now_ms();
        let record = VersionRecord {
            id: version_id(period, number),
            period: period.to_string(),
            version: number,
            state: "confirmed".to_owned(),
            source: Source::Reallocation.as_str().to_owned(),
            reason: reason.to_owned(),
            discrepancies: "[]".to_owned(),
            created_by: scope.subject().to_owned(),
            created_at: now,
            confirmed_by: Some(scope.subject().to_owned()),
            confirmed_at: Some(now),
            row_version: 1,
        };
        insert_version(&mut tx, &record, &new_rows).await?;
        let (before_rows, after_rows) = (row_records(&old_rows), row_records(&new_rows));
        tx.audit(
            "ReallocateQuota",
            &version_name(period, number),
            Some(&Audited {
                record: &current,
                rows: &before_rows,
            }),
            Some(&Audited {
                record: &record,
                rows: &after_rows,
            }),
        )?;
        tx.commit().await?;
        self.get_version(period, Some(number)).await
    }

    /// A version by its resource name (an idempotent retry's earlier answer).
    async fn version_named(&self, name: &str) -> Result<VersionView> {
        let parsed = name
            .strip_prefix("allocationTables/")
            .and_then(|rest| rest.split_once("/versions/"))
            .and_then(|(period, n)| Some((Period::parse(period)?, n.parse().ok()?)));
        let (period, number) =
            parsed.ok_or_else(|| QuotaError::Internal(format!("claimed name {name}")))?;
        self.get_version(period, Some(number)).await
    }

    async fn view(&self, record: VersionRecord) -> Result<VersionView> {
        let mut conn = self.db.pool().acquire().await?;
        let rows = rows_of(&mut conn, &record.id, self).await?;
        let discrepancies = from_json(&record.discrepancies)?;
        Ok(VersionView {
            record,
            rows,
            discrepancies,
        })
    }
}

/// "allocationTables/{period}/versions/{n}".
pub fn version_name(period: Period, number: i64) -> String {
    format!("allocationTables/{period}/versions/{number}")
}

/// The refusal of a designation or reallocation without a version in force.
pub(crate) fn no_table_in_force(period: Period) -> QuotaError {
    let table = format!("allocationTables/{period}");
    QuotaError::precondition(
        &msg::NO_TABLE_IN_FORCE,
        &table,
        format!("{table} has no confirmed version yet"),
    )
    .arg("table", table)
}

fn state_zh(state: &str) -> &'static str {
    match state {
        "draft" => "草稿",
        "confirmed" => "执行中",
        "superseded" => "已被新版本取代",
        _ => "已作废",
    }
}

async fn next_version(conn: &mut AnyConnection, period: Period) -> Result<i64> {
    let (max,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(version) FROM allocation_versions WHERE period = $1")
            .bind(period.to_string())
            .fetch_one(&mut *conn)
            .await?;
    Ok(max.unwrap_or(0) + 1)
}

async fn version_row(conn: &mut AnyConnection, id: &str) -> Result<Option<VersionRecord>> {
    Ok(
        sqlx::query_as::<_, VersionRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS} FROM allocation_versions WHERE id = $1"
        )))
        .bind(id.to_owned())
        .fetch_optional(conn)
        .await?,
    )
}

async fn insert_version(
    conn: &mut AnyConnection,
    record: &VersionRecord,
    rows: &[HolderRow],
) -> Result<()> {
    let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO allocation_versions ({VERSION_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )))
    .bind(record.id.clone())
    .bind(record.period.clone())
    .bind(record.version)
    .bind(record.state.clone())
    .bind(record.source.clone())
    .bind(record.reason.clone())
    .bind(record.discrepancies.clone())
    .bind(record.created_by.clone())
    .bind(record.created_at)
    .bind(record.confirmed_by.clone())
    .bind(record.confirmed_at)
    .bind(record.row_version)
    .execute(&mut *conn)
    .await;
    match inserted {
        Ok(_) => {}
        // Another import or reallocation took this number first: the caller retries.
        Err(err) if wenming_runtime::db::is_unique_violation(&err) => {
            return Err(QuotaError::EtagMismatch(format!(
                "allocationTables/{}",
                record.period
            )));
        }
        Err(err) => return Err(err.into()),
    }
    for row in row_records(rows) {
        sqlx::query(
            "INSERT INTO allocation_rows (version_id, holder, tier, quota) VALUES ($1, $2, $3, $4)",
        )
        .bind(record.id.clone())
        .bind(row.holder)
        .bind(row.tier)
        .bind(row.quota)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn rows_of(
    conn: &mut AnyConnection,
    version_id: &str,
    store: &Store,
) -> Result<Vec<HolderRow>> {
    let records = sqlx::query_as::<_, RowRecord>(
        "SELECT holder, tier, quota FROM allocation_rows WHERE version_id = $1",
    )
    .bind(version_id.to_owned())
    .fetch_all(conn)
    .await?;
    let divisions = store.divisions();
    let mut rows: Vec<HolderRow> = divisions
        .quota_holders()
        .map(|holder| HolderRow {
            holder,
            quotas: [0, 0],
        })
        .collect();
    for record in records {
        let holder = holder_from_column(&record.holder, divisions)?;
        let tier = tier_from_column(&record.tier)?;
        let (Some(row), Some(t)) = (
            rows.iter_mut().find(|r| r.holder == holder),
            tier_index(tier),
        ) else {
            return Err(QuotaError::Internal(format!("stored row {record:?}")));
        };
        row.quotas[t] = record.quota;
    }
    Ok(rows)
}

/// Sets the places of `period` to `rows`, keeping what is used; a quota below its used
/// places is refused. The conditional UPDATE (`used <= quota`) holds against a
/// designation racing this change.
async fn bring_into_force(
    tx: &mut WriteTx<'_>,
    period: Period,
    rows: &[HolderRow],
    store: &Store,
) -> Result<()> {
    for row in rows {
        for (t, tier) in QUOTA_TIERS.iter().enumerate() {
            let quota = row.quotas[t];
            let holder = holder_column(row.holder);
            let changed = sqlx::query(
                "UPDATE quota_places SET quota = $1 \
                 WHERE period = $2 AND holder = $3 AND tier = $4 AND used <= $1",
            )
            .bind(quota)
            .bind(period.to_string())
            .bind(holder.clone())
            .bind(tier.as_str())
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if changed == 1 {
                continue;
            }
            let used: Option<(i64,)> = sqlx::query_as(
                "SELECT used FROM quota_places WHERE period = $1 AND holder = $2 AND tier = $3",
            )
            .bind(period.to_string())
            .bind(holder.clone())
            .bind(tier.as_str())
            .fetch_optional(&mut **tx)
            .await?;
            match used {
                Some((used,)) => {
                    return Err(below_designated(row.holder, *tier, quota, used, store));
                }
                None => {
                    sqlx::query(
                        "INSERT INTO quota_places (period, holder, tier, quota, used) \
                         VALUES ($1, $2, $3, $4, 0)",
                    )
                    .bind(period.to_string())
                    .bind(holder)
                    .bind(tier.as_str())
                    .bind(quota)
                    .execute(&mut **tx)
                    .await?;
                }
            }
        }
    }
    Ok(())
}

fn below_designated(
    holder: QuotaHolder,
    tier: wenming_domain::TitleTier,
    quota: i64,
    used: i64,
    store: &Store,
) -> QuotaError {
    let office = format!("offices/{}", holder.office());
    QuotaError::precondition(
        &msg::BELOW_DESIGNATED,
        &office,
        format!(
            "{office} has {used} active designations for {}; its quota cannot fall to {quota}",
            tier.as_str()
        ),
    )
    .arg("holder", holder.display_name(store.divisions()))
    .arg("tier", crate::rules::tier_title(tier))
    .arg("quota", quota)
    .arg("used", used)
}
