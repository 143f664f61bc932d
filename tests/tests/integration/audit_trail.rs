//! The audit trail as hash chains, on SQLite and PostgreSQL: the records of changes made
//! side by side through the gateway chain intact, and an edited record, a record deleted
//! from the middle of a chain or from its end is found and named.

use futures::future::join_all;
use sqlx::Executor as _;
use wenming_runtime::audit_verify::{Break, BreakKind};
use wenming_runtime::db::Database;
use wenming_testkit::fixtures::company;
use wenming_testkit::{TestDb, db_test};
use wenming_tests::scene::Scene;

db_test!(the_chains_hold_and_name_what_was_tampered_with, chains);
async fn chains(test_db: &TestDb) {
    let scene = Scene::start(test_db).await;
    let county = scene.suite.office("county", "410421");
    // Forty creates at once: their appends to the chains interleave.
    let units = join_all((0..40).map(|n| {
        let unit = company(&format!("宝丰县审计{n}有限公司"), "410421", scene.code());
        scene.register(county.clone(), unit)
    }))
    .await;
    let db = scene.suite.db("registry");
    let (written,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_records")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(written >= 40, "every create audited");
    let intact = db.verify_audit().await.unwrap();
    assert_eq!(intact.broken, None);
    assert_eq!(intact.records, written as u64, "every record is a link");
    assert_eq!(intact.unchained, 0);

    // Edited: the unit's name in a record's after-snapshot.
    let (id, chain, seq) = link_of(&db, &units[7]).await;
    execute(
        &db,
        &format!(
            "UPDATE audit_records SET after_json = REPLACE(after_json, '宝丰县', '叶县') \
             WHERE id = '{id}'"
        ),
    )
    .await;
    assert_eq!(
        db.verify_audit().await.unwrap().broken,
        Some(Break {
            chain,
            seq,
            record: Some(id.clone()),
            kind: BreakKind::Edited,
        })
    );
    execute(
        &db,
        &format!(
            "UPDATE audit_records SET after_json = REPLACE(after_json, '叶县', '宝丰县') \
             WHERE id = '{id}'"
        ),
    )
    .await;
    assert_eq!(db.verify_audit().await.unwrap().broken, None, "restored");

    // Deleted from the middle: the record after it no longer follows its predecessor.
    let (chain, length) = longest_chain(&db).await;
    assert!(length >= 3, "forty records over sixteen chains");
    let next: (String,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM audit_records WHERE chain = {chain} AND seq = 2"
    )))
    .fetch_one(db.pool())
    .await
    .unwrap();
    let restore = set_aside(&db, &format!("chain = {chain} AND seq = 1")).await;
    assert_eq!(
        db.verify_audit().await.unwrap().broken,
        Some(Break {
            chain,
            seq: 2,
            record: Some(next.0),
            kind: BreakKind::Missing { expected_seq: 1 },
        })
    );
    execute(&db, &restore).await;
    assert_eq!(db.verify_audit().await.unwrap().broken, None, "restored");

    // Deleted from the end: the chain stops short of its head.
    let restore = set_aside(&db, &format!("chain = {chain} AND seq = {length}")).await;
    assert_eq!(
        db.verify_audit().await.unwrap().broken,
        Some(Break {
            chain,
            seq: length - 1,
            record: None,
            kind: BreakKind::Truncated { head_seq: length },
        })
    );
    execute(&db, &restore).await;

    // Moved: two records of a chain trade places.
    execute(
        &db,
        &format!(
            "UPDATE audit_records SET seq = -seq WHERE chain = {chain} AND seq IN (1, 2); \
             UPDATE audit_records SET seq = 3 + seq WHERE chain = {chain} AND seq IN (-1, -2)"
        ),
    )
    .await;
    let moved = db.verify_audit().await.unwrap().broken.expect("a break");
    assert_eq!((moved.chain, moved.seq), (chain, 1));
    assert_eq!(moved.kind, BreakKind::Unlinked);
}

async fn execute(db: &Database, sql: &str) {
    db.pool()
        .execute(sqlx::AssertSqlSafe(sql.to_owned()))
        .await
        .unwrap();
}

/// The chain, position and id of the first record about `resource`.
async fn link_of(db: &Database, resource: &str) -> (String, i64, i64) {
    sqlx::query_as("SELECT id, chain, seq FROM audit_records WHERE resource = $1")
        .bind(resource.to_owned())
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn longest_chain(db: &Database) -> (i64, i64) {
    sqlx::query_as(
        "SELECT chain, COUNT(*) AS n FROM audit_records GROUP BY chain ORDER BY n DESC, chain \
         LIMIT 1",
    )
    .fetch_one(db.pool())
    .await
    .unwrap()
}

/// Deletes the records `filter` selects, keeping a copy; answers the SQL that puts them
/// back.
async fn set_aside(db: &Database, filter: &str) -> String {
    let table = format!("set_aside_{}", uuid_suffix());
    execute(
        db,
        &format!(
            "CREATE TABLE {table} AS SELECT * FROM audit_records WHERE {filter}; \
             DELETE FROM audit_records WHERE {filter}"
        ),
    )
    .await;
    format!("INSERT INTO audit_records SELECT * FROM {table}; DROP TABLE {table}")
}

fn uuid_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

db_test!(offices_read_the_records_of_what_they_hold, reading);
async fn reading(test_db: &TestDb) {
    use tonic::Code;
    use wenming_proto::registry::v1 as rp;

    let scene = Scene::start(test_db).await;
    let county = scene.suite.office("county", "410421");
    let name = scene
        .register(
            county.clone(),
            company("宝丰县审计读取有限公司", "410421", scene.code()),
        )
        .await;
    let mut baofeng = scene.registry(county.clone());
    let unit = baofeng
        .get_unit(rp::GetUnitRequest { name: name.clone() })
        .await
        .unwrap()
        .into_inner();
    let mut changed = unit.clone();
    changed.civilisation_officer = Some(rp::CivilisationOfficer {
        person_name: "王文明".into(),
        phone: "13900005678".into(),
    });
    baofeng
        .update_unit(rp::UpdateUnitRequest {
            unit: Some(changed),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["civilisation_officer".into()],
            }),
        })
        .await
        .unwrap();

    let of = |resource: &str| rp::ListAuditRecordsRequest {
        resource: resource.into(),
        ..Default::default()
    };
    // The county reads its unit's history, newest first, the person's data included.
    let records = baofeng
        .list_audit_records(of(&name))
        .await
        .unwrap()
        .into_inner()
        .records;
    let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["UpdateUnit", "CreateUnit"]);
    assert!(records[0].before_json.contains("13800001234"));
    assert!(records[0].after_json.contains("13900005678"));
    assert!(records[0].position >= 1 && records[0].hash.len() == 64);

    // Another county cannot read it, nor can an office name no resource.
    let yexian = scene.registry(scene.suite.office("county", "410422"));
    let outside = yexian
        .clone()
        .list_audit_records(of(&name))
        .await
        .unwrap_err();
    assert_eq!(outside.code(), Code::NotFound, "{outside:?}");
    let unnamed = yexian.clone().list_audit_records(of("")).await.unwrap_err();
    assert_eq!(unnamed.code(), Code::InvalidArgument);
    let other_kind = baofeng
        .list_audit_records(of("titles/x"))
        .await
        .unwrap_err();
    assert_eq!(other_kind.code(), Code::InvalidArgument);

    // The province reads the whole trail, by actor and by time, page by page.
    let mut province = scene.registry(scene.province());
    let by_actor = rp::ListAuditRecordsRequest {
        actor: records[0].actor.clone(),
        page_size: 1,
        ..Default::default()
    };
    let first = province
        .list_audit_records(by_actor.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.records.len(), 1);
    assert_eq!(first.records[0].id, records[0].id);
    let second = province
        .list_audit_records(rp::ListAuditRecordsRequest {
            page_token: first.next_page_token,
            ..by_actor
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.records[0].id, records[1].id);
    let before_all = province
        .list_audit_records(rp::ListAuditRecordsRequest {
            end_time: records[1].time,
            resource: name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(before_all.records.is_empty(), "end_time is exclusive");
}

db_test!(
    a_covert_visits_records_stay_blind_and_pairings_are_scoped,
    blind
);
async fn blind(test_db: &TestDb) {
    use tonic::Code;
    use wenming_proto::pairing::v1 as pp;
    use wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient;
    use wenming_proto::supervision::v1 as sp;
    use wenming_proto::supervision::v1::supervision_service_client::SupervisionServiceClient;

    let scene = Scene::start(test_db).await;
    let campaign = scene.campaign().await;
    let county = scene.suite.office("county", "410421");
    let city = scene.pingdingshan();
    let (unit, pairing) = scene
        .paired(
            county.clone(),
            city.clone(),
            &campaign,
            "宝丰县暗访审计有限公司",
            "410421",
        )
        .await;
    let supervision =
        |bearer| SupervisionServiceClient::with_interceptor(scene.suite.gateway.clone(), bearer);
    let covert = supervision(city.clone())
        .plan_inspection(sp::PlanInspectionRequest {
            inspection: Some(sp::Inspection {
                kind: sp::InspectionKind::CovertVisit as i32,
                target: unit.clone(),
                inspectors: vec!["张督导".into()],
                planned_start: "2021-06-01".into(),
                planned_end: "2021-06-03".into(),
                purpose: "暗访结对帮创".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let of = |resource: &str| sp::ListAuditRecordsRequest {
        resource: resource.into(),
        ..Default::default()
    };

    // The planner reads the plan's record; the inspected county cannot tell it exists.
    let planned = supervision(city.clone())
        .list_audit_records(of(&covert.name))
        .await
        .unwrap()
        .into_inner()
        .records;
    assert_eq!(planned[0].action, "PlanInspection");
    let probe = supervision(county.clone())
        .list_audit_records(of(&covert.name))
        .await
        .unwrap_err();
    assert_eq!(probe.code(), Code::NotFound, "{probe:?}");
    let guessed = supervision(county.clone())
        .list_audit_records(of("inspections/0193a000-0000-7000-8000-000000000000"))
        .await
        .unwrap_err();
    assert_eq!(guessed.code(), Code::NotFound, "a guess answers the same");

    // Pairing: the arranging county reads its pairing's records; another county not.
    let pairings =
        |bearer| PairingServiceClient::with_interceptor(scene.suite.gateway.clone(), bearer);
    let by_pairing = pp::ListAuditRecordsRequest {
        resource: pairing.name.clone(),
        ..Default::default()
    };
    let records = pairings(city.clone())
        .list_audit_records(by_pairing.clone())
        .await
        .unwrap()
        .into_inner()
        .records;
    assert_eq!(records[0].action, "CreatePairing");
    let outside = pairings(scene.suite.office("county", "410422"))
        .list_audit_records(by_pairing)
        .await
        .unwrap_err();
    assert_eq!(outside.code(), Code::NotFound, "{outside:?}");

    // The province reads every service's whole trail.
    let all = supervision(scene.province())
        .list_audit_records(sp::ListAuditRecordsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .records;
    assert!(all.iter().any(|r| r.resource == covert.name));
}
