//! Grouped counts for progress reports: one query per measure, each grouped by the
//! unit's county-level region and confined to the caller's rows and the region asked.

use std::collections::BTreeMap;

use jiff::civil::Date;
use wenming_authz::Scope;
use wenming_runtime::sql::Sql;

use super::{Store, push_scope};
use crate::error::Result;
use crate::rules;

/// What is counted in one county-level region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegionCounts {
    pub units: i64,
    pub reserve_pool: i64,
    pub nominations_submitted: i64,
    pub nominations_accepted: i64,
    pub nominations_returned: i64,
    pub titled_units: i64,
}

/// ` AND …`: rows of units (`alias`) in `region`'s subtree (the province: all).
fn push_region(sql: &mut Sql, alias: &str, region: &str, province: &str) {
    if region != province {
        sql.push(&format!(" AND ({alias}.region_code = "))
            .bind(region.to_owned())
            .push(&format!(" OR {alias}.city_code = "))
            .bind(region.to_owned())
            .push(")");
    }
}

impl Store {
    /// The counts of `region`, by county-level region, as the caller may see them.
    pub async fn count_by_region(
        &self,
        scope: &Scope,
        region: &str,
        campaign_id: Option<&str>,
        day: Date,
    ) -> Result<BTreeMap<String, RegionCounts>> {
        let rows = Self::readable_rows(scope)?;
        let province = self.divisions().province().to_string();
        let mut counts: BTreeMap<String, RegionCounts> = BTreeMap::new();

        // Two index-only counts (units_state_region, units_pool_region) rather than one
        // scan of the table.
        for pool in [false, true] {
            let mut sql =
                Sql::new("SELECT u.region_code, COUNT(*) FROM units u WHERE u.state = 'active'");
            if pool {
                sql.push(" AND u.pool_reason IS NOT NULL");
            }
            push_scope(
                &mut sql,
                rows,
                "u.id",
                "u.region_code",
                "u.city_code",
                "u.provincial_direct",
            );
            push_region(&mut sql, "u", region, &province);
            sql.push(" GROUP BY u.region_code");
            let found: Vec<(String, i64)> = sql.query_as().fetch_all(self.db.pool()).await?;
            for (code, n) in found {
                let c = counts.entry(code).or_default();
                if pool {
                    c.reserve_pool = n;
                } else {
                    c.units = n;
                }
            }
        }

        let mut sql = Sql::new(
            "SELECT u.region_code, n.status, COUNT(*) FROM nominations n \
             JOIN units u ON u.id = n.unit_id WHERE 1 = 1",
        );
        if let Some(campaign) = campaign_id {
            sql.push(" AND n.campaign_id = ").bind(campaign.to_owned());
        }
        push_scope(
            &mut sql,
            rows,
            "u.id",
            "u.region_code",
            "u.city_code",
            "u.provincial_direct",
        );
        push_region(&mut sql, "u", region, &province);
        sql.push(" GROUP BY u.region_code, n.status");
        let nominations: Vec<(String, String, i64)> =
            sql.query_as().fetch_all(self.db.pool()).await?;
        for (code, status, n) in nominations {
            let c = counts.entry(code).or_default();
            match status.as_str() {
                "submitted" => c.nominations_submitted = n,
                "accepted" => c.nominations_accepted = n,
                _ => c.nominations_returned += n,
            }
        }

        let mut sql = Sql::new(
            "SELECT u.region_code, COUNT(DISTINCT u.id) FROM titles t \
             JOIN units u ON u.id = t.unit_id WHERE 1 = 1",
        );
        rules::push_held_on(&mut sql, "t", day);
        rules::push_registered_on(&mut sql, "u", day);
        push_scope(
            &mut sql,
            rows,
            "u.id",
            "u.region_code",
            "u.city_code",
            "u.provincial_direct",
        );
        push_region(&mut sql, "u", region, &province);
        sql.push(" GROUP BY u.region_code");
        let titled: Vec<(String, i64)> = sql.query_as().fetch_all(self.db.pool()).await?;
        for (code, n) in titled {
            counts.entry(code).or_default().titled_units = n;
        }
        Ok(counts)
    }
}
