//! Pairing lists: each city or county office fixes its list for a campaign and reports
//! it to the province; afterwards its pairings change only if the province reopens it.

use serde::Serialize;
use sqlx::AnyConnection;
use wenming_authz::Scope;
use wenming_domain::{AdminLevel, OfficeKey, Reason};
use wenming_runtime::sql::{Page, Sql, into_page, push_page};
use wenming_runtime::write::WriteTx;

use super::Store;
use crate::error::{PairingError, Result};
use crate::messages as msg;
use crate::reports::ListState;
use crate::rules::{self, ArrangingOffice, Province};

/// A list as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct PairingListRecord {
    pub campaign_id: String,
    pub office_region: String,
    pub office_city: String,
    pub state: String,
    pub deadline: Option<String>,
    pub reported_at: Option<i64>,
    pub late: i64,
    pub version: i64,
}

const LIST_COLUMNS: &str =
    "campaign_id, office_region, office_city, state, deadline, reported_at, late, version";

impl PairingListRecord {
    /// Resource name.
    pub fn name(&self) -> String {
        list_name(&self.campaign_id, &self.office_region)
    }
}

/// A report or reopening as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ListEventRecord {
    pub state: String,
    pub actor: String,
    pub reason: String,
    pub late: i64,
    pub at: i64,
}

/// A list with its count and history, as read.
#[derive(Clone, Debug)]
pub struct PairingListView {
    /// The row (a list never touched is shown open and empty).
    pub list: PairingListRecord,
    /// Proposed and active pairings on it.
    pub pairing_count: i64,
    /// Reports and reopenings, oldest first.
    pub history: Vec<ListEventRecord>,
}

/// "campaigns/{campaign_id}/pairingLists/{region_code or provincial-direct}".
pub fn list_name(campaign_id: &str, region: &str) -> String {
    format!("campaigns/{campaign_id}/pairingLists/{region}")
}

/// Creates the office's list for the campaign if it does not exist yet.
pub(super) async fn ensure_list(
    conn: &mut AnyConnection,
    campaign_id: &str,
    office_region: &str,
    office_city: &str,
    deadline: Option<&str>,
) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO pairing_lists ({LIST_COLUMNS}) VALUES ($1, $2, $3, 'open', $4, NULL, 0, 0) \
         ON CONFLICT DO NOTHING"
    )))
    .bind(campaign_id.to_owned())
    .bind(office_region.to_owned())
    .bind(office_city.to_owned())
    .bind(deadline.map(str::to_owned))
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the list's row for a change of its pairings, on the condition that the list is
/// open. On PostgreSQL the row lock queues a concurrent report behind the change (or
/// the change behind the report, which then refuses it); on SQLite the write lock does.
pub(super) async fn gate_open_list(
    conn: &mut AnyConnection,
    campaign_id: &str,
    office_region: &str,
) -> Result<()> {
    let open = sqlx::query(
        "UPDATE pairing_lists SET version = version + 1 \
         WHERE campaign_id = $1 AND office_region = $2 AND state = 'open'",
    )
    .bind(campaign_id.to_owned())
    .bind(office_region.to_owned())
    .execute(conn)
    .await?
    .rows_affected();
    if open == 1 {
        Ok(())
    } else {
        Err(PairingError::precondition(
            &msg::LIST_REPORTED,
            list_name(campaign_id, office_region),
            "the office's pairing list has been reported to the province; \
             it must reopen the list before its pairings change",
        ))
    }
}

impl Store {
    /// Reads a list: the office itself and offices above it.
    pub async fn get_list(
        &self,
        scope: &Scope,
        campaign_id: &str,
        office: OfficeKey,
        deadline: Option<String>,
    ) -> Result<PairingListView> {
        if !rules::reads_list_of(scope, self.divisions, office)? {
            return Err(PairingError::not_found(
                &msg::PAIRING_LIST,
                list_name(campaign_id, &office.to_string()),
            ));
        }
        let row = sqlx::query_as::<_, PairingListRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {LIST_COLUMNS} FROM pairing_lists WHERE campaign_id = $1 AND office_region = $2"
        )))
        .bind(campaign_id.to_owned())
        .bind(office.to_string())
        .fetch_optional(self.db.pool())
        .await?;
        let list = match row {
            Some(list) => list,
            None => PairingListRecord {
                campaign_id: campaign_id.to_owned(),
                office_region: office.to_string(),
                office_city: rules::office_city(self.divisions, office),
                state: "open".into(),
                deadline,
                reported_at: None,
                late: 0,
                version: 0,
            },
        };
        self.list_view(list).await
    }

    /// Lists a campaign's lists the caller reads: all for the province, a city's own and
    /// its counties', a county's own. Lists never touched are not shown.
    pub async fn list_lists(
        &self,
        scope: &Scope,
        campaign_id: &str,
        after: Option<&str>,
        size: i64,
    ) -> Result<Page<PairingListView>> {
        rules::list_reader(scope)?;
        let mut sql = Sql::new(&format!(
            "SELECT {LIST_COLUMNS} FROM pairing_lists WHERE campaign_id = "
        ));
        sql.bind(campaign_id.to_owned());
        match (scope.office(), scope.is_provincial_direct()) {
            (Some((AdminLevel::Province, _)), _) => {}
            (Some((AdminLevel::City, city)), _) => {
                sql.push(" AND office_city = ").bind(city.to_string());
            }
            (Some((AdminLevel::County, county)), _) => {
                sql.push(" AND office_region = ").bind(county.to_string());
            }
            (None, true) => {
                sql.push(" AND office_region = ")
                    .bind(OfficeKey::ProvincialDirect.to_string());
            }
            (None, false) => {
                sql.push(" AND 1 = 0");
            }
        }
        push_page(&mut sql, "office_region", after, size);
        let rows = sql
            .query_as::<PairingListRecord>()
            .fetch_all(self.db.pool())
            .await?;
        let page = into_page(rows, size, |l| l.office_region.clone());
        let mut items = Vec::with_capacity(page.items.len());
        for list in page.items {
            items.push(self.list_view(list).await?);
        }
        Ok(Page {
            items,
            next: page.next,
        })
    }

    /// `office` reports its own list; after the deadline it is accepted and marked late.
    pub async fn report_list(
        &self,
        scope: &Scope,
        arranging: ArrangingOffice,
        campaign_id: &str,
        deadline: Option<String>,
    ) -> Result<PairingListView> {
        let office = arranging.key();
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let now = jiff::Timestamp::from_millisecond(tx.now_ms())
            .map_err(|err| PairingError::Internal(format!("clock: {err}")))?;
        let late = rules::is_late(deadline.as_deref(), now);
        ensure_list(
            &mut tx,
            campaign_id,
            &office.to_string(),
            &arranging.city_column(),
            deadline.as_deref(),
        )
        .await?;
        let reported = sqlx::query(
            "UPDATE pairing_lists SET state = 'reported', reported_at = $1, late = $2, \
             deadline = $3, version = version + 1 \
             WHERE campaign_id = $4 AND office_region = $5 AND state = 'open'",
        )
        .bind(now.as_millisecond())
        .bind(i64::from(late))
        .bind(deadline.clone())
        .bind(campaign_id.to_owned())
        .bind(office.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if reported == 0 {
            return Err(PairingError::precondition(
                &msg::LIST_REPORTED,
                list_name(campaign_id, &office.to_string()),
                "the list has already been reported; the province reopens it for changes",
            ));
        }
        self.finish_list_change(
            &mut tx,
            campaign_id,
            office,
            "reported",
            "",
            late,
            "ReportPairingList",
        )
        .await?;
        tx.commit().await?;
        self.get_list(scope, campaign_id, office, None).await
    }

    /// The province reopens a reported list.
    pub async fn reopen_list(
        &self,
        scope: &Scope,
        campaign_id: &str,
        office: OfficeKey,
        _province: Province,
        reason: &Reason,
    ) -> Result<PairingListView> {
        let mut tx = self.db.write(scope, self.clock(), None).await?;
        let reopened = sqlx::query(
            "UPDATE pairing_lists SET state = 'open', version = version + 1 \
             WHERE campaign_id = $1 AND office_region = $2 AND state = 'reported'",
        )
        .bind(campaign_id.to_owned())
        .bind(office.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if reopened == 0 {
            return Err(PairingError::precondition(
                &msg::LIST_OPEN,
                list_name(campaign_id, &office.to_string()),
                "the list is not reported, so there is nothing to reopen",
            ));
        }
        self.finish_list_change(
            &mut tx,
            campaign_id,
            office,
            "open",
            reason.as_str(),
            false,
            "ReopenPairingList",
        )
        .await?;
        tx.commit().await?;
        self.get_list(scope, campaign_id, office, None).await
    }

    /// Appends the list's event and the audit record, in the change's transaction.
    #[allow(clippy::too_many_arguments)]
    async fn finish_list_change(
        &self,
        tx: &mut WriteTx<'_>,
        campaign_id: &str,
        office: OfficeKey,
        state: &str,
        reason: &str,
        late: bool,
        action: &'static str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO pairing_list_events \
             (campaign_id, office_region, seq, state, actor, reason, late, at) \
             SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6, $7 \
             FROM pairing_list_events WHERE campaign_id = $8 AND office_region = $9",
        )
        .bind(campaign_id.to_owned())
        .bind(office.to_string())
        .bind(state.to_owned())
        .bind(tx.subject().to_owned())
        .bind(reason.to_owned())
        .bind(i64::from(late))
        .bind(tx.now_ms())
        .bind(campaign_id.to_owned())
        .bind(office.to_string())
        .execute(&mut **tx)
        .await?;
        let after = sqlx::query_as::<_, PairingListRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {LIST_COLUMNS} FROM pairing_lists WHERE campaign_id = $1 AND office_region = $2"
        )))
        .bind(campaign_id.to_owned())
        .bind(office.to_string())
        .fetch_one(&mut **tx)
        .await?;
        tx.audit(action, &after.name(), None::<&()>, Some(&after))?;
        Ok(())
    }

    /// Every list kept under `campaign_ids`, with its count, in one read: the province's
    /// roll-up (its caller is the province, checked by the service).
    pub async fn list_states(
        &self,
        _province: Province,
        campaign_ids: &[String],
    ) -> Result<Vec<ListState>> {
        if campaign_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(
            "SELECT l.campaign_id, l.office_region, l.state, l.reported_at, \
             (SELECT COUNT(*) FROM pairings p WHERE p.campaign_id = l.campaign_id \
              AND p.office_region = l.office_region AND p.state IN ('proposed', 'active')) \
             AS pairing_count FROM pairing_lists l WHERE l.campaign_id IN (",
        );
        for (i, id) in campaign_ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(id.clone());
        }
        sql.push(")");
        Ok(sql
            .query_as::<ListState>()
            .fetch_all(self.db.pool())
            .await?)
    }

    async fn list_view(&self, list: PairingListRecord) -> Result<PairingListView> {
        let (pairing_count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM pairings WHERE campaign_id = $1 AND office_region = $2 \
             AND state IN ('proposed', 'active')",
        )
        .bind(list.campaign_id.clone())
        .bind(list.office_region.clone())
        .fetch_one(self.db.pool())
        .await?;
        let history = sqlx::query_as::<_, ListEventRecord>(
            "SELECT state, actor, reason, late, at FROM pairing_list_events \
             WHERE campaign_id = $1 AND office_region = $2 ORDER BY seq",
        )
        .bind(list.campaign_id.clone())
        .bind(list.office_region.clone())
        .fetch_all(self.db.pool())
        .await?;
        Ok(PairingListView {
            list,
            pairing_count,
            history,
        })
    }
}
