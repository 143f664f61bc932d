//! GetHelperEligibility: any office asks whether any unit registered in Henan can help
//! in a pairing, and learns no more than that. Real gRPC, both databases.

use crate::support;

use support::*;
use tonic::Code;
use wenming_proto::registry::v1 as pb;
use wenming_testkit::{TestDb, db_test};

/// A hospital of 宝丰县 with a national title and a city one.
async fn hospital(app: &App) -> pb::Unit {
    let unit = create(
        &mut app.county("410421"),
        pb::Unit {
            kind: pb::UnitKind::PublicInstitution as i32,
            ..company("宝丰县人民医院", "410421", 4200)
        },
    )
    .await;
    app.province()
        .award_title(award(&unit, pb::TitleTier::National, "2021-01-10", ""))
        .await
        .unwrap();
    app.city("410400")
        .award_title(award(&unit, pb::TitleTier::City, "2021-01-10", ""))
        .await
        .unwrap();
    unit
}

fn by_name(unit: &pb::Unit) -> pb::GetHelperEligibilityRequest {
    pb::GetHelperEligibilityRequest {
        unit: unit.name.clone(),
        as_of: "2021-04-20".into(),
        ..Default::default()
    }
}

db_test!(
    any_office_learns_whether_any_unit_can_help_and_no_more,
    anywhere_body
);
async fn anywhere_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let unit = hospital(&app).await;
    // 郑州市中原区: another city. The record is not its to read…
    let mut zhengzhou = app.county("410102");
    let err = zhengzhou
        .get_unit(pb::GetUnitRequest {
            name: unit.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // …whether the unit can help is.
    let answer = zhengzhou
        .get_helper_eligibility(by_name(&unit))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        answer,
        pb::HelperEligibility {
            unit: unit.name.clone(),
            credit_code: unit.credit_code.clone(),
            unit_display_name: "宝丰县人民医院".into(),
            registered: true,
            as_of: "2021-04-20".into(),
            // The city title is not a helper title and is not told.
            helper_tiers: vec![pb::TitleTier::National as i32],
        }
    );
    // By credit code, for an office that knows only that; the provincial-direct office
    // asks too.
    let by_code = app
        .client(wenming_authz::Principal::provincial_direct("pd"))
        .get_helper_eligibility(pb::GetHelperEligibilityRequest {
            credit_code: unit.credit_code.clone(),
            as_of: "2021-04-20".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_code, answer);
    // Before its title it cannot help.
    let early = zhengzhou
        .get_helper_eligibility(pb::GetHelperEligibilityRequest {
            as_of: "2021-01-09".into(),
            ..by_name(&unit)
        })
        .await
        .unwrap()
        .into_inner();
    assert!(early.helper_tiers.is_empty());
}

db_test!(
    a_deregistered_unit_cannot_help_from_its_day_on,
    deregistered_body
);
async fn deregistered_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let unit = hospital(&app).await;
    app.county("410421")
        .deregister_unit(pb::DeregisterUnitRequest {
            name: unit.name.clone(),
            reason: "撤销".into(),
            etag: String::new(),
        })
        .await
        .unwrap();
    let answer = app
        .county("410102")
        .get_helper_eligibility(pb::GetHelperEligibilityRequest {
            as_of: String::new(),
            ..by_name(&unit)
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!answer.registered);
    assert!(answer.helper_tiers.is_empty());
}

db_test!(only_offices_ask_and_the_unit_is_named_once, refusals_body);
async fn refusals_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let unit = hospital(&app).await;
    for mut caller in [app.platform(), app.unit_user(&unit.name)] {
        let err = caller
            .get_helper_eligibility(by_name(&unit))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
        let zh = zh_cn(&err);
        assert!(zh.contains("只有文明办"), "{zh}");
    }
    let mut county = app.county("410102");
    let both = pb::GetHelperEligibilityRequest {
        credit_code: unit.credit_code.clone(),
        ..by_name(&unit)
    };
    for request in [both, pb::GetHelperEligibilityRequest::default()] {
        let err = county.get_helper_eligibility(request).await.unwrap_err();
        assert_eq!(
            field_violations(&err),
            vec![("unit".into(), "UNIT_OR_CREDIT_CODE".into())]
        );
    }
    let err = county
        .get_helper_eligibility(pb::GetHelperEligibilityRequest {
            unit: format!("units/{}", wenming_domain::UnitId::new()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}
