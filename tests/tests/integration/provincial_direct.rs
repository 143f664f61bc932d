//! The provincial-direct office (省直文明办) through the gateway, on SQLite and
//! PostgreSQL: its scope is the provincial-direct units wherever they are; the city and
//! county offices of a unit's region read it but do not keep, nominate or pair it; the
//! office nominates to the province, arranges pairings for its units and reports its
//! pairing list, which the province reads.

use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_proto::pairing::v1 as pp;
use wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient;
use wenming_proto::registry::v1 as rp;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_testkit::fixtures::{
    company, field_violations, henan_campaign_pb, pingdingshan_campaign_pb, precondition_types,
    zh_cn,
};
use wenming_testkit::{TestDb, db_test};
use wenming_tests::{Bearer, Suite};

type Registry = RegistryServiceClient<InterceptedService<Channel, Bearer>>;
type Pairing = PairingServiceClient<InterceptedService<Channel, Bearer>>;

struct Scene {
    suite: Suite,
}

impl Scene {
    fn registry(&self, bearer: Bearer) -> Registry {
        RegistryServiceClient::with_interceptor(self.suite.gateway.clone(), bearer)
    }

    fn pairing(&self, bearer: Bearer) -> Pairing {
        PairingServiceClient::with_interceptor(self.suite.gateway.clone(), bearer)
    }

    async fn register(&self, bearer: Bearer, unit: rp::Unit) -> rp::Unit {
        self.registry(bearer)
            .create_unit(rp::CreateUnitRequest {
                unit: Some(unit),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
    }
}

async fn scene(test_db: &TestDb) -> Scene {
    Scene {
        suite: Suite::start(test_db, "2021-04-16T01:00:00Z".parse().unwrap()).await,
    }
}

db_test!(
    the_provincial_direct_office_keeps_its_units_wherever_they_are,
    units_body
);
async fn units_body(test_db: &TestDb) {
    let s = scene(test_db).await;
    let direct = s.suite.provincial_direct();
    // A provincial enterprise in 宝丰县, registered by the provincial-direct office.
    let ours = s
        .register(
            direct.clone(),
            company("河南省某省属企业宝丰分公司", "410421", 1),
        )
        .await;
    assert!(ours.provincial_direct, "its units are provincial-direct");
    // A company of the county, registered by the county office.
    let county_firm = s
        .register(
            s.suite.office("county", "410421"),
            company("宝丰县恒达耐材有限公司", "410421", 2),
        )
        .await;
    assert!(!county_firm.provincial_direct);
    // The province tells the two apart.
    let only = s
        .registry(s.suite.office("province", "410000"))
        .list_units(rp::ListUnitsRequest {
            provincial_direct: rp::ProvincialDirectFilter::Only as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .units;
    let only: Vec<&str> = only.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(only, [ours.name.as_str()]);
    // The provincial-direct office sees its units only.
    let get = |bearer: Bearer, name: &str| {
        let mut client = s.registry(bearer);
        let name = name.to_owned();
        async move { client.get_unit(rp::GetUnitRequest { name }).await }
    };
    assert!(get(direct.clone(), &ours.name).await.is_ok());
    let err = get(direct.clone(), &county_firm.name).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // The offices of the unit's region read it; another county does not.
    assert!(
        get(s.suite.office("county", "410421"), &ours.name)
            .await
            .is_ok()
    );
    assert!(
        get(s.suite.office("city", "410400"), &ours.name)
            .await
            .is_ok()
    );
    let err = get(s.suite.office("county", "410422"), &ours.name)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // …but the county does not keep it.
    let err = s
        .registry(s.suite.office("county", "410421"))
        .deregister_unit(rp::DeregisterUnitRequest {
            name: ours.name.clone(),
            reason: "企业已迁出本县".into(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(zh_cn(&err).contains("省直"), "{}", zh_cn(&err));
    // Only the province marks a unit provincial-direct.
    let err = s
        .registry(s.suite.office("county", "410421"))
        .create_unit(rp::CreateUnitRequest {
            unit: Some(rp::Unit {
                provincial_direct: true,
                ..company("冒充的省直单位", "410421", 3)
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [(
            "unit.provincial_direct".to_owned(),
            "PROVINCIAL_DIRECT_MARK".to_owned()
        )]
    );
}

db_test!(
    the_provincial_direct_office_nominates_to_the_province,
    nominations_body
);
async fn nominations_body(test_db: &TestDb) {
    let s = scene(test_db).await;
    let direct = s.suite.provincial_direct();
    let mut units = Vec::new();
    for n in 1..=3 {
        let unit = s
            .register(
                direct.clone(),
                company(&format!("省属企业{n}"), "410102", n),
            )
            .await;
        units.push(unit.name);
    }
    let provincial = s
        .registry(s.suite.office("province", "410000"))
        .create_campaign(rp::CreateCampaignRequest {
            campaign: Some(henan_campaign_pb()),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let nominated = s
        .registry(direct.clone())
        .submit_nominations(rp::SubmitNominationsRequest {
            campaign: provincial.name.clone(),
            units: units.clone(),
            request_id: String::new(),
            target_tier: rp::TitleTier::ProvincialModel as i32,
        })
        .await
        .unwrap()
        .into_inner()
        .nominations;
    assert_eq!(nominated.len(), 3);
    // The province decides them; a city does not see them.
    let seen = s
        .registry(s.suite.office("province", "410000"))
        .list_nominations(rp::ListNominationsRequest {
            campaign: provincial.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .nominations;
    assert_eq!(seen.len(), 3);
    // A county does not nominate a provincial-direct unit of its county.
    let ours = s
        .register(direct.clone(), company("省属企业宝丰分公司", "410421", 9))
        .await;
    let mut others = Vec::new();
    for n in 10..12 {
        others.push(
            s.register(
                s.suite.office("county", "410421"),
                company(&format!("宝丰企业{n}"), "410421", n),
            )
            .await
            .name,
        );
    }
    let city_campaign = s
        .registry(s.suite.office("city", "410400"))
        .create_campaign(rp::CreateCampaignRequest {
            campaign: Some(pingdingshan_campaign_pb()),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let err = s
        .registry(s.suite.office("county", "410421"))
        .submit_nominations(rp::SubmitNominationsRequest {
            campaign: city_campaign.name,
            units: [others, vec![ours.name]].concat(),
            request_id: String::new(),
            target_tier: rp::TitleTier::City as i32,
        })
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["unit.provincial_direct"]);
}

db_test!(
    the_provincial_direct_office_pairs_and_reports_its_list,
    pairing_body
);
async fn pairing_body(test_db: &TestDb) {
    let s = scene(test_db).await;
    let direct = s.suite.provincial_direct();
    let company_unit = s
        .register(
            direct.clone(),
            company("河南省某省属企业宝丰分公司", "410421", 1),
        )
        .await;
    // The helper: a provincial hospital (provincial-direct) holding a national title.
    let hospital = s
        .register(
            direct.clone(),
            rp::Unit {
                kind: rp::UnitKind::PublicInstitution as i32,
                ..company("河南省人民医院", "410105", 2)
            },
        )
        .await;
    s.registry(s.suite.office("province", "410000"))
        .award_title(rp::AwardTitleRequest {
            title: Some(rp::Title {
                unit: hospital.name.clone(),
                tier: rp::TitleTier::National as i32,
                awarded_on: "2020-11-20".into(),
                valid_until: "2023-11-20".into(),
                document_number: "文明委〔2020〕6号".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
    let campaign = s
        .registry(s.suite.office("province", "410000"))
        .create_campaign(rp::CreateCampaignRequest {
            campaign: Some(henan_campaign_pb()),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let proposal = |unit: &str| pp::CreatePairingRequest {
        pairing: Some(pp::Pairing {
            campaign: campaign.name.clone(),
            helper: Some(pp::Helper {
                kind: pp::HelperKind::NationalCivilisedUnit as i32,
                name: hospital.name.clone(),
                display_name: String::new(),
            }),
            unit: unit.to_owned(),
            target_tier: rp::TitleTier::ProvincialModel as i32,
            ..Default::default()
        }),
        request_id: String::new(),
    };
    // The county office of the unit's region does not pair it.
    let err = s
        .pairing(s.suite.office("county", "410421"))
        .create_pairing(pp::CreatePairingRequest {
            pairing: Some(pp::Pairing {
                helper: Some(pp::Helper {
                    kind: pp::HelperKind::CountyOffice as i32,
                    name: "offices/410421".into(),
                    display_name: String::new(),
                }),
                ..proposal(&company_unit.name).pairing.unwrap()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["pairing.unit_office"]);
    // The provincial-direct office does.
    let pairing = s
        .pairing(direct.clone())
        .create_pairing(proposal(&company_unit.name))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pairing.office_region_code, "provincial-direct");
    // The county of the unit's region reads the pairing.
    s.pairing(s.suite.office("county", "410421"))
        .get_pairing(pp::GetPairingRequest {
            name: pairing.name.clone(),
        })
        .await
        .unwrap();
    // It reports its list; the province reads it.
    let list = format!("{}/pairingLists/provincial-direct", campaign.name);
    let reported = s
        .pairing(direct.clone())
        .report_pairing_list(pp::ReportPairingListRequest { name: list.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reported.pairing_count, 1);
    let read = s
        .pairing(s.suite.office("province", "410000"))
        .get_pairing_list(pp::GetPairingListRequest { name: list.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.state, reported.state);
    // A city office neither reads nor reports it.
    let err = s
        .pairing(s.suite.office("city", "410400"))
        .get_pairing_list(pp::GetPairingListRequest { name: list.clone() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}
