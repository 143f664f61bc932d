//! The pairing flow of the seed notice, end to end through the gateway with a bearer
//! token for each caller, on SQLite and PostgreSQL: a national civilised unit pairs with
//! a private company in 宝丰县; the helper sets a work plan with milestones; both write
//! the ledger; the city reports its pairing list before 1 May; a second pairing for the
//! same helper is refused.

use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt as _;
use wenming_proto::pairing::v1 as pp;
use wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient;
use wenming_proto::registry::v1 as rp;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_testkit::fixtures::{company, pingdingshan_campaign_pb};
use wenming_testkit::{TestDb, db_test};
use wenming_tests::{Bearer, Suite};

type Registry = RegistryServiceClient<InterceptedService<Channel, Bearer>>;
type Pairing = PairingServiceClient<InterceptedService<Channel, Bearer>>;

db_test!(a_national_civilised_unit_helps_a_company_in_baofeng, flow);
async fn flow(test_db: &TestDb) {
    // 2021-04-16, Shanghai.
    let suite = Suite::start(test_db, "2021-04-16T01:00:00Z".parse().unwrap()).await;
    let registry = |bearer: Bearer| -> Registry {
        RegistryServiceClient::with_interceptor(suite.gateway.clone(), bearer)
    };
    let pairing = |bearer: Bearer| -> Pairing {
        PairingServiceClient::with_interceptor(suite.gateway.clone(), bearer)
    };

    let campaign = registry(suite.office("city", "410400"))
        .create_campaign(rp::CreateCampaignRequest {
            campaign: Some(pingdingshan_campaign_pb()),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    let register = |bearer: Bearer, unit: rp::Unit| {
        let mut client = registry(bearer);
        async move {
            client
                .create_unit(rp::CreateUnitRequest {
                    unit: Some(unit),
                    request_id: String::new(),
                })
                .await
                .unwrap()
                .into_inner()
                .name
        }
    };
    let firm = register(
        suite.office("county", "410421"),
        company("宝丰县恒达耐材有限公司", "410421", 1),
    )
    .await;
    let second_firm = register(
        suite.office("county", "410421"),
        company("宝丰县金鼎机械有限公司", "410421", 2),
    )
    .await;
    // The helper: a state-owned enterprise of the city holding a national title.
    let helper = register(
        suite.office("city", "410400"),
        rp::Unit {
            kind: rp::UnitKind::StateOwnedEnterprise as i32,
            ..company("国网平顶山供电公司", "410402", 3)
        },
    )
    .await;
    registry(suite.office("province", "410000"))
        .award_title(rp::AwardTitleRequest {
            title: Some(rp::Title {
                unit: helper.clone(),
                tier: rp::TitleTier::National as i32,
                awarded_on: "2020-11-20".into(),
                document_number: "文明委〔2020〕6号".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();

    // The city arranges the pairing; the helper accepts it.
    let propose = |unit: &str| pp::CreatePairingRequest {
        pairing: Some(pp::Pairing {
            campaign: campaign.clone(),
            helper: Some(pp::Helper {
                kind: pp::HelperKind::NationalCivilisedUnit as i32,
                name: helper.clone(),
                display_name: String::new(),
            }),
            unit: unit.to_owned(),
            target_tier: wenming_proto::registry::v1::TitleTier::Provincial as i32,
            ..Default::default()
        }),
        request_id: format!("pair-{unit}"),
    };
    let proposed = pairing(suite.office("city", "410400"))
        .create_pairing(propose(&firm))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(proposed.state, pp::PairingState::Proposed as i32);
    assert_eq!(
        proposed.helper.as_ref().unwrap().display_name,
        "国网平顶山供电公司"
    );
    let active = pairing(suite.unit_user(&helper))
        .activate_pairing(pp::ActivatePairingRequest {
            name: proposed.name.clone(),
            reason: "已签订结对帮创协议".into(),
            etag: proposed.etag.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(active.state, pp::PairingState::Active as i32);

    // The creation work plan: milestones with a responsible person and a due date.
    let plan = pairing(suite.unit_user(&helper))
        .submit_work_plan(pp::SubmitWorkPlanRequest {
            pairing: proposed.name.clone(),
            work_plan: Some(pp::WorkPlan {
                summary: "围绕党建引领、诚信经营、志愿服务三方面开展帮创".into(),
                milestones: vec![
                    pp::Milestone {
                        title: "成立创建工作领导小组".into(),
                        responsible_person: "刘志强".into(),
                        due_date: "2021-05-15".into(),
                        completed_on: String::new(),
                    },
                    pp::Milestone {
                        title: "建成企业道德讲堂".into(),
                        responsible_person: "陈晓燕".into(),
                        due_date: "2021-09-30".into(),
                        completed_on: String::new(),
                    },
                ],
                ..Default::default()
            }),
            base_version: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plan.version, 1);
    let read = pairing(suite.unit_user(&firm))
        .get_work_plan(pp::GetWorkPlanRequest {
            pairing: proposed.name.clone(),
            version: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.milestones.len(), 2);
    assert_eq!(read.milestones[1].responsible_person, "陈晓燕");

    // The ledger: the helper and the company each record what was done.
    for (bearer, category, text) in [
        (
            suite.unit_user(&helper),
            pp::LedgerCategory::Training,
            "供电公司讲师为企业员工讲授安全与文明礼仪",
        ),
        (
            suite.unit_user(&firm),
            pp::LedgerCategory::VolunteerService,
            "企业志愿者参加宝丰县文明交通劝导",
        ),
    ] {
        pairing(bearer)
            .add_ledger_entry(pp::AddLedgerEntryRequest {
                pairing: proposed.name.clone(),
                entry: Some(pp::LedgerEntry {
                    date: "2021-04-16".into(),
                    category: category as i32,
                    description: text.into(),
                    participants: vec!["恒达耐材职工".into()],
                    evidence: vec!["照片档案 2021-04-16".into()],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap();
    }
    let ledger = pairing(suite.office("county", "410421"))
        .list_ledger_entries(pp::ListLedgerEntriesRequest {
            pairing: proposed.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(
        ledger.len(),
        2,
        "the county above the company reads the ledger"
    );

    // A second pairing for the same helper is refused.
    let err = pairing(suite.office("city", "410400"))
        .create_pairing(propose(&second_firm))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    let rule: Vec<String> = err
        .get_details_precondition_failure()
        .map(|p| p.violations.into_iter().map(|v| v.r#type).collect())
        .unwrap_or_default();
    assert_eq!(rule, ["pairing.one_to_one"]);

    // The city reports its list on 28 April, before the 1 May deadline.
    suite.clock.set("2021-04-28T02:00:00Z".parse().unwrap());
    let list_name = format!("{campaign}/pairingLists/410400");
    let list = pairing(suite.office("city", "410400"))
        .report_pairing_list(pp::ReportPairingListRequest {
            name: list_name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.state, pp::PairingListState::Reported as i32);
    assert_eq!(list.pairing_count, 1);
    assert!(!list.late);
    let seen = pairing(suite.office("province", "410000"))
        .list_pairing_lists(pp::ListPairingListsRequest {
            campaign: campaign.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .pairing_lists;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].name, list_name);

    // Outside: another city does not see the pairing; a platform may not ask.
    let err = pairing(suite.office("city", "410100"))
        .get_pairing(pp::GetPairingRequest {
            name: proposed.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = pairing(suite.platform("tax"))
        .list_pairings(pp::ListPairingsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}
