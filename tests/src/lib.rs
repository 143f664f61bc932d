//! `Suite::start()`: every service of the suite on loopback ports, each with a
//! fresh database of its own, the gateway in front of them trusting a fresh development
//! key, and clients that call the gateway with bearer tokens — the shape of `wenming
//! up`, for cross-service scenarios. On SQLite the gateway calls the services in this
//! process, as `wenming up` does; on PostgreSQL and under TLS over the network, as
//! `wenming serve` does: the scenarios that run on both databases run both ways.
#![forbid(unsafe_code)]

pub mod scene;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::transport::Channel;
use wenming_authz::{IdentityKey, IdentitySigner, PlatformAction};
use wenming_domain::FixedClock;
use wenming_gateway::dev_key::{DEV_AUDIENCE, DEV_ISSUER, DevKey};
use wenming_gateway::{
    Authenticator, AuthnSettings, Backend, ExternalClaims, Policy, Proxy, RateLimits,
};
use wenming_runtime::ServerSettings;
use wenming_testkit::TestDb;
use wenming_testkit::services::{Options, Services, start};

/// A running suite.
#[derive(Debug)]
pub struct Suite {
    /// A channel to the gateway.
    pub gateway: Channel,
    /// The gateway's address.
    pub gateway_addr: std::net::SocketAddr,
    /// The gateway's public certificate files, under TLS.
    pub public_tls: Option<wenming_runtime::tls::PublicTls>,
    /// The suite's clock (the services judge deadlines and "today" by it).
    pub clock: Arc<FixedClock>,
    /// The registry's own address (behind the gateway), for measurements.
    pub registry: std::net::SocketAddr,
    /// The internal identity key, for calling a service directly in measurements.
    pub internal_key: IdentityKey,
    dev_key: DevKey,
    _dir: tempfile::TempDir,
    _stops: Vec<oneshot::Sender<()>>,
    _services: Services,
}

/// The default rate limits, a person's burst refilled at one call a second: a test that
/// empties the burst sees it run out however slowly a loaded machine answers (at the
/// default 20 a second, calls slower than 50 ms keep it full).
pub fn limits_that_run_out() -> RateLimits {
    RateLimits {
        person_per_second: 1,
        ..RateLimits::default()
    }
}

/// How a suite starts.
#[derive(Debug, Default)]
pub struct SuiteOptions<'a> {
    /// Rate limits (`None`: none, for measurements).
    pub limits: Option<RateLimits>,
    /// TLS everywhere with certificates of this CA: the gateway's public address, and
    /// mutual TLS between the gateway and the services.
    pub tls: Option<&'a wenming_testkit::pki::Pki>,
    /// Web origins allowed to call the gateway from a browser.
    pub cors_origins: Vec<String>,
    /// The gateway reaches the services over the network even on SQLite (as `wenming
    /// serve` does), rather than in this process.
    pub network: bool,
}

/// What a test token claims.
#[derive(Default)]
struct Claimed<'a> {
    level: &'a str,
    region: Option<&'a str>,
    unit: Option<&'a str>,
    platform: Option<&'a str>,
    actions: Option<Vec<PlatformAction>>,
}

/// Sends `authorization: Bearer …` on every call.
#[derive(Clone, Debug)]
pub struct Bearer(MetadataValue<tonic::metadata::Ascii>);

impl Bearer {
    /// The `authorization` header's value, for ordinary HTTP clients.
    pub fn header(&self) -> String {
        self.0.to_str().unwrap_or_default().to_owned()
    }
}

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

fn stop_signal() -> (oneshot::Sender<()>, impl Future<Output = ()>) {
    let (tx, rx) = oneshot::channel::<()>();
    (tx, async move {
        let _ = rx.await;
    })
}

impl Suite {
    /// Starts the suite on `test_db`, its clock at `now`, with the default rate limits.
    pub async fn start(test_db: &TestDb, now: jiff::Timestamp) -> Self {
        Self::start_with(test_db, now, Some(RateLimits::default())).await
    }

    /// Starts the suite with `limits` (`None`: no rate limits, for measurements).
    pub async fn start_with(
        test_db: &TestDb,
        now: jiff::Timestamp,
        limits: Option<RateLimits>,
    ) -> Self {
        Self::start_opts(
            test_db,
            now,
            SuiteOptions {
                limits,
                ..SuiteOptions::default()
            },
        )
        .await
    }

    /// Starts the suite as `options` say.
    pub async fn start_opts(
        test_db: &TestDb,
        now: jiff::Timestamp,
        options: SuiteOptions<'_>,
    ) -> Self {
        let SuiteOptions {
            limits,
            tls,
            cors_origins,
            network,
        } = options;
        let dir = tempfile::tempdir().expect("temp dir");
        let key = IdentityKey::generate();
        let clock = Arc::new(FixedClock::new(now));
        let mut stops = Vec::new();

        let defs = wenming_suite::SERVICES;
        // Under TLS: the services serve and call each other with mutual TLS, the gateway
        // presents its own client certificate to them and a public one to callers.
        let services_tls = tls.map(|pki| pki.internal("services")).unwrap_or_default();
        let gateway_tls = tls
            .map(|pki| {
                pki.internal("gateway")
                    .client()
                    .expect("gateway client TLS")
            })
            .unwrap_or_default();
        let public_tls = tls.map(|pki| pki.public("gateway-public"));
        // Both ways from the gateway to the services run the same scenarios: in this
        // process (as `wenming up`) on SQLite, over the network (as `wenming serve`) on
        // PostgreSQL and under TLS.
        let in_process = tls.is_none() && !test_db.is_postgres() && !network;
        let services = start(
            test_db,
            defs,
            clock.clone(),
            &key,
            Options {
                tls: services_tls.clone(),
                // The registry's attestation key in the suite's folder.
                config: wenming_runtime::config::Figment::from(
                    figment::providers::Serialized::default("registry.data_dir", dir.path()),
                ),
                ..Options::default()
            },
        )
        .await;
        let dev_key = DevKey::load_or_create(dir.path()).expect("dev key");
        let authn = Authenticator::new(
            AuthnSettings {
                issuer: DEV_ISSUER.into(),
                audience: DEV_AUDIENCE.into(),
                jwks_file: Some(dev_key.jwks_path().to_owned()),
                ..AuthnSettings::default()
            },
            dev_key.trusted_keys().expect("keys"),
        )
        .expect("authenticator");
        let proxy = Proxy::new(
            authn,
            Policy::shipped().expect("policy"),
            limits.as_ref(),
            IdentitySigner::new(&key),
            defs.iter()
                .map(|def| {
                    if in_process {
                        Backend::local(def.grpc_service, services.local(def.name))
                    } else {
                        Backend::new(
                            def.grpc_service,
                            &format!("{}://{}", services_tls.scheme(), services.addr(def.name)),
                            gateway_tls.clone(),
                        )
                        .expect("backend")
                    }
                    .labelled(def.zh_name)
                })
                .collect(),
            Duration::from_secs(30),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = stop_signal();
        stops.push(stop);
        let listener = wenming_runtime::Listener::new(
            listener,
            public_tls
                .as_ref()
                .map(|t| t.server().expect("public TLS").expect("configured")),
        );
        tokio::spawn(async move {
            let _ = wenming_gateway::serve(
                listener,
                proxy,
                &ServerSettings::default(),
                &cors_origins,
                stopped,
            )
            .await;
        });
        let gateway = match tls {
            Some(pki) => Channel::from_shared(format!("https://localhost:{}", addr.port()))
                .expect("uri")
                .tls_config(tonic::transport::ClientTlsConfig::new().ca_certificate(
                    tonic::transport::Certificate::from_pem(
                        std::fs::read(pki.ca_file()).expect("CA file"),
                    ),
                ))
                .expect("TLS config"),
            None => Channel::from_shared(format!("http://{addr}")).expect("uri"),
        }
        .connect()
        .await
        .expect("connect to the gateway");
        Self {
            gateway,
            gateway_addr: addr,
            public_tls,
            clock,
            registry: services.addr("registry"),
            internal_key: key,
            dev_key,
            _dir: dir,
            _stops: stops,
            _services: services,
        }
    }

    /// A bearer token for a caller (`level` province/city/county with `region`,
    /// unit with `unit`, platform with `platform`).
    pub fn token(
        &self,
        level: &str,
        region: Option<&str>,
        unit: Option<&str>,
        platform: Option<&str>,
    ) -> String {
        self.issue(Claimed {
            level,
            region,
            unit,
            platform,
            actions: None,
        })
    }

    fn issue(&self, c: Claimed<'_>) -> String {
        // Tokens are checked against the real time, not the suite's clock.
        let real_now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.dev_key.issue(&ExternalClaims {
            sub: format!(
                "{}-{}",
                c.level,
                c.region.or(c.unit).or(c.platform).unwrap_or("user")
            ),
            iss: DEV_ISSUER.into(),
            aud: DEV_AUDIENCE.into(),
            exp: real_now + 600,
            nbf: None,
            iat: Some(real_now),
            level: c.level.into(),
            region: c.region.map(str::to_owned),
            unit: c.unit.map(str::to_owned),
            platform: c.platform.map(str::to_owned),
            actions: c.actions,
        })
    }

    /// An interceptor for calls as an office of `region` at `level`.
    pub fn office(&self, level: &str, region: &str) -> Bearer {
        self.bearer(&self.token(level, Some(region), None, None))
    }

    /// An interceptor for calls as a user of the unit `unit` ("units/{id}" or the id).
    pub fn unit_user(&self, unit: &str) -> Bearer {
        let id = unit.trim_start_matches("units/");
        self.bearer(&self.token("unit", None, Some(id), None))
    }

    /// An interceptor for calls as the provincial-direct office (省直文明办).
    pub fn provincial_direct(&self) -> Bearer {
        self.bearer(&self.token("provincial-direct", None, None, None))
    }

    /// An interceptor for calls as the platform `name`.
    pub fn platform(&self, name: &str) -> Bearer {
        self.bearer(&self.token("platform", None, None, Some(name)))
    }

    /// An interceptor for calls as the platform `name` granted `actions` (e.g.
    /// `submit_application`).
    /// A service's own database, as the suite's operator reaches it.
    pub fn db(&self, service: &str) -> wenming_runtime::db::Database {
        self._services.db(service)
    }

    pub fn platform_granted(&self, name: &str, actions: &[PlatformAction]) -> Bearer {
        let claims = Claimed {
            level: "platform",
            platform: Some(name),
            actions: Some(actions.to_vec()),
            ..Claimed::default()
        };
        self.bearer(&self.issue(claims))
    }

    /// A company of 宝丰县 (credit code number `n`, named `name`) registered by its
    /// county office and holding a provincial title since 2021-01-10.
    pub async fn titled_unit(&self, n: u32, name: &str) -> wenming_proto::registry::v1::Unit {
        use wenming_proto::registry::v1 as pb;
        use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
        let unit = RegistryServiceClient::with_interceptor(
            self.gateway.clone(),
            self.office("county", "410421"),
        )
        .create_unit(pb::CreateUnitRequest {
            unit: Some(pb::Unit {
                display_name: name.into(),
                credit_code: wenming_testkit::fixtures::credit_code("410421", n),
                region_code: "410421".into(),
                kind: pb::UnitKind::PrivateEnterprise as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("register the unit")
        .into_inner();
        RegistryServiceClient::with_interceptor(
            self.gateway.clone(),
            self.office("province", "410000"),
        )
        .award_title(pb::AwardTitleRequest {
            title: Some(pb::Title {
                unit: unit.name.clone(),
                tier: pb::TitleTier::Provincial as i32,
                awarded_on: "2021-01-10".into(),
                document_number: "豫文明〔2021〕3号".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("award the title");
        unit
    }

    /// An interceptor sending `token`.
    pub fn bearer(&self, token: &str) -> Bearer {
        Bearer(format!("Bearer {token}").parse().expect("ASCII token"))
    }
}
