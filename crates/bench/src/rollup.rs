//! The province's progress report over many units: GetProgressReport called on the
//! supervision service (with a signed province identity), which asks the real registry
//! and pairing service for their grouped counts and rolls them up; against the bare
//! `SELECT region_code, COUNT(*) FROM units GROUP BY region_code` on the registry's
//! database, in the same run. Units are written straight into the registry's table in
//! large transactions (the load is not what is measured), then analysed (and vacuumed on
//! PostgreSQL) as autovacuum would.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use wenming_authz::{IdentityKey, Principal};
use wenming_domain::{AdminLevel, CreditCode, Divisions, FixedClock, UnitId};
use wenming_proto::registry::v1 as rp;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_proto::supervision::v1 as sp;
use wenming_proto::supervision::v1::supervision_service_client::SupervisionServiceClient;
use wenming_runtime::client::AsPrincipal;
use wenming_runtime::db::Database;
use wenming_testkit::TestDb;
use wenming_testkit::services::{Options, start};

use crate::BenchResult;

/// Rows per insert statement and per transaction.
const ROWS_PER_STATEMENT: usize = 500;
const STATEMENTS_PER_TX: usize = 20;

pub async fn run(units: u32, regions: usize, calls: u32) -> BenchResult {
    println!(
        "{units} units in {regions} county-level regions; {calls} calls per side (after 3 \
         warm-up calls each)"
    );
    println!(
        "{:<11} {:>12} {:>12} {:>14} {:>12} {:>12} {:>8} {:>8}",
        "database",
        "count p50",
        "count p99",
        "registry p50",
        "report p50",
        "report p99",
        "p50 x",
        "p99 x"
    );
    let mut backends = vec![false];
    if std::env::var(wenming_testkit::PG_URL_VAR).is_ok() {
        backends.push(true);
    } else {
        println!("PostgreSQL: skipped (set {})", wenming_testkit::PG_URL_VAR);
    }
    for postgres in backends {
        let test_db = if postgres {
            TestDb::postgres().await.ok_or("PostgreSQL not reachable")?
        } else {
            TestDb::sqlite().await
        };
        let key = IdentityKey::generate();
        let clock = Arc::new(FixedClock::new("2021-06-30T02:00:00Z".parse()?));
        let services = start(
            &test_db,
            wenming_suite::SERVICES,
            clock,
            &key,
            Options::default(),
        )
        .await;
        let registry_db = services.db("registry");
        let loaded = Instant::now();
        load(&registry_db, units, regions).await?;
        // What autovacuum does on a live database soon after a bulk load: statistics
        // for the planner and, on PostgreSQL, the visibility map index-only scans need.
        let settle = if postgres {
            "VACUUM ANALYZE units"
        } else {
            "ANALYZE units"
        };
        sqlx::query(settle).execute(registry_db.pool()).await?;
        println!("  loaded in {:.1} s", loaded.elapsed().as_secs_f64());
        let count = measure(calls, || count_by_region(&registry_db)).await?;
        let registry_channel = tonic::transport::Channel::from_shared(format!(
            "http://{}",
            services.addr("registry")
        ))?
        .connect()
        .await?;
        let channel = tonic::transport::Channel::from_shared(format!(
            "http://{}",
            services.addr("supervision")
        ))?
        .connect()
        .await?;
        let province = Principal::office(
            "bench-province",
            AdminLevel::Province,
            Divisions::henan().province(),
        );
        let registry_client = RegistryServiceClient::with_interceptor(
            registry_channel,
            AsPrincipal::new(&key, province.clone()),
        );
        let registry_part = measure(calls, || {
            let mut client = registry_client.clone();
            async move {
                client
                    .count_units_by_region(rp::CountUnitsByRegionRequest {
                        region_code: "410000".into(),
                        ..Default::default()
                    })
                    .await?;
                Ok(())
            }
        })
        .await?;
        let client =
            SupervisionServiceClient::with_interceptor(channel, AsPrincipal::new(&key, province));
        let report = measure(calls, || {
            let mut client = client.clone();
            async move {
                let report = client
                    .get_progress_report(sp::GetProgressReportRequest::default())
                    .await?
                    .into_inner();
                if report.rows.first().map(|r| r.units) != Some(u64::from(units)) {
                    return Err("the report does not count every unit".into());
                }
                Ok(())
            }
        })
        .await?;
        let q = |h: &Histogram<u64>, p: f64| h.value_at_quantile(p) as f64 / 1000.0;
        println!(
            "{:<11} {:>10.1}ms {:>10.1}ms {:>12.1}ms {:>10.1}ms {:>10.1}ms {:>7.2}x {:>7.2}x",
            if postgres { "PostgreSQL" } else { "SQLite" },
            q(&count, 0.5),
            q(&count, 0.99),
            q(&registry_part, 0.5),
            q(&report, 0.5),
            q(&report, 0.99),
            q(&report, 0.5) / q(&count, 0.5),
            q(&report, 0.99) / q(&count, 0.99),
        );
        drop(services);
        test_db.cleanup().await;
    }
    Ok(())
}

/// Latencies in µs of `calls` sequential calls of `call`, after 3 unmeasured ones.
async fn measure<F, Fut>(
    calls: u32,
    call: F,
) -> Result<Histogram<u64>, Box<dyn std::error::Error + Send + Sync>>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = BenchResult>,
{
    for _ in 0..3 {
        call().await?;
    }
    let mut histogram = Histogram::<u64>::new(3)?;
    for _ in 0..calls {
        let started = Instant::now();
        call().await?;
        histogram.record(duration_us(started.elapsed()))?;
    }
    Ok(histogram)
}

fn duration_us(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// The baseline query.
async fn count_by_region(db: &Database) -> BenchResult {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT region_code, COUNT(*) FROM units GROUP BY region_code")
            .fetch_all(db.pool())
            .await?;
    if rows.is_empty() {
        return Err("no units".into());
    }
    Ok(())
}

/// `units` active units spread evenly over the first `regions` county-level regions of
/// Henan, one in ten in the reserve pool.
async fn load(db: &Database, units: u32, regions: usize) -> BenchResult {
    let divisions = Divisions::henan();
    let counties: Vec<(String, String)> = divisions
        .iter()
        .filter(|d| d.level == AdminLevel::County)
        .filter_map(|d| Some((d.code.to_string(), divisions.parent(d.code)?.to_string())))
        .take(regions)
        .collect();
    if counties.len() < regions {
        return Err(format!("Henan has only {} county-level regions", counties.len()).into());
    }
    let mut n = 0_u32;
    while n < units {
        let mut tx = db.pool().begin().await?;
        for _ in 0..STATEMENTS_PER_TX {
            if n >= units {
                break;
            }
            let rows = (units - n).min(ROWS_PER_STATEMENT as u32);
            let mut sql = String::from(
                "INSERT INTO units (id, display_name, credit_code, region_code, city_code, kind, \
                 nature, employees, main_business, annual_revenue_10k_yuan, party_members, \
                 party_instructor, party_service_centre, officer_name, officer_phone, state, \
                 pool_reason, version, created_at, updated_at) VALUES ",
            );
            for i in 0..rows {
                let k = n + i;
                let (county, city) = &counties[k as usize % counties.len()];
                let code = CreditCode::complete(&format!("91{county}{k:08}"))
                    .map(|c| c.as_str().to_owned())
                    .map_err(|err| format!("credit code: {err:?}"))?;
                let pool = if k.is_multiple_of(10) {
                    "'基准'"
                } else {
                    "NULL"
                };
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "('{}', '基准企业{k}', '{code}', '{county}', '{city}', 'private_enterprise', \
                     '', 0, '', 0, 0, '', '', '', '', 'active', {pool}, 1, 0, 0)",
                    UnitId::new()
                ));
            }
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await?;
            n += rows;
        }
        tx.commit().await?;
    }
    Ok(())
}
