//! Demo data: the 2021 Pingdingshan campaign of the seed notice (平文明办〔2021〕11号),
//! a few non-public units in 宝丰县, and a national civilised unit of the city paired with
//! the first of them, loaded through the API so every rule applies.
//! Idempotent: fixed request ids make a second load return the first one's records.

use std::net::SocketAddr;

use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_authz::{IdentityKey, Principal};
use wenming_domain::{AdminLevel, CreditCode, RegionCode};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_runtime::client::AsPrincipal;

use crate::cli::CliResult;

type Client = RegistryServiceClient<InterceptedService<Channel, AsPrincipal>>;

fn client(
    channel: Channel,
    key: &IdentityKey,
    level: AdminLevel,
    region: &str,
) -> CliResult<Client> {
    let region = RegionCode::parse(region)?;
    let principal = Principal::office(format!("demo-{region}"), level, region);
    Ok(RegistryServiceClient::with_interceptor(
        channel,
        AsPrincipal::new(key, principal),
    ))
}

const DEMO_UNITS: [(&str, &str); 5] = [
    ("平顶山宝丰示范耐材有限公司", "00000001"),
    ("宝丰县汝瓷文化发展有限公司", "00000002"),
    ("宝丰县商贸物流有限公司", "00000003"),
    ("宝丰县志愿者协会", "00000004"),
    ("宝丰县新材料科技有限公司", "00000005"),
];

/// Loads the demo data into the registry at `addr` and the pairing service at `pairing`.
pub async fn load(addr: SocketAddr, pairing: SocketAddr, key: &IdentityKey) -> CliResult {
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let mut city = client(channel.clone(), key, AdminLevel::City, "410400")?;
    let campaign = city
        .create_campaign(pb::CreateCampaignRequest {
            campaign: Some(pb::Campaign {
                display_name: "2021年非公单位文明单位创建".into(),
                document_number: "平文明办〔2021〕11号".into(),
                nomination_deadline: "2021-04-20".into(),
                pairing_list_deadline: "2021-05-01".into(),
                batch_min: 3,
                batch_max: 5,
                target_tiers: vec![
                    pb::TitleTier::City as i32,
                    pb::TitleTier::Provincial as i32,
                    pb::TitleTier::ProvincialModel as i32,
                ],
                ..Default::default()
            }),
            request_id: "demo-pingdingshan-2021".into(),
        })
        .await?
        .into_inner();
    let mut county = client(channel.clone(), key, AdminLevel::County, "410421")?;
    let mut companies = Vec::new();
    for (i, (name, body)) in DEMO_UNITS.iter().enumerate() {
        let kind = if name.ends_with("协会") {
            pb::UnitKind::SocialOrganisation
        } else {
            pb::UnitKind::PrivateEnterprise
        };
        let unit = county
            .create_unit(pb::CreateUnitRequest {
                unit: Some(pb::Unit {
                    display_name: (*name).into(),
                    credit_code: CreditCode::complete(&format!("91410421{body}"))?
                        .as_str()
                        .into(),
                    region_code: "410421".into(),
                    kind: kind as i32,
                    ..Default::default()
                }),
                request_id: format!("demo-unit-{i}"),
            })
            .await?;
        companies.push(unit.into_inner().name);
    }
    let helper = national_civilised_unit(&mut city, channel, key).await?;
    pair(pairing, key, &campaign.name, &helper, &companies[0]).await?;
    tracing::info!(
        "demo data loaded: the 2021 Pingdingshan campaign, 5 units in 宝丰县, and a national \
         civilised unit of the city paired with the first"
    );
    Ok(())
}

/// A city hospital holding a national title (awarded by the province).
async fn national_civilised_unit(
    city: &mut Client,
    channel: Channel,
    key: &IdentityKey,
) -> CliResult<String> {
    let hospital = city
        .create_unit(pb::CreateUnitRequest {
            unit: Some(pb::Unit {
                display_name: "平顶山市第一人民医院".into(),
                credit_code: CreditCode::complete("12410402A0000001")?.as_str().into(),
                region_code: "410402".into(),
                kind: pb::UnitKind::PublicInstitution as i32,
                ..Default::default()
            }),
            request_id: "demo-unit-hospital".into(),
        })
        .await?
        .into_inner();
    client(channel, key, AdminLevel::Province, "410000")?
        .award_title(pb::AwardTitleRequest {
            title: Some(pb::Title {
                unit: hospital.name.clone(),
                tier: pb::TitleTier::National as i32,
                awarded_on: "2020-11-20".into(),
                document_number: "文明委〔2020〕6号".into(),
                ..Default::default()
            }),
            request_id: "demo-title-hospital".into(),
        })
        .await?;
    Ok(hospital.name)
}

/// The city pairs `helper` with `unit`.
async fn pair(
    addr: SocketAddr,
    key: &IdentityKey,
    campaign: &str,
    helper: &str,
    unit: &str,
) -> CliResult {
    use wenming_proto::pairing::v1 as pp;
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let region = RegionCode::parse("410400")?;
    let principal = Principal::office(format!("demo-{region}"), AdminLevel::City, region);
    pp::pairing_service_client::PairingServiceClient::with_interceptor(
        channel,
        AsPrincipal::new(key, principal),
    )
    .create_pairing(pp::CreatePairingRequest {
        pairing: Some(pp::Pairing {
            campaign: campaign.to_owned(),
            helper: Some(pp::Helper {
                kind: pp::HelperKind::NationalCivilisedUnit as i32,
                name: helper.to_owned(),
                display_name: String::new(),
            }),
            unit: unit.to_owned(),
            ..Default::default()
        }),
        request_id: "demo-pairing-1".into(),
    })
    .await?;
    Ok(())
}
