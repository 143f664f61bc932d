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
            service: wenming_registry::SERVICE.grpc_service.into(),
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
