//! CountUnitsByRegion: the registry's part of a progress report.

use wenming_authz::Scope;
use wenming_domain::CampaignId;
use wenming_proto::registry::v1 as pb;
use wenming_runtime::catalogue::region_violation;

use crate::convert::{parse_name, parse_optional_date};
use crate::error::{RegistryError, Result};
use crate::service::RegistryApi;

impl RegistryApi {
    pub(crate) async fn count_units_call(
        &self,
        scope: &Scope,
        req: &pb::CountUnitsByRegionRequest,
    ) -> Result<pb::CountUnitsByRegionResponse> {
        let divisions = self.store().divisions();
        let region = divisions
            .resolve(&req.region_code)
            .map_err(|err| RegistryError::from(region_violation("region_code", &err)))?;
        let campaign = if req.campaign.is_empty() {
            None
        } else {
            Some(
                parse_name("campaign", "campaigns", &req.campaign, |id| {
                    CampaignId::parse(id).ok()
                })?
                .to_string(),
            )
        };
        let day = parse_optional_date("as_of", &req.as_of)?
            .unwrap_or_else(|| self.store().clock().today_in_china());
        let counts = self
            .store()
            .count_by_region(scope, &region.to_string(), campaign.as_deref(), day)
            .await?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(pb::CountUnitsByRegionResponse {
            counts: counts
                .into_iter()
                .map(|(region_code, c)| pb::RegionUnitCounts {
                    region_code,
                    units: n(c.units),
                    reserve_pool: n(c.reserve_pool),
                    nominations_submitted: n(c.nominations_submitted),
                    nominations_accepted: n(c.nominations_accepted),
                    nominations_returned: n(c.nominations_returned),
                    titled_units: n(c.titled_units),
                })
                .collect(),
            as_of: day.to_string(),
        })
    }
}
