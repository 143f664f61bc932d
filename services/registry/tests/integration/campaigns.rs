//! Deadlines where the notice puts them: a city's campaign belongs to the province's and
//! takes its pairing-list deadline; the organiser moves a deadline with a reason,
//! audited and listed on the campaign. Real gRPC, both databases.

use crate::support;

use support::*;
use tonic::Code;
use wenming_proto::registry::v1 as pb;
use wenming_testkit::{TestDb, db_test};

async fn henan(app: &App) -> pb::Campaign {
    app.province()
        .create_campaign(pb::CreateCampaignRequest {
            campaign: Some(henan_campaign_pb()),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// Pingdingshan's campaign, belonging to `parent`.
fn pingdingshan_in(parent: &pb::Campaign) -> pb::CreateCampaignRequest {
    pb::CreateCampaignRequest {
        campaign: Some(pb::Campaign {
            parent_campaign: parent.name.clone(),
            pairing_list_deadline: String::new(),
            ..pingdingshan_campaign_pb()
        }),
        request_id: String::new(),
    }
}

fn moving(
    campaign: &pb::Campaign,
    deadline: pb::CampaignDeadline,
    to: &str,
) -> pb::MoveCampaignDeadlineRequest {
    pb::MoveCampaignDeadlineRequest {
        campaign: campaign.name.clone(),
        deadline: deadline as i32,
        moved_to: to.into(),
        reason: "五一假期顺延".into(),
    }
}

async fn get(app: &App, campaign: &pb::Campaign) -> pb::Campaign {
    app.city("410400")
        .get_campaign(pb::GetCampaignRequest {
            name: campaign.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
}

db_test!(
    a_city_campaign_takes_the_provinces_pairing_list_deadline,
    inherit_body
);
async fn inherit_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let province = henan(&app).await;
    let city = app
        .city("410400")
        .create_campaign(pingdingshan_in(&province))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(city.parent_campaign, province.name);
    assert_eq!(city.pairing_list_deadline, "2021-05-01");
    // The nomination deadline stays the city's own.
    assert_eq!(city.nomination_deadline, "2021-04-20");
    // The province lists the campaigns that belong to its own.
    let children = app
        .province()
        .list_campaigns(pb::ListCampaignsRequest {
            parent_campaign: province.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = children.campaigns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, [city.name.as_str()]);
}

db_test!(
    only_a_city_campaign_belongs_and_only_to_the_provinces,
    parent_refusals_body
);
async fn parent_refusals_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let province = henan(&app).await;
    // Its own pairing-list deadline as well: refused, naming the field.
    let mut own = pingdingshan_in(&province);
    own.campaign.as_mut().unwrap().pairing_list_deadline = "2021-05-10".into();
    let err = app.city("410400").create_campaign(own).await.unwrap_err();
    assert_eq!(
        field_violations(&err),
        vec![(
            "campaign.pairing_list_deadline".into(),
            "PAIRING_DEADLINE_INHERITED".into()
        )]
    );
    // A city's campaign is no parent.
    let city = app
        .city("410400")
        .create_campaign(pingdingshan_in(&province))
        .await
        .unwrap()
        .into_inner();
    let err = app
        .city("410400")
        .create_campaign(pingdingshan_in(&city))
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        vec![(
            "campaign.parent_campaign".into(),
            "PARENT_PROVINCIAL".into()
        )]
    );
    // The province's own campaigns belong to none.
    let err = app
        .province()
        .create_campaign(pb::CreateCampaignRequest {
            campaign: Some(pb::Campaign {
                parent_campaign: province.name.clone(),
                pairing_list_deadline: String::new(),
                ..henan_campaign_pb()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        vec![(
            "campaign.parent_campaign".into(),
            "PARENT_FOR_CITIES".into()
        )]
    );
    // An unknown parent.
    let mut unknown = pingdingshan_in(&province);
    unknown.campaign.as_mut().unwrap().parent_campaign =
        format!("campaigns/{}", wenming_domain::CampaignId::new());
    let err = app
        .city("410400")
        .create_campaign(unknown)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

db_test!(
    the_province_moves_the_pairing_list_deadline_for_every_office,
    move_body
);
async fn move_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let province = henan(&app).await;
    let city = app
        .city("410400")
        .create_campaign(pingdingshan_in(&province))
        .await
        .unwrap()
        .into_inner();
    let moved = app
        .province()
        .move_campaign_deadline(moving(
            &province,
            pb::CampaignDeadline::PairingList,
            "2021-05-08",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(moved.pairing_list_deadline, "2021-05-08");
    let the_move = &moved.deadline_moves[..];
    assert_eq!(the_move.len(), 1);
    assert_eq!(
        the_move[0].deadline,
        pb::CampaignDeadline::PairingList as i32
    );
    assert_eq!(the_move[0].moved_from, "2021-05-01");
    assert_eq!(the_move[0].moved_to, "2021-05-08");
    assert_eq!(the_move[0].reason, "五一假期顺延");
    assert!(!the_move[0].moved_by.is_empty());
    // Every office's campaign shows the province's new date, and the city reads why on
    // the provincial campaign.
    assert_eq!(get(&app, &city).await.pairing_list_deadline, "2021-05-08");
    assert_eq!(
        get(&app, &province).await.deadline_moves,
        moved.deadline_moves
    );
    // Audited.
    let (audits,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_records WHERE action = 'MoveCampaignDeadline' AND resource = $1",
    )
    .bind(province.name.clone())
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(audits, 1);
    // The same date again changes nothing.
    let again = app
        .province()
        .move_campaign_deadline(moving(
            &province,
            pb::CampaignDeadline::PairingList,
            "2021-05-08",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.deadline_moves.len(), 1);
}

db_test!(
    a_city_moves_its_own_nomination_deadline_but_not_the_provinces,
    city_move_body
);
async fn city_move_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let province = henan(&app).await;
    let city = app
        .city("410400")
        .create_campaign(pingdingshan_in(&province))
        .await
        .unwrap()
        .into_inner();
    let mut pingdingshan = app.city("410400");
    let err = pingdingshan
        .move_campaign_deadline(moving(
            &city,
            pb::CampaignDeadline::PairingList,
            "2021-05-08",
        ))
        .await
        .unwrap_err();
    assert_eq!(
        precondition_types(&err),
        ["campaign.pairing_deadline_provinces"]
    );
    assert!(zh_cn(&err).contains(&province.name), "{}", zh_cn(&err));
    let moved = pingdingshan
        .move_campaign_deadline(moving(
            &city,
            pb::CampaignDeadline::Nomination,
            "2021-04-25",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(moved.nomination_deadline, "2021-04-25");
    assert_eq!(moved.deadline_moves[0].moved_from, "2021-04-20");
    // Not the organiser: a county is refused, another city does not see the campaign,
    // the province does not move a city's deadline.
    let err = app
        .county("410421")
        .move_campaign_deadline(moving(
            &city,
            pb::CampaignDeadline::Nomination,
            "2021-04-26",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = app
        .city("410100")
        .move_campaign_deadline(moving(
            &city,
            pb::CampaignDeadline::Nomination,
            "2021-04-26",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = app
        .province()
        .move_campaign_deadline(moving(
            &city,
            pb::CampaignDeadline::Nomination,
            "2021-04-26",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // Into the past (the clock reads 2021-04-15), or without a reason: refused by field.
    let err = pingdingshan
        .move_campaign_deadline(moving(
            &city,
            pb::CampaignDeadline::Nomination,
            "2021-04-14",
        ))
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        vec![("moved_to".into(), "DEADLINE_IN_PAST".into())]
    );
    let mut no_reason = moving(&city, pb::CampaignDeadline::Nomination, "2021-04-26");
    no_reason.reason.clear();
    let err = pingdingshan
        .move_campaign_deadline(no_reason)
        .await
        .unwrap_err();
    assert_eq!(field_violations(&err)[0].0, "reason");
    assert_eq!(
        get(&app, &city).await.deadline_moves.len(),
        1,
        "nothing else written"
    );
}

db_test!(
    concurrent_moves_of_one_deadline_are_each_recorded_once,
    concurrent_body
);
async fn concurrent_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let province = henan(&app).await;
    let dates: Vec<String> = (2..=9).map(|d| format!("2021-05-{d:02}")).collect();
    let calls = dates.iter().map(|date| {
        let mut client = app.province();
        let request = moving(&province, pb::CampaignDeadline::PairingList, date);
        async move { client.move_campaign_deadline(request).await }
    });
    let results = futures::future::join_all(calls).await;
    let succeeded = results.iter().filter(|r| r.is_ok()).count();
    for result in &results {
        if let Err(err) = result {
            assert_eq!(err.code(), Code::Aborted, "{err:?}");
        }
    }
    let after = get(&app, &province).await;
    // Each success is one move, chained from the date before it.
    assert_eq!(after.deadline_moves.len(), succeeded);
    let mut from = "2021-05-01".to_owned();
    for m in &after.deadline_moves {
        assert_eq!(m.moved_from, from);
        from = m.moved_to.clone();
    }
    assert_eq!(after.pairing_list_deadline, from);
}
