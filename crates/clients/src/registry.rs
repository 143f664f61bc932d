//! What services ask the registry: unit facts, titles held on a day, campaigns.

use std::time::Duration;

use jiff::civil::Date;
use tonic::transport::Channel;
use wenming_domain::{TitleTier, UnitKind};
use wenming_proto::convert::{kind_from_pb, tier_from_pb};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_runtime::onward::Onward;

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
    /// Last day for pairing lists, if the campaign sets one.
    pub pairing_list_deadline: Option<Date>,
    /// The titles it cultivates units for.
    pub target_tiers: Vec<TitleTier>,
    /// The organising office's region code.
    pub organising_region: String,
    /// The provincial campaign it belongs to, "campaigns/{id}", if any.
    pub parent: Option<String>,
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
}

/// The registry over gRPC.
#[derive(Clone, Debug)]
pub struct GrpcRegistry {
    client: RegistryServiceClient<Channel>,
    /// Longest a call may take, whatever the caller's deadline.
    timeout: Duration,
}

impl GrpcRegistry {
    /// The registry on `channel`; each call takes at most `timeout`.
    pub fn new(channel: Channel, timeout: Duration) -> Self {
        Self {
            client: RegistryServiceClient::new(channel),
            timeout,
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
        let mut children = Vec::new();
        let mut page_token = String::new();
        loop {
            let mut client = self.client.clone();
            let page = onward
                .call(
                    pb::ListCampaignsRequest {
                        page_size: 100,
                        page_token: page_token.clone(),
                        parent_campaign: name.to_owned(),
                    },
                    self.timeout,
                    |request| client.list_campaigns(request),
                )
                .await
                .map_err(|status| {
                    ClientError::from_status(&REGISTRY, status, &CAMPAIGN, field, name)
                })?;
            for campaign in page.campaigns {
                children.push(campaign_facts(campaign)?);
            }
            if page.next_page_token.is_empty() {
                return Ok(children);
            }
            page_token = page.next_page_token;
        }
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

fn campaign_facts(campaign: pb::Campaign) -> Result<CampaignFacts, ClientError> {
    let deadline = match campaign.pairing_list_deadline.as_str() {
        "" => None,
        text => Some(text.parse::<Date>().map_err(|err| {
            ClientError::Internal(format!("the registry sent a bad deadline: {err}"))
        })?),
    };
    Ok(CampaignFacts {
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
