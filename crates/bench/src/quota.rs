//! Designations under contention: `callers` holder users designating at once for one
//! holder, so that every call takes a place by a conditional update of the same
//! `quota_places` row, through the quota service's gRPC API (registry and pairing
//! answered in memory, so that their latency does not hide the write's); against the
//! same number of callers inserting single rows into the same table of a database of
//! the same kind, each in its own transaction.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tonic::transport::Channel;
use wenming_authz::{IdentityKey, Principal};
use wenming_clients::{PairingFacts, UnitFacts};
use wenming_domain::{
    AdminLevel, HelperKind, PairingState, RegionCode, SystemClock, TitleTier, UnitKind,
};
use wenming_proto::quota::v1 as qp;
use wenming_proto::quota::v1::quota_service_client::QuotaServiceClient;
use wenming_runtime::client::AsPrincipal;
use wenming_runtime::db::Database;
use wenming_testkit::TestDb;
use wenming_testkit::fakes::{FakePairing, FakeRegistry};
use wenming_testkit::services::serve_over;

use crate::BenchResult;
use crate::fixtures::{credit_code, median};

const TABLE: &str = "allocationTables/2021-2023";

/// One side of a round: wall time and per-call latencies.
struct Side {
    wall: Duration,
    latencies: Histogram<u64>,
}

impl Side {
    fn rate(&self, calls: usize) -> f64 {
        calls as f64 / self.wall.as_secs_f64()
    }
}

pub async fn run(callers: usize, per_caller: usize, rounds: u32) -> BenchResult {
    let calls = callers * per_caller;
    println!(
        "{callers} callers x {per_caller} calls = {calls} per side, {rounds} rounds (medians; \
         ratio = designation / insert)"
    );
    println!(
        "{:<11} {:>14} {:>14} {:>9} {:>16} {:>16}",
        "database", "insert/s", "designate/s", "ratio", "p50 ins→des µs", "p99 ins→des µs"
    );
    let mut backends: Vec<(&str, bool)> = vec![("SQLite", false)];
    if std::env::var(wenming_testkit::PG_URL_VAR).is_ok() {
        backends.push(("PostgreSQL", true));
    } else {
        println!("PostgreSQL: skipped (set {})", wenming_testkit::PG_URL_VAR);
    }
    for (label, postgres) in backends {
        let mut rates = (Vec::new(), Vec::new());
        let mut p50 = (Vec::new(), Vec::new());
        let mut p99 = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let insert = {
                let db = fresh(postgres).await?;
                let side = inserts(
                    &db.open(&wenming_quota::MIGRATIONS).await,
                    callers,
                    per_caller,
                )
                .await?;
                db.cleanup().await;
                side
            };
            let designate = {
                let db = fresh(postgres).await?;
                let side = designations(&db, callers, per_caller).await?;
                db.cleanup().await;
                side
            };
            rates
                .0
                .push(Duration::from_secs_f64(1.0 / insert.rate(calls)));
            rates
                .1
                .push(Duration::from_secs_f64(1.0 / designate.rate(calls)));
            p50.0.push(Duration::from_micros(
                insert.latencies.value_at_quantile(0.5),
            ));
            p50.1.push(Duration::from_micros(
                designate.latencies.value_at_quantile(0.5),
            ));
            p99.0.push(Duration::from_micros(
                insert.latencies.value_at_quantile(0.99),
            ));
            p99.1.push(Duration::from_micros(
                designate.latencies.value_at_quantile(0.99),
            ));
        }
        let per_call = (median(rates.0), median(rates.1));
        println!(
            "{label:<11} {:>14.0} {:>14.0} {:>8.2}x {:>16} {:>16}",
            1.0 / per_call.0.as_secs_f64(),
            1.0 / per_call.1.as_secs_f64(),
            per_call.1.as_secs_f64() / per_call.0.as_secs_f64(),
            format!(
                "{}→{}",
                median(p50.0).as_micros(),
                median(p50.1).as_micros()
            ),
            format!(
                "{}→{}",
                median(p99.0).as_micros(),
                median(p99.1).as_micros()
            ),
        );
    }
    Ok(())
}

async fn fresh(postgres: bool) -> Result<TestDb, Box<dyn std::error::Error + Send + Sync>> {
    if postgres {
        TestDb::postgres()
            .await
            .ok_or_else(|| "PostgreSQL not reachable".into())
    } else {
        Ok(TestDb::sqlite().await)
    }
}

/// The baseline: `callers` tasks each inserting `per_caller` designation rows, one row
/// per statement and transaction, into the same table the service writes.
async fn inserts(
    db: &Database,
    callers: usize,
    per_caller: usize,
) -> Result<Side, Box<dyn std::error::Error + Send + Sync>> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|c| {
            let pool = db.pool().clone();
            tokio::spawn(async move {
                let mut latencies = Histogram::<u64>::new(3).expect("3 significant figures");
                for i in 0..per_caller {
                    let id = uuid::Uuid::now_v7().to_string();
                    let at = Instant::now();
                    sqlx::query(
                        "INSERT INTO designations (id, period, holder, tier, unit_id, \
                         unit_display_name, unit_region, unit_city, unit_provincial_direct, \
                         credit_code, pairing, state, designated_by, created_at, version) \
                         VALUES ($1, '2021-2023', '410400', 'provincial_model', $2, '基准企业', \
                         '410421', '410400', 0, $3, 'pairings/x', 'active', 'bench', 0, 1)",
                    )
                    .bind(id.clone())
                    .bind(id)
                    .bind(format!("{c}-{i}"))
                    .execute(&pool)
                    .await?;
                    latencies.record(at.elapsed().as_micros() as u64).ok();
                }
                Ok::<_, sqlx::Error>(latencies)
            })
        })
        .collect();
    let mut all = Histogram::<u64>::new(3)?;
    for task in tasks {
        all.add(task.await??)?;
    }
    Ok(Side {
        wall: started.elapsed(),
        latencies: all,
    })
}

fn office(level: AdminLevel, code: &str) -> Principal {
    Principal::office(
        format!("bench-{code}"),
        level,
        RegionCode::parse(code).expect("a valid region code"),
    )
}

/// The annex's layout with every place of the table given to 平顶山's model tier.
fn table(places: usize) -> String {
    let mut text = String::from("地 市\t河南省文明单位标兵（个）\t河南省文明单位（个）\n");
    for holder in wenming_domain::Divisions::henan().quota_holders() {
        let name = holder.display_name(wenming_domain::Divisions::henan());
        let quota = if name == "平顶山市" { places } else { 0 };
        text.push_str(&format!("{name}\t{quota}\t0\n"));
    }
    text
}

/// Ours: the quota service on `test_db`, its table in force with exactly
/// `callers * per_caller` places for one holder, and as many paired units; the callers
/// designate them all at once over one HTTP/2 connection (as the gateway multiplexes
/// them), and every call must succeed.
async fn designations(
    test_db: &TestDb,
    callers: usize,
    per_caller: usize,
) -> Result<Side, Box<dyn std::error::Error + Send + Sync>> {
    let calls = callers * per_caller;
    let registry = Arc::new(FakeRegistry::default());
    let pairing = Arc::new(FakePairing::default());
    let mut units = Vec::with_capacity(calls);
    for n in 0..calls {
        let unit = format!("units/{}", wenming_domain::UnitId::new());
        registry.put_unit(UnitFacts {
            name: unit.clone(),
            display_name: format!("基准测试企业{n}"),
            credit_code: credit_code(n as u32),
            kind: Some(UnitKind::PrivateEnterprise),
            region_code: "410421".into(),
            city_code: "410400".into(),
            active: true,
            provincial_direct: false,
            base_level: false,
        });
        pairing.put_pairing(PairingFacts {
            name: format!("pairings/{}", wenming_domain::PairingId::new()),
            campaign: "campaigns/bench".into(),
            office_region_code: "410400".into(),
            helper_kind: Some(HelperKind::CityOffice),
            helper: "offices/410400".into(),
            unit: unit.clone(),
            unit_region_code: "410421".into(),
            state: Some(PairingState::Active),
            target_tier: Some(TitleTier::ProvincialModel),
        });
        units.push(unit);
    }
    let key = IdentityKey::generate();
    let served = serve_over(
        test_db,
        &wenming_quota::SERVICE,
        Arc::new(SystemClock),
        &key,
        |context| wenming_quota::routes_over(context, registry, pairing),
    )
    .await;
    let addr = served.addr;
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;

    let mut province = QuotaServiceClient::with_interceptor(
        channel.clone(),
        AsPrincipal::new(&key, office(AdminLevel::Province, "410000")),
    );
    let draft = province
        .import_allocation_table(qp::ImportAllocationTableRequest {
            table: TABLE.into(),
            content: table(calls).into_bytes(),
            format: qp::FileFormat::Tsv as i32,
            file_name: "bench.tsv".into(),
            request_id: String::new(),
        })
        .await?
        .into_inner();
    province
        .confirm_allocation_table(qp::ConfirmAllocationTableRequest {
            name: draft.name,
            etag: draft.etag,
            accept_discrepancies: false,
        })
        .await?;

    let city = AsPrincipal::new(&key, office(AdminLevel::City, "410400"));
    let started = Instant::now();
    let tasks: Vec<_> = units
        .chunks(per_caller)
        .map(|mine| {
            let mut client = QuotaServiceClient::with_interceptor(channel.clone(), city.clone());
            let mine = mine.to_vec();
            tokio::spawn(async move {
                let mut latencies = Histogram::<u64>::new(3).expect("3 significant figures");
                for unit in mine {
                    let at = Instant::now();
                    client
                        .create_designation(qp::CreateDesignationRequest {
                            designation: Some(qp::Designation {
                                table: TABLE.into(),
                                unit,
                                tier: wenming_proto::registry::v1::TitleTier::ProvincialModel
                                    as i32,
                                ..Default::default()
                            }),
                            request_id: String::new(),
                        })
                        .await?;
                    latencies.record(at.elapsed().as_micros() as u64).ok();
                }
                Ok::<_, tonic::Status>(latencies)
            })
        })
        .collect();
    let mut all = Histogram::<u64>::new(3)?;
    for task in tasks {
        all.add(task.await??)?;
    }
    let wall = started.elapsed();
    // The places are exactly used up: one more is refused.
    let full = QuotaServiceClient::with_interceptor(channel, city)
        .get_fulfilment(qp::GetFulfilmentRequest {
            table: TABLE.into(),
        })
        .await?
        .into_inner();
    let free = full.holders[0].tiers[0].free;
    if free != 0 || full.holders[0].tiers[0].designated as usize != calls {
        return Err(
            format!("expected {calls} designations and no free place, got {full:?}").into(),
        );
    }
    drop(served);
    Ok(Side {
        wall,
        latencies: all,
    })
}
