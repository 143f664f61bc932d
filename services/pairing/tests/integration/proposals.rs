//! A proposal is checked against the registry and the arranging office's region, one
//! rule a test. Real gRPC, the real registry, both databases.

use crate::support;

use support::*;
use tonic::Code;
use wenming_proto::pairing::v1 as pp;
use wenming_proto::registry::v1 as rp;
use wenming_testkit::{TestDb, db_test};

db_test!(
    a_unit_helper_needs_the_title_its_kind_names,
    helper_title_body
);
async fn helper_title_body(db: &TestDb) {
    let s = scene(db).await;
    let err = s
        .app
        .city()
        .create_pairing(proposal(
            &s.campaign,
            pp::HelperKind::ProvincialModelUnit,
            &s.helper,
            &s.company,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_types(&err), ["pairing.helper_title"]);
    assert_eq!(pairing_rows(&s.app).await, 0, "nothing written");
}

db_test!(only_a_non_public_unit_is_helped, non_public_body);
async fn non_public_body(db: &TestDb) {
    let s = scene(db).await;
    let school = s
        .app
        .titled_unit("宝丰县第一中学", BAOFENG, 3, rp::TitleTier::Provincial)
        .await;
    let err = s
        .app
        .city()
        .create_pairing(proposal(
            &s.campaign,
            pp::HelperKind::NationalCivilisedUnit,
            &s.helper,
            &school,
        ))
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["pairing.unit_not_non_public"]);
}

db_test!(a_county_arranges_within_its_county_only, county_scope_body);
async fn county_scope_body(db: &TestDb) {
    let s = scene(db).await;
    let ye_company = s.app.company("叶县某公司", YEXIAN, 4).await;
    // Another county's unit is not found.
    let err = s
        .app
        .county(BAOFENG)
        .create_pairing(proposal(
            &s.campaign,
            pp::HelperKind::CountyOffice,
            &format!("offices/{BAOFENG}"),
            &ye_company,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    // …nor may it name another county's office as helper.
    let err = s
        .app
        .county(BAOFENG)
        .create_pairing(proposal(
            &s.campaign,
            pp::HelperKind::CountyOffice,
            &format!("offices/{YEXIAN}"),
            &s.company,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    assert_eq!(pairing_rows(&s.app).await, 0, "nothing written");
}

db_test!(
    an_office_helper_is_of_the_level_its_kind_names,
    helper_level_body
);
async fn helper_level_body(db: &TestDb) {
    let s = scene(db).await;
    let err = s
        .app
        .city()
        .create_pairing(proposal(
            &s.campaign,
            pp::HelperKind::CityOffice,
            &format!("offices/{BAOFENG}"),
            &s.company,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("pairing.helper.name".to_owned(), "HELPER_LEVEL".to_owned())]
    );
}

db_test!(malformed_proposals_name_their_field, malformed_body);
async fn malformed_body(db: &TestDb) {
    let s = scene(db).await;
    let err = s
        .app
        .city()
        .create_pairing(proposal(
            "campaign-1",
            pp::HelperKind::NationalCivilisedUnit,
            &s.helper,
            &s.company,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("pairing.campaign".to_owned(), "RESOURCE_NAME".to_owned())]
    );
    let err = s
        .app
        .city()
        .create_pairing(proposal(
            &s.campaign,
            pp::HelperKind::Unspecified,
            &s.helper,
            &s.company,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("pairing.helper.kind".to_owned(), "REQUIRED".to_owned())]
    );
    // A filter naming no valid helper is refused, naming the field.
    let err = s
        .app
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
    // A list name that is no list name, and an entry naming no activity of the pairing.
    let err = s
        .app
        .city()
        .get_pairing_list(pp::GetPairingListRequest {
            name: "campaigns/2021/pairingLists/平顶山".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("name".to_owned(), "RESOURCE_NAME".to_owned())]
    );
    assert!(zh_cn(&err).contains("平顶山"), "{}", zh_cn(&err));
    let pairing = s.active_pairing().await;
    let mut entry = s.ledger_entry(&pairing.name, "activities/1");
    entry.request_id = String::new();
    let err = s
        .app
        .unit_user(&s.company)
        .add_ledger_entry(entry)
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("entry.activity".to_owned(), "RESOURCE_NAME".to_owned())]
    );
}

db_test!(only_city_and_county_offices_arrange, arrangers_body);
async fn arrangers_body(db: &TestDb) {
    let s = scene(db).await;
    for caller in [s.app.province(), s.app.unit_user(&s.helper)] {
        let err = caller
            .clone()
            .create_pairing(s.proposal())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);
    }
    assert_eq!(
        pairing_rows(&s.app).await,
        0,
        "nothing written by refused calls"
    );
}

db_test!(
    a_county_office_helps_a_unit_of_its_own_county,
    own_county_body
);
async fn own_county_body(db: &TestDb) {
    let s = scene(db).await;
    let own = s
        .app
        .county(BAOFENG)
        .create_pairing(proposal(
            &s.campaign,
            pp::HelperKind::CountyOffice,
            &format!("offices/{BAOFENG}"),
            &s.company,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.helper.unwrap().display_name, "宝丰县");
}

db_test!(
    a_county_office_named_by_the_city_accepts_as_helper,
    office_helper_body
);
async fn office_helper_body(db: &TestDb) {
    let s = scene(db).await;
    let other = s.app.company("宝丰县金鼎机械有限公司", BAOFENG, 5).await;
    let arranged = s
        .app
        .city()
        .create_pairing(proposal(
            &s.campaign,
            pp::HelperKind::CountyOffice,
            &format!("offices/{YEXIAN}"),
            &other,
        ))
        .await
        .unwrap()
        .into_inner();
    let err = s
        .app
        .county(BAOFENG)
        .activate_pairing(activate(&arranged.name))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::PermissionDenied,
        "the unit's county is not the helper"
    );
    let accepted = s
        .app
        .county(YEXIAN)
        .activate_pairing(activate(&arranged.name))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.state, pp::PairingState::Active as i32);
}

db_test!(a_pairing_names_the_tier_it_cultivates_for, tier_body);
async fn tier_body(db: &TestDb) {
    let s = scene(db).await;
    let with_tier = |tier: rp::TitleTier| {
        let mut request = s.proposal();
        request.pairing.as_mut().unwrap().target_tier = tier as i32;
        request
    };
    // The campaign cultivates for three tiers: a pairing names one of them.
    let err = s
        .app
        .city()
        .create_pairing(with_tier(rp::TitleTier::Unspecified))
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [("pairing.target_tier".to_owned(), "REQUIRED".to_owned())]
    );
    let err = s
        .app
        .city()
        .create_pairing(with_tier(rp::TitleTier::National))
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        [(
            "pairing.target_tier".to_owned(),
            "TIER_NOT_TARGETED".to_owned()
        )]
    );
    let created = s
        .app
        .city()
        .create_pairing(with_tier(rp::TitleTier::ProvincialModel))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.target_tier, rp::TitleTier::ProvincialModel as i32);
    let listed = s
        .app
        .province()
        .list_pairings(pp::ListPairingsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .pairings;
    assert_eq!(listed[0].target_tier, rp::TitleTier::ProvincialModel as i32);
}

db_test!(
    a_unit_has_one_open_pairing_across_campaigns,
    across_campaigns_body
);
async fn across_campaigns_body(db: &TestDb) {
    let s = scene(db).await;
    s.app.city().create_pairing(s.proposal()).await.unwrap();
    // A second campaign of the city, and another helper: the unit is still taken.
    let second = s.app.campaign().await;
    let other_helper = s
        .app
        .titled_unit("宝丰县第二人民医院", BAOFENG, 7, rp::TitleTier::National)
        .await;
    let err = s
        .app
        .city()
        .create_pairing(proposal(
            &second,
            pp::HelperKind::NationalCivilisedUnit,
            &other_helper,
            &s.company,
        ))
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["pairing.one_to_one"]);
    assert_eq!(pairing_rows(&s.app).await, 1);
}

db_test!(
    a_county_pairs_its_company_with_a_titled_helper_from_anywhere,
    helper_from_anywhere_body
);
async fn helper_from_anywhere_body(db: &TestDb) {
    let s = scene(db).await;
    // A provincial model unit of 郑州市中原区: another city altogether.
    let helper = s
        .app
        .titled_unit("郑州市某医院", "410102", 7, rp::TitleTier::ProvincialModel)
        .await;
    let pairing = s
        .app
        .county(BAOFENG)
        .create_pairing(proposal(
            &s.campaign,
            pp::HelperKind::ProvincialModelUnit,
            &helper,
            &s.company,
        ))
        .await
        .unwrap()
        .into_inner();
    let named = pairing.helper.unwrap();
    assert_eq!(named.name, helper);
    assert_eq!(named.display_name, "郑州市某医院");
    // The county learnt whether the unit can help, not the unit's record.
    let err = s
        .app
        .registry(office(wenming_domain::AdminLevel::County, BAOFENG))
        .get_unit(rp::GetUnitRequest {
            name: helper.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // The title still decides: a unit of another city without a helper title (a
    // provincial one only) is refused.
    let plain = s
        .app
        .titled_unit("郑州市另一医院", "410102", 8, rp::TitleTier::Provincial)
        .await;
    let other_company = s.app.company("宝丰县另一公司", BAOFENG, 9).await;
    let err = s
        .app
        .county(BAOFENG)
        .create_pairing(proposal(
            &s.campaign,
            pp::HelperKind::ProvincialModelUnit,
            &plain,
            &other_company,
        ))
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), ["pairing.helper_title"]);
}
