//! The nomination deadline and concurrent batches, VerifyTitle's read path and cache,
//! and bulk import, over real gRPC on both databases. (The nomination and title rules
//! one a test: `nominations.rs`, `titles.rs`.)

use crate::support;

use support::*;
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

db_test!(nomination_deadline_uses_the_clock, nomination_deadline_body);
async fn nomination_deadline_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let campaign = pingdingshan_campaign(&app).await;
    let units = baofeng_units(&app, 3, 2000).await;
    // 20 April 23:59:59 in Shanghai is still open; 21 April 00:00 is closed.
    app.clock.set("2021-04-20T15:59:59Z".parse().unwrap());
    let mut county = app.county("410421");
    county
        .submit_nominations(submit(&campaign, &units))
        .await
        .unwrap();
    let more = baofeng_units(&app, 3, 2100).await;
    app.clock.set("2021-04-20T16:00:00Z".parse().unwrap());
    let err = county
        .submit_nominations(submit(&campaign, &more))
        .await
        .unwrap_err();
    assert_eq!(
        precondition_types(&err),
        vec!["nomination.deadline".to_owned()]
    );
}

db_test!(
    concurrent_submissions_respect_the_batch_limit,
    concurrent_batch_body
);
async fn concurrent_batch_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let campaign = pingdingshan_campaign(&app).await;
    let units = baofeng_units(&app, 12, 3000).await;
    // Four batches of three race; at most one fits under the limit of five.
    let mut tasks = Vec::new();
    for chunk in units.chunks(3) {
        let mut county = app.county("410421");
        let request = submit(&campaign, chunk);
        tasks.push(tokio::spawn(async move {
            county.submit_nominations(request).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        if task.await.unwrap().is_ok() {
            ok += 1;
        }
    }
    assert_eq!(ok, 1);
    let active: (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM nominations WHERE status <> 'returned'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(active.0, 3);
}

db_test!(verify_title_reads_by_index, verify_index_body);
async fn verify_index_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let sql = wenming_registry::store::VERIFY_SQL;
    let code = credit_code("410421", 1);
    let plan: Vec<String> = match app.db.backend() {
        wenming_runtime::db::Backend::Sqlite => {
            let rows: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                    .bind(code)
                    .fetch_all(app.db.pool())
                    .await
                    .unwrap();
            rows.into_iter().map(|r| r.3).collect()
        }
        wenming_runtime::db::Backend::Postgres => {
            // Empty tables would be scanned anyway; forbid that to show the indexes serve.
            let mut conn = app.db.pool().acquire().await.unwrap();
            sqlx::query("SET enable_seqscan = off")
                .execute(&mut *conn)
                .await
                .unwrap();
            let rows: Vec<(String,)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
                    .bind(code)
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
            rows.into_iter().map(|r| r.0).collect()
        }
    };
    let plan = plan.join("\n");
    assert!(plan.contains("units_credit_code"), "{plan}");
    assert!(plan.contains("titles_credit_code"), "{plan}");
    assert!(
        !plan.contains("SCAN") && !plan.contains("Seq Scan"),
        "{plan}"
    );
}

db_test!(verification_sees_changes_at_once, verify_cache_body);
async fn verify_cache_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let unit = baofeng_units(&app, 1, 8000).await.remove(0);
    let verify = pb::VerifyTitleRequest {
        credit_code: unit.credit_code.clone(),
        as_of: "2024-03-01".into(),
        attest: false,
    };
    let mut platform = app.platform();
    // Read once so the answer is cached, then award: the next read must see the title.
    assert!(
        platform
            .verify_title(verify.clone())
            .await
            .unwrap()
            .into_inner()
            .titles
            .is_empty()
    );
    let title = app
        .province()
        .award_title(pb::AwardTitleRequest {
            title: Some(pb::Title {
                unit: unit.name.clone(),
                tier: pb::TitleTier::ProvincialModel as i32,
                awarded_on: "2024-01-01".into(),
                document_number: "豫文明〔2024〕1号".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        platform
            .verify_title(verify.clone())
            .await
            .unwrap()
            .into_inner()
            .titles
            .len(),
        1
    );
    app.province()
        .revoke_title(pb::RevokeTitleRequest {
            name: title.name,
            reason: "复查不合格".into(),
            revoked_on: "2024-02-01".into(),
        })
        .await
        .unwrap();
    assert!(
        platform
            .verify_title(verify.clone())
            .await
            .unwrap()
            .into_inner()
            .titles
            .is_empty()
    );
    // Deregistration shows at once too.
    app.county("410421")
        .deregister_unit(pb::DeregisterUnitRequest {
            name: unit.name.clone(),
            reason: "企业注销".into(),
            etag: String::new(),
        })
        .await
        .unwrap();
    let answer = platform.verify_title(verify).await.unwrap().into_inner();
    assert_eq!(answer.unit_state, pb::UnitState::Deregistered as i32);
}

db_test!(import_reports_every_row, import_body);
async fn import_body(db: &TestDb) {
    let app = spawn_registry(db).await;
    let mut county = app.county("410421");
    let existing = create(&mut county, company("已登记公司", "410421", 5000)).await;
    let mut rows = Vec::new();
    for n in 0..450u32 {
        rows.push(pb::ImportRow {
            row_number: u64::from(n) + 2,
            unit: Some(pb::Unit {
                // Row 3 is a base-level unit (基层单位).
                base_level: n == 1,
                ..company(&format!("导入企业{n}"), "410421", 6000 + n)
            }),
        });
    }
    // Row 452 repeats row 2's code; row 453 is registered already; 454 is broken; 455 is elsewhere.
    rows.push(pb::ImportRow {
        row_number: 452,
        unit: Some(company("重复行", "410421", 6000)),
    });
    let mut dup = company("已有", "410421", 0);
    dup.credit_code = existing.credit_code.clone();
    rows.push(pb::ImportRow {
        row_number: 453,
        unit: Some(dup),
    });
    let mut broken = company("坏行", "410421", 7000);
    broken.credit_code.push('0');
    rows.push(pb::ImportRow {
        row_number: 454,
        unit: Some(broken),
    });
    rows.push(pb::ImportRow {
        row_number: 455,
        unit: Some(company("外县", "410422", 7001)),
    });
    let batches: Vec<pb::ImportUnitsRequest> = rows
        .chunks(100)
        .map(|c| pb::ImportUnitsRequest { rows: c.to_vec() })
        .collect();
    let response = county
        .import_units(tokio_stream::iter(batches))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.results.len(), 454);
    assert_eq!(
        (response.created, response.duplicates, response.invalid),
        (450, 2, 2)
    );
    let outcome = |row: u64| {
        response
            .results
            .iter()
            .find(|r| r.row_number == row)
            .unwrap()
    };
    assert_eq!(outcome(2).outcome, pb::ImportOutcome::Created as i32);
    assert_eq!(outcome(452).outcome, pb::ImportOutcome::Duplicate as i32);
    assert_eq!(outcome(453).outcome, pb::ImportOutcome::Duplicate as i32);
    assert_eq!(outcome(454).outcome, pb::ImportOutcome::Invalid as i32);
    assert_eq!(outcome(454).errors[0].field, "unit.credit_code");
    assert_eq!(outcome(454).errors[0].rule, "length");
    assert_eq!(outcome(455).errors[0].rule, "out_of_scope");
    let count: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(count.0, 451);
    // The base-level flag is stored as sent (COPY on PostgreSQL, INSERT on SQLite).
    for (row, base_level) in [(2, false), (3, true)] {
        let unit = county
            .get_unit(pb::GetUnitRequest {
                name: outcome(row).unit.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(unit.base_level, base_level, "row {row}");
    }
    let base_level: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units WHERE base_level = 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(base_level.0, 1);
}

db_test!(
    an_import_beyond_its_rows_is_refused_after_the_rows_before_the_limit,
    import_limit_body
);
async fn import_limit_body(db: &TestDb) {
    use figment::providers::{Format as _, Toml};
    let config =
        wenming_runtime::config::Figment::from(Toml::string("[registry]\nimport_max_rows = 250\n"));
    let app = spawn_registry_options(
        db,
        wenming_testkit::services::Options {
            config,
            ..Default::default()
        },
    )
    .await;
    let mut county = app.county("410421");
    let rows: Vec<pb::ImportRow> = (0..400)
        .map(|n| pb::ImportRow {
            row_number: u64::from(n) + 2,
            unit: Some(company(&format!("限量导入{n}"), "410421", 8000 + n)),
        })
        .collect();
    let batches = |rows: &[pb::ImportRow]| -> Vec<pb::ImportUnitsRequest> {
        rows.chunks(100)
            .map(|c| pb::ImportUnitsRequest { rows: c.to_vec() })
            .collect()
    };
    let count = || async {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        n
    };

    // Four batches of 100: the third would cross 250, so two are imported and the
    // rest is not read.
    let refused = county
        .import_units(tokio_stream::iter(batches(&rows)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    assert_eq!(
        field_violations(&refused),
        [("rows".to_owned(), "IMPORT_TOO_MANY_ROWS".to_owned())]
    );
    let description = {
        use tonic_types::StatusExt as _;
        refused.get_details_bad_request().unwrap().field_violations[0]
            .description
            .clone()
    };
    assert!(
        description
            .contains("the first 200 rows were imported (200 created, 0 duplicates, 0 invalid)"),
        "{description}"
    );
    assert!(
        zh_cn(&refused).contains("前 200 行已处理"),
        "{}",
        zh_cn(&refused)
    );
    assert_eq!(count().await, 200);

    // The rest in another call (250 rows, the limit): the rows sent again come back as
    // duplicates.
    let rest = county
        .import_units(tokio_stream::iter(batches(&rows[150..])))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((rest.created, rest.duplicates, rest.invalid), (200, 50, 0));
    assert_eq!(count().await, 400);
}
