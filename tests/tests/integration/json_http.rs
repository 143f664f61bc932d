//! JSON over HTTP and gRPC-Web on the gateway's public address (issue 12), called with an
//! ordinary HTTP client, not generated gRPC code: the routes of the contracts' HTTP
//! rules over HTTP/1.1 and HTTP/2, the same token, policy and rate limits as gRPC,
//! refusals as the HTTP status of their code with the google.rpc.Status as the body,
//! the attestation key set as a JWKS a JOSE library reads, and gRPC-Web with CORS for
//! the origins allowed.

use bytes::{Buf as _, BufMut as _, Bytes, BytesMut};
use prost::Message as _;
use serde_json::Value;
use wenming_authz::PlatformAction;
use wenming_proto::registry::v1 as pb;
use wenming_testkit::{TestDb, db_test};
use wenming_tests::{Bearer, Suite, SuiteOptions};

const PORTAL: &str = "https://portal.example.gov.cn";

async fn suite(db: &TestDb) -> Suite {
    Suite::start_opts(
        db,
        "2021-04-16T01:00:00Z".parse().unwrap(),
        SuiteOptions {
            limits: Some(wenming_tests::limits_that_run_out()),
            cors_origins: vec![PORTAL.into()],
            ..SuiteOptions::default()
        },
    )
    .await
}

/// A company of 宝丰县 with a provincial title since 2021-01-10; its credit code.
async fn titled(suite: &Suite) -> String {
    suite
        .titled_unit(7301, "宝丰县接口测试有限公司")
        .await
        .credit_code
}

fn token(bearer: &Bearer) -> String {
    bearer.header()
}

fn http1() -> reqwest::Client {
    client(reqwest::Client::builder().http1_only())
}

/// reqwest on rustls with the ring provider, as the rest of the suite.
fn client(builder: reqwest::ClientBuilder) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    builder.build().unwrap()
}

async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.bytes().await.unwrap();
    assert_eq!(
        content_type.as_deref(),
        Some("application/json; charset=utf-8"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    (status, serde_json::from_slice(&body).unwrap())
}

db_test!(
    a_platform_verifies_by_json_over_http1_and_http2_and_checks_the_attestation,
    json_verification
);
async fn json_verification(db: &TestDb) {
    let suite = suite(db).await;
    let code = titled(&suite).await;
    let base = format!("http://{}", suite.gateway_addr);
    let tax = token(&suite.platform_granted("tax", &[PlatformAction::VerifyTitle]));

    let h2 = client(reqwest::Client::builder().http2_prior_knowledge());
    for client in [http1(), h2] {
        let (status, answer) = json(
            client
                .get(format!(
                    "{base}/v1/titles:verify?credit_code={code}&asOf=2021-04-15&attest=true"
                ))
                .header("authorization", &tax)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["creditCode"], code.as_str());
        assert_eq!(answer["unitState"], "UNIT_STATE_ACTIVE");
        assert_eq!(answer["titles"][0]["tier"], "TITLE_TIER_PROVINCIAL");
        assert_eq!(answer["titles"][0]["awardingOfficeName"], "河南省文明办");
        assert_eq!(answer["commendations"], Value::Array(vec![]));

        // The key set, as JSON, is a JWKS: the attestation checks against it as served.
        let keys = client
            .get(format!("{base}/v1/attestationKeys"))
            .header("authorization", &tax)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let set = wenming_registry::attestation::parse_key_set(&keys).unwrap();
        let claims =
            wenming_registry::attestation::verify(answer["attestation"].as_str().unwrap(), &set)
                .unwrap();
        assert_eq!(claims.sub, code);
    }

    // The batch call, with a JSON body; an unknown code is marked, not an error.
    let (status, batch) = json(
        http1()
            .post(format!("{base}/v1/titles:verifyBatch"))
            .header("authorization", &tax)
            .header("content-type", "application/json")
            .body(
                serde_json::json!({
                    "creditCodes": [code, wenming_testkit::fixtures::credit_code("410421", 7399)],
                    "asOf": "2021-04-15"
                })
                .to_string(),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{batch}");
    assert_eq!(batch["results"][0]["found"], true);
    assert_eq!(batch["results"][1]["found"], false);
}

db_test!(
    refusals_are_http_statuses_with_the_google_rpc_status_as_json,
    json_refusals
);
async fn json_refusals(db: &TestDb) {
    let suite = suite(db).await;
    let base = format!("http://{}", suite.gateway_addr);
    let tax = token(&suite.platform("tax"));
    let get = |path: String, auth: Option<String>| {
        let mut request = http1().get(format!("{base}{path}"));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        async move { json(request.send().await.unwrap()).await }
    };

    // No token: 401, UNAUTHENTICATED, with the zh-CN message.
    let (status, body) = get("/v1/attestationKeys".into(), None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], 16);
    assert!(
        body["details"]
            .as_array()
            .unwrap()
            .iter()
            .any(
                |d| d["@type"] == "type.googleapis.com/google.rpc.LocalizedMessage"
                    && d["locale"] == "zh-CN"
            ),
        "{body}"
    );

    // A wrong check character: 400 with the BadRequest naming the field.
    let (status, body) = get(
        "/v1/titles:verify?credit_code=914104210000000190".into(),
        Some(tax.clone()),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], 3);
    let bad_request = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["@type"] == "type.googleapis.com/google.rpc.BadRequest")
        .unwrap();
    assert_eq!(bad_request["fieldViolations"][0]["field"], "credit_code");

    // The policy: a platform without the grant may not read the feed (403), and the
    // refusal is the gateway's, as over gRPC.
    let (status, body) = get("/v1/titleChanges".into(), Some(tax.clone())).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], 7);

    // No such route; a query parameter that is no field.
    let (status, _) = get("/v1/units".into(), Some(tax.clone())).await;
    assert_eq!(status, 404);
    let (status, body) = get("/v1/attestationKeys?color=red".into(), Some(tax.clone())).await;
    assert_eq!(status, 400, "{body}");

    // The same rate limit as gRPC: an office's burst of 60, then 429 with RetryInfo.
    let county = token(&suite.office("county", "410421"));
    let mut limited = None;
    for _ in 0..400 {
        let (status, body) = get("/v1/attestationKeys".into(), Some(county.clone())).await;
        if status == 429 {
            limited = Some(body);
            break;
        }
        assert_eq!(status, 200, "{body}");
    }
    let body = limited.expect("the burst runs out");
    assert_eq!(body["code"], 8);
    assert!(
        body["details"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["@type"] == "type.googleapis.com/google.rpc.RetryInfo"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_calls_by_grpc_web_from_an_allowed_origin_only() {
    let db = TestDb::sqlite().await;
    let suite = suite(&db).await;
    let code = titled(&suite).await;
    let url = format!(
        "http://{}/wenming.registry.v1.RegistryService/VerifyTitle",
        suite.gateway_addr
    );
    let tax = token(&suite.platform("tax"));

    // The preflight: answered for the portal, not for another origin.
    let preflight = |origin: &'static str| {
        http1()
            .request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type,x-grpc-web",
            )
            .send()
    };
    let allowed = preflight(PORTAL).await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        PORTAL,
        "{allowed:?}"
    );
    let other = preflight("https://elsewhere.example.com").await.unwrap();
    assert!(
        other.headers().get("access-control-allow-origin").is_none(),
        "{other:?}"
    );

    // The call itself: a gRPC-Web frame in, a message frame and a trailer frame out.
    let request = pb::VerifyTitleRequest {
        credit_code: code.clone(),
        as_of: "2021-04-15".into(),
        attest: false,
    }
    .encode_to_vec();
    let mut body = BytesMut::new();
    body.put_u8(0);
    body.put_u32(u32::try_from(request.len()).unwrap());
    body.put_slice(&request);
    let response = http1()
        .post(&url)
        .header("origin", PORTAL)
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .header("authorization", &tax)
        .body(body.freeze())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], PORTAL);
    let mut frames = response.bytes().await.unwrap();
    let (mut message, mut trailers) = (None, String::new());
    while frames.has_remaining() {
        let flag = frames.get_u8();
        let len = frames.get_u32() as usize;
        let payload: Bytes = frames.split_to(len);
        if flag & 0x80 == 0 {
            message = Some(pb::VerifyTitleResponse::decode(payload).unwrap());
        } else {
            trailers = String::from_utf8(payload.to_vec()).unwrap();
        }
    }
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
    let message = message.expect("one message");
    assert_eq!(message.credit_code, code);
    assert_eq!(message.titles.len(), 1);
}
