//! Units over real gRPC, on SQLite and PostgreSQL.

use crate::support;

use support::*;
use tonic::Code;
use wenming_proto::registry::v1 as pb;
use wenming_testkit::{TestDb, db_test};

db_test!(
    create_get_update_deregister,
    create_get_update_deregister_body
);
async fn create_get_update_deregister_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let mut county = app.county("410421");
    let created = create(&mut county, company("平顶山宝丰耐材有限公司", "410421", 1)).await;
    assert!(created.name.starts_with("units/"));
    assert_eq!(created.city_code, "410400");
    assert_eq!(created.state, pb::UnitState::Active as i32);
    assert!(!created.credit_code_region_differs);

    let got = county
        .get_unit(pb::GetUnitRequest {
            name: created.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, created);

    // Update with a field mask: only the masked field changes.
    let mut patch = got.clone();
    patch.display_name = "平顶山宝丰耐材股份有限公司".to_owned();
    patch.nature = "ignored because not in the mask".to_owned();
    let updated = county
        .update_unit(pb::UpdateUnitRequest {
            unit: Some(patch.clone()),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["display_name".into()],
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.display_name, "平顶山宝丰耐材股份有限公司");
    assert_eq!(updated.nature, created.nature);
    assert_ne!(updated.etag, created.etag);

    // The old etag is stale now.
    let stale = county
        .update_unit(pb::UpdateUnitRequest {
            unit: Some(patch),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["display_name".into()],
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);

    // Sub-field masks.
    let mut patch = updated.clone();
    patch.business.as_mut().unwrap().employees = 400;
    let updated = county
        .update_unit(pb::UpdateUnitRequest {
            unit: Some(patch),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["business.employees".into()],
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.business.as_ref().unwrap().employees, 400);
    assert_eq!(updated.business.as_ref().unwrap().main_business, "耐火材料");

    let gone = county
        .deregister_unit(pb::DeregisterUnitRequest {
            name: updated.name.clone(),
            reason: "企业注销".to_owned(),
            etag: updated.etag.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(gone.state, pb::UnitState::Deregistered as i32);
    assert_eq!(gone.deregistration_reason, "企业注销");
    // Kept, not deleted; hidden from lists unless asked for.
    let listed = county
        .list_units(pb::ListUnitsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.units.is_empty());
    let listed = county
        .list_units(pb::ListUnitsRequest {
            include_deregistered: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.units.len(), 1);

    // Every change left an audit record, in order.
    let actions: Vec<(String,)> =
        sqlx::query_as("SELECT action FROM audit_records WHERE resource = $1 ORDER BY at, action")
            .bind(created.name.clone())
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    let actions: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "UpdateUnit").count(), 2);
    assert!(actions.contains(&"CreateUnit") && actions.contains(&"DeregisterUnit"));
}

db_test!(bad_input_names_the_field_and_rule, bad_input_body);
async fn bad_input_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let mut county = app.county("410421");
    let mut unit = company("某公司", "410421", 2);
    // Break the final check character.
    let mut code = unit.credit_code.clone();
    let last = code.pop().unwrap();
    code.push(if last == '0' { '1' } else { '0' });
    unit.credit_code = code;
    unit.region_code = "410499".to_owned();
    unit.kind = 0;
    let err = county
        .create_unit(pb::CreateUnitRequest {
            unit: Some(unit),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let violations = field_violations(&err);
    assert!(
        violations.contains(&("unit.credit_code".into(), "CHECK_CHARACTER".into())),
        "{violations:?}"
    );
    assert!(
        violations.contains(&("unit.region_code".into(), "UNKNOWN".into())),
        "{violations:?}"
    );
    assert!(
        violations.contains(&("unit.kind".into(), "REQUIRED".into())),
        "{violations:?}"
    );
    assert!(err.message().contains("character 18"), "{}", err.message());
    // An official reads the same refusal in Chinese, with the character expected.
    let expected = company("某公司", "410421", 2).credit_code.pop().unwrap();
    let zh = zh_cn(&err);
    assert!(
        zh.contains(&format!("统一社会信用代码第18位校验码应为{expected}")),
        "{zh}"
    );
    assert!(zh.contains("410499"), "{zh}");

    // A character outside the 31-character set is named with its position.
    let mut unit = company("某公司", "410421", 3);
    unit.credit_code.replace_range(9..10, "I");
    let err = county
        .create_unit(pb::CreateUnitRequest {
            unit: Some(unit),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        vec![("unit.credit_code".into(), "CHARSET".into())]
    );
    assert!(err.message().contains("10"), "{}", err.message());

    // A code registered elsewhere is accepted and flagged (units move).
    let mut moved = company("搬迁来的公司", "410421", 4);
    moved.credit_code = credit_code("410102", 4);
    let created = create(&mut county, moved).await;
    assert!(created.credit_code_region_differs);
    assert_eq!(created.credit_code_region, "410102");

    // Nothing was half-written by the refused calls.
    let count: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(count.0, 1);
}

db_test!(scope_hides_other_regions, scope_body);
async fn scope_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let baofeng = create(&mut app.county("410421"), company("宝丰公司", "410421", 5)).await;

    // Another county, another city: NOT_FOUND, not PERMISSION_DENIED.
    for mut outsider in [app.county("410422"), app.city("410100")] {
        let err = outsider
            .get_unit(pb::GetUnitRequest {
                name: baofeng.name.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        let listed = outsider
            .list_units(pb::ListUnitsRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert!(listed.units.is_empty());
    }
    // The city and the province above see it.
    for mut above in [app.city("410400"), app.province()] {
        above
            .get_unit(pb::GetUnitRequest {
                name: baofeng.name.clone(),
            })
            .await
            .unwrap();
    }
    // The unit's own user sees itself only.
    let mut own = app.unit_user(&baofeng.name);
    own.get_unit(pb::GetUnitRequest {
        name: baofeng.name.clone(),
    })
    .await
    .unwrap();
    let other = create(&mut app.county("410421"), company("另一家", "410421", 6)).await;
    let err = own
        .get_unit(pb::GetUnitRequest {
            name: other.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // A unit user may edit its party building, not its region.
    let mut patch = baofeng.clone();
    patch.region_code = "410422".to_owned();
    let err = own
        .update_unit(pb::UpdateUnitRequest {
            unit: Some(patch),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["region_code".into()],
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    // Registering into another county is refused, naming the field.
    let err = app
        .county("410422")
        .create_unit(pb::CreateUnitRequest {
            unit: Some(company("越界", "410421", 7)),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        vec![("unit.region_code".into(), "OUT_OF_SCOPE".into())]
    );

    // Platforms only verify titles; units do not register units.
    let err = app
        .platform()
        .list_units(pb::ListUnitsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = own
        .create_unit(pb::CreateUnitRequest {
            unit: Some(company("自建", "410421", 8)),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // Without an identity: UNAUTHENTICATED.
    let mut anonymous =
        wenming_proto::registry::v1::registry_service_client::RegistryServiceClient::new(
            app.channel(),
        );
    let err = anonymous
        .get_unit(pb::GetUnitRequest {
            name: baofeng.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

db_test!(list_filters_and_pages, list_body);
async fn list_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let mut city = app.city("410400");
    for n in 0..7 {
        let region = if n % 2 == 0 { "410421" } else { "410422" };
        create(&mut city, company(&format!("公司{n}号"), region, 100 + n)).await;
    }
    let mut agency = company("宝丰县某局", "410421", 200);
    agency.kind = pb::UnitKind::AdministrativeAgency as i32;
    create(&mut city, agency).await;

    // Pages of 3 cover all 8 units once.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = city
            .list_units(pb::ListUnitsRequest {
                page_size: 3,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.units.len() <= 3);
        seen.extend(page.units.into_iter().map(|u| u.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 8);

    let in_baofeng = city
        .list_units(pb::ListUnitsRequest {
            region_code: "410421".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(in_baofeng.units.len(), 5);
    let agencies = city
        .list_units(pb::ListUnitsRequest {
            kind: pb::UnitKind::AdministrativeAgency as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(agencies.units.len(), 1);
    let named = city
        .list_units(pb::ListUnitsRequest {
            name_contains: "3号".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(named.units.len(), 1);
    assert_eq!(named.units[0].display_name, "公司3号");
    let err = city
        .list_units(pb::ListUnitsRequest {
            page_token: "garbage!".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        vec![("page_token".into(), "PAGE_TOKEN".into())]
    );
}

db_test!(
    one_credit_code_one_unit_under_concurrency,
    concurrent_codes_body
);
async fn concurrent_codes_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let unit = company("并发公司", "410421", 300);
    let mut tasks = Vec::new();
    for i in 0..32 {
        let mut client = app.county("410421");
        let unit = unit.clone();
        tasks.push(tokio::spawn(async move {
            client
                .create_unit(pb::CreateUnitRequest {
                    unit: Some(unit),
                    request_id: format!("req-{i}"),
                })
                .await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(status) => assert_eq!(status.code(), Code::AlreadyExists, "{status:?}"),
        }
    }
    assert_eq!(ok, 1);
    let count: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(count.0, 1);
}

db_test!(
    one_request_id_one_unit_under_concurrency,
    concurrent_request_id_body
);
async fn concurrent_request_id_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let mut tasks = Vec::new();
    for i in 0..32 {
        let mut client = app.county("410421");
        // Different payloads would be a client bug; the key alone decides.
        let unit = company("重试公司", "410421", 400 + i);
        tasks.push(tokio::spawn(async move {
            client
                .create_unit(pb::CreateUnitRequest {
                    unit: Some(unit),
                    request_id: "same-request".into(),
                })
                .await
                .map(|r| r.into_inner())
        }));
    }
    let mut names = Vec::new();
    for task in tasks {
        names.push(task.await.unwrap().expect("every retry succeeds").name);
    }
    names.dedup();
    assert_eq!(names.len(), 1, "every retry got the same unit");
    let count: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(count.0, 1);
}

db_test!(reserve_pool, reserve_pool_body);
async fn reserve_pool_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let mut county = app.county("410421");
    let unit = create(&mut county, company("后备公司", "410421", 500)).await;
    let pooled = county
        .add_to_reserve_pool(pb::AddToReservePoolRequest {
            unit: unit.name.clone(),
            reason: "党建基础好，经营规范".into(),
            target_tier: pb::TitleTier::City as i32,
        })
        .await
        .unwrap()
        .into_inner();
    let entry = pooled.reserve_pool.unwrap();
    assert_eq!(entry.target_tier, pb::TitleTier::City as i32);
    assert_eq!(entry.added_by, "office-410421");
    let in_pool = county
        .list_units(pb::ListUnitsRequest {
            reserve_pool: pb::ReservePoolFilter::InPool as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(in_pool.units.len(), 1);

    let again = county
        .add_to_reserve_pool(pb::AddToReservePoolRequest {
            unit: unit.name.clone(),
            reason: "再次加入".into(),
            target_tier: pb::TitleTier::City as i32,
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(
        precondition_types(&again),
        vec!["reserve_pool.absent".to_owned()]
    );

    // A reason is required.
    let err = county
        .remove_from_reserve_pool(pb::RemoveFromReservePoolRequest {
            unit: unit.name.clone(),
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(field_violations(&err)[0].0, "reason");
    let out = county
        .remove_from_reserve_pool(pb::RemoveFromReservePoolRequest {
            unit: unit.name.clone(),
            reason: "停产整顿".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(out.reserve_pool.is_none());

    // Public units are not for the pool; other counties cannot reach the unit.
    let mut agency = company("县财政局", "410421", 501);
    agency.kind = pb::UnitKind::AdministrativeAgency as i32;
    let agency = create(&mut county, agency).await;
    let err = county
        .add_to_reserve_pool(pb::AddToReservePoolRequest {
            unit: agency.name,
            reason: "试试".into(),
            target_tier: pb::TitleTier::City as i32,
        })
        .await
        .unwrap_err();
    assert_eq!(precondition_types(&err), vec!["unit.non_public".to_owned()]);
    let err = app
        .county("410422")
        .add_to_reserve_pool(pb::AddToReservePoolRequest {
            unit: unit.name,
            reason: "越界".into(),
            target_tier: pb::TitleTier::City as i32,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

db_test!(
    an_office_records_whether_a_unit_is_base_level,
    base_level_body
);
async fn base_level_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let mut county = app.county("410421");
    let created = create(
        &mut county,
        pb::Unit {
            base_level: true,
            ..company("宝丰县某社区服务中心", "410421", 800)
        },
    )
    .await;
    assert!(created.base_level);
    let get = |name: String| {
        let mut county = app.county("410421");
        async move {
            county
                .get_unit(pb::GetUnitRequest { name })
                .await
                .unwrap()
                .into_inner()
        }
    };
    assert!(get(created.name.clone()).await.base_level);
    // A unit without it is not base-level.
    let other = create(&mut county, company("宝丰县某公司", "410421", 801)).await;
    assert!(!get(other.name.clone()).await.base_level);

    // The field mask decides: a change of another field keeps it…
    let renamed = county
        .update_unit(pb::UpdateUnitRequest {
            unit: Some(pb::Unit {
                display_name: "宝丰县某社区党群服务中心".into(),
                base_level: false,
                ..created.clone()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["display_name".into()],
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(renamed.base_level);
    // …the unit's own users may not change it…
    let err = app
        .unit_user(&created.name)
        .update_unit(pb::UpdateUnitRequest {
            unit: Some(pb::Unit {
                base_level: false,
                ..renamed.clone()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["base_level".into()],
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&err),
        vec![("update_mask".into(), "OFFICE_ONLY".into())]
    );
    // …and the office unsets it.
    let updated = county
        .update_unit(pb::UpdateUnitRequest {
            unit: Some(pb::Unit {
                base_level: false,
                ..renamed.clone()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["base_level".into()],
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!updated.base_level);
    let got = get(created.name.clone()).await;
    assert!(!got.base_level);
    assert_eq!(got.display_name, "宝丰县某社区党群服务中心");

    // The audit records carry it, before and after.
    let records: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT before_json, after_json FROM audit_records WHERE resource = $1 \
         AND action = 'UpdateUnit'",
    )
    .bind(created.name.clone())
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let flag = |json: &Option<String>| {
        let value: serde_json::Value = serde_json::from_str(json.as_deref().unwrap()).unwrap();
        value["base_level"].as_i64().unwrap()
    };
    let mut changes: Vec<(i64, i64)> = records.iter().map(|(b, a)| (flag(b), flag(a))).collect();
    changes.sort_unstable();
    assert_eq!(changes, [(1, 0), (1, 1)]);

    // A unit's application carries it to the registered unit.
    let mut portal = app.client(wenming_authz::Principal {
        subject: "henan-portal".into(),
        role: wenming_authz::Role::Platform {
            name: "henan-portal".into(),
            actions: vec![wenming_authz::PlatformAction::SubmitApplication],
        },
    });
    let submitted = portal
        .submit_application(pb::SubmitApplicationRequest {
            application: Some(pb::Application {
                unit: Some(pb::Unit {
                    base_level: true,
                    ..company("宝丰县某学校", "410421", 802)
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(submitted.unit.as_ref().unwrap().base_level);
    let accepted = county
        .decide_application(pb::DecideApplicationRequest {
            name: submitted.name,
            accept: true,
            reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(get(accepted.registered_unit).await.base_level);
}
