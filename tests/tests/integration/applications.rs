//! The channel for units to apply (畅通非公单位参与文明单位创建渠道), through the gateway
//! on SQLite and PostgreSQL: the provincial portal submits an application on a unit's
//! behalf with its platform token; it waits with the county office, which accepts it
//! (the unit is registered) or declines it with a reason; the portal reads the outcome.

use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_authz::PlatformAction;
use wenming_proto::registry::v1 as rp;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_testkit::fixtures::{company, field_violations, precondition_types};
use wenming_testkit::{TestDb, db_test};
use wenming_tests::{Bearer, Suite};

type Registry = RegistryServiceClient<InterceptedService<Channel, Bearer>>;

const BAOFENG: &str = "410421";

fn registry(suite: &Suite, bearer: Bearer) -> Registry {
    RegistryServiceClient::with_interceptor(suite.gateway.clone(), bearer)
}

fn portal(suite: &Suite) -> Registry {
    registry(
        suite,
        suite.platform_granted("henan-portal", &[PlatformAction::SubmitApplication]),
    )
}

fn applying(unit: rp::Unit) -> rp::SubmitApplicationRequest {
    rp::SubmitApplicationRequest {
        application: Some(rp::Application {
            unit: Some(unit),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

async fn start(test_db: &TestDb) -> Suite {
    Suite::start(test_db, "2021-04-16T01:00:00Z".parse().unwrap()).await
}

db_test!(
    an_application_is_accepted_by_the_county_and_the_unit_registered,
    accept_body
);
async fn accept_body(test_db: &TestDb) {
    let suite = start(test_db).await;
    let submitted = portal(&suite)
        .submit_application(applying(company("宝丰县新申请有限公司", BAOFENG, 1)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(submitted.state, rp::ApplicationState::Pending as i32);
    assert_eq!(submitted.platform, "henan-portal");
    // It waits with 宝丰县's office, which lists it; 叶县 does not see it.
    let mut county = registry(&suite, suite.office("county", BAOFENG));
    let pending = county
        .list_applications(rp::ListApplicationsRequest {
            state: rp::ApplicationState::Pending as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = pending
        .applications
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, [submitted.name.as_str()]);
    let err = registry(&suite, suite.office("county", "410422"))
        .get_application(rp::GetApplicationRequest {
            name: submitted.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // The city reads it but does not decide it.
    let err = registry(&suite, suite.office("city", "410400"))
        .decide_application(rp::DecideApplicationRequest {
            name: submitted.name.clone(),
            accept: true,
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let accepted = county
        .decide_application(rp::DecideApplicationRequest {
            name: submitted.name.clone(),
            accept: true,
            reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.state, rp::ApplicationState::Accepted as i32);
    // The unit is registered, as the application described it.
    let unit = county
        .get_unit(rp::GetUnitRequest {
            name: accepted.registered_unit.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(unit.display_name, "宝丰县新申请有限公司");
    assert_eq!(unit.region_code, BAOFENG);
    // The portal reads the outcome by the application's name; another platform does not.
    let outcome = portal(&suite)
        .get_application(rp::GetApplicationRequest {
            name: submitted.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome.state, rp::ApplicationState::Accepted as i32);
    assert_eq!(outcome.registered_unit, accepted.registered_unit);
    let err = registry(
        &suite,
        suite.platform_granted("other-portal", &[PlatformAction::SubmitApplication]),
    )
    .get_application(rp::GetApplicationRequest {
        name: submitted.name.clone(),
    })
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // Decided once.
    let err = county
        .decide_application(rp::DecideApplicationRequest {
            name: submitted.name.clone(),
            accept: false,
            reason: "重复处理".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["application.decided"]);
    // A registered code cannot apply again.
    let err = portal(&suite)
        .submit_application(applying(company("宝丰县新申请有限公司", BAOFENG, 1)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
}

db_test!(
    an_application_is_declined_with_a_reason_the_portal_reads,
    decline_body
);
async fn decline_body(test_db: &TestDb) {
    let suite = start(test_db).await;
    let submitted = portal(&suite)
        .submit_application(applying(company("宝丰县某商行", BAOFENG, 2)))
        .await
        .unwrap()
        .into_inner();
    let mut county = registry(&suite, suite.office("county", BAOFENG));
    let err = county
        .decide_application(rp::DecideApplicationRequest {
            name: submitted.name.clone(),
            accept: false,
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(field_violations(&err)[0].0, "reason");
    county
        .decide_application(rp::DecideApplicationRequest {
            name: submitted.name.clone(),
            accept: false,
            reason: "营业执照信息与申请不符".into(),
        })
        .await
        .unwrap();
    let outcome = portal(&suite)
        .get_application(rp::GetApplicationRequest {
            name: submitted.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome.state, rp::ApplicationState::Declined as i32);
    assert_eq!(outcome.decline_reason, "营业执照信息与申请不符");
    assert!(outcome.registered_unit.is_empty());
    // Nothing was registered; a declined code may apply again.
    let units = county
        .list_units(rp::ListUnitsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(units.units.is_empty());
    portal(&suite)
        .submit_application(applying(company("宝丰县某商行", BAOFENG, 2)))
        .await
        .expect("a declined unit applies again");
}

db_test!(
    applications_are_checked_like_create_unit_and_held_once,
    refusals_body
);
async fn refusals_body(test_db: &TestDb) {
    let suite = start(test_db).await;
    let mut portal = portal(&suite);
    // Checked as CreateUnit: each bad field named.
    let err = portal
        .submit_application(applying(rp::Unit {
            credit_code: "91410421".into(),
            region_code: "410400".into(),
            ..company("宝丰县某公司", BAOFENG, 3)
        }))
        .await
        .unwrap_err();
    let fields: Vec<String> = field_violations(&err).into_iter().map(|(f, _)| f).collect();
    assert!(
        fields.contains(&"application.unit.credit_code".to_owned()),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"application.unit.region_code".to_owned()),
        "{fields:?}"
    );
    // Only non-public units apply; none marks itself provincial-direct.
    let err = portal
        .submit_application(applying(rp::Unit {
            kind: rp::UnitKind::PublicInstitution as i32,
            ..company("宝丰县某医院", BAOFENG, 4)
        }))
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        vec![(
            "application.unit.kind".into(),
            "APPLICATION_NON_PUBLIC".into()
        )]
    );
    let err = portal
        .submit_application(applying(rp::Unit {
            provincial_direct: true,
            ..company("宝丰县某公司", BAOFENG, 5)
        }))
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err)[0].0,
        "application.unit.provincial_direct"
    );
    // One pending application per code.
    portal
        .submit_application(applying(company("宝丰县某公司", BAOFENG, 6)))
        .await
        .unwrap();
    let err = portal
        .submit_application(applying(company("宝丰县某公司", BAOFENG, 6)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    // A platform without the grant is refused at the gateway.
    let err = registry(&suite, suite.platform("tax"))
        .submit_application(applying(company("宝丰县某公司", BAOFENG, 7)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}
