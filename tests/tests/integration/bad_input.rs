//! Requests that do not decode, sent as raw bytes through the gateway as any client
//! could: a string that is not UTF-8, a message cut short, nesting far past the limit,
//! a message over the size limit, a negative page size. Each is refused with a clear
//! status naming what is wrong (INVALID_ARGUMENT with the field, never INTERNAL), in
//! both languages, and the server goes on serving.

use bytes::{Buf as _, BufMut as _};
use futures::StreamExt as _;
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic_types::StatusExt as _;
use wenming_proto::registry::v1 as rp;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_testkit::TestDb;
use wenming_testkit::fixtures::zh_cn;
use wenming_tests::Suite;

/// Sends bytes as they are; reads nothing back.
#[derive(Debug, Default, Clone)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = ();
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = ();
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, tonic::Status> {
        src.advance(src.remaining());
        Ok(Some(()))
    }
}

/// A length-delimited field `tag` holding `body`.
fn field(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![(tag << 3) | 2];
    let mut len = body.len();
    while len >= 0x80 {
        out.push((len as u8 & 0x7f) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend_from_slice(body);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_requests_are_the_callers_error_and_name_the_field() {
    let db = TestDb::sqlite().await;
    let suite = Suite::start(&db, "2021-04-16T01:00:00Z".parse().unwrap()).await;
    let token = suite.token("county", Some("410421"), None, None);
    let call = |path: &'static str, body: Vec<u8>| {
        let gateway = suite.gateway.clone();
        let token = token.clone();
        async move {
            let mut grpc = tonic::client::Grpc::new(gateway);
            grpc.ready().await.unwrap();
            let mut request = tonic::Request::new(body);
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
            grpc.unary(
                request,
                http::uri::PathAndQuery::from_static(path),
                RawCodec,
            )
            .await
            .unwrap_err()
        }
    };
    const CREATE: &str = "/wenming.registry.v1.RegistryService/CreateUnit";

    // CreateUnitRequest.unit (1) -> Unit.display_name (2): bytes that are not UTF-8.
    let not_utf8 = call(CREATE, field(1, &field(2, &[0xe5, 0xae, 0xff, 0x41]))).await;
    assert_eq!(not_utf8.code(), Code::InvalidArgument, "{not_utf8:?}");
    let violations = not_utf8.get_details_bad_request().unwrap().field_violations;
    assert_eq!(violations[0].field, "unit.display_name");
    assert_eq!(violations[0].reason, "UNDECODABLE");
    assert!(zh_cn(&not_utf8).contains("请求无法解析"), "{not_utf8:?}");

    // A field announcing 100 bytes and holding 3.
    let cut_short = call(CREATE, vec![(1 << 3) | 2, 100, 1, 2, 3]).await;
    assert_eq!(cut_short.code(), Code::InvalidArgument, "{cut_short:?}");

    // An unknown field of 200 nested groups: past prost's recursion limit (100).
    let mut nested = vec![0x0b; 200]; // field 1, start group
    nested.extend(vec![0x0c; 200]); // field 1, end group
    let mut deep = vec![(15 << 3) | 3]; // unknown field 15, start group
    deep.extend(&nested);
    deep.push((15 << 3) | 4);
    let too_deep = call(CREATE, deep).await;
    assert_eq!(too_deep.code(), Code::InvalidArgument, "{too_deep:?}");
    assert!(too_deep.message().contains("recursion"), "{too_deep:?}");

    // Over the 4 MiB message limit: refused before it is read whole.
    let oversized = call(CREATE, field(1, &field(2, &vec![b'a'; 5 * 1024 * 1024]))).await;
    assert!(
        matches!(oversized.code(), Code::ResourceExhausted | Code::OutOfRange),
        "{oversized:?}"
    );
    assert!(zh_cn(&oversized).contains("大小上限"), "{oversized:?}");

    // A negative page size, well formed: the field is named.
    let negative = RegistryServiceClient::with_interceptor(
        suite.gateway.clone(),
        suite.office("county", "410421"),
    )
    .list_units(rp::ListUnitsRequest {
        page_size: -1,
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert_eq!(negative.code(), Code::InvalidArgument);
    assert_eq!(
        negative.get_details_bad_request().unwrap().field_violations[0].field,
        "page_size"
    );

    // And the suite still serves.
    RegistryServiceClient::with_interceptor(
        suite.gateway.clone(),
        suite.office("county", "410421"),
    )
    .list_units(rp::ListUnitsRequest::default())
    .await
    .unwrap();
}

/// reqwest on rustls with the ring provider, as the rest of the suite.
fn http_client(builder: reqwest::ClientBuilder) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    builder.build().unwrap()
}

/// A message whose length prefix claims 1 GiB, of which only the first bytes ever
/// come: refused on the prefix alone, while the caller is still sending (the server
/// neither waits for nor buffers the rest); and a JSON body over the limit is refused
/// after reading no more than the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_limit_is_refused_on_its_length_not_read_whole() {
    let db = TestDb::sqlite().await;
    let suite = Suite::start(&db, "2021-04-16T01:00:00Z".parse().unwrap()).await;
    let bearer = suite.office("county", "410421").header();
    let base = format!("http://{}", suite.gateway_addr);

    let mut start = bytes::BytesMut::new();
    start.put_u8(0);
    start.put_u32(1 << 30);
    start.put_slice(&field(1, b"first bytes of a very long message"));
    // The rest never comes: the stream stays open after the first chunk.
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(start.freeze()) })
        .chain(futures::stream::pending());
    let h2 = http_client(reqwest::Client::builder().http2_prior_knowledge());
    let response = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        h2.post(format!(
            "{base}/wenming.registry.v1.RegistryService/CreateUnit"
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("authorization", &bearer)
        .body(reqwest::Body::wrap_stream(body))
        .send(),
    )
    .await
    .expect("answered while the body is still open")
    .unwrap();
    let status = response
        .headers()
        .get("grpc-status")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(
        matches!(status.as_deref(), Some("8") | Some("11")),
        "RESOURCE_EXHAUSTED or OUT_OF_RANGE, got {status:?} ({:?})",
        response.headers()
    );

    // JSON: 5 MiB against the 4 MiB limit.
    let big = format!("{{\"creditCodes\": [\"{}\"]}}", "9".repeat(5 << 20));
    let response = http_client(reqwest::Client::builder().http1_only())
        .post(format!("{base}/v1/titles:verifyBatch"))
        .header("authorization", &bearer)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["code"], 11, "{body}");
}

/// Server streams beyond the caller's limit (`gateway.rate_limits.streams_per_caller`)
/// are refused RESOURCE_EXHAUSTED with a QuotaFailure naming the caller; another caller
/// is not affected, and a stream the caller closes makes room for a new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_beyond_the_callers_limit_are_refused_until_one_closes() {
    let db = TestDb::sqlite().await;
    let suite = Suite::start(&db, "2021-04-16T01:00:00Z".parse().unwrap()).await;
    let limit = wenming_gateway::RateLimits::default().streams_per_caller;
    let province = RegistryServiceClient::with_interceptor(
        suite.gateway.clone(),
        suite.office("province", "410000"),
    );
    let watch = || {
        let mut client = province.clone();
        async move {
            client
                .watch_title_changes(rp::WatchTitleChangesRequest::default())
                .await
        }
    };
    let mut open = Vec::new();
    for _ in 0..limit {
        open.push(watch().await.unwrap().into_inner());
    }

    let refused = watch().await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    let quota = refused.get_details_quota_failure().unwrap();
    assert!(
        quota.violations[0].subject.starts_with("subject:"),
        "{quota:?}"
    );
    assert!(
        zh_cn(&refused).contains(&format!("最多同时打开 {limit} 个订阅流")),
        "{}",
        zh_cn(&refused)
    );

    let mut platform = RegistryServiceClient::with_interceptor(
        suite.gateway.clone(),
        suite.platform_granted("credit", &[wenming_authz::PlatformAction::FollowTitles]),
    );
    platform
        .watch_title_changes(rp::WatchTitleChangesRequest::default())
        .await
        .unwrap();

    // Closed by the caller (RST_STREAM): the gateway lets go of it once the stream's
    // answer is dropped, which follows the reset by a moment.
    drop(open.pop());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match watch().await {
            Ok(stream) => {
                open.push(stream.into_inner());
                break;
            }
            Err(status) => {
                assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                assert!(
                    std::time::Instant::now() < deadline,
                    "no room after a close"
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
    assert_eq!(open.len(), limit as usize);
}
