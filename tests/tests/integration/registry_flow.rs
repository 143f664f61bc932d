//! The registry flow of the seed notice, through the gateway with a bearer token for
//! each level, on SQLite and PostgreSQL:
//! register → reserve pool → a county nominates 3 to 5 → the city accepts → the province
//! awards → an e-government platform verifies the title.

use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_domain::CreditCode;
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_testkit::{TestDb, db_test};
use wenming_tests::{Bearer, Suite};

type Client = RegistryServiceClient<InterceptedService<Channel, Bearer>>;

db_test!(register_nominate_award_verify, flow);
async fn flow(test_db: &TestDb) {
    // 2021-04-16, Shanghai: inside the nomination window.
    let suite = Suite::start(test_db, "2021-04-16T01:00:00Z".parse().unwrap()).await;
    let clock = suite.clock.clone();
    let client = |bearer: Bearer| -> Client {
        RegistryServiceClient::with_interceptor(suite.gateway.clone(), bearer)
    };
    let mut county = client(suite.office("county", "410421"));
    let mut city = client(suite.office("city", "410400"));
    let mut province = client(suite.office("province", "410000"));
    let mut platform = client(suite.platform("bidding-platform"));

    let campaign = city
        .create_campaign(pb::CreateCampaignRequest {
            campaign: Some(pb::Campaign {
                display_name: "2021年非公单位文明单位创建".into(),
                document_number: "平文明办〔2021〕11号".into(),
                nomination_deadline: "2021-04-20".into(),
                pairing_list_deadline: "2021-05-01".into(),
                ..Default::default()
            }),
            request_id: "campaign-2021".into(),
        })
        .await
        .unwrap()
        .into_inner();

    // The county registers four private companies and pools them.
    let mut units = Vec::new();
    for n in 1..=4u32 {
        let unit = county
            .create_unit(pb::CreateUnitRequest {
                unit: Some(pb::Unit {
                    display_name: format!("宝丰县第{n}民营企业有限公司"),
                    credit_code: CreditCode::complete(&format!("91410421{n:08}"))
                        .unwrap()
                        .as_str()
                        .into(),
                    region_code: "410421".into(),
                    kind: pb::UnitKind::PrivateEnterprise as i32,
                    ..Default::default()
                }),
                request_id: format!("unit-{n}"),
            })
            .await
            .unwrap()
            .into_inner();
        county
            .add_to_reserve_pool(pb::AddToReservePoolRequest {
                unit: unit.name.clone(),
                reason: "规模以上民营企业，党支部健全".into(),
                target_tier: pb::TitleTier::Provincial as i32,
            })
            .await
            .unwrap();
        units.push(unit);
    }

    // Nominate all four (3 to 5 allowed).
    let nominated = county
        .submit_nominations(pb::SubmitNominationsRequest {
            campaign: campaign.name.clone(),
            units: units.iter().map(|u| u.name.clone()).collect(),
            request_id: "nominations-2021".into(),
            target_tier: pb::TitleTier::Provincial as i32,
        })
        .await
        .unwrap()
        .into_inner()
        .nominations;
    assert_eq!(nominated.len(), 4);
    assert!(
        nominated
            .iter()
            .all(|n| n.target_tier == pb::TitleTier::Provincial as i32)
    );

    // The city accepts the first; the accepted unit is listed as a cultivation target.
    let accepted = city
        .decide_nomination(pb::DecideNominationRequest {
            name: nominated[0].name.clone(),
            decision: pb::NominationDecision::Accept as i32,
            reason: String::new(),
            etag: nominated[0].etag.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.status, pb::NominationStatus::Accepted as i32);
    let targets = city
        .list_units(pb::ListUnitsRequest {
            nomination_status: pb::NominationStatus::Accepted as i32,
            campaign: campaign.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(targets.units.len(), 1);
    assert_eq!(targets.units[0].name, units[0].name);

    // Two years on, the province awards the provincial title.
    clock.set("2023-01-20T02:00:00Z".parse().unwrap());
    province
        .award_title(pb::AwardTitleRequest {
            title: Some(pb::Title {
                unit: units[0].name.clone(),
                tier: pb::TitleTier::Provincial as i32,
                awarded_on: "2023-01-18".into(),
                valid_until: "2026-01-18".into(),
                document_number: "豫文明〔2023〕2号".into(),
                ..Default::default()
            }),
            request_id: "award-2023".into(),
        })
        .await
        .unwrap();

    // A bidding platform verifies by credit code; "today" comes from the clock.
    let verified = platform
        .verify_title(pb::VerifyTitleRequest {
            credit_code: units[0].credit_code.clone(),
            as_of: String::new(),
            attest: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(verified.as_of, "2023-01-20");
    assert_eq!(verified.unit_display_name, "宝丰县第1民营企业有限公司");
    assert_eq!(verified.titles.len(), 1);
    assert_eq!(verified.titles[0].tier, pb::TitleTier::Provincial as i32);
    let other = platform
        .verify_title(pb::VerifyTitleRequest {
            credit_code: units[1].credit_code.clone(),
            as_of: String::new(),
            attest: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(other.titles.is_empty());

    // The platform reads nothing else.
    let denied = platform
        .get_unit(pb::GetUnitRequest {
            name: units[0].name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);

    // A county may not award; a unit's own user reads its titles but not other units.
    let err = county
        .award_title(pb::AwardTitleRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    let unit_id = units[0].name.trim_start_matches("units/");
    let mut own = client(suite.bearer(&suite.token("unit", None, Some(unit_id), None)));
    let titles = own
        .list_titles(pb::ListTitlesRequest {
            unit: units[0].name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(titles.titles.len(), 1);
    let err = own
        .get_unit(pb::GetUnitRequest {
            name: units[1].name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
}
