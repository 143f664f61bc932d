//! The metrics endpoint scraped as Prometheus would, after calls through the gateway:
//! calls counted by server, method and gRPC status, cache lookups, rate-limit refusals,
//! the database pools and the build. One test in its own binary: the registry of
//! metrics is the process's.

use prost::Message as _;
use tonic::Code;
use wenming_proto::registry::v1 as rp;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_testkit::TestDb;
use wenming_testkit::fixtures::company;
use wenming_tests::Bearer;
use wenming_tests::scene::Registry;
use wenming_tests::{Suite, SuiteOptions};

const REGISTRY: &str = "wenming.registry.v1.RegistryService";
/// A web page's origin allowed to call (gRPC-Web).
const PORTAL: &str = "https://portal.example.gov.cn";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_shows_calls_caches_limits_pools_and_build() {
    let test_db = TestDb::sqlite().await;
    let suite = Suite::start_opts(
        &test_db,
        "2021-04-16T01:00:00Z".parse().unwrap(),
        SuiteOptions {
            limits: Some(wenming_tests::limits_that_run_out()),
            cors_origins: vec![PORTAL.into()],
            ..SuiteOptions::default()
        },
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
    // And as gRPC-Web from a browser page, whose status is inside the answer's body:
    // after the CORS preflight (no call of an RPC), once answered, once refused.
    let url = format!("http://{}/{REGISTRY}/VerifyTitle", suite.gateway_addr);
    let preflight = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", PORTAL)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{preflight:?}");
    for (credit_code, grpc_status) in [(code.as_str(), "0"), ("91410421000000019X", "3")] {
        let message = rp::VerifyTitleRequest {
            credit_code: credit_code.to_owned(),
            ..rp::VerifyTitleRequest::default()
        }
        .encode_to_vec();
        let mut frame = vec![0];
        frame.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
        frame.extend_from_slice(&message);
        let answer = http
            .post(&url)
            .header("origin", PORTAL)
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .header("authorization", &tax)
            .body(frame)
            .send()
            .await
            .unwrap();
        let status = answer
            .headers()
            .get("grpc-status")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = answer.bytes().await.unwrap();
        let in_body =
            String::from_utf8_lossy(&body).contains(&format!("grpc-status:{grpc_status}"));
        assert!(
            in_body || status.as_deref() == Some(grpc_status),
            "{credit_code}: {status:?} {body:?}"
        );
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
    // the JSON and gRPC-Web calls as the RPC they were, with the status they ended with.
    assert_eq!(calls("gateway", "VerifyTitle", "0"), 7.0, "{text}");
    assert_eq!(calls("registry", "VerifyTitle", "0"), 7.0);
    assert_eq!(
        calls("gateway", "VerifyTitle", "3"),
        2.0,
        "the JSON and gRPC-Web refusals"
    );
    assert!(
        !text.contains("rpc_method=\"_OTHER\""),
        "no call counted as an unknown method: {text}"
    );
    assert!(
        !text.contains("rpc_grpc_status_code=\"2\""),
        "no call (nor the preflight) counted as ended without a status: {text}"
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
    assert_eq!(cache("verify_title", "hit"), 6.0, "the six after it");
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
