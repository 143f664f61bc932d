//! Grouped counts for progress reports, by the unit's county-level region, within the
//! caller's reads (`rules::push_reads`) and the region asked.

use std::collections::BTreeMap;

use wenming_authz::Scope;
use wenming_runtime::sql::Sql;

use super::Store;
use crate::error::Result;
use crate::rules;

/// What is counted for the units of one county-level region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PairingCounts {
    pub open_pairings: i64,
    pub ledger_entries: i64,
    pub activities: i64,
}

/// A day range, both ends inclusive and optional ("YYYY-MM-DD").
#[derive(Clone, Debug, Default)]
pub struct Period {
    pub start: Option<String>,
    pub end: Option<String>,
}

impl Period {
    fn push(&self, sql: &mut Sql, column: &str) {
        if let Some(start) = &self.start {
            sql.push(&format!(" AND {column} >= ")).bind(start.clone());
        }
        if let Some(end) = &self.end {
            sql.push(&format!(" AND {column} <= ")).bind(end.clone());
        }
    }
}

impl Store {
    /// The counts of `region` (`None`: the province), by the unit's county-level region.
    pub async fn count_by_region(
        &self,
        scope: &Scope,
        region: Option<&str>,
        period: &Period,
    ) -> Result<BTreeMap<String, PairingCounts>> {
        let in_region = |sql: &mut Sql| {
            rules::push_reads(sql, scope);
            if let Some(region) = region {
                sql.push(" AND (unit_region = ")
                    .bind(region.to_owned())
                    .push(" OR unit_city = ")
                    .bind(region.to_owned())
                    .push(")");
            }
        };
        let mut counts: BTreeMap<String, PairingCounts> = BTreeMap::new();

        let mut sql = Sql::new(
            "SELECT unit_region, COUNT(*) FROM pairings \
             WHERE state IN ('proposed', 'active')",
        );
        in_region(&mut sql);
        sql.push(" GROUP BY unit_region");
        let open: Vec<(String, i64)> = sql.query_as().fetch_all(self.db.pool()).await?;
        for (code, n) in open {
            counts.entry(code).or_default().open_pairings = n;
        }

        for (table, column) in [
            ("ledger_entries", "entry_date"),
            ("activities", "start_date"),
        ] {
            let mut sql = Sql::new(&format!(
                "SELECT unit_region, COUNT(*) FROM {table} w \
                 JOIN pairings ON pairings.id = w.pairing_id WHERE 1 = 1"
            ));
            in_region(&mut sql);
            period.push(&mut sql, &format!("w.{column}"));
            sql.push(" GROUP BY unit_region");
            let rows: Vec<(String, i64)> = sql.query_as().fetch_all(self.db.pool()).await?;
            for (code, n) in rows {
                let c = counts.entry(code).or_default();
                if table == "ledger_entries" {
                    c.ledger_entries = n;
                } else {
                    c.activities = n;
                }
            }
        }
        Ok(counts)
    }
}

/// A milestone of an open pairing's current plan past its due date, with its pairing.
#[derive(Clone, Debug)]
pub struct OverdueMilestone {
    pub pairing_id: String,
    pub campaign_id: String,
    /// 1-based, in the current plan.
    pub index: usize,
    pub milestone: super::MilestoneRecord,
    pub office_region: String,
    pub unit_id: String,
    pub unit_display_name: String,
    pub unit_region: String,
    pub unit_city: String,
    pub unit_provincial_direct: bool,
    pub helper_unit_id: Option<String>,
}

/// A current plan with its pairing's columns.
#[derive(sqlx::FromRow)]
struct PlanRow {
    id: String,
    campaign_id: String,
    office_region: String,
    unit_id: String,
    unit_display_name: String,
    unit_region: String,
    unit_city: String,
    unit_provincial_direct: i64,
    helper_unit_id: Option<String>,
    milestones_json: String,
}

impl Store {
    /// The milestones due before `today` and not done in the current plans of the open
    /// pairings the caller may see, for up to `size` pairings after `after` in id order,
    /// and the last pairing id read if more may follow.
    pub async fn overdue_milestones(
        &self,
        scope: &Scope,
        today: &str,
        after: Option<&str>,
        size: i64,
    ) -> Result<(Vec<OverdueMilestone>, Option<String>)> {
        let mut sql = Sql::new(
            "SELECT id, campaign_id, office_region, unit_id, unit_display_name, unit_region, \
             unit_city, unit_provincial_direct, helper_unit_id, w.milestones_json \
             FROM pairings JOIN work_plans w ON w.pairing_id = pairings.id \
             WHERE state IN ('proposed', 'active') AND w.version = \
             (SELECT MAX(v.version) FROM work_plans v WHERE v.pairing_id = pairings.id)",
        );
        rules::push_reads(&mut sql, scope);
        if let Some(after) = after {
            sql.push(" AND id > ").bind(after.to_owned());
        }
        sql.push(&format!(" ORDER BY id LIMIT {}", size + 1));
        let mut rows: Vec<PlanRow> = sql.query_as().fetch_all(self.db.pool()).await?;
        let next = if rows.len() as i64 > size {
            rows.truncate(size as usize);
            rows.last().map(|r| r.id.clone())
        } else {
            None
        };
        let mut overdue = Vec::new();
        for row in rows {
            let milestones: Vec<super::MilestoneRecord> = super::from_json(&row.milestones_json)?;
            for (i, m) in milestones.into_iter().enumerate() {
                if m.completed_on.is_none() && m.due_date.as_str() < today {
                    overdue.push(OverdueMilestone {
                        pairing_id: row.id.clone(),
                        campaign_id: row.campaign_id.clone(),
                        index: i + 1,
                        milestone: m,
                        office_region: row.office_region.clone(),
                        unit_id: row.unit_id.clone(),
                        unit_display_name: row.unit_display_name.clone(),
                        unit_region: row.unit_region.clone(),
                        unit_city: row.unit_city.clone(),
                        unit_provincial_direct: row.unit_provincial_direct != 0,
                        helper_unit_id: row.helper_unit_id.clone(),
                    });
                }
            }
        }
        Ok((overdue, next))
    }
}
