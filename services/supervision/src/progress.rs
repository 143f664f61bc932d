//! GetProgressReport and ExportProgressReport: the registry's and the pairing service's
//! counts for a region (asked with the caller's identity, so each counts only what the
//! caller may see) and the deadline monitor's open items, rolled up level by level.

use wenming_authz::Scope;
use wenming_clients::Onward;
use wenming_proto::supervision::v1 as pb;
use wenming_runtime::catalogue::region_violation;
use wenming_runtime::edge::parse_optional_date;
use wenming_runtime::status::Violation;

use crate::error::{Result, SupervisionError};
use crate::messages as msg;
use crate::rollup::{self, Counts};
use crate::service::SupervisionApi;

impl SupervisionApi {
    pub(crate) async fn progress(
        &self,
        onward: &Onward,
        scope: &Scope,
        req: &pb::GetProgressReportRequest,
    ) -> Result<pb::ProgressReport> {
        let divisions = self.store().divisions();
        let region = if req.region_code.is_empty() {
            None
        } else {
            Some(
                divisions
                    .resolve(&req.region_code)
                    .map_err(|err| SupervisionError::from(region_violation("region_code", &err)))?,
            )
        };
        let campaign = crate::names::optional_campaign("campaign", &req.campaign)?;
        let wants_places = !req.allocation_table.is_empty();
        if wants_places {
            // The period itself is the quota service's to check (its refusal names the
            // field).
            wenming_runtime::edge::parse_name(
                "allocation_table",
                "allocationTables",
                &req.allocation_table,
                |period| (!period.is_empty() && !period.contains('/')).then_some(()),
            )?;
        }
        let start = parse_optional_date("period_start", &req.period_start)?;
        let end = parse_optional_date("period_end", &req.period_end)?;
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            return Err(SupervisionError::invalid(
                "period_end",
                &msg::PERIOD,
                "the period ends before it starts",
            )
            .arg("start", start)
            .arg("end", end));
        }
        let day = parse_optional_date("as_of", &req.as_of)?
            .unwrap_or_else(|| self.store().clock().today_in_china());
        let Some((level, own)) = scope.office() else {
            return Err(SupervisionError::denied(
                &msg::OFFICES_ONLY,
                "progress reports are for the offices of a region",
            ));
        };
        let region = region.unwrap_or(own);
        if !divisions.contains(own, region) {
            return Err(Violation::new(
                "region_code",
                &msg::REPORT_REGION,
                "the region is outside the caller's",
            )
            .arg("value", region)
            .into());
        }
        self.scan_if_stale().await?;
        let code = region.to_string();
        let (units, pairings) = tokio::try_join!(
            self.registry()
                .unit_counts(onward, &code, campaign.as_deref(), day),
            self.pairing().pairing_counts(onward, &code, (start, end)),
        )
        .map_err(SupervisionError::from)?;
        let overdue = self
            .store()
            .open_deadline_counts(scope)
            .await?
            .into_iter()
            .map(|(code, n)| (code, u64::try_from(n).unwrap_or(0)))
            .collect();
        // Counties hold no places (and may not read the holders').
        let places = match (wants_places, level) {
            (true, wenming_domain::AdminLevel::Province | wenming_domain::AdminLevel::City) => self
                .quota()
                .places(onward, &req.allocation_table)
                .await
                .map_err(SupervisionError::from)?,
            _ => Vec::new(),
        };
        let counts = Counts {
            units,
            pairings,
            overdue,
            supervision: self.store().supervision_counts(scope).await?,
            places,
        };
        Ok(pb::ProgressReport {
            region_code: code,
            as_of: day.to_string(),
            campaign: req.campaign.clone(),
            period_start: start.map(|d| d.to_string()).unwrap_or_default(),
            period_end: end.map(|d| d.to_string()).unwrap_or_default(),
            allocation_table: req.allocation_table.clone(),
            rows: rollup::rows(divisions, region, &counts),
        })
    }
}
