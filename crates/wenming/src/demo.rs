//! Demo data: the 2021 Pingdingshan campaign of the seed notice (平文明办〔2021〕11号)
//! and a few non-public units in 宝丰县, loaded through the API so every rule applies.
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

/// Loads the demo data into the suite at `addr`.
pub async fn load(addr: SocketAddr, key: &IdentityKey) -> CliResult {
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let mut city = client(channel.clone(), key, AdminLevel::City, "410400")?;
    city.create_campaign(pb::CreateCampaignRequest {
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
    .await?;
    let mut county = client(channel, key, AdminLevel::County, "410421")?;
    for (i, (name, body)) in DEMO_UNITS.iter().enumerate() {
        let kind = if name.ends_with("协会") {
            pb::UnitKind::SocialOrganisation
        } else {
            pb::UnitKind::PrivateEnterprise
        };
        county
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
    }
    tracing::info!("demo data loaded: the 2021 Pingdingshan campaign and 5 units in 宝丰县");
    Ok(())
}
