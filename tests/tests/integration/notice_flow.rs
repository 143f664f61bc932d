//! The notice's flow end to end through the gateway, on SQLite and PostgreSQL, for a
//! Pingdingshan company and for a provincial-direct one: the province sets the
//! pairing-list deadline once; the county nominates to the city; each company is paired
//! with a titled helper from another county; the lists are reported; the province reads
//! every office's list in one call, the offices that have not reported among them.

use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_proto::pairing::v1 as pp;
use wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient;
use wenming_proto::registry::v1 as rp;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_testkit::fixtures::{company, henan_campaign_pb, pingdingshan_campaign_pb};
use wenming_testkit::{TestDb, db_test};
use wenming_tests::{Bearer, Suite};

type Registry = RegistryServiceClient<InterceptedService<Channel, Bearer>>;
type Pairing = PairingServiceClient<InterceptedService<Channel, Bearer>>;

const BAOFENG: &str = "410421";
const YEXIAN: &str = "410422";
const ZHONGYUAN: &str = "410102";

struct Flow {
    suite: Suite,
}

impl Flow {
    fn registry(&self, bearer: Bearer) -> Registry {
        RegistryServiceClient::with_interceptor(self.suite.gateway.clone(), bearer)
    }

    fn pairing(&self, bearer: Bearer) -> Pairing {
        PairingServiceClient::with_interceptor(self.suite.gateway.clone(), bearer)
    }

    fn province(&self) -> Bearer {
        self.suite.office("province", "410000")
    }

    async fn register(&self, bearer: Bearer, unit: rp::Unit) -> String {
        self.registry(bearer)
            .create_unit(rp::CreateUnitRequest {
                unit: Some(unit),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .name
    }

    /// A public institution of `county` holding `tier`, recorded by the province.
    async fn titled(&self, name: &str, county: &str, n: u32, tier: rp::TitleTier) -> String {
        let unit = self
            .register(
                self.suite.office("county", county),
                rp::Unit {
                    kind: rp::UnitKind::PublicInstitution as i32,
                    ..company(name, county, n)
                },
            )
            .await;
        self.registry(self.province())
            .award_title(rp::AwardTitleRequest {
                title: Some(rp::Title {
                    unit: unit.clone(),
                    tier: tier as i32,
                    awarded_on: "2020-11-20".into(),
                    document_number: "文明委〔2020〕6号".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap();
        unit
    }

    async fn campaign(&self, bearer: Bearer, campaign: rp::Campaign) -> rp::Campaign {
        self.registry(bearer)
            .create_campaign(rp::CreateCampaignRequest {
                campaign: Some(campaign),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
    }

    async fn pair(
        &self,
        bearer: Bearer,
        campaign: &str,
        kind: pp::HelperKind,
        helper: &str,
        unit: &str,
    ) -> pp::Pairing {
        self.pairing(bearer)
            .create_pairing(pp::CreatePairingRequest {
                pairing: Some(pp::Pairing {
                    campaign: campaign.into(),
                    helper: Some(pp::Helper {
                        kind: kind as i32,
                        name: helper.into(),
                        display_name: String::new(),
                    }),
                    unit: unit.into(),
                    target_tier: rp::TitleTier::Provincial as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
    }

    async fn report(&self, bearer: Bearer, campaign: &str, office: &str) -> pp::PairingList {
        self.pairing(bearer)
            .report_pairing_list(pp::ReportPairingListRequest {
                name: format!("{campaign}/pairingLists/{office}"),
            })
            .await
            .unwrap()
            .into_inner()
    }
}

db_test!(
    the_notice_runs_end_to_end_and_the_province_sees_every_list,
    flow_body
);
async fn flow_body(test_db: &TestDb) {
    let flow = Flow {
        suite: Suite::start(test_db, "2021-04-16T01:00:00Z".parse().unwrap()).await,
    };
    let henan = flow.campaign(flow.province(), henan_campaign_pb()).await;
    let city = flow.suite.office("city", "410400");
    let pingdingshan = flow
        .campaign(
            city.clone(),
            rp::Campaign {
                parent_campaign: henan.name.clone(),
                pairing_list_deadline: String::new(),
                ..pingdingshan_campaign_pb()
            },
        )
        .await;
    assert_eq!(pingdingshan.pairing_list_deadline, "2021-05-01");

    // Pingdingshan: 宝丰县 nominates its companies to the city…
    let county = flow.suite.office("county", BAOFENG);
    let mut companies = Vec::new();
    for n in 1..=3 {
        companies.push(
            flow.register(
                county.clone(),
                company(&format!("宝丰县企业{n}"), BAOFENG, n),
            )
            .await,
        );
    }
    let nominated = flow
        .registry(county.clone())
        .submit_nominations(rp::SubmitNominationsRequest {
            campaign: pingdingshan.name.clone(),
            units: companies.clone(),
            request_id: String::new(),
            target_tier: rp::TitleTier::Provincial as i32,
        })
        .await
        .unwrap()
        .into_inner()
        .nominations;
    assert_eq!(nominated.len(), 3);
    // …and pairs one with a national civilised unit of 叶县, another county, which it
    // finds by credit code.
    let hospital = flow
        .titled("叶县人民医院", YEXIAN, 10, rp::TitleTier::National)
        .await;
    let hospital_code = wenming_testkit::fixtures::credit_code(YEXIAN, 10);
    let eligible = flow
        .registry(county.clone())
        .get_helper_eligibility(rp::GetHelperEligibilityRequest {
            credit_code: hospital_code,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(eligible.unit, hospital);
    assert_eq!(eligible.helper_tiers, [rp::TitleTier::National as i32]);
    let pairing = flow
        .pair(
            county.clone(),
            &pingdingshan.name,
            pp::HelperKind::NationalCivilisedUnit,
            &eligible.unit,
            &companies[0],
        )
        .await;
    assert_eq!(pairing.helper.unwrap().display_name, "叶县人民医院");
    flow.report(county.clone(), &pingdingshan.name, BAOFENG)
        .await;
    flow.report(city.clone(), &pingdingshan.name, "410400")
        .await;

    // The provincial-direct office: its company in 中原区 (郑州), nominated to the
    // province, paired with a provincial model unit of 宝丰县.
    let direct = flow.suite.provincial_direct();
    let mut direct_units = Vec::new();
    for n in 20..=22 {
        direct_units.push(
            flow.register(
                direct.clone(),
                company(&format!("河南省某省属企业{n}"), ZHONGYUAN, n),
            )
            .await,
        );
    }
    flow.registry(direct.clone())
        .submit_nominations(rp::SubmitNominationsRequest {
            campaign: henan.name.clone(),
            units: direct_units.clone(),
            request_id: String::new(),
            target_tier: rp::TitleTier::Provincial as i32,
        })
        .await
        .unwrap();
    let model = flow
        .titled(
            "宝丰县某标兵单位",
            BAOFENG,
            30,
            rp::TitleTier::ProvincialModel,
        )
        .await;
    flow.pair(
        direct.clone(),
        &henan.name,
        pp::HelperKind::ProvincialModelUnit,
        &model,
        &direct_units[0],
    )
    .await;

    // The province moves its deadline by a day, with a reason, then back: the city
    // reads both moves on the provincial campaign and the date on its own.
    for (to, why) in [
        ("2021-05-02", "五一假期顺延"),
        ("2021-05-01", "恢复原定日期"),
    ] {
        flow.registry(flow.province())
            .move_campaign_deadline(rp::MoveCampaignDeadlineRequest {
                campaign: henan.name.clone(),
                deadline: rp::CampaignDeadline::PairingList as i32,
                moved_to: to.into(),
                reason: why.into(),
            })
            .await
            .unwrap();
    }
    let seen = flow
        .registry(city.clone())
        .get_campaign(rp::GetCampaignRequest {
            name: henan.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let moves: Vec<(&str, &str)> = seen
        .deadline_moves
        .iter()
        .map(|m| (m.moved_to.as_str(), m.reason.as_str()))
        .collect();
    assert_eq!(
        moves,
        [
            ("2021-05-02", "五一假期顺延"),
            ("2021-05-01", "恢复原定日期")
        ]
    );

    // A platform verifies the helpers' titles in one call, each with its awarding office.
    let verified = flow
        .registry(flow.suite.platform("tax"))
        .verify_titles(rp::VerifyTitlesRequest {
            credit_codes: vec![
                wenming_testkit::fixtures::credit_code(YEXIAN, 10),
                wenming_testkit::fixtures::credit_code(YEXIAN, 99),
            ],
            as_of: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = verified.results[0].answer.as_ref().unwrap();
    assert_eq!(first.titles[0].awarding_office_name, "河南省文明办");
    assert!(!verified.results[1].found);

    // 3 May: the province reads every list. The provincial-direct office reports late.
    flow.suite
        .clock
        .set("2021-05-03T02:00:00Z".parse().unwrap());
    flow.report(direct.clone(), &henan.name, "provincial-direct")
        .await;
    let rollup = flow
        .pairing(flow.province())
        .list_pairing_list_reports(pp::ListPairingListReportsRequest {
            campaign: henan.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rollup.deadline, "2021-05-01");
    assert_eq!(rollup.as_of, "2021-05-03");
    let row = |office: &str| {
        rollup
            .reports
            .iter()
            .find(|r| r.office_region_code == office)
            .unwrap_or_else(|| panic!("no row for {office}: {:?}", rollup.reports))
    };
    let pds = row("410400");
    assert_eq!(
        (
            pds.office_display_name.as_str(),
            pds.reported,
            pds.days_late
        ),
        ("平顶山市文明办", true, 0)
    );
    assert_eq!(pds.campaign, pingdingshan.name);
    let baofeng = row(BAOFENG);
    assert!(baofeng.reported);
    assert_eq!(baofeng.pairing_count, 1);
    let pd = row("provincial-direct");
    assert_eq!(
        (
            pd.office_display_name.as_str(),
            pd.reported,
            pd.days_late,
            pd.pairing_count
        ),
        ("省直文明办", true, 2, 1)
    );
    // 郑州 has no campaign in it and has not reported: shown, two days late.
    let zhengzhou = row("410100");
    assert_eq!(
        (
            zhengzhou.office_display_name.as_str(),
            zhengzhou.reported,
            zhengzhou.campaign.as_str(),
            zhengzhou.days_late
        ),
        ("郑州市文明办", false, "", 2)
    );
    assert!(
        rollup
            .reports
            .iter()
            .any(|r| r.office_region_code == "419001")
    );
    assert_eq!(rollup.reported_count, 3);
    assert_eq!(rollup.not_reported_count as usize, rollup.reports.len() - 3);
    // The roll-up is the province's: a city is refused at the gateway.
    let err = flow
        .pairing(city)
        .list_pairing_list_reports(pp::ListPairingListReportsRequest {
            campaign: henan.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    // …and of a provincial campaign only.
    let err = flow
        .pairing(flow.province())
        .list_pairing_list_reports(pp::ListPairingListReportsRequest {
            campaign: pingdingshan.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        wenming_testkit::fixtures::precondition_types(&err),
        ["campaign.not_provincial"]
    );
}
