//! A service's upstream with two replicas, called through a generated tonic client as
//! the services call each other: the calls spread over both, and once one replica
//! stops, the calls go to the other (at most one call, sent as the replica closed its
//! connection, fails, with UNAVAILABLE).

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic_health::ServingStatus;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use wenming_runtime::upstream::Upstream;

/// A replica on a port of its own whose health service knows only `name`: a check of
/// any other name is NOT_FOUND, so each answer says which replica gave it.
async fn replica(name: &str) -> (String, oneshot::Sender<()>, JoinHandle<()>) {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(name, ServingStatus::Serving)
        .await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(health)
            .serve_with_incoming_shutdown(
                tonic::transport::server::TcpIncoming::from(listener),
                async {
                    let _ = stopped.await;
                },
            )
            .await
            .unwrap();
    });
    (url, stop, served)
}

/// Checks "a" `calls` times, one after another: (answered by a, answered by b,
/// failed with UNAVAILABLE).
async fn check_a(client: &mut HealthClient<Upstream>, calls: usize) -> (usize, usize, usize) {
    let (mut by_a, mut by_b, mut unavailable) = (0, 0, 0);
    for _ in 0..calls {
        let answer = client
            .check(HealthCheckRequest {
                service: "a".into(),
            })
            .await;
        match answer {
            Ok(_) => by_a += 1,
            Err(status) if status.code() == tonic::Code::NotFound => by_b += 1,
            Err(status) if status.code() == tonic::Code::Unavailable => unavailable += 1,
            Err(status) => panic!("a call failed: {status:?}"),
        }
    }
    (by_a, by_b, unavailable)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_spread_over_the_replicas_and_one_stopping_fails_none() {
    let (a, _stop_a, _served_a) = replica("a").await;
    let (b, stop_b, served_b) = replica("b").await;
    let upstream = Upstream::new(&format!("{a}, {b}"), None).unwrap();
    let mut client = HealthClient::new(upstream);

    let (by_a, by_b, unavailable) = check_a(&mut client, 400).await;
    assert_eq!(unavailable, 0);
    assert!((160..=240).contains(&by_a), "a {by_a}, b {by_b}");

    stop_b.send(()).unwrap();
    served_b.await.unwrap();
    let (by_a, by_b, unavailable) = check_a(&mut client, 100).await;
    assert_eq!(by_b, 0, "a call answered by the replica that stopped");
    assert!(
        unavailable <= 1,
        "{unavailable} calls failed after the stop"
    );
    assert_eq!(by_a + unavailable, 100);
}

#[tokio::test]
async fn a_url_of_the_wrong_scheme_is_refused_before_any_call() {
    let refused = Upstream::new("http://127.0.0.1:1,ftp://127.0.0.1:2", None).unwrap_err();
    assert!(refused.contains("ftp://127.0.0.1:2"), "{refused}");
    let refused = Upstream::new("https://127.0.0.1:1", None).unwrap_err();
    assert!(refused.contains("[tls]"), "{refused}");
}

#[tokio::test]
async fn no_replica_answering_is_unavailable() {
    // A port nothing listens on (bound, then released).
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut client = HealthClient::new(Upstream::new(&url, None).unwrap());
    let status = client
        .check(HealthCheckRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
}
