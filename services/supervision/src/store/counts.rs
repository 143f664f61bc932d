//! Supervision's own figures for progress reports, by the target's county-level region,
//! each through its table's visibility rule (so a blind covert visit is not counted for
//! those it is hidden from).

use wenming_authz::Scope;
use wenming_runtime::sql::Sql;

use super::{Store, push_consequence_visible, push_task_visible, push_visible};
use crate::error::Result;

/// Supervision's figures for one county-level region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SupervisionCounts {
    pub region_code: String,
    pub inspections_done: u64,
    pub open_tasks: u64,
    pub commendations: u64,
    pub admonishment_talks: u64,
}

/// One grouped count: its SELECT, its table's visibility rule, and where it goes.
type Count = (
    &'static str,
    fn(&mut Sql, &Scope),
    fn(&mut SupervisionCounts, u64),
);

impl Store {
    /// The caller's figures, by region.
    pub async fn supervision_counts(&self, scope: &Scope) -> Result<Vec<SupervisionCounts>> {
        let mut by_region: std::collections::BTreeMap<String, SupervisionCounts> =
            Default::default();
        let queries: [Count; 4] = [
            (
                "SELECT target_region, COUNT(*) FROM inspections WHERE state = 'done'",
                push_visible,
                |c, n| c.inspections_done = n,
            ),
            (
                "SELECT target_region, COUNT(*) FROM rectification_tasks WHERE state = 'open'",
                push_task_visible,
                |c, n| c.open_tasks = n,
            ),
            (
                "SELECT target_region, COUNT(*) FROM commendations WHERE 1 = 1",
                push_consequence_visible,
                |c, n| c.commendations = n,
            ),
            (
                "SELECT target_region, COUNT(*) FROM admonishment_talks WHERE state = 'held'",
                push_consequence_visible,
                |c, n| c.admonishment_talks = n,
            ),
        ];
        for (select, visible, set) in queries {
            let mut sql = Sql::new(select);
            visible(&mut sql, scope);
            sql.push(" GROUP BY target_region");
            let rows: Vec<(String, i64)> = sql.query_as().fetch_all(self.db.pool()).await?;
            for (region, n) in rows {
                let counts = by_region
                    .entry(region.clone())
                    .or_insert_with(|| SupervisionCounts {
                        region_code: region,
                        ..SupervisionCounts::default()
                    });
                set(counts, u64::try_from(n).unwrap_or(0));
            }
        }
        Ok(by_region.into_values().collect())
    }
}
