//! What services ask the pairing service: a pairing, and the open pairing of a unit.

use std::time::Duration;

use jiff::civil::Date;
use wenming_domain::{HelperKind, PairingState, TitleTier};
use wenming_proto::convert::pairing::{helper_kind_from_pb, state_from_pb, state_to_pb};
use wenming_proto::convert::tier_from_pb;
use wenming_proto::pairing::v1 as pb;
use wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient;
use wenming_runtime::onward::Onward;
use wenming_runtime::upstream::Upstream;

use crate::error::ClientError;
use crate::messages::{CAMPAIGN, PAIRING, PAIRING_SERVICE, UNIT};

/// A pairing as other services' rules need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairingFacts {
    /// "pairings/{id}".
    pub name: String,
    /// "campaigns/{id}".
    pub campaign: String,
    /// The arranging office's region code.
    pub office_region_code: String,
    /// The helper's kind.
    pub helper_kind: Option<HelperKind>,
    /// "offices/{code}" or "units/{id}".
    pub helper: String,
    /// "units/{id}".
    pub unit: String,
    /// The unit's county-level region.
    pub unit_region_code: String,
    /// Where it stands.
    pub state: Option<PairingState>,
    /// The title it cultivates the unit for (none on pairings made before tiers).
    pub target_tier: Option<TitleTier>,
}

impl PairingFacts {
    /// Proposed or active: the helper and the unit are paired.
    pub fn is_open(&self) -> bool {
        self.state.is_some_and(PairingState::is_open)
    }
}

/// Where one office's pairing list of a provincial campaign stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListReport {
    /// The office: its region code, or "provincial-direct".
    pub office: String,
    /// E.g. "宝丰县文明办".
    pub office_display_name: String,
    /// Whether it has reported its list.
    pub reported: bool,
    /// Days past the province's deadline (0: on time, or not due yet).
    pub days_late: u32,
}

/// What the pairing service counts for one county-level region's units.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PairingCounts {
    pub region_code: String,
    pub open_pairings: u64,
    pub ledger_entries: u64,
    pub activities: u64,
}

/// A milestone of an open pairing's current work plan, past due and not done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverdueMilestone {
    /// "pairings/{id}".
    pub pairing: String,
    /// "campaigns/{id}".
    pub campaign: String,
    /// 1-based, in the current plan.
    pub index: i32,
    pub title: String,
    pub due_date: String,
    /// The arranging office's region code (or "provincial-direct").
    pub office: String,
    /// "units/{id}".
    pub unit: String,
    pub unit_region_code: String,
    pub unit_city_code: String,
    pub unit_provincial_direct: bool,
    /// "units/{id}" of a helping unit, if any.
    pub helper_unit: Option<String>,
}

/// The pairing service, as another service asks it on behalf of its caller (whose
/// scope the pairing service applies).
#[tonic::async_trait]
pub trait Pairing: Send + Sync + std::fmt::Debug {
    /// The pairing `name` ("pairings/{id}").
    async fn pairing(
        &self,
        onward: &Onward,
        field: &str,
        name: &str,
    ) -> Result<PairingFacts, ClientError>;

    /// The open (proposed or active) pairings the unit `unit` ("units/{id}") is helped
    /// in, oldest first.
    async fn open_pairings_of(
        &self,
        onward: &Onward,
        field: &str,
        unit: &str,
    ) -> Result<Vec<PairingFacts>, ClientError>;

    /// Every office's pairing list of the provincial campaign `campaign`, as the
    /// province follows them (the province's identity only).
    async fn list_reports(
        &self,
        onward: &Onward,
        campaign: &str,
    ) -> Result<Vec<ListReport>, ClientError>;

    /// The counts for the units of `region`'s subtree the caller may see, by
    /// county-level region; ledger entries and activities dated in `period` (inclusive;
    /// `None`: unbounded).
    async fn pairing_counts(
        &self,
        onward: &Onward,
        region: &str,
        period: (Option<Date>, Option<Date>),
    ) -> Result<Vec<PairingCounts>, ClientError>;

    /// Every milestone past due before `today` and not done, of the open pairings the
    /// caller may see.
    async fn overdue_milestones(
        &self,
        onward: &Onward,
        today: Date,
    ) -> Result<Vec<OverdueMilestone>, ClientError>;
}

/// The pairing service over gRPC.
#[derive(Clone, Debug)]
pub struct GrpcPairing {
    client: PairingServiceClient<Upstream>,
    timeout: Duration,
}

impl GrpcPairing {
    /// The pairing service through `upstream`; each call takes at most `timeout`.
    pub fn new(upstream: Upstream, timeout: Duration) -> Self {
        Self {
            client: PairingServiceClient::new(upstream),
            timeout,
        }
    }
}

fn facts(pairing: pb::Pairing) -> PairingFacts {
    let helper = pairing.helper.unwrap_or_default();
    PairingFacts {
        name: pairing.name,
        campaign: pairing.campaign,
        office_region_code: pairing.office_region_code,
        helper_kind: helper_kind_from_pb(helper.kind),
        helper: helper.name,
        unit: pairing.unit,
        unit_region_code: pairing.unit_region_code,
        state: state_from_pb(pairing.state),
        target_tier: tier_from_pb(pairing.target_tier),
    }
}

#[tonic::async_trait]
impl Pairing for GrpcPairing {
    async fn pairing(
        &self,
        onward: &Onward,
        field: &str,
        name: &str,
    ) -> Result<PairingFacts, ClientError> {
        let mut client = self.client.clone();
        let pairing = onward
            .call(
                pb::GetPairingRequest {
                    name: name.to_owned(),
                },
                self.timeout,
                |request| client.get_pairing(request),
            )
            .await
            .map_err(|status| {
                ClientError::from_status(&PAIRING_SERVICE, status, &PAIRING, field, name)
            })?;
        Ok(facts(pairing))
    }

    async fn open_pairings_of(
        &self,
        onward: &Onward,
        field: &str,
        unit: &str,
    ) -> Result<Vec<PairingFacts>, ClientError> {
        let mut open = Vec::new();
        for state in [PairingState::Proposed, PairingState::Active] {
            let mut page_token = String::new();
            loop {
                let mut client = self.client.clone();
                let page = onward
                    .call(
                        pb::ListPairingsRequest {
                            page_size: 100,
                            page_token: page_token.clone(),
                            unit: unit.to_owned(),
                            state: state_to_pb(state) as i32,
                            ..Default::default()
                        },
                        self.timeout,
                        |request| client.list_pairings(request),
                    )
                    .await
                    .map_err(|status| {
                        ClientError::from_status(&PAIRING_SERVICE, status, &UNIT, field, unit)
                    })?;
                open.extend(page.pairings.into_iter().map(facts));
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
        }
        // Names are UUIDv7: in creation order.
        open.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(open)
    }

    async fn list_reports(
        &self,
        onward: &Onward,
        campaign: &str,
    ) -> Result<Vec<ListReport>, ClientError> {
        let mut client = self.client.clone();
        let answer = onward
            .call(
                pb::ListPairingListReportsRequest {
                    campaign: campaign.to_owned(),
                },
                self.timeout,
                |request| client.list_pairing_list_reports(request),
            )
            .await
            .map_err(|status| {
                ClientError::from_status(&PAIRING_SERVICE, status, &CAMPAIGN, "campaign", campaign)
            })?;
        Ok(answer
            .reports
            .into_iter()
            .map(|r| ListReport {
                office: r.office_region_code,
                office_display_name: r.office_display_name,
                reported: r.reported,
                days_late: r.days_late,
            })
            .collect())
    }

    async fn pairing_counts(
        &self,
        onward: &Onward,
        region: &str,
        (start, end): (Option<Date>, Option<Date>),
    ) -> Result<Vec<PairingCounts>, ClientError> {
        let day = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
        let mut client = self.client.clone();
        let answer = onward
            .call(
                pb::CountPairingsByRegionRequest {
                    region_code: region.to_owned(),
                    period_start: day(start),
                    period_end: day(end),
                },
                self.timeout,
                |request| client.count_pairings_by_region(request),
            )
            .await
            .map_err(|status| {
                ClientError::from_status(&PAIRING_SERVICE, status, &PAIRING, "region_code", region)
            })?;
        Ok(answer
            .counts
            .into_iter()
            .map(|c| PairingCounts {
                region_code: c.region_code,
                open_pairings: c.open_pairings,
                ledger_entries: c.ledger_entries,
                activities: c.activities,
            })
            .collect())
    }

    async fn overdue_milestones(
        &self,
        onward: &Onward,
        today: Date,
    ) -> Result<Vec<OverdueMilestone>, ClientError> {
        let mut all = Vec::new();
        let mut page_token = String::new();
        loop {
            let mut client = self.client.clone();
            let page = onward
                .call(
                    pb::ListOverdueMilestonesRequest {
                        page_size: 1000,
                        page_token: page_token.clone(),
                        as_of: today.to_string(),
                    },
                    self.timeout,
                    |request| client.list_overdue_milestones(request),
                )
                .await
                .map_err(|status| {
                    ClientError::from_status(&PAIRING_SERVICE, status, &PAIRING, "as_of", "")
                })?;
            all.extend(page.milestones.into_iter().map(|m| OverdueMilestone {
                pairing: m.pairing,
                campaign: m.campaign,
                index: m.index,
                title: m.title,
                due_date: m.due_date,
                office: m.office_region_code,
                unit: m.unit,
                unit_region_code: m.unit_region_code,
                unit_city_code: m.unit_city_code,
                unit_provincial_direct: m.unit_provincial_direct,
                helper_unit: (!m.helper_unit.is_empty()).then_some(m.helper_unit),
            }));
            if page.next_page_token.is_empty() {
                return Ok(all);
            }
            page_token = page.next_page_token;
        }
    }
}
