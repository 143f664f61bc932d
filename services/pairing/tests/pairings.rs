//! Pairings over real gRPC: the pairing service calling the real registry, each on its
//! own database, on SQLite and PostgreSQL.

mod support;

use futures::future::join_all;
use support::*;
use tonic::Code;
use wenming_authz::Principal;
use wenming_domain::AdminLevel;
use wenming_proto::pairing::v1 as pp;
use wenming_proto::registry::v1 as rp;
use wenming_testkit::db_test;

async fn audit_count(app: &App, resource: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_records WHERE resource = $1")
        .bind(resource.to_owned())
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    n
}

async fn pairing_rows(app: &App) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pairings")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    n
}

db_test!(a_helper_works_with_its_unit, helper_works_with_its_unit);
async fn helper_works_with_its_unit(db: &wenming_testkit::TestDb) {
    let app = spawn(db).await;
    let campaign = app.campaign().await;
    let company = app.company("宝丰县恒达耐材有限公司", BAOFENG, 1).await;
    let helper = app
        .titled_unit("宝丰县人民医院", BAOFENG, 2, rp::TitleTier::National)
        .await;

    let pairing = app
        .city()
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::NationalCivilisedUnit,
            &helper,
            &company,
        ))
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
        audit_count(&app, &pairing.name).await,
        1,
        "audited with the change"
    );

    // The unit cannot accept in the helper's place; the helper unit can.
    let err = app
        .unit_user(&company)
        .activate_pairing(activate(&pairing.name))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let active = app
        .unit_user(&helper)
        .activate_pairing(activate(&pairing.name))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(active.state, pp::PairingState::Active as i32);
    assert_eq!(active.history.len(), 2);
    assert_eq!(active.history[1].reason, "双方已签订结对帮创协议");

    // The work plan: versioned, each milestone with a person and a date.
    let plan = |summary: &str, base: i64| pp::SubmitWorkPlanRequest {
        pairing: pairing.name.clone(),
        work_plan: Some(pp::WorkPlan {
            summary: summary.to_owned(),
            milestones: vec![pp::Milestone {
                title: "建立党建+文明创建工作机制".into(),
                responsible_person: "张建华".into(),
                due_date: "2021-06-30".into(),
                completed_on: String::new(),
            }],
            ..Default::default()
        }),
        base_version: base,
    };
    let v1 = app
        .unit_user(&helper)
        .submit_work_plan(plan("创建工作方案（初稿）", 0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v1.version, 1);
    let stale = app
        .unit_user(&company)
        .submit_work_plan(plan("另一份方案", 0))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted, "{stale:?}");
    let v2 = app
        .unit_user(&company)
        .submit_work_plan(plan("创建工作方案（定稿）", 1))
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
    let mut bad = plan("方案", 2);
    bad.work_plan.as_mut().unwrap().milestones[0].responsible_person = " ".into();
    let err = app
        .unit_user(&company)
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

    // An activity and a ledger entry belonging to it.
    let activity = app
        .unit_user(&helper)
        .record_activity(pp::RecordActivityRequest {
            pairing: pairing.name.clone(),
            activity: Some(pp::Activity {
                title: "文明礼仪培训".into(),
                category: pp::LedgerCategory::Training as i32,
                start_date: "2021-05-10".into(),
                description: "医院志愿者为企业员工讲授文明礼仪".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let entry = pp::AddLedgerEntryRequest {
        pairing: pairing.name.clone(),
        entry: Some(pp::LedgerEntry {
            date: "2021-04-14".into(),
            category: pp::LedgerCategory::Training as i32,
            description: "开展文明礼仪培训，员工62人参加".into(),
            participants: vec!["宝丰县人民医院志愿服务队".into(), "恒达耐材全体员工".into()],
            evidence: vec!["台账档案 2021-培训-01".into()],
            activity: activity.name.clone(),
            ..Default::default()
        }),
        request_id: "ledger-1".into(),
    };
    let added = app
        .unit_user(&company)
        .add_ledger_entry(entry.clone())
        .await
        .unwrap()
        .into_inner();
    let again = app
        .unit_user(&company)
        .add_ledger_entry(entry.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.name, again.name, "a retried request_id adds nothing");
    // The same request_id for another kind of call is refused, naming it.
    let err = app
        .unit_user(&company)
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
        .unit_user(&company)
        .add_ledger_entry(future)
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("entry.date".to_owned(), "NOT_IN_FUTURE".to_owned())]
    );

    // Offices above read; another county does not see it; offices above do not write.
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
    let err = app
        .county(YEXIAN)
        .get_pairing(pp::GetPairingRequest {
            name: pairing.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = app
        .county(BAOFENG)
        .submit_work_plan(plan("县里改方案", 2))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let stranger = app.company("叶县某公司", YEXIAN, 3).await;
    let err = app
        .unit_user(&stranger)
        .get_pairing(pp::GetPairingRequest {
            name: pairing.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    // The highlight brand, with optimistic concurrency.
    let branded = app
        .unit_user(&company)
        .set_highlight_brand(pp::SetHighlightBrandRequest {
            pairing: pairing.name.clone(),
            highlight_brand: Some(pp::HighlightBrand {
                display_name: "匠心耐材·文明同行".into(),
                description: "以工匠精神带动文明创建".into(),
            }),
            etag: active.etag.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        branded.highlight_brand.unwrap().display_name,
        "匠心耐材·文明同行"
    );

    // Conclusion is the arranging office's, not the helper's.
    let conclude = pp::ConcludePairingRequest {
        name: pairing.name.clone(),
        reason: "创建目标完成".into(),
        etag: String::new(),
    };
    let err = app
        .unit_user(&helper)
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
    let err = app
        .unit_user(&company)
        .add_ledger_entry(pp::AddLedgerEntryRequest {
            request_id: String::new(),
            ..entry
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
}

db_test!(
    proposals_are_checked_against_the_registry,
    proposals_are_checked
);
async fn proposals_are_checked(db: &wenming_testkit::TestDb) {
    let app = spawn(db).await;
    let campaign = app.campaign().await;
    let company = app.company("宝丰县恒达耐材有限公司", BAOFENG, 1).await;
    let national = app
        .titled_unit("宝丰县人民医院", BAOFENG, 2, rp::TitleTier::National)
        .await;
    let city_titled = app
        .titled_unit("宝丰县第一中学", BAOFENG, 3, rp::TitleTier::Provincial)
        .await;
    let ye_company = app.company("叶县某公司", YEXIAN, 4).await;

    // A unit helper without the title its kind needs.
    let err = app
        .city()
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::ProvincialModelUnit,
            &national,
            &company,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_types(&err), ["pairing.helper_title"]);
    // A public unit cannot be the unit helped.
    let err = app
        .city()
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::NationalCivilisedUnit,
            &national,
            &city_titled,
        ))
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["pairing.unit_not_non_public"]);
    // A county arranges only within its county: another county's unit is not found.
    let err = app
        .county(BAOFENG)
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::CountyOffice,
            &format!("offices/{BAOFENG}"),
            &ye_company,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    // …nor may it name another county's office as helper.
    let err = app
        .county(BAOFENG)
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::CountyOffice,
            &format!("offices/{YEXIAN}"),
            &company,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    // An office helper's kind must match its level.
    let err = app
        .city()
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::CityOffice,
            &format!("offices/{BAOFENG}"),
            &company,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("pairing.helper.name".to_owned(), "HELPER_LEVEL".to_owned())]
    );
    // Malformed input names its field.
    let err = app
        .city()
        .create_pairing(proposal(
            "campaign-1",
            pp::HelperKind::NationalCivilisedUnit,
            &national,
            &company,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("pairing.campaign".to_owned(), "RESOURCE_NAME".to_owned())]
    );
    let err = app
        .city()
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::Unspecified,
            &national,
            &company,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("pairing.helper.kind".to_owned(), "REQUIRED".to_owned())]
    );
    // Only city and county offices arrange.
    for caller in [app.province(), app.unit_user(&national)] {
        let err = caller
            .clone()
            .create_pairing(proposal(
                &campaign,
                pp::HelperKind::NationalCivilisedUnit,
                &national,
                &company,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);
    }
    assert_eq!(
        pairing_rows(&app).await,
        0,
        "nothing written by refused calls"
    );

    // The county office itself helps a unit of its own county.
    let own = app
        .county(BAOFENG)
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::CountyOffice,
            &format!("offices/{BAOFENG}"),
            &company,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.helper.unwrap().display_name, "宝丰县");

    // The city names the county office as helper; the county accepts.
    let other = app.company("宝丰县金鼎机械有限公司", BAOFENG, 5).await;
    let arranged = app
        .city()
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::CountyOffice,
            &format!("offices/{YEXIAN}"),
            &other,
        ))
        .await
        .unwrap()
        .into_inner();
    let err = app
        .county(BAOFENG)
        .activate_pairing(activate(&arranged.name))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::PermissionDenied,
        "the unit's county is not the helper"
    );
    let accepted = app
        .county(YEXIAN)
        .activate_pairing(activate(&arranged.name))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.state, pp::PairingState::Active as i32);
    // A filter naming no valid helper is refused, naming the field.
    let err = app
        .city()
        .list_pairings(pp::ListPairingsRequest {
            helper: "宝丰县医院".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("helper".to_owned(), "RESOURCE_NAME".to_owned())]
    );
}

db_test!(one_to_one_holds_and_the_province_may_waive_it, one_to_one);
async fn one_to_one(db: &wenming_testkit::TestDb) {
    let app = spawn(db).await;
    let campaign = app.campaign().await;
    let first = app.company("宝丰县恒达耐材有限公司", BAOFENG, 1).await;
    let second = app.company("宝丰县金鼎机械有限公司", BAOFENG, 2).await;
    let helper = app
        .titled_unit("宝丰县人民医院", BAOFENG, 3, rp::TitleTier::National)
        .await;
    let propose = |unit: &str| {
        proposal(
            &campaign,
            pp::HelperKind::NationalCivilisedUnit,
            &helper,
            unit,
        )
    };
    let pairing = app
        .city()
        .create_pairing(propose(&first))
        .await
        .unwrap()
        .into_inner();
    let err = app
        .county(BAOFENG)
        .create_pairing(propose(&second))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_types(&err), ["pairing.one_to_one"]);

    // Only the province waives the rule, in writing; the waiver is then used and shown.
    let grant = pp::GrantPairingExceptionRequest {
        exception: Some(pp::PairingException {
            campaign: campaign.clone(),
            helper: helper.clone(),
            unit: second.clone(),
            reason: "该医院对口帮扶两家相邻企业，经省文明办同意".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let err = app
        .city()
        .grant_pairing_exception(grant.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let exception = app
        .province()
        .grant_pairing_exception(grant)
        .await
        .unwrap()
        .into_inner();
    let waived = app
        .county(BAOFENG)
        .create_pairing(propose(&second))
        .await
        .unwrap()
        .into_inner();
    let shown = waived.exception.expect("the exception is visible");
    assert_eq!(shown.name, exception.name);
    assert_eq!(shown.used_by, waived.name);
    assert!(shown.reason.contains("省文明办同意"));
    // The exception waived the helper's rule only: the unit's place is still taken.
    let other_helper = app
        .titled_unit("宝丰县第二文明单位", BAOFENG, 5, rp::TitleTier::National)
        .await;
    let err = app
        .county(BAOFENG)
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::NationalCivilisedUnit,
            &other_helper,
            &second,
        ))
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["pairing.one_to_one"]);
    // Used once: a third unit is refused again.
    let third = app.company("宝丰县第三公司", BAOFENG, 4).await;
    let err = app
        .county(BAOFENG)
        .create_pairing(propose(&third))
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["pairing.one_to_one"]);
    // A dissolved pairing frees the helper.
    app.city()
        .dissolve_pairing(pp::DissolvePairingRequest {
            name: pairing.name,
            reason: "企业经营调整".into(),
            etag: String::new(),
        })
        .await
        .unwrap();
    app.county(BAOFENG)
        .create_pairing(propose(&third))
        .await
        .unwrap();
}

/// 32 callers at once, alternating between the city and the county office (so that
/// they do not queue on one list row): exactly one wins, the rest are refused.
async fn race(app: &App, requests: Vec<pp::CreatePairingRequest>) {
    let calls = requests.into_iter().enumerate().map(|(i, request)| {
        let mut client = if i % 2 == 0 {
            app.city()
        } else {
            app.county(BAOFENG)
        };
        async move { client.create_pairing(request).await }
    });
    let results = join_all(calls).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "exactly one proposal wins: {results:?}");
    for result in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(result.code(), Code::FailedPrecondition, "{result:?}");
        assert_eq!(precondition_types(result), ["pairing.one_to_one"]);
    }
    let (open,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM pairings WHERE state IN ('proposed', 'active')")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(open, 1);
}

db_test!(
    two_helpers_racing_for_one_unit_end_with_one_pairing,
    helpers_race
);
async fn helpers_race(db: &wenming_testkit::TestDb) {
    let app = spawn(db).await;
    let campaign = app.campaign().await;
    let unit = app.company("宝丰县恒达耐材有限公司", BAOFENG, 1).await;
    let mut requests = Vec::new();
    for n in 0..32 {
        let helper = app
            .titled_unit(
                &format!("宝丰县文明单位{n}"),
                BAOFENG,
                100 + n,
                rp::TitleTier::National,
            )
            .await;
        requests.push(proposal(
            &campaign,
            pp::HelperKind::NationalCivilisedUnit,
            &helper,
            &unit,
        ));
    }
    race(&app, requests).await;
}

db_test!(
    one_helper_racing_for_two_units_ends_with_one_pairing,
    units_race
);
async fn units_race(db: &wenming_testkit::TestDb) {
    let app = spawn(db).await;
    let campaign = app.campaign().await;
    let helper = app
        .titled_unit("宝丰县人民医院", BAOFENG, 1, rp::TitleTier::National)
        .await;
    let mut requests = Vec::new();
    for n in 0..32 {
        let unit = app
            .company(&format!("宝丰县企业{n}"), BAOFENG, 100 + n)
            .await;
        requests.push(proposal(
            &campaign,
            pp::HelperKind::NationalCivilisedUnit,
            &helper,
            &unit,
        ));
    }
    race(&app, requests).await;
}

db_test!(
    pairing_lists_are_reported_reopened_and_marked_late,
    pairing_lists
);
async fn pairing_lists(db: &wenming_testkit::TestDb) {
    let app = spawn(db).await;
    let campaign = app.campaign().await;
    let company = app.company("宝丰县恒达耐材有限公司", BAOFENG, 1).await;
    let other = app.company("宝丰县金鼎机械有限公司", BAOFENG, 2).await;
    let city_list = format!("{campaign}/pairingLists/{PINGDINGSHAN}");
    let county_list = format!("{campaign}/pairingLists/{BAOFENG}");
    app.city()
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::CityOffice,
            &format!("offices/{PINGDINGSHAN}"),
            &company,
        ))
        .await
        .unwrap();

    // Another office cannot report the city's list.
    let err = app
        .county(BAOFENG)
        .report_pairing_list(pp::ReportPairingListRequest {
            name: city_list.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let reported = app
        .city()
        .report_pairing_list(pp::ReportPairingListRequest {
            name: city_list.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reported.state, pp::PairingListState::Reported as i32);
    assert_eq!(reported.pairing_count, 1);
    assert_eq!(reported.deadline, "2021-05-01");
    assert!(!reported.late);
    assert_eq!(audit_count(&app, &city_list).await, 1);

    // Reported: the city's pairings no longer change.
    let err = app
        .city()
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::CountyOffice,
            &format!("offices/{BAOFENG}"),
            &other,
        ))
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["pairing_list.reported"]);
    // The province sees every list; a reopening needs its reason.
    let lists = app
        .province()
        .list_pairing_lists(pp::ListPairingListsRequest {
            campaign: campaign.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .pairing_lists;
    assert_eq!(lists.len(), 1);
    let reopen = pp::ReopenPairingListRequest {
        name: city_list.clone(),
        reason: "增补一家结对企业".into(),
    };
    let err = app
        .city()
        .reopen_pairing_list(reopen.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let reopened = app
        .province()
        .reopen_pairing_list(reopen)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reopened.state, pp::PairingListState::Open as i32);
    assert_eq!(reopened.history.len(), 2);
    assert_eq!(reopened.history[1].reason, "增补一家结对企业");
    app.city()
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::CountyOffice,
            &format!("offices/{BAOFENG}"),
            &other,
        ))
        .await
        .unwrap();

    // After 1 May (China time) a report is accepted and marked late.
    app.clock.set("2021-05-01T16:00:01Z".parse().unwrap());
    let late = app
        .county(BAOFENG)
        .report_pairing_list(pp::ReportPairingListRequest {
            name: county_list.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(late.late);
    assert_eq!(late.pairing_count, 0);
    let again = app
        .county(BAOFENG)
        .report_pairing_list(pp::ReportPairingListRequest { name: county_list })
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&again), ["pairing_list.reported"]);
    // Only city and county offices keep lists.
    let err = app
        .province()
        .get_pairing_list(pp::GetPairingListRequest {
            name: format!("{campaign}/pairingLists/410000"),
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("name".to_owned(), "LIST_OFFICE".to_owned())]
    );
    // The city reads its counties' lists; the county only its own.
    let seen = |lists: Vec<pp::PairingList>| {
        lists
            .into_iter()
            .map(|l| l.office_region_code)
            .collect::<Vec<_>>()
    };
    let by_city = app
        .city()
        .list_pairing_lists(pp::ListPairingListsRequest {
            campaign: campaign.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .pairing_lists;
    assert_eq!(seen(by_city), [PINGDINGSHAN, BAOFENG]);
    let by_county = app
        .county(BAOFENG)
        .list_pairing_lists(pp::ListPairingListsRequest {
            campaign,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .pairing_lists;
    assert_eq!(seen(by_county), [BAOFENG]);
}

db_test!(
    a_registry_that_is_down_or_silent_writes_nothing,
    registry_trouble
);
async fn registry_trouble(db: &wenming_testkit::TestDb) {
    // Down: nothing listens on the port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let key = wenming_authz::IdentityKey::generate();
    let clock = std::sync::Arc::new(wenming_domain::FixedClock::new(april_15_2021()));
    let app = spawn_pairing(db, key.clone(), clock.clone(), &down_url).await;
    let unit = format!("units/{}", wenming_domain::UnitId::new());
    let campaign = format!("campaigns/{}", wenming_domain::CampaignId::new());
    let request = proposal(
        &campaign,
        pp::HelperKind::CityOffice,
        &format!("offices/{PINGDINGSHAN}"),
        &unit,
    );
    let err = app
        .city()
        .create_pairing(request.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert_eq!(pairing_rows(&app).await, 0);

    // Silent: it accepts connections and never answers; the caller's deadline holds.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let app = spawn_pairing(db, key, clock, &silent_url).await;
    let mut call = tonic::Request::new(request);
    call.set_timeout(std::time::Duration::from_secs(1));
    let err = app.city().create_pairing(call).await.unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded, "{err:?}");
    assert_eq!(pairing_rows(&app).await, 0);
}

#[tokio::test]
async fn a_call_without_the_internal_identity_is_refused() {
    let db = wenming_testkit::TestDb::sqlite().await;
    let app = spawn(&db).await;
    // The same service, called with a principal signed by a key it does not trust.
    let foreign = wenming_authz::IdentityKey::generate();
    let mut client =
        wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient::with_interceptor(
            app.pairing_channel(),
            wenming_testkit::AsPrincipal::new(
                &foreign,
                Principal::office(
                    "x",
                    AdminLevel::Province,
                    wenming_domain::RegionCode::parse("410000").unwrap(),
                ),
            ),
        );
    let err = client
        .list_pairings(pp::ListPairingsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let mut bare = wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient::new(
        app.pairing_channel(),
    );
    let err = bare
        .list_pairings(pp::ListPairingsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

db_test!(
    a_ledger_entry_racing_a_conclusion_is_refused,
    ledger_entry_racing_a_conclusion
);
async fn ledger_entry_racing_a_conclusion(db: &wenming_testkit::TestDb) {
    use wenming_runtime::db::Backend;
    let app = spawn(db).await;
    let campaign = app.campaign().await;
    let company = app.company("宝丰县恒达耐材有限公司", BAOFENG, 1).await;
    let pairing = app
        .city()
        .create_pairing(proposal(
            &campaign,
            pp::HelperKind::CityOffice,
            &format!("offices/{PINGDINGSHAN}"),
            &company,
        ))
        .await
        .unwrap()
        .into_inner();
    app.city()
        .activate_pairing(activate(&pairing.name))
        .await
        .unwrap();
    let id = pairing.name.trim_start_matches("pairings/").to_owned();

    // A conclusion in progress holds the pairing's row; the entry is written meanwhile.
    let mut conclusion = app.db.begin_write().await.unwrap();
    sqlx::query("UPDATE pairings SET state = 'concluded', version = version + 1 WHERE id = $1")
        .bind(id.clone())
        .execute(&mut *conclusion)
        .await
        .unwrap();
    let mut unit = app.unit_user(&company);
    let entry = tokio::spawn(async move {
        unit.add_ledger_entry(pp::AddLedgerEntryRequest {
            pairing: format!("pairings/{id}"),
            entry: Some(pp::LedgerEntry {
                date: "2021-04-14".into(),
                category: pp::LedgerCategory::Training as i32,
                description: "结对后的第一次培训".into(),
                participants: vec!["恒达耐材职工".into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
    });
    // On PostgreSQL, commit only once the entry's transaction waits for the row, so that
    // the entry has read the pairing as active before the conclusion lands (without the
    // re-check in its transaction this test fails there). SQLite gives no way to see the
    // entry waiting; there only the outcome is checked.
    if app.db.backend() == Backend::Postgres {
        tokio::time::timeout(std::time::Duration::from_secs(10), async {
            loop {
                let (waiting,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
                     AND query LIKE 'UPDATE pairings SET updated_at = updated_at%'",
                )
                .fetch_one(app.db.pool())
                .await
                .unwrap();
                if waiting > 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the entry waits for the conclusion's row lock");
    }
    conclusion.commit().await.unwrap();
    let err = entry.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(precondition_types(&err), ["pairing.closed"]);
    let (entries,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM ledger_entries")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(entries, 0, "no entry on a concluded pairing");
}
