//! Demo data of the registry (`wenming up --demo`): the province's 2021 campaign
//! (豫文明办〔2021〕5号, pairing lists due 1 May) and the Pingdingshan campaign of the seed
//! notice (平文明办〔2021〕11号) that belongs to it, five non-public units in 宝丰县, a
//! national civilised unit of the city and three provincial-direct enterprises in
//! 郑州, loaded through the API so every rule applies.
//! Idempotent: fixed request ids make a second load return the first one's records.

use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_authz::{IdentityKey, Principal};
use wenming_domain::{AdminLevel, CreditCode, RegionCode};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_runtime::client::AsPrincipal;
use wenming_runtime::service::{BoxError, DemoContext};

type Client = RegistryServiceClient<InterceptedService<Channel, AsPrincipal>>;

/// The demo campaign's founding document.
pub const CAMPAIGN_DOCUMENT: &str = "平文明办〔2021〕11号";

/// The demo's first company (the one the pairing service's demo pairs).
pub const FIRST_COMPANY: &str = "平顶山宝丰示范耐材有限公司";

/// The provincial campaign's founding document.
pub const PROVINCIAL_DOCUMENT: &str = "豫文明办〔2021〕5号";

/// The demo's provincial-direct enterprises (省直), in 郑州市中原区.
const PROVINCIAL_DIRECT_UNITS: [(&str, &str); 3] = [
    ("河南省直示范实业有限公司", "00000011"),
    ("河南省直示范物流有限公司", "00000012"),
    ("河南省直示范科技有限公司", "00000013"),
];

/// The demo's national civilised unit.
pub const NATIONAL_UNIT: &str = "平顶山市第一人民医院";

const DEMO_UNITS: [(&str, &str); 5] = [
    (FIRST_COMPANY, "00000001"),
    ("宝丰县汝瓷文化发展有限公司", "00000002"),
    ("宝丰县商贸物流有限公司", "00000003"),
    ("宝丰县志愿者协会", "00000004"),
    ("宝丰县新材料科技有限公司", "00000005"),
];

fn client(
    channel: Channel,
    key: &IdentityKey,
    level: AdminLevel,
    region: &str,
) -> Result<Client, BoxError> {
    let region = RegionCode::parse(region)?;
    let principal = Principal::office(format!("demo-{region}"), level, region);
    Ok(RegistryServiceClient::with_interceptor(
        channel,
        AsPrincipal::new(key, principal),
    ))
}

/// Loads the registry's demo data.
pub async fn load(context: &DemoContext) -> Result<(), BoxError> {
    let channel = context.channel(crate::SERVICE.name).await?;
    let key = &context.key;
    let henan = client(channel.clone(), key, AdminLevel::Province, "410000")?
        .create_campaign(pb::CreateCampaignRequest {
            campaign: Some(pb::Campaign {
                display_name: "2021年全省非公单位文明单位创建".into(),
                document_number: PROVINCIAL_DOCUMENT.into(),
                nomination_deadline: "2021-04-30".into(),
                pairing_list_deadline: "2021-05-01".into(),
                target_tiers: vec![
                    pb::TitleTier::Provincial as i32,
                    pb::TitleTier::ProvincialModel as i32,
                ],
                ..Default::default()
            }),
            request_id: "demo-henan-2021".into(),
        })
        .await?
        .into_inner();
    let mut city = client(channel.clone(), key, AdminLevel::City, "410400")?;
    city.create_campaign(pb::CreateCampaignRequest {
        campaign: Some(pb::Campaign {
            display_name: "2021年非公单位文明单位创建".into(),
            document_number: CAMPAIGN_DOCUMENT.into(),
            nomination_deadline: "2021-04-20".into(),
            // The pairing-list deadline is the province's.
            parent_campaign: henan.name,
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
    let mut county = client(channel.clone(), key, AdminLevel::County, "410421")?;
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
    let mut direct = RegistryServiceClient::with_interceptor(
        channel.clone(),
        AsPrincipal::new(key, Principal::provincial_direct("demo-provincial-direct")),
    );
    for (i, (name, body)) in PROVINCIAL_DIRECT_UNITS.iter().enumerate() {
        direct
            .create_unit(pb::CreateUnitRequest {
                unit: Some(pb::Unit {
                    display_name: (*name).into(),
                    credit_code: CreditCode::complete(&format!("91410102{body}"))?
                        .as_str()
                        .into(),
                    region_code: "410102".into(),
                    kind: pb::UnitKind::PrivateEnterprise as i32,
                    provincial_direct: true,
                    ..Default::default()
                }),
                request_id: format!("demo-direct-unit-{i}"),
            })
            .await?;
    }
    national_civilised_unit(&mut city, channel, key).await?;
    tracing::info!(
        "registry demo data loaded: the province's and Pingdingshan's 2021 campaigns, 5 units \
         in 宝丰县, a national civilised unit of the city and 3 provincial-direct enterprises"
    );
    Ok(())
}

/// A city hospital holding a national title (recorded by the province).
async fn national_civilised_unit(
    city: &mut Client,
    channel: Channel,
    key: &IdentityKey,
) -> Result<(), BoxError> {
    let hospital = city
        .create_unit(pb::CreateUnitRequest {
            unit: Some(pb::Unit {
                display_name: NATIONAL_UNIT.into(),
                credit_code: CreditCode::complete("12410402A0000001")?.as_str().into(),
                region_code: "410402".into(),
                kind: pb::UnitKind::PublicInstitution as i32,
                ..Default::default()
            }),
            request_id: "demo-unit-hospital".into(),
        })
        .await?
        .into_inner();
    // Awarded on 1 January of last year, so that whenever the demo runs the title is
    // within its term (3 years by default) and the hospital can help.
    let year = wenming_domain::today_in_china(jiff::Timestamp::now()).year() - 1;
    client(channel, key, AdminLevel::Province, "410000")?
        .award_title(pb::AwardTitleRequest {
            title: Some(pb::Title {
                unit: hospital.name.clone(),
                tier: pb::TitleTier::National as i32,
                awarded_on: format!("{year}-01-01"),
                document_number: format!("文明委〔{year}〕1号"),
                ..Default::default()
            }),
            request_id: "demo-title-hospital".into(),
        })
        .await?;
    Ok(())
}
