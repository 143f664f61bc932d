//! Nominations of cultivation targets, one rule a test: the batch of three to five, a
//! return with a reason that frees a place, a decision made once by the organiser, and
//! scope. Real gRPC, both databases.

use crate::support;

use support::*;
use tonic::Code;
use wenming_proto::registry::v1 as pb;
use wenming_testkit::{TestDb, db_test};

async fn baofeng_units(app: &App, count: u32, base: u32) -> Vec<pb::Unit> {
    let mut county = app.county("410421");
    let mut units = Vec::new();
    for n in 0..count {
        units.push(
            create(
                &mut county,
                company(&format!("宝丰企业{}", base + n), "410421", base + n),
            )
            .await,
        );
    }
    units
}

fn submit(campaign: &pb::Campaign, units: &[pb::Unit]) -> pb::SubmitNominationsRequest {
    pb::SubmitNominationsRequest {
        campaign: campaign.name.clone(),
        units: units.iter().map(|u| u.name.clone()).collect(),
        request_id: String::new(),
        target_tier: pb::TitleTier::City as i32,
    }
}

/// The campaign, six units of 宝丰县, and the first three nominated.
async fn nominated(app: &App) -> (pb::Campaign, Vec<pb::Unit>, Vec<pb::Nomination>) {
    let campaign = pingdingshan_campaign(app).await;
    let units = baofeng_units(app, 6, 1000).await;
    let first = app
        .county("410421")
        .submit_nominations(submit(&campaign, &units[..3]))
        .await
        .unwrap()
        .into_inner()
        .nominations;
    (campaign, units, first)
}

fn decision(
    name: &str,
    decision: pb::NominationDecision,
    reason: &str,
    etag: &str,
) -> pb::DecideNominationRequest {
    pb::DecideNominationRequest {
        name: name.to_owned(),
        decision: decision as i32,
        reason: reason.to_owned(),
        etag: etag.to_owned(),
    }
}

db_test!(a_county_nominates_three_to_five_units, batch_body);
async fn batch_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let campaign = pingdingshan_campaign(&app).await;
    assert_eq!((campaign.batch_min, campaign.batch_max), (3, 5));
    let units = baofeng_units(&app, 7, 1000).await;
    let mut county = app.county("410421");

    // Two are too few.
    let err = county
        .submit_nominations(submit(&campaign, &units[..2]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(
        precondition_types(&err),
        vec!["nomination.batch_min".to_owned()]
    );
    // Three are fine.
    let first = county
        .submit_nominations(submit(&campaign, &units[..3]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.nominations.len(), 3);
    assert!(
        first
            .nominations
            .iter()
            .all(|n| n.status == pb::NominationStatus::Submitted as i32)
    );
    // Three more would make six.
    let err = county
        .submit_nominations(submit(&campaign, &units[3..6]))
        .await
        .unwrap_err();
    assert_eq!(
        precondition_types(&err),
        vec!["nomination.batch_max".to_owned()]
    );
    // Two more make five.
    county
        .submit_nominations(submit(&campaign, &units[3..5]))
        .await
        .unwrap();
    // The same unit twice is refused.
    let err = county
        .submit_nominations(submit(&campaign, &units[..1]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
}

db_test!(a_return_needs_a_reason_and_frees_a_place, return_body);
async fn return_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let (campaign, units, first) = nominated(&app).await;
    let mut county = app.county("410421");
    county
        .submit_nominations(submit(&campaign, &units[3..5]))
        .await
        .unwrap();
    let mut city = app.city("410400");
    let returned_name = first[0].name.clone();
    let err = city
        .decide_nomination(decision(
            &returned_name,
            pb::NominationDecision::Return,
            "",
            "",
        ))
        .await
        .unwrap_err();
    assert_eq!(field_violations(&err)[0].0, "reason");
    let returned = city
        .decide_nomination(decision(
            &returned_name,
            pb::NominationDecision::Return,
            "党组织尚未建立",
            &first[0].etag,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(returned.status, pb::NominationStatus::Returned as i32);
    assert_eq!(returned.history.len(), 2);
    assert_eq!(returned.history[1].reason, "党组织尚未建立");
    assert_eq!(returned.history[1].actor, "office-410400");
    // Five were active; the return freed a place for a sixth unit.
    county
        .submit_nominations(submit(&campaign, &units[5..6]))
        .await
        .unwrap();
}

db_test!(
    a_nomination_is_decided_once_and_by_the_organiser,
    decide_body
);
async fn decide_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let (_, _, first) = nominated(&app).await;
    let mut city = app.city("410400");
    city.decide_nomination(decision(
        &first[0].name,
        pb::NominationDecision::Return,
        "党组织尚未建立",
        "",
    ))
    .await
    .unwrap();
    let err = city
        .decide_nomination(decision(
            &first[0].name,
            pb::NominationDecision::Accept,
            "",
            "",
        ))
        .await
        .unwrap_err();
    assert_eq!(
        precondition_types(&err),
        vec!["nomination.status".to_owned()]
    );
    let err = app
        .county("410421")
        .decide_nomination(decision(
            &first[1].name,
            pb::NominationDecision::Accept,
            "",
            "",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

db_test!(another_county_sees_none_of_the_nominations, scope_body);
async fn scope_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let (campaign, units, first) = nominated(&app).await;
    // Five submitted, one returned, a sixth in its place: six nominations in all.
    let mut county = app.county("410421");
    county
        .submit_nominations(submit(&campaign, &units[3..5]))
        .await
        .unwrap();
    app.city("410400")
        .decide_nomination(decision(
            &first[0].name,
            pb::NominationDecision::Return,
            "党组织尚未建立",
            "",
        ))
        .await
        .unwrap();
    county
        .submit_nominations(submit(&campaign, &units[5..6]))
        .await
        .unwrap();
    let theirs = app
        .county("410422")
        .list_nominations(pb::ListNominationsRequest {
            campaign: campaign.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(theirs.nominations.is_empty());
    let all = app
        .city("410400")
        .list_nominations(pb::ListNominationsRequest {
            campaign: campaign.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.nominations.len(), 6);
}

db_test!(a_nomination_names_the_tier_it_cultivates_for, tier_body);
async fn tier_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let campaign = pingdingshan_campaign(&app).await;
    let units = baofeng_units(&app, 3, 1000).await;
    let mut county = app.county("410421");
    // The campaign cultivates for three tiers: a submission names one of them.
    let err = county
        .submit_nominations(pb::SubmitNominationsRequest {
            target_tier: pb::TitleTier::Unspecified as i32,
            ..submit(&campaign, &units)
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("target_tier".to_owned(), "REQUIRED".to_owned())]
    );
    let err = county
        .submit_nominations(pb::SubmitNominationsRequest {
            target_tier: pb::TitleTier::National as i32,
            ..submit(&campaign, &units)
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("target_tier".to_owned(), "TIER_NOT_TARGETED".to_owned())]
    );
    assert!(zh_cn(&err).contains("全国文明单位"), "{}", zh_cn(&err));
    let nominated = county
        .submit_nominations(pb::SubmitNominationsRequest {
            target_tier: pb::TitleTier::ProvincialModel as i32,
            ..submit(&campaign, &units)
        })
        .await
        .unwrap()
        .into_inner()
        .nominations;
    assert!(
        nominated
            .iter()
            .all(|n| n.target_tier == pb::TitleTier::ProvincialModel as i32)
    );
    let listed = app
        .city("410400")
        .list_nominations(pb::ListNominationsRequest {
            campaign: campaign.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .nominations;
    assert_eq!(listed[0].target_tier, pb::TitleTier::ProvincialModel as i32);
}
