//! Supervision through the gateway, on SQLite and PostgreSQL: offices plan inspections
//! in their region and record what they find; a covert visit is blind to the inspected
//! unit, its pairing's helper and the offices below its planner (get, list, filters)
//! until it is recorded, and a cancelled one stays blind.

use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_proto::supervision::v1 as sp;
use wenming_proto::supervision::v1::supervision_service_client::SupervisionServiceClient;
use wenming_testkit::fixtures::{field_violations, precondition_types};
use wenming_testkit::{TestDb, db_test};
use wenming_tests::Bearer;
use wenming_tests::scene::Scene;

type Supervision = SupervisionServiceClient<InterceptedService<Channel, Bearer>>;

const BAOFENG: &str = "410421";

fn supervision(s: &Scene, bearer: Bearer) -> Supervision {
    SupervisionServiceClient::with_interceptor(s.suite.gateway.clone(), bearer)
}

async fn plan(
    s: &Scene,
    bearer: Bearer,
    kind: sp::InspectionKind,
    target: &str,
) -> Result<sp::Inspection, tonic::Status> {
    supervision(s, bearer)
        .plan_inspection(sp::PlanInspectionRequest {
            inspection: Some(sp::Inspection {
                kind: kind as i32,
                target: target.into(),
                inspectors: vec!["张督导".into(), "李督导".into()],
                planned_start: "2021-06-01".into(),
                planned_end: "2021-06-03".into(),
                purpose: "了解结对帮创开展情况".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The names of the inspections `bearer` lists (of `region`, if given).
async fn listed(s: &Scene, bearer: Bearer, region: &str) -> Vec<String> {
    supervision(s, bearer)
        .list_inspections(sp::ListInspectionsRequest {
            region_code: region.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .inspections
        .into_iter()
        .map(|i| i.name)
        .collect()
}

async fn get(s: &Scene, bearer: Bearer, name: &str) -> Result<sp::Inspection, tonic::Status> {
    supervision(s, bearer)
        .get_inspection(sp::GetInspectionRequest { name: name.into() })
        .await
        .map(tonic::Response::into_inner)
}

fn finding(category: sp::FindingCategory, cause: &str, pairing: &str) -> sp::Finding {
    sp::Finding {
        category: category as i32,
        cause: cause.into(),
        description: "帮扶单位只在检查前送过一次资料".into(),
        measure: "约谈帮扶单位负责人，一个月内补齐帮扶台账".into(),
        pairing: pairing.into(),
    }
}

db_test!(
    a_covert_visit_is_blind_below_its_planner_until_recorded,
    covert_body
);
async fn covert_body(test_db: &TestDb) {
    let s = Scene::start(test_db).await;
    let campaign = s.campaign().await;
    let county = s.suite.office("county", BAOFENG);
    let (unit, pairing) = s
        .paired(
            county.clone(),
            county.clone(),
            &campaign,
            "宝丰县暗访对象企业",
            BAOFENG,
        )
        .await;
    let helper = pairing.helper.clone().unwrap().name;
    let city = s.pingdingshan();
    let (unit_user, helper_user) = (s.suite.unit_user(&unit), s.suite.unit_user(&helper));
    let zhengzhou = s.suite.office("city", "410100");

    // The city plans a covert visit of the unit.
    let covert = plan(&s, city.clone(), sp::InspectionKind::CovertVisit, &unit)
        .await
        .unwrap();
    assert_eq!(covert.state, sp::InspectionState::Planned as i32);
    assert_eq!(covert.planning_office, "offices/410400");
    assert_eq!(covert.target_display_name, "宝丰县暗访对象企业");
    assert_eq!(covert.target_region_code, BAOFENG);
    // The county plans an announced visit of the same unit.
    let open = plan(&s, county.clone(), sp::InspectionKind::OpenVisit, &unit)
        .await
        .unwrap();

    // Who sees the planned covert visit: its planner and the province; nobody below
    // the planner, nor the unit, its helper or another city — by name or in lists.
    for (who, bearer) in [("city", city.clone()), ("province", s.province())] {
        assert!(get(&s, bearer.clone(), &covert.name).await.is_ok(), "{who}");
        assert_eq!(
            listed(&s, bearer, "").await,
            [covert.name.clone(), open.name.clone()],
            "{who}"
        );
    }
    for (who, bearer) in [
        ("the county", county.clone()),
        ("the unit", unit_user.clone()),
        ("its helper", helper_user.clone()),
        ("another city", zhengzhou.clone()),
    ] {
        let err = get(&s, bearer.clone(), &covert.name).await.unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{who}");
        assert!(
            !listed(&s, bearer.clone(), "").await.contains(&covert.name),
            "{who}"
        );
        assert!(
            !listed(&s, bearer, BAOFENG).await.contains(&covert.name),
            "{who}"
        );
    }
    // The announced visit is seen by the county, the unit and its helper.
    for bearer in [county.clone(), unit_user.clone(), helper_user.clone()] {
        assert_eq!(
            listed(&s, bearer, "").await,
            std::slice::from_ref(&open.name)
        );
    }
    assert!(listed(&s, zhengzhou.clone(), "").await.is_empty());

    // Only the planning office records; the county cannot even find it.
    let record = |bearer: Bearer, findings: Vec<sp::Finding>| {
        let mut client = supervision(&s, bearer);
        let name = covert.name.clone();
        async move {
            client
                .record_visit(sp::RecordVisitRequest {
                    name,
                    visit: Some(sp::Visit {
                        visited_on: "2021-04-15".into(),
                        summary: "未打招呼直接到企业查看帮扶台账和活动记录".into(),
                        findings,
                        ..Default::default()
                    }),
                    etag: String::new(),
                })
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let motions = finding(
        sp::FindingCategory::GoingThroughTheMotions,
        "",
        &pairing.name,
    );
    let err = record(county.clone(), vec![motions.clone()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = record(s.province(), vec![motions.clone()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = record(
        city.clone(),
        vec![
            motions.clone(),
            finding(sp::FindingCategory::LowEnthusiasm, "", ""),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [(
            "visit.findings[1].cause".to_owned(),
            "FINDING.CAUSE".to_owned()
        )]
    );
    let done = record(
        city.clone(),
        vec![
            motions,
            finding(
                sp::FindingCategory::LowEnthusiasm,
                "企业负责人认为创建与经营无关",
                "",
            ),
        ],
    )
    .await
    .unwrap();
    assert_eq!(done.state, sp::InspectionState::Done as i32);
    let visit = done.visit.unwrap();
    assert_eq!(visit.findings.len(), 2);
    assert_eq!(visit.findings[0].pairing, pairing.name);

    // Recorded, it is seen by the county, the unit and its helper.
    for bearer in [county.clone(), unit_user, helper_user] {
        assert!(get(&s, bearer.clone(), &covert.name).await.is_ok());
        assert!(listed(&s, bearer, "").await.contains(&covert.name));
    }
    assert_eq!(
        get(&s, zhengzhou, &covert.name).await.unwrap_err().code(),
        Code::NotFound
    );
    let err = supervision(&s, city.clone())
        .cancel_inspection(sp::CancelInspectionRequest {
            name: covert.name.clone(),
            reason: "已完成".into(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["inspection.not_planned"]);

    // A covert visit called off stays blind.
    let second = plan(
        &s,
        city.clone(),
        sp::InspectionKind::CovertVisit,
        &pairing.name,
    )
    .await
    .unwrap();
    let cancelled = supervision(&s, city.clone())
        .cancel_inspection(sp::CancelInspectionRequest {
            name: second.name.clone(),
            reason: "督导组另有安排".into(),
            etag: second.etag.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.state, sp::InspectionState::Cancelled as i32);
    assert_eq!(
        get(&s, county.clone(), &second.name)
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    assert!(get(&s, city.clone(), &second.name).await.is_ok());
}

db_test!(inspections_are_planned_in_the_offices_region, planning_body);
async fn planning_body(test_db: &TestDb) {
    let s = Scene::start(test_db).await;
    let county = s.suite.office("county", BAOFENG);
    // A roving inspection of the county by the city, and what it may not target.
    let roving = plan(
        &s,
        s.pingdingshan(),
        sp::InspectionKind::Roving,
        "regions/410421",
    )
    .await
    .unwrap();
    assert_eq!(roving.target_display_name, "宝丰县");
    assert_eq!(
        listed(&s, county.clone(), "").await,
        std::slice::from_ref(&roving.name)
    );
    for (bearer, target, field) in [
        (county.clone(), "regions/410100", "inspection.target"),
        (county.clone(), "regions/410400", "inspection.target"),
        (county.clone(), "offices/410421", "inspection.target"),
    ] {
        let err = plan(&s, bearer, sp::InspectionKind::Roving, target)
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{target}");
        assert_eq!(field_violations(&err)[0].0, field, "{target}");
    }
    // A unit outside the office's region is not found; units and platforms plan nothing.
    let elsewhere = s
        .register(
            s.suite.office("county", "410102"),
            wenming_testkit::fixtures::company("郑州某公司", "410102", s.code()),
        )
        .await;
    let err = plan(
        &s,
        county.clone(),
        sp::InspectionKind::OpenVisit,
        &elsewhere,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let unit = s
        .register(
            county.clone(),
            wenming_testkit::fixtures::company("宝丰某公司", BAOFENG, s.code()),
        )
        .await;
    for bearer in [s.suite.unit_user(&unit), s.suite.platform("tax")] {
        let err = plan(&s, bearer, sp::InspectionKind::OpenVisit, &unit)
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);
    }
    // Dates in order.
    let err = supervision(&s, county)
        .plan_inspection(sp::PlanInspectionRequest {
            inspection: Some(sp::Inspection {
                kind: sp::InspectionKind::ResearchVisit as i32,
                target: unit.clone(),
                inspectors: vec!["王调研".into()],
                planned_start: "2021-06-03".into(),
                planned_end: "2021-06-01".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [(
            "inspection.planned_end".to_owned(),
            "INSPECTION.DATES".to_owned()
        )]
    );
}

async fn open_task(
    s: &Scene,
    bearer: Bearer,
    finding: &str,
    follow_up: &str,
    due: &str,
) -> Result<sp::RectificationTask, tonic::Status> {
    supervision(s, bearer)
        .open_rectification_task(sp::OpenRectificationTaskRequest {
            task: Some(sp::RectificationTask {
                finding: finding.into(),
                description: "补齐结对帮创台账，每月至少开展一次帮扶活动".into(),
                responsible_person: "王厂长".into(),
                due_date: due.into(),
                follow_up_office: follow_up.into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn queue(s: &Scene, bearer: Bearer) -> Vec<(String, i32)> {
    supervision(s, bearer)
        .list_rectification_tasks(sp::ListRectificationTasksRequest {
            escalated: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .tasks
        .into_iter()
        .map(|t| (t.name, t.days_overdue))
        .collect()
}

db_test!(
    an_overdue_task_escalates_to_the_office_above,
    rectification_body
);
async fn rectification_body(test_db: &TestDb) {
    let s = Scene::start(test_db).await;
    let campaign = s.campaign().await;
    let county = s.suite.office("county", BAOFENG);
    let city = s.pingdingshan();
    let (unit, pairing) = s
        .paired(
            county.clone(),
            county.clone(),
            &campaign,
            "宝丰县整改对象企业",
            BAOFENG,
        )
        .await;
    let helper = pairing.helper.clone().unwrap().name;
    let inspection = plan(&s, city.clone(), sp::InspectionKind::Roving, &unit)
        .await
        .unwrap();
    let first = format!("{}/findings/1", inspection.name);
    // Tasks come from recorded visits only.
    let err = open_task(&s, city.clone(), &first, "", "2021-04-20")
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["task.not_recorded"]);
    supervision(&s, city.clone())
        .record_visit(sp::RecordVisitRequest {
            name: inspection.name.clone(),
            visit: Some(sp::Visit {
                visited_on: "2021-04-15".into(),
                summary: "查看帮扶台账，座谈了解情况".into(),
                findings: vec![finding(
                    sp::FindingCategory::GoingThroughTheMotions,
                    "",
                    &pairing.name,
                )],
                ..Default::default()
            }),
            etag: String::new(),
        })
        .await
        .unwrap();
    let err = open_task(
        &s,
        city.clone(),
        &format!("{}/findings/2", inspection.name),
        "",
        "2021-04-20",
    )
    .await
    .unwrap_err();
    assert_eq!(precondition_types(&err), ["task.no_finding"]);
    let err = open_task(&s, city.clone(), &first, "offices/410422", "2021-04-20")
        .await
        .unwrap_err();
    assert_eq!(field_violations(&err)[0].0, "task.follow_up_office");
    let err = open_task(&s, county.clone(), &first, "", "2021-04-20")
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::PermissionDenied,
        "only the planning office opens tasks"
    );
    // The city opens a task the county follows up, due 20 April.
    let task = open_task(&s, city.clone(), &first, "offices/410421", "2021-04-20")
        .await
        .unwrap();
    assert_eq!(task.follow_up_office, "offices/410421");
    assert_eq!(task.days_overdue, 0);
    assert!(queue(&s, city.clone()).await.is_empty());

    // The unit and its helper record progress; another city cannot see the task.
    let progress = |bearer: Bearer, note: &str| {
        let mut client = supervision(&s, bearer);
        let (name, note) = (task.name.clone(), note.to_owned());
        async move {
            client
                .record_task_progress(sp::RecordTaskProgressRequest {
                    name,
                    note,
                    evidence: vec!["台账照片-2021-04-18.jpg".into()],
                })
                .await
                .map(tonic::Response::into_inner)
        }
    };
    progress(s.suite.unit_user(&unit), "已补齐三月份帮扶记录")
        .await
        .unwrap();
    progress(s.suite.unit_user(&helper), "已安排四月份帮扶活动")
        .await
        .unwrap();
    let zhengzhou = s.suite.office("city", "410100");
    let err = progress(zhengzhou.clone(), "越权").await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    // Past the due date it is overdue and in the city's queue, with how long; not in
    // the county's (it is the county's own task) nor the province's.
    s.suite.clock.set("2021-04-25T02:00:00Z".parse().unwrap());
    assert_eq!(queue(&s, city.clone()).await, [(task.name.clone(), 5)]);
    assert!(queue(&s, county.clone()).await.is_empty());
    assert!(queue(&s, s.province()).await.is_empty());
    let read = supervision(&s, county.clone())
        .get_rectification_task(sp::GetRectificationTaskRequest {
            name: task.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (read.days_overdue, read.escalated_to.as_str()),
        (5, "offices/410400")
    );
    assert_eq!(read.history.len(), 2);

    // Closing is the follow-up office's (or one above it); reopening puts it back.
    let close = |bearer: Bearer, etag: String| {
        let mut client = supervision(&s, bearer);
        let name = task.name.clone();
        async move {
            client
                .close_rectification_task(sp::CloseRectificationTaskRequest {
                    name,
                    reason: "台账已补齐，复查合格".into(),
                    etag,
                })
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let err = close(s.suite.office("county", YEXIAN_CODE), String::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = close(s.suite.unit_user(&unit), String::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let closed = close(county.clone(), read.etag.clone()).await.unwrap();
    assert_eq!(
        (closed.state, closed.days_overdue),
        (sp::RectificationState::Closed as i32, 0)
    );
    assert!(queue(&s, city.clone()).await.is_empty());
    let reopened = supervision(&s, city.clone())
        .reopen_rectification_task(sp::ReopenRectificationTaskRequest {
            name: task.name.clone(),
            reason: "复查发现四月份活动未开展".into(),
            etag: closed.etag,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reopened.state, sp::RectificationState::Open as i32);
    assert_eq!(queue(&s, city).await, [(task.name.clone(), 5)]);
    let err = progress(zhengzhou, "越权").await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

const YEXIAN_CODE: &str = "410422";
