//! What the pairing service asks the registry, always with the caller's identity, trace
//! context and deadline ([`Onward`]): the registry applies the caller's own scope, so a
//! unit or campaign outside it answers NOT_FOUND here too.

use std::time::Duration;

use jiff::civil::Date;
use tonic::transport::Channel;
use tonic::{Code, Status};
use wenming_domain::{TitleTier, TitleValidity, UnitKind};
use wenming_proto::convert::{kind_from_pb, tier_from_pb};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_runtime::onward::Onward;

use crate::messages as msg;
use wenming_runtime::catalogue::Noun;

use crate::error::{PairingError, Result};

/// A unit as the pairing rules need it.
#[derive(Clone, Debug)]
pub struct UnitFacts {
    /// "units/{id}".
    pub name: String,
    /// Registered name.
    pub display_name: String,
    /// Ownership kind, if the registry knows it.
    pub kind: Option<UnitKind>,
    /// County-level region.
    pub region_code: String,
    /// City-level region.
    pub city_code: String,
    /// Whether the unit is registered and not deregistered.
    pub active: bool,
}

/// A campaign as the pairing rules need it.
#[derive(Clone, Debug)]
pub struct CampaignFacts {
    /// "campaigns/{id}".
    pub name: String,
    /// Last day for pairing lists, if the campaign sets one.
    pub pairing_list_deadline: Option<Date>,
}

/// The registry, reached through its gRPC client.
#[derive(Clone, Debug)]
pub struct Registry {
    client: RegistryServiceClient<Channel>,
    /// Longest a registry call may take, whatever the caller's deadline.
    timeout: Duration,
}

impl Registry {
    /// A registry on `channel`; each call takes at most `timeout`.
    pub fn new(channel: Channel, timeout: Duration) -> Self {
        Self {
            client: RegistryServiceClient::new(channel),
            timeout,
        }
    }

    /// The unit `name` ("units/{id}"), as the caller sees it.
    pub async fn unit(&self, onward: &Onward, field: &str, name: &str) -> Result<UnitFacts> {
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
            .map_err(|status| upstream(status, &msg::UNIT, field, name))?;
        Ok(UnitFacts {
            name: unit.name,
            display_name: unit.display_name,
            kind: kind_from_pb(unit.kind),
            region_code: unit.region_code,
            city_code: unit.city_code,
            active: unit.state == pb::UnitState::Active as i32,
        })
    }

    /// The campaign `name` ("campaigns/{id}"), as the caller sees it.
    pub async fn campaign(
        &self,
        onward: &Onward,
        field: &str,
        name: &str,
    ) -> Result<CampaignFacts> {
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
            .map_err(|status| upstream(status, &msg::CAMPAIGN, field, name))?;
        let deadline = match campaign.pairing_list_deadline.as_str() {
            "" => None,
            text => Some(text.parse::<Date>().map_err(|err| {
                PairingError::Internal(format!("registry sent a bad deadline: {err}"))
            })?),
        };
        Ok(CampaignFacts {
            name: campaign.name,
            pairing_list_deadline: deadline,
        })
    }

    /// Whether the unit `name` holds a title of `tier` on `day`.
    pub async fn holds_title(
        &self,
        onward: &Onward,
        name: &str,
        tier: TitleTier,
        day: Date,
    ) -> Result<bool> {
        let mut page_token = String::new();
        loop {
            let mut client = self.client.clone();
            let page = onward
                .call(
                    pb::ListTitlesRequest {
                        page_size: 100,
                        page_token: page_token.clone(),
                        unit: name.to_owned(),
                    },
                    self.timeout,
                    |request| client.list_titles(request),
                )
                .await
                .map_err(|status| upstream(status, &msg::UNIT, "pairing.helper.name", name))?;
            for title in &page.titles {
                if tier_from_pb(title.tier) == Some(tier) && validity(title)?.is_valid_on(day) {
                    return Ok(true);
                }
            }
            if page.next_page_token.is_empty() {
                return Ok(false);
            }
            page_token = page.next_page_token;
        }
    }
}

fn validity(title: &pb::Title) -> Result<TitleValidity> {
    let date = |text: &str| -> Result<Option<Date>> {
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|err| PairingError::Internal(format!("registry sent a bad date: {err}")))
    };
    Ok(TitleValidity {
        awarded_on: date(&title.awarded_on)?
            .ok_or_else(|| PairingError::Internal("registry sent a title without a date".into()))?,
        valid_until: date(&title.valid_until)?,
        revoked_on: date(&title.revoked_on)?,
    })
}

/// The registry's answer as this service's error: NOT_FOUND is the caller's (the
/// resource is absent or outside their scope); time and availability problems pass on
/// as UNAVAILABLE or DEADLINE_EXCEEDED; anything else is our fault.
fn upstream(status: Status, kind: &'static Noun, field: &str, name: &str) -> PairingError {
    match status.code() {
        Code::NotFound => PairingError::not_found(kind, name),
        Code::PermissionDenied => PairingError::denied(
            &msg::REGISTRY_REFUSES,
            "the registry refuses this caller the lookup",
        ),
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted => {
            PairingError::upstream(&msg::REGISTRY, status)
        }
        Code::InvalidArgument => PairingError::invalid(
            field,
            &msg::REGISTRY_REFUSED,
            format!("the registry refused '{name}': {}", status.message()),
        )
        .arg("value", name),
        _ => PairingError::Internal(format!(
            "registry answered {:?}: {}",
            status.code(),
            status.message()
        )),
    }
}
