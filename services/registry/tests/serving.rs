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
    let mut watch = HealthClient::new(app.channel())
        .watch(HealthCheckRequest {
            service: wenming_registry::GRPC_SERVICE.into(),
        })
        .await
        .unwrap()
        .into_inner();
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
