//! Issue 11's whole story through the gateway, on SQLite and PostgreSQL: the city's
//! covert visit to a 宝丰县 company is blind to the company, its helper and 宝丰县
//! until it is recorded with a finding; the task opened from the finding goes overdue
//! into the city's queue; the province commends one pairing and the city holds an
//! admonishment talk with another company; the deadline monitor lists 宝丰县, which has
//! two units nominated, and the city, which has not reported its list; the province's
//! progress report counts all of it (and the county's does not count the covert visit
//! before it is recorded) and exports as XLSX.

use calamine::{Data, Reader as _, Xlsx};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_proto::pairing::v1 as pp;
use wenming_proto::supervision::v1 as sp;
use wenming_proto::supervision::v1::supervision_service_client::SupervisionServiceClient;
use wenming_testkit::{TestDb, db_test};
use wenming_tests::Bearer;
use wenming_tests::scene::Scene;

type Supervision = SupervisionServiceClient<InterceptedService<Channel, Bearer>>;

const BAOFENG: &str = "410421";

fn supervision(s: &Scene, bearer: Bearer) -> Supervision {
    SupervisionServiceClient::with_interceptor(s.suite.gateway.clone(), bearer)
}

async fn baofeng_row(s: &Scene, bearer: Bearer) -> sp::ProgressRow {
    supervision(s, bearer)
        .get_progress_report(sp::GetProgressReportRequest::default())
        .await
        .unwrap()
        .into_inner()
        .rows
        .into_iter()
        .find(|r| r.region_code == BAOFENG)
        .unwrap()
}

db_test!(supervision_end_to_end, body);
async fn body(test_db: &TestDb) {
    let s = Scene::start(test_db).await;
    let (_, pingdingshan) = s.provincial_campaigns().await;
    let (county, city) = (s.suite.office("county", BAOFENG), s.pingdingshan());
    let (unit_a, pairing_a) = s
        .paired(
            county.clone(),
            county.clone(),
            &pingdingshan,
            "宝丰县甲公司",
            BAOFENG,
        )
        .await;
    let (unit_b, _) = s
        .paired(
            county.clone(),
            county.clone(),
            &pingdingshan,
            "宝丰县乙公司",
            BAOFENG,
        )
        .await;
    let helper_a = pairing_a.helper.clone().unwrap().name;

    // The city's covert visit: blind to the company, its helper and 宝丰县.
    let covert = supervision(&s, city.clone())
        .plan_inspection(sp::PlanInspectionRequest {
            inspection: Some(sp::Inspection {
                kind: sp::InspectionKind::CovertVisit as i32,
                target: unit_a.clone(),
                inspectors: vec!["张督导".into()],
                planned_start: "2021-04-16".into(),
                planned_end: "2021-04-16".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let get = |bearer: Bearer| {
        let name = covert.name.clone();
        let mut client = supervision(&s, bearer);
        async move {
            client
                .get_inspection(sp::GetInspectionRequest { name })
                .await
                .map(|_| ())
                .map_err(|e| e.code())
        }
    };
    for bearer in [
        s.suite.unit_user(&unit_a),
        s.suite.unit_user(&helper_a),
        county.clone(),
    ] {
        assert_eq!(get(bearer).await, Err(Code::NotFound));
    }
    assert_eq!(baofeng_row(&s, county.clone()).await.inspections_done, 0);
    // Recorded with a finding: now everyone concerned sees it.
    supervision(&s, city.clone())
        .record_visit(sp::RecordVisitRequest {
            name: covert.name.clone(),
            visit: Some(sp::Visit {
                visited_on: "2021-04-16".into(),
                summary: "暗访帮扶台账和活动现场".into(),
                findings: vec![sp::Finding {
                    category: sp::FindingCategory::GoingThroughTheMotions as i32,
                    description: "活动照片为同一天所拍".into(),
                    measure: "限期补齐真实台账".into(),
                    pairing: pairing_a.name.clone(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            etag: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(get(county.clone()).await, Ok(()));
    let task = supervision(&s, city.clone())
        .open_rectification_task(sp::OpenRectificationTaskRequest {
            task: Some(sp::RectificationTask {
                finding: format!("{}/findings/1", covert.name),
                description: "补齐真实帮扶台账".into(),
                responsible_person: "李经理".into(),
                due_date: "2021-04-20".into(),
                follow_up_office: format!("offices/{BAOFENG}"),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();

    // The province commends one pairing; the city holds a talk with the other company.
    s.pairing(county.clone())
        .activate_pairing(pp::ActivatePairingRequest {
            name: pairing_a.name.clone(),
            reason: "已签订结对帮创协议".into(),
            etag: pairing_a.etag.clone(),
        })
        .await
        .unwrap();
    supervision(&s, s.province())
        .commend_pairing(sp::CommendPairingRequest {
            commendation: Some(sp::Commendation {
                pairing: pairing_a.name.clone(),
                document_number: "豫文明办〔2021〕15号".into(),
                title: "结对帮扶成效显著".into(),
                commended_on: "2021-04-16".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
    let talk = supervision(&s, city.clone())
        .schedule_admonishment_talk(sp::ScheduleAdmonishmentTalkRequest {
            talk: Some(sp::AdmonishmentTalk {
                unit: unit_b.clone(),
                head: "王经理".into(),
                reason: "结对帮创走过场".into(),
                scheduled_on: "2021-04-16".into(),
                place: "平顶山市文明办".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    supervision(&s, city.clone())
        .record_admonishment_talk(sp::RecordAdmonishmentTalkRequest {
            name: talk.name.clone(),
            record: Some(sp::TalkRecord {
                held_on: "2021-04-16".into(),
                summary: "指出问题，企业表态整改".into(),
                participants: vec!["王经理".into()],
                commitments: vec!["每月开展一次共建活动".into()],
                ..Default::default()
            }),
            follow_up: Some(sp::RectificationTask {
                description: "按月开展共建活动".into(),
                due_date: "2021-06-30".into(),
                ..Default::default()
            }),
            etag: String::new(),
        })
        .await
        .unwrap();

    // 宝丰县 nominates three more companies; the city returns one.
    s.two_of_three_nominated(BAOFENG, &pingdingshan).await;

    // 3 May: the task is overdue in the city's queue; the monitor lists what is late.
    s.suite.clock.set("2021-05-03T02:00:00Z".parse().unwrap());
    let queue = supervision(&s, city.clone())
        .list_rectification_tasks(sp::ListRectificationTasksRequest {
            escalated: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .tasks;
    assert_eq!(
        queue
            .iter()
            .map(|t| (t.name.as_str(), t.days_overdue))
            .collect::<Vec<_>>(),
        [(task.name.as_str(), 13)]
    );
    let items = supervision(&s, s.province())
        .list_deadline_items(sp::ListDeadlineItemsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .items;
    let find = |kind: sp::DeadlineItemKind, subject: &str| {
        items
            .iter()
            .find(|i| i.kind == kind as i32 && i.subject == subject)
            .unwrap_or_else(|| panic!("{kind:?} {subject}"))
    };
    let short = find(sp::DeadlineItemKind::NominationsShort, "offices/410421");
    assert_eq!((short.nominated, short.required), (2, 3));
    let unreported = find(
        sp::DeadlineItemKind::PairingListUnreported,
        "offices/410400",
    );
    assert_eq!(unreported.days_late, 2);
    find(sp::DeadlineItemKind::TaskOverdue, &task.name);

    // The province's report counts all of it for 宝丰县.
    let row = baofeng_row(&s, s.province()).await;
    assert_eq!((row.units, row.reserve_pool, row.open_pairings), (5, 3, 2));
    assert_eq!(
        (row.nominations_submitted, row.nominations_returned),
        (2, 1)
    );
    assert_eq!(
        (
            row.inspections_done,
            row.open_tasks,
            row.commendations,
            row.admonishment_talks
        ),
        (1, 2, 1, 1)
    );
    // 宝丰县's shortfall, its own unreported list (it arranged the pairings) and the
    // overdue task.
    find(
        sp::DeadlineItemKind::PairingListUnreported,
        "offices/410421",
    );
    assert_eq!(row.overdue_items, 3);
    let export = supervision(&s, s.province())
        .export_progress_report(sp::ExportProgressReportRequest {
            report: Some(sp::GetProgressReportRequest::default()),
        })
        .await
        .unwrap()
        .into_inner();
    let mut book = Xlsx::new(std::io::Cursor::new(export.content)).unwrap();
    assert_eq!(book.sheet_names(), ["省级", "市级", "县级"]);
    let counties = book.worksheet_range("县级").unwrap();
    let header: Vec<String> = counties
        .rows()
        .nth(1)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let baofeng = counties
        .rows()
        .find(|r| r[0] == Data::String(BAOFENG.into()))
        .unwrap();
    assert_eq!(baofeng[column("通报表扬")], Data::Float(1.0));
    assert_eq!(baofeng[column("约谈")], Data::Float(1.0));
    assert_eq!(baofeng[column("逾期事项")], Data::Float(3.0));
}
