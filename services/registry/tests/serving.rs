//! Serving behaviour every service shares: health while draining, the bounded drain.

mod support;

use std::time::Duration;

use support::*;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use wenming_runtime::ServerSettings;
use wenming_testkit::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draining_reports_not_serving_and_ends_within_its_bound() {
    let db = TestDb::sqlite().await;
    let settings = ServerSettings {
        drain_timeout_secs: 1,
        ..ServerSettings::default()
    };
    let mut app = spawn_registry_with(&db, settings).await;
    let mut watch = watch_registry(&app).await;
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.status, ServingStatus::Serving as i32);

    app.begin_shutdown();
    let next = watch.message().await.unwrap().unwrap();
    assert_eq!(next.status, ServingStatus::NotServing as i32);

    // The open watch stream would hold a graceful shutdown forever; the drain bound ends
    // it. (The outer timeout only turns a hang into a failure.)
    let stopped = tokio::time::timeout(Duration::from_secs(30), app.stopped()).await;
    assert!(matches!(stopped, Ok(Ok(()))), "{stopped:?}");
}

/// A refusal tonic answers itself (a message over the limit) reaches the caller with its
/// zh-CN message too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_message_is_refused_in_both_languages() {
    let db = TestDb::sqlite().await;
    let settings = ServerSettings {
        max_message_bytes: 1024,
        ..ServerSettings::default()
    };
    let app = spawn_registry_with(&db, settings).await;
    let mut unit = company("某公司", "410421", 1);
    unit.nature = "制".repeat(2000);
    let err = app
        .county("410421")
        .create_unit(wenming_proto::registry::v1::CreateUnitRequest {
            unit: Some(unit),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_ne!(err.code(), tonic::Code::Ok);
    assert!(zh_cn(&err).contains("大小上限"), "{err:?}");
}

/// On PostgreSQL: when the registry's database stops accepting connections the
/// registry reports NOT_SERVING, and SERVING again once the database is back, without a
/// restart. (SQLite is a file of the process itself: it cannot go away like this.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_the_database() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("skipped: set {}", wenming_testkit::PG_URL_VAR);
        return;
    };
    let settings = ServerSettings {
        health_probe_ms: 100,
        ..ServerSettings::default()
    };
    let app = spawn_registry_with(&db, settings).await;
    let name = app
        .db
        .url()
        .rsplit('/')
        .next()
        .and_then(|tail| tail.split('?').next())
        .unwrap()
        .to_owned();
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&std::env::var(wenming_testkit::PG_URL_VAR).unwrap())
        .await
        .unwrap();
    let mut watch = watch_registry(&app).await;
    let status = |m: Option<tonic_health::pb::HealthCheckResponse>| m.unwrap().status;
    assert_eq!(
        status(watch.message().await.unwrap()),
        ServingStatus::Serving as i32
    );

    // The database refuses new connections and drops the open ones.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
    )))
    .execute(&admin)
    .await
    .unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(&name)
    .execute(&admin)
    .await
    .unwrap();
    assert_eq!(
        status(watch.message().await.unwrap()),
        ServingStatus::NotServing as i32
    );

    // Meanwhile a call answers UNAVAILABLE: nothing is read or written.
    let err = app
        .province()
        .list_units(wenming_proto::registry::v1::ListUnitsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unavailable);

    // Back: the next probe connects again, and so do calls.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"
    )))
    .execute(&admin)
    .await
    .unwrap();
    assert_eq!(
        status(watch.message().await.unwrap()),
        ServingStatus::Serving as i32
    );
    app.province()
        .list_units(wenming_proto::registry::v1::ListUnitsRequest::default())
        .await
        .unwrap();
    drop(app);
    db.cleanup().await;
}

/// The registry's own health status, as a stream of changes.
async fn watch_registry(app: &App) -> tonic::Streaming<tonic_health::pb::HealthCheckResponse> {
    HealthClient::new(app.channel())
        .watch(HealthCheckRequest {
            service: wenming_registry::SERVICE.grpc_service.into(),
        })
        .await
        .unwrap()
        .into_inner()
}
