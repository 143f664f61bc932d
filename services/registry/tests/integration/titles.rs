//! Titles, one rule a test: who awards each tier, one current title per tier, what
//! verification answers on a day, revocation, the ListUnits title filter, and the
//! refusals of VerifyTitle. Real gRPC, both databases.

use crate::support;

use support::*;
use tonic::Code;
use wenming_proto::registry::v1 as pb;
use wenming_testkit::{TestDb, db_test};

/// A company of 宝丰县.
async fn unit(app: &App) -> pb::Unit {
    create(
        &mut app.county("410421"),
        company("宝丰企业4000", "410421", 4000),
    )
    .await
}

/// The unit with a city title (2022-01-10 to 2025-01-10) and a provincial one (from
/// 2023-01-10); the provincial title.
async fn titled(app: &App) -> (pb::Unit, pb::Title) {
    let unit = unit(app).await;
    app.city("410400")
        .award_title(award(
            &unit,
            pb::TitleTier::City,
            "2022-01-10",
            "2025-01-10",
        ))
        .await
        .unwrap();
    let provincial = app
        .province()
        .award_title(award(&unit, pb::TitleTier::Provincial, "2023-01-10", ""))
        .await
        .unwrap()
        .into_inner();
    (unit, provincial)
}

fn tiers(r: pb::VerifyTitleResponse) -> Vec<i32> {
    r.titles.iter().map(|t| t.tier).collect()
}

db_test!(
    city_titles_come_from_the_units_city_office_only,
    city_titles_body
);
async fn city_titles_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let unit = unit(&app).await;
    for mut wrong in [app.province(), app.county("410421"), app.city("410100")] {
        let err = wrong
            .award_title(award(
                &unit,
                pb::TitleTier::City,
                "2022-01-10",
                "2025-01-10",
            ))
            .await
            .unwrap_err();
        assert!(
            matches!(err.code(), Code::PermissionDenied | Code::NotFound),
            "{err:?}"
        );
    }
    let city_title = app
        .city("410400")
        .award_title(award(
            &unit,
            pb::TitleTier::City,
            "2022-01-10",
            "2025-01-10",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(city_title.state, pb::TitleState::Current as i32);
}

db_test!(
    provincial_titles_come_from_the_province_and_are_held_once,
    provincial_body
);
async fn provincial_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let unit = unit(&app).await;
    let err = app
        .city("410400")
        .award_title(award(&unit, pb::TitleTier::Provincial, "2023-01-10", ""))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    app.province()
        .award_title(award(&unit, pb::TitleTier::Provincial, "2023-01-10", ""))
        .await
        .unwrap();
    // Held already: a second current provincial title is refused.
    let err = app
        .province()
        .award_title(award(&unit, pb::TitleTier::Provincial, "2023-06-01", ""))
        .await
        .unwrap_err();
    assert_eq!(
        precondition_types(&err),
        vec!["title.already_held".to_owned()]
    );
}

db_test!(verification_answers_the_titles_held_on_the_day, verify_body);
async fn verify_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let (unit, _) = titled(&app).await;
    let mut platform = app.platform();
    let before = platform
        .verify_title(verify(&unit, "2021-12-31"))
        .await
        .unwrap()
        .into_inner();
    assert!(before.titles.is_empty());
    assert_eq!(before.unit_display_name, unit.display_name);
    let both = platform
        .verify_title(verify(&unit, "2024-03-01"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        tiers(both),
        vec![pb::TitleTier::Provincial as i32, pb::TitleTier::City as i32]
    );
    let expired = platform
        .verify_title(verify(&unit, "2025-01-10"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tiers(expired), vec![pb::TitleTier::Provincial as i32]);
}

db_test!(
    revocation_ends_a_title_from_its_day_and_keeps_its_history,
    revoke_body
);
async fn revoke_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let (unit, provincial) = titled(&app).await;
    let mut platform = app.platform();
    let revoked = app
        .province()
        .revoke_title(pb::RevokeTitleRequest {
            name: provincial.name.clone(),
            reason: "发生重大安全生产事故".into(),
            revoked_on: "2024-06-01".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(revoked.state, pb::TitleState::Revoked as i32);
    let still = platform
        .verify_title(verify(&unit, "2024-05-31"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        tiers(still),
        vec![pb::TitleTier::Provincial as i32, pb::TitleTier::City as i32]
    );
    let after = platform
        .verify_title(verify(&unit, "2024-06-01"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tiers(after), vec![pb::TitleTier::City as i32]);
    let history = app
        .city("410400")
        .list_titles(pb::ListTitlesRequest {
            unit: unit.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(history.titles.len(), 2);
}

db_test!(
    the_title_filter_of_list_units_agrees_with_verification,
    filter_body
);
async fn filter_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let (_, provincial) = titled(&app).await;
    app.province()
        .revoke_title(pb::RevokeTitleRequest {
            name: provincial.name.clone(),
            reason: "发生重大安全生产事故".into(),
            revoked_on: "2024-06-01".into(),
        })
        .await
        .unwrap();
    let holders = |day: &str| pb::ListUnitsRequest {
        title_tier: pb::TitleTier::Provincial as i32,
        title_valid_on: day.into(),
        ..Default::default()
    };
    let held = app
        .city("410400")
        .list_units(holders("2024-05-31"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(held.units.len(), 1);
    let held = app
        .city("410400")
        .list_units(holders("2024-06-01"))
        .await
        .unwrap()
        .into_inner();
    assert!(held.units.is_empty());
}

db_test!(
    verification_refuses_bad_codes_and_hides_other_regions,
    refusals_body
);
async fn refusals_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let (unit, _) = titled(&app).await;
    let mut platform = app.platform();
    let err = platform
        .verify_title(pb::VerifyTitleRequest {
            credit_code: "91410421".into(),
            as_of: String::new(),
            attest: false,
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        vec![("credit_code".into(), "LENGTH".into())]
    );
    let err = platform
        .verify_title(pb::VerifyTitleRequest {
            credit_code: credit_code("410421", 99_999),
            as_of: String::new(),
            attest: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = app
        .county("410422")
        .verify_title(verify(&unit, "2024-03-01"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}
