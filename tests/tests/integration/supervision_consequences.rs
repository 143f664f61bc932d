//! Consequences through the gateway, on SQLite and PostgreSQL: the province commends a
//! pairing (通报表扬) and a platform sees it in the unit's VerifyTitle answer; an office
//! holds an admonishment talk (约谈) with a unit's head and the talk's follow-up task
//! and the unit's history show it; each read is confined to the caller's scope.

use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_authz::PlatformAction;
use wenming_proto::pairing::v1 as pp;
use wenming_proto::registry::v1 as rp;
use wenming_proto::supervision::v1 as sp;
use wenming_proto::supervision::v1::supervision_service_client::SupervisionServiceClient;
use wenming_testkit::fixtures::{field_violations, precondition_types};
use wenming_testkit::{TestDb, db_test};
use wenming_tests::Bearer;
use wenming_tests::scene::Scene;

type Supervision = SupervisionServiceClient<InterceptedService<Channel, Bearer>>;

const BAOFENG: &str = "410421";
/// 郏县, another county of Pingdingshan.
const JIAXIAN: &str = "410425";
const DOCUMENT: &str = "豫文明办〔2021〕15号";

fn supervision(s: &Scene, bearer: Bearer) -> Supervision {
    SupervisionServiceClient::with_interceptor(s.suite.gateway.clone(), bearer)
}

fn commendation(pairing: &str, day: &str) -> sp::CommendPairingRequest {
    sp::CommendPairingRequest {
        commendation: Some(sp::Commendation {
            pairing: pairing.into(),
            document_number: DOCUMENT.into(),
            title: "结对帮扶成效显著".into(),
            commended_on: day.into(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

async fn commendations_seen(s: &Scene, bearer: Bearer, unit: &str) -> Vec<String> {
    supervision(s, bearer)
        .list_commendations(sp::ListCommendationsRequest {
            unit: unit.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .commendations
        .into_iter()
        .map(|c| c.name)
        .collect()
}

db_test!(
    the_province_commends_a_pairing_on_the_units_record,
    commend_body
);
async fn commend_body(test_db: &TestDb) {
    let s = Scene::start(test_db).await;
    let campaign = s.campaign().await;
    let county = s.suite.office("county", BAOFENG);
    let (unit, pairing) = s
        .paired(
            county.clone(),
            county.clone(),
            &campaign,
            "宝丰县表扬对象企业",
            BAOFENG,
        )
        .await;
    let helper = pairing.helper.clone().unwrap().name;

    // A proposed pairing has done nothing yet.
    let err = supervision(&s, s.province())
        .commend_pairing(commendation(&pairing.name, "2021-04-15"))
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["commendation.pairing_state"]);
    s.pairing(county.clone())
        .activate_pairing(pp::ActivatePairingRequest {
            name: pairing.name.clone(),
            reason: "已签订结对帮创协议".into(),
            etag: pairing.etag.clone(),
        })
        .await
        .unwrap();
    // Only the province commends; not in the future.
    let err = supervision(&s, s.pingdingshan())
        .commend_pairing(commendation(&pairing.name, "2021-04-15"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = supervision(&s, s.province())
        .commend_pairing(commendation(&pairing.name, "2021-04-17"))
        .await
        .unwrap_err();
    assert_eq!(field_violations(&err)[0].0, "commendation.commended_on");

    let made = supervision(&s, s.province())
        .commend_pairing(commendation(&pairing.name, "2021-04-15"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            made.unit.as_str(),
            made.helper.as_str(),
            made.region_code.as_str()
        ),
        (unit.as_str(), helper.as_str(), BAOFENG)
    );
    assert_eq!(made.unit_display_name, "宝丰县表扬对象企业");
    let err = supervision(&s, s.province())
        .commend_pairing(commendation(&pairing.name, "2021-04-15"))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::AlreadyExists,
        "one per pairing and document"
    );

    // A platform sees it on the unit's record, from the document's day on.
    let code = s
        .registry(county.clone())
        .get_unit(rp::GetUnitRequest { name: unit.clone() })
        .await
        .unwrap()
        .into_inner()
        .credit_code;
    let platform = s
        .suite
        .platform_granted("tax", &[PlatformAction::VerifyTitle]);
    let verify = |as_of: &str| rp::VerifyTitleRequest {
        credit_code: code.clone(),
        as_of: as_of.into(),
        attest: false,
    };
    let answer = s
        .registry(platform.clone())
        .verify_title(verify(""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.commendations.len(), 1);
    let shown = &answer.commendations[0];
    assert_eq!(
        (
            shown.name.as_str(),
            shown.document_number.as_str(),
            shown.commended_on.as_str(),
            shown.pairing.as_str()
        ),
        (
            made.name.as_str(),
            DOCUMENT,
            "2021-04-15",
            pairing.name.as_str()
        )
    );
    let before = s
        .registry(platform)
        .verify_title(verify("2021-04-14"))
        .await
        .unwrap()
        .into_inner();
    assert!(before.commendations.is_empty());

    // Visible on the pairing to its unit, its helper and the offices over it; not to
    // another county. Nobody reaches the registry's internal call.
    for (who, bearer) in [
        ("the unit", s.suite.unit_user(&unit)),
        ("its helper", s.suite.unit_user(&helper)),
        ("the county", county.clone()),
        ("the city", s.pingdingshan()),
    ] {
        assert_eq!(
            commendations_seen(&s, bearer, "").await,
            std::slice::from_ref(&made.name),
            "{who}"
        );
    }
    let jiaxian = s.suite.office("county", JIAXIAN);
    assert!(commendations_seen(&s, jiaxian.clone(), "").await.is_empty());
    let err = supervision(&s, jiaxian)
        .get_commendation(sp::GetCommendationRequest {
            name: made.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let by_pairing = supervision(&s, s.pingdingshan())
        .list_commendations(sp::ListCommendationsRequest {
            pairing: pairing.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_pairing.commendations.len(), 1);
    let err = s
        .registry(s.province())
        .record_commendation(rp::RecordCommendationRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "internal only");
}

fn talk(unit: &str, finding: &str) -> sp::ScheduleAdmonishmentTalkRequest {
    sp::ScheduleAdmonishmentTalkRequest {
        talk: Some(sp::AdmonishmentTalk {
            unit: unit.into(),
            head: "王经理".into(),
            reason: "结对帮创只做样子、走过场".into(),
            finding: finding.into(),
            scheduled_on: "2021-04-16".into(),
            place: "平顶山市文明办会议室".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

fn held(participants: &[&str]) -> sp::RecordAdmonishmentTalkRequest {
    sp::RecordAdmonishmentTalkRequest {
        record: Some(sp::TalkRecord {
            held_on: "2021-04-16".into(),
            summary: "指出帮扶台账缺失、活动流于形式，企业负责人表态整改".into(),
            participants: participants.iter().map(|p| (*p).into()).collect(),
            commitments: vec!["一个月内补齐帮扶台账".into(), "每月开展一次共建活动".into()],
            ..Default::default()
        }),
        follow_up: Some(sp::RectificationTask {
            description: "补齐帮扶台账，按月开展共建活动".into(),
            due_date: "2021-05-16".into(),
            follow_up_office: format!("offices/{BAOFENG}"),
            ..Default::default()
        }),
        ..Default::default()
    }
}

db_test!(an_admonishment_talk_is_held_and_followed_up, talk_body);
async fn talk_body(test_db: &TestDb) {
    let s = Scene::start(test_db).await;
    let campaign = s.campaign().await;
    let county = s.suite.office("county", BAOFENG);
    let city = s.pingdingshan();
    let (unit, pairing) = s
        .paired(
            county.clone(),
            county.clone(),
            &campaign,
            "宝丰县约谈对象企业",
            BAOFENG,
        )
        .await;
    let (other, _) = s
        .paired(
            county.clone(),
            county.clone(),
            &campaign,
            "宝丰县另一企业",
            BAOFENG,
        )
        .await;
    // The city's visit to the unit found it going through the motions.
    let inspection = supervision(&s, city.clone())
        .plan_inspection(sp::PlanInspectionRequest {
            inspection: Some(sp::Inspection {
                kind: sp::InspectionKind::OpenVisit as i32,
                target: unit.clone(),
                inspectors: vec!["张督导".into()],
                planned_start: "2021-04-14".into(),
                planned_end: "2021-04-14".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    supervision(&s, city.clone())
        .record_visit(sp::RecordVisitRequest {
            name: inspection.name.clone(),
            visit: Some(sp::Visit {
                visited_on: "2021-04-14".into(),
                summary: "查看帮扶台账".into(),
                findings: vec![sp::Finding {
                    category: sp::FindingCategory::GoingThroughTheMotions as i32,
                    description: "帮扶台账只有一页".into(),
                    measure: "约谈企业负责人".into(),
                    pairing: pairing.name.clone(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            etag: String::new(),
        })
        .await
        .unwrap();
    let finding = format!("{}/findings/1", inspection.name);

    // The finding must be about the unit summoned.
    let err = supervision(&s, city.clone())
        .schedule_admonishment_talk(talk(&other, &finding))
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["talk.finding"]);
    let err = supervision(&s, s.suite.office("county", JIAXIAN))
        .schedule_admonishment_talk(talk(&unit, ""))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::NotFound,
        "a unit outside the office's region"
    );
    let scheduled = supervision(&s, city.clone())
        .schedule_admonishment_talk(talk(&unit, &finding))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(scheduled.state, sp::AdmonishmentState::Scheduled as i32);
    assert_eq!(scheduled.office, "offices/410400");

    // The unit sees it is summoned; the county sees it but does not record it.
    let listed = supervision(&s, s.suite.unit_user(&unit))
        .list_admonishment_talks(sp::ListAdmonishmentTalksRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.talks.len(), 1);
    let err = supervision(&s, county.clone())
        .record_admonishment_talk(sp::RecordAdmonishmentTalkRequest {
            name: scheduled.name.clone(),
            ..held(&["王经理"])
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = supervision(&s, city.clone())
        .record_admonishment_talk(sp::RecordAdmonishmentTalkRequest {
            name: scheduled.name.clone(),
            ..held(&[])
        })
        .await
        .unwrap_err();
    assert_eq!(field_violations(&err)[0].0, "record.participants");

    let done = supervision(&s, city.clone())
        .record_admonishment_talk(sp::RecordAdmonishmentTalkRequest {
            name: scheduled.name.clone(),
            etag: scheduled.etag.clone(),
            ..held(&["王经理", "张督导"])
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.state, sp::AdmonishmentState::Held as i32);
    assert_eq!(done.record.as_ref().unwrap().commitments.len(), 2);
    let err = supervision(&s, city.clone())
        .record_admonishment_talk(sp::RecordAdmonishmentTalkRequest {
            name: scheduled.name.clone(),
            ..held(&["王经理"])
        })
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["talk.state"]);

    // Its follow-up task, on the head by default, followed up by the county.
    let task = supervision(&s, county.clone())
        .get_rectification_task(sp::GetRectificationTaskRequest {
            name: done.follow_up_task.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            task.talk.as_str(),
            task.finding.as_str(),
            task.responsible_person.as_str(),
            task.follow_up_office.as_str(),
            task.target.as_str()
        ),
        (
            done.name.as_str(),
            "",
            "王经理",
            "offices/410421",
            unit.as_str()
        )
    );

    // A second talk is called off.
    let second = supervision(&s, city.clone())
        .schedule_admonishment_talk(talk(&unit, ""))
        .await
        .unwrap()
        .into_inner();
    let cancelled = supervision(&s, city.clone())
        .cancel_admonishment_talk(sp::CancelAdmonishmentTalkRequest {
            name: second.name.clone(),
            reason: "企业已主动整改".into(),
            etag: second.etag.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.state, sp::AdmonishmentState::Cancelled as i32);

    // The unit's history shows the visit, the talks and the task, newest first.
    let history = supervision(&s, s.suite.unit_user(&unit))
        .list_unit_history(sp::ListUnitHistoryRequest { unit: unit.clone() })
        .await
        .unwrap()
        .into_inner();
    let kinds: Vec<(i32, String)> = history
        .entries
        .iter()
        .map(|e| (e.kind, e.resource.clone()))
        .collect();
    use sp::UnitHistoryKind as K;
    assert_eq!(
        kinds,
        [
            (K::RectificationTask as i32, task.name.clone()),
            (
                K::AdmonishmentTalk as i32,
                [&done.name, &second.name]
                    .into_iter()
                    .max()
                    .unwrap()
                    .clone()
            ),
            (
                K::AdmonishmentTalk as i32,
                [&done.name, &second.name]
                    .into_iter()
                    .min()
                    .unwrap()
                    .clone()
            ),
            (K::Inspection as i32, inspection.name.clone()),
        ]
    );
    assert!(!history.truncated);
    let err = supervision(&s, s.suite.unit_user(&other))
        .list_unit_history(sp::ListUnitHistoryRequest { unit: unit.clone() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "another unit's history");
}
