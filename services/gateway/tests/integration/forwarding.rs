//! The gateway in front of a real registry, over real sockets.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::Code;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use wenming_authz::{IdentityKey, IdentitySigner};
use wenming_domain::{CreditCode, SystemClock};
use wenming_gateway::dev_key::{DEV_AUDIENCE, DEV_ISSUER, DevKey};
use wenming_gateway::{
    Authenticator, AuthnSettings, Backend, ExternalClaims, Policy, Proxy, RateLimits,
};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_runtime::ServerSettings;
use wenming_testkit::TestDb;
use wenming_testkit::services::{Options, Services, start};

struct Suite {
    gateway: Channel,
    dev_key: DevKey,
    _dir: tempfile::TempDir,
    _db: TestDb,
    _stops: Vec<tokio::sync::oneshot::Sender<()>>,
    _services: Option<Services>,
}

fn stop_signal() -> (
    tokio::sync::oneshot::Sender<()>,
    impl std::future::Future<Output = ()>,
) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    (tx, async move {
        let _ = rx.await;
    })
}

async fn start_suite(registry_addr: Option<std::net::SocketAddr>) -> Suite {
    start_with(registry_addr, RateLimits::default()).await
}

async fn start_with(registry_addr: Option<std::net::SocketAddr>, limits: RateLimits) -> Suite {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite().await;
    let key = IdentityKey::generate();
    let mut stops = Vec::new();
    let mut services = None;
    let registry_addr = match registry_addr {
        Some(addr) => addr,
        None => {
            let started = start(
                &db,
                &[&wenming_registry::SERVICE],
                Arc::new(SystemClock),
                &key,
                Options::default(),
            )
            .await;
            let addr = started.addr("registry");
            services = Some(started);
            addr
        }
    };
    let dev_key = DevKey::load_or_create(dir.path()).unwrap();
    let settings = AuthnSettings {
        issuer: DEV_ISSUER.into(),
        audience: DEV_AUDIENCE.into(),
        jwks_file: Some(dev_key.jwks_path().to_owned()),
        leeway_secs: 30,
        ..AuthnSettings::default()
    };
    let authn = Authenticator::new(settings, dev_key.trusted_keys().unwrap()).unwrap();
    let backend = Backend::new(
        wenming_registry::SERVICE.grpc_service,
        &format!("http://{registry_addr}"),
        None,
    )
    .unwrap()
    .labelled(wenming_registry::SERVICE.zh_name);
    let proxy = Proxy::new(
        authn,
        Policy::shipped().unwrap(),
        Some(&limits),
        IdentitySigner::new(&key),
        vec![backend],
        Duration::from_secs(10),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = stop_signal();
    stops.push(stop);
    tokio::spawn(async move {
        wenming_gateway::serve(listener, proxy, &ServerSettings::default(), &[], stopped)
            .await
            .unwrap();
    });
    let gateway = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    Suite {
        gateway,
        dev_key,
        _dir: dir,
        _db: db,
        _stops: stops,
        _services: services,
    }
}

impl Suite {
    fn token(&self, level: &str, region: Option<&str>, platform: Option<&str>) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        self.dev_key.issue(&ExternalClaims {
            sub: format!("{level}-{}", region.or(platform).unwrap_or("user")),
            iss: DEV_ISSUER.into(),
            aud: DEV_AUDIENCE.into(),
            exp: now + 300,
            nbf: None,
            iat: Some(now),
            level: level.into(),
            region: region.map(str::to_owned),
            unit: None,
            platform: platform.map(str::to_owned),
            actions: None,
        })
    }

    fn client(
        &self,
        token: Option<String>,
    ) -> RegistryServiceClient<
        tonic::service::interceptor::InterceptedService<
            Channel,
            impl tonic::service::Interceptor + use<>,
        >,
    > {
        let header: Option<MetadataValue<_>> =
            token.map(|t| format!("Bearer {t}").parse().unwrap());
        RegistryServiceClient::with_interceptor(
            self.gateway.clone(),
            move |mut req: tonic::Request<()>| {
                if let Some(h) = &header {
                    req.metadata_mut().insert("authorization", h.clone());
                }
                Ok(req)
            },
        )
    }
}

fn unit(n: u32) -> pb::CreateUnitRequest {
    pb::CreateUnitRequest {
        unit: Some(pb::Unit {
            display_name: format!("网关测试公司{n}"),
            credit_code: CreditCode::complete(&format!("91410421{n:08}"))
                .unwrap()
                .as_str()
                .into(),
            region_code: "410421".into(),
            kind: pb::UnitKind::PrivateEnterprise as i32,
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_authenticated_checked_and_forwarded() {
    let suite = start_suite(None).await;
    // Health answers without a token.
    let health = HealthClient::new(suite.gateway.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(health.status, 1);

    // No token: refused at the gateway, with the reason.
    let err = suite.client(None).create_unit(unit(1)).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert_eq!(err.message(), "no bearer token");
    assert!(wenming_testkit::fixtures::zh_cn(&err).contains("未携带访问令牌"));

    // A county office registers a unit; the registry saw the token's subject.
    let county = suite.token("county", Some("410421"), None);
    let created = suite
        .client(Some(county.clone()))
        .create_unit(unit(1))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.region_code, "410421");

    // Its level may not award titles: PERMISSION_DENIED from the policy.
    let err = suite
        .client(Some(county.clone()))
        .award_title(pb::AwardTitleRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(
        wenming_testkit::fixtures::zh_cn(&err),
        "县级文明办无权调用单位名录服务的 AwardTitle 接口"
    );

    // Another county: NOT_FOUND from the registry, passed through.
    let other = suite.token("county", Some("410422"), None);
    let err = suite
        .client(Some(other))
        .get_unit(pb::GetUnitRequest {
            name: created.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert!(wenming_testkit::fixtures::zh_cn(&err).starts_with("未找到单位"));

    // Backend error details pass through (BadRequest naming the field).
    let mut bad = unit(2);
    bad.unit.as_mut().unwrap().region_code = "410499".into();
    let err = suite
        .client(Some(county.clone()))
        .create_unit(bad)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    use tonic_types::StatusExt as _;
    assert_eq!(
        err.get_details_bad_request().unwrap().field_violations[0].field,
        "unit.region_code"
    );

    // A platform verifies; it may not read units.
    let platform = suite.token("platform", None, Some("tax"));
    let verified = suite
        .client(Some(platform.clone()))
        .verify_title(pb::VerifyTitleRequest {
            credit_code: created.credit_code.clone(),
            as_of: String::new(),
            attest: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(verified.unit_display_name, "网关测试公司1");
    let err = suite
        .client(Some(platform))
        .get_unit(pb::GetUnitRequest {
            name: created.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_internal_identity_is_replaced() {
    let suite = start_suite(None).await;
    // Without a token, an internal identity header alone gets nowhere.
    let forged =
        IdentitySigner::new(&IdentityKey::generate()).sign(&wenming_authz::Principal::office(
            "forger",
            wenming_domain::AdminLevel::Province,
            wenming_domain::RegionCode::parse("410000").unwrap(),
        ));
    let mut client = RegistryServiceClient::with_interceptor(
        suite.gateway.clone(),
        move |mut req: tonic::Request<()>| {
            req.metadata_mut()
                .insert("x-wenming-identity", forged.parse().unwrap());
            Ok(req)
        },
    );
    let err = client
        .list_units(pb::ListUnitsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    // With a county token plus a forged province identity, the county's scope applies.
    let county = suite.token("county", Some("410422"), None);
    suite
        .client(Some(suite.token("county", Some("410421"), None)))
        .create_unit(unit(5))
        .await
        .unwrap();
    let forged =
        IdentitySigner::new(&IdentityKey::generate()).sign(&wenming_authz::Principal::office(
            "forger",
            wenming_domain::AdminLevel::Province,
            wenming_domain::RegionCode::parse("410000").unwrap(),
        ));
    let header: MetadataValue<_> = format!("Bearer {county}").parse().unwrap();
    let mut client = RegistryServiceClient::with_interceptor(
        suite.gateway.clone(),
        move |mut req: tonic::Request<()>| {
            req.metadata_mut().insert("authorization", header.clone());
            req.metadata_mut()
                .insert("x-wenming-identity", forged.parse().unwrap());
            Ok(req)
        },
    );
    let listed = client
        .list_units(pb::ListUnitsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(
        listed.units.is_empty(),
        "the forged province identity must not apply"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_is_down_answers_unavailable() {
    // A port that was bound and released: nothing listens there.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let suite = start_suite(Some(closed)).await;
    let county = suite.token("county", Some("410421"), None);
    let mut request = tonic::Request::new(pb::ListUnitsRequest::default());
    request.set_timeout(Duration::from_secs(5));
    let err = suite
        .client(Some(county))
        .list_units(request)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_caller_has_its_own_rate_limit() {
    let limits = RateLimits {
        person_per_second: 1,
        person_burst: 3,
        ..RateLimits::default()
    };
    let suite = start_with(None, limits).await;
    let busy = suite.token("county", Some("410421"), None);
    let mut codes = Vec::new();
    for _ in 0..4 {
        let result = suite
            .client(Some(busy.clone()))
            .list_units(pb::ListUnitsRequest::default())
            .await;
        codes.push(result.map_or_else(|s| s.code(), |_| Code::Ok));
    }
    // The burst of 3 passes; the 4th in the same second is refused with a retry delay.
    assert_eq!(&codes[..3], &[Code::Ok, Code::Ok, Code::Ok]);
    assert_eq!(codes[3], Code::ResourceExhausted);
    let err = suite
        .client(Some(busy))
        .list_units(pb::ListUnitsRequest::default())
        .await
        .unwrap_err();
    use tonic_types::StatusExt as _;
    assert!(
        err.get_details_retry_info()
            .and_then(|r| r.retry_delay)
            .is_some()
    );
    // Another office's budget is untouched.
    let other = suite.token("county", Some("410422"), None);
    suite
        .client(Some(other))
        .list_units(pb::ListUnitsRequest::default())
        .await
        .unwrap();
}

/// Every token case, over gRPC: refused at the gateway with the reason, nothing forwarded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_refused_over_grpc_with_their_reason() {
    let suite = start_suite(None).await;
    let now = jsonwebtoken::get_current_timestamp();
    let claims = |f: &dyn Fn(&mut ExternalClaims)| {
        let mut c = ExternalClaims {
            sub: "attacker".into(),
            iss: DEV_ISSUER.into(),
            aud: DEV_AUDIENCE.into(),
            exp: now + 300,
            nbf: None,
            iat: Some(now),
            level: "province".into(),
            region: Some("410000".into()),
            unit: None,
            platform: None,
            actions: None,
        };
        f(&mut c);
        c
    };
    let expired = suite.dev_key.issue(&claims(&|c| c.exp = now - 3600));
    let early = suite.dev_key.issue(&claims(&|c| c.nbf = Some(now + 3600)));
    let wrong_issuer = suite
        .dev_key
        .issue(&claims(&|c| c.iss = "elsewhere".into()));
    let wrong_audience = suite
        .dev_key
        .issue(&claims(&|c| c.aud = "elsewhere".into()));
    use base64::Engine as _;
    let b64 = |s: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let unsigned = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(&serde_json::to_vec(&claims(&|_| {})).unwrap())
    );
    let stranger = DevKey::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
    let untrusted = stranger.issue(&claims(&|_| {}));
    let cases = [
        (expired, "the token has expired"),
        (early, "the token is not valid yet"),
        (wrong_issuer, "the token's issuer is not trusted"),
        (wrong_audience, "the token is meant for another audience"),
        (unsigned, "unsigned tokens (alg=none) are refused"),
        (untrusted, "the token's signing key is not trusted"),
        ("not-a-jwt".to_owned(), "the bearer token is not a JWT"),
    ];
    for (token, reason) in cases {
        let err = suite
            .client(Some(token))
            .list_units(pb::ListUnitsRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated, "{reason}");
        assert_eq!(err.message(), reason);
    }
}
