//! Rules written twice, in Rust for rows in hand and as SQL for queries, agree on
//! generated rows, on SQLite and PostgreSQL: the caller's row scope
//! (`wenming_runtime::row_scope`), "a title is held on a day"
//! (`wenming_registry::rules::{held_on, push_held_on}`) and "a unit is registered on a
//! day" (`rules::{registered_on, push_registered_on}`).

use jiff::civil::{Date, date};
use proptest::prelude::*;
use proptest::strategy::ValueTree as _;
use proptest::test_runner::TestRunner;
use wenming_authz::RowScope;
use wenming_domain::{Divisions, RegionCode, TitleValidity, UnitId};
use wenming_registry::rules::{held_on, push_held_on, push_registered_on, registered_on};
use wenming_runtime::db::Database;
use wenming_runtime::row_scope;
use wenming_runtime::sql::Sql;
use wenming_testkit::{TestDb, db_test};

/// Generated cases per rule (each a table of rows, checked against every scope or day).
const CASES: usize = 24;

/// Every region a unit can belong to (counties, and 济源 as a city with no counties).
fn unit_regions() -> Vec<RegionCode> {
    let divisions = Divisions::henan();
    divisions
        .iter()
        .map(|d| d.code)
        .filter(|code| divisions.is_unit_region(*code))
        .collect()
}

/// Draws `cases` values of `strategy`, the same ones on every run.
fn generate<S: Strategy>(strategy: S, cases: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..cases)
        .map(|_| strategy.new_tree(&mut runner).expect("value").current())
        .collect()
}

async fn ids_where(db: &Database, table: &str, filter: impl FnOnce(&mut Sql)) -> Vec<String> {
    let mut sql = Sql::new(&format!("SELECT id FROM {table} WHERE 1 = 1"));
    filter(&mut sql);
    sql.push(" ORDER BY id");
    let rows: Vec<(String,)> = sql.query_as().fetch_all(db.pool()).await.unwrap();
    rows.into_iter().map(|(id,)| id).collect()
}

db_test!(row_scope_in_rust_and_sql_agree, row_scope_body);
async fn row_scope_body(test_db: &TestDb) {
    let db = test_db.open(&wenming_registry::MIGRATIONS).await;
    sqlx::query(
        "CREATE TABLE scope_probe (id TEXT PRIMARY KEY, unit_id TEXT NOT NULL, \
         region_code TEXT NOT NULL, city_code TEXT NOT NULL, provincial_direct BIGINT NOT NULL)",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let regions = unit_regions();
    let divisions = Divisions::henan();
    let units: Vec<UnitId> = (0..6).map(|_| UnitId::new()).collect();
    let rows = prop::collection::vec((0..units.len(), 0..regions.len(), any::<bool>()), 1..40);
    for case in generate(rows, CASES) {
        sqlx::query("DELETE FROM scope_probe")
            .execute(db.pool())
            .await
            .unwrap();
        let mut stored = Vec::new();
        for (i, (unit, region, direct)) in case.iter().enumerate() {
            let region = regions[*region];
            let city = divisions.city_of(region).unwrap_or(region);
            let row = (
                format!("{i:03}"),
                units[*unit].to_string(),
                region.to_string(),
                city.to_string(),
                *direct,
            );
            sqlx::query("INSERT INTO scope_probe VALUES ($1, $2, $3, $4, $5)")
                .bind(row.0.clone())
                .bind(row.1.clone())
                .bind(row.2.clone())
                .bind(row.3.clone())
                .bind(i64::from(row.4))
                .execute(db.pool())
                .await
                .unwrap();
            stored.push(row);
        }
        // Every scope the rows could meet, and some they cannot.
        let mut scopes = vec![
            RowScope::Everything,
            RowScope::Nothing,
            RowScope::ProvincialDirect,
        ];
        for (_, unit, region, city, _) in &stored {
            scopes.push(RowScope::Unit(UnitId::parse(unit).unwrap()));
            scopes.push(RowScope::County(RegionCode::parse(region).unwrap()));
            scopes.push(RowScope::City(RegionCode::parse(city).unwrap()));
        }
        scopes.push(RowScope::City(RegionCode::parse("410100").unwrap()));
        scopes.push(RowScope::County(RegionCode::parse("410102").unwrap()));
        for scope in scopes {
            let in_sql = ids_where(&db, "scope_probe", |sql| {
                let columns = row_scope::Columns {
                    unit: "unit_id",
                    region: "region_code",
                    city: "city_code",
                    direct: "provincial_direct",
                };
                row_scope::push(sql, scope, columns);
            })
            .await;
            let in_rust: Vec<String> = stored
                .iter()
                .filter(|(_, unit, region, city, direct)| {
                    row_scope::allows(scope, unit, region, city, *direct)
                })
                .map(|(id, ..)| id.clone())
                .collect();
            assert_eq!(in_sql, in_rust, "{scope:?} over {stored:?}");
        }
    }
}

/// A day between 2020-01-01 and 2023-12-31.
fn day() -> impl Strategy<Value = Date> {
    (0_i32..1460).prop_map(|n| {
        date(2020, 1, 1)
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
    })
}

db_test!(title_validity_in_rust_and_sql_agree, title_body);
async fn title_body(test_db: &TestDb) {
    let db = test_db.open(&wenming_registry::MIGRATIONS).await;
    sqlx::query(
        "CREATE TABLE title_probe (id TEXT PRIMARY KEY, awarded_on TEXT NOT NULL, \
         valid_until TEXT, revoked_on TEXT)",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let titles = prop::collection::vec(
        (day(), prop::option::of(day()), prop::option::of(day())),
        1..30,
    );
    let days = prop::collection::vec(day(), 12);
    for (case, probe_days) in generate((titles, days), CASES) {
        sqlx::query("DELETE FROM title_probe")
            .execute(db.pool())
            .await
            .unwrap();
        let mut stored = Vec::new();
        for (i, (awarded_on, valid_until, revoked_on)) in case.into_iter().enumerate() {
            let id = format!("{i:03}");
            sqlx::query("INSERT INTO title_probe VALUES ($1, $2, $3, $4)")
                .bind(id.clone())
                .bind(awarded_on.to_string())
                .bind(valid_until.map(|d| d.to_string()))
                .bind(revoked_on.map(|d| d.to_string()))
                .execute(db.pool())
                .await
                .unwrap();
            let validity = TitleValidity {
                awarded_on,
                valid_until,
                revoked_on,
            };
            stored.push((id, validity));
        }
        // The generated days, and every boundary the rows have: each date and the day
        // before it.
        let mut probes = probe_days;
        for (_, v) in &stored {
            for d in [Some(v.awarded_on), v.valid_until, v.revoked_on]
                .into_iter()
                .flatten()
            {
                probes.push(d);
                probes.push(d.yesterday().unwrap());
            }
        }
        for probe in probes {
            let in_sql = ids_where(&db, "title_probe t", |sql| push_held_on(sql, "t", probe)).await;
            let in_rust: Vec<String> = stored
                .iter()
                .filter(|(_, validity)| held_on(validity, probe))
                .map(|(id, _)| id.clone())
                .collect();
            assert_eq!(in_sql, in_rust, "held on {probe} over {stored:?}");
        }
    }
}

db_test!(registration_on_a_day_in_rust_and_sql_agree, registered_body);
async fn registered_body(test_db: &TestDb) {
    let db = test_db.open(&wenming_registry::MIGRATIONS).await;
    sqlx::query(
        "CREATE TABLE unit_probe (id TEXT PRIMARY KEY, state TEXT NOT NULL, deregistered_on TEXT)",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let units = prop::collection::vec((any::<bool>(), prop::option::of(day())), 1..30);
    let days = prop::collection::vec(day(), 12);
    for (case, probe_days) in generate((units, days), CASES) {
        sqlx::query("DELETE FROM unit_probe")
            .execute(db.pool())
            .await
            .unwrap();
        let mut stored = Vec::new();
        for (i, (active, left)) in case.into_iter().enumerate() {
            // An active unit has no deregistration day; a deregistered one may lack it
            // (deregistered before the day was recorded).
            let left = if active { None } else { left };
            let id = format!("{i:03}");
            sqlx::query("INSERT INTO unit_probe VALUES ($1, $2, $3)")
                .bind(id.clone())
                .bind(if active { "active" } else { "deregistered" })
                .bind(left.map(|d| d.to_string()))
                .execute(db.pool())
                .await
                .unwrap();
            stored.push((id, active, left));
        }
        let mut probes = probe_days;
        for (_, _, left) in &stored {
            if let Some(left) = left {
                probes.push(*left);
                probes.push(left.yesterday().unwrap());
            }
        }
        for probe in probes {
            let in_sql = ids_where(&db, "unit_probe u", |sql| {
                push_registered_on(sql, "u", probe)
            })
            .await;
            let in_rust: Vec<String> = stored
                .iter()
                .filter(|(_, active, left)| registered_on(*active, *left, probe))
                .map(|(id, ..)| id.clone())
                .collect();
            assert_eq!(in_sql, in_rust, "registered on {probe} over {stored:?}");
        }
    }
}
