//! The work of a pairing, one rule a test: acceptance by the helper, versioned work
//! plans with owners, activities and ledger entries (with request ids), who reads and
//! who writes, the highlight brand, and conclusion. Real gRPC, the real registry, both
//! databases.

use crate::support;

use support::*;
use tonic::Code;
use wenming_proto::pairing::v1 as pp;
use wenming_testkit::{TestDb, db_test};

db_test!(
    a_proposal_is_audited_and_only_the_helper_accepts_it,
    proposal_body
);
async fn proposal_body(db: &TestDb) {
    let s = scene(db).await;
    let app = &s.app;
    let pairing = app
        .city()
        .create_pairing(s.proposal())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pairing.state, pp::PairingState::Proposed as i32);
    assert_eq!(pairing.office_region_code, PINGDINGSHAN);
    assert_eq!(pairing.unit_region_code, BAOFENG);
    assert_eq!(pairing.unit_display_name, "宝丰县恒达耐材有限公司");
    assert_eq!(
        pairing.helper.as_ref().unwrap().display_name,
        "宝丰县人民医院"
    );
    assert_eq!(
        audit_count(app, &pairing.name).await,
        1,
        "audited with the change"
    );

    // The unit cannot accept in the helper's place; the helper unit can.
    let err = app
        .unit_user(&s.company)
        .activate_pairing(activate(&pairing.name))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let active = app
        .unit_user(&s.helper)
        .activate_pairing(activate(&pairing.name))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(active.state, pp::PairingState::Active as i32);
    assert_eq!(active.history.len(), 2);
    assert_eq!(active.history[1].reason, "双方已签订结对帮创协议");
}

db_test!(
    work_plans_are_versioned_and_every_milestone_has_an_owner,
    plan_body
);
async fn plan_body(db: &TestDb) {
    let s = scene(db).await;
    let app = &s.app;
    let pairing = s.active_pairing().await;
    let v1 = app
        .unit_user(&s.helper)
        .submit_work_plan(s.plan(&pairing.name, "创建工作方案（初稿）", 0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v1.version, 1);
    let stale = app
        .unit_user(&s.company)
        .submit_work_plan(s.plan(&pairing.name, "另一份方案", 0))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted, "{stale:?}");
    let v2 = app
        .unit_user(&s.company)
        .submit_work_plan(s.plan(&pairing.name, "创建工作方案（定稿）", 1))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v2.version, 2);
    let first = app
        .city()
        .get_work_plan(pp::GetWorkPlanRequest {
            pairing: pairing.name.clone(),
            version: 1,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.summary, "创建工作方案（初稿）");
    // A plan without a responsible person is refused, naming the field.
    let mut bad = s.plan(&pairing.name, "方案", 2);
    bad.work_plan.as_mut().unwrap().milestones[0].responsible_person = " ".into();
    let err = app
        .unit_user(&s.company)
        .submit_work_plan(bad)
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [(
            "work_plan.milestones[0].responsible_person".to_owned(),
            "TOO_SHORT".to_owned()
        )]
    );
}

db_test!(
    ledger_entries_are_retried_by_request_id_and_dated_up_to_today,
    ledger_body
);
async fn ledger_body(db: &TestDb) {
    let s = scene(db).await;
    let app = &s.app;
    let pairing = s.active_pairing().await;
    let activity = s.activity(&pairing.name).await;
    let entry = s.ledger_entry(&pairing.name, &activity.name);
    let added = app
        .unit_user(&s.company)
        .add_ledger_entry(entry.clone())
        .await
        .unwrap()
        .into_inner();
    let again = app
        .unit_user(&s.company)
        .add_ledger_entry(entry.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.name, again.name, "a retried request_id adds nothing");
    // The same request_id for another kind of call is refused, naming it.
    let err = app
        .unit_user(&s.company)
        .record_activity(pp::RecordActivityRequest {
            pairing: pairing.name.clone(),
            activity: Some(pp::Activity {
                title: "志愿服务".into(),
                category: pp::LedgerCategory::VolunteerService as i32,
                start_date: "2021-05-12".into(),
                description: "同一个请求号".into(),
                ..Default::default()
            }),
            request_id: "ledger-1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("request_id".to_owned(), "REUSED".to_owned())]
    );
    let mut future = entry.clone();
    future.request_id = String::new();
    future.entry.as_mut().unwrap().date = "2021-04-16".into();
    let err = app
        .unit_user(&s.company)
        .add_ledger_entry(future)
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("entry.date".to_owned(), "NOT_IN_FUTURE".to_owned())]
    );
}

db_test!(
    offices_above_read_a_pairing_and_do_not_write_it,
    readers_body
);
async fn readers_body(db: &TestDb) {
    let s = scene(db).await;
    let app = &s.app;
    let pairing = s.active_pairing().await;
    let activity = s.activity(&pairing.name).await;
    app.unit_user(&s.company)
        .add_ledger_entry(s.ledger_entry(&pairing.name, &activity.name))
        .await
        .unwrap();
    let entries = app
        .province()
        .list_ledger_entries(pp::ListLedgerEntriesRequest {
            pairing: pairing.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].activity, activity.name);
    // Another county does not see it.
    let err = app
        .county(YEXIAN)
        .get_pairing(pp::GetPairingRequest {
            name: pairing.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // Offices above do not write.
    let err = app
        .county(BAOFENG)
        .submit_work_plan(s.plan(&pairing.name, "县里改方案", 0))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // Another unit's users do not see it.
    let stranger = app.company("叶县某公司", YEXIAN, 3).await;
    let err = app
        .unit_user(&stranger)
        .get_pairing(pp::GetPairingRequest {
            name: pairing.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

db_test!(
    the_highlight_brand_is_set_against_the_current_etag,
    brand_body
);
async fn brand_body(db: &TestDb) {
    let s = scene(db).await;
    let pairing = s.active_pairing().await;
    let brand = |etag: &str| pp::SetHighlightBrandRequest {
        pairing: pairing.name.clone(),
        highlight_brand: Some(pp::HighlightBrand {
            display_name: "匠心耐材·文明同行".into(),
            description: "以工匠精神带动文明创建".into(),
        }),
        etag: etag.to_owned(),
    };
    let branded = s
        .app
        .unit_user(&s.company)
        .set_highlight_brand(brand(&pairing.etag))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        branded.highlight_brand.unwrap().display_name,
        "匠心耐材·文明同行"
    );
    // The etag it was set against is stale now.
    let err = s
        .app
        .unit_user(&s.company)
        .set_highlight_brand(brand(&pairing.etag))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
}

db_test!(
    only_the_arranging_office_concludes_and_then_the_work_stops,
    conclusion_body
);
async fn conclusion_body(db: &TestDb) {
    let s = scene(db).await;
    let app = &s.app;
    let pairing = s.active_pairing().await;
    let conclude = pp::ConcludePairingRequest {
        name: pairing.name.clone(),
        reason: "创建目标完成".into(),
        etag: String::new(),
    };
    let err = app
        .unit_user(&s.helper)
        .conclude_pairing(conclude.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let done = app
        .city()
        .conclude_pairing(conclude)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.state, pp::PairingState::Concluded as i32);
    let activity_gone = s.ledger_entry(&pairing.name, "");
    let err = app
        .unit_user(&s.company)
        .add_ledger_entry(pp::AddLedgerEntryRequest {
            request_id: String::new(),
            ..activity_gone
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
}
