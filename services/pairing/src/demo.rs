//! Demo data of the pairing service (`wenming up --demo`): the city pairs the national
//! civilised unit of the registry's demo with its first company, in the demo campaign.
//! Idempotent: a fixed request id makes a second load return the first pairing.

use tonic::transport::Channel;
use wenming_authz::{IdentityKey, Principal};
use wenming_domain::{AdminLevel, RegionCode};
use wenming_proto::pairing::v1 as pp;
use wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient;
use wenming_proto::registry::v1 as rp;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_runtime::client::AsPrincipal;
use wenming_runtime::service::{BoxError, DemoContext};

/// What the registry's demo loaded, as the pairing demo finds it.
const CAMPAIGN_DOCUMENT: &str = "平文明办〔2021〕11号";
const COMPANY: &str = "平顶山宝丰示范耐材有限公司";
const NATIONAL_UNIT: &str = "平顶山市第一人民医院";

fn city(key: &IdentityKey) -> Result<AsPrincipal, BoxError> {
    let region = RegionCode::parse("410400")?;
    Ok(AsPrincipal::new(
        key,
        Principal::office(format!("demo-{region}"), AdminLevel::City, region),
    ))
}

/// Loads the pairing demo data (after the registry's).
pub async fn load(context: &DemoContext) -> Result<(), BoxError> {
    let registry = context.channel("registry").await?;
    let campaign = demo_campaign(registry.clone(), &context.key).await?;
    let company = unit_named(registry.clone(), &context.key, COMPANY).await?;
    let helper = unit_named(registry, &context.key, NATIONAL_UNIT).await?;
    let pairing = context.channel(crate::SERVICE.name).await?;
    PairingServiceClient::with_interceptor(pairing, city(&context.key)?)
        .create_pairing(pp::CreatePairingRequest {
            pairing: Some(pp::Pairing {
                campaign,
                helper: Some(pp::Helper {
                    kind: pp::HelperKind::NationalCivilisedUnit as i32,
                    name: helper,
                    display_name: String::new(),
                }),
                unit: company,
                target_tier: rp::TitleTier::Provincial as i32,
                ..Default::default()
            }),
            request_id: "demo-pairing-1".into(),
        })
        .await?;
    tracing::info!("pairing demo data loaded: {NATIONAL_UNIT} helps {COMPANY}");
    Ok(())
}

async fn demo_campaign(registry: Channel, key: &IdentityKey) -> Result<String, BoxError> {
    let mut client = RegistryServiceClient::with_interceptor(registry, city(key)?);
    let mut page_token = String::new();
    loop {
        let page = client
            .list_campaigns(rp::ListCampaignsRequest {
                page_size: 100,
                page_token,
                parent_campaign: String::new(),
            })
            .await?
            .into_inner();
        if let Some(found) = page
            .campaigns
            .into_iter()
            .find(|c| c.document_number == CAMPAIGN_DOCUMENT)
        {
            return Ok(found.name);
        }
        if page.next_page_token.is_empty() {
            return Err(format!("the registry has no campaign {CAMPAIGN_DOCUMENT}").into());
        }
        page_token = page.next_page_token;
    }
}

async fn unit_named(registry: Channel, key: &IdentityKey, name: &str) -> Result<String, BoxError> {
    let units = RegistryServiceClient::with_interceptor(registry, city(key)?)
        .list_units(rp::ListUnitsRequest {
            name_contains: name.to_owned(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .units;
    units
        .into_iter()
        .find(|u| u.display_name == name)
        .map(|u| u.name)
        .ok_or_else(|| format!("the registry has no unit {name}").into())
}
