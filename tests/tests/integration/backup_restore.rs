//! PostgreSQL backup and restore as docs/OPERATIONS.md tells it: each service's
//! database dumped with `pg_dump` while the suite takes writes, callers first
//! (supervision, quota, pairing, registry), then restored with `pg_restore` into new
//! databases. The restored set is consistent across services (every unit and campaign
//! a pairing names is in the registry's copy) and every audit chain verifies.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::Connection as _;
use wenming_runtime::db::{Database, DatabaseSettings};
use wenming_testkit::TestDb;
use wenming_tests::scene::Scene;

/// Callers before callees: what a caller's dump names was there before the callee's.
const DUMP_ORDER: [&str; 4] = ["supervision", "quota", "pairing", "registry"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dumps_taken_callers_first_restore_to_a_consistent_suite() {
    let Some(test_db) = TestDb::postgres().await else {
        eprintln!("skipped: set {}", wenming_testkit::PG_URL_VAR);
        return;
    };
    let scene = Arc::new(Scene::start(&test_db).await);
    let campaign = scene.campaign().await;
    let county = scene.suite.office("county", "410421");
    let city = scene.pingdingshan();
    for n in 0..3 {
        scene
            .paired(
                county.clone(),
                city.clone(),
                &campaign,
                &format!("宝丰县备份{n}有限公司"),
                "410421",
            )
            .await;
    }

    // Pairings go on being made while the dumps are taken.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let (scene, writing, campaign) = (scene.clone(), writing.clone(), campaign.clone());
        let (county, city) = (county.clone(), city.clone());
        tokio::spawn(async move {
            let mut n = 100;
            while writing.load(Ordering::SeqCst) {
                n += 1;
                let name = format!("宝丰县备份{n}有限公司");
                scene
                    .paired(county.clone(), city.clone(), &campaign, &name, "410421")
                    .await;
            }
            n - 100
        })
    };
    let dumps = tempfile::tempdir().unwrap();
    for service in DUMP_ORDER {
        let url = scene.suite.db(service).url().to_owned();
        let file = dumps.path().join(format!("{service}.dump"));
        let out = tokio::task::spawn_blocking(move || {
            Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--dbname", &url, "--file"])
                .arg(&file)
                .output()
                .expect("pg_dump (postgresql-client) on PATH")
        })
        .await
        .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    writing.store(false, Ordering::SeqCst);
    let during = writer.await.unwrap();
    assert!(during > 0, "pairings were made while the dumps ran");

    // Restored into new databases.
    let admin_url = std::env::var(wenming_testkit::PG_URL_VAR).unwrap();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    let mut restored = std::collections::BTreeMap::new();
    for service in DUMP_ORDER {
        let name = format!("restored_{}_{service}", uuid_like());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
        let file = dumps.path().join(format!("{service}.dump"));
        let out = Command::new("pg_restore")
            .args(["--no-owner", "--exit-on-error", "--dbname", &url])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let db = Database::connect(&DatabaseSettings {
            url,
            max_connections: 2,
            migrate_on_start: false,
            url_file: None,
        })
        .await
        .unwrap();
        let verdict = db.verify_audit().await.unwrap();
        assert_eq!(verdict.broken, None, "{service}'s audit chains");
        restored.insert(service, (name, db));
    }

    // Every unit and campaign a restored pairing names is in the restored registry.
    let pairings: Vec<(String, Option<String>, String)> =
        sqlx::query_as("SELECT unit_id, helper_unit_id, campaign_id FROM pairings")
            .fetch_all(restored["pairing"].1.pool())
            .await
            .unwrap();
    assert!(pairings.len() >= 3);
    let registry = restored["registry"].1.pool();
    for (unit, helper, campaign) in &pairings {
        for id in std::iter::once(unit).chain(helper) {
            let found: Option<(String,)> = sqlx::query_as("SELECT id FROM units WHERE id = $1")
                .bind(id.clone())
                .fetch_optional(registry)
                .await
                .unwrap();
            assert!(
                found.is_some(),
                "unit {id} of a restored pairing is in the registry"
            );
        }
        let found: Option<(String,)> = sqlx::query_as("SELECT id FROM campaigns WHERE id = $1")
            .bind(campaign.clone())
            .fetch_optional(registry)
            .await
            .unwrap();
        assert!(found.is_some(), "campaign {campaign}");
    }

    for (_, (name, db)) in restored {
        db.close().await;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    drop(scene);
    test_db.cleanup().await;
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}
