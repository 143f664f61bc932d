//! What services ask the registry: unit facts, titles held on a day, campaigns.

use std::time::Duration;

use jiff::civil::Date;
use wenming_domain::{TitleTier, UnitKind};
use wenming_proto::convert::{kind_from_pb, tier_from_pb};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_runtime::onward::Onward;
use wenming_runtime::upstream::Upstream;

use crate::error::ClientError;
use crate::messages::{CAMPAIGN, REGISTRY, UNIT};

/// A unit as other services' rules need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitFacts {
    /// "units/{id}".
    pub name: String,
    /// Registered name.
    pub display_name: String,
    /// Unified social credit code.
    pub credit_code: String,
    /// Ownership kind, if the registry knows it.
    pub kind: Option<UnitKind>,
    /// County-level region.
    pub region_code: String,
    /// City-level region.
    pub city_code: String,
    /// Whether the unit is registered and not deregistered.
    pub active: bool,
    /// Of the provincial-direct system (省直).
    pub provincial_direct: bool,
    /// A base-level unit (基层单位) as its office records it (a township, street or
    /// community, a school, a hospital, a company's branch): the province's
    /// recommendation rules fix a minimum share of them.
    pub base_level: bool,
}

/// Where a unit stands on a day, as a fulfilment count needs it (VerifyTitles).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    /// Registered and not deregistered on the day.
    pub registered: bool,
    /// The tiers of the titles it holds on the day, highest first.
    pub tiers: Vec<TitleTier>,
}

/// Most credit codes one VerifyTitles call takes.
pub const STANDINGS_PER_CALL: usize = 100;

/// A unit helper as pairing's rules need it: what the registry answers any office about
/// any unit, wherever it is registered (GetHelperEligibility).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelperFacts {
    /// "units/{id}".
    pub name: String,
    /// Registered name.
    pub display_name: String,
    /// Registered on the day asked.
    pub registered: bool,
    /// The helper titles (national, provincial model) held on that day.
    pub helper_tiers: Vec<TitleTier>,
}

/// A campaign as other services' rules need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignFacts {
    /// "campaigns/{id}".
    pub name: String,
    /// E.g. "2021年非公单位文明单位创建".
    pub display_name: String,
    /// Last day for county nominations, if the campaign sets one.
    pub nomination_deadline: Option<Date>,
    /// Fewest units a county nominates.
    pub batch_min: u32,
    /// Last day for pairing lists, if the campaign sets one.
    pub pairing_list_deadline: Option<Date>,
    /// The titles it cultivates units for.
    pub target_tiers: Vec<TitleTier>,
    /// The organising office's region code.
    pub organising_region: String,
    /// The provincial campaign it belongs to, "campaigns/{id}", if any.
    pub parent: Option<String>,
}

/// How many units each county has nominated in a campaign, by status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NominationTally {
    /// The county-level region that nominated.
    pub county: String,
    /// Awaiting the city.
    pub submitted: u32,
    /// Accepted as cultivation targets.
    pub accepted: u32,
    /// Returned by the city.
    pub returned: u32,
}

/// What the registry counts in one county-level region (CountUnitsByRegion).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitCounts {
    pub region_code: String,
    pub units: u64,
    pub reserve_pool: u64,
    pub nominations_submitted: u64,
    pub nominations_accepted: u64,
    pub nominations_returned: u64,
    pub titled_units: u64,
}

/// A commendation by the province of a unit's pairing, for the unit's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitCommendation {
    /// "commendations/{id}" of the supervision service.
    pub name: String,
    /// The province's document, e.g. "豫文明办〔2022〕15号".
    pub document_number: String,
    /// What it commends.
    pub title: String,
    /// The day of the document.
    pub commended_on: Date,
    /// "pairings/{id}".
    pub pairing: String,
}

/// The registry, as another service asks it, always on behalf of its caller: the
/// registry applies the caller's own scope, so a unit or campaign outside it answers
/// NOT_FOUND here too (except [`Registry::helper`], which any office may ask of any
/// unit).
#[tonic::async_trait]
pub trait Registry: Send + Sync + std::fmt::Debug {
    /// The unit `name` ("units/{id}"); `field` is where the caller named it.
    async fn unit(
        &self,
        onward: &Onward,
        field: &str,
        name: &str,
    ) -> Result<UnitFacts, ClientError>;

    /// The campaign `name` ("campaigns/{id}").
    async fn campaign(
        &self,
        onward: &Onward,
        field: &str,
        name: &str,
    ) -> Result<CampaignFacts, ClientError>;

    /// The campaigns that belong to the provincial campaign `name`, as the caller sees
    /// them.
    async fn child_campaigns(
        &self,
        onward: &Onward,
        field: &str,
        name: &str,
    ) -> Result<Vec<CampaignFacts>, ClientError>;

    /// Whether the unit `name` can help in a pairing on `day`.
    async fn helper(
        &self,
        onward: &Onward,
        field: &str,
        name: &str,
        day: Date,
    ) -> Result<HelperFacts, ClientError>;

    /// Where each unit of `credit_codes` stands on `day`, in order: `None` where no
    /// unit the caller may see has the code. Sent [`STANDINGS_PER_CALL`] codes a call.
    async fn standings(
        &self,
        onward: &Onward,
        credit_codes: &[String],
        day: Date,
    ) -> Result<Vec<Option<Standing>>, ClientError>;

    /// Every campaign the caller may see.
    async fn campaigns(&self, onward: &Onward) -> Result<Vec<CampaignFacts>, ClientError>;

    /// The nominations of `campaign` the caller may see, tallied by county (counties
    /// that nominated nobody are absent), in county order.
    async fn nomination_tally(
        &self,
        onward: &Onward,
        campaign: &str,
    ) -> Result<Vec<NominationTally>, ClientError>;

    /// The counts of `region`'s subtree the caller may see, by county-level region
    /// (nominations of `campaign` only, if given; titles held on `day`).
    async fn unit_counts(
        &self,
        onward: &Onward,
        region: &str,
        campaign: Option<&str>,
        day: Date,
    ) -> Result<Vec<UnitCounts>, ClientError>;

    /// Puts `commendation` on the record of the unit `unit` ("units/{id}"), replacing
    /// one of the same document number: the province's call, so VerifyTitle shows it.
    async fn record_commendation(
        &self,
        onward: &Onward,
        unit: &str,
        commendation: &UnitCommendation,
    ) -> Result<(), ClientError>;
}

/// The registry over gRPC.
#[derive(Clone, Debug)]
pub struct GrpcRegistry {
    client: RegistryServiceClient<Upstream>,
    /// Longest a call may take, whatever the caller's deadline.
    timeout: Duration,
}

impl GrpcRegistry {
    /// The registry through `upstream`; each call takes at most `timeout`.
    pub fn new(upstream: Upstream, timeout: Duration) -> Self {
        Self {
            client: RegistryServiceClient::new(upstream),
            timeout,
        }
    }

    /// Every campaign the caller sees that belongs to `parent` ("": every campaign),
    /// page by page; `field` is where the caller named `parent`.
    async fn list_campaigns(
        &self,
        onward: &Onward,
        parent: &str,
        field: &str,
    ) -> Result<Vec<CampaignFacts>, ClientError> {
        let mut all = Vec::new();
        let mut page_token = String::new();
        loop {
            let mut client = self.client.clone();
            let page = onward
                .call(
                    pb::ListCampaignsRequest {
                        page_size: 100,
                        page_token: page_token.clone(),
                        parent_campaign: parent.to_owned(),
                    },
                    self.timeout,
                    |request| client.list_campaigns(request),
                )
                .await
                .map_err(|status| {
                    ClientError::from_status(&REGISTRY, status, &CAMPAIGN, field, parent)
                })?;
            for campaign in page.campaigns {
                all.push(campaign_facts(campaign)?);
            }
            if page.next_page_token.is_empty() {
                return Ok(all);
            }
            page_token = page.next_page_token;
        }
    }
}

#[tonic::async_trait]
impl Registry for GrpcRegistry {
    async fn unit(
        &self,
        onward: &Onward,
        field: &str,
        name: &str,
    ) -> Result<UnitFacts, ClientError> {
        let mut client = self.client.clone();
        let unit = onward
            .call(
                pb::GetUnitRequest {
                    name: name.to_owned(),
                },
                self.timeout,
                |request| client.get_unit(request),
            )
            .await
            .map_err(|status| ClientError::from_status(&REGISTRY, status, &UNIT, field, name))?;
        Ok(UnitFacts {
            name: unit.name,
            display_name: unit.display_name,
            credit_code: unit.credit_code,
            kind: kind_from_pb(unit.kind),
            region_code: unit.region_code,
            city_code: unit.city_code,
            active: unit.state == pb::UnitState::Active as i32,
            provincial_direct: unit.provincial_direct,
            base_level: unit.base_level,
        })
    }

    async fn campaign(
        &self,
        onward: &Onward,
        field: &str,
        name: &str,
    ) -> Result<CampaignFacts, ClientError> {
        let mut client = self.client.clone();
        let campaign = onward
            .call(
                pb::GetCampaignRequest {
                    name: name.to_owned(),
                },
                self.timeout,
                |request| client.get_campaign(request),
            )
            .await
            .map_err(|status| {
                ClientError::from_status(&REGISTRY, status, &CAMPAIGN, field, name)
            })?;
        campaign_facts(campaign)
    }

    async fn child_campaigns(
        &self,
        onward: &Onward,
        field: &str,
        name: &str,
    ) -> Result<Vec<CampaignFacts>, ClientError> {
        self.list_campaigns(onward, name, field).await
    }

    async fn helper(
        &self,
        onward: &Onward,
        field: &str,
        name: &str,
        day: Date,
    ) -> Result<HelperFacts, ClientError> {
        let mut client = self.client.clone();
        let facts = onward
            .call(
                pb::GetHelperEligibilityRequest {
                    unit: name.to_owned(),
                    credit_code: String::new(),
                    as_of: day.to_string(),
                },
                self.timeout,
                |request| client.get_helper_eligibility(request),
            )
            .await
            .map_err(|status| ClientError::from_status(&REGISTRY, status, &UNIT, field, name))?;
        Ok(HelperFacts {
            name: facts.unit,
            display_name: facts.unit_display_name,
            registered: facts.registered,
            helper_tiers: facts
                .helper_tiers
                .iter()
                .filter_map(|t| tier_from_pb(*t))
                .collect(),
        })
    }

    async fn standings(
        &self,
        onward: &Onward,
        credit_codes: &[String],
        day: Date,
    ) -> Result<Vec<Option<Standing>>, ClientError> {
        let mut standings = Vec::with_capacity(credit_codes.len());
        for codes in credit_codes.chunks(STANDINGS_PER_CALL) {
            let mut client = self.client.clone();
            let answer = onward
                .call(
                    pb::VerifyTitlesRequest {
                        credit_codes: codes.to_vec(),
                        as_of: day.to_string(),
                    },
                    self.timeout,
                    |request| client.verify_titles(request),
                )
                .await
                .map_err(|status| {
                    ClientError::from_status(&REGISTRY, status, &UNIT, "credit_codes", "")
                })?;
            if answer.results.len() != codes.len() {
                return Err(ClientError::Internal(format!(
                    "the registry answered {} of {} codes",
                    answer.results.len(),
                    codes.len()
                )));
            }
            standings.extend(answer.results.into_iter().map(standing));
        }
        Ok(standings)
    }

    async fn record_commendation(
        &self,
        onward: &Onward,
        unit: &str,
        commendation: &UnitCommendation,
    ) -> Result<(), ClientError> {
        let mut client = self.client.clone();
        onward
            .call(
                pb::RecordCommendationRequest {
                    unit: unit.to_owned(),
                    commendation: Some(pb::UnitCommendation {
                        name: commendation.name.clone(),
                        document_number: commendation.document_number.clone(),
                        title: commendation.title.clone(),
                        commended_on: commendation.commended_on.to_string(),
                        pairing: commendation.pairing.clone(),
                    }),
                },
                self.timeout,
                |request| client.record_commendation(request),
            )
            .await
            .map_err(|status| ClientError::from_status(&REGISTRY, status, &UNIT, "unit", unit))?;
        Ok(())
    }

    async fn campaigns(&self, onward: &Onward) -> Result<Vec<CampaignFacts>, ClientError> {
        self.list_campaigns(onward, "", "campaign").await
    }

    async fn nomination_tally(
        &self,
        onward: &Onward,
        campaign: &str,
    ) -> Result<Vec<NominationTally>, ClientError> {
        let mut by_county: std::collections::BTreeMap<String, NominationTally> =
            std::collections::BTreeMap::new();
        let mut page_token = String::new();
        loop {
            let mut client = self.client.clone();
            let page = onward
                .call(
                    pb::ListNominationsRequest {
                        page_size: 500,
                        page_token: page_token.clone(),
                        campaign: campaign.to_owned(),
                        ..Default::default()
                    },
                    self.timeout,
                    |request| client.list_nominations(request),
                )
                .await
                .map_err(|status| {
                    ClientError::from_status(&REGISTRY, status, &CAMPAIGN, "campaign", campaign)
                })?;
            for n in page.nominations {
                let tally =
                    by_county
                        .entry(n.county_code.clone())
                        .or_insert_with(|| NominationTally {
                            county: n.county_code.clone(),
                            ..NominationTally::default()
                        });
                match pb::NominationStatus::try_from(n.status) {
                    Ok(pb::NominationStatus::Submitted) => tally.submitted += 1,
                    Ok(pb::NominationStatus::Accepted) => tally.accepted += 1,
                    Ok(pb::NominationStatus::Returned) => tally.returned += 1,
                    _ => {}
                }
            }
            if page.next_page_token.is_empty() {
                return Ok(by_county.into_values().collect());
            }
            page_token = page.next_page_token;
        }
    }

    async fn unit_counts(
        &self,
        onward: &Onward,
        region: &str,
        campaign: Option<&str>,
        day: Date,
    ) -> Result<Vec<UnitCounts>, ClientError> {
        let mut client = self.client.clone();
        let answer = onward
            .call(
                pb::CountUnitsByRegionRequest {
                    region_code: region.to_owned(),
                    campaign: campaign.unwrap_or_default().to_owned(),
                    as_of: day.to_string(),
                },
                self.timeout,
                |request| client.count_units_by_region(request),
            )
            .await
            .map_err(|status| {
                ClientError::from_status(&REGISTRY, status, &CAMPAIGN, "campaign", "")
            })?;
        Ok(answer
            .counts
            .into_iter()
            .map(|c| UnitCounts {
                region_code: c.region_code,
                units: c.units,
                reserve_pool: c.reserve_pool,
                nominations_submitted: c.nominations_submitted,
                nominations_accepted: c.nominations_accepted,
                nominations_returned: c.nominations_returned,
                titled_units: c.titled_units,
            })
            .collect())
    }
}

fn standing(result: pb::VerifyTitlesResult) -> Option<Standing> {
    let answer = result.answer.filter(|_| result.found)?;
    Some(Standing {
        registered: answer.unit_state == pb::UnitState::Active as i32,
        tiers: answer
            .titles
            .iter()
            .filter_map(|t| tier_from_pb(t.tier))
            .collect(),
    })
}

fn optional_day(text: &str) -> Result<Option<Date>, ClientError> {
    match text {
        "" => Ok(None),
        text => Ok(Some(text.parse::<Date>().map_err(|err| {
            ClientError::Internal(format!("the registry sent a bad deadline: {err}"))
        })?)),
    }
}

fn campaign_facts(campaign: pb::Campaign) -> Result<CampaignFacts, ClientError> {
    let deadline = optional_day(&campaign.pairing_list_deadline)?;
    Ok(CampaignFacts {
        display_name: campaign.display_name.clone(),
        nomination_deadline: optional_day(&campaign.nomination_deadline)?,
        batch_min: campaign.batch_min,
        target_tiers: campaign
            .target_tiers
            .iter()
            .filter_map(|t| tier_from_pb(*t))
            .collect(),
        name: campaign.name,
        pairing_list_deadline: deadline,
        organising_region: campaign.organising_region_code,
        parent: (!campaign.parent_campaign.is_empty()).then_some(campaign.parent_campaign),
    })
}
