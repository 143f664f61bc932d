//! Serving behaviour every service shares: health while draining, the bounded drain.

use crate::support;

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
    let outage = Outage::of(&app).await;
    let mut watch = watch_registry(&app).await;
    let status = |m: Option<tonic_health::pb::HealthCheckResponse>| m.unwrap().status;
    assert_eq!(
        status(watch.message().await.unwrap()),
        ServingStatus::Serving as i32
    );

    outage.begin().await;
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
    outage.end().await;
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

/// An outage of one test's PostgreSQL database, as a server restart looks to the
/// services using it (their connections dropped, new ones refused until it is back),
/// without stopping the server the other tests run on.
struct Outage {
    admin: sqlx::PgPool,
    name: String,
}

impl Outage {
    async fn of(app: &App) -> Self {
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
        Self { admin, name }
    }

    /// The database refuses new connections and drops the open ones.
    async fn begin(&self) {
        self.allow(false).await;
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&self.name)
        .execute(&self.admin)
        .await
        .unwrap();
    }

    async fn end(&self) {
        self.allow(true).await;
    }

    async fn allow(&self, allowed: bool) {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE \"{}\" ALLOW_CONNECTIONS {allowed}",
            self.name
        )))
        .execute(&self.admin)
        .await
        .unwrap();
    }
}

/// On PostgreSQL, under load: eight writers keep creating units while the database
/// goes away and comes back. During the outage writes fail UNAVAILABLE; afterwards
/// they succeed again without a restart; every create that was answered is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_under_load_survive_a_database_outage() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("skipped: set {}", wenming_testkit::PG_URL_VAR);
        return;
    };
    let settings = ServerSettings {
        health_probe_ms: 100,
        ..ServerSettings::default()
    };
    let app = spawn_registry_with(&db, settings).await;
    let outage = Outage::of(&app).await;
    let mut watch = watch_registry(&app).await;
    let status = |m: Option<tonic_health::pb::HealthCheckResponse>| m.unwrap().status;
    assert_eq!(
        status(watch.message().await.unwrap()),
        ServingStatus::Serving as i32
    );

    let next = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(1));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (acked, mut acks) = tokio::sync::mpsc::unbounded_channel::<String>();
    let (failed, mut failures) = tokio::sync::mpsc::unbounded_channel::<tonic::Code>();
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let (mut client, next, stopped) = (app.county("410421"), next.clone(), stopped.clone());
            let (acked, failed) = (acked.clone(), failed.clone());
            tokio::spawn(async move {
                while !*stopped.borrow() {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let created = client
                        .create_unit(wenming_proto::registry::v1::CreateUnitRequest {
                            unit: Some(company(&format!("停库测试第{n}有限公司"), "410421", n)),
                            request_id: format!("outage-{n}"),
                        })
                        .await;
                    match created {
                        Ok(unit) => acked.send(unit.into_inner().name).unwrap(),
                        Err(status) => failed.send(status.code()).unwrap(),
                    }
                }
            })
        })
        .collect();
    drop((acked, failed));

    // Some writes land, then the database goes away: writes fail, as UNAVAILABLE.
    let mut names = Vec::new();
    for _ in 0..20 {
        names.push(acks.recv().await.unwrap());
    }
    outage.begin().await;
    assert_eq!(
        status(watch.message().await.unwrap()),
        ServingStatus::NotServing as i32
    );
    for _ in 0..8 {
        assert_eq!(failures.recv().await.unwrap(), tonic::Code::Unavailable);
    }

    // Back: writes land again, on the same process.
    outage.end().await;
    assert_eq!(
        status(watch.message().await.unwrap()),
        ServingStatus::Serving as i32
    );
    let before = names.len();
    while names.len() < before + 20 {
        names.push(acks.recv().await.unwrap());
    }
    stop.send(true).unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    while let Ok(name) = acks.try_recv() {
        names.push(name);
    }
    while let Ok(code) = failures.try_recv() {
        assert_eq!(
            code,
            tonic::Code::Unavailable,
            "only the outage failed writes"
        );
    }

    // Every answered create is there.
    let mut reader = app.county("410421");
    for name in &names {
        reader
            .get_unit(wenming_proto::registry::v1::GetUnitRequest { name: name.clone() })
            .await
            .unwrap_or_else(|s| panic!("acknowledged {name} lost: {s:?}"));
    }
    drop(app);
    db.cleanup().await;
}
