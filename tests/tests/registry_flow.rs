//! The registry flow of the seed notice, over gRPC, on SQLite and PostgreSQL:
//! register → reserve pool → a county nominates 3 to 5 → the city accepts → the province
//! awards → an e-government platform verifies the title.

use std::sync::Arc;

use tokio::net::TcpListener;
use tonic::transport::Channel;
use wenming_authz::{IdentityKey, IdentityVerifier, Principal};
use wenming_domain::{AdminLevel, CreditCode, FixedClock, RegionCode};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_runtime::ServerSettings;
use wenming_runtime::client::AsPrincipal;
use wenming_testkit::{TestDb, db_test};

type Client =
    RegistryServiceClient<tonic::service::interceptor::InterceptedService<Channel, AsPrincipal>>;

fn office(level: AdminLevel, code: &str) -> Principal {
    Principal::office(
        format!("office-{code}"),
        level,
        RegionCode::parse(code).unwrap(),
    )
}

db_test!(register_nominate_award_verify, flow);
async fn flow(test_db: &TestDb) {
    let db = test_db.open(&wenming_registry::MIGRATOR).await;
    let key = IdentityKey::generate();
    // 2021-04-16, Shanghai: inside the nomination window.
    let clock = Arc::new(FixedClock::new("2021-04-16T01:00:00Z".parse().unwrap()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn({
        let clock = clock.clone();
        let verifier = IdentityVerifier::new(&key);
        async move {
            wenming_registry::serve(
                listener,
                db,
                clock,
                verifier,
                &ServerSettings::default(),
                async {
                    let _ = stopped.await;
                },
            )
            .await
        }
    });
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let client = |p: Principal| -> Client {
        RegistryServiceClient::with_interceptor(channel.clone(), AsPrincipal::new(&key, p))
    };
    let mut county = client(office(AdminLevel::County, "410421"));
    let mut city = client(office(AdminLevel::City, "410400"));
    let mut province = client(office(AdminLevel::Province, "410000"));
    let mut platform = client(Principal::platform("bidding-platform", "bidding"));

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
        })
        .await
        .unwrap()
        .into_inner()
        .nominations;
    assert_eq!(nominated.len(), 4);

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

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
