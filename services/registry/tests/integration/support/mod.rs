//! `spawn_registry()`: a registry on 127.0.0.1:0 with a fresh database and a settable
//! clock, and clients that call it as any principal.
#![allow(dead_code)]

use std::sync::Arc;

use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use wenming_authz::{IdentityKey, Principal};
use wenming_domain::{AdminLevel, FixedClock, UnitId};
use wenming_proto::registry::v1 as pb;
use wenming_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wenming_runtime::ServerSettings;
use wenming_runtime::db::Database;
pub use wenming_testkit::fixtures::*;
use wenming_testkit::services::{Options, Services, start};
use wenming_testkit::{AsPrincipal, TestDb};

pub type Client = RegistryServiceClient<InterceptedService<Channel, AsPrincipal>>;

pub struct App {
    pub addr: std::net::SocketAddr,
    pub key: IdentityKey,
    pub clock: Arc<FixedClock>,
    pub db: Database,
    channel: Channel,
    services: Services,
    /// The configuration it was started with (a restart keeps it).
    config: wenming_runtime::config::Figment,
}

pub async fn spawn_registry(test_db: &TestDb) -> App {
    spawn_registry_with(test_db, ServerSettings::default()).await
}

pub async fn spawn_registry_with(test_db: &TestDb, settings: ServerSettings) -> App {
    let options = Options {
        settings,
        ..Options::default()
    };
    spawn_registry_options(test_db, options).await
}

/// A registry started with `options` (server limits, its configuration).
pub async fn spawn_registry_options(test_db: &TestDb, options: Options) -> App {
    let key = IdentityKey::generate();
    let clock = Arc::new(FixedClock::new(april_15_2021()));
    let config = options.config.clone();
    let services = start(
        test_db,
        &[&wenming_registry::SERVICE],
        clock.clone(),
        &key,
        options,
    )
    .await;
    App::around(services, key, clock, config).await
}

/// A registry whose data dir (attestation key) is `dir`.
pub async fn spawn_registry_in(test_db: &TestDb, dir: &std::path::Path) -> App {
    let config = wenming_runtime::config::Figment::from(figment::providers::Serialized::default(
        "registry.data_dir",
        dir,
    ));
    spawn_registry_options(
        test_db,
        Options {
            config,
            ..Options::default()
        },
    )
    .await
}

impl App {
    async fn around(
        services: Services,
        key: IdentityKey,
        clock: Arc<FixedClock>,
        config: wenming_runtime::config::Figment,
    ) -> Self {
        let addr = services.addr("registry");
        let channel = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        App {
            addr,
            key,
            clock,
            db: services.db("registry"),
            channel,
            services,
            config,
        }
    }

    /// Stops the registry (drained, as SIGTERM does) and starts it again on its
    /// database, opened anew, at another port: what a restart keeps is what is stored.
    pub async fn restart(self) -> App {
        let Self {
            key,
            clock,
            db,
            services,
            config,
            ..
        } = self;
        services.begin_shutdown();
        services.stopped().await.unwrap();
        let settings = wenming_runtime::db::DatabaseSettings {
            url: db.url().to_owned(),
            ..Default::default()
        };
        db.close().await;
        let db = Database::connect(&settings).await.unwrap();
        let services = wenming_testkit::services::start_on(
            vec![(&wenming_registry::SERVICE, db)],
            clock.clone(),
            &key,
            Options {
                config: config.clone(),
                ..Options::default()
            },
        )
        .await;
        App::around(services, key, clock, config).await
    }
}

impl App {
    /// Starts the drain, as SIGTERM does.
    pub fn begin_shutdown(&mut self) {
        self.services.begin_shutdown();
    }

    /// Waits for the server to stop and returns how it ended.
    pub async fn stopped(self) -> Result<(), wenming_runtime::service::BoxError> {
        self.services.stopped().await
    }

    pub fn client(&self, principal: Principal) -> Client {
        RegistryServiceClient::with_interceptor(
            self.channel.clone(),
            AsPrincipal::new(&self.key, principal),
        )
    }

    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    pub fn province(&self) -> Client {
        self.client(office(AdminLevel::Province, "410000"))
    }

    pub fn city(&self, code: &str) -> Client {
        self.client(office(AdminLevel::City, code))
    }

    pub fn county(&self, code: &str) -> Client {
        self.client(office(AdminLevel::County, code))
    }

    pub fn platform(&self) -> Client {
        self.client(Principal::platform("platform-tax", "tax"))
    }

    pub fn unit_user(&self, unit_name: &str) -> Client {
        let id = UnitId::parse(unit_name.trim_start_matches("units/")).unwrap();
        self.client(Principal::unit("unit-user", id))
    }
}

pub async fn create(client: &mut Client, unit: pb::Unit) -> pb::Unit {
    client
        .create_unit(pb::CreateUnitRequest {
            unit: Some(unit),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// The Pingdingshan 2021 campaign, created by the city office.
pub async fn pingdingshan_campaign(app: &App) -> pb::Campaign {
    app.city("410400")
        .create_campaign(pb::CreateCampaignRequest {
            campaign: Some(pingdingshan_campaign_pb()),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// An award of `tier` to `unit` from `on` (until `until`; empty: the tier's term).
pub fn award(unit: &pb::Unit, tier: pb::TitleTier, on: &str, until: &str) -> pb::AwardTitleRequest {
    pb::AwardTitleRequest {
        title: Some(pb::Title {
            unit: unit.name.clone(),
            tier: tier as i32,
            awarded_on: on.into(),
            valid_until: until.into(),
            document_number: "平文明〔2022〕1号".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

/// VerifyTitle of `unit` on `as_of` (empty: today).
pub fn verify(unit: &pb::Unit, as_of: &str) -> pb::VerifyTitleRequest {
    pb::VerifyTitleRequest {
        credit_code: unit.credit_code.clone(),
        as_of: as_of.into(),
        attest: false,
    }
}
