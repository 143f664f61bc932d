//! What platforms can rely on: a deregistered unit holds no title from its day on, every
//! title has a term (configured per tier), each title names its awarding office and
//! document, and VerifyTitles answers up to 100 codes at once, not-found per code. Real
//! gRPC, both databases.

use crate::support;

use figment::providers::{Format as _, Toml};
use support::*;
use tonic::Code;
use wenming_proto::registry::v1 as pb;
use wenming_runtime::config::Figment;
use wenming_testkit::services::Options;
use wenming_testkit::{TestDb, db_test};

/// A company of 宝丰县, numbered `n`.
async fn unit(app: &App, n: u32) -> pb::Unit {
    create(
        &mut app.county("410421"),
        company(&format!("宝丰企业{n}"), "410421", n),
    )
    .await
}

db_test!(
    a_deregistered_unit_holds_no_title_from_its_deregistration_day,
    deregistered_body
);
async fn deregistered_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let unit = unit(&app, 4100).await;
    app.city("410400")
        .award_title(award(&unit, pb::TitleTier::City, "2021-01-10", ""))
        .await
        .unwrap();
    // The clock reads 2021-04-15 (China Standard Time): the unit leaves that day.
    let gone = app
        .county("410421")
        .deregister_unit(pb::DeregisterUnitRequest {
            name: unit.name.clone(),
            reason: "企业注销".into(),
            etag: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(gone.deregistered_on, "2021-04-15");
    let mut platform = app.platform();
    let before = platform
        .verify_title(verify(&unit, "2021-04-14"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(before.unit_state, pb::UnitState::Active as i32);
    assert_eq!(before.titles.len(), 1);
    assert_eq!(before.deregistered_on, "");
    for day in ["2021-04-15", "2022-01-01", ""] {
        let after = platform
            .verify_title(verify(&unit, day))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            after.unit_state,
            pb::UnitState::Deregistered as i32,
            "{day}"
        );
        assert!(after.titles.is_empty(), "{day}: {:?}", after.titles);
        assert_eq!(after.deregistered_on, "2021-04-15");
    }
    // ListUnits' title filter reads the same rule.
    let holders = |day: &str| pb::ListUnitsRequest {
        title_tier: pb::TitleTier::City as i32,
        title_valid_on: day.into(),
        include_deregistered: true,
        ..Default::default()
    };
    let mut city = app.city("410400");
    let held = city.list_units(holders("2021-04-14")).await.unwrap();
    assert_eq!(held.into_inner().units.len(), 1);
    let held = city.list_units(holders("2021-04-15")).await.unwrap();
    assert!(held.into_inner().units.is_empty());
}

db_test!(
    a_unit_deregistered_before_the_day_was_recorded_holds_no_title,
    legacy_body
);
async fn legacy_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let unit = unit(&app, 4101).await;
    app.city("410400")
        .award_title(award(&unit, pb::TitleTier::City, "2021-01-10", ""))
        .await
        .unwrap();
    // As a row written before the column existed: deregistered, no day.
    sqlx::query("UPDATE units SET state = 'deregistered' WHERE credit_code = $1")
        .bind(unit.credit_code.clone())
        .execute(app.db.pool())
        .await
        .unwrap();
    // Not verified before, so not cached: this reads the row.
    let answer = app
        .platform()
        .verify_title(verify(&unit, "2021-02-01"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.unit_state, pb::UnitState::Deregistered as i32);
    assert!(answer.titles.is_empty());
    assert_eq!(answer.deregistered_on, "");
}

db_test!(
    every_title_has_a_term_from_the_configuration_unless_the_award_names_one,
    terms_body
);
async fn terms_body(db: &TestDb) {
    let config = Figment::from(Toml::string(
        "[registry.title_terms]\ncity_years = 2\nprovincial_years = 5\n",
    ));
    let app = spawn_registry_options(
        db,
        Options {
            config,
            ..Options::default()
        },
    )
    .await;
    let first = unit(&app, 4102).await;
    let city = app
        .city("410400")
        .award_title(award(&first, pb::TitleTier::City, "2021-01-10", ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(city.valid_until, "2023-01-10");
    let provincial = app
        .province()
        .award_title(award(&first, pb::TitleTier::Provincial, "2020-02-29", ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(provincial.valid_until, "2025-02-28");
    // The tiers the table leaves out keep the default of 3 years; an award's own end
    // wins.
    let model = app
        .province()
        .award_title(award(
            &first,
            pb::TitleTier::ProvincialModel,
            "2021-01-10",
            "",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(model.valid_until, "2024-01-10");
    let other = unit(&app, 4103).await;
    let named = app
        .province()
        .award_title(award(
            &other,
            pb::TitleTier::National,
            "2021-01-10",
            "2022-01-10",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(named.valid_until, "2022-01-10");
    // No title is open-ended: the stored rows all carry an end.
    let (open,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM titles WHERE valid_until IS NULL")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(open, 0);
}

db_test!(
    verification_names_the_awarding_office_and_document,
    office_body
);
async fn office_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let unit = unit(&app, 4104).await;
    app.city("410400")
        .award_title(award(&unit, pb::TitleTier::City, "2021-01-10", ""))
        .await
        .unwrap();
    let mut provincial = award(&unit, pb::TitleTier::Provincial, "2021-02-01", "");
    provincial.title.as_mut().unwrap().document_number = "豫文明〔2021〕3号".into();
    app.province().award_title(provincial).await.unwrap();
    let answer = app
        .platform()
        .verify_title(verify(&unit, "2021-03-01"))
        .await
        .unwrap()
        .into_inner();
    let offices: Vec<(i32, &str, &str, &str)> = answer
        .titles
        .iter()
        .map(|t| {
            (
                t.tier,
                t.awarding_office_code.as_str(),
                t.awarding_office_name.as_str(),
                t.document_number.as_str(),
            )
        })
        .collect();
    assert_eq!(
        offices,
        vec![
            (
                pb::TitleTier::Provincial as i32,
                "410000",
                "河南省文明办",
                "豫文明〔2021〕3号"
            ),
            (
                pb::TitleTier::City as i32,
                "410400",
                "平顶山市文明办",
                "平文明〔2022〕1号"
            ),
        ]
    );
    assert_eq!(answer.titles[1].valid_until, "2024-01-10");
}

fn batch(codes: &[String]) -> pb::VerifyTitlesRequest {
    pb::VerifyTitlesRequest {
        credit_codes: codes.to_vec(),
        as_of: "2021-03-01".into(),
    }
}

db_test!(
    verify_titles_answers_each_code_in_order_with_not_found_marked,
    batch_body
);
async fn batch_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let titled = unit(&app, 4105).await;
    let plain = unit(&app, 4106).await;
    app.city("410400")
        .award_title(award(&titled, pb::TitleTier::City, "2021-01-10", ""))
        .await
        .unwrap();
    let unknown = credit_code("410421", 99_998);
    let codes = vec![
        plain.credit_code.clone(),
        unknown.clone(),
        titled.credit_code.clone(),
        plain.credit_code.clone(),
    ];
    let answer = app
        .platform()
        .verify_titles(batch(&codes))
        .await
        .unwrap()
        .into_inner();
    let seen: Vec<(&str, bool, usize)> = answer
        .results
        .iter()
        .map(|r| {
            (
                r.credit_code.as_str(),
                r.found,
                r.answer.as_ref().map_or(0, |a| a.titles.len()),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (plain.credit_code.as_str(), true, 0),
            (unknown.as_str(), false, 0),
            (titled.credit_code.as_str(), true, 1),
            (plain.credit_code.as_str(), true, 0),
        ]
    );
    assert!(answer.results[1].answer.is_none());
    // Each answer is VerifyTitle's for that code.
    let single = app
        .platform()
        .verify_title(verify(&titled, "2021-03-01"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.results[2].answer.as_ref(), Some(&single));
    // An office is answered within its scope: another county's unit is "not found".
    let county = app
        .county("410422")
        .verify_titles(batch(&codes[2..3]))
        .await
        .unwrap()
        .into_inner();
    assert!(!county.results[0].found);
}

db_test!(
    verify_titles_refuses_bad_codes_by_position,
    batch_refusals_body
);
async fn batch_refusals_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let good = credit_code("410421", 1);
    let mut platform = app.platform();
    let err = platform
        .verify_titles(batch(&[
            good.clone(),
            "91410421".into(),
            good.clone(),
            "x".into(),
        ]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        field_violations(&err),
        vec![
            ("credit_codes[1]".into(), "LENGTH".into()),
            ("credit_codes[3]".into(), "LENGTH".into()),
        ]
    );
    let err = platform.verify_titles(batch(&[])).await.unwrap_err();
    assert_eq!(
        field_violations(&err),
        vec![("credit_codes".into(), "REQUIRED".into())]
    );
    let many: Vec<String> = (0..101).map(|n| credit_code("410421", n)).collect();
    let err = platform.verify_titles(batch(&many)).await.unwrap_err();
    assert_eq!(
        field_violations(&err),
        vec![("credit_codes".into(), "TOO_MANY".into())]
    );
    assert!(zh_cn(&err).contains("100"), "{}", zh_cn(&err));
    platform
        .verify_titles(batch(&many[..100]))
        .await
        .expect("100 codes are taken");
    // A platform without the grant is refused for the whole call.
    let err = app
        .client(wenming_authz::Principal {
            subject: "platform-other".into(),
            role: wenming_authz::Role::Platform {
                name: "other".into(),
                actions: Vec::new(),
            },
        })
        .verify_titles(batch(&[good]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}
