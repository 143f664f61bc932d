//! The deadline monitor: a scan asks the registry and the pairing service (on the
//! service's own behalf, as the province sees them) and the task table what is late,
//! and records it; lists and streams read what was recorded, within the caller's scope.

use std::pin::Pin;
use std::time::Duration;

use futures::Stream;
use tonic::Status;
use wenming_authz::{Principal, Scope};
use wenming_clients::Onward;
use wenming_domain::AdminLevel;
use wenming_proto::supervision::v1 as pb;
use wenming_runtime::edge::{self, page, timestamp};

use crate::deadline_rules;
use crate::error::{Result, SupervisionError};
use crate::service::SupervisionApi;
use crate::store::{DeadlineFilter, DeadlineRecord, FoundItem, ScanOutcome};

/// Who the monitor's calls and audit records say it is.
pub const MONITOR_SUBJECT: &str = "supervision-monitor";
/// A list within this long of the last scan reads what that scan recorded.
const RESCAN_AFTER_MS: i64 = 10_000;
/// How often a watch looks for items another replica's scan recorded.
const WATCH_POLL: Duration = Duration::from_secs(5);

/// The stream WatchDeadlineItems answers with.
pub type DeadlineStream =
    Pin<Box<dyn Stream<Item = std::result::Result<pb::DeadlineItem, Status>> + Send>>;

fn monitor(divisions: &wenming_domain::Divisions) -> Principal {
    Principal::office(MONITOR_SUBJECT, AdminLevel::Province, divisions.province())
}

/// Scans every `every` in the background, for watchers (a failed scan is logged and
/// tried again at the next tick).
pub fn spawn_monitor(api: SupervisionApi, every: Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is now: let the upstreams start first.
        ticks.tick().await;
        loop {
            ticks.tick().await;
            match api.scan_deadlines().await {
                Ok(outcome) => tracing::debug!(
                    found = outcome.found,
                    resolved = outcome.resolved,
                    "deadline scan"
                ),
                Err(err) => tracing::warn!(error = %err, "deadline scan failed"),
            }
        }
    });
}

/// Only offices read the deadline monitor.
fn reads_monitor(scope: &Scope) -> Result<()> {
    if scope.is_office() {
        Ok(())
    } else {
        Err(SupervisionError::denied(
            &crate::messages::OFFICES_ONLY,
            "only offices read the deadline monitor",
        ))
    }
}

pub(crate) fn item_to_pb(r: &DeadlineRecord, today: jiff::civil::Date) -> pb::DeadlineItem {
    let days_late = match (r.resolved_at, r.due_date.parse::<jiff::civil::Date>()) {
        (None, Ok(due)) => crate::rules::days_overdue(due, today),
        _ => 0,
    };
    pb::DeadlineItem {
        cursor: r.seq.to_string(),
        kind: match r.kind.as_str() {
            "nominations_short" => pb::DeadlineItemKind::NominationsShort,
            "pairing_list_unreported" => pb::DeadlineItemKind::PairingListUnreported,
            "milestone_overdue" => pb::DeadlineItemKind::MilestoneOverdue,
            _ => pb::DeadlineItemKind::TaskOverdue,
        } as i32,
        campaign: r.campaign.clone(),
        subject: r.subject.clone(),
        subject_display_name: r.subject_display_name.clone(),
        region_code: if r.target_region.is_empty() {
            r.office_key.clone()
        } else {
            r.target_region.clone()
        },
        due_date: r.due_date.clone(),
        days_late,
        nominated: u32::try_from(r.nominated).unwrap_or(0),
        required: u32::try_from(r.required).unwrap_or(0),
        found_time: Some(timestamp(r.found_at)),
        resolved_time: r.resolved_at.map(timestamp),
    }
}

impl SupervisionApi {
    /// Scans for everything late now and records it.
    pub async fn scan_deadlines(&self) -> Result<ScanOutcome> {
        let onward = Onward::on_own_behalf(self.signer(), &monitor(self.store().divisions()))
            .map_err(|status| SupervisionError::Internal(status.message().to_owned()))?;
        let divisions = self.store().divisions();
        let today = self.store().clock().today_in_china();
        let mut found: Vec<FoundItem> = Vec::new();
        for campaign in self.registry().campaigns(&onward).await? {
            if campaign.nomination_deadline.is_some_and(|d| d < today) {
                let tallies = self
                    .registry()
                    .nomination_tally(&onward, &campaign.name)
                    .await?;
                found.extend(deadline_rules::short_counties(
                    divisions, &campaign, &tallies, today,
                ));
            }
            let provincial = campaign.organising_region == divisions.province().to_string();
            if provincial && campaign.pairing_list_deadline.is_some_and(|d| d < today) {
                let reports = self.pairing().list_reports(&onward, &campaign.name).await?;
                found.extend(deadline_rules::unreported_lists(
                    divisions, &campaign, &reports, today,
                ));
            }
        }
        for milestone in self.pairing().overdue_milestones(&onward, today).await? {
            found.push(deadline_rules::overdue_milestone(divisions, &milestone));
        }
        for task in self.store().overdue_tasks(&today.to_string()).await? {
            found.push(deadline_rules::overdue_task(&task));
        }
        let outcome = self.store().record_scan(MONITOR_SUBJECT, found).await?;
        self.scanned_at(self.store().clock().now().as_millisecond());
        Ok(outcome)
    }

    /// Scans unless this process scanned in the last [`RESCAN_AFTER_MS`].
    pub(crate) async fn scan_if_stale(&self) -> Result<()> {
        let now = self.store().clock().now().as_millisecond();
        if self
            .last_scan()
            .is_none_or(|at| now - at >= RESCAN_AFTER_MS)
        {
            self.scan_deadlines().await?;
        }
        Ok(())
    }

    pub(crate) async fn list_deadlines(
        &self,
        scope: &Scope,
        req: &pb::ListDeadlineItemsRequest,
    ) -> Result<pb::ListDeadlineItemsResponse> {
        let (size, _) = page(req.page_size, "")?;
        let after = edge::cursor("page_token", &req.page_token)?;
        let filter = DeadlineFilter {
            campaign: crate::names::optional_campaign("campaign", &req.campaign)?,
            region: crate::names::optional_region("region_code", &req.region_code)?,
            include_resolved: req.include_resolved,
        };
        reads_monitor(scope)?;
        self.scan_if_stale().await?;
        let mut items = self
            .store()
            .deadline_items(scope, &filter, after, size + 1)
            .await?;
        let next = if items.len() as i64 > size {
            items.truncate(size as usize);
            items.last().map(|i| i.seq.to_string()).unwrap_or_default()
        } else {
            String::new()
        };
        let today = self.store().clock().today_in_china();
        Ok(pb::ListDeadlineItemsResponse {
            items: items.iter().map(|i| item_to_pb(i, today)).collect(),
            next_page_token: next,
        })
    }

    pub(crate) fn watch_deadlines(
        &self,
        scope: Scope,
        req: &pb::WatchDeadlineItemsRequest,
        draining: Option<wenming_runtime::follow::Draining>,
    ) -> Result<DeadlineStream> {
        let after = edge::cursor("after", &req.after)?;
        reads_monitor(&scope)?;
        let store = self.store().clone();
        let read_from = store.clone();
        let stream = wenming_runtime::follow::follow(
            after,
            store.watch_deadlines(),
            draining,
            WATCH_POLL,
            move |after, limit| {
                let (store, scope) = (read_from.clone(), scope.clone());
                async move {
                    store
                        .deadline_items(&scope, &DeadlineFilter::default(), after, limit)
                        .await
                        .map_err(Status::from)
                }
            },
            move |item: &DeadlineRecord| item_to_pb(item, store.clock().today_in_china()),
            |item| item.seq,
        );
        Ok(Box::pin(stream))
    }
}
