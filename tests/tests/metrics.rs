//! The metrics endpoint scraped as Prometheus would, after calls through the gateway:
//! calls counted by server, method and gRPC status, cache lookups, rate-limit refusals,
//! the database pools and the build. One test in its own binary: the registry of
//! metrics is the process's.

use tonic::Code;
use wenming_proto::registry::v1 as rp;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_testkit::TestDb;
use wenming_testkit::fixtures::company;
use wenming_tests::Bearer;
use wenming_tests::Suite;
use wenming_tests::scene::Registry;

const REGISTRY: &str = "wenming.registry.v1.RegistryService";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_shows_calls_caches_limits_pools_and_build() {
    let test_db = TestDb::sqlite().await;
    let suite = Suite::start_with(
        &test_db,
        "2021-04-16T01:00:00Z".parse().unwrap(),
        Some(wenming_tests::limits_that_run_out()),
    )
    .await;
    let metrics = wenming_runtime::metrics::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = |bearer: Bearer| -> Registry {
        RegistryServiceClient::with_interceptor(suite.gateway.clone(), bearer)
    };

    let mut county = client(suite.office("county", "410421"));
    let unit = company("宝丰县度量有限公司", "410421", 1);
    let code = unit.credit_code.clone();
    county
        .create_unit(rp::CreateUnitRequest {
            unit: Some(unit),
            request_id: String::new(),
        })
        .await
        .unwrap();
    let mut platform = client(suite.platform("tax"));
    for _ in 0..5 {
        platform
            .verify_title(rp::VerifyTitleRequest {
                credit_code: code.clone(),
                as_of: String::new(),
                attest: false,
            })
            .await
            .unwrap();
    }
    // The same RPC as JSON over HTTP (its own URL, no grpc-status in the answer): once
    // answered, once refused for its credit code.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let tax = suite.platform("tax").header();
    for (credit_code, http_status) in [(code.as_str(), 200), ("91410421000000019X", 400)] {
        let answer = http
            .get(format!(
                "http://{}/v1/titles:verify?credit_code={credit_code}",
                suite.gateway_addr
            ))
            .header("authorization", &tax)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), http_status, "{credit_code}");
    }
    // A platform may not list units: refused by the gateway's policy.
    let refused = platform
        .list_units(rp::ListUnitsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    // An office past its burst of 60 calls.
    let mut limited = false;
    for _ in 0..200 {
        let answer = county.list_units(rp::ListUnitsRequest::default()).await;
        if answer.is_err_and(|s| s.code() == Code::ResourceExhausted) {
            limited = true;
            break;
        }
    }
    assert!(limited, "the person budget ran out");

    let response = reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .unwrap();
    assert!(response.status().is_success());
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();

    let calls = |server: &str, method: &str, code: &str| {
        sample(
            &text,
            "rpc_server_call_duration_seconds_count",
            &[
                ("server", server),
                ("rpc_service", REGISTRY),
                ("rpc_method", method),
                ("rpc_grpc_status_code", code),
            ],
        )
    };
    // Each VerifyTitle is counted where it was answered: at the gateway and the registry;
    // the JSON calls as the RPC they were, with the status they ended with.
    assert_eq!(calls("gateway", "VerifyTitle", "0"), 6.0, "{text}");
    assert_eq!(calls("registry", "VerifyTitle", "0"), 6.0);
    assert_eq!(
        calls("gateway", "VerifyTitle", "3"),
        1.0,
        "the JSON refusal"
    );
    assert!(
        !text.contains("rpc_method=\"_OTHER\""),
        "no call counted as an unknown method: {text}"
    );
    assert_eq!(
        calls("gateway", "ListUnits", "7"),
        1.0,
        "the refusal, by code"
    );
    assert_eq!(
        calls("registry", "ListUnits", "7"),
        0.0,
        "never reached the registry"
    );
    assert_eq!(
        calls("gateway", "ListUnits", "8"),
        1.0,
        "the rate-limit refusal"
    );
    assert!(
        text.contains("rpc_server_call_duration_seconds_bucket{"),
        "latency buckets"
    );

    let cache = |name: &str, result: &str| {
        sample(
            &text,
            "wenming_cache_requests_total",
            &[("cache", name), ("result", result)],
        )
    };
    assert_eq!(cache("verify_title", "miss"), 1.0, "the first VerifyTitle");
    assert_eq!(cache("verify_title", "hit"), 5.0, "the five after it");
    assert!(cache("gateway_token", "hit") > 0.0);
    assert!(cache("gateway_policy", "hit") > 0.0);
    assert_eq!(
        sample(
            &text,
            "wenming_gateway_rate_limited_total",
            &[("budget", "person")]
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            "db_client_connection_max",
            &[("pool_name", "registry")]
        ),
        8.0
    );
    assert!(
        sample(
            &text,
            "db_client_connection_count",
            &[("pool_name", "registry"), ("state", "idle")]
        ) >= 1.0
    );
    assert_eq!(
        sample(
            &text,
            "wenming_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
}

/// The sum of the samples of `name` whose labels include every one of `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter_map(|line| line.strip_prefix(name)?.strip_prefix('{'))
        .filter_map(|rest| rest.rsplit_once("} "))
        .filter(|(set, _)| {
            labels
                .iter()
                .all(|(k, v)| set.split(',').any(|pair| pair == format!("{k}=\"{v}\"")))
        })
        .map(|(_, value)| value.trim().parse::<f64>().unwrap())
        .sum()
}
