//! One trace across the hops of a call: gateway → pairing → registry. The caller's W3C
//! `traceparent` starts it; each server's span per call is the child of the span that
//! called it. (Its own test binary: it installs the process-wide subscriber.)

use std::time::Duration;

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use wenming_proto::pairing::v1 as pp;
use wenming_proto::pairing::v1::pairing_service_client::PairingServiceClient;
use wenming_proto::registry::v1 as rp;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_testkit::TestDb;
use wenming_testkit::fixtures::pingdingshan_campaign_pb;
use wenming_tests::Suite;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn attribute(span: &SpanData, key: &str) -> String {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
        .unwrap_or_default()
}

fn path(span: &SpanData) -> String {
    attribute(span, "path")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_spans_gateway_pairing_and_registry() {
    let exporter = InMemorySpanExporter::default();
    let _tracing = wenming_runtime::telemetry::init_with_exporter(exporter.clone()).unwrap();
    let db = TestDb::sqlite().await;
    let suite = Suite::start(&db, "2021-04-16T01:00:00Z".parse().unwrap()).await;
    let campaign = RegistryServiceClient::with_interceptor(
        suite.gateway.clone(),
        suite.office("city", "410400"),
    )
    .create_campaign(rp::CreateCampaignRequest {
        campaign: Some(pingdingshan_campaign_pb()),
        request_id: String::new(),
    })
    .await
    .unwrap()
    .into_inner()
    .name;

    let mut request = tonic::Request::new(pp::GetPairingListRequest {
        name: format!("{campaign}/pairingLists/410400"),
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE}-{CALLER_SPAN}-01").parse().unwrap(),
    );
    PairingServiceClient::with_interceptor(suite.gateway.clone(), suite.office("city", "410400"))
        .get_pairing_list(request)
        .await
        .unwrap();

    // Each server ends its span as its response completes: wait for the three.
    let trace = TraceId::from_hex(TRACE).unwrap();
    let spans = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let spans: Vec<SpanData> = exporter
                .get_finished_spans()
                .unwrap()
                .into_iter()
                .filter(|s| s.span_context.trace_id() == trace)
                .collect();
            if spans.len() >= 3 {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the three spans of the call");
    let child_of = |parent: SpanId| {
        spans
            .iter()
            .find(|s| s.parent_span_id == parent)
            .unwrap_or_else(|| panic!("no span under {parent}: {spans:#?}"))
    };
    let gateway = child_of(SpanId::from_hex(CALLER_SPAN).unwrap());
    assert_eq!(
        path(gateway),
        "/wenming.pairing.v1.PairingService/GetPairingList"
    );
    let pairing = child_of(gateway.span_context.span_id());
    assert_eq!(
        path(pairing),
        "/wenming.pairing.v1.PairingService/GetPairingList"
    );
    let registry = child_of(pairing.span_context.span_id());
    assert_eq!(
        path(registry),
        "/wenming.registry.v1.RegistryService/GetCampaign"
    );
    // Each hop's span carries the gRPC status it answered with.
    for span in [gateway, pairing, registry] {
        assert_eq!(attribute(span, "rpc.grpc.status_code"), "0", "{span:#?}");
        assert_eq!(attribute(span, "rpc.system"), "grpc");
    }
}
