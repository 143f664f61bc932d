//! Balanced backends: two `wenming serve registry` processes behind one `wenming serve
//! gateway` whose registry URL names both. Each replica's own metrics count the calls
//! it served.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use support::*;
use wenming_proto::registry::v1 as pb;

/// Callers at once.
const CALLERS: usize = 8;

/// `wenming serve registry` on `db`, listening on `listen`, metrics on a free port.
fn registry(db: &str, key: &str, listen: &str) -> Suite {
    let mut command = serve_registry(db, key);
    command.envs([
        ("WENMING_REGISTRY__LISTEN", listen),
        ("WENMING_SERVER__METRICS_LISTEN", "127.0.0.1:0"),
    ]);
    Suite::spawn(command)
}

/// ListUnits calls the registry behind `metrics_url` has served.
async fn served(metrics_url: &str) -> f64 {
    let text = reqwest::get(metrics_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("rpc_server_call_duration_seconds_count{")
                && l.contains("server=\"registry\"")
                && l.contains("rpc_method=\"ListUnits\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn list() -> tonic::Request<pb::ListUnitsRequest> {
    let mut request = tonic::Request::new(pb::ListUnitsRequest::default());
    request.set_timeout(std::time::Duration::from_secs(5));
    request
}

/// `calls` ListUnits by `CALLERS` callers at once; the failures, each UNAVAILABLE.
async fn call(client: &BearerClient, calls: usize) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let callers = (0..CALLERS).map(|_| {
        let mut client = client.clone();
        let next = next.clone();
        tokio::spawn(async move {
            let mut failed = 0;
            while next.fetch_add(1, Ordering::Relaxed) < calls {
                if let Err(status) = client.list_units(list()).await {
                    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
                    failed += 1;
                }
            }
            failed
        })
    });
    futures::future::join_all(callers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_registries_share_the_calls_and_one_killed_costs_only_its_own() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let key = wenming_authz::IdentityKey::generate().to_base64();
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("registry.db").display()
    );
    let first = registry(&db, &key, "127.0.0.1:0");
    let second = registry(&db, &key, "127.0.0.1:0");
    let token = cli_token(&["--level", "county", "--region", "410421"], dir.path());
    let mut gateway = serve_gateway(
        dir.path(),
        &key,
        &format!("{}, {}", first.url(), second.url()),
    );
    gateway.envs([
        ("WENMING_GATEWAY__RATE_LIMITS__PERSON_PER_SECOND", "100000"),
        ("WENMING_GATEWAY__RATE_LIMITS__PERSON_BURST", "100000"),
    ]);
    let gateway = Suite::spawn(gateway);
    let client = bearer_client(&gateway.addr, &token).await;

    // Shared: each replica serves between 40 % and 60 % of 400 calls.
    assert_eq!(call(&client, 400).await, 0);
    let (a, b) = (
        served(&first.metrics_url()).await,
        served(&second.metrics_url()).await,
    );
    assert_eq!(a + b, 400.0);
    assert!((160.0..=240.0).contains(&a), "first {a}, second {b}");

    // One killed under load: what fails is at most the calls in flight on it (fewer
    // than the callers at once), and the other replica serves the rest.
    let first_addr = first.addr.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let client = client.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut failed = 0;
            while !stop.load(Ordering::Relaxed) {
                failed += call(&client, 50).await;
            }
            failed
        })
    };
    // Killed while calls are going on: after the second replica has served 100 more.
    while served(&second.metrics_url()).await < b + 100.0 {
        tokio::task::yield_now().await;
    }
    first.kill();
    let before = served(&second.metrics_url()).await;
    while served(&second.metrics_url()).await < before + 300.0 {
        tokio::task::yield_now().await;
    }
    stop.store(true, Ordering::Relaxed);
    let failed = load.await.unwrap();
    assert!(failed <= CALLERS, "{failed} calls failed");

    // Back on its address: the gateway tries it again and shares the calls with it.
    let again = registry(&db, &key, &first_addr);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while served(&again.metrics_url()).await == 0.0 {
        assert!(std::time::Instant::now() < deadline, "never tried again");
        assert_eq!(call(&client, 20).await, 0);
    }
    let (a, b) = (
        served(&again.metrics_url()).await,
        served(&second.metrics_url()).await,
    );
    let (a0, b0) = (a, b);
    assert_eq!(call(&client, 400).await, 0);
    let (a, b) = (
        served(&again.metrics_url()).await - a0,
        served(&second.metrics_url()).await - b0,
    );
    assert!((160.0..=240.0).contains(&a), "restarted {a}, second {b}");

    assert!(gateway.terminate());
    assert!(again.terminate());
    assert!(second.terminate());
}
