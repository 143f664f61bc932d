//! CountPairingsByRegion and ListOverdueMilestones: what the pairing service tells the
//! progress report and the deadline monitor.

use wenming_authz::Scope;
use wenming_proto::pairing::v1 as pb;
use wenming_runtime::catalogue::region_violation;
use wenming_runtime::edge::parse_optional_date;

use crate::error::{PairingError, Result};
use crate::service::PairingApi;
use crate::store::Period;

impl PairingApi {
    pub(crate) async fn count_pairings_call(
        &self,
        scope: &Scope,
        req: &pb::CountPairingsByRegionRequest,
    ) -> Result<pb::CountPairingsByRegionResponse> {
        let divisions = self.store().divisions();
        let region = divisions
            .resolve(&req.region_code)
            .map_err(|err| PairingError::from(region_violation("region_code", &err)))?;
        let period = Period {
            start: parse_optional_date("period_start", &req.period_start)?.map(|d| d.to_string()),
            end: parse_optional_date("period_end", &req.period_end)?.map(|d| d.to_string()),
        };
        let whole = region == divisions.province();
        let region = region.to_string();
        let counts = self
            .store()
            .count_by_region(scope, (!whole).then_some(region.as_str()), &period)
            .await?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(pb::CountPairingsByRegionResponse {
            counts: counts
                .into_iter()
                .map(|(region_code, c)| pb::RegionPairingCounts {
                    region_code,
                    open_pairings: n(c.open_pairings),
                    ledger_entries: n(c.ledger_entries),
                    activities: n(c.activities),
                })
                .collect(),
        })
    }
}

impl PairingApi {
    pub(crate) async fn overdue_milestones_call(
        &self,
        scope: &Scope,
        req: &pb::ListOverdueMilestonesRequest,
    ) -> Result<pb::ListOverdueMilestonesResponse> {
        let (size, after) = wenming_runtime::edge::page(req.page_size, &req.page_token)?;
        let today = parse_optional_date("as_of", &req.as_of)?
            .unwrap_or_else(|| self.store().clock().today_in_china());
        let (found, next) = self
            .store()
            .overdue_milestones(scope, &today.to_string(), after.as_deref(), size)
            .await?;
        Ok(pb::ListOverdueMilestonesResponse {
            milestones: found
                .into_iter()
                .map(|m| pb::OverdueMilestone {
                    pairing: format!("pairings/{}", m.pairing_id),
                    campaign: format!("campaigns/{}", m.campaign_id),
                    index: i32::try_from(m.index).unwrap_or(i32::MAX),
                    title: m.milestone.title,
                    responsible_person: m.milestone.responsible_person,
                    due_date: m.milestone.due_date,
                    office_region_code: m.office_region,
                    unit: format!("units/{}", m.unit_id),
                    unit_display_name: m.unit_display_name,
                    unit_region_code: m.unit_region,
                    unit_city_code: m.unit_city,
                    unit_provincial_direct: m.unit_provincial_direct,
                    helper_unit: m
                        .helper_unit_id
                        .map(|id| format!("units/{id}"))
                        .unwrap_or_default(),
                })
                .collect(),
            next_page_token: wenming_runtime::edge::next_page_token(next.as_deref()),
        })
    }
}
