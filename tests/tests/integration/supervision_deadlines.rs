//! The deadline monitor through the gateway, on SQLite and PostgreSQL: once the city's
//! nomination deadline passes, a county that has two units nominated is listed short of
//! three; once the province's pairing-list deadline passes, every office that has not
//! reported is listed; a watch delivers each new item as a scan finds it, and a watch
//! resumed from a cursor delivers what came after it and nothing before; a work-plan
//! milestone past due is listed for the office that arranged the pairing; moving the
//! deadline and completing the milestone resolve them; each office sees its own region.

use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_proto::pairing::v1 as pp;
use wenming_proto::registry::v1 as rp;
use wenming_proto::supervision::v1 as sp;
use wenming_proto::supervision::v1::supervision_service_client::SupervisionServiceClient;
use wenming_testkit::{TestDb, db_test};
use wenming_tests::Bearer;
use wenming_tests::scene::Scene;

type Supervision = SupervisionServiceClient<InterceptedService<Channel, Bearer>>;

const BAOFENG: &str = "410421";
const JIAXIAN: &str = "410425";

fn supervision(s: &Scene, bearer: Bearer) -> Supervision {
    SupervisionServiceClient::with_interceptor(s.suite.gateway.clone(), bearer)
}

async fn listed(s: &Scene, bearer: Bearer, campaign: &str) -> Vec<sp::DeadlineItem> {
    supervision(s, bearer)
        .list_deadline_items(sp::ListDeadlineItemsRequest {
            campaign: campaign.into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .items
}

fn of_kind(items: &[sp::DeadlineItem], kind: sp::DeadlineItemKind) -> Vec<&sp::DeadlineItem> {
    items.iter().filter(|i| i.kind == kind as i32).collect()
}

db_test!(the_deadline_monitor_lists_and_streams_what_is_late, body);
async fn body(test_db: &TestDb) {
    let s = Scene::start(test_db).await;
    let (henan, pingdingshan) = s.provincial_campaigns().await;
    let county = s.suite.office("county", BAOFENG);
    // 宝丰县 nominated three units; the city returned one: two remain.
    let nominations = s.two_of_three_nominated(BAOFENG, &pingdingshan).await;

    // 宝丰县 pairs a company whose work plan has a milestone due 30 April.
    let (planner, pairing) = s
        .paired(
            county.clone(),
            county.clone(),
            &pingdingshan,
            "宝丰县方案企业",
            BAOFENG,
        )
        .await;
    let plan = |completed_on: &str| pp::WorkPlan {
        summary: "结对帮创工作方案".into(),
        milestones: vec![pp::Milestone {
            title: "建立帮扶台账".into(),
            responsible_person: "赵主任".into(),
            due_date: "2021-04-30".into(),
            completed_on: completed_on.into(),
        }],
        ..Default::default()
    };
    s.pairing(s.suite.unit_user(&planner))
        .submit_work_plan(pp::SubmitWorkPlanRequest {
            pairing: pairing.name.clone(),
            work_plan: Some(plan("")),
            base_version: 0,
        })
        .await
        .unwrap();

    // Before the deadline nothing is late; the city starts watching.
    assert!(listed(&s, s.pingdingshan(), "").await.is_empty());
    let mut watch = supervision(&s, s.pingdingshan())
        .watch_deadline_items(sp::WatchDeadlineItemsRequest::default())
        .await
        .unwrap()
        .into_inner();

    // 21 April: the city's deadline has passed.
    s.suite.clock.set("2021-04-21T02:00:00Z".parse().unwrap());
    let items = listed(&s, s.pingdingshan(), &pingdingshan).await;
    let short = of_kind(&items, sp::DeadlineItemKind::NominationsShort);
    let baofeng = short
        .iter()
        .find(|i| i.subject == format!("offices/{BAOFENG}"))
        .expect("宝丰县 is short");
    assert_eq!(
        (baofeng.nominated, baofeng.required, baofeng.days_late),
        (2, 3, 1)
    );
    assert_eq!(baofeng.subject_display_name, "宝丰县文明办");
    assert_eq!(baofeng.due_date, "2021-04-20");
    assert!(short.iter().all(|i| i.campaign == pingdingshan));
    // The watch delivers each of them, in order.
    let mut seen = Vec::new();
    while seen.len() < items.len() {
        seen.push(watch.message().await.unwrap().unwrap());
    }
    assert_eq!(seen, items);
    let cursor = seen.last().unwrap().cursor.clone();

    // Each office sees its own region: 郏县 its own item only, the unit nothing.
    let jiaxian = listed(&s, s.suite.office("county", JIAXIAN), "").await;
    assert_eq!(
        jiaxian
            .iter()
            .map(|i| i.subject.as_str())
            .collect::<Vec<_>>(),
        [format!("offices/{JIAXIAN}")]
    );
    let err = supervision(&s, s.suite.unit_user(&nominations[1].unit))
        .list_deadline_items(sp::ListDeadlineItemsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // 3 May: the province's pairing-list deadline has passed and no office reported;
    // the milestone is three days late.
    s.suite.clock.set("2021-05-03T02:00:00Z".parse().unwrap());
    let all = listed(&s, s.province(), "").await;
    let milestone = format!("{}/workPlan/milestones/1", pairing.name);
    let late = of_kind(&all, sp::DeadlineItemKind::MilestoneOverdue);
    assert_eq!(
        late.iter()
            .map(|i| (
                i.subject.as_str(),
                i.subject_display_name.as_str(),
                i.days_late
            ))
            .collect::<Vec<_>>(),
        [(milestone.as_str(), "建立帮扶台账", 3)]
    );
    let in_county = listed(&s, county.clone(), "").await;
    assert!(in_county.iter().any(|i| i.subject == milestone));
    assert!(
        !listed(&s, s.suite.office("county", JIAXIAN), "")
            .await
            .iter()
            .any(|i| i.subject == milestone)
    );
    let unreported = of_kind(&all, sp::DeadlineItemKind::PairingListUnreported);
    let city_list = unreported
        .iter()
        .find(|i| i.subject == "offices/410400")
        .expect("平顶山市 has not reported");
    assert_eq!(
        (city_list.days_late, city_list.campaign.as_str()),
        (2, henan.as_str())
    );
    assert!(
        unreported
            .iter()
            .any(|i| i.subject == "offices/provincial-direct")
    );
    // The open watch gets the new items of its region; one resumed from the cursor
    // gets the same, and nothing it had before.
    let city_now = listed(&s, s.pingdingshan(), "").await;
    let new: Vec<sp::DeadlineItem> = city_now
        .into_iter()
        .filter(|i| {
            i.kind == sp::DeadlineItemKind::PairingListUnreported as i32
                || i.kind == sp::DeadlineItemKind::MilestoneOverdue as i32
        })
        .collect();
    assert!(new.iter().any(|i| i.subject == "offices/410400"));
    let mut live = Vec::new();
    while live.len() < new.len() {
        live.push(watch.message().await.unwrap().unwrap());
    }
    let mut resumed = supervision(&s, s.pingdingshan())
        .watch_deadline_items(sp::WatchDeadlineItemsRequest {
            after: cursor.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut again = Vec::new();
    while again.len() < new.len() {
        again.push(resumed.message().await.unwrap().unwrap());
    }
    let names = |items: &[sp::DeadlineItem]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|i| (i.cursor.clone(), i.subject.clone()))
            .collect()
    };
    assert_eq!(names(&live), names(&new));
    assert_eq!(names(&again), names(&new));

    // The milestone is done; the city gives its counties until 10 May: the next scan
    // resolves both.
    s.pairing(s.suite.unit_user(&planner))
        .submit_work_plan(pp::SubmitWorkPlanRequest {
            pairing: pairing.name.clone(),
            work_plan: Some(plan("2021-05-02")),
            base_version: 1,
        })
        .await
        .unwrap();
    s.registry(s.pingdingshan())
        .move_campaign_deadline(rp::MoveCampaignDeadlineRequest {
            campaign: pingdingshan.clone(),
            deadline: rp::CampaignDeadline::Nomination as i32,
            moved_to: "2021-05-10".into(),
            reason: "部分县区推荐工作未完成，延长推荐时间".into(),
        })
        .await
        .unwrap();
    s.suite.clock.set("2021-05-03T02:01:00Z".parse().unwrap());
    let open = listed(&s, s.pingdingshan(), &pingdingshan).await;
    assert!(of_kind(&open, sp::DeadlineItemKind::NominationsShort).is_empty());
    assert!(of_kind(&open, sp::DeadlineItemKind::MilestoneOverdue).is_empty());
    let history = supervision(&s, s.pingdingshan())
        .list_deadline_items(sp::ListDeadlineItemsRequest {
            campaign: pingdingshan.clone(),
            include_resolved: true,
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .items;
    let resolved = history
        .iter()
        .find(|i| i.subject == format!("offices/{BAOFENG}"))
        .unwrap();
    assert!(resolved.resolved_time.is_some());
    assert_eq!(resolved.days_late, 0);
}
