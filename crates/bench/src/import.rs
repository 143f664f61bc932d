//! Bulk import: ImportUnits (parse, validate, scope, dedupe, audit, over gRPC) against
//! the database's own bulk loader reading the same rows into the same table.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use wenming_proto::registry::v1 as pb;
use wenming_testkit::TestDb;

use crate::BenchResult;
use crate::fixtures::{Registry, county_office, credit_code, median, unit};

/// Rows per streamed message, as `wenming import` sends them.
const BATCH: usize = 500;

pub async fn run(rows: u32, rounds: u32) -> BenchResult {
    let csv = std::env::temp_dir().join(format!("wenming-bench-{}.csv", std::process::id()));
    write_table_csv(&csv, rows)?;
    let requests: Vec<pb::ImportUnitsRequest> = (0..rows)
        .map(|n| pb::ImportRow {
            row_number: u64::from(n) + 2,
            unit: Some(unit(n)),
        })
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(|chunk| pb::ImportUnitsRequest {
            rows: chunk.to_vec(),
        })
        .collect();

    println!("rows: {rows}, rounds: {rounds} (median reported), batch: {BATCH} rows per message");
    println!(
        "{:<11} {:>14} {:>14} {:>8}",
        "database", "baseline", "ImportUnits", "ratio"
    );
    let mut baseline = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..rounds {
        let db = TestDb::sqlite().await;
        baseline.push(sqlite_import(&db, &csv, rows).await?);
        db.cleanup().await;
        let db = TestDb::sqlite().await;
        ours.push(import_units(&db, &requests, rows).await?);
        db.cleanup().await;
    }
    report("SQLite", "sqlite3 .import", baseline, ours);

    if std::env::var(wenming_testkit::PG_URL_VAR).is_ok() {
        let mut baseline = Vec::new();
        let mut ours = Vec::new();
        for _ in 0..rounds {
            if let Some(db) = TestDb::postgres().await {
                baseline.push(psql_copy(&db, &csv, rows).await?);
                db.cleanup().await;
            }
            if let Some(db) = TestDb::postgres().await {
                ours.push(import_units(&db, &requests, rows).await?);
                db.cleanup().await;
            }
        }
        report("PostgreSQL", "psql \\copy", baseline, ours);
    } else {
        println!("PostgreSQL: skipped (set {})", wenming_testkit::PG_URL_VAR);
    }
    std::fs::remove_file(&csv).ok();
    Ok(())
}

fn report(database: &str, tool: &str, baseline: Vec<Duration>, ours: Vec<Duration>) {
    let (b, o) = (median(baseline), median(ours));
    println!(
        "{database:<11} {:>14} {:>14} {:>7.2}x   (baseline: {tool})",
        format!("{:.3} s", b.as_secs_f64()),
        format!("{:.3} s", o.as_secs_f64()),
        o.as_secs_f64() / b.as_secs_f64()
    );
}

/// The rows as the `units` table holds them, every column in table order, for the
/// database tools (`""` is empty text; a bare empty field is NULL for psql and empty
/// text for sqlite3).
fn write_table_csv(path: &Path, rows: u32) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "id,display_name,credit_code,region_code,city_code,kind,scale,nature,employees,\
         main_business,annual_revenue_10k_yuan,party_organisation_type,party_members,\
         party_instructor,party_service_centre,officer_name,officer_phone,state,\
         deregistration_reason,pool_reason,pool_target_tier,pool_added_by,pool_added_at,\
         version,created_at,updated_at"
    )?;
    for n in 0..rows {
        writeln!(
            out,
            "{},基准测试企业{n}号有限公司,{},410421,410400,private_enterprise,small,制造业,50,\
             机械加工,3000,,0,\"\",\"\",\"\",\"\",active,,,,,,1,1700000000000,1700000000000",
            uuid::Uuid::now_v7(),
            credit_code(n)
        )?;
    }
    out.flush()
}

async fn migrated(
    db: &TestDb,
) -> Result<wenming_runtime::db::Database, Box<dyn std::error::Error + Send + Sync>> {
    let database = wenming_runtime::db::Database::connect(&db.settings).await?;
    wenming_registry::SERVICE.migrate(&database).await?;
    Ok(database)
}

async fn count_units(database: &wenming_runtime::db::Database) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units")
        .fetch_one(database.pool())
        .await?;
    Ok(n)
}

async fn sqlite_import(
    db: &TestDb,
    csv: &Path,
    rows: u32,
) -> Result<Duration, Box<dyn std::error::Error + Send + Sync>> {
    let database = migrated(db).await?;
    database.close().await;
    let file: PathBuf = db
        .settings
        .url
        .trim_start_matches("sqlite://")
        .trim_end_matches("?mode=rwc")
        .into();
    let started = Instant::now();
    let status = Command::new("sqlite3")
        .arg(&file)
        .arg(format!(".import --csv --skip 1 {} units", csv.display()))
        .status()?;
    let took = started.elapsed();
    if !status.success() {
        return Err("sqlite3 .import failed".into());
    }
    let database = wenming_runtime::db::Database::connect(&db.settings).await?;
    check_count(count_units(&database).await?, rows)?;
    database.close().await;
    Ok(took)
}

async fn psql_copy(
    db: &TestDb,
    csv: &Path,
    rows: u32,
) -> Result<Duration, Box<dyn std::error::Error + Send + Sync>> {
    let database = migrated(db).await?;
    let started = Instant::now();
    let status = Command::new("psql")
        .arg(&db.settings.url)
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!(
            "\\copy units FROM '{}' WITH (FORMAT csv, HEADER true)",
            csv.display()
        ))
        .status()?;
    let took = started.elapsed();
    if !status.success() {
        return Err("psql \\copy failed".into());
    }
    check_count(count_units(&database).await?, rows)?;
    database.close().await;
    Ok(took)
}

async fn import_units(
    db: &TestDb,
    requests: &[pb::ImportUnitsRequest],
    rows: u32,
) -> Result<Duration, Box<dyn std::error::Error + Send + Sync>> {
    let database = migrated(db).await?;
    let registry = Registry::start(database.clone()).await?;
    let mut client = registry.client(county_office()).await?;
    let requests = requests.to_vec();
    let started = Instant::now();
    let response = client
        .import_units(tokio_stream::iter(requests))
        .await?
        .into_inner();
    let took = started.elapsed();
    if response.created != u64::from(rows) {
        return Err(format!("created {} of {rows}", response.created).into());
    }
    check_count(count_units(&database).await?, rows)?;
    Ok(took)
}

fn check_count(found: i64, rows: u32) -> BenchResult {
    if found == i64::from(rows) {
        Ok(())
    } else {
        Err(format!("expected {rows} units, found {found}").into())
    }
}
